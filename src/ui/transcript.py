"""The conversation view: a read-only QTextBrowser that renders the messages it is given.

The view creates no messages: the chat session owns them (the user's text, the answer that
grows as the stream arrives) and the view draws the very objects it is handed. Finished
messages are rendered once. While an answer streams, only the open end of it is touched:
Markdown chunks that have closed (see :mod:`.markdown`) are appended once, and the
still-open last chunk is replaced in place at the end of the document, so the cost of a token
does not grow with the length of the conversation. ``messages()`` lists what is shown, with
each message's exact raw text, for copy and tests.
"""

from __future__ import annotations

import html
from dataclasses import dataclass
from typing import Any, Dict, Iterable, List, Optional, Tuple, Union

from Qt import QtCore, QtGui, QtWidgets

from nuke_ai_panel.history import COMPLETE, STOPPED, AppliedStep, HistoryMessage, early_note

from . import markdown

DIM = markdown.DIM
WARN = "#e0a050"
ERROR = "#e06c60"
APPLIED = "#7fbf7f"
PEEK_CHARS = 400
DRAFT_CHARS = 800
STICK_MARGIN = 8
# Every inserted fragment starts with this one-pixel paragraph: QTextCursor.insertHtml merges
# a fragment's first block into the block at the cursor and drops its format (a heading, a
# code line, a list item), so that first block must be one whose format does not matter.
_LEAD = '<p style="margin:0px;font-size:1px;">\u200b</p>'


@dataclass
class Notice:
    text: str
    level: str = "info"


Entry = Union[HistoryMessage, Notice]


