"""Fenced code blocks in model answers: the one parser and the one language table.

The transcript (copy links, highlighting), the helpers (which block is a .nk snippet, which
is Python to run) and ``/expr`` (which block is the expression) all read fences here, so a
tag means the same thing everywhere.

Fences follow CommonMark: an opening line of at least three backticks or tildes, optionally
indented, then an info string whose first word is the language (``{.python}`` is read as
``python``); the block ends at a line made only of the same character, at least as long as
the opener. A fence never closed (an answer cut off mid-block) runs to the end of the text.
Source: https://spec.commonmark.org/0.31.2/#fenced-code-blocks
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Dict, List, NamedTuple, Optional, Sequence, Tuple

__all__ = [
    "LANGUAGES",
    "NUKE",
    "PYTHON",
    "CodeBlock",
    "Opener",
    "code_blocks",
    "info_language",
    "is_closing",
    "language_family",
    "match_opener",
    "read_block",
    "strip_indent",
]

PYTHON = "python"
NUKE = "nuke"
"""Nuke's own TCL: .nk script text (what ``nuke.nodeCopy`` writes) and knob expressions."""

#: Fence tag -> language family. Models label .nk text and expressions as ``tcl`` as often as
#: ``nk``; which of the two a NUKE block is depends on what was asked (``/build`` or ``/expr``).
LANGUAGES: Dict[str, str] = {
    "python": PYTHON, "py": PYTHON, "python3": PYTHON, "py3": PYTHON, "pycon": PYTHON,
    "nk": NUKE, "nuke": NUKE, "nukescript": NUKE, "nk-script": NUKE, "tcl": NUKE, "tk": NUKE,
    "expr": NUKE, "expression": NUKE,
}

_OPENER = re.compile(r"^([ \t]*)(`{3,}|~{3,})(.*)$")


class Opener(NamedTuple):
    """An opening fence line: its indentation (columns), the fence itself and the language."""

    indent: int
    fence: str
    language: str


@dataclass(frozen=True)
class CodeBlock:
    """One fenced block: the language tag (lower case, "" when none) and its exact source
    (what "Copy" puts on the clipboard). ``closed`` is False for a fence that ran to the end."""

    language: str
    source: str
    closed: bool = True

    @property
    def family(self) -> Optional[str]:
        return language_family(self.language)


def info_language(info: str) -> str:
    """The language named by a fence's info string: its first word, lower case."""
    info = info.strip()
    return info.split()[0].lstrip("{.").rstrip("}").lower() if info else ""


def language_family(language: str) -> Optional[str]:
    """:data:`PYTHON`, :data:`NUKE`, or None for any other tag (and for no tag)."""
    return LANGUAGES.get(language.strip().lower())


def match_opener(line: str) -> Optional[Opener]:
    """The fence ``line`` opens, or None. A backtick fence's info string has no backticks."""
    match = _OPENER.match(line)
    if match is None:
        return None
    fence, info = match.group(2), match.group(3)
    if fence[0] == "`" and "`" in info:
        return None
    return Opener(len(match.group(1).expandtabs(4)), fence, info_language(info))


def is_closing(line: str, fence: str) -> bool:
    """Does ``line`` close a block opened with ``fence``?"""
    stripped = line.strip()
    return len(stripped) >= len(fence) and set(stripped) == {fence[0]}


def read_block(lines: Sequence[str], start: int, opener: Opener) -> Tuple[CodeBlock, int]:
    """The block whose opening fence is ``lines[start]``, and the index after it. Up to the
    opener's indentation is removed from each body line (a fence inside a list item)."""
    body: List[str] = []
    i = start + 1
    closed = False
    while i < len(lines):
        if is_closing(lines[i], opener.fence):
            closed = True
            i += 1
            break
        body.append(strip_indent(lines[i], opener.indent))
        i += 1
    source = "\n".join(body) + ("\n" if body and closed else "")
    return CodeBlock(opener.language, source, closed), i


def code_blocks(text: str) -> List[CodeBlock]:
    """Every fenced block of ``text``, in order."""
    lines = text.replace("\r\n", "\n").replace("\r", "\n").split("\n")
    blocks: List[CodeBlock] = []
    i = 0
    while i < len(lines):
        opener = match_opener(lines[i])
        if opener is None:
            i += 1
            continue
        block, i = read_block(lines, i, opener)
        blocks.append(block)
    return blocks


def strip_indent(line: str, indent: int) -> str:
    """``line`` of a block whose opener was indented ``indent`` columns, without up to that
    many leading spaces (CommonMark's rule for the body of an indented fence)."""
    strip = 0
    while strip < len(line) and strip < indent and line[strip] == " ":
        strip += 1
    return line[strip:]
