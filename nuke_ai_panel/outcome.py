"""The one place that decides how a chat turn ended (DESIGN sections 2 and 4).

From everything the stream said (a :class:`~nuke_ai_panel.turn.Turn`: text, reasoning, tool
calls, the finish reason, refusal and filter signals, an in-band error, whether the terminal
event arrived, the failure that ended the last attempt) :func:`decide` returns the terminal
event: ``done`` with text or tool calls, or ``error`` with a kind, a one-line message quoting
the server, a hint, and the partial text kept. The rules, in order:

1. Stopped by the user: ``cancelled``.
2. A refusal or filter signal (a finish reason in :data:`BLOCKING`, Gemini
   ``promptFeedback.blockReason``, OpenAI ``delta.refusal``, an Azure filter result): ``blocked``,
   naming the reason. If text had already arrived it is kept, and the message says the
   provider's filter stopped the answer after it had started.
3. An in-band error (an ``error`` event or an error-shaped chunk): ``stream``, quoting it.
4. A failure while reading (deadline, dropped connection, HTTP error...) is that error, except
   that once a finish reason (after the last content) or the terminal event has arrived, a
   later dropped connection, EOF or idle deadline is not a failure.
5. EOF before the terminal event or a finish reason: ``truncated``; ``protocol`` if nothing
   the server sent could be read as the provider's stream (quoting it).
6. A finish reason that means the server failed (:data:`ERROR_FINISH`): ``stream``.
7. No text and no tool call: ``empty`` (never ``done``), quoting what the server sent that was
   not understood, or saying why (only reasoning, the token limit reached first).
8. Otherwise ``done``, with the finish reason; a cut-short reason (:data:`CUT_SHORT`) stays
   ``done`` with its text, and the panel and CLI say it was cut short.

The hint says "The partial answer is kept." exactly when there is a partial answer.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Callable, Optional, Union

from . import errors
from .errors import ProviderError
from .events import DoneEvent, ErrorEvent, Usage

if TYPE_CHECKING:  # history and the UI read the rule's words without loading the engine
    from .turn import Turn

Hint = Callable[[str], str]
Terminal = Union[DoneEvent, ErrorEvent]

# Finish reasons meaning "cut short at the token limit": done, text kept, said so.
CUT_SHORT = frozenset(("length", "max_tokens", "MAX_TOKENS", "model_context_window_exceeded"))
# Finish reasons meaning the provider refused or filtered the answer, with the filter's name.
# OpenAI / Azure / OpenRouter ``content_filter``; Anthropic ``refusal``; Gemini FinishReason.
BLOCKING = {
    "content_filter": "content filter",
    "refusal": "",
    "SAFETY": "safety filter",
    "PROHIBITED_CONTENT": "safety filter",
    "SPII": "personal-data filter",
    "BLOCKLIST": "blocklist",
    "RECITATION": "recitation filter",
    "LANGUAGE": "language filter",
    "IMAGE_SAFETY": "image safety filter",
    "IMAGE_PROHIBITED_CONTENT": "image safety filter",
    "IMAGE_RECITATION": "recitation filter",
}
# Finish reasons meaning the server gave up: vLLM / sglang ``abort``, OpenRouter ``error`` and
# ``network_error``, Gemini ``MALFORMED_FUNCTION_CALL``.
ERROR_FINISH = frozenset(("error", "abort", "network_error", "MALFORMED_FUNCTION_CALL"))
# Failures that say only that the transport ended; harmless once the answer had finished.
_TRANSPORT = frozenset((errors.TRUNCATED, errors.IDLE_TIMEOUT))
PARTIAL_KEPT = "The partial answer is kept."
_MESSAGE_LIMIT = 1000


def is_cut_short(finish_reason: Optional[str]) -> bool:
    """True for a finish reason that means the answer hit the token limit."""
    return finish_reason in CUT_SHORT


def block_reason(turn: Turn) -> Optional[str]:
    """The refusal or filter signal the stream carried, if any."""
    if turn.block:
        return turn.block
    return turn.finish_reason if turn.finish_reason in BLOCKING else None


def retry_error(turn: Turn) -> Optional[ProviderError]:
    """The error the last attempt ended with, when it could be worth retrying: nothing was
    shown yet and nothing was blocked. Whether it is retried is :func:`retry.is_retryable`'s
    call (an in-band overload is, like HTTP 529)."""
    if turn.content_seen or block_reason(turn) is not None:
        return None
    if turn.inband is not None:
        return ProviderError(errors.STREAM, f"The provider reported: {turn.inband.message}",
                             should_retry=turn.inband.transient,
                             reason=turn.inband.code or "in-band error")
    return turn.failure


def decide(turn: Turn, hint: Hint, now: float) -> Terminal:
    """The terminal event for ``turn`` (see the module docstring for the rules); ``hint``
    gives the provider's hint for a kind, ``now`` the clock reading at the end."""
    text = turn.text
    failure = turn.failure
    if failure is not None and failure.kind == errors.CANCELLED:
        return _error(turn, failure.kind, failure.message, failure.hint)
    reason = block_reason(turn)
    if reason is not None:
        return _blocked(turn, reason, hint)
    if turn.inband is not None:
        return _error(turn, errors.STREAM, f"The provider reported: {turn.inband.message}",
                      hint(errors.STREAM))
    ended = turn.terminal or turn.finished
    if failure is not None and not (ended and failure.kind in _TRANSPORT):
        return _error(turn, failure.kind, failure.message, failure.hint, failure.status)
    if not ended:
        if turn.unrecognised and turn.events == turn.strange and not turn.content_seen:
            return _error(turn, errors.PROTOCOL, "The server's answer is not a stream this app "
                          f"can read; it sent: {turn.unrecognised}", hint(errors.PROTOCOL))
        return _error(turn, errors.TRUNCATED, _truncated_message(turn), hint(errors.TRUNCATED))
    finish = turn.finish_reason
    if finish in ERROR_FINISH:
        return _error(turn, errors.STREAM,
                      f"The server ended the answer with an error ({_said(finish, turn)})",
                      hint(errors.STREAM))
    if not text and not turn.tool_calls:
        return _empty(turn, hint)
    ttft = None if turn.first_content is None else turn.first_content - turn.started
    return DoneEvent(
        finish_reason=finish,
        usage=Usage(turn.prompt_tokens, turn.completion_tokens),
        time_to_first_token=ttft,
        duration=now - turn.started,
        malformed_chunks=turn.malformed,
        text=text,
        reasoning=turn.reasoning,
        tool_calls=tuple(turn.calls()),
    )


