"""Markdown -> HTML for the subset QTextBrowser renders, with code blocks highlighted.

Pure Python (no Qt) so it is tested on its own. Everything that comes from the model is
HTML-escaped; only the tags built here reach the document.

Streaming support: a text is split into *chunks* at boundaries that never move once they are
seen (a blank line followed by an unindented line, or the edges of a top-level fenced code
block). ``render(text)`` is by definition the concatenation of the chunks' renders, so a view
can render each closed chunk once and re-render only the open last chunk while tokens arrive,
and still end up with exactly what a full render gives.
"""

from __future__ import annotations

import html
import re
from dataclasses import dataclass, field
from typing import Callable, List, Optional, Tuple

from nuke_ai_panel.fences import (NUKE, PYTHON, CodeBlock, is_closing, language_family,
                                  match_opener, read_block)

CODE_BG = "#1d1f21"
CODE_FG = "#d8d8d8"
DIM = "#8a8a8a"

COLOURS = {
    "keyword": "#cc7832",
    "builtin": "#8888c6",
    "string": "#6a8759",
    "comment": "#7f848e",
    "number": "#6897bb",
    "decorator": "#bbb529",
    "defname": "#ffc66d",
    "self": "#94558d",
    "node": "#ffc66d",
    "knob": "#9876aa",
    "brace": "#a9b7c6",
    "expr": "#4fc1ff",
    "var": "#4fc1ff",
}


@dataclass
class Rendered:
    html: str = ""
    code_blocks: List[CodeBlock] = field(default_factory=list)


# -- chunks (stable streaming boundaries) --------------------------------------------------------

_LIST = re.compile(r"^([ \t]*)([-*+]|\d{1,9}[.)])([ \t]+|$)(.*)$")


def _indent(line: str) -> int:
    return len(line) - len(line.lstrip(" \t"))


def chunk_ends(text: str, start: int = 0) -> List[int]:
    """Offsets after ``start`` where a closed chunk ends; ``start`` must itself be a boundary.

    A boundary is only reported once the characters deciding it have arrived, so appending
    text never moves or removes one: the view may render everything before the last boundary
    once and for all.
    """
    ends: List[int] = []
    pos = start
    chunk_start = start
    fence: Optional[str] = None
    fence_top = False
    seen_blank = False
    length = len(text)
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
                    ends.append(line_end)
                    chunk_start = line_end
                    seen_blank = False
            pos = line_end
            continue
        stripped = line.lstrip(" \t")
        if not stripped:
            if not complete:
                break
            if pos > chunk_start:
                seen_blank = True
            pos = line_end
            continue
        indent = len(line) - len(stripped)
        if not complete and stripped[0] in "`~" and (stripped[0] == "`" or len(stripped) < 3):
            break  # an unfinished line may still become, or stop being, a fence
        opener = match_opener(line)
        if opener is not None:
            top = indent < 2
            if top and pos > chunk_start:
                ends.append(pos)
                chunk_start = pos
            fence, fence_top, seen_blank = opener.fence, top, False
            pos = line_end
            continue
        if seen_blank and indent < 2 and pos > chunk_start:
            ends.append(pos)
            chunk_start = pos
        seen_blank = False
        pos = line_end
    return ends


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


def render(text: str, code_start: int = 0) -> Rendered:
    """The whole text: each chunk rendered on its own, code blocks numbered from ``code_start``."""
    result = Rendered()
    for chunk in split_chunks(text):
        part = render_chunk(chunk, code_start + len(result.code_blocks))
        result.html += part.html
        result.code_blocks.extend(part.code_blocks)
    return result


def render_chunk(chunk: str, code_start: int = 0) -> Rendered:
    result = Rendered()
    lines = chunk.replace("\r\n", "\n").replace("\r", "\n").split("\n")
    if lines and lines[-1] == "":
        lines.pop()
    result.html = "".join(_blocks(lines, result, code_start))
    return result


# -- blocks ---------------------------------------------------------------------------------------

