"""The status line's wording, kept apart from the widgets so it is tested without Qt."""

from __future__ import annotations

from typing import Optional

from nuke_ai_panel.outcome import is_cut_short


def seconds(value: Optional[float]) -> str:
    """``0.42`` -> ``0.4``, ``12.0`` -> ``12``: short and steady while it ticks."""
    if value is None:
        return "?"
    if value >= 10:
        return f"{value:.0f}"
    text = f"{value:.1f}"
    return text[:-2] if text.endswith(".0") else text


def connecting() -> str:
    """A request made while the network engine still loads (the panel's first seconds)."""
    return "connecting\u2026"


def waiting(model: str, elapsed: float) -> str:
    return f"waiting for {model}... {int(elapsed)} s"


def retrying(delay: float, reason: str) -> str:
    return f"retrying in {seconds(delay)} s ({reason})"


def streaming(tokens: int, elapsed: float) -> str:
    rate = tokens / elapsed if elapsed > 0 else 0.0
    return f"streaming at {rate:.0f} tokens/s"


def done(ttft: Optional[float], tokens: Optional[int], duration: Optional[float],
         finish_reason: Optional[str] = None) -> str:
    count = "?" if tokens is None else str(tokens)
    text = f"done: first token {seconds(ttft)} s, {count} tokens, {seconds(duration)} s"
    if is_cut_short(finish_reason):
        text += f" (cut short at the token limit: {finish_reason})"
    return text


def stopped(tokens: int, duration: float) -> str:
    return f"stopped after {seconds(duration)} s ({tokens} tokens kept)"


def failed(kind: str) -> str:
    if kind == "blocked":
        return "blocked by the provider"
    if kind == "empty":
        return "no answer"
    return f"failed: {kind.replace('_', ' ')}"
