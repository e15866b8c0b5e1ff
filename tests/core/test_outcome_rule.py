"""The outcome rule (nuke_ai_panel.outcome) on hand-made turns: the cases the property test
does not spell out."""

from __future__ import annotations

from typing import Any

from nuke_ai_panel import errors
from nuke_ai_panel.errors import InbandError, ProviderError
from nuke_ai_panel.events import DoneEvent, ErrorEvent
from nuke_ai_panel.outcome import PARTIAL_KEPT, decide, ending_note, is_cut_short, retry_error
from nuke_ai_panel.providers.base import Parsed
from nuke_ai_panel.retry import is_retryable, retry_reason
from nuke_ai_panel.tool_calls import CallPiece
from nuke_ai_panel.turn import Turn


def make(text: str = "", **fields: Any) -> Turn:
    turn = Turn(lambda e: None, clock=lambda: 0.0)
    if text:
        turn.text_parts.append(text)
        turn.first_content = 0.0
    for name, value in fields.items():
        setattr(turn, name, value)
    return turn


def hint(kind: str) -> str:
    return f"hint for {kind}."


def test_tool_calls_without_text_are_an_answer() -> None:
    turn = make()
    turn.apply(Parsed(tool_calls=(CallPiece(0, "", "list_nodes", whole='{"limit": 3}'),
                                  CallPiece(1, "", "find_errors"))), "")
    turn.apply(Parsed(finish_reason="tool_calls"), "")
    result = decide(turn, hint, 2.0)
    assert isinstance(result, DoneEvent) and result.finish_reason == "tool_calls"
    assert [(c.id, c.name, c.arguments) for c in result.tool_calls] == [
        ("call_1", "list_nodes", '{"limit": 3}'), ("call_2", "find_errors", "{}")]


def test_a_call_in_a_turn_that_offered_no_tools_is_not_an_answer() -> None:
    turn = Turn(lambda e: None, clock=lambda: 0.0, accepts_calls=False)
    turn.apply(Parsed(tool_calls=(CallPiece(0, "", "list_nodes"),)), '{"functionCall": {}}')
    turn.apply(Parsed(finish_reason="STOP"), "")
    result = decide(turn, hint, 1.0)
    assert isinstance(result, ErrorEvent) and result.kind == errors.EMPTY
    assert "functionCall" in result.message and not turn.tool_calls


def test_cut_short_stays_done_with_its_text() -> None:
    result = decide(make("Half an ans", finish_reason="length", finished=True), hint, 2.0)
    assert isinstance(result, DoneEvent) and result.text == "Half an ans"
    assert is_cut_short(result.finish_reason) and not is_cut_short("stop")


def test_a_finish_then_a_dropped_connection_is_done() -> None:
    failure = ProviderError(errors.TRUNCATED, "The connection dropped", "Try again.")
    turn = make("All of it.", finish_reason="stop", finished=True, failure=failure)
    assert isinstance(decide(turn, hint, 1.0), DoneEvent)
    turn.finished = False  # more text came after that finish reason: really cut off
    result = decide(turn, hint, 1.0)
    assert isinstance(result, ErrorEvent) and result.kind == errors.TRUNCATED
    assert result.hint == f"Try again. {PARTIAL_KEPT}"


def test_the_partial_clause_only_with_a_partial_answer() -> None:
    for kind in (errors.IDLE_TIMEOUT, errors.STREAM, errors.TRUNCATED, errors.CANCELLED):
        failure = ProviderError(kind, "it ended", hint(kind))
        assert PARTIAL_KEPT not in decide(make(failure=failure), hint, 1.0).hint
        assert PARTIAL_KEPT in decide(make("Some", failure=failure), hint, 1.0).hint


def test_an_overload_before_content_is_retried_like_529_and_after_content_never() -> None:
    overloaded = InbandError("Overloaded (overloaded_error)", "overloaded_error", True)
    error = retry_error(make(inband=overloaded))
    assert error is not None and is_retryable(error) and retry_reason(error) == "overloaded_error"
    assert retry_error(make("Some", inband=overloaded)) is None
    invalid = InbandError("too long (invalid_request_error)", "invalid_request_error", False)
    error = retry_error(make(inband=invalid))
    assert error is not None and not is_retryable(error)
    assert retry_error(make(block="SAFETY", inband=overloaded)) is None


def test_ending_notes_say_cut_off_only_for_a_started_answer() -> None:
    assert ending_note(errors.TRUNCATED, True) == "answer cut off"
    assert ending_note(errors.TRUNCATED, False) == "no answer"
    assert ending_note(errors.BLOCKED, True) == "stopped by the provider's filter"
    assert ending_note(errors.BLOCKED, False) == "blocked by the provider"
    assert ending_note(errors.EMPTY, False) == "no answer"
    assert ending_note(errors.CANCELLED, True) == "stopped"


def test_blocked_and_empty_are_contract_kinds() -> None:
    assert errors.BLOCKED == "blocked" and errors.EMPTY == "empty"
