"""Markdown -> HTML for the subset QTextDocument renders, with markdown-it-py (CommonMark).

Pure Python (no Qt) so it is tested on its own. The parser is markdown-it-py's CommonMark
preset with its table and strike-through rules, raw HTML off and a line break kept as a line
break (as chat answers mean it); the HTML is written here from the parser's tokens, in the
inline styles QTextDocument reads (it knows no stylesheet classes and no ``thead``).
Everything that comes from the model is escaped; a link becomes a link only for ``http``,
``https`` and ``mailto`` (no ``javascript:``, no ``copy:`` link forged by the model), a bare
``http(s)://`` address is linked too, and an image is shown as its link, never loaded.

Streaming: a text is rendered chunk by chunk (:mod:`.chunks`); :func:`render` is by definition
the concatenation of :func:`render_chunk` over the chunks. Code blocks are numbered in order
from ``code_start``, for the ``copy:INDEX`` links the view turns into "Copy".
"""

from __future__ import annotations

import html
import re
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any, List, Optional, Sequence

from markdown_it import MarkdownIt

from nuke_ai_panel.fences import CodeBlock, info_language

from .chunks import split_chunks
from .highlight import highlight
from .theme import CODE_BG, CODE_FG, DIM

__all__ = ["Rendered", "code_header_html", "code_html", "escape", "render", "render_chunk",
           "table_prefix", "table_row"]


def escape(text: str) -> str:
    """``text`` with HTML's special characters (quotes too) escaped."""
    return html.escape(text, quote=True)


def code_header_html(index: int, language: str) -> str:
    """The line above a code block: the "Copy" link (``copy:INDEX``) and the language."""
    label = f'&nbsp;&nbsp;<span style="color:{DIM};">{escape(language)}</span>' if language else ""
    return (f'<p style="margin-top:8px;margin-bottom:0px;"><a href="copy:{index}">Copy</a>'
            f"{label}</p>")


_PARSER = MarkdownIt("commonmark", {"html": False, "breaks": True}).enable(
    ["table", "strikethrough"])
_HEADING_SIZES = {"h1": "x-large", "h2": "large", "h3": "medium", "h4": "medium", "h5": "small",
                  "h6": "small"}
_SAFE_URL = re.compile(r"^(https?://|mailto:)", re.I)
_BARE_URL = re.compile(r"https?://[^\s<>()\[\]]+")
_LIST_STYLE = ' style="margin-top:0px;margin-bottom:0px;"'
_SIMPLE = {"em_open": "<i>", "em_close": "</i>", "strong_open": "<b>", "strong_close": "</b>",
           "s_open": "<s>", "s_close": "</s>", "softbreak": "<br/>", "hardbreak": "<br/>",
           "list_item_open": "<li>", "list_item_close": "</li>", "tr_open": "<tr>",
           "tr_close": "</tr>", "hr": "<hr/>", "bullet_list_close": "</ul>",
           "ordered_list_close": "</ol>", "blockquote_close": "</blockquote>",
           "table_close": "</table>", "thead_open": "", "thead_close": "", "tbody_open": "",
           "tbody_close": ""}


@dataclass
class Rendered:
    html: str = ""
    code_blocks: List[CodeBlock] = field(default_factory=list)


def render(text: str, code_start: int = 0) -> Rendered:
    """The whole text: each chunk rendered on its own, code blocks numbered from ``code_start``."""
    result = Rendered()
    for chunk in split_chunks(text):
        part = render_chunk(chunk, code_start + len(result.code_blocks))
        result.html += part.html
        result.code_blocks.extend(part.code_blocks)
    return result


def render_chunk(chunk: str, code_start: int = 0) -> Rendered:
    """One chunk (or any Markdown text) as HTML, its code blocks numbered from ``code_start``."""
    writer = _Writer(code_start)
    writer.blocks(_PARSER.parse(chunk))
    return Rendered("".join(writer.out), writer.code_blocks)


def table_row(head: str, line: str) -> Optional[str]:
    """The HTML of ``line`` (``<tr>...</tr>``, exactly as :func:`render_chunk` writes it
    inside the whole table) when it is one body row of the table whose header and delimiter
    rows are ``head``; None when it is not (a blank line, a line that starts another block).
    GFM reads a table's rows line by line against its header, so a row read alone is that
    row: a table growing line by line is rendered a row at a time."""
    prefix = table_prefix(head)
    html = render_chunk(f"{head}\n{line}\n").html
    if prefix is None or not html.startswith(prefix) or not html.endswith("</table>"):
        return None
    row = html[len(prefix):-len("</table>")]
    return row if row.startswith("<tr>") and row.count("<tr>") == 1 else None


@lru_cache(maxsize=8)
def table_prefix(head: str) -> Optional[str]:
    """The HTML of the table ``head`` (header and delimiter rows) starts, up to its first
    body row; None when ``head`` is not a table's head."""
    html = render_chunk(f"{head}\n").html
    if not html.startswith("<table") or not html.endswith("</tr></table>"):
        return None
    return html[:-len("</table>")]


