"""Write a ``Script`` back to .nk text.

A script read from text is written from that text (``Script.source``): every
command whose meaning is unchanged is copied byte for byte, with the whitespace
before it, so an unedited script comes back identical. The writer replays the
original commands against the graph as it is now, on a model of Nuke's stack:

- a node block is copied when the node still says what its block says, else
  rewritten line by line (``nk_blocks.edit_block``); a deleted node's block goes;
- the ``push``/``set`` lines before a node are copied when, replayed, they still
  hand the node exactly its current inputs; otherwise only that node's pushes are
  written anew, reusing the stack variables the file already has;
- a ``set`` line is copied when it still names the node it named;
- directives (comments, ``version``, ``add_layer``...) stay where they were.

Nodes that were not read from this text (created, pasted, or every node of a script
built in memory) are written the way Nuke writes them: each parent's nodes in
script order (inputs first when edits broke that order), inputs pushed
deepest-first, reusing the node just written when it is the input needed, a
``set N.. [stack 0]`` after a node referenced again later, ``set C.. [stack 0]``
after a clone original.
"""

from __future__ import annotations

import re
from typing import Any, Dict, List, Optional, Set, Tuple

from .nk_blocks import count_inputs, edit_block, new_block, new_root
from .nk_lexer import decode_value, encode_value
from .nk_extract import extract_nodes
from .nk_model import PASTE_INPUT, ROOT_ANCHOR, Directive, Node, Script
from .nk_names import assign_names
from .nk_pieces import OpenEnd, Slot, join_pieces
from .nk_reader import EMPTY, K_END, K_NODE, K_OTHER, K_PUSH, K_ROOT, K_SET, PASTE, UNDEFINED

__all__ = ["write_script", "script_bytes", "extract_nodes"]

_CLONE_HEAD = re.compile(r"clone[ \t]+\$(\S+)")
_INVALID = object()


