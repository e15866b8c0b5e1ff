"""A small, safe evaluator for the common subset of Nuke's expression language, for previews
outside Nuke (the in-memory host). Inside Nuke, Nuke itself evaluates (``NukeHost``).

What it reads (Nuke's expression syntax, as in Foundry's ``nuke.expression`` reference):
numbers; ``frame`` (also ``t`` and ``x``), ``y`` (0 outside an animation), ``pi``, ``e``;
``+ - * / %``, ``**`` and ``^`` (power), comparisons, ``&& || !``, ``a ? b : c``;
parentheses; the functions in :data:`FUNCTIONS`; and references to other knobs' values
(``Blur1.size``, ``Transform1.translate.x``, ``size`` on the same node, ``root.first_frame``),
whose own plain numbers or expressions are read in turn. Anything else (TCL ``[...]``,
``$variables``, random and noise, curves, ``parent.``) raises :class:`NotEvaluable`, which
says plainly that it cannot be evaluated outside Nuke. Nothing here calls ``eval``: the text
is tokenised and parsed by hand into closures over the frame.
"""

from __future__ import annotations

import math
import re
from typing import Any, Callable, Dict, List, Optional, Sequence, Tuple

from .nk_lexer import NkParseError, decode_value, is_braced, split_words

__all__ = ["FUNCTIONS", "NotEvaluable", "channel_index", "compile_expression",
           "evaluate_frames", "host_lookup", "raw_value_at"]

Compiled = Callable[[float], float]
#: ``lookup(node, knob, channel, frame)`` -> the knob's value (raises NotEvaluable).
Lookup = Callable[[Optional[str], str, Optional[int], float], float]
OUTSIDE = "cannot be evaluated outside Nuke"
MAX_DEPTH = 8


class NotEvaluable(ValueError):
    """The expression uses something only Nuke can evaluate (the message says what)."""


def _clamp(value: float, low: float = 0.0, high: float = 1.0) -> float:
    return min(max(value, low), high)


def _lerp(a: float, b: float, t: float) -> float:
    return a + (b - a) * t


def _smoothstep(a: float, b: float, value: float) -> float:
    if b == a:
        return 0.0 if value < a else 1.0
    t = _clamp((value - a) / (b - a))
    return t * t * (3 - 2 * t)


FUNCTIONS: Dict[str, Callable[..., float]] = {
    "abs": abs, "fabs": abs, "sin": math.sin, "cos": math.cos, "tan": math.tan,
    "asin": math.asin, "acos": math.acos, "atan": math.atan, "atan2": math.atan2,
    "sinh": math.sinh, "cosh": math.cosh, "tanh": math.tanh, "exp": math.exp,
    "log": math.log, "log10": math.log10, "sqrt": math.sqrt, "pow": math.pow,
    "hypot": math.hypot, "fmod": math.fmod, "floor": math.floor, "ceil": math.ceil,
    "int": lambda v: float(int(v)), "trunc": lambda v: float(int(v)),
    "rint": lambda v: float(round(v)), "round": lambda v: float(round(v)),
    "min": min, "max": max, "clamp": _clamp, "lerp": _lerp, "mix": _lerp,
    "smoothstep": _smoothstep, "step": lambda a, v: 1.0 if v >= a else 0.0,
    "radians": math.radians, "degrees": math.degrees,
}
_CONSTANTS = {"pi": math.pi, "e": math.e}
_FRAME_WORDS = ("frame", "t", "x")
_CHANNELS = {"x": 0, "w": 0, "r": 0, "u": 0, "y": 1, "h": 1, "g": 1, "v": 1,
             "z": 2, "b": 2, "a": 3}
_TOKEN = re.compile(r"\s*(?:(?P<num>(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?)"
                    r"|(?P<name>[A-Za-z_][A-Za-z0-9_]*(?:\.[A-Za-z_][A-Za-z0-9_]*)*)"
                    r"|(?P<op>\*\*|&&|\|\||<=|>=|==|!=|[-+*/%^()<>!?:,])"
                    r"|(?P<bad>\S))")


def channel_index(name: str) -> Optional[int]:
    """``x``/``w``/``r`` -> 0, ``y``/``h``/``g`` -> 1, ``z``/``b`` -> 2, ``a`` -> 3."""
    return _CHANNELS.get(name)


def _tokens(text: str) -> List[Tuple[str, str]]:
    out = []
    for match in _TOKEN.finditer(text):
        kind = match.lastgroup or "bad"
        value = match.group(kind)
        if kind == "bad":
            what = "Tcl" if value in "[$" else f"the character {value!r}"
            raise NotEvaluable(f"{OUTSIDE}: it uses {what}")
        out.append((kind, value))
    return out


