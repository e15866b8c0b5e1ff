"""Tokenizer for Nuke's .nk script text (a TCL dialect).

A script is a list of commands, one per line: ``Blur {...}``, ``push $N12``,
``set N12 [stack 0]``, ``version 15.1 v1``. Words are bare, "quoted" (backslash
escapes), {braced} (nested, may span lines, backslash protects a brace) or
[bracketed]. Every word keeps its raw text so values can be written back
byte-for-byte: the parser never re-encodes what it did not change.
"""

from __future__ import annotations

import re
from typing import List, NamedTuple, Optional

__all__ = [
    "NkParseError",
    "Word",
    "Command",
    "split_commands",
    "split_words",
    "decode_value",
    "encode_value",
    "is_braced",
    "is_quoted",
]


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


_SPACE = re.compile(r"[ \t\r\f\v]+")
_BRACE_STOP = re.compile(r"[{}\\]")
_BRACKET_STOP = re.compile(r"[\[\]\\]")
_QUOTE_STOP = re.compile(r'["\\]')
_BARE_RUN = re.compile(r"[^\s\\\[]+")
_BARE_SAFE = re.compile(r"^[A-Za-z0-9_.+\-/:%@,=<>!?*~^|]+$")


def _scan_nested(text: str, pos: int, stop: "re.Pattern[str]", opener: str,
                 missing: str) -> int:
    """End of the balanced run starting at ``pos``; backslash escapes skip a character."""
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


def _scan_bracketed(text: str, pos: int) -> int:
    return _scan_nested(text, pos, _BRACKET_STOP, "[", "missing closing bracket ']'")


def _scan_quoted(text: str, pos: int) -> int:
    i = pos + 1
    while True:
        m = _QUOTE_STOP.search(text, i)
        if m is None:
            raise _ScanError("missing closing quote '\"'", pos)
        j = m.start()
        if text[j] == "\\":
            i = j + 2
            continue
        return j + 1


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
            i = _scan_bracketed(text, i)
        else:
            break
    return min(i, n)


def _scan_word(text: str, pos: int) -> int:
    c = text[pos]
    if c == "{":
        end = _scan_braced(text, pos)
    elif c == '"':
        end = _scan_quoted(text, pos)
    else:
        return _scan_bare(text, pos)
    if end < len(text) and not text[end].isspace():
        return _scan_bare(text, end)
    return end


def _scan_word_at(text: str, pos: int, line: int) -> int:
    try:
        return _scan_word(text, pos)
    except _ScanError as exc:
        raise NkParseError(exc.message, line + text.count("\n", pos, exc.pos)) from None


def split_commands(text: str, base_line: int = 1) -> List[Command]:
    """Split script text into commands; newlines end commands outside braces and quotes."""
    commands: List[Command] = []
    words: List[Word] = []
    start = 0
    i = 0
    n = len(text)
    line = base_line
    while i < n:
        m = _SPACE.match(text, i)
        if m:
            i = m.end()
            continue
        c = text[i]
        if c == "\n":
            if words:
                commands.append(Command(words, words[0].line, text[start:i]))
                words = []
            line += 1
            i += 1
            continue
        if not words and c == "#":
            end = text.find("\n", i)
            end = n if end < 0 else end
            commands.append(Command([Word(text[i:end], line)], line, text[i:end], True))
            i = end
            continue
        if not words:
            start = i
        end = _scan_word_at(text, i, line)
        words.append(Word(text[i:end], line))
        line += text.count("\n", i, end)
        i = end
    if words:
        commands.append(Command(words, words[0].line, text[start:n]))
    return commands


def split_words(text: str, base_line: int = 1) -> List[Word]:
    """Split text into words, treating newlines as plain whitespace (node bodies)."""
    out: List[Word] = []
    i = 0
    n = len(text)
    line = base_line
    while i < n:
        c = text[i]
        if c.isspace():
            if c == "\n":
                line += 1
            i += 1
            continue
        end = _scan_word_at(text, i, line)
        out.append(Word(text[i:end], line))
        line += text.count("\n", i, end)
        i = end
    return out


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
