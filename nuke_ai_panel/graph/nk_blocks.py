"""The text of one node or Root block.

A node created in memory is written the way Nuke writes one (``new_block``). A
node read from text and then edited is rewritten from that text line by line
(``edit_block``): unchanged knob lines are copied, a changed value replaces only
its value, a removed knob loses its line, and new knobs go where Nuke puts them
(class knobs before ``name``, a user knob's value right after its ``addUserKnob``).
Knob order is never changed: Nuke reads knob lines in order, so a value written
before the ``addUserKnob`` that declares it would have no knob to land on.
"""

from __future__ import annotations

import re
from typing import Dict, List, Optional, Sequence, Tuple

from .nk_lexer import decode_value, encode_value, word_spans
from .nk_model import Node, user_knob_name

__all__ = ["knob_key", "count_inputs", "new_block", "new_root", "edit_block"]

_PLAIN_KEY = re.compile(r"^[A-Za-z0-9_.:+\-]+$")
_POSITION_KNOBS = ("xpos", "ypos")
_AFTER_CLASS_KNOBS = frozenset({"name", "selected", "xpos", "ypos", "addUserKnob"})
_AFTER_NAME = frozenset({"selected", "xpos", "ypos", "addUserKnob"})
_AFTER_SELECTED = frozenset({"xpos", "ypos", "addUserKnob"})
_ROOT_AFTER = frozenset({"addUserKnob"})


def knob_key(name: str) -> str:
    """The word for a knob name: as is, or quoted when it has spaces or specials."""
    return name if _PLAIN_KEY.match(name) else encode_value(name)


def count_inputs(spec: Optional[str]) -> int:
    """Inputs an ``inputs`` value stands for (``1+1`` is 2); 1 when absent or
    unreadable, as the reader takes it."""
    if spec is None:
        return 1
    try:
        return sum(int(p) for p in decode_value(spec).split("+"))
    except ValueError:
        return 1


def _user_lines(definitions: Sequence[str], knobs: Dict[str, str], pad: str,
                done: set) -> List[str]:
    lines = []
    for definition in definitions:
        lines.append(f"{pad}addUserKnob {definition}")
        knob = user_knob_name(definition)
        if knob and knob in knobs and knob not in done:
            lines.append(f"{pad}{knob_key(knob)} {knobs[knob]}")
            done.add(knob)
    return lines


def new_block(node: Node, depth: int, head: str, named: bool) -> List[str]:
    """Lines of a block written from scratch: ``inputs`` first, the node's knobs with
    ``name``/``selected`` at ``name_pos`` (where the text the node was read from had it,
    else before ``xpos``), then each
    user knob definition followed by its value. ``head`` is ``Class {`` or ``clone $C {``."""
    pad = " " * depth
    kp = pad + " "
    lines = [pad + head]
    k = len(node.inputs)
    spec = node.inputs_spec
    if spec is None or count_inputs(spec) != k:
        spec = None if k == 1 else str(k)
    if spec is not None:
        lines.append(f"{kp}inputs {spec}")
    user = set(node.user_knob_names())
    regular = [(key, v) for key, v in node.knobs.items() if key not in user]
    naming = [f"{kp}name {encode_value(node.name)}"] if named else []
    if node.selected:
        naming.append(f"{kp}selected true")
    pos = node.name_pos
    if pos is None and node.source is not None and node.src is not None:
        pos = node.source.name_pos(node.src)
    if pos is None:
        pos = next((i for i, (key, _) in enumerate(regular) if key in _POSITION_KNOBS),
                   len(regular))
    for i, (key, value) in enumerate(regular):
        if i == pos:
            lines.extend(naming)
            naming = []
        lines.append(f"{kp}{knob_key(key)} {value}")
    lines.extend(naming)
    lines.extend(_user_lines(node.user_knobs, node.knobs, kp, set()))
    lines.append(f"{pad}}}")
    return lines


def new_root(root: Dict[str, str], user_knobs: Sequence[str]) -> List[str]:
    """A Root block written from scratch (user knob values after their definitions)."""
    names = {user_knob_name(d) for d in user_knobs}
    lines = ["Root {", " inputs 0"]
    lines.extend(f" {knob_key(k)} {v}" for k, v in root.items() if k not in names)
    lines.extend(_user_lines(user_knobs, root, " ", set()))
    lines.append("}")
    return lines