_HEADING = re.compile(r"^ {0,3}(#{1,6})(?:[ \t]+(.*?))?(?:[ \t]+#+)?[ \t]*$")
_HR = re.compile(r"^ {0,3}([-*_])(?:[ \t]*\1){2,}[ \t]*$")
_QUOTE = re.compile(r"^ {0,3}> ?(.*)$")
_TABLE_SEP = re.compile(r"^[ \t]*\|?[ \t]*:?-+:?[ \t]*(\|[ \t]*:?-+:?[ \t]*)*\|?[ \t]*$")
_HEADING_SIZES = {1: "x-large", 2: "large", 3: "medium", 4: "medium", 5: "small", 6: "small"}


def _blank(line: str) -> bool:
    return not line.strip()


def _starts_block(lines: List[str], i: int) -> bool:
    """Does line ``i`` interrupt a paragraph?"""
    line = lines[i]
    if _HEADING.match(line) or _HR.match(line) or _QUOTE.match(line):
        return True
    if match_opener(line) is not None:
        return True
    item = _LIST.match(line)
    if item and item.group(4).strip():
        marker = item.group(2)
        return not marker[0].isdigit() or marker[:-1] == "1"
    return _is_table_start(lines, i)


def _is_table_start(lines: List[str], i: int) -> bool:
    if "|" not in lines[i] or i + 1 >= len(lines):
        return False
    sep = lines[i + 1]
    return ("|" in sep and bool(_TABLE_SEP.match(sep))
            and len(_cells(sep)) == len(_cells(lines[i])))


def _blocks(lines: List[str], out: Rendered, code_start: int) -> List[str]:
    parts: List[str] = []
    i, n = 0, len(lines)
    while i < n:
        line = lines[i]
        if _blank(line):
            i += 1
            continue
        opener = match_opener(line)
        if opener is not None:
            block, i = read_block(lines, i, opener)
            index = code_start + len(out.code_blocks)
            out.code_blocks.append(block)
            parts.append(code_header_html(index, block.language))
            parts.append(code_html(block.source, block.language))
            continue
        heading = _HEADING.match(line)
        if heading:
            level = len(heading.group(1))
            parts.append(f'<h{level} style="font-size:{_HEADING_SIZES[level]};">'
                         f"{inline(heading.group(2) or '')}</h{level}>")
            i += 1
            continue
        if _HR.match(line):
            parts.append("<hr/>")
            i += 1
            continue
        if _is_table_start(lines, i):
            i = _table(lines, i, parts)
            continue
        if _QUOTE.match(line):
            i = _quote(lines, i, out, code_start, parts)
            continue
        item = _LIST.match(line)
        if item and (item.group(4).strip() or i + 1 < n):
            i = _list(lines, i, out, code_start, parts)
            continue
        i = _paragraph(lines, i, parts)
    return parts


def code_header_html(index: int, language: str) -> str:
    """The line above a code block: the "Copy" link (``copy:INDEX``) and the language."""
    label = f'&nbsp;&nbsp;<span style="color:{DIM};">{escape(language)}</span>' if language else ""
    return (f'<p style="margin-top:8px;margin-bottom:0px;"><a href="copy:{index}">Copy</a>'
            f"{label}</p>")


def code_html(source: str, language: str) -> str:
    code = highlight(source.rstrip("\n"), language) if source else ""
    return (f'<pre style="background-color:{CODE_BG};color:{CODE_FG};margin-top:2px;'
            f'margin-bottom:8px;">{code}</pre>')


def open_fence(chunk: str) -> Optional[Tuple[str, int]]:
    """``(language, body offset)`` when ``chunk`` opens with a top-level code fence.

    For the open last chunk of a stream this means a code block still arriving, whose
    complete lines a view may draw ahead of the fence closing.
    """
    newline = chunk.find("\n")
    if newline < 0:
        return None
    line = chunk[:newline]
    opener = match_opener(line)
    if opener is None or len(line) - len(line.lstrip(" \t")) >= 2:
        return None
    return opener.language, newline + 1


