"""Replay .nk text the way Nuke reads it, into flat node records and a source map.

Each node block pops its ``inputs`` (1 when the line is absent, whatever the class)
off a stack, input 0 on top; ``push $N``/``push 0``/``set N [stack 0]`` move stack
entries around; a container (``Group``, ``Gizmo``, ``LiveGroup``, ``VariableGroup``)
reads its members on a stack of its own until ``end_group``, after which the node
that follows is fed by the container. Anything else (``version``, comments,
``add_layer``, unknown commands) is kept verbatim.

Speed: one regex recognises each command head, and a node body is split into
(knob, value) pairs by ``str.split`` when it holds no quote, brace, bracket or
backslash, else by one ``findall`` call; only bodies that call doesn't tile exactly
(deep nesting, odd quoting) go through the word scanner. Offsets, not line numbers,
are kept; a line is counted only for a warning or an error. Naming needs only the
names, groups and classes gathered as each node is read.

Containers are paired with their ``end_group`` by indentation when it disagrees
with the class: Nuke writes a container's members one space deeper than the
container and ``end_group`` at the container's own indentation. So an ``end_group``
closing a class this reader does not know, or a ``LiveGroup`` written without
members (published), is recognised, reported as a warning, and the text read again
with that node's role fixed (``Reading.force_container`` / ``force_leaf``).
"""

from __future__ import annotations

import re
import sys
from typing import Any, Dict, List, Optional, Set, Tuple

from .nk_body import CLOSE_LINE, body_pairs, indent_at
from .nk_lexer import KNOB_PAIRS, NkParseError, braced_end, decode_value, line_of, word_end
from .nk_model import GROUP_CLASSES

__all__ = [
    "CONTAINER_CLASSES", "K_NODE", "K_PUSH", "K_SET", "K_END", "K_ROOT", "K_OTHER",
    "EMPTY", "PASTE", "UNDEFINED", "NON_NODE_COMMANDS", "Rec", "Reading", "read",
    "is_node_head",
]

CONTAINER_CLASSES = GROUP_CLASSES  # one list, in nk_model, for the reader and the writer
# A published LiveGroup is written like a Precomp: no members, no end_group.
_MAYBE_EMPTY = frozenset({"LiveGroup"})
NON_NODE_COMMANDS = frozenset({"define_window_layout_xml", "add_layer", "version", "knob", "in"})
K_NODE, K_PUSH, K_SET, K_END, K_ROOT, K_OTHER = range(6)
EMPTY = -1
PASTE = -2
UNDEFINED = -3  # a push of a variable no set line defined (read as empty)
_MAX_REREADS = 64
_NOT_NODE_HEADS = NON_NODE_COMMANDS | {"push", "set", "end_group"}

_HEAD = re.compile(
    r"[ \t\r\f\v\n]*(?=(\S))(?:"
    r"clone[ \t]+\$([^\s{}\[\]\"\\]+)[ \t]+\{"
    r"|([A-Za-z_][A-Za-z0-9_.]*)[ \t]+\{"
    r"|push[ \t]+([^\s{}\[\]\"\\]+)(?=[ \t\r\f\v]*(?:\n|\Z))"
    r"|set[ \t]+([^\s{}\[\]\"\\$]+)[ \t]+\[stack[ \t]+(\d+)\](?=[ \t\r\f\v]*(?:\n|\Z))"
    r"|(end_group)(?=[ \t\r\f\v]*(?:\n|\Z))"
    r"|(\#)[^\n]*"
    r"|)"
)
_LINE_REST = re.compile(r"[ \t\r\f\v]*(?:\n|\Z)")
_close_line = CLOSE_LINE.search
_knob_pairs = KNOB_PAIRS.findall
_intern = sys.intern
_SPECIAL = re.compile(r'["{}\[\]\\]')
_SPACE = re.compile(r"[ \t\r\f\v]*")
_CLASS_WORD = re.compile(r"^[A-Za-z_][A-Za-z0-9_.]*$")
_STACK_REF = re.compile(r"^\[\s*stack\s+(\d+)\s*\]$")