class _Parser:
    """Recursive descent over the tokens; every rule returns a closure of the frame."""

    def __init__(self, text: str, lookup: Lookup, node: Optional[str]) -> None:
        self.tokens = _tokens(text)
        self.pos = 0
        self.lookup = lookup
        self.node = node

    def peek(self) -> str:
        return self.tokens[self.pos][1] if self.pos < len(self.tokens) else ""

    def take(self, expected: str = "") -> Tuple[str, str]:
        if self.pos >= len(self.tokens):
            raise NotEvaluable("the expression ends too early")
        token = self.tokens[self.pos]
        if expected and token[1] != expected:
            raise NotEvaluable(f"expected {expected!r} but found {token[1]!r}")
        self.pos += 1
        return token

    def parse(self) -> Compiled:
        if not self.tokens:
            raise NotEvaluable("the expression is empty")
        result = self.ternary()
        if self.pos != len(self.tokens):
            raise NotEvaluable(f"unexpected {self.peek()!r}")
        return result

    def ternary(self) -> Compiled:
        test = self.binary(0)
        if self.peek() != "?":
            return test
        self.take("?")
        yes = self.ternary()
        self.take(":")
        no = self.ternary()
        return lambda f: yes(f) if test(f) else no(f)

    _LEVELS: Tuple[Tuple[str, ...], ...] = (("||",), ("&&",), ("==", "!=", "<", ">", "<=", ">="),
                                            ("+", "-"), ("*", "/", "%"))

    def binary(self, level: int) -> Compiled:
        if level == len(self._LEVELS):
            return self.unary()
        left = self.binary(level + 1)
        while self.peek() in self._LEVELS[level]:
            op = self.take()[1]
            left = _combine(op, left, self.binary(level + 1))
        return left

    def unary(self) -> Compiled:
        op = self.peek()
        if op in ("-", "+", "!"):
            self.take()
            inner = self.unary()
            if op == "-":
                return lambda f: -inner(f)
            return (lambda f: 0.0 if inner(f) else 1.0) if op == "!" else inner
        return self.power()

    def power(self) -> Compiled:
        base = self.atom()
        if self.peek() in ("**", "^"):
            self.take()
            exponent = self.unary()
            return lambda f: _checked(math.pow, base(f), exponent(f))
        return base

    def atom(self) -> Compiled:
        kind, value = self.take()
        if kind == "num":
            number = float(value)
            return lambda f: number
        if value == "(":
            inner = self.ternary()
            self.take(")")
            return inner
        if kind != "name":
            raise NotEvaluable(f"unexpected {value!r}")
        if self.peek() == "(":
            return self.call(value)
        return self.name(value)

    def call(self, name: str) -> Compiled:
        self.take("(")
        args: List[Compiled] = []
        while self.peek() != ")":
            args.append(self.ternary())
            if self.peek() == ",":
                self.take(",")
            elif self.peek() != ")":
                raise NotEvaluable(f"expected ',' or ')' after an argument of {name}()")
        self.take(")")
        function = FUNCTIONS.get(name)
        if function is not None:
            return lambda f: _checked(function, *(a(f) for a in args))
        if "." in name and len(args) == 1:  # Blur1.size(frame - 1): the knob at that time
            knob = self.name(name)
            return lambda f: knob(args[0](f))
        raise NotEvaluable(f"{OUTSIDE}: it calls {name}()")

    def name(self, name: str) -> Compiled:
        if name in _FRAME_WORDS:
            return lambda f: f
        if name == "y":
            return lambda f: 0.0
        if name in _CONSTANTS:
            number = _CONSTANTS[name]
            return lambda f: number
        parts = name.split(".")
        if parts[0] == "parent":
            raise NotEvaluable(f"{OUTSIDE}: it reads {name}, a knob of the enclosing group")
        lookup, node = self.lookup, self.node
        if parts[0] == "root":
            return lambda f: lookup("root", parts[1] if len(parts) > 1 else "", None, f)
        return lambda f: lookup(node, name, None, f)


def _combine(op: str, left: Compiled, right: Compiled) -> Compiled:
    table: Dict[str, Callable[[float, float], float]] = {
        "+": lambda a, b: a + b, "-": lambda a, b: a - b, "*": lambda a, b: a * b,
        "/": lambda a, b: _checked(lambda x, y: x / y, a, b),
        "%": lambda a, b: _checked(math.fmod, a, b),
        "<": lambda a, b: float(a < b), ">": lambda a, b: float(a > b),
        "<=": lambda a, b: float(a <= b), ">=": lambda a, b: float(a >= b),
        "==": lambda a, b: float(a == b), "!=": lambda a, b: float(a != b),
        "&&": lambda a, b: float(bool(a) and bool(b)),
        "||": lambda a, b: float(bool(a) or bool(b)),
    }
    fn = table[op]
    return lambda f: fn(left(f), right(f))


