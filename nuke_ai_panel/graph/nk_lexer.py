"""Words of Nuke's .nk script text (a TCL dialect), defined once as regular expressions.

A script is a list of commands, one per line: ``Blur {...}``, ``push $N12``,
``set N12 [stack 0]``, ``version 15.1 v1``. Words are bare, "quoted" (backslash
escapes), {braced} (nested, may span lines, backslash protects a brace) or carry
[bracketed] TCL. Every word keeps its raw text so values can be written back
byte for byte: nothing is re-encoded that was not changed.

The patterns match nesting up to ``MAX_DEPTH`` levels in one regex call; deeper or
unbalanced text falls back to a character scanner with the same rules, which also
finds where an unbalanced construct starts. Line numbers are worked out only when
one is reported (``line_of``), never per word.
"""

from __future__ import annotations

import re
from typing import List, NamedTuple, Optional, Tuple

__all__ = [
    "NkParseError",
    "Word",
    "Command",
    "MAX_DEPTH",
    "KNOB_PAIRS",
    "word_end",
    "word_spans",
    "braced_end",
    "line_of",
    "split_commands",
    "split_words",
    "decode_value",
    "encode_value",
    "is_braced",
    "is_quoted",
]

MAX_DEPTH = 20


class NkParseError(ValueError):
    """The text is not a readable .nk script; ``line`` is 1-based."""

    def __init__(self, message: str, line: int) -> None:
        self.reason = message
        self.line = line
        super().__init__(f"line {line}: {message}")


class _ScanError(Exception):
    def __init__(self, message: str, pos: int) -> None:
        super().__init__(message)
        self.message = message
        self.pos = pos


class Word(NamedTuple):
    raw: str
    line: int


class Command(NamedTuple):
    words: List[Word]
    line: int
    text: str
    comment: bool = False


def line_of(text: str, pos: int, base_line: int = 1) -> int:
    """The 1-based line of offset ``pos`` (counted on demand, for reports only)."""
    return base_line + text.count("\n", 0, pos)


# -- the patterns --------------------------------------------------------------------
# Loops are unrolled (``plain* (special plain*)*``): a run of plain characters can be
# matched one way only, so a failed match costs time linear in its length.

_ESC = r"\\[\s\S]"


def _nested(open_: str, close: str, plain: str, depth: int) -> str:
    inner = rf"\{open_}{plain}*(?:{_ESC}{plain}*)*\{close}"
    for _ in range(depth - 1):
        inner = rf"\{open_}{plain}*(?:(?:{_ESC}|{inner}){plain}*)*\{close}"
    return inner


_BRACED = _nested("{", "}", r"[^{}\\]", MAX_DEPTH)
_BRACKETED = _nested("[", "]", r"[^\[\]\\]", 8)
# General words (the rules of the character scanner below).
_BARE_PLAIN = r"[^\s\\\[]"
_BARE_TAIL = rf"{_BARE_PLAIN}*(?:(?:\\[\s\S]?|{_BRACKETED}){_BARE_PLAIN}*)*"
_QUOTED = r'"[^"\\]*(?:\\[\s\S][^"\\]*)*"'
_WORD = re.compile(
    rf"(?:{_BRACED}|{_QUOTED}){_BARE_TAIL}"
    rf"|(?:[^\s\\\[{{\"]|\\[\s\S]?|{_BRACKETED}){_BARE_TAIL}"
)
# Knob words inside a node body, for the fast path: braces only inside braced
# values, so the pairs found tile the body exactly when the body is well formed.
_FAST_BRACKETED = _nested("[", "]", r"[^\[\]\\{}]", 8)
_FAST_PLAIN = r'[^\s{}"\\\[\]]'
_FAST_SPECIAL = rf"(?:{_ESC}|{_FAST_BRACKETED})"
_FAST_VALUE = (
    rf"{_FAST_PLAIN}+(?:{_FAST_SPECIAL}{_FAST_PLAIN}*)*|(?:{_FAST_SPECIAL}{_FAST_PLAIN}*)+"
    rf"|{_BRACED}"
    r'|"[^"\\{}]*(?:\\[\s\S][^"\\{}]*)*"'
)
_WS = r"[ \t\n\r\f\v]"
# ``findall`` gives (key, value) per knob; a character it cannot place comes back
# as ("", ""), which tells the caller to use the exact scanner instead.
KNOB_PAIRS = re.compile(
    rf"{_WS}*(?:([A-Za-z0-9_.:+\-]+){_WS}+({_FAST_VALUE})(?={_WS}|\Z)|\S)"
)
_SPACE = re.compile(r"[ \t\r\f\v]*")
_BRACED_RE = re.compile(_BRACED)


