"""What a node class has, and whether a node has a knob: the one place that decides it.

The agent's ``node_class_info`` and write tools, and the helpers' ``/expr``, all ask here.
Sources are pluggable, so the catalogue of DESIGN section 12 (shipped data, or Nuke's live
classes inside Nuke: ``Host.class_source()``) and the script's own nodes can answer.

A source is any object with ``class_info(name) -> dict | None``. The dict::

    {"class": "Blur",
     "knobs": [{"name": "size", "type": "WH_Knob", "default": 0}, ...],  # type/default may be None
     "inputs": 2,            # how many inputs the class takes (an int, {"max": n} or a list of labels), or None
     "partial": False,       # True: the knob list holds only what was seen, not every knob
     "source": "catalogue, Nuke 15.1"}

None means "this source does not know the class" (not "the class does not exist"). A
source may also offer ``known_classes() -> list`` for "did you mean" suggestions. The
catalogue plugs in through :class:`CatalogueClassInfo`.
"""

from __future__ import annotations

from typing import Any, Dict, List, Optional, Protocol, Sequence, Set, Tuple, runtime_checkable

from .catalogue import Catalogue, near_miss, nearest
from .host import Host, NodeKnobs

__all__ = ["ClassInfoSource", "CatalogueClassInfo", "HostClassInfo", "ChainedClassInfo",
           "classes_for", "check_knobs", "no_knob_message", "knob_names", "max_inputs",
           "known_classes"]

SAMPLE_NODES = 20


@runtime_checkable
class ClassInfoSource(Protocol):
    def class_info(self, name: str) -> Optional[Dict[str, Any]]:
        """What the class has (shape in the module docstring), or None when unknown here."""


def knob_names(info: Optional[Dict[str, Any]]) -> Optional[Set[str]]:
    """The knob names a class-info answer lists (None when it lists none)."""
    if not info or not isinstance(info.get("knobs"), list):
        return None
    names = {k.get("name") if isinstance(k, dict) else k for k in info["knobs"]}
    return {n for n in names if isinstance(n, str)}


def max_inputs(info: Optional[Dict[str, Any]]) -> Optional[int]:
    """How many inputs a class-info answer says the class takes, or None if it does not say."""
    value = (info or {}).get("inputs")
    if isinstance(value, dict):  # the catalogue's {"names", "max", "masks"}: masks count too
        most, masks = value.get("max"), value.get("masks")
        value = most + masks if isinstance(most, int) and isinstance(masks, int) else most
    if isinstance(value, (list, tuple)):
        return len(value)
    return value if isinstance(value, int) and not isinstance(value, bool) else None


def known_classes(source: Any) -> List[str]:
    """The classes ``source`` can name, for suggestions ([] when it cannot list them)."""
    lister = getattr(source, "known_classes", None)
    try:
        return list(lister()) if callable(lister) else []
    except Exception:  # a suggestion list is a nicety; never let it fail a tool call
        return []


class HostClassInfo:
    """Answers from the script itself: the nodes of that class the host holds.

    In Nuke (a host whose ``node_knobs`` is complete) the knob names and types are every
    knob of a live node of the class, and the input count is ``maxInputs()``; defaults are
    not known. In the in-memory host only the knobs the script sets are known, so the answer
    is marked ``partial`` and says so. A class with no node in the script: None.
    """

    def __init__(self, host: Host, sample: int = SAMPLE_NODES) -> None:
        self._host = host
        self._sample = sample

    def known_classes(self) -> List[str]:
        return sorted({n.node_class for n in self._host.all_nodes()})

    def class_info(self, name: str) -> Optional[Dict[str, Any]]:
        nodes = [n for n in self._host.all_nodes() if n.node_class == name]
        if not nodes:
            return None
        order: Dict[str, Optional[str]] = {}
        complete = False
        limit: Optional[int] = None
        for node in nodes[: self._sample]:
            knobs = self._host.node_knobs(node.name, ())
            if knobs.complete:  # a live node lists every knob of its class: one is enough
                order = {k: (knobs.types or {}).get(k) for k in knobs.names}
                complete, limit = True, knobs.max_inputs
                break
            for knob in knobs.names:
                order.setdefault(knob, (knobs.types or {}).get(knob))
        seen = max(len([i for i in n.inputs if i]) for n in nodes)
        shown = min(len(nodes), self._sample)
        if complete:
            where = f"the knobs of {nodes[0].name} in the running Nuke (defaults not known)"
        else:
            where = (f"partial: only the knobs set on the {shown} {name} node(s) in this script; "
                     f"the class has more, left at their defaults")
        return {
            "class": name,
            "knobs": [{"name": k, "type": t, "default": None} for k, t in order.items()],
            "inputs": limit,
            "inputs_connected_at_most": seen,
            "partial": not complete,
            "source": where,
        }


