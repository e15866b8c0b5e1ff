"""The conversation view: a read-only QTextBrowser that renders the messages it is given.

The view creates no messages: the chat session owns them (the user's text, the answer that
grows as the stream arrives) and the view draws the very objects it is handed. Each entry
(a message, a notice, a block of another kind) is drawn once, as sections of the document
(see :mod:`.blocks`) that are redrawn alone when they change: an answer's status line when a
step it proposed is applied or undone, its reasoning line when it is opened, nothing else.
While an answer streams only its open end changes (:mod:`.live_answer`), so the cost of a
token does not grow with the length of the conversation, and finishing an answer adds its
status line without drawing the answer again. ``messages()`` lists what is shown, with each
message's exact raw text, for copy and tests.
"""

from __future__ import annotations

import threading
from typing import Any, Dict, Iterable, List, Optional

from Qt import QtCore, QtGui, QtWidgets

from nuke_ai_panel.history import HistoryMessage

from .blocks import Blocks, Marker
from .entries import (Block, BodyPart, CodePart, Entry, Notice, footer_html, header_html,
                      notice_html, reasoning_html, render_body, user_html, warm_up)
from .live_answer import DRAFT_CHARS, LiveAnswer
from .theme import DIM
from .thumbnails import images_html

__all__ = ["DIM", "DRAFT_CHARS", "Block", "Notice", "TranscriptView"]

STICK_MARGIN = 8
_WARMING: List[threading.Thread] = []


class Placed:
    """An entry as drawn: the markers of its sections (header first; the reasoning line, the
    body and the footer when it has them) and what its body was drawn from."""

    def __init__(self, entry: Entry, serial: int) -> None:
        self.entry = entry
        self.serial = serial
        self.start: Optional[Marker] = None
        self.summary: Optional[Marker] = None
        self.body: Optional[Marker] = None
        self.footer: Optional[Marker] = None
        self.expanded = False
        self.drawn_text: Optional[str] = None
        self.code_start = 0
        self.code_count = 0
        self.summary_words = -1


