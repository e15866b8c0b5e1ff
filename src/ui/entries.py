"""What the transcript shows, as HTML pieces: messages' headers, bodies, reasoning lines and
status lines, notices and blocks of other kinds. Pure Python (no Qt).

A message is drawn as sections (see :mod:`.blocks`): its header, its reasoning line (an
answer that reasoned), its body, and its footer (how an answer ended early, the steps it
applied), so each can be redrawn alone. An answer's body is its Markdown chunks
(:mod:`.chunks`) in order: HTML for most, and :class:`CodePart` for a top-level code block,
which the view writes line by line.
"""

from __future__ import annotations

import html
from dataclasses import dataclass, field
from typing import List, Optional, Union

from nuke_ai_panel.fences import match_opener, read_block
from nuke_ai_panel.history import COMPLETE, STOPPED, AppliedStep, HistoryMessage, early_note

from .chunks import open_fence, split_chunks
from .markdown import code_header_html, escape, render_chunk
from .theme import APPLIED, DIM, ERROR, WARN

PEEK_CHARS = 400


@dataclass(eq=False)
class Notice:
    """A line for the artist that is not part of the conversation (not saved, not sent)."""

    text: str
    level: str = "info"


@dataclass(eq=False)
class Block:
    """A block of HTML the view shows as it is (other kinds of transcript items: a tool
    step, an approval's outcome); change ``html`` and call ``TranscriptView.update_block``."""

    html: str


Entry = Union[HistoryMessage, Notice, Block]


@dataclass
class CodePart:
    """A top-level code block of an answer: its copy index, language and exact source."""

    index: int
    language: str
    source: str
    closed: bool = True


BodyPart = Union[str, CodePart]


def plain(text: str) -> str:
    """Escaped text with its line breaks kept."""
    return html.escape(text, quote=True).replace("\n", "<br/>")


def notice_html(notice: Notice) -> str:
    colour = {"warning": WARN, "error": ERROR}.get(notice.level, DIM)
    return f'<p style="color:{colour};"><i>{plain(notice.text)}</i></p>'


def header_html(message: HistoryMessage) -> str:
    """"You", or "Assistant" and the model."""
    if message.role == "user":
        return '<p style="margin-top:14px;"><b>You</b></p>'
    model = f' <span style="color:{DIM};">\u00b7 {plain(message.model)}</span>' \
        if message.model else ""
    return f'<p style="margin-top:14px;"><b>Assistant</b>{model}</p>'


def user_html(message: HistoryMessage) -> str:
    return header_html(message) + f"<p>{plain(message.text)}</p>"


def reasoning_html(serial: int, reasoning: str, expanded: bool) -> str:
    """The collapsible reasoning line; its link is ``reasoning:SERIAL``."""
    words = len(reasoning.split())
    if expanded:
        return (f'<p style="color:{DIM};font-size:small;"><a href="reasoning:{serial}">'
                f"\u25be Reasoning</a> ({words} words)<br/>{plain(reasoning)}</p>")
    return (f'<p style="color:{DIM};font-size:small;"><a href="reasoning:{serial}">'
            f"\u25b8 Reasoning</a> ({words} words, hidden)</p>")


def thinking_html(reasoning: str) -> str:
    """While a model reasons before answering: the last words of its reasoning."""
    return (f'<p style="color:{DIM};font-size:small;"><i>Thinking\u2026</i> '
            f"{plain(reasoning[-PEEK_CHARS:])}</p>")


def footer_html(message: HistoryMessage) -> str:
    """How an answer ended early, and the changes it made to the comp ("" when none)."""
    parts = []
    if message.role == "assistant" and message.status != COMPLETE:
        colour = DIM if message.status == STOPPED else WARN
        symbol = "\u25a0" if message.status == STOPPED else "\u26a0"
        parts.append(f'<p style="color:{colour};"><i>{symbol} {plain(early_note(message))}</i></p>')
    parts.extend(step_html(step) for step in message.steps)
    return "".join(parts)


def step_html(step: AppliedStep) -> str:
    """A change the answer made to the comp: applied, or struck through and "(undone)"."""
    if step.undone:
        return (f'<p style="color:{DIM};"><i>\u21b6 <s>{plain(step.describe(mark_undone=False))}'
                "</s> (undone)</i></p>")
    return f'<p style="color:{APPLIED};"><i>\u2713 {plain(step.describe())}</i></p>'


def code_part(chunk: str, index: int) -> Optional[CodePart]:
    """``chunk`` as a top-level code block, or None when it is not one."""
    fence = open_fence(chunk)
    if fence is None:
        return None
    lines = chunk.replace("\r\n", "\n").replace("\r", "\n").split("\n")
    opener = match_opener(lines[0])
    assert opener is not None
    block, _end = read_block(lines, 0, opener)
    return CodePart(index, block.language, block.source, block.closed)


@dataclass
class Body:
    """Some of an answer's text, drawn: ``parts`` are HTML strings (consecutive chunks
    joined) and top-level code blocks, in order; ``sources`` the exact source of every code
    block in it (inside the HTML too), numbered on from the ``code_start`` it was drawn at."""

    parts: List[BodyPart] = field(default_factory=list)
    sources: List[str] = field(default_factory=list)

    def add(self, chunk: str, code_start: int) -> None:
        """Append ``chunk``'s drawing, its code blocks numbered from ``code_start``."""
        code = code_part(chunk, code_start)
        if code is not None:
            self.parts.append(code)
            self.sources.append(code.source)
            return

        rendered = render_chunk(chunk, code_start)
        self.sources.extend(block.source for block in rendered.code_blocks)
        if self.parts and isinstance(self.parts[-1], str):
            self.parts[-1] += rendered.html
        else:
            self.parts.append(rendered.html)


def render_body(text: str, code_start: int, chunks: Optional[List[str]] = None) -> Body:
    """``text`` (or its ``chunks``) drawn chunk by chunk, code numbered from ``code_start``."""
    body = Body()
    for chunk in split_chunks(text) if chunks is None else chunks:
        body.add(chunk, code_start + len(body.sources))
    return body


def warm_up() -> None:
    """Import and prepare the Markdown parser and the lexers (a tenth of a second of pure
    Python, mostly compiling Pygments' regular expressions), so the first answer drawn does
    not pay for it: the view runs this on a background thread once it has been painted."""
    from .highlight import highlight_lines

    render_chunk("# a\n\n| a |\n|---|\n| *b* |\n\n- `c` [d](https://e)\n")
    for language in ("python", "nk"):
        highlight_lines("x = 1\n", language)


__all__ = ["Block", "Body", "BodyPart", "CodePart", "Entry", "Notice", "code_header_html",
           "code_part", "escape", "footer_html", "header_html", "notice_html", "plain",
           "reasoning_html", "render_body", "step_html", "thinking_html", "user_html", "warm_up"]
