"""The answer still arriving: drawn so that a frame's cost stays bounded whatever the content.

The answer's text is split into chunks at stable boundaries (:mod:`.chunks`). A chunk that
has closed is drawn once, in its final form, and never touched again; only the open last
chunk changes while tokens arrive:

- a top-level code block grows by its new complete lines only, coloured with the lexer's
  state carried from line to line; the line still arriving is the only one redrawn;
- any other chunk (a paragraph, a list item, a table) is redrawn as it grows, and when it is
  long, its settled beginning is drawn once as a *draft* and only the last stretch redrawn.
  Drafts are replaced by the chunk's proper drawing when it closes. A table is not cut into
  drafts (it would not draw as one table); its HTML is kept a row per line
  (:class:`_TableRows`), so a frame parses only the lines that arrived.

When a chunk closes or the answer ends, its drawing stays when it is already its final one
(no drafts, the same HTML; a code block gets its last line); then, at the end, the reasoning
line and the status line are added. ``rendered_chars`` on the view counts the characters of text
each update draws (for tests: the cost of a token).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, List, Optional

from nuke_ai_panel.fences import strip_indent
from nuke_ai_panel.history import HistoryMessage

from .blocks import Marker
from .chunks import chunk_ends, open_fence
from .entries import Body, thinking_html

if TYPE_CHECKING:
    from .transcript import Placed, TranscriptView

DRAFT_CHARS = 800


class LiveAnswer:
    """The streaming state of the one answer in flight, drawn at the end of the view."""

    def __init__(self, view: "TranscriptView", placed: "Placed") -> None:
        self.view = view
        self.placed = placed
        self.message: HistoryMessage = placed.entry  # type: ignore[assignment]
        self.stable = 0  # where the closed chunks end, in the text
        self.drafts: Optional[Marker] = None  # the open chunk's drafts start here
        self.drafted = 0  # characters of the open chunk drawn as drafts
        self.tail: Optional[Marker] = None  # the part of it redrawn every frame
        self.tail_html = ""
        self.pending: List[str] = []  # sources of the open chunk's code blocks (drafts, tail)
        self.draft_count = 0  # how many of them are in drafts
        self.code: Optional[_OpenCode] = None
        self.table: Optional[_TableRows] = None
        self.peek: Optional[Marker] = None
        self.drawn = ("", "")

    def source(self, index: int) -> Optional[str]:
        """The source of a code block not yet closed (``index`` past the view's own)."""
        if self.code is not None and index == self.code.index:
            return self.code.source()
        offset = index - self.view.next_code
        return self.pending[offset] if 0 <= offset < len(self.pending) else None

    @property
    def pending_count(self) -> int:
        return 1 if self.code is not None else len(self.pending)

    # -- drawing --------------------------------------------------------------------------------

    def update(self) -> None:
        """Draw what arrived since the last call."""
        message = self.message
        if (message.text, message.reasoning) == self.drawn:
            return
        self.drawn = (message.text, message.reasoning)
        self.view.render_count += 1
        text = message.text
        self._remove_peek()
        if not text:
            if message.reasoning:
                self.peek = self.view.blocks.insert_html(thinking_html(message.reasoning))
            return
        if message.reasoning and self.placed.summary is None:
            self.view.draw_summary(self.placed)
        for end in chunk_ends(text, self.stable):
            self._close(text, end, closing=True)
        if self.stable < len(text):
            self._draw_open(text)

    def end(self) -> None:
        """The answer is over: finish the open chunk (the view adds the status line)."""
        self.update()
        self._remove_peek()
        text = self.message.text
        if self.code is not None or self.drafted:
            self._close(text, len(text), closing=False)
        else:  # the open chunk's drawing is already its final one
            self.view.register_code(self.pending)
            self.pending = []

    def _close(self, text: str, end: int, closing: bool) -> None:
        """The open chunk ``text[stable:end]`` is complete: draw its final form."""
        if self.code is not None:
            self.code.finish(text, end, closing)
            self.view.register_code([self.code.source()])
            self.code = None
        elif self.drafts is None and self._draw_tail(self._table_html(text[:end])):
            self.view.rendered_chars += end - self.stable
        else:
            start = self.drafts if self.drafts is not None else self.tail
            if start is not None:
                self._remove(start)
            body = Body()
            body.add(text[self.stable:end], self.view.next_code)
            self.view.rendered_chars += end - self.stable
            for part in body.parts:
                self._mark_body(self.view.draw_part(part))
            self.view.register_code(body.sources)
        self.drafts = self.tail = None
        self.tail_html = ""
        self.drafted = self.draft_count = 0
        self.pending = []
        self.table = None
        self.stable = end

    def _draw_open(self, text: str) -> None:
        chunk = text[self.stable:]
        fence = open_fence(chunk)
        if fence is not None:
            if self.code is None:
                start = self.drafts if self.drafts is not None else self.tail
                if start is not None:  # drawn as text while its first line arrived
                    self._remove(start)
                self.drafts = self.tail = None
                self.tail_html, self.pending, self.drafted, self.draft_count = "", [], 0, 0
                self.code = _OpenCode(self, self.view.next_code, fence[0],
                                      self.stable + fence[1], fence[2])
            self.code.update(text)
            return
        start = self.stable + self.drafted
        if len(text) - start >= 2 * DRAFT_CHARS and not _is_table(chunk):
            cut = _cut_point(text, start, len(text) - DRAFT_CHARS)
            if cut > start:
                self._draw_draft(text[start:cut])
                start = cut
        from .markdown import render_chunk

        self.view.rendered_chars += len(text) - start
        if start == self.stable and self._draw_tail(self._table_html(text)):
            return
        rendered = render_chunk(text[start:], self.view.next_code + self.draft_count)
        if self._draw_tail(rendered.html):
            self.pending = self.pending[:self.draft_count] + \
                [b.source for b in rendered.code_blocks]

    def _draw_tail(self, html: Optional[str]) -> bool:
        """Draw ``html`` as the open chunk's last stretch (None: do nothing). True when it
        was drawn or is what is drawn already."""
        if html is None:
            return False
        if self.tail is not None and html == self.tail_html:
            return True
        if self.tail is not None:
            self._remove(self.tail)
        self.tail = self._append_html(html)
        self.tail_html = html
        return True

    def _table_html(self, text: str) -> Optional[str]:
        """The open chunk's HTML when it is a table read row by row so far, else None."""
        if self.table is None:
            self.table = _TableRows.begin(text, self.stable)
        return self.table.html(text) if self.table is not None else None

    def _draw_draft(self, draft: str) -> None:
        """Draw ``draft``, the settled beginning of a long open chunk, once."""
        from .markdown import render_chunk

        if self.tail is not None:
            self._remove(self.tail)
            self.tail, self.tail_html = None, ""
        rendered = render_chunk(draft, self.view.next_code + self.draft_count)
        self.view.rendered_chars += len(draft)
        marker = self._append_html(rendered.html)
        if self.drafts is None:
            self.drafts = marker
        self.pending = self.pending[:self.draft_count] + [b.source for b in rendered.code_blocks]
        self.draft_count = len(self.pending)
        self.drafted += len(draft)

    # -- document edits at the end of the view ----------------------------------------------

    def _append_html(self, fragment: str) -> Marker:
        return self._mark_body(self.view.blocks.insert_html(fragment))

    def _mark_body(self, marker: Marker) -> Marker:
        if self.placed.body is None:
            self.placed.body = marker
        return marker

    def _remove(self, marker: Marker) -> None:
        """Remove everything from ``marker`` to the end of the document."""
        body = self.placed.body
        if body is not None and marker.position() <= body.position():
            self.placed.body = None
        self.view.blocks.remove(marker)

    def _remove_peek(self) -> None:
        if self.peek is not None:
            self.view.blocks.remove(self.peek)
            self.peek = None


class _OpenCode:
    """A top-level code block still arriving: its lines are appended as they complete."""

    def __init__(self, live: LiveAnswer, index: int, language: str, body_start: int,
                 indent: int) -> None:
        self.live = live
        self.blocks = live.view.blocks
        self.index = index
        self.indent = indent
        live._mark_body(self.blocks.insert_code(index, language, [], closed=False))
        from .highlight import LineHighlighter

        self.highlighter = LineHighlighter(language)
        self.lines: List[str] = []
        self.done = body_start  # the complete lines before this offset are written
        self.partial: Optional[Marker] = None  # the line still arriving, drawn
        self.partial_text = ""

    def source(self) -> str:
        """The exact source so far (what Copy gives), as :func:`fences.read_block` reads it."""
        return "".join(line + "\n" for line in self.lines) + self.partial_text

    def update(self, text: str) -> None:
        """Write the lines completed since the last call; redraw the one still arriving."""
        complete = max(self.done, text.rfind("\n") + 1)
        self._write(text[self.done:complete], text[complete:])
        self.done = complete

    def finish(self, text: str, end: int, closing: bool) -> None:
        """The block ends at ``end``: after its closing fence line (``closing``), or at the end
        of an answer that stopped inside it (the line still arriving is then its last)."""
        if closing:
            self._write(text[self.done:text.rfind("\n", 0, end - 1) + 1], "", final=True)
        else:
            complete = max(self.done, text.rfind("\n", 0, end) + 1)
            self._write(text[self.done:complete], text[complete:end], final=True)
        self.done = end
        self.blocks.close_code()

    def _write(self, complete: str, partial: str, final: bool = False) -> None:
        lines = [strip_indent(line.rstrip("\r"), self.indent) for line in complete.split("\n")]
        lines.pop()  # what follows the last line break: the partial line
        partial = strip_indent(partial.rstrip("\r"), self.indent)
        if not lines and partial == self.partial_text and not final:
            return
        if self.partial is not None:
            self.blocks.remove(self.partial)
            self.partial = None
        self.partial_text = ""
        self.lines.extend(lines)
        self.live.view.rendered_chars += len(complete) + len(partial)
        if lines:
            self.blocks.append_code_lines([self.highlighter.line(line) for line in lines])
        if partial:
            spans = self.highlighter.line(partial) if final else self.highlighter.peek(partial)
            marker = self.blocks.append_code_lines([spans])
            self.partial = None if final else marker
            self.partial_text = partial


class _TableRows:
    """An open chunk that is a table: the HTML of its rows so far, one per complete line, so
    a frame renders only the lines that arrived. It gives up (``html`` None from then on)
    when a line is not a row of the table; the chunk is then rendered whole."""

    def __init__(self, head: str, prefix: Optional[str], done: int) -> None:
        self.head = head
        self.prefix = prefix
        self.rows: List[str] = []
        self.done = done  # the complete lines before this offset are in ``rows``
        self.ended = False  # a blank line came: the table is over

    @classmethod
    def begin(cls, text: str, start: int) -> Optional["_TableRows"]:
        """For the open chunk ``text[start:]``, once its header and delimiter rows are
        complete and make a table's head; else None."""
        from .markdown import table_prefix

        chunk = text[start:]
        lines = chunk.split("\n", 2)
        if len(lines) < 3 or not _is_table(chunk):
            return None
        head = lines[0] + "\n" + lines[1]
        return cls(head, table_prefix(head), start + len(head) + 1)

    def html(self, text: str) -> Optional[str]:
        """The HTML :func:`.markdown.render_chunk` gives the chunk ending at ``len(text)``,
        or None (then it must be rendered whole)."""
        from .markdown import table_row

        if self.prefix is None:
            return None
        complete = max(self.done, text.rfind("\n") + 1)
        for line in text[self.done:complete].split("\n")[:-1]:
            if not line.strip():
                self.ended = True
                continue
            row = None if self.ended else table_row(self.head, line)
            if row is None:
                self.prefix = None
                return None
            self.rows.append(row)
        self.done = complete
        partial = text[complete:]
        last = ""
        if partial.strip():
            row = None if self.ended else table_row(self.head, partial)
            if row is None:
                return None
            last = row
        return self.prefix + "".join(self.rows) + last + "</table>"


def _is_table(chunk: str) -> bool:
    """Does ``chunk`` start with a table's header and delimiter rows? (A table cut into
    drafts would not draw as a table; it is redrawn whole while it grows.)"""
    lines = chunk.split("\n", 2)
    return len(lines) > 1 and "|" in lines[0] and set(lines[1].strip()) <= set("|:- ") \
        and "-" in lines[1]


def _cut_point(text: str, low: int, high: int) -> int:
    """Where to end a draft in ``text[low:high]``: after a line break, else after a space."""
    for separator in ("\n", " "):
        found = text.rfind(separator, low, high)
        if found >= 0:
            return found + 1
    return -1