def ending_note(kind: str, had_text: bool) -> str:
    """A few plain words for an answer that ended with error ``kind``: what the CLI prints in
    brackets, and what the transcript and history say before the message."""
    if kind == errors.CANCELLED:
        return "stopped"
    if kind == errors.BLOCKED:
        return "stopped by the provider's filter" if had_text else "blocked by the provider"
    if kind == errors.EMPTY or not had_text:
        return "no answer"
    return "answer cut off"


def _error(turn: Turn, kind: str, message: str, hint: str,
           status: Optional[int] = None) -> ErrorEvent:
    text = turn.text
    if text and PARTIAL_KEPT not in hint:
        hint = f"{hint} {PARTIAL_KEPT}".strip()
    return ErrorEvent(kind=kind, message=errors.one_line(message, _MESSAGE_LIMIT), hint=hint,
                      status=status, chunks=turn.events, partial=text,
                      partial_reasoning=turn.reasoning)


def _said(reason: str, turn: Turn) -> str:
    """The reason code with the provider's own words on it, if any."""
    detail = turn.stop_detail
    return f"{reason}: {detail}" if detail and detail != reason else reason


def _blocked(turn: Turn, reason: str, hint: Hint) -> ErrorEvent:
    said = _said(reason, turn)
    if reason == "refusal":
        message = f"The model refused to go on after the answer had started ({said})" \
            if turn.text else f"The model refused to answer ({said})"
    else:
        name = BLOCKING.get(reason) or "safety filter"
        started = " after the answer had started" if turn.text else ""
        verb = "Stopped" if turn.text else "Blocked"
        message = f"{verb} by the provider's {name} ({said}){started}"
    return _error(turn, errors.BLOCKED, message, hint(errors.BLOCKED))


def _empty(turn: Turn, hint: Hint) -> ErrorEvent:
    finish = turn.finish_reason
    because = f" (finish reason {_said(finish, turn)})" if finish else ""
    if is_cut_short(finish):
        only = "; it only sent reasoning" if turn.reasoning else ""
        return _error(turn, errors.EMPTY,
                      f"The model reached its token limit ({finish}) before writing any "
                      f"answer{only}",
                      "Ask for something shorter, or allow more output tokens (--max-tokens on "
                      "the command line, or the server's own limit).")
    if turn.reasoning:
        message = f"The model sent only reasoning and no answer{because}"
    elif turn.unrecognised:
        message = f"The server sent no answer{because}; it sent data this app does not " \
                  f"recognise: {turn.unrecognised}"
    elif turn.events <= 1:
        message = f"The server sent no answer{because}"
    else:
        message = f"The server ended the answer without any text{because}, " \
                  f"after {turn.events} events"
    return _error(turn, errors.EMPTY, message, hint(errors.EMPTY))


def _truncated_message(turn: Turn) -> str:
    if turn.text:
        return ("The stream ended before the answer was complete (no end-of-answer event "
                f"after {turn.events} events)")
    if turn.events == 0:
        return "The server closed the stream without sending anything"
    sent = f"; it sent data this app does not recognise: {turn.unrecognised}" \
        if turn.unrecognised else ""
    return f"The stream ended before any answer arrived (after {turn.events} events){sent}"