class _Writer:
    def __init__(self, script: Script, snippet: bool) -> None:
        self.script = script
        self.snippet = snippet
        nodes = script.nodes
        self.name_of = {id(n): n.full_name for n in nodes}
        self._ordered: Dict[Optional[str], List[Node]] = {}
        self.index = {self.name_of[id(n)]: n for n in nodes}
        self.by_parent: Dict[Optional[str], List[Node]] = {}
        for n in nodes:
            self.by_parent.setdefault(n.parent, []).append(n)
        self.serial = {self.name_of[id(n)]: i + 1 for i, n in enumerate(nodes)}
        self.doc = script.source
        self.claim: Dict[int, Node] = {}
        self.rec: Dict[int, int] = {}
        if self.doc is not None:
            self._claim()
        self.vars: Dict[str, Any] = {}
        self.holders: Dict[Tuple[str, Any], str] = {}
        self.mentioned: Set[str] = set()
        self.taken_vars: Set[str] = self.doc.all_var_names() if self.doc else set()
        self.slots: Dict[str, Slot] = {}
        self.end_of: Dict[int, int] = {}
        self.written: Set[str] = set()
        self.out: List[Any] = []
        self.order: List[Node] = []  # nodes in the order written
        self.paste_pushed = False
        self._directives()

    # -- what the text still says ------------------------------------------------------

    def _claim(self) -> None:
        doc = self.doc
        for n in self.script.nodes:
            rec = doc.rec_of(n.source, n.src)
            if rec is None or rec in self.claim or doc.recs[rec].cls != n.node_class:
                continue
            parent = doc.recs[rec].parent
            owner = self.claim.get(parent) if parent >= 0 else None
            if (owner.full_name if owner is not None else None) != n.parent:
                continue  # not where the text had it (its group is gone or new)
            self.claim[rec] = n
            self.rec[id(n)] = rec
        self.named_here = self._names_to_write()
        self.doc_vars = {}
        for rec, var in doc.var_names().items():
            node = self.claim.get(rec)
            if node is not None:
                self.doc_vars.setdefault(node.full_name, var)

    def _names_to_write(self) -> Set[int]:
        """Records named by the reader (the text gave no name, or a repeated one) that
        reading the written text would now name differently: those get a name line."""
        doc = self.doc
        candidates = {rec for rec in doc.reader_named
                      if rec in self.claim and self.claim[rec].clone_of is None}
        forced: Set[int] = set()
        nodes: List[Node] = []
        if candidates:
            self._order_into(None, nodes)
        while candidates - forced:
            names: List[Optional[str]] = []
            for n in nodes:
                rec = self.rec.get(id(n))
                if n.clone_of is not None:
                    names.append(None)  # clone blocks carry no name
                elif rec in candidates and rec not in forced:
                    names.append(doc.written_names[rec])
                else:
                    names.append(n.name)
            assign_names(names, [n.parent for n in nodes], [n.node_class for n in nodes])
            wrong = {self.rec[id(n)] for n, name in zip(nodes, names)
                     if self.rec.get(id(n)) in candidates and name != n.name}
            if not wrong - forced:
                break
            forced |= wrong
        return forced

    def _directives(self) -> None:
        self.alive: Dict[int, Directive] = {}
        self.before: Dict[Any, List[str]] = {}
        self.at_end: Dict[Optional[str], List[str]] = {}
        doc = self.doc
        for d in self.script.directives:
            cmd = doc.directive_cmd(d.source, d.src) if doc is not None else None
            if cmd is not None and doc.cmds[cmd][3][0] == d.text:
                self.alive[cmd] = d
            elif d.before is None or (d.before != ROOT_ANCHOR and d.before not in self.index):
                owner = d.parent if d.parent in self.index else None
                self.at_end.setdefault(owner, []).append(d.text)
            else:
                self.before.setdefault(d.before, []).append(d.text)

    def target(self, rec: Any) -> Any:
        """What a record index of the text stands for now (a full name, None, the
        paste target) or ``_INVALID`` when that node is gone."""
        if rec is None or rec == EMPTY:
            return None
        if rec == PASTE:
            return PASTE_INPUT
        node = self.claim.get(rec)
        return node.full_name if node is not None else _INVALID

    # -- stack variables -----------------------------------------------------------------

    def bind(self, var: str, value: Any, kind: str = "doc") -> None:
        self.vars[var] = value
        self.holders[(kind, value)] = var
        self.mentioned.add(var)

    def var_for(self, name: str, kind: str) -> str:
        """A variable holding node ``name`` here, adding ``set V [stack 0]`` after it."""
        for key in ((kind, name), ("doc", name)):
            var = self.holders.get(key)
            if var is not None and self.vars.get(var) == name:
                return var
        var = self.doc_vars.get(name) if self.doc is not None else None
        if var is None or var in self.mentioned or var in self.vars:
            var = f"{kind}{self.serial[name]:x}"
            n = 1
            while var in self.taken_vars or var in self.mentioned:
                var = f"{kind}{self.serial[name]:x}_{n}"
                n += 1
        slot = self.slots[name]
        line = f"\n{' ' * name.count('.')}set {var} [stack 0]"
        (slot.clone if kind == "C" else slot.node).append(line)
        self.bind(var, name, kind)
        return var

    # -- order -----------------------------------------------------------------------------

    def _order_into(self, parent: Optional[str], out: List[Node]) -> None:
        """Every node in the order it will be written (members after their group)."""
        for node in self.ordered(parent):
            out.append(node)
            if node.is_group:
                self._order_into(self.name_of[id(node)], out)

    def ordered(self, parent: Optional[str]) -> List[Node]:
        """``parent``'s nodes in script order, each after its inputs and clone original."""
        done = self._ordered.get(parent)
        if done is not None:
            return done
        order: List[Node] = []
        self._ordered[parent] = order
        seen: Set[int] = set()
        for start in self.by_parent.get(parent, []):
            if id(start) in seen:
                continue
            seen.add(id(start))
            todo = [(start, iter(self.deps(start, parent)))]
            while todo:
                node, deps = todo[-1]
                dep = next(deps, None)
                if dep is None:
                    todo.pop()
                    order.append(node)
                elif id(dep) not in seen:
                    seen.add(id(dep))
                    todo.append((dep, iter(self.deps(dep, parent))))
        return order

    def deps(self, node: Node, parent: Optional[str]) -> List[Node]:
        """Siblings that must be written before ``node``: its inputs and clone original."""
        index = self.index
        found = [index.get(r) for r in node.inputs if r]
        if node.clone_of:
            found.append(index.get(node.clone_of))
        return [n for n in found if n is not None and n.parent == parent]

    # -- bodies ------------------------------------------------------------------------------

    def regions(self, owner: int, nodes: List[Node], bodies: Dict[int, List[int]]
                ) -> Tuple[Dict[int, List[int]], List[int], Optional[int]]:
        """The text's non-node commands before each node still written here (those of
        a deleted node go to the next one), the ones after the last, and end_group."""
        doc = self.doc
        here = {id(n) for n in nodes}
        regions: Dict[int, List[int]] = {}
        pending: List[int] = []
        end = None
        for ci in bodies.get(owner, []):
            kind = doc.cmds[ci][0]
            if kind == K_NODE:
                node = self.claim.get(doc.cmds[ci][3])
                if node is not None and id(node) in here:
                    regions[id(node)] = pending
                    pending = []
            elif kind == K_END:
                end = ci
            else:
                pending.append(ci)
        return regions, pending, end

    def body(self, parent: Optional[str], depth: int, owner: int,
             bodies: Dict[int, List[int]]) -> None:
        pad = " " * depth
        paste = self.doc is not None and self.doc.paste and parent is None
        stack: List[Any] = [PASTE_INPUT] if paste else []
        nodes = self.ordered(parent)
        regions: Dict[int, List[int]] = {}
        tail: List[int] = []
        end = None
        if self.doc is not None and (owner == EMPTY or owner >= 0):
            regions, tail, end = self.regions(owner, nodes, bodies)
        for node in nodes:
            name = self.name_of[id(node)]
            for text in self.before.get(name, []):
                self.out.append("\n" + text)
            region = regions.get(id(node))
            if region is None or not self.replay(region, node, stack):
                self.pushes(node, stack, pad)
            self.block(node, depth)
            self.order.append(node)
            k = len(node.inputs)
            if k:
                del stack[-k:]
            stack.append(name)
            self.written.add(name)
            slot = self.slots[name] = Slot()
            if node.is_group:
                rec = self.rec.get(id(node), -2)
                self.body(name, depth + 1, rec, bodies)
                end_cmd = self.end_of.get(rec)
                if end_cmd is not None:
                    self.out.append(self.copy(end_cmd))
                elif rec >= 0:
                    self.out.append(OpenEnd(f"\n{pad}end_group"))
                else:
                    self.out.append(f"\n{pad}end_group")
            self.out.append(slot)
        if tail:
            self.replay(tail, None, stack)
        for text in self.at_end.get(parent, []):
            self.out.append("\n" + text)
        if end is not None:
            self.end_of[owner] = end

    def copy(self, ci: int) -> Tuple[int, int]:
        cmd = self.doc.cmds[ci]
        return (self.doc.lead_start(ci), cmd[2])

    # -- stack commands ----------------------------------------------------------------------

    def replay(self, region: List[int], node: Optional[Node], stack: List[Any]) -> bool:
        """Copy the region's commands; True when its pushes hand ``node`` its inputs
        (else they are left out, and the caller writes that node's pushes)."""
        mark = len(stack)
        undo: List[Tuple[str, Any]] = []
        plan = self.plan(region, stack, undo, with_pushes=True)
        fits = plan is not None
        if fits and node is not None:
            depth = len(stack)
            got = [stack[-1 - i] if i < depth else None for i in range(len(node.inputs))]
            fits = got == node.inputs
        if not fits:
            del stack[mark:]
            for var, old in reversed(undo):
                if old is _INVALID:
                    self.vars.pop(var, None)
                else:
                    self.vars[var] = old
            plan = self.plan(region, stack, [], with_pushes=False)
        for ci in plan or []:
            cmd = self.doc.cmds[ci]
            if cmd[0] == K_ROOT:
                self.root(ci)
                continue
            self.out.append(self.copy(ci))
            if cmd[0] == K_PUSH and cmd[3].startswith("$"):
                self.mentioned.add(cmd[3][1:])
        return fits

    def plan(self, region: List[int], stack: List[Any], undo: List[Tuple[str, Any]],
             with_pushes: bool) -> Optional[List[int]]:
        doc = self.doc
        keep: List[int] = []
        for ci in region:
            cmd = doc.cmds[ci]
            kind = cmd[0]
            if kind == K_OTHER:
                if cmd[3] is None or ci in self.alive:
                    keep.append(ci)
            elif kind == K_ROOT:
                if self.script.has_root:
                    keep.append(ci)
            elif kind == K_SET:
                var, depth = cmd[3], cmd[6]
                now = stack[-1 - depth] if depth < len(stack) else None
                if self.target(cmd[4]) == now:
                    undo.append((var, self.vars.get(var, _INVALID)))
                    self.bind(var, now)
                    keep.append(ci)
            elif kind == K_PUSH and with_pushes:
                value = self.pushed(cmd[3], cmd[4])
                if value is _INVALID:
                    return None
                stack.append(value)
                keep.append(ci)
        return keep

    def pushed(self, arg: str, read_as: Any) -> Any:
        """What ``push arg`` puts on the stack here, the reader's way."""
        if not arg.startswith("$"):
            return None
        var = arg[1:]
        if var in self.vars:
            return self.vars[var]
        if var == "cut_paste_input" and self.doc is not None and self.doc.paste:
            return PASTE_INPUT
        return None if read_as == UNDEFINED else _INVALID

    def pushes(self, node: Node, stack: List[Any], pad: str) -> None:
        """Write the pushes that hand ``node`` its inputs (deepest first)."""
        refs = list(node.inputs)
        start = len(refs)
        if refs and stack and refs[-1] not in (None, PASTE_INPUT) and stack[-1] == refs[-1]:
            start -= 1
        for ref in reversed(refs[:start]):
            if ref is None:
                op = "push 0"
            elif ref == PASTE_INPUT:
                op = "push $cut_paste_input"
                self.paste_pushed = True
            elif ref in self.written:
                op = f"push ${self.var_for(ref, 'N')}"
            else:
                op, ref = "push 0", None
            self.out.append(f"\n{pad}{op}")
            stack.append(ref)

    # -- blocks ------------------------------------------------------------------------------

    def block(self, node: Node, depth: int) -> None:
        doc = self.doc
        rec = self.rec.get(id(node))
        head = self.head(node, rec)
        if rec is None:
            named = node.clone_of is None or not head.startswith("clone $")
            self.out.append("\n" + "\n".join(new_block(node, depth, head, named)))
            return
        read = doc.recs[rec]
        ci, start, open_pos, end = read.cmd, read.start, read.open, read.end
        old_head = doc.text[start:open_pos + 1]
        knobs, _, selected, spec, user = doc.block_state(rec)
        # A clone block never names its node (Nuke numbers clones when it reads them).
        name_kept = (node.clone_of is not None and head.startswith("clone $")) or (
            node.name == doc.names[rec] and rec not in self.named_here)
        was_selected = selected is not None and decode_value(selected).lower() in ("true", "1")
        if (head == old_head and name_kept and knobs == node.knobs and user == node.user_knobs
                and was_selected == node.selected and count_inputs(spec) == len(node.inputs)):
            self.out.append(self.copy(ci))
            return
        pad = " " * (depth + 1)
        text = edit_block(doc.text, open_pos, end, head, pad, node.knobs, node.user_knobs,
                          name=None if name_kept else encode_value(node.name),
                          selected=node.selected, inputs=len(node.inputs))
        self.out.append(doc.text[doc.lead_start(ci):start] + text)

    def head(self, node: Node, rec: Optional[int]) -> str:
        """``Class {``, ``clone $C {`` (the variable bound to the original here) or the
        text's own head when that still fits."""
        doc = self.doc
        old = doc.text[doc.recs[rec].start:doc.recs[rec].open + 1] if rec is not None else None
        original = node.clone_of
        was_clone = rec is not None and doc.recs[rec].clone_of >= 0  # ``clone $C {`` in the text
        if original is not None and original in self.written:
            if was_clone:
                m = _CLONE_HEAD.match(old)
                if m and self.vars.get(m.group(1)) == original:
                    return old
            return f"clone ${self.var_for(original, 'C')} {{"
        if old is not None and not was_clone:
            return old
        if node.clone_header:
            return f"clone {node.clone_header} {node.node_class} {{"
        return f"{node.node_class} {{"

    def root(self, ci: Optional[int]) -> None:
        script = self.script
        doc = self.doc
        if ci is not None:
            cmd = doc.cmds[ci]
            knobs, user = doc.root_state(cmd[3], cmd[2])
            if knobs == script.root and user == script.root_user_knobs:
                self.out.append(self.copy(ci))
                return
            text = edit_block(doc.text, cmd[3], cmd[2], doc.text[cmd[1]:cmd[3] + 1], " ",
                              script.root, script.root_user_knobs, root=True)
            self.out.append(doc.text[doc.lead_start(ci):cmd[1]] + text)
            return
        self.out.append("\n" + "\n".join(new_root(script.root, script.root_user_knobs)))

    # -- the whole script -------------------------------------------------------------------

    def write(self) -> str:
        doc = self.doc
        bodies = doc.body_commands() if doc is not None else {}
        has_doc_root = doc is not None and any(c[0] == K_ROOT for c in doc.cmds)
        head: List[Any] = []
        for text in self.before.get(ROOT_ANCHOR, []):
            head.append("\n" + text)
        if self.script.has_root and not has_doc_root:
            head.append("\n" + "\n".join(new_root(self.script.root, self.script.root_user_knobs)))
        self.out = head
        self.body(None, 0, EMPTY, bodies)
        pieces = self.out
        cut = self.snippet or self.paste_pushed
        if cut and "cut_paste_input" not in self.vars and not (doc is not None and doc.paste):
            pieces.insert(0, "\nset cut_paste_input [stack 0]")
        return join_pieces(pieces, self.doc)


def write_script(script: Script, *, snippet: bool = False) -> str:
    """.nk text for ``script``; ``snippet`` starts it the way ``nuke.nodeCopy`` does.
    A script read from text and not edited comes back as that text exactly."""
    return _Writer(script, snippet).write()


def script_bytes(script: Script) -> bytes:
    """``write_script`` encoded as the file was (UTF-8, or Latin-1 for an old file
    whose text still fits it)."""
    text = write_script(script)
    source = script.source
    encoding = source.encoding if source is not None else "utf-8"
    try:
        return text.encode(encoding)
    except UnicodeEncodeError:
        return text.encode("utf-8")
