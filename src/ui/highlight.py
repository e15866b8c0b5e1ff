"""Code highlighting with Pygments: Python, and Nuke's TCL (.nk script text, expressions).

Pure Python (no Qt). Which lexer a fence tag gets is decided by the one language table,
:func:`nuke_ai_panel.fences.language_family`; other languages are shown plain.

Code is lexed one line at a time, carrying the lexer's state (its state stack, through
Pygments' :class:`~pygments.lexer.ExtendedRegexLexer` context) from one line to the next, so
a code block streamed line by line is coloured exactly as the whole block is, a triple-quoted
string spanning lines included. Pygments' own TCL lexer does not tell a node class from a
knob name and reads ``1.1`` as a name, so .nk text has a small lexer of its own here.
"""

from __future__ import annotations

import html
import threading
from typing import Any, Dict, List, Optional, Tuple

from pygments.lexer import ExtendedRegexLexer, LexerContext, bygroups
from pygments.lexers.python import PythonLexer
from pygments.token import (Comment, Keyword, Name, Number, Operator, Punctuation, String, Text,
                            Whitespace)

from nuke_ai_panel.fences import NUKE, PYTHON, language_family

__all__ = ["LineHighlighter", "Span", "Style", "highlight", "highlight_lines", "span_css"]

#: (colour, bold, italic) of a kind of token; None: the code's plain colour.
Style = Optional[Tuple[str, bool, bool]]
#: A run of text in one style.
Span = Tuple[str, Style]

# The dark theme's syntax colours (close to Nuke's own script editor).
_STYLES: Dict[Any, Tuple[str, bool, bool]] = {
    Keyword: ("#cc7832", True, False),
    Operator.Word: ("#cc7832", True, False),
    Name.Builtin: ("#8888c6", False, False),
    Name.Exception: ("#8888c6", False, False),
    Name.Builtin.Pseudo: ("#94558d", False, False),
    String: ("#6a8759", False, False),
    String.Interpol: ("#4fc1ff", False, False),
    Comment: ("#7f848e", False, True),
    Number: ("#6897bb", False, False),
    Name.Decorator: ("#bbb529", False, False),
    Name.Function: ("#ffc66d", False, False),
    Name.Class: ("#ffc66d", True, False),
    Name.Attribute: ("#9876aa", False, False),
    Name.Variable: ("#4fc1ff", False, False),
    Punctuation: ("#a9b7c6", False, False),
}
_RESOLVED: Dict[Any, Style] = {}

_NK_KEYWORDS = ("set", "push", "proc", "if", "else", "elseif", "foreach", "for", "while",
                "return", "expr", "puts", "knob", "value", "in", "version", "addUserKnob",
                "end_group", "define_window_layout_xml")


class NukeLexer(ExtendedRegexLexer):
    """Nuke's TCL as models write it: .nk script text (node blocks, knob lines, ``set`` /
    ``push``, ``[stack 0]``, ``$variables``) and knob expressions. A name followed by ``{``
    alone on its line is a node class; the first word of any other line a knob (or a TCL
    command). Source: the .nk format as ``nuke.nodeCopy`` writes it."""

    name = "Nuke script"
    aliases = ["nk", "nuke"]
    filenames = ["*.nk"]
    tokens = {
        "root": [
            (r"^([ \t]*)(#[^\n]*)", bygroups(Whitespace, Comment.Single)),
            (r"^([ \t]*)([A-Za-z_][\w.]*)([ \t]*)(\{)([ \t]*)$",
             bygroups(Whitespace, Name.Class, Whitespace, Punctuation, Whitespace)),
            (r"^([ \t]*)(%s)\b" % "|".join(_NK_KEYWORDS), bygroups(Whitespace, Keyword)),
            (r"^([ \t]*)([A-Za-z_][\w.:]*)", bygroups(Whitespace, Name.Attribute)),
            (r'"', String.Double, "string"),
            (r"\[", String.Interpol, "command"),
            (r"\$\{?[\w:]+\}?", Name.Variable),
            (r"[{}]", Punctuation),
            (r"(?<![\w.])-?\d+(?:\.\d+)?(?:[eE][+-]?\d+)?(?![\w.])", Number),
            (r"\s+", Whitespace),
            (r'[^\s{}\[\]"$]+', Text),
            (r".", Text),
        ],
        "string": [
            (r'\\.', String.Escape),
            (r'[^"\\]+', String.Double),
            (r'"', String.Double, "#pop"),
        ],
        "command": [
            (r"\[", String.Interpol, "#push"),
            (r"\]", String.Interpol, "#pop"),
            (r"[^\[\]]+", String.Interpol),
        ],
    }


