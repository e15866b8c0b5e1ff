"""Property tests of the stream readers and the outcome rule (issue 7), with Hypothesis.

For every provider's wire format a random script (text and reasoning deltas in any form the
format allows, keep-alives, comments, unknown fields, a finish reason or a filter signal, an
in-band error, the terminal event or not) is encoded, given a BOM or not, random LF / CR / CRLF
line endings, an optional missing final blank line or line ending, and cut into random chunks.
Read through the real :class:`~nuke_ai_panel.turn.BodyReader` and decided by the real
:func:`~nuke_ai_panel.outcome.decide`, no text delta may be lost or reordered, and no turn
without text ends as ``done``. The outcome rule is also checked alone on random turn records.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any, Callable, Dict, List, Optional, Tuple

import pytest

hypothesis = pytest.importorskip("hypothesis")
from hypothesis import HealthCheck, given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402

from nuke_ai_panel import errors  # noqa: E402
from nuke_ai_panel.errors import InbandError, ProviderError  # noqa: E402
from nuke_ai_panel.events import DeltaEvent, DoneEvent, ErrorEvent  # noqa: E402
from nuke_ai_panel.outcome import (BLOCKING, CUT_SHORT, ERROR_FINISH, PARTIAL_KEPT,  # noqa: E402
                                   decide)
from nuke_ai_panel.providers import make_provider  # noqa: E402
from nuke_ai_panel.settings import ProviderSettings  # noqa: E402
from nuke_ai_panel.turn import BodyReader, Turn  # noqa: E402

EXAMPLES = settings(max_examples=60, deadline=None, database=None,
                    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
FORMATS = ("openai", "openrouter", "mistral", "openai-compatible", "anthropic", "gemini",
           "ollama")
FINISH = {"openai": "stop", "anthropic": "end_turn", "gemini": "STOP", "ollama": "stop"}
BLOCK = {"openai": "content_filter", "anthropic": "refusal", "gemini": "SAFETY"}
CUT = {"openai": "length", "anthropic": "max_tokens", "gemini": "MAX_TOKENS"}


def dumps(obj: Any) -> str:
    return json.dumps(obj, ensure_ascii=False, separators=(",", ":"))


# ----- a script and its encodings ---------------------------------------------------------------

@dataclass(frozen=True)
class Item:
    kind: str  # text | reasoning | noise | finish | error
    value: str = ""
    form: int = 0  # which of the format's encodings to use


def family(provider: str) -> str:
    return provider if provider in ("anthropic", "gemini", "ollama") else "openai"


def encode_openai(item: Item) -> List[List[str]]:
    """Events (each a list of lines) for one item, OpenAI chat-completion chunks."""
    def data(obj: Any) -> List[str]:
        return [f"data: {dumps(obj)}"]

    def delta(d: Dict[str, Any], finish: Optional[str] = None) -> List[str]:
        return data({"choices": [{"index": 0, "delta": d, "finish_reason": finish}]})

    if item.kind == "text":
        if item.form == 1:
            return [delta({"content": [{"type": "text", "text": item.value}]})]
        if item.form == 2:  # the data split over two data lines: JSON allows a newline there
            line = dumps({"choices": [{"index": 0, "delta": {"content": item.value}}]})
            cut = line.index('"choices"')
            return [[f"data: {line[:cut]}", f"data: {line[cut:]}"]]
        return [delta({"content": item.value})]
    if item.kind == "reasoning":
        if item.form == 1:
            return [delta({"content": [{"type": "thinking", "thinking": [
                {"type": "text", "text": item.value}]}]})]
        return [delta({"reasoning_content": item.value})]
    if item.kind == "noise":
        return [[": keep-alive"], ["x-trace: abc", "retry: 5"], delta({"role": "assistant"}),
                data({"choices": [], "usage": {"prompt_tokens": 3}})][item.form % 4:][:1]
    if item.kind == "finish":
        return [delta({}, item.value)]
    error = {"error": {"message": item.value, "type": "invalid_request_error"}}
    return [[f"data: {dumps(error)}"], ["event: error", f"data: {dumps(error)}"],
            [f"error: {dumps(error['error'])}"]][item.form % 3:][:1]


def encode_anthropic(item: Item) -> List[List[str]]:
    def ev(name: str, obj: Any) -> List[str]:
        return [f"event: {name}", f"data: {dumps(obj)}"]

    if item.kind == "text":
        if item.form == 1:
            return [ev("content_block_start", {"type": "content_block_start", "index": 0,
                                               "content_block": {"type": "text",
                                                                 "text": item.value}})]
        return [ev("content_block_delta", {"type": "content_block_delta", "index": 0,
                                           "delta": {"type": "text_delta", "text": item.value}})]
    if item.kind == "reasoning":
        return [ev("content_block_delta", {"type": "content_block_delta", "index": 0, "delta": {
            "type": "thinking_delta", "thinking": item.value}})]
    if item.kind == "noise":
        return [ev("ping", {"type": "ping"}), [": comment"],
                ev("content_block_stop", {"type": "content_block_stop", "index": 0}),
                ["x-request-id: req_1"]][item.form % 4:][:1]
    if item.kind == "finish":
        return [ev("message_delta", {"type": "message_delta",
                                     "delta": {"stop_reason": item.value}})]
    error = {"type": "error", "error": {"type": "invalid_request_error", "message": item.value}}
    return [ev("error", error), [f"error: {dumps(error)}"]][item.form % 2:][:1]


def encode_gemini(item: Item) -> List[List[str]]:
    def cand(parts: List[Any], finish: Optional[str] = None) -> List[str]:
        c: Dict[str, Any] = {"content": {"parts": parts, "role": "model"}, "index": 0}
        if finish:
            c["finishReason"] = finish
        return [f"data: {dumps({'candidates': [c]})}"]

    if item.kind == "text":
        return [cand([{"text": item.value}])]
    if item.kind == "reasoning":
        return [cand([{"text": item.value, "thought": True}])]
    if item.kind == "noise":
        return [[f"data: {dumps({'usageMetadata': {'promptTokenCount': 3}})}"], [": hi"],
                ["x-trace: 2"]][item.form % 3:][:1]
    if item.kind == "finish":
        return [cand([], item.value)]
    error = {"error": {"code": 400, "message": item.value, "status": "INVALID_ARGUMENT"}}
    return [[f"data: {dumps(error)}"], ["event: error", f"data: {dumps(error)}"],
            [f"x-upstream-error: {dumps(error)}"]][item.form % 3:][:1]


def encode_ollama(item: Item) -> List[List[str]]:
    def line(message: Dict[str, Any], **extra: Any) -> List[str]:
        return [dumps({"model": "m", "message": {"role": "assistant", **message},
                       "done": False, **extra})]

    if item.kind == "text":
        return [line({"content": item.value})]
    if item.kind == "reasoning":
        return [line({"content": "", "thinking": item.value})]
    if item.kind == "noise":
        return [line({"content": ""})]
    if item.kind == "finish":
        return [[dumps({"model": "m", "message": {"role": "assistant", "content": ""},
                        "done": True, "done_reason": item.value})]]
    return [[dumps({"error": item.value})]]


ENCODERS: Dict[str, Callable[[Item], List[List[str]]]] = {
    "openai": encode_openai, "anthropic": encode_anthropic, "gemini": encode_gemini,
    "ollama": encode_ollama}
TERMINAL = {"openai": ["data: [DONE]"],
            "anthropic": ["event: message_stop", 'data: {"type":"message_stop"}'],
            "gemini": None, "ollama": None}

pieces = st.text(st.characters(blacklist_categories=("Cs",)), min_size=1, max_size=12)


@st.composite
def scripts(draw: Any, fam: str) -> Tuple[List[Item], bool]:
    """Items, and whether the terminal event follows them."""
    body = draw(st.lists(st.one_of(
        st.builds(Item, st.just("text"), pieces, st.integers(0, 2)),
        st.builds(Item, st.just("reasoning"), pieces, st.integers(0, 1)),
        st.builds(Item, st.just("noise"), st.just(""), st.integers(0, 3))), max_size=10))
    if fam != "ollama" and draw(st.booleans()):  # a finish reason somewhere in the middle
        body.insert(draw(st.integers(0, len(body))), Item("finish", FINISH[fam]))
    tail = draw(st.sampled_from(("finish", "block", "cut", "error", "none")))
    if tail == "block" and fam in BLOCK:
        body.append(Item("finish", BLOCK[fam]))
    elif tail == "cut" and fam in CUT:
        body.append(Item("finish", CUT[fam]))
    elif tail == "error":
        body.append(Item("error", "boom: " + draw(pieces), draw(st.integers(0, 2))))
    elif tail != "none":
        body.append(Item("finish", FINISH[fam]))
    terminal = tail != "error" and TERMINAL[fam] is not None and draw(st.booleans())
    return body, terminal


ENDINGS = ("\n", "\r", "\r\n")


def encode(fam: str, items: List[Item], terminal: bool, draw: Any) -> bytes:
    """The body bytes: random line endings (never a CR before a blank line ended by LF, which
    would read as one CRLF), an optional BOM, the last blank line or line ending maybe cut."""
    events = [event for item in items for event in ENCODERS[fam](item)]
    if terminal and TERMINAL[fam]:
        events.append(TERMINAL[fam])
    lines: List[str] = []
    for event in events:
        lines.extend(event)
        if fam != "ollama":
            lines.append("")
    out: List[str] = []
    previous = "\n"
    for line in lines:
        ending = draw(st.sampled_from(ENDINGS))
        if previous == "\r" and not line and ending.startswith("\n"):
            ending = "\r"
        out.append(line + ending)
        previous = ending
    cut = draw(st.integers(0, 2))  # 1: drop the last blank line, 2: and the last line ending
    if cut and out and fam != "ollama" and out[-1] in ENDINGS:
        out.pop()
        if cut == 2 and out:
            out[-1] = out[-1].rstrip("\r\n")
    elif cut == 2 and out and fam == "ollama":
        out[-1] = out[-1].rstrip("\r\n")
    body = "".join(out).encode("utf-8")
    if draw(st.booleans()):
        body = b"\xef\xbb\xbf" + body
    return body


def chunked(body: bytes, draw: Any) -> List[bytes]:
    cuts = sorted(set(draw(st.lists(st.integers(0, len(body)), max_size=24))))
    edges = [0] + cuts + [len(body)]
    return [body[a:b] for a, b in zip(edges, edges[1:]) if b > a]


def read(provider_id: str, parts: List[bytes]) -> Tuple[Turn, List[DeltaEvent]]:
    provider = make_provider(ProviderSettings(provider_id, "http://127.0.0.1:9", api_key="k"))
    deltas: List[DeltaEvent] = []
    turn = Turn(lambda e: deltas.append(e) if isinstance(e, DeltaEvent) else None)
    reader = BodyReader(provider, turn)
    for part in parts:
        if reader.feed(part):
            return turn, deltas
    reader.end()
    return turn, deltas


def expected(fam: str, items: List[Item], terminal: bool) -> Tuple[str, str, str]:
    """(text, reasoning, outcome kind or "done") the reader and the rule must give."""
    text = "".join(i.value for i in items if i.kind == "text")
    reasoning = "".join(i.value for i in items if i.kind == "reasoning")
    finishes = [n for n, i in enumerate(items) if i.kind == "finish"]
    content = [n for n, i in enumerate(items) if i.kind in ("text", "reasoning")]
    last_finish = items[finishes[-1]].value if finishes else None
    ended = terminal or (bool(finishes) and finishes[-1] > max(content, default=-1))
    if items and items[-1].kind == "error":
        kind = errors.STREAM
    elif last_finish in BLOCKING:
        kind = errors.BLOCKED
    elif not ended:
        kind = errors.TRUNCATED
    elif not text:
        kind = errors.EMPTY
    else:
        kind = "done"
    return text, reasoning, kind


@pytest.mark.parametrize("provider_id", FORMATS)
@EXAMPLES
@given(data=st.data())
def test_no_text_is_lost_and_no_empty_turn_is_done(provider_id: str, data: Any) -> None:
    fam = family(provider_id)
    items, terminal = data.draw(scripts(fam))
    body = encode(fam, items, terminal, data.draw)
    turn, deltas = read(provider_id, chunked(body, data.draw))
    text, reasoning, kind = expected(fam, items, terminal)
    assert (turn.text, turn.reasoning) == (text, reasoning), body
    assert "".join(d.text for d in deltas) == text
    assert "".join(d.reasoning for d in deltas) == reasoning
    assert turn.malformed == 0, body
    result = decide(turn, lambda k: "Hint.", 1.0)
    got = "done" if isinstance(result, DoneEvent) else result.kind
    if kind == errors.TRUNCATED and not text and not reasoning:
        kind = got if got == errors.PROTOCOL else kind  # nothing readable at all: protocol
    assert got == kind, (body, getattr(result, "message", ""))
    if isinstance(result, DoneEvent):
        assert result.text
    else:
        assert result.partial == text and (PARTIAL_KEPT in result.hint) == bool(text)
    if kind == errors.STREAM:
        assert "boom:" in result.message  # one_line folds a whitespace-only piece away


# ----- the rule alone ---------------------------------------------------------------------------

FINISH_POOL = [None, "stop", "end_turn", "STOP", "tool_calls", *sorted(CUT_SHORT),
               *sorted(BLOCKING), *sorted(ERROR_FINISH)]
FAILURES = [None, errors.TRUNCATED, errors.IDLE_TIMEOUT, errors.FIRST_TOKEN_TIMEOUT,
            errors.CANCELLED, errors.PROTOCOL, errors.SERVER]


@EXAMPLES
@given(text=st.text(max_size=6), reasoning=st.text(max_size=6),
       finish=st.sampled_from(FINISH_POOL), finished=st.booleans(), terminal=st.booleans(),
       block=st.sampled_from([None, "PROHIBITED_CONTENT", "refusal"]),
       inband=st.booleans(), failure=st.sampled_from(FAILURES), events=st.integers(0, 3),
       strange=st.integers(0, 3), unrecognised=st.sampled_from(["", '{"odd":1}']))
def test_the_outcome_rule(text: str, reasoning: str, finish: Optional[str], finished: bool,
                          terminal: bool, block: Optional[str], inband: bool,
                          failure: Optional[str], events: int, strange: int,
                          unrecognised: str) -> None:
    turn = Turn(lambda e: None, clock=lambda: 0.0)
    if text:
        turn.text_parts.append(text)
    if reasoning:
        turn.reasoning_parts.append(reasoning)
    if text or reasoning:
        turn.first_content = 0.0
    turn.finish_reason, turn.terminal, turn.block = finish, terminal, block
    turn.finished = finished and finish is not None
    turn.inband = InbandError("boom") if inband else None
    turn.failure = ProviderError(failure, "it failed", "Hint.") if failure else None
    turn.events, turn.strange, turn.unrecognised = events, min(strange, events), unrecognised
    result = decide(turn, lambda k: "Hint.", 1.0)
    ended = terminal or turn.finished
    if isinstance(result, DoneEvent):
        assert text and result.text == text and result.finish_reason == finish
        assert block is None and finish not in BLOCKING and not inband and ended
        assert failure in (None, errors.TRUNCATED, errors.IDLE_TIMEOUT)
        return
    assert isinstance(result, ErrorEvent)
    assert result.message and "\n" not in result.message and result.partial == text
    assert (PARTIAL_KEPT in result.hint) == bool(text)
    if failure == errors.CANCELLED:
        assert result.kind == errors.CANCELLED
    elif block or finish in BLOCKING:
        assert result.kind == errors.BLOCKED
        assert (block or finish) in result.message
    elif inband:
        assert result.kind == errors.STREAM and "boom" in result.message
    elif failure in (errors.TRUNCATED, errors.IDLE_TIMEOUT) and ended:
        assert result.kind in (errors.STREAM, errors.EMPTY)  # the transport is forgiven
    elif failure:
        assert result.kind == failure
    elif not ended:
        unreadable = unrecognised and turn.strange == events and not (text or reasoning)
        assert result.kind == (errors.PROTOCOL if unreadable else errors.TRUNCATED)
    elif finish in ERROR_FINISH:
        assert result.kind == errors.STREAM
    else:
        assert result.kind == errors.EMPTY and not text
        if unrecognised and finish not in CUT_SHORT and not reasoning:
            assert unrecognised in result.message
