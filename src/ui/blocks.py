"""Edits of the transcript's QTextDocument: sections of blocks inserted, replaced or removed
in place, and code blocks written line by line.

The document is a sequence of *sections* (a message's header, its reasoning line, its body,
its status line...), each a run of whole blocks. A section is known by a :class:`Marker`, a
QTextCursor at the start of its first block: Qt moves every cursor when text is inserted or
removed before it, so a marker stays true however the document changes elsewhere, and an
edit costs the same at any length of conversation. A section ends where the next one starts
(or at the end of the document). The document always begins with one empty, one-pixel block
that belongs to no section, so every section has a block before it: a section is inserted
after that block's end and removed from there, and the blocks around it keep their formats.

Code blocks at the top level of an answer are written with the cursor, one block per line in
the highlighter's colours, so a code block still arriving grows by its new lines only. Code
inside other blocks (a list item) comes as HTML from :mod:`.markdown`.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Dict, Iterable, List, Optional

from Qt import QtGui

from .markdown import code_header_html
from .theme import CODE_BG, CODE_FG

if TYPE_CHECKING:
    from .highlight import Span, Style

Marker = QtGui.QTextCursor

# QTextCursor.insertHtml merges a fragment's first block into the block at the cursor and
# drops its format (a heading, a list item), so every fragment starts with this paragraph,
# whose format does not matter.
LEAD = '<p style="margin:0px;font-size:1px;">\u200b</p>'
CODE_PAD_POINTS = 2  # the empty lines of code background above and below a code block
CODE_BOTTOM_MARGIN = 8


class Blocks:
    """The section edits on one ``document``; ``inserted`` counts the fragments and code
    lines put in (for tests: what a change cost)."""

    def __init__(self, document: QtGui.QTextDocument) -> None:
        self.document = document
        self.inserted = 0
        self._formats: Dict["Style", QtGui.QTextCharFormat] = {}
        self._line_format: Optional[QtGui.QTextBlockFormat] = None
        self.reset()

    def reset(self) -> None:
        """Empty the document, leaving only the leading block."""
        self.document.clear()
        cursor = QtGui.QTextCursor(self.document)
        tiny = QtGui.QTextCharFormat()
        tiny.setFontPointSize(1)
        cursor.setBlockCharFormat(tiny)
        block = QtGui.QTextBlockFormat()
        block.setTopMargin(0)
        block.setBottomMargin(0)
        cursor.setBlockFormat(block)

    def marker(self, position: int) -> Marker:
        cursor = QtGui.QTextCursor(self.document)
        cursor.setPosition(position)
        return cursor

    def _cursor_before(self, before: Optional[Marker]) -> QtGui.QTextCursor:
        """A cursor on a new empty block, placed before ``before`` (None: at the end)."""
        cursor = QtGui.QTextCursor(self.document)
        if before is None:
            cursor.movePosition(QtGui.QTextCursor.End)
        else:
            cursor.setPosition(before.position() - 1)
        cursor.insertBlock(QtGui.QTextBlockFormat(), QtGui.QTextCharFormat())
        return cursor

    def insert_html(self, fragment: str, before: Optional[Marker] = None) -> Marker:
        """A new section holding ``fragment``, before ``before`` (None: at the end)."""
        cursor = self._cursor_before(before)
        start = cursor.position()
        cursor.insertHtml(LEAD + fragment)
        self.inserted += 1
        return self.marker(start)

    def insert_code(self, index: int, language: str, lines: Iterable[List["Span"]],
                    before: Optional[Marker] = None, closed: bool = True) -> Marker:
        """A new section holding a code block: its header (Copy link, language) and
        ``lines``; a ``closed`` one is complete (see :meth:`close_code`)."""
        cursor = self._cursor_before(before)
        start = cursor.position()
        cursor.insertHtml(LEAD + code_header_html(index, language))
        self.inserted += 1
        self._pad(cursor, 0)
        for spans in lines:
            self._write_line(cursor, spans)
        if closed:
            self._pad(cursor, CODE_BOTTOM_MARGIN)
        return self.marker(start)

    def append_code_lines(self, lines: List[List["Span"]]) -> Marker:
        """Append ``lines`` to the code block at the end of the document; returns a marker
        on the first line written."""
        cursor = QtGui.QTextCursor(self.document)
        cursor.movePosition(QtGui.QTextCursor.End)
        start = cursor.position() + 1
        for spans in lines:
            self._write_line(cursor, spans)
        return self.marker(start)

    def close_code(self) -> None:
        """The code block at the end of the document is complete: close its background."""
        cursor = QtGui.QTextCursor(self.document)
        cursor.movePosition(QtGui.QTextCursor.End)
        self._pad(cursor, CODE_BOTTOM_MARGIN)

    def _pad(self, cursor: QtGui.QTextCursor, bottom_margin: int) -> None:
        """A few pixels of code background (an empty line in a tiny font)."""
        fmt = QtGui.QTextBlockFormat(self._code_line_format())
        fmt.setBottomMargin(bottom_margin)
        tiny = QtGui.QTextCharFormat()
        tiny.setFontPointSize(CODE_PAD_POINTS)
        cursor.insertBlock(fmt, tiny)

    def _write_line(self, cursor: QtGui.QTextCursor, spans: List["Span"]) -> None:
        cursor.insertBlock(self._code_line_format(), self._char_format(None))
        for text, style in spans:
            cursor.insertText(text, self._char_format(style))
        self.inserted += 1

    def remove(self, start: Marker, end: Optional[Marker] = None) -> None:
        """Remove the sections from ``start`` up to ``end`` (None: the end of the document),
        with the line break before them, so the blocks on either side keep their formats."""
        cursor = QtGui.QTextCursor(self.document)
        cursor.setPosition(max(0, start.position() - 1))
        if end is None:
            cursor.movePosition(QtGui.QTextCursor.End, QtGui.QTextCursor.KeepAnchor)
        else:
            cursor.setPosition(max(0, end.position() - 1), QtGui.QTextCursor.KeepAnchor)
        cursor.removeSelectedText()

    # -- formats -------------------------------------------------------------------------------

    def _code_line_format(self) -> QtGui.QTextBlockFormat:
        if self._line_format is None:
            fmt = QtGui.QTextBlockFormat()
            fmt.setBackground(QtGui.QBrush(QtGui.QColor(CODE_BG)))
            fmt.setTopMargin(0)
            fmt.setBottomMargin(0)
            fmt.setNonBreakableLines(False)
            self._line_format = fmt
        return self._line_format

    def _char_format(self, style: "Style") -> QtGui.QTextCharFormat:
        if style not in self._formats:
            fmt = QtGui.QTextCharFormat(_pre_format())
            colour, bold, italic = style if style is not None else (CODE_FG, False, False)
            fmt.setForeground(QtGui.QBrush(QtGui.QColor(colour)))
            fmt.setFontWeight(QtGui.QFont.Bold if bold else QtGui.QFont.Normal)
            fmt.setFontItalic(italic)
            self._formats[style] = fmt
        return self._formats[style]


_PRE: List[QtGui.QTextCharFormat] = []


def _pre_format() -> QtGui.QTextCharFormat:
    """The character format Qt gives ``<pre>`` text, so code written line by line uses the
    same font as code inside a list item (which comes as HTML)."""
    if not _PRE:
        probe = QtGui.QTextDocument()
        probe.setHtml("<pre>x</pre>")
        fmt = QtGui.QTextCharFormat(probe.firstBlock().begin().fragment().charFormat())
        fmt.setFontFixedPitch(True)
        _PRE.append(fmt)
    return _PRE[0]
