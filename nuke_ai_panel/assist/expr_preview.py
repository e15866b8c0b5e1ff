"""What an ``/expr`` preview shows besides the expression: the knob's value now, and the
expression's value at the script's first and last frame, so the artist can judge it before
Apply. The host evaluates (Nuke itself inside Nuke, a safe subset in the in-memory host)
without changing the script; what cannot be evaluated is said plainly."""

from __future__ import annotations

from dataclasses import dataclass
from typing import List, Optional, Tuple

from ..graph.expr_eval import channel_index
from ..graph.host import Host, HostError
from ..graph.nk_lexer import NkParseError, decode_value, is_braced, split_words

__all__ = ["ExpressionPreview", "preview_expression"]


def _number(value: float) -> str:
    return f"{value:.6g}"


@dataclass(frozen=True)
class ExpressionPreview:
    """``current``: the knob's value now, in words ("4", "animated", "the default");
    ``values``: ``(frame, value)`` pairs; ``problem``: why there are no values ("")."""

    node: str
    knob: str
    current: str
    values: Tuple[Tuple[float, float], ...] = ()
    problem: str = ""

    def lines(self) -> List[str]:
        """``["Now: 4", "With the expression: 0.5 at frame 1, 50 at frame 100"]``"""
        if self.problem:
            after = self.problem[:1].upper() + self.problem[1:]
        else:
            after = ", ".join(f"{_number(v)} at frame {_number(f)}" for f, v in self.values)
        return [f"Now: {self.current}", f"With the expression: {after}"]


def _current(host: Host, node: str, knob: str) -> str:
    base, _, channel_name = knob.partition(".")
    try:
        raw = host.node_knobs(node, [base]).values.get(base)
    except HostError:
        return "unknown"
    if raw is None:
        return "the default"
    if "{curve" in raw:
        return "animated (keyframes)"
    text = raw.strip()
    if is_braced(text):
        try:
            words = [w.raw for w in split_words(text[1:-1])]
        except NkParseError:
            return text
        channel = channel_index(channel_name) if channel_name else None
        if channel is not None and words:
            words = [words[min(channel, len(words) - 1)]]
        shown = [f"the expression {decode_value(w[1:-1])}" if is_braced(w) else decode_value(w)
                 for w in words]
        return " ".join(shown) if shown else "empty"
    return decode_value(text)


def preview_expression(host: Host, node: str, knob: str, expression: str) -> ExpressionPreview:
    """The preview for setting ``expression`` on ``node.knob`` (reads only)."""
    current = _current(host, node, knob)
    info = host.root_info()
    first: Optional[float] = info.get("first_frame")
    last: Optional[float] = info.get("last_frame")
    first = 1.0 if first is None else float(first)
    last = first if last is None else float(last)
    frames = [first] if last == first else [first, last]
    if not expression.strip():
        return ExpressionPreview(node, knob, current, problem="there is no expression yet")
    try:
        values = host.evaluate_expression(node, knob, expression, frames)
    except HostError as exc:
        return ExpressionPreview(node, knob, current, problem=str(exc))
    return ExpressionPreview(node, knob, current, tuple(zip(frames, values)))