# -- the character scanner (deep or unbalanced text) ----------------------------------

_BRACE_STOP = re.compile(r"[{}\\]")
_BRACKET_STOP = re.compile(r"[\[\]\\]")
_QUOTE_STOP = re.compile(r'["\\]')
_BARE_RUN = re.compile(r"[^\s\\\[]+")


def _scan_nested(text: str, pos: int, stop: "re.Pattern[str]", opener: str,
                 missing: str) -> int:
    depth = 0
    i = pos
    while True:
        m = stop.search(text, i)
        if m is None:
            raise _ScanError(missing, pos)
        j = m.start()
        c = text[j]
        if c == "\\":
            i = j + 2
            continue
        if c == opener:
            depth += 1
        else:
            depth -= 1
            if depth == 0:
                return j + 1
        i = j + 1


def _scan_braced(text: str, pos: int) -> int:
    return _scan_nested(text, pos, _BRACE_STOP, "{",
                        "missing closing brace '}' for the block that starts here")


def _scan_bare(text: str, pos: int) -> int:
    i = pos
    n = len(text)
    while i < n:
        m = _BARE_RUN.match(text, i)
        if m:
            i = m.end()
            continue
        c = text[i]
        if c == "\\":
            i += 2
        elif c == "[":
            i = _scan_nested(text, i, _BRACKET_STOP, "[", "missing closing bracket ']'")
        else:
            break
    return min(i, n)


def _scan_word(text: str, pos: int) -> int:
    c = text[pos]
    if c == "{":
        end = _scan_braced(text, pos)
    elif c == '"':
        i = pos + 1
        while True:
            m = _QUOTE_STOP.search(text, i)
            if m is None:
                raise _ScanError("missing closing quote '\"'", pos)
            if text[m.start()] == "\\":
                i = m.start() + 2
                continue
            end = m.start() + 1
            break
    else:
        return _scan_bare(text, pos)
    if end < len(text) and not text[end].isspace():
        return _scan_bare(text, end)
    return end


# -- words -----------------------------------------------------------------------------


def word_end(text: str, pos: int, base_line: int = 1) -> int:
    """End offset of the word starting at ``pos`` (a non-space character).

    Raises NkParseError (line of the unbalanced construct) for an unclosed brace,
    bracket or quote."""
    m = _WORD.match(text, pos)
    if m is not None:
        end = m.end()
        if end >= len(text) or text[end].isspace():
            return end
    try:
        return _scan_word(text, pos)
    except _ScanError as exc:
        raise NkParseError(exc.message, line_of(text, exc.pos, base_line)) from None


def braced_end(text: str, pos: int, base_line: int = 1) -> int:
    """End offset of the balanced ``{...}`` starting at ``pos`` (braces counted the
    TCL way: quotes do not protect them, a backslash does)."""
    m = _BRACED_RE.match(text, pos)
    if m is not None:
        return m.end()
    try:
        return _scan_braced(text, pos)
    except _ScanError as exc:
        raise NkParseError(exc.message, line_of(text, exc.pos, base_line)) from None


_NEXT_WORD = re.compile(r"\s*")