def _match_definitions(old: List[str], new: Sequence[str]) -> Tuple[List[Optional[str]], List[str]]:
    """Pair the block's ``addUserKnob`` definitions with the node's: by position when
    the counts agree, else by equal text. Returns (new text per old line or None to
    drop it, definitions still to append)."""
    if len(old) == len(new):
        return list(new), []
    unused = list(new)
    paired: List[Optional[str]] = []
    for definition in old:
        if definition in unused:
            unused.remove(definition)
            paired.append(definition)
        else:
            paired.append(None)
    return paired, unused


def edit_block(text: str, open_pos: int, end: int, head: str, pad: str,
               knobs: Dict[str, str], user: Sequence[str], *, name: Optional[str] = None,
               selected: Optional[bool] = None, inputs: Optional[int] = None,
               root: bool = False) -> str:
    """The block at ``text[open_pos:end]`` rewritten for the node's current state.

    ``name``: the raw name to write, None to keep the block's. ``selected``/``inputs``:
    None to keep (Root). ``pad`` indents new lines when the block has none to copy."""
    spans = word_spans(text, open_pos + 1, end - 1)
    items = []
    prev = open_pos + 1
    for i in range(0, len(spans), 2):
        a, b = spans[i]
        key = text[a:b]
        if key[:1] in "\"{" or "\\" in key:
            key = decode_value(key)
        if i + 1 < len(spans):
            c, d = spans[i + 1]
            items.append((key, text[c:d], prev, c, d))
            prev = d
        else:
            items.append((key, None, prev, b, b))
            prev = b
    if items:
        lead = text[items[0][2]:spans[0][0]]
        if "\n" in lead:
            pad = lead[lead.rfind("\n") + 1:]

    def line(key: str, value: str) -> str:
        return f"\n{pad}{knob_key(key)} {value}"

    present = {item[0] for item in items}
    last = {item[0]: i for i, item in enumerate(items)}
    user_names = {user_knob_name(d) for d in user}
    out = [head]
    if inputs is not None and inputs != 1 and "inputs" not in present:
        out.append(line("inputs", str(inputs)))
    waiting = [
        ([line(k, v) for k, v in knobs.items() if k not in present and k not in user_names],
         _ROOT_AFTER if root else _AFTER_CLASS_KNOBS),
        ([line("name", name)] if name is not None and "name" not in present and not root else [],
         _AFTER_NAME),
        ([line("selected", "true")] if selected and "selected" not in present else [],
         _AFTER_SELECTED),
    ]
    definitions = [item[1] or "" for item in items if item[0] == "addUserKnob"]
    paired, extra = _match_definitions(definitions, user)
    placed = set()
    d = 0
    for i, (key, value, start, vstart, vend) in enumerate(items):
        for lines, before in waiting:
            if lines and key in before:
                out.extend(lines)
                del lines[:]
        keep = text[start:vend]
        new_value: Optional[str] = None
        if value is None:
            out.append(keep)
            continue
        if key == "addUserKnob":
            definition = paired[d]
            d += 1
            if definition is None:
                continue
            out.append(keep if definition == value else text[start:vstart] + definition)
            knob = user_knob_name(definition)
            if knob and knob in knobs and knob not in present and knob not in placed:
                out.append(line(knob, knobs[knob]))
                placed.add(knob)
            continue
        if root:
            new_value = knobs.get(key) if key != "inputs" else value
        elif key == "name":
            new_value = value if name is None else name
        elif key == "selected":
            was = decode_value(value).lower() in ("true", "1")
            new_value = value if selected is None or was == selected else (
                "true" if selected else None)
        elif key == "inputs":
            count = count_inputs(value)
            new_value = value if inputs is None or count == inputs else (
                None if inputs == 1 else str(inputs))
        elif key in knobs:
            new_value = knobs[key] if last[key] == i else value
        if new_value is None:
            continue
        out.append(keep if new_value == value else text[start:vstart] + new_value)
    for lines, _ in waiting:
        out.extend(lines)
    for definition in extra:
        out.append(line("addUserKnob", definition))
        knob = user_knob_name(definition)
        if knob and knob in knobs and knob not in present and knob not in placed:
            out.append(line(knob, knobs[knob]))
            placed.add(knob)
    out.append(text[prev:end])
    return "".join(out)
