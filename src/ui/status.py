"""The status line's wording, kept apart from the widgets so it is tested without Qt."""

from __future__ import annotations

from typing import Optional

from nuke_ai_panel.outcome import is_cut_short

from .plain_words import kind_words, retry_reason


EDITING = ("editing your last prompt: Send replaces it and its answer; Esc leaves them as "
           "they were")


def seconds(value: Optional[float]) -> str:
    """A duration as the status line shows it: ``420 ms`` under a second, ``3.2 s``, ``12 s``."""
    if value is None:
        return "? s"
    if value < 1:
        return f"{max(0, round(value * 1000)):.0f} ms"
    if value >= 10:
        return f"{value:.0f} s"
    text = f"{value:.1f}"
    return (text[:-2] if text.endswith(".0") else text) + " s"


def connecting() -> str:
    """A request made while the network engine still loads (the panel's first seconds)."""
    return "connecting\u2026"


def waiting(model: str, elapsed: float) -> str:
    return f"waiting for {model}... {int(elapsed)} s"


def retrying(delay: float, reason: str) -> str:
    return f"retrying in {seconds(delay)} ({retry_reason(reason)})"


def streaming(tokens: int, elapsed: float) -> str:
    rate = tokens / elapsed if elapsed > 0 else 0.0
    return f"streaming at {rate:.0f} tokens/s"


def done(ttft: Optional[float], tokens: Optional[int], duration: Optional[float],
         finish_reason: Optional[str] = None) -> str:
    count = "?" if tokens is None else str(tokens)
    text = f"done: first token {seconds(ttft)}, {count} tokens, {seconds(duration)}"
    if is_cut_short(finish_reason):
        text += " (cut short at the token limit)"
    return text


def stopped(tokens: int, duration: float) -> str:
    return f"stopped after {seconds(duration)} ({tokens} tokens kept)"


def failed(kind: str) -> str:
    if kind in ("blocked", "empty"):
        return kind_words(kind)
    return f"failed: {kind_words(kind)}"
