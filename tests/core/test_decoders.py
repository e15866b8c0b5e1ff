"""The line splitter, the SSE decoder and the in-band error reader, on small exact inputs
(DESIGN section 5 as amended by issue 7)."""

from __future__ import annotations

from typing import List, Optional

import pytest

from nuke_ai_panel import errors
from nuke_ai_panel.streaming import ERROR_EVENT, LineSplitter, SSEDecoder, SSEEvent


def split(*chunks: bytes) -> List[bytes]:
    splitter = LineSplitter()
    lines = [line for chunk in chunks for line in splitter.feed(chunk)]
    return lines + splitter.flush()


def events(*lines: str, eof: bool = True) -> List[SSEEvent]:
    decoder = SSEDecoder()
    out = [e for e in (decoder.decode(line) for line in lines) if e is not None]
    last: Optional[SSEEvent] = decoder.flush() if eof else None
    return out + ([last] if last else [])


@pytest.mark.parametrize("chunks", [
    (b"\xef\xbb\xbfdata: x\n",), (b"\xef", b"\xbb", b"\xbfdata: x\n"), (b"\xef\xbb\xbfdata: x",)])
def test_a_leading_bom_is_dropped_however_it_is_split(chunks: tuple) -> None:
    assert split(*chunks) == [b"data: x"]


def test_only_the_leading_bom_is_dropped() -> None:
    assert split(b"a\n\xef\xbb\xbfb\n") == [b"a", b"\xef\xbb\xbfb"]


def test_pending_event_is_dispatched_at_eof() -> None:
    assert events("event: message_stop", 'data: {"type":"message_stop"}') == \
        [SSEEvent("message_stop", '{"type":"message_stop"}')]
    assert events("data: [DONE]") == [SSEEvent("message", "[DONE]")]
    assert events("data: a", "data: b") == [SSEEvent("message", "a\nb")]
    assert events("event: ping") == []  # no data: nothing to dispatch
    assert events("data: [DONE]", eof=False) == []


def test_error_field_and_error_shaped_unknown_field_are_error_events() -> None:
    assert events('error: {"code":400,"message":"too long"}', "", "data: [DONE]", "") == [
        SSEEvent(ERROR_EVENT, '{"code":400,"message":"too long"}'),
        SSEEvent("message", "[DONE]")]
    assert events("error: plain words") == [SSEEvent(ERROR_EVENT, "plain words")]
    assert events('x-upstream: {"error":{"message":"bad"}}') == [
        SSEEvent(ERROR_EVENT, '{"error":{"message":"bad"}}')]


def test_other_unknown_fields_are_ignored_and_remembered() -> None:
    decoder = SSEDecoder()
    assert decoder.decode("x-trace: abc") is None and decoder.decode("retry: 10") is None
    assert decoder.decode("Internal Server Error") is None
    assert decoder.ignored == "x-trace: abc"


def test_a_bare_json_line_is_an_event_of_its_own() -> None:
    assert events("data: a", '{"object":"chat.completion"}', "") == [
        SSEEvent("message", '{"object":"chat.completion"}'), SSEEvent("message", "a")]


@pytest.mark.parametrize("body,message,code,transient", [
    ({"type": "error", "error": {"type": "overloaded_error", "message": "Overloaded"}},
     "Overloaded (overloaded_error)", "overloaded_error", True),
    ({"type": "error", "error": {"type": "invalid_request_error", "message": "too long"}},
     "too long (invalid_request_error)", "invalid_request_error", False),
    ({"error": {"message": "boom", "type": "server_error", "param": None, "code": None}},
     "boom (server_error)", "server_error", True),
    ({"error": {"code": 502, "message": "Provider returned error", "metadata": {}}},
     "Provider returned error (502)", "502", True),
    ({"error": {"code": 503, "message": "The model is overloaded.", "status": "UNAVAILABLE"}},
     "The model is overloaded. (UNAVAILABLE)", "UNAVAILABLE", True),
    ({"object": "error", "message": "too long", "type": "BadRequestError", "code": 400},
     "too long (BadRequestError)", "BadRequestError", False),
    ({"error": "server busy, please try again.  maximum pending requests exceeded"},
     "server busy, please try again.  maximum pending requests exceeded", "", True),
    ({"error": "model 'x' not found"}, "model 'x' not found", "", False),
    ("plain words", "plain words", "", False),
])
def test_inband_errors_quote_the_server_and_know_an_overload(body: object, message: str,
                                                             code: str, transient: bool) -> None:
    error = errors.inband_error(body)
    assert (error.message, error.code, error.transient) == (message, code, transient)
