"""What a tool call gives back: a one-line summary for the transcript, and the full text
for the model, cut to a character budget with a note saying what was cut and how to ask
for the rest."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Dict, Optional, Tuple

__all__ = ["DEFAULT_RESULT_BUDGET", "MIN_RESULT_BUDGET", "REJECTED", "ToolResult", "fit",
           "failed", "succeeded"]

DEFAULT_RESULT_BUDGET = 8000
"""Characters of one tool result sent to the model (about 2,000 tokens)."""
MIN_RESULT_BUDGET = 200
REJECTED = "the user rejected this change"
SUMMARY_CHARS = 160


@dataclass(frozen=True)
class ToolResult:
    """The outcome of one tool call.

    ``ok``: False for invalid arguments, a tool that was not offered, a check that failed,
    a rejection or a failed apply. ``summary``: one line for the transcript and the
    ``tool_result`` event ``{id, ok, summary}``. ``text``: what the model reads, at most
    the budget in characters. ``cut``: True when ``text`` was shortened to fit.
    ``details``: structured facts for the caller (created names...), never sent as is.
    """

    name: str
    ok: bool
    summary: str
    text: str
    cut: bool = False
    details: Dict[str, Any] = field(default_factory=dict)

    def event(self, call_id: str) -> Dict[str, Any]:
        """The ``tool_result`` event fields for the call ``call_id``."""
        return {"id": call_id, "ok": self.ok, "summary": self.summary}


def _one_line(text: str) -> str:
    line = " ".join(text.split())
    return line if len(line) <= SUMMARY_CHARS else line[: SUMMARY_CHARS - 1] + "\u2026"


def fit(text: str, budget: int, hint: str = "") -> Tuple[str, bool]:
    """``text`` cut to ``budget`` characters (at a line end where one is near), with a last
    line saying how much was left out and ``hint`` (how to ask for the rest). Returns the
    text and whether it was cut."""
    budget = max(MIN_RESULT_BUDGET, budget)
    if len(text) <= budget:
        return text, False

    def note(shown: int) -> str:
        more = f" {hint}" if hint else ""
        return f"\n[cut to fit: {shown} of {len(text)} characters shown.{more}]"

    room = max(0, budget - len(note(budget)))
    head = text[:room]
    newline = head.rfind("\n")
    if newline > room * 0.6:
        head = head[:newline]
    return head + note(len(head)), True


def succeeded(name: str, summary: str, text: str, budget: int, hint: str = "",
              details: Optional[Dict[str, Any]] = None) -> ToolResult:
    """An ok result; ``text`` is cut to ``budget`` (``hint`` says how to get the rest)."""
    body, cut = fit(text, budget, hint)
    return ToolResult(name, True, _one_line(summary), body, cut, dict(details or {}))


def failed(name: str, message: str, budget: int = DEFAULT_RESULT_BUDGET,
           details: Optional[Dict[str, Any]] = None) -> ToolResult:
    """A failed result: the model reads ``message``; the summary is its first line."""
    body, cut = fit(message, budget)
    first = message.strip().splitlines()[0] if message.strip() else "failed"
    return ToolResult(name, False, _one_line(first), body, cut, dict(details or {}))
