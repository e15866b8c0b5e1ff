"""Find expression references to nodes or knobs that do not exist (``dangling_reference``).

Where references live, following Nuke's knob naming (Python API, ``nuke.knob``: a name
is a dot-separated path, searched "against the knobs in the current node, then against
the nodes in the group containing the current node ... on up to the root"; ``this``,
``parent``, ``root`` and ``input`` are keywords):

* expression knob values: ``{{Blur1.size}}``, array items ``{1 {parent.gain} 1 1}``;
* the expression strings of Expression-like nodes (``expr0``, ``temp_expr0``...);
* TCL in any text value: ``[value Blur1.size]``, ``[knob Blur1.size]``.

Python knobs (``knobChanged``, ``onCreate``...) and ``[python ...]`` are not read, and
a dotted word is only a reference when its first part is not a knob of the node itself
(``size.w`` is a field) nor a layer (``rgba.red``). A referenced node of an unknown,
partial or open class (group, gizmo) accepts any knob name.
"""

from __future__ import annotations

import re
from typing import Any, Callable, Dict, Iterable, List, Optional, Set

from .catalogue import ClassInfo, nearest
from .nk_lexer import decode_value
from .nk_model import Node, Script, parent_of

__all__ = ["reference_checker", "references_in"]

_PYTHON_KNOBS = frozenset({
    "knobChanged", "onCreate", "onDestroy", "updateUI", "autolabel", "onScriptLoad", "onScriptSave",
    "onScriptClose", "beforeRender", "beforeFrameRender", "afterFrameRender", "afterRender",
    "renderProgress", "kernelSource", "KernelDescription", "script", "curves", "toolbox", "help",
    "define_window_layout_xml", "tracks", "mappings", "serializeKnob", "cornerPinOptions",
})
_EXPRESSION_CLASSES = frozenset({"Expression", "MergeExpression", "DeepExpression", "ParticleExpression"})
_EXPRESSION_KNOB = re.compile(r"^(temp_)?expr\d*$")
_LAYERS = frozenset({"rgba", "rgb", "alpha", "depth", "forward", "backward", "motion", "mask",
                     "rotopaint_mask", "mask_extra", "deep", "disparityL", "disparityR", "other"})
_KEYWORDS = frozenset({"this", "parent", "root", "input", "thisNode", "thisGroup"})
# What an expression can read from any node besides its knobs: its image's format and
# box (``Read1.width``, ``bbox.x``, ``format.pixel_aspect``), frame range and name.
_NODE_ATTRIBUTES = frozenset({
    "width", "height", "pixel_aspect", "bbox", "format", "first_frame", "last_frame", "frame",
    "x", "y", "r", "t", "w", "h", "name", "label", "knob", "input", "parent", "dependent",
})
_INPUT_WORD = re.compile(r"^input\d*$")
_DOTTED = re.compile(r"(?<![\w.$\\])([A-Za-z_]\w*(?:\.[A-Za-z_]\w*)+)")
_TCL_REF = re.compile(r"(?<!\\)\[\s*(?:value|knob)\s+(?:-\w+\s+)*([A-Za-z_][\w.]*)")
_QUOTED = re.compile(r'"(?:\\.|[^"\\])*"')

Finding = Dict[str, Optional[str]]


def _strip_brackets(text: str, python_only: bool) -> str:
    """Drop ``[python ...]`` (and, for expression scanning, every ``[...]``) spans."""
    out = []
    depth = 0
    i = 0
    while i < len(text):
        ch = text[i]
        if ch == "[" and (text[i - 1] if i else "") != "\\":
            if depth == 0:
                head = text[i + 1:i + 8].lstrip()
                if python_only and not head.startswith("python"):
                    out.append(ch)
                    i += 1
                    continue
            depth += 1
        elif ch == "]" and depth:
            depth -= 1
            i += 1
            continue
        if depth == 0:
            out.append(ch)
        i += 1
    return "".join(out)


def references_in(node_class: str, knob: str, raw: str) -> List[str]:
    """The dotted names (``Blur1.size``) and TCL knob paths a knob's value refers to."""
    if knob in _PYTHON_KNOBS:
        return []
    refs = [m.group(1) for m in _TCL_REF.finditer(_strip_brackets(raw, python_only=True))]
    expression = "{{" in raw or (raw.startswith("{") and "{" in raw[1:])
    if node_class in _EXPRESSION_CLASSES and _EXPRESSION_KNOB.match(knob):
        expression = True
        raw = decode_value(raw)
    if expression:
        text = _QUOTED.sub(" ", _strip_brackets(raw, python_only=False))
        refs += [m.group(1) for m in _DOTTED.finditer(text)]
    return [r for r in refs if "." in r]


