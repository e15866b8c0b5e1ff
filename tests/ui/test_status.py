"""The status line's wording (pure)."""

from __future__ import annotations

from src.ui import status


def test_status_lines() -> None:
    assert status.waiting("llama3.2", 12.7) == "waiting for llama3.2... 12 s"
    assert status.retrying(0.5, "HTTP 429") == "retrying in 0.5 s (HTTP 429)"
    assert status.retrying(2.0, "connect") == "retrying in 2 s (connect)"
    assert status.streaming(120, 2.0) == "streaming at 60 tokens/s"
    assert status.streaming(5, 0.0) == "streaming at 0 tokens/s"
    assert status.done(0.42, 57, 3.04) == "done: first token 0.4 s, 57 tokens, 3 s"
    assert status.done(None, None, 12.6) == "done: first token ? s, ? tokens, 13 s"
    assert status.stopped(3, 1.0) == "stopped after 1 s (3 tokens kept)"
    assert status.failed("idle_timeout") == "failed: idle timeout"
    assert status.failed("blocked") == "blocked by the provider"
    assert status.failed("empty") == "no answer"
    assert status.done(0.42, 57, 3.04, "stop") == "done: first token 0.4 s, 57 tokens, 3 s"
    assert status.done(0.42, 57, 3.04, "length") == \
        "done: first token 0.4 s, 57 tokens, 3 s (cut short at the token limit: length)"