def code_html(source: str, language: str) -> str:
    """A code block inside other blocks (a list item, a quote): highlighted, wrapping long
    lines so the transcript never scrolls sideways."""
    code = highlight(source.rstrip("\n"), language) if source else ""
    return (f'<pre style="background-color:{CODE_BG};color:{CODE_FG};margin-top:2px;'
            f'margin-bottom:8px;white-space:pre-wrap;">{code}</pre>')


class _Writer:
    """Writes one token stream; ``out`` collects HTML pieces."""

    def __init__(self, code_start: int) -> None:
        self.code_start = code_start
        self.code_blocks: List[CodeBlock] = []
        self.out: List[str] = []
        self._bare_paragraphs: List[bool] = []
        self._links: List[bool] = []

    def blocks(self, tokens: Sequence[Any]) -> None:
        previous = ""
        for token in tokens:
            kind = token.type
            if kind == "inline":
                self.inline(token.children or [])
            elif kind == "paragraph_open":
                # a list item's first paragraph shares the bullet's line
                bare = token.hidden or previous == "list_item_open"
                self._bare_paragraphs.append(bare)
                self.out.append("" if bare else "<p>")
            elif kind == "paragraph_close":
                self.out.append("" if self._bare_paragraphs.pop() else "</p>")
            elif kind in ("fence", "code_block"):
                self.code(info_language(token.info) if kind == "fence" else "", token.content)
            else:
                self.out.append(self._block_tag(token))
            previous = kind

    def _block_tag(self, token: Any) -> str:
        kind, tag = token.type, token.tag
        if kind in _SIMPLE:
            return _SIMPLE[kind]
        if kind == "heading_open":
            return f'<{tag} style="font-size:{_HEADING_SIZES[tag]};">'
        if kind == "heading_close":
            return f"</{tag}>"
        if kind in ("bullet_list_open", "ordered_list_open"):
            # a top-level list item is a chunk of its own: the lists it makes must not gap
            style = _LIST_STYLE if token.level == 0 else ""
            start = int(token.attrs.get("start", 1))
            number = f' start="{start}"' if start != 1 else ""
            return f"<{tag}{number}{style}>"
        if kind == "blockquote_open":
            return f'<blockquote style="color:{DIM};margin-left:12px;">'
        if kind == "table_open":
            return ('<table border="1" cellspacing="0" cellpadding="4" '
                    f'style="border-color:{DIM};margin-top:6px;margin-bottom:6px;">')
        if kind in ("th_open", "td_open"):
            align = str(token.attrs.get("style", "")).replace("text-align:", "")
            return f'<{tag} align="{align}">' if align else f"<{tag}>"
        if kind in ("th_close", "td_close"):
            return f"</{tag}>"
        return f"<p>{escape(token.content)}</p>" if token.content else ""

    def code(self, language: str, source: str) -> None:
        index = self.code_start + len(self.code_blocks)
        self.code_blocks.append(CodeBlock(language, source))
        self.out.append(code_header_html(index, language))
        self.out.append(code_html(source, language))

    def inline(self, tokens: Sequence[Any]) -> None:
        out = self.out
        for token in tokens:
            kind = token.type
            if kind == "text":
                out.append(escape(token.content) if self._links else _linked(token.content))
            elif kind in _SIMPLE:
                out.append(_SIMPLE[kind])
            elif kind == "code_inline":
                out.append(f'<code style="background-color:{CODE_BG};">'
                           f"{escape(token.content)}</code>")
            elif kind == "link_open":
                href = str(token.attrs.get("href", ""))
                safe = bool(_SAFE_URL.match(href))
                self._links.append(safe)
                out.append(f'<a href="{escape(href)}">' if safe else "")
            elif kind == "link_close":
                out.append("</a>" if self._links and self._links.pop() else "")
            elif kind == "image":
                self._image(token)
            else:
                out.append(escape(token.content))

    def _image(self, token: Any) -> None:
        source = str(token.attrs.get("src", ""))
        alt = "".join(child.content for child in token.children or []) or source
        if _SAFE_URL.match(source) and not self._links:
            self.out.append(f'<a href="{escape(source)}">{escape(alt)}</a>')
        else:
            self.out.append(escape(alt))


def _linked(text: str) -> str:
    """Escaped ``text`` with its bare ``http(s)://`` addresses linked (trailing punctuation
    is left out of the address, as in prose)."""
    out, last = [], 0
    for match in _BARE_URL.finditer(text):
        url = match.group().rstrip(".,;:!?'\"")
        out.append(escape(text[last:match.start()]))
        out.append(f'<a href="{escape(url)}">{escape(url)}</a>')
        last = match.start() + len(url)
    out.append(escape(text[last:]))
    return "".join(out)
