"""The in-memory node graph read from .nk text: nodes, their knobs (raw text) and wiring.

Names follow Nuke: ``Node.name`` is the short name, ``Node.parent`` the full name of
the enclosing group (``"Group1.Inner"``), and every reference between nodes
(``inputs``, ``clone_of``) is a full name so lookups never depend on context.
Knob values stay as the raw words of the file so writing them back is lossless.
A script read from text keeps that text (``Script.source``) and each node and
directive its place in it (``source``, ``src``), so the writer can reuse what did not
change.
"""

from __future__ import annotations

import copy
import re
from dataclasses import dataclass, field, fields
from typing import Any, Dict, Iterable, List, Optional, Set

from .nk_lexer import decode_value, split_words

__all__ = [
    "GROUP_CLASSES",
    "PASTE_INPUT",
    "ROOT_ANCHOR",
    "Node",
    "Directive",
    "Script",
    "full_name_of",
    "short_name",
    "parent_of",
    "name_base",
    "unique_name",
    "user_knob_name",
]

# Classes Nuke writes with their members inline, up to ``end_group``.
GROUP_CLASSES = frozenset({"Group", "Gizmo", "LiveGroup", "VariableGroup"})
PASTE_INPUT = "$cut_paste_input"
ROOT_ANCHOR = ""

_VALID_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")


def full_name_of(name: str, parent: Optional[str]) -> str:
    return f"{parent}.{name}" if parent else name


def short_name(full_name: str) -> str:
    return full_name.rsplit(".", 1)[-1]


def parent_of(full_name: str) -> Optional[str]:
    return full_name.rsplit(".", 1)[0] if "." in full_name else None


def name_base(name_or_class: str) -> str:
    """The stem Nuke numbers from: ``Merge2`` -> ``Merge``, ``Blur12`` -> ``Blur``,
    ``OFXuk.co.thefoundry.keylight.keylight_v201`` -> ``Keylight``."""
    base = name_or_class.rsplit(".", 1)[-1]
    base = re.sub(r"_v\d+$", "", base)
    base = re.sub(r"\d+$", "", base)
    base = re.sub(r"[^A-Za-z0-9_]", "_", base)
    if not base or not _VALID_NAME.match(base):
        base = "Node" + base
    return base[0].upper() + base[1:]


def unique_name(wanted: str, taken: Set[str], from_class: bool = False) -> str:
    """``wanted`` if free, else the lowest free ``<base>N`` (Nuke's renaming on clashes)."""
    if not from_class and wanted not in taken and _VALID_NAME.match(wanted):
        return wanted
    base = name_base(wanted)
    n = 1
    while f"{base}{n}" in taken:
        n += 1
    return f"{base}{n}"


def user_knob_name(definition: str) -> Optional[str]:
    """The knob name an ``addUserKnob {type name ...}`` definition declares (decoded:
    ``{1 "Screen Matte"}`` declares ``Screen Matte``)."""
    inner = definition[1:-1] if definition.startswith("{") and definition.endswith("}") else definition
    words = split_words(inner)
    return decode_value(words[1].raw) if len(words) > 1 else None


def _slotted(cls: type) -> type:
    """The dataclass ``cls`` made again with ``__slots__`` for its fields (what
    ``dataclass(slots=True)`` does on Python 3.10+): no per-instance dict, so a
    large script's many nodes take less memory and are freed sooner."""
    names = tuple(f.name for f in fields(cls))
    namespace = {k: v for k, v in cls.__dict__.items()
                 if k not in names and k not in ("__dict__", "__weakref__")}
    namespace["__slots__"] = names
    return type(cls.__name__, cls.__bases__, namespace)


@_slotted
@dataclass
class Node:
    """One node. ``knobs`` maps knob names to raw .nk text; ``inputs`` are full names
    (None: not connected; ``PASTE_INPUT``: the paste target); ``container`` overrides
    the class's own answer to "are members written inline" (None: by class)."""

    name: str
    node_class: str
    knobs: Dict[str, str] = field(default_factory=dict)
    inputs: List[Optional[str]] = field(default_factory=list)
    parent: Optional[str] = None
    selected: bool = False
    user_knobs: List[str] = field(default_factory=list)
    inputs_spec: Optional[str] = None
    clone_of: Optional[str] = None
    clone_header: Optional[str] = None
    name_pos: Optional[int] = None
    container: Optional[bool] = None
    # Where the node was read: the ``NkSource`` and its record there (None: made in memory).
    source: Any = field(default=None, compare=False, repr=False)
    src: Optional[int] = field(default=None, compare=False, repr=False)

    @property
    def full_name(self) -> str:
        return full_name_of(self.name, self.parent)

    @property
    def is_group(self) -> bool:
        if self.container is not None:
            return self.container
        return self.node_class in GROUP_CLASSES

    def user_knob_names(self) -> List[str]:
        return [n for n in (user_knob_name(d) for d in self.user_knobs) if n]

    def copy(self) -> "Node":
        return copy.deepcopy(self)


@dataclass
class Directive:
    """A non-node command kept verbatim (``version``, comments, ``add_layer``...).

    It is written before the node ``before`` (a full name, or ``ROOT_ANCHOR`` for the
    Root block), or at the end of ``parent``'s body when ``before`` is None.
    """

    text: str
    before: Optional[str]
    parent: Optional[str] = None
    source: Any = field(default=None, compare=False, repr=False)
    src: Optional[int] = field(default=None, compare=False, repr=False)


