"""Read and write Nuke's .nk script text, and the ``graph --json`` view of it.

Parsing replays the script the way Nuke does: each node block pops its ``inputs``
(1 when the line is absent, whatever the class) off a stack, input 0 on top; ``push
$N``/``push 0``/``set N [stack 0]`` move stack entries around; ``Group``/``Gizmo``
bodies run on their own stack until ``end_group``; ``clone $C {...}`` makes a node
sharing its original's knobs. Anything else (``version``, comments, ``add_layer``,
unknown commands) is kept verbatim, as are unknown node classes.
"""

from __future__ import annotations

import re
from typing import Any, Dict, List, Optional, Set, Union

from .nk_lexer import (
    Command,
    NkParseError,
    Word,
    decode_value,
    is_braced,
    split_commands,
    split_words,
)
from .nk_model import (
    GROUP_CLASSES,
    PASTE_INPUT,
    ROOT_ANCHOR,
    Directive,
    Node,
    Script,
    unique_name,
)
from .nk_root import root_info_from_knobs
from .nk_writer import write_script

__all__ = [
    "NkParseError",
    "Node",
    "Script",
    "Directive",
    "PASTE_INPUT",
    "parse_script",
    "load_script",
    "write_script",
    "graph_json",
    "root_info",
]

_CLASS_WORD = re.compile(r"^[A-Za-z_][A-Za-z0-9_.]*$")
_STACK_REF = re.compile(r"^\[\s*stack\s+(\d+)\s*\]$")
_NON_NODE_COMMANDS = frozenset({"define_window_layout_xml", "add_layer", "version", "knob", "in"})


class _Paste:
    """Stands on the stack for the node selected when a snippet is pasted."""


_PASTE = _Paste()


class _PNode:
    __slots__ = (
        "name", "node_class", "knobs", "user_knobs", "inputs", "parent", "selected",
        "inputs_spec", "clone_of", "clone_header", "name_pos", "line",
    )

    def __init__(self, node_class: str, parent: Optional["_PNode"], line: int) -> None:
        self.name: Optional[str] = None
        self.node_class = node_class
        self.knobs: Dict[str, str] = {}
        self.user_knobs: List[str] = []
        self.inputs: List[Any] = []
        self.parent = parent
        self.selected = False
        self.inputs_spec: Optional[str] = None
        self.clone_of: Optional[_PNode] = None
        self.clone_header: Optional[str] = None
        self.name_pos: Optional[int] = None
        self.line = line


def _input_count(spec: str) -> Optional[int]:
    try:
        return sum(int(p) for p in spec.split("+"))
    except ValueError:
        return None


