"""An agent turn's tool calls in the transcript: one compact line per call, expandable.

Each call (a ``tool_call`` event) becomes a :class:`~.entries.Block` of the transcript: the
tool's name, a summary of its arguments, then, once its ``tool_result`` arrives, the result's
one-line summary (and, for a write, whether the artist approved it). A click on the line's
arrow (link ``toolstep:SERIAL``) opens the full arguments and the full result text the model
read, and closes them again. Only that block is redrawn; the answer streaming below it is
not touched, so the transcript's cost per token stays what it was (DESIGN section 11, "the
transcript shows each step compactly"). Pure Python (no Qt).

Blocks are not part of the conversation: a saved conversation keeps the answer and the
changes it applied, not its tool calls.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any, Optional

from .entries import Block, escape, plain
from .theme import APPLIED, DIM, WARN

__all__ = ["ToolStep", "arguments_summary", "step_block_html", "SCHEME", "FULL_CHARS"]

SCHEME = "toolstep"
SUMMARY_CHARS = 90
VALUE_CHARS = 28
FULL_CHARS = 20000
"""Characters of arguments or result shown when a step is opened (the rest is marked cut)."""

RUNNING, WAITING, APPROVED, REJECTED = "running", "waiting", "approved", "rejected"


@dataclass(eq=False)
class ToolStep:
    """One tool call as the transcript shows it. ``state``: running (the call runs),
    waiting (a write waits for the artist), approved / rejected (a write decided, its
    result not yet back), or done (``ok`` and ``summary`` from its result). ``loop`` is
    asked for the full result text (``loop.output(call_id)``) when the step is opened."""

    serial: int
    call_id: str
    name: str
    arguments: str
    state: str = RUNNING
    ok: Optional[bool] = None
    summary: str = ""
    approved: Optional[bool] = None
    expanded: bool = False
    block: Block = field(default_factory=lambda: Block(""))
    loop: Any = field(default=None, repr=False)  # the turn's agent loop: the full result


def _short(value: Any) -> str:
    if isinstance(value, str):
        first = value.strip().splitlines()[0] if value.strip() else ""
        more = "\u2026" if len(first) > VALUE_CHARS or first != value.strip() else ""
        return json.dumps(first[:VALUE_CHARS] + more, ensure_ascii=False)
    if isinstance(value, list):
        if len(value) <= 3 and all(isinstance(v, (str, int, float)) for v in value):
            return "[" + ", ".join(_short(v) for v in value) + "]"
        return f"[{len(value)} items]"
    if isinstance(value, dict):
        return "{" + ", ".join(value) + "}" if len(value) <= 3 else f"{{{len(value)} keys}}"
    return json.dumps(value)


def arguments_summary(arguments: str) -> str:
    """One short line for a call's JSON ``arguments``: ``class="Grade", limit=5``; the raw
    text cut short when it is not a JSON object (the model's invalid arguments)."""
    try:
        value = json.loads(arguments) if arguments.strip() else {}
    except ValueError:
        value = None
    if isinstance(value, dict):
        line = ", ".join(f"{k}={_short(v)}" for k, v in value.items())
    else:
        line = " ".join(arguments.split())
    return line if len(line) <= SUMMARY_CHARS else line[: SUMMARY_CHARS - 1] + "\u2026"


def _pretty(arguments: str) -> str:
    try:
        return json.dumps(json.loads(arguments), indent=2, ensure_ascii=False)
    except ValueError:
        return arguments


def _cut(text: str) -> str:
    if len(text) <= FULL_CHARS:
        return text
    return text[:FULL_CHARS] + f"\n[{len(text) - FULL_CHARS} more characters not shown here]"


def _state_html(step: ToolStep) -> str:
    if step.state == RUNNING:
        return f'<span style="color:{DIM};">\u2026</span>'
    if step.state == WAITING:
        return f'<span style="color:{WARN};">waiting for your approval</span>'
    if step.state in (APPROVED, REJECTED):
        return f'<span style="color:{DIM};">{step.state}\u2026</span>'
    colour = APPLIED if step.ok else WARN
    mark = "\u2713" if step.ok else "\u2717"
    return f'<span style="color:{colour};">{mark} {escape(step.summary)}</span>'


def step_block_html(step: ToolStep, result: Optional[str] = None) -> str:
    """The block for ``step``: one line, or (``expanded``) the line, the full arguments and
    ``result`` (the full text the model read; None when there is none to show)."""
    arrow = "\u25be" if step.expanded else "\u25b8"
    args = arguments_summary(step.arguments)
    line = (f'<p style="margin-top:2px;margin-bottom:2px;font-size:small;">'
            f'<a href="{SCHEME}:{step.serial}">{arrow}</a> '
            f"<b><code>{escape(step.name)}</code></b> "
            f'<span style="color:{DIM};">{escape(args)}</span> \u2192 {_state_html(step)}</p>')
    if not step.expanded:
        return line
    parts = [line,
             f'<p style="color:{DIM};font-size:small;margin-bottom:0px;">Arguments:</p>',
             f'<pre style="font-size:small;">{escape(_cut(_pretty(step.arguments)))}</pre>']
    if result is not None:
        parts.append(f'<p style="color:{DIM};font-size:small;margin-bottom:0px;">'
                     "Result (what the model read):</p>")
        parts.append(f'<pre style="font-size:small;">{escape(_cut(result))}</pre>')
    elif step.summary:
        parts.append(f'<p style="color:{DIM};font-size:small;">{plain(step.summary)}</p>')
    return "".join(parts)