class _Resolver:
    def __init__(self, script: Script, index: Dict[str, Node], info_of: Callable[[str], Optional[ClassInfo]],
                 common: Dict[str, Any], external: Iterable[str] = ()) -> None:
        self.script = script
        self.index = index
        self.info_of = info_of
        self.common = common
        self.external = set(external)
        self.layers = set(_LAYERS) | _added_layers(script)

    def knobs_of(self, node: Optional[Node]) -> Optional[Set[str]]:
        """Knob names a node has, or None when any name may exist (open/partial/unknown)."""
        if node is None:
            names = set(self.script.root) | set(self.common)
            info = self.info_of("Root")
            if info is not None:
                names |= set(info.knobs)
            return names | user_names(self.script.root_user_knobs)
        info = self.info_of(node.node_class)
        if info is None or info.is_open or not info.complete:
            return None
        own = set(self.script.effective_knobs(node, self.index))
        return set(info.knobs) | set(self.common) | own | set(node.user_knob_names())

    def has_knob(self, node: Optional[Node], knob: str) -> bool:
        names = self.knobs_of(node)
        if names is None or knob in names or knob in ("input", "parent", "name") or _INPUT_WORD.match(knob):
            return True
        info = self.info_of(node.node_class) if node is not None else None
        return bool(info and info.has_knob(knob, self.common))

    def _enclosing_knob(self, node: Node, knob: str) -> bool:
        """Nuke looks a bare knob name up on the node, then on each group around it."""
        own = self.knobs_of(node)
        if own is not None and knob in own:
            return True
        if knob in node.knobs or knob in node.user_knob_names():
            return True
        group = node.parent
        while group:
            owner = self.index.get(group)
            if owner is not None and (knob in owner.knobs or knob in owner.user_knob_names()):
                return True
            group = parent_of(group)
        return knob in self.script.root or knob in user_names(self.script.root_user_knobs)

    def find_node(self, name: str, start: Optional[str]) -> Optional[Node]:
        """``name`` looked up in group ``start`` (a full name or None), then its parents."""
        group = start
        while True:
            full = f"{group}.{name}" if group else name
            if full in self.index:
                return self.index[full]
            if group is None:
                return None
            group = parent_of(group)

    def visible_names(self, start: Optional[str]) -> List[str]:
        names: List[str] = []
        group = start
        while True:
            names += [n.name for n in self.script.nodes if n.parent == group]
            if group is None:
                return names
            group = parent_of(group)

    def check(self, node: Node, ref: str) -> Optional[Finding]:
        parts = ref.split(".")
        head = parts[0]
        if _INPUT_WORD.match(head) or head in ("thisNode", "thisGroup"):
            return None
        if head == "this":
            return self._knob_path(node, node, parts[1:], ref)
        if head == "parent":
            if node.parent is None:
                if not self.script.has_root:
                    return None  # a snippet's top level: the group it lands in is unknown
                return self._path(node, None, parts[1:], ref, root=True)
            return self._path(node, self.index.get(node.parent), parts[1:], ref)
        if head == "root":
            return self._path(node, None, parts[1:], ref, root=True)
        if head in _NODE_ATTRIBUTES or self._enclosing_knob(node, head):
            return None  # a field of a knob of the node or of a group around it: size.w
        if head in self.layers or head in self.external or ref in self.external:
            return None
        start = node.full_name if node.is_group else node.parent
        target = self.find_node(head, start)
        if target is None:
            if self.knobs_of(node) is None:
                return None  # an open/partial node may own a knob called head
            guess = nearest(head, self.visible_names(start))
            return _finding(node, ref, f"{guess}.{'.'.join(parts[1:])}" if guess else None)
        return self._path(node, target, parts[1:], ref)

    def _path(self, node: Node, target: Optional[Node], rest: List[str], ref: str, root: bool = False) -> Optional[Finding]:
        """Walk ``Group.Child.knob`` from ``target`` (None: the Root)."""
        while rest:
            group_name = (target.full_name if target is not None else None)
            if target is not None and (rest[0] in target.knobs or rest[0] in target.user_knob_names()):
                return None  # Nuke tries a group's own knobs before its children
            if (target is None and root) or (target is not None and target.is_group):
                child = f"{group_name}.{rest[0]}" if group_name else rest[0]
                if child in self.index:
                    target = self.index[child]
                    rest = rest[1:]
                    root = False
                    continue
            return self._knob_path(node, target, rest, ref)
        return None

    def _knob_path(self, node: Node, target: Optional[Node], rest: List[str], ref: str) -> Optional[Finding]:
        if not rest or rest[0] in _KEYWORDS or rest[0] in _NODE_ATTRIBUTES or self.has_knob(target, rest[0]):
            return None
        names = self.knobs_of(target) or set()
        guess = nearest(rest[0], names)
        prefix = ref[: len(ref) - len(".".join(rest))]
        return _finding(node, ref, f"{prefix}{guess}" if guess else None)


def _finding(node: Node, ref: str, suggestion: Optional[str]) -> Finding:
    return {"node": node.full_name, "kind": "dangling_reference", "name": ref, "suggestion": suggestion}


def user_names(definitions: List[str]) -> Set[str]:
    """The knob names a list of ``addUserKnob`` definitions declares (the Root's, for lint)."""
    from .nk_model import user_knob_name

    return {decode_value(n) for n in (user_knob_name(d) for d in definitions) if n}


def _added_layers(script: Script) -> Set[str]:
    layers = set()
    for d in script.directives:
        m = re.match(r"^\s*add_layer\s*\{\s*([A-Za-z_]\w*)", d.text)
        if m:
            layers.add(m.group(1))
    return layers


def reference_checker(script: Script, index: Dict[str, Node],
                      info_of: Callable[[str], Optional[ClassInfo]], common: Dict[str, Any],
                      external: Iterable[str] = ()) -> Callable[[Node], List[Finding]]:
    """``check(node)`` -> ``dangling_reference`` findings for one node's own knob values.
    ``external``: names of nodes that exist outside the text (the comp a snippet is
    pasted into); they accept any knob."""
    resolver = _Resolver(script, index, info_of, common, external)

    def check(node: Node) -> List[Finding]:
        out: List[Finding] = []
        seen: Set[str] = set()
        for knob, raw in node.knobs.items():
            for ref in references_in(node.node_class, knob, raw):
                if ref in seen:
                    continue
                seen.add(ref)
                finding = resolver.check(node, ref)
                if finding:
                    out.append(finding)
        return out

    return check