def _table(lines: List[str], i: int, parts: List[str]) -> int:
    header = _cells(lines[i])
    aligns = [_alignment(cell) for cell in _cells(lines[i + 1])]
    rows: List[List[str]] = []
    i += 2
    while i < len(lines) and "|" in lines[i] and not _blank(lines[i]):
        rows.append(_cells(lines[i]))
        i += 1
    width = len(header)

    def row_html(cells: List[str], tag: str) -> str:
        cells = (cells + [""] * width)[:width]
        out = []
        for col, cell in enumerate(cells):
            align = aligns[col] if col < len(aligns) else ""
            attr = f' align="{align}"' if align else ""
            out.append(f"<{tag}{attr}>{inline(cell)}</{tag}>")
        return "<tr>" + "".join(out) + "</tr>"

    body = row_html(header, "th") + "".join(row_html(r, "td") for r in rows)
    parts.append('<table border="1" cellspacing="0" cellpadding="4" '
                 f'style="border-color:{DIM};margin-top:6px;margin-bottom:6px;">{body}</table>')
    return i


def _cells(line: str) -> List[str]:
    text = line.strip()
    if text.startswith("|"):
        text = text[1:]
    if text.endswith("|") and not text.endswith("\\|"):
        text = text[:-1]
    cells = re.split(r"(?<!\\)\|", text)
    return [c.strip().replace("\\|", "|") for c in cells]


def _alignment(cell: str) -> str:
    cell = cell.strip()
    if cell.startswith(":") and cell.endswith(":"):
        return "center"
    if cell.endswith(":"):
        return "right"
    if cell.startswith(":"):
        return "left"
    return ""


def _quote(lines: List[str], i: int, out: Rendered, code_start: int, parts: List[str]) -> int:
    inner: List[str] = []
    while i < len(lines) and not _blank(lines[i]):
        match = _QUOTE.match(lines[i])
        if match:
            inner.append(match.group(1))
        elif inner and not _starts_block(lines, i):
            inner.append(lines[i])
        else:
            break
        i += 1
    body = "".join(_blocks(inner, out, code_start))
    parts.append(f'<blockquote style="color:{DIM};margin-left:12px;">{body}</blockquote>')
    return i


def _list(lines: List[str], i: int, out: Rendered, code_start: int, parts: List[str]) -> int:
    first = _LIST.match(lines[i])
    assert first is not None
    base = len(first.group(1).expandtabs(4))
    ordered = first.group(2)[0].isdigit()
    items: List[List[str]] = []
    content_indent = 0
    n = len(lines)
    while i < n:
        line = lines[i]
        item = _LIST.match(line)
        indent = _indent(line.expandtabs(4))
        if _blank(line):
            nxt = i + 1
            while nxt < n and _blank(lines[nxt]):
                nxt += 1
            if nxt >= n:
                break
            following = _LIST.match(lines[nxt])
            next_indent = _indent(lines[nxt].expandtabs(4))
            same_list = (following is not None and next_indent <= base + 1
                         and following.group(2)[0].isdigit() == ordered)
            if next_indent > base + 1 or same_list:
                items[-1].extend([""] * (nxt - i))
                i = nxt
                continue
            break
        if item and indent <= base + 1:
            if item.group(2)[0].isdigit() != ordered:
                break
            marker_width = len(item.group(1).expandtabs(4)) + len(item.group(2))
            gap = len(item.group(3))
            content_indent = marker_width + (gap if 0 < gap <= 4 else 1)
            items.append([item.group(4)])
            i += 1
            continue
        if indent > base + 1:
            items[-1].append(line.expandtabs(4)[min(content_indent, indent):])
            i += 1
            continue
        if _starts_block(lines, i):
            break
        items[-1].append(line.strip())
        i += 1
    tag = "ol" if ordered else "ul"
    start = ""
    if ordered:
        number = int(first.group(2)[:-1])
        if number != 1:
            start = f' start="{number}"'
    body = []
    for content in items:
        inner = _blocks(content, out, code_start)
        if len(inner) >= 1 and inner[0].startswith("<p>") and inner[0].endswith("</p>"):
            inner[0] = inner[0][3:-4]
        body.append("<li>" + "".join(inner) + "</li>")
    parts.append(f"<{tag}{start}>" + "".join(body) + f"</{tag}>")
    return i


