"""Stable streaming boundaries in Markdown text: where a streamed answer splits into chunks.

Pure Python (no Qt). A text is split into *chunks* at block boundaries that never move once
they are seen, so a view can render every chunk that has closed once and for all and re-render
only the open last one while tokens arrive. The transcript defines the rendering of a text as
the concatenation of its chunks' renderings, so a streamed answer ends up exactly as a
conversation loaded from history shows it.

A boundary is:
- a blank line followed by a line indented less than two columns (outside code fences);
- the edges of a top-level fenced code block (a fence opened at less than two columns), so
  a top-level code block is always a chunk of its own (the view appends its lines as they
  arrive);
- the start of a top-level list item, when the chunk so far is that list (each item then
  renders as a list of its own, numbered on) or a plain paragraph that the item interrupts
  (a bullet, or an ordered item numbered 1: CommonMark's rule for interrupting a paragraph).

Fences are read with :mod:`nuke_ai_panel.fences`, the one fence parser.
"""

from __future__ import annotations

import re
from typing import List, Optional, Tuple

from nuke_ai_panel.fences import is_closing, match_opener

__all__ = ["chunk_ends", "open_fence", "split_chunks"]

_ITEM = re.compile(r"^([ \t]*)([-*+]|\d{1,9}[.)])([ \t]+)(.*)$")
_RULE = re.compile(r"^ {0,3}([-*_])(?:[ \t]*\1){2,}[ \t]*$")
_NOT_PLAIN = "#>|=`~<"


def _indent(line: str) -> int:
    return len(line) - len(line.lstrip(" \t"))


def _list_item(line: str) -> Optional[Tuple[str, int]]:
    """``(marker, content indent)`` when ``line`` starts a list item with some content.

    Content made only of rule characters is not enough (``- -`` may still grow into a
    thematic break), so a line still arriving is never misread.
    """
    match = _ITEM.match(line)
    if match is None or _RULE.match(line) or not match.group(4).strip(" \t-*_"):
        return None
    lead = len(match.group(1).expandtabs(4))
    gap = len(match.group(3).expandtabs(4))
    return match.group(2), lead + len(match.group(2)) + (gap if gap <= 4 else 1)


def _plain(line: str) -> bool:
    """A line that can only be paragraph text (no block starts with it)."""
    stripped = line.lstrip(" \t")
    return (bool(stripped) and _indent(line.expandtabs(4)) < 4 and stripped[0] not in _NOT_PLAIN
            and _ITEM.match(line) is None and _RULE.match(line) is None)


def chunk_ends(text: str, start: int = 0) -> List[int]:
    """Offsets after ``start`` where a closed chunk ends; ``start`` must itself be a boundary.

    A boundary is only reported once the characters deciding it have arrived, so appending
    text never moves or removes one.
    """
    ends: List[int] = []
    pos = chunk_start = start
    fence: Optional[str] = None
    fence_top = seen_blank = False
    item_indent: Optional[int] = None  # inside a top-level list: its item's content indent
    paragraph = False  # the chunk so far is one plain paragraph
    length = len(text)

    def cut(at: int) -> None:
        nonlocal chunk_start
        ends.append(at)
        chunk_start = at

    while pos < length:
        newline = text.find("\n", pos)
        complete = newline >= 0
        line_end = newline + 1 if complete else length
        line = text[pos:newline] if complete else text[pos:]
        if fence is not None:
            if not complete:
                break
            if is_closing(line, fence):
                fence = None
                if fence_top:
                    cut(line_end)
                    seen_blank = paragraph = False
                    item_indent = None
            pos = line_end
            continue
        stripped = line.lstrip(" \t")
        if not stripped:
            if not complete:
                break
            if pos > chunk_start:
                seen_blank = True
            paragraph = False
            pos = line_end
            continue
        indent = len(line) - len(stripped)
        if not complete and stripped[0] in "`~" and (stripped[0] == "`" or len(stripped) < 3):
            break  # an unfinished line may still become, or stop being, a fence
        opener = match_opener(line)
        first = pos == chunk_start
        if opener is not None:
            top = indent < 2
            if top and not first:
                cut(pos)
            elif not top and item_indent is not None and indent < item_indent:
                item_indent = None
            fence, fence_top, seen_blank, paragraph = opener.fence, top, False, False
            pos = line_end
            continue
        item = _list_item(line) if indent < 2 else None
        if not first and indent < 2 and (seen_blank or (item is not None and (
                item_indent is not None or (paragraph and _interrupts(item[0]))))):
            cut(pos)
            first = True
        if first:
            item_indent = item[1] if item is not None else None
            paragraph = item is None and _plain(line)
        else:
            if item_indent is not None and indent < item_indent:
                item_indent = None
            paragraph = paragraph and _plain(line)
        seen_blank = False
        pos = line_end
    return ends


def _interrupts(marker: str) -> bool:
    """May a list item with ``marker`` interrupt a paragraph? Bullets, and ordered items
    numbered 1 (https://spec.commonmark.org/0.31.2/#list-items)."""
    return not marker[0].isdigit() or int(marker[:-1]) == 1


def split_chunks(text: str) -> List[str]:
    """The chunks of ``text``; the last one may still be open while streaming."""
    out: List[str] = []
    last = 0
    for end in chunk_ends(text):
        out.append(text[last:end])
        last = end
    if last < len(text) or not out:
        out.append(text[last:])
    return out


def open_fence(chunk: str) -> Optional[Tuple[str, int, int]]:
    """``(language, body offset, opener indent)`` when ``chunk`` is a top-level fenced code
    block (closed or still arriving), else None; such a chunk is the whole block. An opening
    line still arriving is not one yet: its info string may still gain a backtick."""
    newline = chunk.find("\n")
    if newline < 0:
        return None
    opener = match_opener(chunk[:newline])
    if opener is None or _indent(chunk[:newline]) >= 2:
        return None
    return opener.language, newline + 1, opener.indent