def word_spans(text: str, start: int = 0, end: Optional[int] = None,
               base_line: int = 1) -> List[Tuple[int, int]]:
    """(start, end) of every word in ``text[start:end]``, newlines counting as space."""
    stop = len(text) if end is None else end
    spans = []
    skip = _NEXT_WORD.match
    i = skip(text, start).end()
    while i < stop:
        j = word_end(text, i, base_line)
        spans.append((i, j))
        i = skip(text, j).end()
    return spans


def split_words(text: str, base_line: int = 1) -> List[Word]:
    """Split text into words, treating newlines as plain whitespace (node bodies)."""
    out: List[Word] = []
    line = base_line
    last = 0
    for i, j in word_spans(text, 0, None, base_line):
        line += text.count("\n", last, i)
        out.append(Word(text[i:j], line))
        last = i
    return out


def split_commands(text: str, base_line: int = 1) -> List[Command]:
    """Split script text into commands; newlines end commands outside braces and quotes.
    A ``#`` starting a command makes the rest of its line a comment."""
    commands: List[Command] = []
    n = len(text)
    i = 0
    line = base_line
    last = 0
    while i < n:
        i = _NEXT_WORD.match(text, i).end()
        if i >= n:
            break
        line += text.count("\n", last, i)
        last = i
        if text[i] == "#":
            end = text.find("\n", i)
            end = n if end < 0 else end
            commands.append(Command([Word(text[i:end], line)], line, text[i:end], True))
            i = end
            continue
        words: List[Word] = []
        start = i
        word_line = line
        while True:
            j = word_end(text, i, base_line)
            words.append(Word(text[i:j], word_line))
            k = _SPACE.match(text, j).end()
            if k >= n or text[k] == "\n":
                break
            word_line += text.count("\n", i, k)
            i = k
        commands.append(Command(words, line, text[start:k]))
        i = k
    return commands


def is_braced(raw: str) -> bool:
    return len(raw) >= 2 and raw[0] == "{" and raw[-1] == "}"


def is_quoted(raw: str) -> bool:
    return len(raw) >= 2 and raw[0] == '"' and raw[-1] == '"'


_HEX4 = re.compile(r"[0-9a-fA-F]{4}")
_ESCAPES = {"n": "\n", "t": "\t", "r": "\r", "a": "\a", "b": "\b", "f": "\f", "v": "\v"}


def _unescape(s: str) -> str:
    if "\\" not in s:
        return s
    out = []
    i = 0
    n = len(s)
    while i < n:
        c = s[i]
        if c == "\\" and i + 1 < n:
            nxt = s[i + 1]
            if nxt == "u" and _HEX4.match(s, i + 2):
                out.append(chr(int(s[i + 2:i + 6], 16)))
                i += 6
                continue
            out.append(_ESCAPES.get(nxt, nxt))
            i += 2
        else:
            out.append(c)
            i += 1
    return "".join(out)


def decode_value(raw: Optional[str]) -> str:
    """The text a raw knob word stands for: quotes and escapes removed, braces stripped."""
    if raw is None:
        return ""
    if is_quoted(raw):
        return _unescape(raw[1:-1])
    if is_braced(raw):
        return raw[1:-1]
    return _unescape(raw)


_BARE_SAFE = re.compile(r"^[A-Za-z0-9_.+\-/:%@,=<>!?*~^|]+$")


def encode_value(text: str) -> str:
    """A raw word for ``text``: bare when safe, else a quoted string with escapes."""
    if text and _BARE_SAFE.match(text) and not text.startswith(("#", "$", "{", '"')):
        return text
    out = ['"']
    for ch in text:
        if ch in '\\"[]${}':
            out.append("\\" + ch)
        elif ch == "\n":
            out.append("\\n")
        elif ch == "\t":
            out.append("\\t")
        else:
            out.append(ch)
    out.append('"')
    return "".join(out)