class TranscriptView(QtWidgets.QTextBrowser):
    """See the module docstring. ``render_count`` and ``rendered_chars`` are for tests."""

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
        self._entries: List[Entry] = []
        self._code: List[str] = []
        self._expanded: Dict[int, bool] = {}
        self._live: Optional[HistoryMessage] = None
        self._live_start = 0
        self._live_code_start = 0
        self._tail_start: Optional[int] = None
        self._tail_code: List[str] = []
        self._stable_len = 0
        self._draft_start: Optional[int] = None
        self._draft_len = 0
        self._draft_code: List[str] = []
        self._summary_done = False
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
        return [e for e in self._entries if isinstance(e, HistoryMessage)]

    def raw_texts(self) -> List[str]:
        return [m.text for m in self.messages()]

    def code_block(self, index: int) -> Optional[str]:
        """The exact source behind the ``copy:INDEX`` link."""
        if 0 <= index < len(self._code):
            return self._code[index]
        offset = index - len(self._code)
        pending = self._draft_code + self._tail_code if self._live is not None else []
        return pending[offset] if 0 <= offset < len(pending) else None

    def _index_of(self, entry: Entry) -> int:
        """By identity: two messages with the same words are still two messages."""
        return next(i for i, e in enumerate(self._entries) if e is entry)

    @property
    def code_count(self) -> int:
        pending = len(self._draft_code) + len(self._tail_code) if self._live is not None else 0
        return len(self._code) + pending

    # -- building -----------------------------------------------------------------------------

    def clear_transcript(self) -> None:
        self._entries = []
        self._code = []
        self._expanded = {}
        self._live = None
        self._tail_start = None
        self._draft_start, self._draft_len, self._draft_code = None, 0, []
        self._tail_code = []
        self.document().clear()
        self._stick = True

    def set_messages(self, messages: Iterable[HistoryMessage]) -> None:
        """Show a saved conversation, rendered in one pass."""
        self.clear_transcript()
        self._entries = list(messages)
        self._rebuild()

    def add_user(self, message: HistoryMessage) -> None:
        """Show the user's ``message`` (finished, rendered once)."""
        self._add_finished(message)

    def refresh_message(self, message: HistoryMessage) -> bool:
        """Draw ``message`` again from the message model after it changed outside a stream
        (a step it proposed was applied, undone or redone). False when it is not shown.
        (The whole view is redrawn, keeping the scroll position: this is rare.)"""
        if not any(entry is message for entry in self._entries):
            return False
        self._rebuild()
        return True

    def add_notice(self, text: str, level: str = "info") -> None:
        """A line for the artist that is not part of the conversation (not saved, not sent)."""
        self._add_finished(Notice(text, level))

    def begin_answer(self, message: HistoryMessage) -> None:
        """Show ``message``, an answer that is still growing: call :meth:`update_answer`
        after its text changes and :meth:`end_answer` when it is over."""
        if self._live is not None:
            self.end_answer()
        self._entries.append(message)
        self._live = message
        self._live_code_start = len(self._code)
        self._stable_len = 0
        self._draft_start, self._draft_len, self._draft_code = None, 0, []
        self._summary_done = False
        self._tail_code = []
        with self._edit():
            self._live_start = self._end_position()
            self._append(self._header_html(message))
            self._tail_start = None

    def update_answer(self) -> None:
        """The live answer's text or reasoning grew: redraw its open end."""
        live = self._live
        if live is None or not (live.text or live.reasoning):
            return
        self._update_live()

    def end_answer(self) -> Optional[HistoryMessage]:
        """The live answer is over (its status says how): render it whole once, marked when
        it ended early."""
        live = self._live
        if live is None:
            return None
        self._live = None
        self._tail_start = None
        self._draft_start, self._draft_len, self._draft_code = None, 0, []
        self._tail_code = []
        del self._code[self._live_code_start:]
        index = self._index_of(live)
        with self._edit():
            self._remove_from(self._live_start)
            self._append(self._entry_html(index, live))
        return live

    # -- streaming ------------------------------------------------------------------------------

    def _update_live(self) -> None:
        live = self._live
        assert live is not None
        self.render_count += 1
        text = live.text
        stable_html = ""
        ends = markdown.chunk_ends(text, self._stable_len)
        remove_at = self._tail_start
        if ends and self._draft_start is not None:
            remove_at = self._draft_start
            self._draft_start, self._draft_len, self._draft_code = None, 0, []
        if (ends or text) and live.reasoning and not self._summary_done:
            stable_html += self._reasoning_html(self._index_of(live), live)
            self._summary_done = True
        for end in ends:
            chunk = text[self._stable_len:end]
            rendered = markdown.render_chunk(chunk, len(self._code))
            self.rendered_chars += len(chunk)
            self._code.extend(block.source for block in rendered.code_blocks)
            stable_html += rendered.html
            self._stable_len = end
        tail_html = ""
        if live.reasoning and not self._summary_done:
            peek = live.reasoning[-PEEK_CHARS:]
            tail_html += (f'<p style="color:{DIM};font-size:small;"><i>Thinking\u2026</i> '
                          f"{_plain(peek)}</p>")
        draft_html, open_html = self._draft(text)
        tail_html += open_html
        with self._edit():
            if remove_at is not None:
                self._remove_from(remove_at)
                self._tail_start = None
            if stable_html:
                self._append(stable_html)
            if draft_html:
                start = self._append(draft_html)
                if self._draft_start is None:
                    self._draft_start = start
            if tail_html:
                self._tail_start = self._append(tail_html)

    def _draft(self, text: str) -> Tuple[str, str]:
        """HTML for the open chunk, drawn so that one token costs a bounded amount.

        A long open chunk (a big code block, a long list or paragraph) is not redrawn whole
        for every token: its settled beginning is drawn once as a *draft* and only the last
        stretch is replaced. Returns ``(draft to append now, open rest)``. Drafts are replaced
        by the chunk's proper rendering once it closes.
        """
        start = self._stable_len
        done = max(self._draft_len, start)
        fence = markdown.open_fence(text[start:])
        draft = ""
        if fence is not None:
            language, offset = fence
            body_start = start + offset
            done = max(done, body_start)
            index = len(self._code)
            complete = text.rfind("\n") + 1
            if complete - done >= DRAFT_CHARS:
                if self._draft_len == 0:
                    draft = markdown.code_header_html(index, language)
                draft += markdown.code_html(text[done:complete], language)
                self.rendered_chars += complete - done
                self._draft_len = done = complete
            self._tail_code = [text[body_start:]]
            self.rendered_chars += len(text) - done
            header = "" if self._draft_len else markdown.code_header_html(index, language)
            return draft, header + markdown.code_html(text[done:], language)
        if len(text) - done >= 2 * DRAFT_CHARS:
            cut = _cut_point(text, done, len(text) - DRAFT_CHARS)
            if cut > done:
                rendered = markdown.render_chunk(text[done:cut],
                                                 len(self._code) + len(self._draft_code))
                self._draft_code.extend(block.source for block in rendered.code_blocks)
                self.rendered_chars += cut - done
                draft = rendered.html
                self._draft_len = done = cut
        if done >= len(text):
            self._tail_code = []
            return draft, ""
        rendered = markdown.render_chunk(text[done:], len(self._code) + len(self._draft_code))
        self.rendered_chars += len(text) - done
        self._tail_code = [block.source for block in rendered.code_blocks]
        return draft, rendered.html

    # -- HTML ---------------------------------------------------------------------------------

    def _entry_html(self, index: int, entry: Entry) -> str:
        if isinstance(entry, Notice):
            colour = {"warning": WARN, "error": ERROR}.get(entry.level, DIM)
            return f'<p style="color:{colour};"><i>{_plain(entry.text)}</i></p>'
        parts = [self._header_html(entry)]
        if entry.role == "assistant" and entry.reasoning:
            parts.append(self._reasoning_html(index, entry))
        if entry.role == "user":
            parts.append(f"<p>{_plain(entry.text)}</p>")
        else:
            rendered = markdown.render(entry.text, len(self._code))
            self._code.extend(block.source for block in rendered.code_blocks)
            parts.append(rendered.html)
        if entry.role == "assistant" and entry.status != COMPLETE:
            colour = DIM if entry.status == STOPPED else WARN
            symbol = "\u25a0" if entry.status == STOPPED else "\u26a0"
            parts.append(f'<p style="color:{colour};"><i>{symbol} '
                         f"{_plain(early_note(entry))}</i></p>")
        parts.extend(_step_html(step) for step in entry.steps)
        return "".join(parts)

    def _header_html(self, message: HistoryMessage) -> str:
        if message.role == "user":
            return '<p style="margin-top:14px;"><b>You</b></p>'
        model = f' <span style="color:{DIM};">\u00b7 {_plain(message.model)}</span>' \
            if message.model else ""
        return f'<p style="margin-top:14px;"><b>Assistant</b>{model}</p>'

    def _reasoning_html(self, index: int, message: HistoryMessage) -> str:
        words = len(message.reasoning.split())
        if self._expanded.get(index):
            return (f'<p style="color:{DIM};font-size:small;"><a href="reasoning:{index}">'
                    f"\u25be Reasoning</a> ({words} words)<br/>{_plain(message.reasoning)}</p>")
        return (f'<p style="color:{DIM};font-size:small;"><a href="reasoning:{index}">'
                f"\u25b8 Reasoning</a> ({words} words, hidden)</p>")

    # -- document edits -----------------------------------------------------------------------

    def _add_finished(self, entry: Entry) -> None:
        if self._live is not None:
            self._entries.insert(self._index_of(self._live), entry)
            self._rebuild()
            return
        self._entries.append(entry)
        index = len(self._entries) - 1
        with self._edit():
            self._append(self._entry_html(index, entry))

    def _rebuild(self) -> None:
        """Render everything again: for loading a conversation or toggling reasoning."""
        self._code = []
        live = self._live
        finished = [(i, e) for i, e in enumerate(self._entries) if e is not live]
        with self._edit():
            self.document().clear()
            body = "".join(self._entry_html(i, e) for i, e in finished)
            if body:
                self._append(body)
            if live is not None:
                self._live_code_start = len(self._code)
                self._live_start = self._end_position()
                self._append(self._header_html(live))
                self._tail_start = None
                self._stable_len = 0
                self._draft_start, self._draft_len, self._draft_code = None, 0, []
                self._summary_done = False
        if live is not None:
            self._update_live()

    def _end_position(self) -> int:
        return max(0, self.document().characterCount() - 1)

    def _append(self, fragment: str) -> int:
        """Insert ``fragment`` as new blocks at the end; returns where removal must start."""
        cursor = QtGui.QTextCursor(self.document())
        cursor.movePosition(QtGui.QTextCursor.End)
        start = cursor.position()
        if self.document().characterCount() > 1:
            cursor.insertBlock(QtGui.QTextBlockFormat(), QtGui.QTextCharFormat())
        cursor.insertHtml(_LEAD + fragment)
        return start

    def _remove_from(self, position: int) -> None:
        cursor = QtGui.QTextCursor(self.document())
        cursor.setPosition(min(position, self._end_position()))
        cursor.movePosition(QtGui.QTextCursor.End, QtGui.QTextCursor.KeepAnchor)
        cursor.removeSelectedText()

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
            self.copy_code(_index(target))
        elif scheme == "reasoning":
            index = _index(target)
            if 0 <= index < len(self._entries):
                self._expanded[index] = not self._expanded.get(index, False)
                self._rebuild()
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
    """Keeps the view at the bottom if it was there, else exactly where the artist left it."""

    def __init__(self, view: TranscriptView) -> None:
        self._view = view
        self._value = 0

    def __enter__(self) -> None:
        self._value = self._view.verticalScrollBar().value()
        self._view._editing = True

    def __exit__(self, *exc: Any) -> None:
        view = self._view
        view._editing = False
        bar = view.verticalScrollBar()
        if view._stick:
            bar.setValue(bar.maximum())
        else:
            bar.setValue(self._value)


def _cut_point(text: str, low: int, high: int) -> int:
    """Where to end a draft in ``text[low:high]``: after a line break, else after a space."""
    for separator in ("\n", " "):
        found = text.rfind(separator, low, high)
        if found >= 0:
            return found + 1
    return -1


def _index(target: str) -> int:
    try:
        return int(target.split(":", 1)[1])
    except (IndexError, ValueError):
        return -1


def _step_html(step: AppliedStep) -> str:
    """A change the answer made to the comp: applied, or struck through and "(undone)"."""
    if step.undone:
        return (f'<p style="color:{DIM};"><i>\u21b6 <s>{_plain(step.describe(mark_undone=False))}</s>'
                " (undone)</i></p>")
    return f'<p style="color:{APPLIED};"><i>\u2713 {_plain(step.describe())}</i></p>'


def _plain(text: str) -> str:
    """Escaped text with its line breaks kept."""
    return html.escape(text, quote=True).replace("\n", "<br/>")