def _paragraph(lines: List[str], i: int, parts: List[str]) -> int:
    chunk = [lines[i].strip()]
    i += 1
    while i < len(lines) and not _blank(lines[i]) and not _starts_block(lines, i):
        chunk.append(lines[i].strip())
        i += 1
    parts.append("<p>" + "<br/>".join(inline(line) for line in chunk) + "</p>")
    return i


# -- inline ---------------------------------------------------------------------------------------

_INLINE = re.compile(
    r"(?P<code>(?P<ticks>`+)(?P<code_text>.+?)(?P=ticks))"
    r"|(?P<escape>\\[!-/:-@\[-`{-~])"
    r"|(?P<link>\[(?P<link_text>[^\]\n]+)\]\((?P<url>[^)\s]+)(?:\s+\"[^\"]*\")?\))"
    r"|(?P<autolink><(?P<auto_url>(?:https?://|mailto:)[^>\s]+)>)"
    r"|(?P<bare>https?://[^\s<>()\[\]]+)"
)
_SAFE_URL = re.compile(r"^(https?://|mailto:)", re.I)
_EMPHASIS: List[Tuple["re.Pattern[str]", str]] = [
    (re.compile(r"\*\*\*(?=\S)(.+?)(?<=\S)\*\*\*"), "<b><i>{}</i></b>"),
    (re.compile(r"\*\*(?=\S)(.+?)(?<=\S)\*\*"), "<b>{}</b>"),
    (re.compile(r"(?<![\w_])__(?=\S)(.+?)(?<=\S)__(?![\w_])"), "<b>{}</b>"),
    (re.compile(r"~~(?=\S)(.+?)(?<=\S)~~"), "<s>{}</s>"),
    (re.compile(r"(?<![*\w])\*(?=[^\s*])(.+?)(?<=[^\s*])\*(?![*\w])"), "<i>{}</i>"),
    (re.compile(r"(?<![\w_])_(?=[^\s_])(.+?)(?<=[^\s_])_(?![\w_])"), "<i>{}</i>"),
]
_SLOT = re.compile("\x00(\\d+)\x00")


def escape(text: str) -> str:
    return html.escape(text, quote=True)


def inline(text: str) -> str:
    """One line of inline Markdown -> HTML; every character from the model is escaped."""
    stash: List[str] = []

    def keep(fragment: str) -> str:
        stash.append(fragment)
        return f"\x00{len(stash) - 1}\x00"

    def token(match: "re.Match[str]") -> str:
        if match.group("code") is not None:
            body = match.group("code_text")
            if body.startswith(" ") and body.endswith(" ") and body.strip():
                body = body[1:-1]
            return keep(f'<code style="background-color:{CODE_BG};">{escape(body)}</code>')
        if match.group("escape") is not None:
            return keep(escape(match.group("escape")[1]))
        if match.group("link") is not None:
            url = match.group("url")
            label = _emphasis(escape(match.group("link_text")), keep)
            if _SAFE_URL.match(url):
                return keep(f'<a href="{escape(url)}">{label}</a>')
            return keep(label)
        url = match.group("auto_url") or match.group("bare")
        trail = ""
        if match.group("bare") is not None:
            stripped = url.rstrip(".,;:!?'\"")
            trail, url = url[len(stripped):], stripped
        return keep(f'<a href="{escape(url)}">{escape(url)}</a>') + escape(trail)

    text = text.replace("\x00", "\ufffd")
    text = _INLINE.sub(token, text)
    text = _emphasis(escape(text), keep)
    while "\x00" in text:
        text = _SLOT.sub(lambda m: stash[int(m.group(1))], text)
    return text


def _emphasis(text: str, keep: Callable[[str], str]) -> str:
    """Bold, italic and strike-through, innermost spans first kept aside so tags nest."""
    for pattern, template in _EMPHASIS:
        text = pattern.sub(lambda m, t=template: keep(t.format(_emphasis(m.group(1), keep))),
                           text)
    return text


# -- syntax highlighting ---------------------------------------------------------------------------

_PY_KEYWORDS = frozenset(
    "False None True and as assert async await break class continue def del elif else except "
    "finally for from global if import in is lambda nonlocal not or pass raise return try "
    "while with yield match case".split())
