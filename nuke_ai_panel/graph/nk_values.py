"""Convert between Python values and raw .nk knob text (``size 10``, ``white {1 0.5 0.5 1}``,
``mix {{parent.mix}}``) for the in-memory host, which has no knob types to consult.
"""

from __future__ import annotations

import re
from typing import Any, List, Optional, Union

from .nk_lexer import decode_value, encode_value, is_braced, split_words

__all__ = ["to_raw", "expression_raw", "from_raw", "list_items", "is_expression"]

_INT = re.compile(r"^[+-]?\d+$")
_FLOAT = re.compile(r"^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$")
_PLAIN_EXPR = re.compile(r"^[^\s{}\"\\\[\]$;]+$")

Scalar = Union[bool, int, float, str]


def _number_text(value: float) -> str:
    if isinstance(value, int):
        return str(value)
    text = repr(float(value))
    return text[:-2] if text.endswith(".0") else text


def to_raw(value: Any) -> str:
    """Raw knob text for a Python value (bool, number, str, or a list of those)."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (int, float)):
        return _number_text(value)
    if isinstance(value, (list, tuple)):
        return "{" + " ".join(to_raw(v) for v in value) + "}"
    if value is None:
        return '""'
    return encode_value(str(value))


def expression_raw(expression: str) -> str:
    """Raw text making a knob follow ``expression``: ``{{parent.size}}``, quoted when needed."""
    word = expression if _PLAIN_EXPR.match(expression) else encode_value(expression)
    return "{{" + word + "}}"


def is_expression(raw: Optional[str]) -> bool:
    return bool(raw) and raw.startswith("{{") and raw.endswith("}}")


def list_items(raw: str) -> List[str]:
    """The raw words inside a braced list (``{1 0 {parent.x} 1}`` -> 4 items)."""
    if not is_braced(raw):
        return [raw]
    return [w.raw for w in split_words(raw[1:-1])]


def _scalar(raw: str) -> Scalar:
    if is_braced(raw):
        return decode_value(raw)
    text = decode_value(raw)
    if _INT.match(text):
        return int(text)
    if _FLOAT.match(text):
        return float(text)
    if text in ("true", "false"):
        return text == "true"
    return text


def from_raw(raw: Optional[str]) -> Any:
    """A Python value for raw knob text: numbers, booleans, strings, lists of those.
    Expressions and curves come back as their text (nothing is evaluated here)."""
    if raw is None:
        return None
    if is_expression(raw):
        inner = list_items(raw[1:-1])
        return decode_value(inner[0]) if len(inner) == 1 else decode_value(raw[1:-1])
    if is_braced(raw):
        items = list_items(raw)
        if len(items) == 1:
            return _scalar(items[0])
        return [_scalar(i) for i in items]
    return _scalar(raw)
