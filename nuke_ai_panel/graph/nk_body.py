"""The knobs of one node block: ``Class {`` ... ``}`` as (knob, raw value) pairs.

Shared by the reader and by the writer (which reads a block again to see whether
the node still says what its text says).
"""

from __future__ import annotations

import re
from typing import Dict, List, Optional, Tuple

from .nk_lexer import KNOB_PAIRS, braced_end, decode_value, word_spans

__all__ = ["CLOSE_LINE", "body_pairs", "node_fields", "indent_at"]

# A line holding only "}": where Nuke closes a block.
CLOSE_LINE = re.compile(r"\n[ \t]*\}(?=[ \t\r\f\v]*(?:\n|\Z))")


def indent_at(text: str, pos: int) -> str:
    """The whitespace between the start of ``pos``'s line and ``pos``."""
    return text[text.rfind("\n", 0, pos) + 1:pos]


def body_pairs(text: str, open_pos: int, word_end: Optional[int] = None
               ) -> Tuple[Dict[str, str], List[Tuple[str, str]], int, Optional[Tuple[int, str]]]:
    """``(knobs, pairs, end, missing)`` of the block whose ``{`` is at ``open_pos``: the
    (knob, raw value) pairs in order and as a dict (the last of a repeated knob wins,
    in the order knobs first appear: Nuke's reading), the offset after its ``}``,
    and (offset, word) of a last knob that has no value (it gets ""). Keys are decoded.

    Fast path: the block closes on the head's line or on one of the next lines that
    hold only ``}``; a candidate is taken only when ``KNOB_PAIRS`` tiles the body
    before it exactly, which proves that ``}`` is the one brace counting finds.
    Otherwise the braces are counted and the body split by the word scanner.
    ``word_end``: the block is the word ending there (read as the word scanner split
    it, for a braced word followed by more text: ``{a b}c``). Raises NkParseError on
    unbalanced text."""
    if word_end is not None:
        return _scanned(text, open_pos, word_end)
    findall = KNOB_PAIRS.findall
    if text[open_pos + 1:open_pos + 2] != "\n":
        line_end = text.find("\n", open_pos)
        if line_end < 0:
            line_end = len(text)
        close = text.rfind("}", open_pos, line_end)
        if close > open_pos and not text[close + 1:line_end].strip():
            pairs = findall(text, open_pos + 1, close)
            knobs = dict(pairs)
            if "" not in knobs:
                return knobs, pairs, close + 1, None
    # Nuke closes a block on a line of its own (at the block's indentation, though a
    # clone head inside a group is written at column 0).
    search = CLOSE_LINE.search
    at = open_pos
    for _ in range(4):
        m = search(text, at)
        if m is None:
            break
        at = m.end()
        pairs = findall(text, open_pos + 1, at - 1)
        knobs = dict(pairs)
        if "" not in knobs:
            return knobs, pairs, at, None
    return _scanned(text, open_pos, braced_end(text, open_pos))


def _scanned(text: str, open_pos: int, end: int
             ) -> Tuple[Dict[str, str], List[Tuple[str, str]], int, Optional[Tuple[int, str]]]:
    """The pairs of ``text[open_pos + 1:end - 1]`` split by the word scanner."""
    spans = word_spans(text, open_pos + 1, end - 1)
    pairs = []
    missing = None
    for i in range(0, len(spans), 2):
        a, b = spans[i]
        key = text[a:b]
        if key[0] in "\"{" or "\\" in key:
            key = decode_value(key)
        if i + 1 < len(spans):
            c, d = spans[i + 1]
            pairs.append((key, text[c:d]))
        else:
            pairs.append((key, ""))
            missing = (a, text[a:b])
    return dict(pairs), pairs, end, missing


def node_fields(knobs: Dict[str, str], pairs: List[Tuple[str, str]]
                ) -> Tuple[Dict[str, str], Optional[str], Optional[str], Optional[str], List[str]]:
    """``(knobs, name, selected, inputs, user knob definitions)`` of a node body, raw;
    ``knobs`` (from ``body_pairs``) loses the knobs that are not the node's own."""
    user: List[str] = []
    if "addUserKnob" in knobs:
        del knobs["addUserKnob"]
        user = [v for k, v in pairs if k == "addUserKnob"]
    return (knobs, knobs.pop("name", None), knobs.pop("selected", None),
            knobs.pop("inputs", None), user)