_PY_BUILTINS = frozenset(
    "abs all any bool bytes callable chr dict dir enumerate filter float format getattr "
    "hasattr hash int isinstance issubclass iter len list map max min next object open ord "
    "print range repr reversed round set setattr sorted str sum super tuple type zip "
    "Exception ValueError TypeError KeyError RuntimeError".split())
_PY = re.compile(
    r"(?P<comment>#[^\n]*)"
    r"|(?P<string>(?<![\w])[rRbBuUfF]{0,2}(?:\"\"\"[\s\S]*?(?:\"\"\"|$)|'''[\s\S]*?(?:'''|$)"
    r"|\"(?:\\.|[^\"\\\n])*\"?|'(?:\\.|[^'\\\n])*'?))"
    r"|(?P<decorator>^[ \t]*@[\w.]+)"
    r"|(?P<number>\b(?:0[xX][\da-fA-F_]+|0[bB][01_]+|0[oO][0-7_]+"
    r"|\d[\d_]*(?:\.[\d_]*)?(?:[eE][+-]?\d+)?[jJ]?)\b|\.\d+(?:[eE][+-]?\d+)?\b)"
    r"|(?P<name>[A-Za-z_]\w*)",
    re.M)

_TCL_KEYWORDS = frozenset(
    "set push proc if else elseif foreach for while return expr puts knob value in "
    "version define_window_layout_xml addUserKnob end_group".split())
_TCL = re.compile(
    r"(?P<comment>^[ \t]*#[^\n]*)"
    r"|(?P<string>\"(?:\\.|[^\"\\])*\"?)"
    r"|(?P<expr>\[[^\[\]\n]*\]?)"
    r"|(?P<var>\$\{?[\w:]+\}?)"
    r"|(?P<brace>[{}])"
    r"|(?P<number>(?<![\w.])-?\d+(?:\.\d+)?(?:[eE][+-]?\d+)?(?![\w.]))"
    r"|(?P<first>^[ \t]*[A-Za-z_][\w.:]*)",
    re.M)


def _span(kind: str, text: str) -> str:
    style = f"color:{COLOURS[kind]};"
    if kind == "comment":
        style += "font-style:italic;"
    if kind in ("keyword", "node"):
        style += "font-weight:bold;"
    return f'<span style="{style}">{escape(text)}</span>'


def highlight(source: str, language: str) -> str:
    """``source`` as escaped HTML with coloured spans (Python, TCL/.nk); others plain."""
    family = language_family(language)
    if family == PYTHON:
        return _highlight_python(source)
    if family == NUKE:
        return _highlight_tcl(source)
    return escape(source)


def _highlight_python(source: str) -> str:
    out: List[str] = []
    last = 0
    previous = ""
    for match in _PY.finditer(source):
        out.append(escape(source[last:match.start()]))
        kind = match.lastgroup or ""
        word = match.group()
        if kind == "name":
            if previous in ("def", "class"):
                kind = "defname"
            elif word in _PY_KEYWORDS:
                kind = "keyword"
            elif word in _PY_BUILTINS:
                kind = "builtin"
            elif word in ("self", "cls"):
                kind = "self"
            else:
                kind = ""
            previous = word
        else:
            previous = ""
        out.append(_span(kind, word) if kind else escape(word))
        last = match.end()
    out.append(escape(source[last:]))
    return "".join(out)


def _highlight_tcl(source: str) -> str:
    out: List[str] = []
    last = 0
    for match in _TCL.finditer(source):
        out.append(escape(source[last:match.start()]))
        kind = match.lastgroup or ""
        word = match.group()
        if kind == "first":
            lead = word[:len(word) - len(word.lstrip())]
            name = word.strip()
            line_end = source.find("\n", match.end())
            rest = source[match.end():line_end if line_end >= 0 else len(source)]
            if rest.strip() == "{":
                kind = "node"
            elif name in _TCL_KEYWORDS:
                kind = "keyword"
            else:
                kind = "knob"
            out.append(escape(lead) + _span(kind, name))
        else:
            out.append(_span(kind, word))
        last = match.end()
    out.append(escape(source[last:]))
    return "".join(out)