class ChainedClassInfo:
    """Ask several sources in order: the first complete answer wins, else the first partial
    one. ``known_classes`` is the union of theirs."""

    def __init__(self, *sources: Any) -> None:
        self._sources = [s for s in sources if s is not None]

    def known_classes(self) -> List[str]:
        names: Set[str] = set()
        for source in self._sources:
            names.update(known_classes(source))
        return sorted(names)

    def class_info(self, name: str) -> Optional[Dict[str, Any]]:
        partial: Optional[Dict[str, Any]] = None
        for source in self._sources:
            info = source.class_info(name)
            if info and not info.get("partial"):
                return info
            partial = partial or info
        return partial



class CatalogueClassInfo:
    """A :class:`~.catalogue.Catalogue` (shipped, or live inside Nuke) as a class-info
    source for one Nuke version. Classes whose knob list is partial or changes with a
    setting (Write's file format...) are answered ``partial``, so no knob is called
    missing on their account."""

    def __init__(self, cat: Catalogue, version: Optional[str] = None) -> None:
        self._cat = cat
        self._version = version

    @property
    def catalogue(self) -> Catalogue:
        return self._cat

    @property
    def version(self) -> Optional[str]:
        """The Nuke version it answers for (None: the catalogue's default)."""
        return self._version

    def known_classes(self) -> List[str]:
        return self._cat.classes(self._version)

    def class_info(self, name: str) -> Optional[Dict[str, Any]]:
        info = self._cat.class_info(name, self._version)
        if info is None:
            return None
        answer = info.to_dict(self._cat.common_knobs())
        answer["partial"] = info.knobs_vary and not info.is_open
        answer["source"] = (f"the running Nuke {info.version}" if info.source == "live"
                            else f"catalogue, Nuke {info.version}")
        return answer


def classes_for(host: Host, first: Any = None) -> ChainedClassInfo:
    """The sources to ask about ``host``'s classes, in order: ``first`` (a caller's own
    source, may be None), the host's catalogue, then the nodes in the script."""
    source = getattr(host, "class_source", None)
    return ChainedClassInfo(first, source() if callable(source) else None, HostClassInfo(host))


def check_knobs(host: Host, node: str, knobs: Sequence[str], classes: Any = None,
                state: Optional[NodeKnobs] = None) -> Tuple[List[str], List[str]]:
    """``(problems, warnings)`` for ``node`` having each knob in ``knobs``.

    A knob the node lacks is a problem when the host lists every knob (live Nuke), a
    complete class-info source says so, or it is a slip of a listed knob (``sizee``,
    ``whitepoint_r``); otherwise (a partial list: the catalogue outside Nuke, the script's
    own nodes) a warning, since the list may miss a knob Nuke has. Open classes (groups, gizmos) and user knobs are known
    through ``host.node_knobs``. Raises HostError for an unknown node."""
    state = state if state is not None else host.node_knobs(node, ())
    chain = classes if classes is not None else classes_for(host)
    problems: List[str] = []
    warnings: List[str] = []
    info: Any = None
    looked = False
    for knob in knobs:
        if knob in state.names:
            continue
        if state.complete:
            problems.append(no_knob_message(node, state.node_class, knob, state.names))
            continue
        if not looked:
            info, looked = chain.class_info(state.node_class), True
        listed = knob_names(info)
        slip = nearest(knob, sorted(listed)) if listed else None
        if listed is not None and knob not in listed and (
                not info.get("partial") or near_miss(knob, slip)):
            problems.append(no_knob_message(node, state.node_class, knob, sorted(listed)))
        elif listed is None or knob not in listed:
            warnings.append(f"{knob}: not set on {node} in this script, so it cannot be "
                            f"checked here that {state.node_class} has this knob.")
    return problems, warnings


def no_knob_message(node: str, node_class: str, knob: str, names: Sequence[str]) -> str:
    """The refusal for a missing knob: ``Blur1 (Blur) has no knob named 'sizee'. Did you
    mean size?``"""
    close = nearest(knob, names)
    hint = f" Did you mean {close}?" if close else ""
    return f"{node} ({node_class}) has no knob named '{knob}'.{hint}"