class PythonLines(ExtendedRegexLexer):
    """Pygments' Python lexer, run through a context whose state survives a line's end."""

    name = "Python (line by line)"
    tokens = PythonLexer.tokens
    flags = PythonLexer.flags


_LEXERS = {PYTHON: PythonLines, NUKE: NukeLexer}
_INSTANCES: Dict[str, ExtendedRegexLexer] = {}
_MAKING = threading.Lock()  # the view prepares the lexers on a background thread


def _lexer(language: str) -> Optional[ExtendedRegexLexer]:
    family = language_family(language)
    if family not in _LEXERS:
        return None
    if family not in _INSTANCES:
        with _MAKING:
            if family not in _INSTANCES:
                _INSTANCES[family] = _LEXERS[family]()
    return _INSTANCES[family]


def style_of(token: Any) -> Style:
    """The style of ``token``: its own, else its nearest parent's, else plain."""
    if token not in _RESOLVED:
        kind: Optional[Any] = token
        while kind is not None and kind not in _STYLES:
            kind = kind.parent
        _RESOLVED[token] = _STYLES.get(kind) if kind is not None else None
    return _RESOLVED[token]


class LineHighlighter:
    """Colours the lines of one code block in order: :meth:`line` advances the lexer's
    state, :meth:`peek` colours a line still arriving without advancing it."""

    def __init__(self, language: str) -> None:
        self._lexer = _lexer(language)
        self._stack = ["root"]

    def line(self, text: str) -> List[Span]:
        """The spans of the next complete line (``text`` without its line break)."""
        spans, self._stack = self._spans(text, self._stack)
        return spans

    def peek(self, text: str) -> List[Span]:
        """The spans of ``text``, the line after the last one given to :meth:`line`."""
        return self._spans(text, list(self._stack))[0]

    def _spans(self, text: str, stack: List[str]) -> Tuple[List[Span], List[str]]:
        if self._lexer is None or not text:
            return ([(text, None)] if text else []), stack
        context = LexerContext(text + "\n", 0, stack=stack)
        spans: List[Span] = []
        for _pos, token, value in self._lexer.get_tokens_unprocessed(context=context):
            style = style_of(token)
            if spans and spans[-1][1] == style:
                spans[-1] = (spans[-1][0] + value, style)
            elif value:
                spans.append((value, style))
        if spans and spans[-1][0].endswith("\n"):
            last, style = spans.pop()
            if last[:-1]:
                spans.append((last[:-1], style))
        return spans, context.stack


def highlight_lines(source: str, language: str) -> List[List[Span]]:
    """The spans of each line of ``source`` (a final line break adds no empty line)."""
    lines = source.split("\n")
    if lines[-1] == "":
        lines.pop()
    highlighter = LineHighlighter(language)
    return [highlighter.line(line) for line in lines]


def span_css(style: Style) -> str:
    """Inline CSS for ``style`` ("" for plain), as QTextDocument reads it."""
    if style is None:
        return ""
    colour, bold, italic = style
    return (f"color:{colour};" + ("font-weight:bold;" if bold else "")
            + ("font-style:italic;" if italic else ""))


def highlight(source: str, language: str) -> str:
    """``source`` as escaped HTML with coloured spans, lines joined by line breaks."""
    out = []
    for spans in highlight_lines(source, language):
        out.append("".join(
            f'<span style="{span_css(style)}">{html.escape(text)}</span>' if style
            else html.escape(text) for text, style in spans))
    return "\n".join(out)