class TranscriptView(QtWidgets.QTextBrowser):
    """See the module docstring. ``render_count``, ``rendered_chars`` (characters of text
    drawn) and ``blocks.inserted`` (fragments and code lines put in) are for tests."""

    codeCopied = QtCore.Signal(int)

    def __init__(self, parent: Optional[QtWidgets.QWidget] = None) -> None:
        super().__init__(parent)
        self.setObjectName("transcriptView")
        self.setReadOnly(True)
        self.setOpenLinks(False)
        self.setOpenExternalLinks(False)
        self.setUndoRedoEnabled(False)
        self.setPlaceholderText("Ask about nodes, expressions, Python or your comp.")
        self.document().setDocumentMargin(8)
        self.anchorClicked.connect(self._on_anchor)
        self.blocks = Blocks(self.document())
        self._placed: List[Placed] = []
        self._codes: Dict[int, str] = {}
        self.next_code = 0
        self._serial = -1  # entries are numbered from 0 in the order they were added
        self._live: Optional[LiveAnswer] = None
        self._editing = False
        self._stick = True
        self.render_count = 0
        self.rendered_chars = 0
        bar = self.verticalScrollBar()
        bar.valueChanged.connect(self._on_scrolled)
        bar.rangeChanged.connect(self._on_range)

    # -- what the view holds ------------------------------------------------------------------

    @property
    def streaming(self) -> bool:
        return self._live is not None

    def messages(self) -> List[HistoryMessage]:
        """The user and assistant messages, with their exact raw text (the live one included)."""
        return [p.entry for p in self._placed if isinstance(p.entry, HistoryMessage)]

    def raw_texts(self) -> List[str]:
        return [m.text for m in self.messages()]

    def code_block(self, index: int) -> Optional[str]:
        """The exact source behind the ``copy:INDEX`` link."""
        if index in self._codes:
            return self._codes[index]
        return self._live.source(index) if self._live is not None else None

    @property
    def code_count(self) -> int:
        return self.next_code + (self._live.pending_count if self._live is not None else 0)

    def register_code(self, sources: Iterable[str]) -> None:
        """Number the code blocks just drawn for good, in order."""
        for source in sources:
            self._codes[self.next_code] = source
            self.next_code += 1

    # -- building -----------------------------------------------------------------------------

    def clear_transcript(self) -> None:
        self._placed = []
        self._codes = {}
        self.next_code = 0
        self._live = None
        self.blocks.reset()
        self._stick = True

    def set_messages(self, messages: Iterable[HistoryMessage]) -> None:
        """Show a saved conversation."""
        with self._edit():
            self.clear_transcript()
            for message in messages:
                self._add(message)

    def add_user(self, message: HistoryMessage) -> None:
        """Show the user's ``message`` (finished, drawn once)."""
        self._add_finished(message)

    def add_notice(self, text: str, level: str = "info") -> None:
        """A line for the artist that is not part of the conversation (not saved, not sent)."""
        self._add_finished(Notice(text, level))

    def add_block(self, block: Block, after: Optional[HistoryMessage] = None) -> Block:
        """Show ``block`` (HTML the view does not interpret: other kinds of transcript items)
        at the end (before an answer still streaming), or right after ``after``'s message;
        :meth:`update_block` redraws it."""
        live = self._live
        if after is None or (live is not None and after is live.message):
            self._add_finished(block)
            return block
        with self._edit():
            self._add(block, self._index(after) + 1)
        return block

    def update_block(self, block: Block) -> bool:
        """Draw ``block`` again after its ``html`` changed; False when it is not shown."""
        placed = self._find(block)
        if placed is None:
            return False
        with self._edit():
            self._redraw_part(placed, "start", notice_or_block_html(block))
        return True

    def refresh_message(self, message: HistoryMessage) -> bool:
        """Draw ``message`` again after it changed outside a stream (a step it proposed was
        applied, undone or redone). Only its status line is redrawn when its text is the one
        drawn; False when it is not shown."""
        placed = self._find(message)
        if placed is None:
            return False
        if self._live is not None and placed is self._live.placed:
            return True  # its status line is drawn when it ends
        with self._edit():
            if placed.drawn_text == message.text and message.role == "assistant":
                self._redraw_part(placed, "footer", footer_html(message))
                if message.reasoning and placed.summary_words != len(message.reasoning.split()):
                    self.draw_summary(placed)
            else:
                index = self._index(message)
                self._remove_entry(placed)
                self._draw(placed, self._start_of(index + 1))
        return True

    def begin_answer(self, message: HistoryMessage) -> None:
        """Show ``message``, an answer that is still growing: call :meth:`update_answer`
        after its text changes and :meth:`end_answer` when it is over."""
        if self._live is not None:
            self.end_answer()
        placed = self._new_placed(message)
        self._placed.append(placed)
        with self._edit():
            placed.start = self.blocks.insert_html(header_html(message))
        placed.code_start = self.next_code
        self._live = LiveAnswer(self, placed)

    def update_answer(self) -> None:
        """The live answer's text or reasoning grew: draw its open end."""
        if self._live is not None:
            with self._edit():
                self._live.update()

    def end_answer(self) -> Optional[HistoryMessage]:
        """The live answer is over (its status says how): finish its open end and add its
        reasoning line and status line; what was drawn while it streamed stays."""
        live = self._live
        if live is None:
            return None
        placed = live.placed
        message = live.message
        with self._edit():
            live.end()
            self._live = None
            placed.drawn_text = message.text
            placed.code_count = self.next_code - placed.code_start
            if message.reasoning and placed.summary_words != len(message.reasoning.split()):
                self.draw_summary(placed)
            footer = footer_html(message)
            if footer:
                placed.footer = self.blocks.insert_html(footer)
        return message

    # -- drawing entries ------------------------------------------------------------------------

    def _new_placed(self, entry: Entry) -> Placed:
        self._serial += 1
        return Placed(entry, self._serial)

    def _add_finished(self, entry: Entry) -> None:
        """Add ``entry`` at the end, before the answer still streaming if there is one."""
        live = self._live
        index = self._placed.index(live.placed) if live is not None else None
        with self._edit():
            self._add(entry, index)

    def _add(self, entry: Entry, index: Optional[int] = None) -> None:
        placed = self._new_placed(entry)
        index = len(self._placed) if index is None else index
        self._placed.insert(index, placed)
        placed.code_start = self.next_code
        self._draw(placed, self._start_of(index + 1))

    def _draw(self, placed: Placed, before: Optional[Marker]) -> None:
        """Draw ``placed``'s sections before ``before`` (None: at the end)."""
        entry = placed.entry
        if not isinstance(entry, HistoryMessage):
            placed.start = self.blocks.insert_html(notice_or_block_html(entry), before)
            return
        if entry.role == "user":
            pictures = images_html(self.document(), entry.images) if entry.images else ""
            placed.start = self.blocks.insert_html(user_html(entry) + pictures, before)
            placed.drawn_text = entry.text
            return
        placed.start = self.blocks.insert_html(header_html(entry), before)
        if entry.reasoning:
            placed.summary_words = len(entry.reasoning.split())
            placed.summary = self.blocks.insert_html(
                reasoning_html(placed.serial, entry.reasoning, placed.expanded), before)
        code_start = placed.code_start if placed.drawn_text == entry.text else self.next_code
        body = render_body(entry.text, code_start)
        placed.body = None
        for part in body.parts:
            marker = self.draw_part(part, before)
            if placed.body is None:
                placed.body = marker
        for offset, source in enumerate(body.sources):
            self._codes[code_start + offset] = source
        self.next_code = max(self.next_code, code_start + len(body.sources))
        placed.code_start, placed.code_count = code_start, len(body.sources)
        placed.drawn_text = entry.text
        footer = footer_html(entry)
        placed.footer = self.blocks.insert_html(footer, before) if footer else None

    def draw_part(self, part: BodyPart, before: Optional[Marker] = None) -> Marker:
        """Draw one part of an answer's body (HTML, or a top-level code block)."""
        if isinstance(part, CodePart):
            from .highlight import highlight_lines

            return self.blocks.insert_code(part.index, part.language,
                                           highlight_lines(part.source, part.language), before)
        return self.blocks.insert_html(part, before)

    def draw_summary(self, placed: Placed) -> None:
        """Draw (or draw again) ``placed``'s reasoning line, after its header."""
        message = placed.entry
        assert isinstance(message, HistoryMessage)
        placed.summary_words = len(message.reasoning.split())
        self._redraw_part(placed, "summary",
                          reasoning_html(placed.serial, message.reasoning, placed.expanded))

    _PARTS = ("start", "summary", "body", "footer")

    def _redraw_part(self, placed: Placed, part: str, fragment: str) -> None:
        """Replace one section of ``placed`` (or add it, or remove it when ``fragment`` is "")."""
        after = self._after(placed, part)
        old = getattr(placed, part)
        if old is not None:
            self.blocks.remove(old, after)
        setattr(placed, part, self.blocks.insert_html(fragment, after) if fragment else None)

    def _after(self, placed: Placed, part: str) -> Optional[Marker]:
        """The marker of the first section after ``placed``'s ``part`` (None: the end)."""
        for later in self._PARTS[self._PARTS.index(part) + 1:]:
            marker = getattr(placed, later)
            if marker is not None:
                return marker
        if self._live is not None and placed is self._live.placed:
            return None
        return self._start_of(self._index(placed.entry) + 1)

    def _start_of(self, index: int) -> Optional[Marker]:
        return self._placed[index].start if index < len(self._placed) else None

    def _remove_entry(self, placed: Placed) -> None:
        assert placed.start is not None
        self.blocks.remove(placed.start, self._start_of(self._index(placed.entry) + 1))
        placed.start = placed.summary = placed.body = placed.footer = None

    def _index(self, entry: Entry) -> int:
        """By identity: two messages with the same words are still two messages."""
        return next(i for i, p in enumerate(self._placed) if p.entry is entry)

    def _find(self, entry: Entry) -> Optional[Placed]:
        return next((p for p in self._placed if p.entry is entry), None)

    def paintEvent(self, event: Any) -> None:
        super().paintEvent(event)
        if not _WARMING:
            # the Markdown parser and lexers load after the panel shows, off the main thread
            _WARMING.append(threading.Thread(target=warm_up, name="nuke-ai-panel-warm-up",
                                             daemon=True))
            _WARMING[0].start()

    # -- scrolling ----------------------------------------------------------------------------

    def _edit(self) -> "_Edit":
        return _Edit(self)

    def _on_scrolled(self, value: int) -> None:
        if not self._editing:
            self._stick = value >= self.verticalScrollBar().maximum() - STICK_MARGIN

    def _on_range(self, _minimum: int, maximum: int) -> None:
        if self._stick and not self._editing:
            self.verticalScrollBar().setValue(maximum)

    @property
    def at_bottom(self) -> bool:
        return self._stick

    # -- links --------------------------------------------------------------------------------

    def _on_anchor(self, url: QtCore.QUrl) -> None:
        scheme = url.scheme().lower()
        target = url.toString()
        if scheme == "copy":
            self.copy_code(_number(target))
        elif scheme == "reasoning":
            serial = _number(target)
            placed = next((p for p in self._placed if p.serial == serial), None)
            if placed is not None and placed.summary is not None:
                placed.expanded = not placed.expanded
                with self._edit():
                    self.draw_summary(placed)
        elif scheme in ("http", "https", "mailto"):
            QtGui.QDesktopServices.openUrl(url)

    def copy_code(self, index: int) -> bool:
        source = self.code_block(index)
        if source is None:
            return False
        QtWidgets.QApplication.clipboard().setText(source)
        self.codeCopied.emit(index)
        return True


class _Edit:
    """One change of the view: its edits are one edit block of the document (Qt lays the
    document out once, when the block ends, rather than after every insertion), and the view
    stays at the bottom if it was there, else exactly where the artist left it."""

    def __init__(self, view: TranscriptView) -> None:
        self._view = view
        self._value = 0
        self._outer = False
        self._cursor: Optional[QtGui.QTextCursor] = None

    def __enter__(self) -> None:
        self._outer = not self._view._editing
        if self._outer:
            self._value = self._view.verticalScrollBar().value()
            self._view._editing = True
            self._cursor = QtGui.QTextCursor(self._view.document())
            self._cursor.beginEditBlock()

    def __exit__(self, *exc: Any) -> None:
        if not self._outer:
            return
        view = self._view
        assert self._cursor is not None
        self._cursor.endEditBlock()
        view._editing = False
        bar = view.verticalScrollBar()
        bar.setValue(bar.maximum() if view._stick else self._value)


def notice_or_block_html(entry: Entry) -> str:
    return notice_html(entry) if isinstance(entry, Notice) else entry.html  # type: ignore


def _number(target: str) -> int:
    try:
        return int(target.split(":", 1)[1])
    except (IndexError, ValueError):
        return -1
