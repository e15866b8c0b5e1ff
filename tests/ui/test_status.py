"""The status line's wording (pure): plain words, and milliseconds under a second."""

from __future__ import annotations

from src.ui import status
from src.ui.plain_words import KIND_WORDS
from tests.ui.panel_helpers import CONTRACT_KINDS


def test_status_lines() -> None:
    assert status.waiting("llama3.2", 12.7) == "waiting for llama3.2... 12 s"
    assert status.retrying(0.5, "HTTP 429") == "retrying in 500 ms (HTTP 429)"
    assert status.retrying(2.0, "connect") == "retrying in 2 s (could not connect)"
    assert status.streaming(120, 2.0) == "streaming at 60 tokens/s"
    assert status.streaming(5, 0.0) == "streaming at 0 tokens/s"
    assert status.done(0.42, 57, 3.04) == "done: first token 420 ms, 57 tokens, 3 s"
    assert status.done(None, None, 12.6) == "done: first token ? s, ? tokens, 13 s"
    assert status.stopped(3, 1.0) == "stopped after 1 s (3 tokens kept)"
    assert status.failed("idle_timeout") == "failed: the answer stalled"
    assert status.failed("first_token_timeout") == "failed: no answer in time"
    assert status.failed("blocked") == "blocked by the provider"
    assert status.failed("empty") == "no answer"
    assert status.done(0.42, 57, 3.04, "stop") == "done: first token 420 ms, 57 tokens, 3 s"
    assert status.done(0.42, 57, 3.04, "length") == \
        "done: first token 420 ms, 57 tokens, 3 s (cut short at the token limit)"


def test_times_under_a_second_are_in_milliseconds() -> None:
    assert status.seconds(0.0) == "0 ms"
    assert status.seconds(0.0424) == "42 ms"
    assert status.seconds(0.9994) == "999 ms"
    assert status.seconds(1.0) == "1 s"
    assert status.seconds(1.25) == "1.2 s"
    assert status.seconds(59.6) == "60 s"


def test_no_status_line_names_an_error_kind() -> None:
    for kind in CONTRACT_KINDS:
        line = status.failed(kind)
        assert line.endswith(KIND_WORDS[kind]) and "_" not in line, line
        assert "_" not in status.retrying(1.0, kind)