class _Parser:
    def __init__(self, paste: bool) -> None:
        self.paste = paste
        self.stack: List[Any] = [_PASTE] if paste else []
        self.vars: Dict[str, Any] = {}
        self.groups: List[tuple] = []
        self.nodes: List[_PNode] = []
        self.root: Dict[str, str] = {}
        self.root_user_knobs: List[str] = []
        self.has_root = False
        self.warnings: List[str] = []
        self.pending: List[tuple] = []
        self.directives: List[tuple] = []

    @property
    def parent(self) -> Optional[_PNode]:
        return self.groups[-1][0] if self.groups else None

    def warn(self, line: int, message: str) -> None:
        self.warnings.append(f"line {line}: {message}")

    def keep(self, cmd: Command) -> None:
        self.pending.append((cmd.text, self.parent))

    def anchor_pending(self, target: Any, parent: Optional[_PNode]) -> None:
        still = []
        for text, owner in self.pending:
            if owner is parent:
                self.directives.append((text, target, parent))
            else:
                still.append((text, owner))
        self.pending = still

    def run(self, text: str) -> None:
        for cmd in split_commands(text):
            self.command(cmd)
        while self.groups:
            group = self.groups[-1][0]
            self.warn(group.line, f"group {group.name or group.node_class} has no end_group")
            self.end_group(group.line)
        for text_, owner in self.pending:
            self.directives.append((text_, None, owner))
        self.pending = []

    def command(self, cmd: Command) -> None:
        words = cmd.words
        head = words[0].raw
        if cmd.comment:
            self.keep(cmd)
        elif head == "push":
            self.push(words, cmd.line)
        elif head == "set" and len(words) == 3 and _STACK_REF.match(words[2].raw):
            depth = int(_STACK_REF.match(words[2].raw).group(1))
            self.vars[words[1].raw] = self.stack[-1 - depth] if depth < len(self.stack) else None
        elif head == "end_group":
            if self.groups:
                self.end_group(cmd.line)
            else:
                self.warn(cmd.line, "end_group without an open group (ignored)")
        elif head == "clone" and len(words) >= 3 and is_braced(words[-1].raw):
            self.clone(words, cmd.line)
        elif (
            len(words) == 2
            and is_braced(words[1].raw)
            and head not in _NON_NODE_COMMANDS
            and _CLASS_WORD.match(head)
        ):
            if head == "Root":
                self.root_block(words[1], cmd.line)
            else:
                self.node(head, words[1], cmd.line)
        else:
            if head not in _NON_NODE_COMMANDS and head != "set":
                self.warn(cmd.line, f"kept unrecognised command '{head}'")
            self.keep(cmd)

    def push(self, words: List[Word], line: int) -> None:
        arg = words[1].raw if len(words) > 1 else "0"
        if arg.startswith("$"):
            var = arg[1:]
            if var in self.vars:
                self.stack.append(self.vars[var])
            elif var == "cut_paste_input" and self.paste:
                self.stack.append(_PASTE)
            else:
                if var != "cut_paste_input":
                    self.warn(line, f"push of undefined variable ${var} (empty input)")
                self.stack.append(None)
        else:
            if arg != "0":
                self.warn(line, f"push {arg} is not a node (empty input)")
            self.stack.append(None)

    def body(self, pnode: _PNode, body: Word, root: bool = False) -> None:
        words = split_words(body.raw[1:-1], body.line)
        i = 0
        while i < len(words):
            key = words[i].raw
            if i + 1 < len(words):
                value = words[i + 1].raw
            else:
                self.warn(words[i].line, f"knob '{key}' has no value")
                value = ""
            i += 2
            if key == "addUserKnob":
                pnode.user_knobs.append(value)
            elif key == "inputs":
                pnode.inputs_spec = value
            elif root:
                pnode.knobs[key] = value
            elif key == "name":
                pnode.name = decode_value(value)
                pnode.name_pos = len(pnode.knobs)
            elif key == "selected":
                pnode.selected = decode_value(value).lower() in ("true", "1")
            else:
                pnode.knobs[key] = value

    def root_block(self, body: Word, line: int) -> None:
        probe = _PNode("Root", None, line)
        self.body(probe, body, root=True)
        self.root = probe.knobs
        self.root_user_knobs = probe.user_knobs
        self.has_root = True
        self.anchor_pending(ROOT_ANCHOR, self.parent)

    def take_inputs(self, pnode: _PNode, line: int) -> None:
        count = 1
        if pnode.inputs_spec is not None:
            parsed = _input_count(decode_value(pnode.inputs_spec))
            if parsed is None:
                self.warn(line, f"unreadable inputs '{pnode.inputs_spec}' (taken as 1)")
            else:
                count = parsed
        pnode.inputs = [self.stack.pop() if self.stack else None for _ in range(count)]

    def node(self, node_class: str, body: Word, line: int, clone_header: Optional[str] = None) -> _PNode:
        pnode = _PNode(node_class, self.parent, line)
        pnode.clone_header = clone_header
        self.body(pnode, body)
        self.add(pnode, line)
        if node_class in GROUP_CLASSES:
            self.groups.append((pnode, self.stack))
            self.stack = []
        return pnode

    def add(self, pnode: _PNode, line: int) -> None:
        self.take_inputs(pnode, line)
        self.anchor_pending(pnode, pnode.parent)
        self.nodes.append(pnode)
        self.stack.append(pnode)

    def clone(self, words: List[Word], line: int) -> None:
        ref = words[1].raw
        if ref.startswith("$") and len(words) == 3:
            original = self.vars.get(ref[1:])
            if not isinstance(original, _PNode):
                raise NkParseError(f"clone refers to {ref}, which names no node", line)
            pnode = _PNode(original.node_class, self.parent, line)
            pnode.clone_of = original
            self.body(pnode, words[2])
            self.add(pnode, line)
            return
        if len(words) >= 4 and _CLASS_WORD.match(words[-2].raw):
            header = " ".join(w.raw for w in words[1:-2])
            self.node(words[-2].raw, words[-1], line, clone_header=header)
            return
        raise NkParseError("clone needs '$C<id> {...}' or '<id> <Class> {...}'", line)

    def end_group(self, line: int) -> None:
        group, outer = self.groups.pop()
        self.anchor_pending(None, group)
        self.stack = outer