def _checked(fn: Callable[..., float], *args: float) -> float:
    try:
        return float(fn(*args))
    except ZeroDivisionError:
        raise NotEvaluable("it divides by zero") from None
    except (ValueError, OverflowError, TypeError) as exc:
        raise NotEvaluable(f"the maths fails ({exc})") from None


def compile_expression(text: str, lookup: Lookup, node: Optional[str] = None) -> Compiled:
    """``text`` as a function of the frame; raises :class:`NotEvaluable`."""
    return _Parser(text, lookup, node).parse()


def evaluate_frames(text: str, frames: Sequence[float], lookup: Lookup,
                    node: Optional[str] = None) -> List[float]:
    """The value of ``text`` at each of ``frames`` (``node`` is the knob's own node, for
    bare knob names); raises :class:`NotEvaluable`."""
    compiled = compile_expression(text, lookup, node)
    return [compiled(float(frame)) for frame in frames]


def raw_value_at(raw: str, channel: Optional[int], frame: float, lookup: Lookup,
                 node: Optional[str]) -> float:
    """A knob's raw .nk value at ``frame``: a number, a list (``channel`` picks one) or an
    expression (evaluated in turn, through ``lookup``); a curve or text raises
    :class:`NotEvaluable`."""
    text = raw.strip()
    if "{curve" in text:
        raise NotEvaluable(f"{OUTSIDE}: a knob it reads is animated")
    if is_braced(text):
        words = _words(text)
        if not words:
            raise NotEvaluable("a knob it reads is empty")
        text = words[min(channel or 0, len(words) - 1)]
        if is_braced(text):
            return compile_expression(decode_value(text[1:-1]), lookup, node)(frame)
    try:
        return float(decode_value(text))
    except ValueError:
        raise NotEvaluable(f"{OUTSIDE}: a knob it reads is not a number ({text[:40]})") \
            from None


def _words(braced: str) -> List[str]:
    try:
        return [w.raw for w in split_words(braced[1:-1] if is_braced(braced) else braced)]
    except NkParseError:
        raise NotEvaluable("a knob it reads cannot be parsed") from None


def host_lookup(host: Any, node_names: Sequence[str], depth: int = 0) -> Lookup:
    """A :data:`Lookup` over an in-memory host: ``Node.knob[.channel]`` by the longest node
    name prefix, else ``knob[.channel]`` of the expression's own node; a knob the script
    does not set reads its class default from the catalogue."""
    names = set(node_names)

    def lookup(node: Optional[str], path: str, channel: Optional[int], frame: float) -> float:
        if depth > MAX_DEPTH:
            raise NotEvaluable("its knob references go round in a loop")
        if node == "root":
            raw = host.root_info().get(path)
            if isinstance(raw, (int, float)):
                return float(raw)
            raise NotEvaluable(f"{OUTSIDE}: it reads root.{path}")
        owner, knob_path = _split(path, names, node)
        knob, _, rest = knob_path.partition(".")
        if rest and channel_index(rest) is None:
            raise NotEvaluable(f"{OUTSIDE}: it reads {path}")
        raw = _raw_knob(host, owner, knob)
        return raw_value_at(raw, channel_index(rest) if rest else channel, frame,
                            host_lookup(host, node_names, depth + 1), owner)

    return lookup


def _split(path: str, names: set, node: Optional[str]) -> Tuple[str, str]:
    parts = path.split(".")
    for cut in range(len(parts) - 1, 0, -1):
        prefix = ".".join(parts[:cut])
        if prefix in names:
            return prefix, ".".join(parts[cut:])
    if node is None:
        raise NotEvaluable(f"there is no node named {parts[0]}")
    if len(parts) > 2 or (len(parts) == 2 and channel_index(parts[1]) is None):
        raise NotEvaluable(f"there is no node named {'.'.join(parts[:-1])}")
    return node, path


def _raw_knob(host: Any, node: str, knob: str) -> str:
    knobs = host.node_knobs(node, [knob])
    if knob in knobs.values:
        return knobs.values[knob]
    info = host.class_source().class_info(knobs.node_class)
    for entry in (info or {}).get("knobs") or []:
        if entry.get("name") == knob and entry.get("default") is not None:
            default = entry["default"]
            if isinstance(default, (list, tuple)):
                return "{" + " ".join(str(v) for v in default) + "}"
            return str(default)
    raise NotEvaluable(f"{OUTSIDE}: {node}.{knob} has no value in the script")
