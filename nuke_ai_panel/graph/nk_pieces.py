"""The pieces a written script is made of, and how they become its text.

A piece is a span of the text the script was read from (copied as the file had it,
CR line ends included), text written anew (given the file's own line ends), a
``Slot`` for ``set`` lines added after a node, or an ``OpenEnd``.
"""

from __future__ import annotations

import re
from typing import Any, List

__all__ = ["OpenEnd", "Slot", "join_pieces"]

_STARTS_LINE = re.compile(r"[ \t\f\v]*[\r\n]")


class OpenEnd:
    """The ``end_group`` of a container whose text ran to the end without one: written
    only if something follows it, so an unedited file stays as it was."""

    __slots__ = ("line",)

    def __init__(self, line: str) -> None:
        self.line = line


class Slot:
    """Where ``set`` lines for a node go once a later node needs to push it (clone
    variables first, the way Nuke writes them)."""

    __slots__ = ("clone", "node")

    def __init__(self) -> None:
        self.clone: List[str] = []
        self.node: List[str] = []


def _written_after(pieces: List[Any]) -> bool:
    return any(isinstance(p, (str, tuple)) or isinstance(p, Slot) and (p.clone or p.node)
               for p in pieces)


def join_pieces(pieces: List[Any], doc: Any) -> str:
    """The script text: ``doc`` is the ``NkSource`` spans refer to (None: all written
    anew, ending with a newline); its BOM and the text after its last command stay."""
    newline = doc.newline if doc is not None else "\n"
    parts: List[str] = []
    for i, piece in enumerate(pieces):
        if isinstance(piece, OpenEnd):
            if not _written_after(pieces[i + 1:]):
                continue
            piece = piece.line
        if isinstance(piece, Slot):
            piece = "".join(piece.clone + piece.node)
            if not piece:
                continue
        if isinstance(piece, tuple):
            piece = doc.original(*piece)
        else:
            if not parts and piece.startswith("\n"):
                piece = piece[1:]
            if newline != "\n":
                piece = piece.replace("\n", newline)
        # Every command starts a line (the text's first one had no line end before it).
        if parts and not _STARTS_LINE.match(piece):
            parts.append(newline)
        parts.append(piece)
    text = "".join(parts)
    if doc is None:
        return text + "\n"
    text += doc.original(doc.tail_start(), len(doc.text))
    return ("\ufeff" + text) if doc.bom else text