def _assign_names(pnodes: List[_PNode], warnings: List[str]) -> None:
    taken: Dict[Optional[int], Set[str]] = {}
    for p in pnodes:
        key = id(p.parent) if p.parent else None
        names = taken.setdefault(key, set())
        if p.name is None:
            continue
        if p.name in names:
            new = unique_name(p.name, names)
            warnings.append(f"line {p.line}: duplicate node name {p.name} renamed {new}")
            p.name = new
        names.add(p.name)
    for p in pnodes:
        if p.name is None:
            names = taken.setdefault(id(p.parent) if p.parent else None, set())
            p.name = unique_name(p.node_class, names, from_class=True)
            names.add(p.name)


def _full(p: _PNode) -> str:
    parts = [p.name]
    parent = p.parent
    while parent is not None:
        parts.append(parent.name)
        parent = parent.parent
    return ".".join(reversed(parts))


def parse_script(text: str, *, paste: bool = False) -> Script:
    """Parse .nk text. With ``paste``, the stack starts with the paste target, so
    dangling inputs come back as ``PASTE_INPUT`` (what ``nodePaste`` wires to the
    selected node). Raises ``NkParseError`` (with a line) on unbalanced text."""
    if text.startswith("\ufeff"):
        text = text[1:]
    text = text.replace("\r\n", "\n")
    parser = _Parser(paste)
    parser.run(text)
    _assign_names(parser.nodes, parser.warnings)
    full = {id(p): _full(p) for p in parser.nodes}

    def ref(value: Any) -> Optional[str]:
        if value is None:
            return None
        if value is _PASTE:
            return PASTE_INPUT
        return full[id(value)]

    nodes = []
    for p in parser.nodes:
        nodes.append(
            Node(
                name=p.name or "",
                node_class=p.node_class,
                knobs=p.knobs,
                inputs=[ref(i) for i in p.inputs],
                parent=full[id(p.parent)] if p.parent else None,
                selected=p.selected,
                user_knobs=p.user_knobs,
                inputs_spec=p.inputs_spec,
                clone_of=full[id(p.clone_of)] if p.clone_of else None,
                clone_header=p.clone_header,
                name_pos=p.name_pos,
            )
        )
    directives = []
    for text_, target, owner in parser.directives:
        if target is ROOT_ANCHOR:
            before: Optional[str] = ROOT_ANCHOR
        elif target is None:
            before = None
        else:
            before = full[id(target)]
        directives.append(Directive(text_, before, full[id(owner)] if owner else None))
    return Script(
        root=parser.root,
        nodes=nodes,
        directives=directives,
        root_user_knobs=parser.root_user_knobs,
        has_root=parser.has_root,
        warnings=parser.warnings,
    )


def load_script(path: str) -> Script:
    """Read a .nk/.gizmo file (UTF-8; Latin-1 bytes are tolerated) and parse it."""
    with open(path, "rb") as fh:
        data = fh.read()
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        text = data.decode("latin-1")
    return parse_script(text)


def root_info(script: Script) -> Dict[str, Any]:
    return root_info_from_knobs(script.root)


def _ref_for_json(ref: Optional[str], parent: Optional[str]) -> Optional[str]:
    """Sibling inputs by short name (the usual case), anything else by full name."""
    if ref and parent and ref.startswith(parent + ".") and "." not in ref[len(parent) + 1:]:
        return ref[len(parent) + 1:]
    return ref


def graph_json(script: Script) -> Dict[str, Union[Dict[str, Any], List[Dict[str, Any]]]]:
    """The ``graph --json`` document (DESIGN section 7): root settings, then every node
    in script order with its class, inputs (sibling names or null), raw knob text and
    parent group. A clone reports the knobs it shares with its original."""
    nodes = []
    index = script.index()
    for n in script.nodes:
        nodes.append(
            {
                "name": n.name,
                "class": n.node_class,
                "inputs": [_ref_for_json(i, n.parent) for i in n.inputs],
                "knobs": script.effective_knobs(n, index),
                "parent": n.parent,
            }
        )
    return {"root": root_info(script), "nodes": nodes}