def is_node_head(head: str) -> bool:
    """True when ``HEAD {...}`` (two words, the second braced) is a node block: ``HEAD`` is
    a class name and not one of the other commands written that way (``version``,
    ``add_layer``...). The reader and the risk scan of a snippet both ask this."""
    return head not in NON_NODE_COMMANDS and _CLASS_WORD.match(head) is not None


class Rec:
    """One node as read; ``inputs`` hold record indexes, ``EMPTY`` or ``PASTE`` (until
    ``nkscript`` turns the list into the node's input names);
    ``start``/``open``/``end``: offsets of its head, ``{`` and end; ``cmd``: its command."""

    __slots__ = ("cls", "knobs", "name", "parent", "inputs", "selected", "user", "spec",
                 "clone_of", "clone_header", "start", "open", "end", "cmd", "word_end")

    def __init__(self, cls: str, parent: int, start: int, open_pos: int, end: int,
                 cmd: int, knobs: Dict[str, str], name: Optional[str], selected: bool,
                 spec: Optional[str], user: List[str], clone_of: int,
                 clone_header: Optional[str]) -> None:
        self.cls = cls
        self.parent = parent
        self.start = start
        self.open = open_pos
        self.end = end
        self.cmd = cmd
        self.knobs = knobs
        self.name = name
        self.selected = selected
        self.spec = spec
        self.user = user
        self.clone_of = clone_of
        self.clone_header = clone_header
        self.inputs: List[int] = []
        self.word_end: Optional[int] = None  # body read as one word ending here


class _Reread(Exception):
    def __init__(self, container: Optional[int] = None, leaf: Optional[int] = None,
                 note: str = "") -> None:
        super().__init__(note)
        self.container = container
        self.leaf = leaf
        self.note = note