@dataclass
class Script:
    """A parsed script: Root knobs (raw), nodes in script order, directives kept
    verbatim, reader warnings, and (when read from text) the source it came from."""

    root: Dict[str, str] = field(default_factory=dict)
    nodes: List[Node] = field(default_factory=list)
    directives: List[Directive] = field(default_factory=list)
    root_user_knobs: List[str] = field(default_factory=list)
    has_root: bool = False
    warnings: List[str] = field(default_factory=list)
    source: Any = field(default=None, compare=False, repr=False)

    def index(self) -> Dict[str, Node]:
        return {n.full_name: n for n in self.nodes}

    def node(self, full_name: str) -> Optional[Node]:
        for n in self.nodes:
            if n.full_name == full_name:
                return n
        return None

    def children(self, parent: Optional[str]) -> List[Node]:
        return [n for n in self.nodes if n.parent == parent]

    def descendants(self, group: str) -> List[Node]:
        prefix = group + "."
        return [n for n in self.nodes if n.parent == group or (n.parent or "").startswith(prefix)]

    def names_in(self, parent: Optional[str]) -> Set[str]:
        return {n.name for n in self.nodes if n.parent == parent}

    def effective_knobs(self, node: Node, index: Optional[Dict[str, Node]] = None) -> Dict[str, str]:
        """A clone's knobs are its original's, overlaid with the few it owns (position...)."""
        if node.clone_of:
            original = index.get(node.clone_of) if index is not None else self.node(node.clone_of)
            if original is not None:
                merged = dict(original.knobs)
                merged.update(node.knobs)
                return merged
        return dict(node.knobs)

    def version(self) -> Optional[str]:
        for d in self.directives:
            if d.text.startswith("version "):
                return d.text
        return None

    def add_node(self, node: Node) -> None:
        """Insert in script order: root-level nodes at the end, group members after the
        group's last descendant so the list stays in the order a writer emits it."""
        if node.parent is None:
            self.nodes.append(node)
            return
        last = None
        for i, n in enumerate(self.nodes):
            if n.full_name == node.parent or (n.parent or "") == node.parent or (
                (n.parent or "").startswith(node.parent + ".")
            ):
                last = i
        if last is None:
            self.nodes.append(node)
        else:
            self.nodes.insert(last + 1, node)

    def rename(self, full_name: str, new_short: str) -> str:
        """Rename a node (and re-home its descendants); every reference follows."""
        node = self.node(full_name)
        if node is None:
            raise KeyError(full_name)
        new_full = full_name_of(new_short, node.parent)
        mapping = {full_name: new_full}
        prefix = full_name + "."
        for n in self.nodes:
            fn = n.full_name
            if fn.startswith(prefix):
                mapping[fn] = new_full + fn[len(full_name):]
        node.name = new_short
        for n in self.nodes:
            if n.parent is not None and (n.parent == full_name or n.parent.startswith(prefix)):
                n.parent = new_full + n.parent[len(full_name):]
        self.remap(mapping)
        return new_full

    def remap(self, mapping: Dict[str, str]) -> None:
        """Rewrite references (inputs, clones, directive anchors) through ``mapping``."""
        for n in self.nodes:
            n.inputs = [mapping.get(i, i) if i else i for i in n.inputs]
            if n.clone_of:
                n.clone_of = mapping.get(n.clone_of, n.clone_of)
        for d in self.directives:
            if d.before:
                d.before = mapping.get(d.before, d.before)
            if d.parent:
                d.parent = mapping.get(d.parent, d.parent)

    def with_members(self, full_names: Iterable[str]) -> Set[str]:
        """``full_names`` plus every node inside any group among them, at any depth."""
        chosen: Set[str] = set(full_names)
        for n in self.nodes:
            parent = n.parent
            while parent:
                if parent in chosen:
                    chosen.add(n.full_name)
                    break
                parent = parent_of(parent)
        return chosen

    def remove(self, full_names: Iterable[str]) -> None:
        """Delete nodes (groups take their members); inputs that pointed at them go empty,
        and a deleted clone original hands its knobs to its first surviving clone."""
        doomed = self.with_members(full_names)
        survivors = [n for n in self.nodes if n.full_name not in doomed]
        by_name = {n.full_name: n for n in self.nodes}
        promoted: Dict[str, str] = {}
        for n in survivors:
            if n.clone_of in doomed:
                if n.clone_of not in promoted:
                    original = by_name[n.clone_of]
                    merged = dict(original.knobs)
                    merged.update(n.knobs)
                    n.knobs = merged
                    n.user_knobs = list(original.user_knobs)
                    promoted[n.clone_of] = n.full_name
                    n.clone_of = None
                else:
                    n.clone_of = promoted[n.clone_of]
        for n in survivors:
            n.inputs = [None if i in doomed else i for i in n.inputs]
        next_alive: Dict[str, Optional[str]] = {}
        pending: List[str] = []
        for n in self.nodes:
            if n.full_name in doomed:
                pending.append(n.full_name)
                continue
            for p in pending:
                if parent_of(p) == n.parent:
                    next_alive[p] = n.full_name
            pending = [p for p in pending if p not in next_alive]
        self.nodes = survivors
        for d in self.directives:
            if d.before in doomed:
                d.before = next_alive.get(d.before)
        self.directives = [d for d in self.directives if d.parent not in doomed]

    def copy(self) -> "Script":
        return copy.deepcopy(self)
