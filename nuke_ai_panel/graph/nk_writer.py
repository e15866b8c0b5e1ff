"""Write a ``Script`` back to .nk text, rebuilding the stack operations that wire it.

Each parent's nodes are written in script order (inputs first when edits broke that
order). Before a node, its inputs are pushed deepest-first (``push $N..``/``push 0``/
``push $cut_paste_input``), reusing the node just written when it is the input it
needs; a node referenced again later gets ``set N.. [stack 0]``, a clone original
``set C.. [stack 0]``. Knob values are written exactly as they were read.
"""

from __future__ import annotations

from typing import Dict, List, Optional, Sequence, Set

from .nk_lexer import decode_value
from .nk_model import (
    PASTE_INPUT,
    ROOT_ANCHOR,
    Directive,
    Node,
    Script,
    unique_name,
    user_knob_name,
)

__all__ = ["write_script", "extract_nodes"]

_POSITION_KNOBS = ("xpos", "ypos")


def _count(spec: str) -> Optional[int]:
    try:
        return sum(int(p) for p in decode_value(spec).split("+"))
    except ValueError:
        return None


class _Writer:
    def __init__(self, script: Script) -> None:
        self.script = script
        self.by_parent: Dict[Optional[str], List[Node]] = {}
        for n in script.nodes:
            self.by_parent.setdefault(n.parent, []).append(n)
        self.index = {n.full_name: n for n in script.nodes}
        self.serial = {n.full_name: i + 1 for i, n in enumerate(script.nodes)}
        self.cloned = {n.clone_of for n in script.nodes if n.clone_of}
        self.needs_var: Set[str] = set()
        self.written: Set[str] = set()
        self.before: Dict[Optional[str], List[str]] = {}
        self.at_end: Dict[Optional[str], List[str]] = {}
        for d in script.directives:
            if d.before is None or (d.before != ROOT_ANCHOR and d.before not in self.index):
                self.at_end.setdefault(d.parent if d.parent in self.index else None, []).append(d.text)
            else:
                self.before.setdefault(d.before, []).append(d.text)

    def var(self, full_name: str) -> str:
        return f"N{self.serial[full_name]:x}"

    def cvar(self, full_name: str) -> str:
        return f"C{self.serial[full_name]:x}"

    def ordered(self, parent: Optional[str]) -> List[Node]:
        order: List[Node] = []
        seen: Set[str] = set()
        for start in self.by_parent.get(parent, []):
            if start.full_name in seen:
                continue
            seen.add(start.full_name)
            todo = [(start, iter(self.deps(start, parent)))]
            while todo:
                node, deps = todo[-1]
                dep = next(deps, None)
                if dep is None:
                    todo.pop()
                    order.append(node)
                elif dep.full_name not in seen:
                    seen.add(dep.full_name)
                    todo.append((dep, iter(self.deps(dep, parent))))
        return order

    def deps(self, node: Node, parent: Optional[str]) -> List[Node]:
        """Siblings that must be written before ``node``: its inputs and clone original."""
        refs = list(node.inputs) + ([node.clone_of] if node.clone_of else [])
        found = [self.index.get(r) for r in refs if r]
        return [n for n in found if n is not None and n.parent == parent]

    def walk(self, parent: Optional[str], depth: int, out: Optional[List[str]]) -> None:
        stack: List[Optional[str]] = []
        pad = " " * depth
        for node in self.ordered(parent):
            name = node.full_name
            if out is not None:
                out.extend(self.before.get(name, []))
            refs = list(node.inputs)
            start = len(refs)
            if refs and stack and refs[-1] not in (None, PASTE_INPUT) and stack[-1] == refs[-1]:
                start -= 1
                stack.pop()
            for ref in reversed(refs[:start]):
                if ref is None:
                    op = "push 0"
                elif ref == PASTE_INPUT:
                    op = "push $cut_paste_input"
                elif ref in self.written:
                    self.needs_var.add(ref)
                    op = f"push ${self.var(ref)}"
                else:
                    op = "push 0"
                if out is not None:
                    out.append(pad + op)
            stack.append(name)
            if out is not None:
                out.extend(self.block(node, depth))
            self.written.add(name)
            if node.is_group:
                self.walk(name, depth + 1, out)
                if out is not None:
                    out.extend(self.at_end.get(name, []))
                    out.append(pad + "end_group")
            if out is not None:
                if name in self.cloned:
                    out.append(f"{pad}set {self.cvar(name)} [stack 0]")
                if name in self.needs_var:
                    out.append(f"{pad}set {self.var(name)} [stack 0]")

    def block(self, node: Node, depth: int) -> List[str]:
        pad = " " * depth
        kp = pad + " "
        clone = node.clone_of is not None and node.clone_of in self.written
        if clone:
            head = f"{pad}clone ${self.cvar(node.clone_of)} {{"
        elif node.clone_header:
            head = f"{pad}clone {node.clone_header} {node.node_class} {{"
        else:
            head = f"{pad}{node.node_class} {{"
        lines = [head]
        k = len(node.inputs)
        spec = node.inputs_spec
        if spec is None or _count(spec) != k:
            spec = None if k == 1 else str(k)
        if spec is not None:
            lines.append(f"{kp}inputs {spec}")
        user = set(node.user_knob_names())
        regular = [(key, v) for key, v in node.knobs.items() if key not in user]
        naming = [] if clone else [f"{kp}name {node.name}"]
        if node.selected:
            naming.append(f"{kp}selected true")
        pos = node.name_pos
        if pos is None:
            pos = next((i for i, (key, _) in enumerate(regular) if key in _POSITION_KNOBS), len(regular))
        for i, (key, value) in enumerate(regular):
            if i == pos:
                lines.extend(naming)
                naming = []
            lines.append(f"{kp}{key} {value}")
        lines.extend(naming)
        done: Set[str] = set()
        for definition in node.user_knobs:
            lines.append(f"{kp}addUserKnob {definition}")
            knob = user_knob_name(definition)
            if knob and knob in node.knobs and knob not in done:
                lines.append(f"{kp}{knob} {node.knobs[knob]}")
                done.add(knob)
        lines.append(f"{pad}}}")
        return lines

    def root_block(self) -> List[str]:
        lines = ["Root {", " inputs 0"]
        lines.extend(f" {k} {v}" for k, v in self.script.root.items())
        lines.extend(f" addUserKnob {d}" for d in self.script.root_user_knobs)
        lines.append("}")
        return lines

    def write(self, snippet: bool) -> str:
        self.walk(None, 0, None)
        self.written.clear()
        out: List[str] = []
        if snippet or any(PASTE_INPUT in n.inputs for n in self.script.nodes):
            out.append("set cut_paste_input [stack 0]")
        out.extend(self.before.get(ROOT_ANCHOR, []))
        if self.script.has_root:
            out.extend(self.root_block())
        self.walk(None, 0, out)
        out.extend(self.at_end.get(None, []))
        return "\n".join(out) + "\n"