class Reading:
    """Everything read from one text: node records, Root knobs, directives with
    their anchors, warnings as (offset, message), and one tuple per command in text
    order, ``(kind, start, end, a, b, owner)`` where ``owner`` is the record of the
    container whose body holds it (EMPTY at the top level):

    - ``K_NODE``: a = record; ``K_ROOT``: a = offset of its ``{``;
    - ``K_PUSH``: a = the argument, b = what it pushed (record, EMPTY, PASTE, UNDEFINED);
    - ``K_SET``: a = variable, b = what it named, then the stack depth;
    - ``K_END``: a = the container closed; ``K_OTHER``: a = the directive entry, or None
      for an ``end_group`` that closed nothing."""

    def __init__(self, text: str, paste: bool, force_container: Set[int],
                 force_leaf: Set[int], recover: bool = True) -> None:
        self.text = text
        self.recover = recover
        self.paste = paste
        self.force_container = force_container
        self.force_leaf = force_leaf
        self.recs: List[Rec] = []
        # Per record, gathered while it is read (naming needs only these).
        self.names: List[Optional[str]] = []
        self.parents: List[int] = []
        self.classes: List[str] = []
        self.cmds: List[tuple] = []
        self.root: Dict[str, str] = {}
        self.root_user: List[str] = []
        self.has_root = False
        self.directives: List[list] = []  # [text, anchor, owner, cmd index]
        self.warnings: List[Tuple[int, str]] = []
        self._pending: List[list] = []
        self.stack: List[int] = [PASTE] if paste else []
        self.vars: Dict[str, int] = {}
        self.groups: List[Tuple[int, List[int]]] = []
        self.parent = EMPTY  # the open container's record, or EMPTY at the top level

    def warn(self, pos: int, message: str) -> None:
        self.warnings.append((pos, message))

    # -- the command loop -------------------------------------------------------------

    def run(self) -> None:
        text = self.text
        head = _HEAD.match
        cmds = self.cmds
        pos = 0
        while True:
            m = head(text, pos)
            if m is None:
                break
            start = m.start(1)
            found = m.lastindex  # which alternative matched (1: none of them)
            if found == 3:
                cls = m.group(3)
                if cls not in _NOT_NODE_HEADS:
                    pos = self.block(cls, start, m.end() - 1, None)
                    if pos >= 0:
                        continue
            elif found == 2:
                pos = self.block("", start, m.end() - 1, m.group(2))
                if pos >= 0:
                    continue
            elif found == 4:
                push = m.group(4)
                pos = m.end()
                cmds.append((K_PUSH, start, pos, push, self.push(push, start), self.parent))
                continue
            elif found == 6:
                pos = m.end()
                self.set(m.group(5), int(m.group(6)), start, pos)
                continue
            elif found == 7:
                pos = m.end()
                self.end_group(start, pos)
                continue
            elif found == 8:
                pos = m.end()
                self.keep(start, pos)
                continue
            pos = self.generic(start)
        self.finish()

    def generic(self, start: int) -> int:
        """Any command the head pattern did not settle: split into words."""
        text = self.text
        spans = []
        i = start
        n = len(text)
        while True:
            j = word_end(text, i)
            spans.append((i, j))
            k = _SPACE.match(text, j).end()
            if k >= n or text[k] == "\n":
                break
            i = k
        end = spans[-1][1]
        words = [text[a:b] for a, b in spans]
        head = words[0]
        last_braced = len(words) >= 2 and words[-1][:1] == "{" and words[-1][-1:] == "}"
        if head == "push":
            arg = words[1] if len(words) > 1 else "0"
            self.cmds.append((K_PUSH, start, end, arg, self.push(arg, start), self.parent))
        elif head == "set" and len(words) == 3 and _STACK_REF.match(words[2]):
            self.set(words[1], int(_STACK_REF.match(words[2]).group(1)), start, end)
        elif head == "end_group":
            self.end_group(start, end)
        elif head == "clone" and len(words) >= 3 and last_braced:
            if words[1].startswith("$") and len(words) == 3:
                self.block("", start, spans[2][0], words[1][1:], body_end=end)
            elif len(words) >= 4 and _CLASS_WORD.match(words[-2]):
                self.block(words[-2], start, spans[-1][0], None, body_end=end,
                           header=" ".join(words[1:-2]))
            else:
                raise NkParseError("clone needs '$C<id> {...}' or '<id> <Class> {...}'",
                                   line_of(text, start))
        elif len(words) == 2 and last_braced and is_node_head(head):
            self.block(head, start, spans[1][0], None, body_end=end)
        else:
            if head not in NON_NODE_COMMANDS and head != "set":
                self.warn(start, f"kept unrecognised command '{head}'")
            self.keep(start, end)
        return end

    # -- stack commands -----------------------------------------------------------------

    def push(self, arg: str, start: int) -> int:
        """Push what ``arg`` names; returns it, or UNDEFINED for an unset variable."""
        if arg.startswith("$"):
            name = arg[1:]
            target = self.vars.get(name)
            if target is None:
                if name == "cut_paste_input" and self.paste:
                    self.stack.append(PASTE)
                    return PASTE
                if name != "cut_paste_input":
                    self.warn(start, f"push of undefined variable ${name} (empty input)")
                self.stack.append(EMPTY)
                return UNDEFINED
            self.stack.append(target)
            return target
        if arg != "0":
            self.warn(start, f"push {arg} is not a node (empty input)")
        self.stack.append(EMPTY)
        return EMPTY

    def set(self, var: str, depth: int, start: int, end: int) -> None:
        stack = self.stack
        target = stack[-1 - depth] if depth < len(stack) else EMPTY
        self.vars[var] = target
        self.cmds.append((K_SET, start, end, var, target, self.parent, depth))

    def keep(self, start: int, end: int) -> None:
        entry = [self.text[start:end], None, self.parent, len(self.cmds)]
        self._pending.append(entry)
        self.cmds.append((K_OTHER, start, end, entry, None, self.parent))

    def anchor(self, target: Any, owner: int) -> None:
        if not self._pending:
            return
        still = []
        for entry in self._pending:
            if entry[2] == owner:
                entry[1] = target
                self.directives.append(entry)
            else:
                still.append(entry)
        self._pending = still

    # -- node blocks --------------------------------------------------------------------

    def block(self, cls: str, start: int, open_pos: int, clone_var: Optional[str],
              body_end: Optional[int] = None, header: Optional[str] = None) -> int:
        """Read one node block; returns the offset after it, or -1 when the command
        goes on past the block on its line (then it is not a node: read it as words).
        ``body_end``: the command was split into words, the body is the last one."""
        text = self.text
        knobs = None
        loose = None
        if body_end is not None:
            if braced_end(text, open_pos) != body_end:
                loose = body_end  # "{...}more": the word, not the braces, is the body
            knobs, pairs, end, missing = body_pairs(text, open_pos, loose)
            if missing is not None:
                self.warn(missing[0], f"knob '{missing[1]}' has no value")
        elif text.startswith("\n", open_pos + 1):
            # The usual layout, read inline: one knob per line, "}" on a line of its own.
            m = _close_line(text, open_pos)
            if m is not None:
                end = m.end()
                body = text[open_pos + 1:end - 1]
                words = None if _SPECIAL.search(body) else body.split()
                if words is not None and len(words) % 2 == 0:
                    # No quote, brace, bracket or backslash: every word is bare. Knob
                    # names are interned: one string per name, not one per node.
                    pairs = list(zip(map(_intern, words[::2]), words[1::2]))
                else:
                    pairs = _knob_pairs(text, open_pos + 1, end - 1)
                knobs = dict(pairs)
                if "" in knobs:
                    knobs = None
        if knobs is None:
            knobs, pairs, end, missing = body_pairs(text, open_pos)
            if not _LINE_REST.match(text, end):
                return -1
            if missing is not None:
                self.warn(missing[0], f"knob '{missing[1]}' has no value")
        if cls == "Root":
            self.root_block(knobs, pairs, start, open_pos, end)
            return end
        original = EMPTY
        recs = self.recs
        if clone_var is not None:
            original = self.vars.get(clone_var, EMPTY)
            if original < 0:
                raise NkParseError(f"clone refers to ${clone_var}, which names no node",
                                   line_of(text, start))
            cls = recs[original].cls
        user: List[str] = []
        if "addUserKnob" in knobs:
            del knobs["addUserKnob"]
            user = [v for k, v in pairs if k == "addUserKnob"]
        name = knobs.pop("name", None)
        if name is not None and (name[0] in "\"{" or "\\" in name):
            name = decode_value(name)
        selected = knobs.pop("selected", None)
        if selected is not None:
            selected = selected == "true" or decode_value(selected).lower() in ("true", "1")
        spec = knobs.pop("inputs", None)
        index = len(recs)
        cmds = self.cmds
        parent = self.parent
        rec = Rec(cls, parent, start, open_pos, end, len(cmds), knobs, name,
                  selected is True, spec, user, original, header)
        rec.word_end = loose
        stack = self.stack
        count = 1
        if spec is not None:
            count = int(spec) if spec.isdigit() else self.count(spec, start)
        if count == 1:
            rec.inputs = [stack.pop() if stack else EMPTY]
        else:
            rec.inputs = [stack.pop() if stack else EMPTY for _ in range(count)]
        if self._pending:
            self.anchor(index, parent)
        recs.append(rec)
        self.names.append(name)
        self.parents.append(parent)
        self.classes.append(cls)
        stack.append(index)
        cmds.append((K_NODE, start, end, index, None, parent))
        if clone_var is None and (cls in CONTAINER_CLASSES or start in self.force_container) \
                and start not in self.force_leaf:
            self.groups.append((index, stack))
            self.stack = []
            self.parent = index
        return end

    def count(self, spec: str, start: int) -> int:
        """Inputs an ``inputs`` value stands for: ``2``, ``1+1`` (a mask input)..."""
        try:
            return sum(int(p) for p in decode_value(spec).split("+"))
        except ValueError:
            self.warn(start, f"unreadable inputs '{spec}' (taken as 1)")
            return 1

    def maybe_empty(self, rec: Rec) -> bool:
        """A container class that Nuke may write without members and end_group."""
        return rec.cls in _MAYBE_EMPTY or rec.start in self.force_container

    def deeper_after(self, rec: Rec) -> bool:
        """Whether the command after ``rec``'s block is indented deeper than its head
        (Nuke indents members; clone heads, written at column 0, do not count)."""
        own = indent_at(self.text, rec.start)
        for cmd in self.cmds[rec.cmd + 1:rec.cmd + 8]:
            if self.text.startswith("clone $", cmd[1]):
                continue
            nxt = indent_at(self.text, cmd[1])
            return nxt.startswith(own) and len(nxt) > len(own)
        return False

    def root_block(self, knobs: Dict[str, str], pairs: List[Tuple[str, str]], start: int,
                   open_pos: int, end: int) -> None:
        knobs.pop("inputs", None)
        if "addUserKnob" in knobs:
            del knobs["addUserKnob"]
            self.root_user = [v for k, v in pairs if k == "addUserKnob"]
        else:
            self.root_user = []
        self.root = knobs
        self.has_root = True
        self.anchor("", self.parent)
        self.cmds.append((K_ROOT, start, end, open_pos, None, self.parent))

    # -- containers ---------------------------------------------------------------------

    def end_group(self, start: int, end: int) -> None:
        text = self.text
        where = indent_at(text, start)
        if not self.groups:
            if self.recover:
                self.recover_orphan(start, where)
            self.warn(start, "end_group without an open group (ignored)")
            self.cmds.append((K_OTHER, start, end, None, None, EMPTY))
            return
        group, outer = self.groups[-1]
        rec = self.recs[group]
        own = indent_at(text, rec.start)
        if self.recover and where != own and not where.strip() and not own.strip():
            if len(where) < len(own) and self.maybe_empty(rec):
                raise _Reread(leaf=rec.start, note=(
                    f"{rec.cls} {rec.name or ''} has no members written inline (its "
                    "end_group is missing): read as a node without members"))
            self.recover_orphan(start, where)
        self.anchor(None, group)
        self.cmds.append((K_END, start, end, group, None, group))
        self.close_group(outer)

    def close_group(self, outer: List[int]) -> None:
        self.groups.pop()
        self.stack = outer
        self.parent = self.groups[-1][0] if self.groups else EMPTY

    def recover_orphan(self, start: int, where: str) -> None:
        """An end_group with no container open at its indentation: the container is
        the nearest node at that indentation whose next command is indented deeper."""
        text = self.text
        floor = self.groups[-1][0] if self.groups else EMPTY
        for i in range(len(self.recs) - 1, floor, -1):
            rec = self.recs[i]
            if rec.parent != self.parent or indent_at(text, rec.start) != where:
                continue
            if self.deeper_after(rec):
                raise _Reread(container=rec.start, note=(
                    f"end_group on line {line_of(text, start)} closes {rec.cls} "
                    f"{rec.name or ''}, a class not known as a container: its "
                    "members were read inside it"))
            return

    def finish(self) -> None:
        while self.groups:
            group, outer = self.groups[-1]
            rec = self.recs[group]
            if self.recover and self.maybe_empty(rec) and not self.deeper_after(rec):
                raise _Reread(leaf=rec.start, note=(
                    f"{rec.cls} {rec.name or ''} has no end_group and no indented "
                    "members: read as a node without members"))
            self.warn(rec.start, f"group {rec.name or rec.cls} has no end_group")
            self.anchor(None, group)
            self.close_group(outer)
        for entry in self._pending:
            entry[1] = None
            self.directives.append(entry)
        self._pending = []


def read(text: str, paste: bool) -> Reading:
    """Read ``text`` (LF line ends, no BOM). Raises NkParseError on unbalanced text."""
    force_container: Set[int] = set()
    force_leaf: Set[int] = set()
    notes: List[Tuple[int, str]] = []
    reading = None
    for _ in range(_MAX_REREADS):
        attempt = Reading(text, paste, force_container, force_leaf)
        try:
            attempt.run()
        except _Reread as again:
            fix, where = (force_container, again.container) if again.container is not None \
                else (force_leaf, again.leaf)
            if where is not None and where not in fix:
                fix.add(where)
                notes.append((where, again.note))
                continue
        else:
            reading = attempt
        break
    if reading is None:
        reading = Reading(text, paste, force_container, force_leaf, recover=False)
        reading.run()
    reading.warnings.extend(notes)
    return reading
