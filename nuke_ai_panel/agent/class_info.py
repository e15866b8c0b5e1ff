"""Where ``node_class_info`` (and the write tools' knob and input checks) learn what a node
class has: a pluggable source, so the catalogue of DESIGN section 12 or Nuke's live data
can answer.

A source is any object with ``class_info(name) -> dict | None``. The dict::

    {"class": "Blur",
     "knobs": [{"name": "size", "type": "WH_Knob", "default": 0}, ...],  # type/default may be None
     "inputs": 2,            # how many inputs the class takes (an int, {"max": n} or a list of labels), or None
     "partial": False,       # True: the knob list holds only what was seen, not every knob
     "source": "catalogue, Nuke 15.1"}

None means "this source does not know the class" (not "the class does not exist"). A
source may also offer ``known_classes() -> list`` for "did you mean" suggestions. The
catalogue plugs in with a small adapter over ``catalogue.class_info(name, version)``.
"""

from __future__ import annotations

from typing import Any, Dict, List, Optional, Protocol, Set, runtime_checkable

from ..graph.host import Host

__all__ = ["ClassInfoSource", "HostClassInfo", "ChainedClassInfo", "knob_names", "max_inputs",
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
    if isinstance(value, dict):
        value = value.get("max")
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