def write_script(script: Script, *, snippet: bool = False) -> str:
    """.nk text for ``script``; ``snippet`` starts it the way ``nuke.nodeCopy`` does."""
    return _Writer(script).write(snippet)


def extract_nodes(script: Script, names: Sequence[str]) -> Script:
    """The named nodes (groups with their contents) as a stand-alone snippet, the way
    ``nuke.nodeCopy`` sees a selection: top nodes selected and moved to root level, the
    first input from outside the selection becomes the paste input, others go empty,
    and a clone whose original is left out becomes a plain copy."""
    index = script.index()
    chosen = script.with_members(name for name in names if name in index)
    picked = [n for n in script.nodes if n.full_name in chosen]
    tops = [n for n in picked if n.parent not in chosen]
    top_names = {n.full_name for n in tops}
    mapping: Dict[str, str] = {}
    taken: Set[str] = set()
    for top in tops:
        new = unique_name(top.name, taken)
        taken.add(new)
        mapping[top.full_name] = new
    for n in picked:
        if n.full_name in mapping:
            continue
        parent = n.parent or ""
        while parent and parent not in mapping:
            parent = parent.rsplit(".", 1)[0] if "." in parent else ""
        rest = n.full_name[len(parent) + 1:]
        mapping[n.full_name] = f"{mapping[parent]}.{rest}"
    out: List[Node] = []
    paste_used = False
    for n in picked:
        copy = n.copy()
        new_full = mapping[n.full_name]
        copy.parent = new_full.rsplit(".", 1)[0] if "." in new_full else None
        copy.name = new_full.rsplit(".", 1)[-1]
        inputs: List[Optional[str]] = []
        for ref in n.inputs:
            if ref in mapping:
                inputs.append(mapping[ref])
            elif ref and not paste_used and n.full_name in top_names:
                inputs.append(PASTE_INPUT)
                paste_used = True
            else:
                inputs.append(None)
        copy.inputs = inputs
        if n.clone_of and n.clone_of not in mapping:
            copy.knobs = script.effective_knobs(n, index)
            copy.clone_of = None
            original = index.get(n.clone_of)
            if original is not None:
                copy.user_knobs = list(original.user_knobs)
                copy.name_pos = None
        elif n.clone_of:
            copy.clone_of = mapping[n.clone_of]
        if n.full_name in top_names:
            copy.selected = True
        out.append(copy)
    version = script.version()
    directives = [Directive(version, ROOT_ANCHOR)] if version else []
    return Script(nodes=out, directives=directives)
