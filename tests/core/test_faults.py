"""The fault catalogue (DESIGN sections 2-5) through the engine, against every protocol.

Each test starts a real protocol server on 127.0.0.1 whose model name picks the fault, runs
``stream_chat`` / ``list_models`` / ``check_connection`` in a fresh ``asyncio.run`` with its own
session, and checks the outcome, the event contract (``start`` first, exactly one terminal
last, deltas adding up to the text) and that the canary API key leaks nowhere: not in events,
log records or printed output. Deadlines are short and measured.
"""

from __future__ import annotations

import asyncio
import json
import logging
import secrets
import socket
import time
from typing import Any, Awaitable, Callable, Iterator, List, Optional, Tuple, TypeVar, Union

import aiohttp
import pytest

from nuke_ai_panel import errors
from nuke_ai_panel.client import check_connection, list_models, stream_chat
from nuke_ai_panel.events import (DeltaEvent, DoneEvent, ErrorEvent, RetryingEvent, StartEvent,
                                  WaitingEvent, to_dict)
from nuke_ai_panel.settings import ChatRequest, Deadlines, Message, ProviderSettings, RetryPolicy
from tests.protocol_servers import PROTOCOLS, ProtocolServer, build_scenario
from tests.protocol_servers.messages import BAD_REQUEST_MESSAGE

pytestmark = pytest.mark.timeout(30)

CANARY = "sk-canary-" + secrets.token_hex(12)
PROMPT = "Explain the Merge node, please"
FAST = Deadlines(connect=2.0, first_token=1.5, idle=1.0, request=3.0)
RETRY = RetryPolicy(max_retries=2, base_delay=0.05, max_delay=0.2, max_retry_after=5.0)
OUTER_BOUND = 20.0
KEYED = tuple(p for p in PROTOCOLS if p != "ollama")
OPENAI_LIKE = ("openai", "openrouter")
# provider id -> the server protocol it speaks
PROVIDER_PROTOCOL = {p: p for p in PROTOCOLS}
PROVIDER_PROTOCOL.update({"mistral": "openai", "openai-compatible": "openai"})
_PREFIX = {"ollama": "", "openai": "/v1", "openrouter": "/api/v1", "anthropic": "",
           "gemini": "/v1beta"}

Terminal = Union[DoneEvent, ErrorEvent]
T = TypeVar("T")


@pytest.fixture(autouse=True)
def no_key_leaks(caplog: pytest.LogCaptureFixture, capsys: pytest.CaptureFixture) -> Iterator[None]:
    """Whatever a test does, the canary key must not reach a log record or the terminal."""
    caplog.set_level(logging.DEBUG)
    yield
    out, err = capsys.readouterr()
    assert CANARY not in out and CANARY not in err
    for record in caplog.records:
        assert CANARY not in record.getMessage()
        assert CANARY not in (record.exc_text or "")
    assert CANARY not in caplog.text


def settings_for(provider: str, base_url: str, model: str = "any-model", *,
                 api_key: Optional[str] = CANARY, deadlines: Deadlines = FAST,
                 retry: RetryPolicy = RETRY) -> ProviderSettings:
    key = api_key if PROVIDER_PROTOCOL[provider] in KEYED else None
    return ProviderSettings(provider, base_url, api_key=key, model=model, deadlines=deadlines,
                            retry=retry)


def run(coro_factory: Callable[[aiohttp.ClientSession], Awaitable[T]]) -> Tuple[T, float]:
    """Run one engine call in a fresh loop and session; returns (result, seconds taken)."""

    async def main() -> T:
        async with aiohttp.ClientSession() as session:
            return await asyncio.wait_for(coro_factory(session), OUTER_BOUND)

    began = time.monotonic()
    result = asyncio.run(main())
    return result, time.monotonic() - began


def chat(provider: str, base_url: str, model: str, **kw: Any) -> Tuple[List[Any], Terminal, float]:
    """One ``stream_chat`` turn; checks the event contract and the canary on the way out."""
    events: List[Any] = []
    settings = settings_for(provider, base_url, model, **kw)
    request = ChatRequest(model=model, messages=[Message("user", PROMPT)])
    result, elapsed = run(lambda s: stream_chat(s, settings, request, events.append))
    check_contract(events, result)
    return events, result, elapsed


def check_contract(events: List[Any], result: Terminal) -> None:
    assert events and isinstance(events[0], StartEvent), events[:1]
    terminals = [e for e in events if isinstance(e, (DoneEvent, ErrorEvent))]
    assert terminals == [result] and events[-1] is result, [e.type for e in events]
    deltas = [e for e in events if isinstance(e, DeltaEvent)]
    shown = "".join(e.text for e in deltas)
    assert shown == (result.text if isinstance(result, DoneEvent) else result.partial)
    if deltas:
        first = events.index(deltas[0])
        assert not any(isinstance(e, (WaitingEvent, RetryingEvent)) for e in events[first:])
    for event in events:
        assert CANARY not in json.dumps(to_dict(event), ensure_ascii=False)


def of_type(events: List[Any], cls: type) -> List[Any]:
    return [e for e in events if isinstance(e, cls)]


def expect_error(result: Terminal, kind: str) -> ErrorEvent:
    assert isinstance(result, ErrorEvent), f"expected {kind}, got done: {result.text[:80]!r}"
    assert result.kind == kind, f"expected {kind}, got {result.kind}: {result.message}"
    assert result.message and "Traceback" not in result.message
    return result


def expect_done(result: Terminal) -> DoneEvent:
    assert isinstance(result, DoneEvent), f"expected done, got {result.kind}: {result.message}"
    return result


@pytest.fixture(params=PROTOCOLS)
def server(request: pytest.FixtureRequest) -> Iterator[ProtocolServer]:
    with ProtocolServer(request.param) as srv:
        yield srv


@pytest.fixture(params=OPENAI_LIKE)
def openai_like(request: pytest.FixtureRequest) -> Iterator[ProtocolServer]:
    with ProtocolServer(request.param) as srv:
        yield srv


def closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


# ----- streams that end well ---------------------------------------------------------------


def test_normal_stream(server: ProtocolServer) -> None:
    events, result, _ = chat(server.protocol, server.base_url, "any-model")
    done = expect_done(result)
    assert done.text == build_scenario(server.protocol, "any-model", PROMPT).text
    assert done.finish_reason and done.malformed_chunks == 0 and done.reasoning == ""
    assert done.usage.completion_tokens and done.time_to_first_token is not None
    # one delta per network chunk: it counts the stream events whose text it carries
    deltas = of_type(events, DeltaEvent)
    assert "".join(d.text for d in deltas) == done.text and sum(d.chunks for d in deltas) > 3
    assert server.count() == 1 and server.completed == 1


@pytest.mark.parametrize("model", ["big-event", "crlf", "cr", "bytewise", "code", "tokens-2000"])
def test_exact_text(server: ProtocolServer, model: str) -> None:
    _, result, _ = chat(server.protocol, server.base_url, model)
    assert expect_done(result).text == build_scenario(server.protocol, model, PROMPT).text


def test_reasoning_kept_apart(server: ProtocolServer) -> None:
    events, result, _ = chat(server.protocol, server.base_url, "reasoning")
    scenario = build_scenario(server.protocol, "reasoning", PROMPT)
    done = expect_done(result)
    assert (done.text, done.reasoning) == (scenario.text, scenario.reasoning)
    assert "".join(e.reasoning for e in of_type(events, DeltaEvent)) == scenario.reasoning


def test_multi_choice_shows_choice_zero(openai_like: ProtocolServer) -> None:
    _, result, _ = chat(openai_like.protocol, openai_like.base_url, "multi-choice")
    assert expect_done(result).text == build_scenario(openai_like.protocol, "multi-choice",
                                                      PROMPT).text


def test_malformed_chunk_is_skipped_and_counted(server: ProtocolServer,
                                                caplog: pytest.LogCaptureFixture) -> None:
    _, result, _ = chat(server.protocol, server.base_url, "malformed")
    done = expect_done(result)
    assert done.malformed_chunks == 1
    assert done.text == build_scenario(server.protocol, "malformed", PROMPT).text
    assert any(r.levelno >= logging.WARNING and "malformed" in r.getMessage().lower()
               for r in caplog.records)


def test_bad_utf8_becomes_replacement_characters(server: ProtocolServer) -> None:
    _, result, _ = chat(server.protocol, server.base_url, "bad-utf8")
    done = expect_done(result)
    assert "\ufffd" in done.text
    assert done.text.startswith("Echo: bad") and done.text.endswith(" bytes")


def test_slow_load_says_waiting_about_once_a_second(server: ProtocolServer) -> None:
    deadlines = Deadlines(connect=2.0, first_token=5.0, idle=2.0, request=3.0)
    events, result, elapsed = chat(server.protocol, server.base_url, "slow-load",
                                   deadlines=deadlines)
    assert expect_done(result).text == build_scenario(server.protocol, "slow-load", PROMPT).text
    waited = [e.seconds for e in of_type(events, WaitingEvent)]
    assert len(waited) >= 1, [e.type for e in events]
    assert all(0.7 <= b - a <= 1.5 for a, b in zip(waited, waited[1:])), waited
    assert 0.7 <= waited[0] <= 1.5 and elapsed < 5.0


# ----- deadlines ---------------------------------------------------------------------------


@pytest.mark.parametrize("model", ["stall-headers", "silence-after-headers", "pings-only"])
def test_first_token_timeout(server: ProtocolServer, model: str) -> None:
    events, result, elapsed = chat(server.protocol, server.base_url, model)
    error = expect_error(result, errors.FIRST_TOKEN_TIMEOUT)
    assert FAST.first_token - 0.1 <= elapsed <= FAST.first_token + 1.0, elapsed
    assert error.partial == "" and error.hint
    assert of_type(events, WaitingEvent), "no waiting event while nothing arrived"
    assert not of_type(events, RetryingEvent) and server.count() == 1
    assert server.wait_for_disconnect(2.0), "the engine kept the stalled connection open"


@pytest.mark.parametrize("model", ["stall-mid", "pings-mid"])
def test_idle_timeout_keeps_the_partial_text(server: ProtocolServer, model: str) -> None:
    _, result, elapsed = chat(server.protocol, server.base_url, model)
    error = expect_error(result, errors.IDLE_TIMEOUT)
    assert error.partial == build_scenario(server.protocol, model, PROMPT).text
    assert error.chunks > 0
    assert FAST.idle - 0.1 <= elapsed <= FAST.idle + 1.0, elapsed
    assert server.count() == 1 and server.wait_for_disconnect(2.0)


# ----- streams that end badly --------------------------------------------------------------


@pytest.mark.parametrize("model", ["drop-mid", "no-terminal"])
def test_truncated_keeps_the_partial_text(server: ProtocolServer, model: str) -> None:
    _, result, elapsed = chat(server.protocol, server.base_url, model)
    error = expect_error(result, errors.TRUNCATED)
    assert error.partial == build_scenario(server.protocol, model, PROMPT).text
    assert server.count() == 1 and elapsed < 3.0


def test_inband_error_quotes_the_server(server: ProtocolServer) -> None:
    _, result, _ = chat(server.protocol, server.base_url, "inband-error")
    scenario = build_scenario(server.protocol, "inband-error", PROMPT)
    error = expect_error(result, errors.STREAM)
    assert scenario.error_message and scenario.error_message[:60] in error.message
    assert error.partial == scenario.text and server.count() == 1


def test_vllm_inband_error_quotes_the_server(openai_like: ProtocolServer) -> None:
    _, result, _ = chat(openai_like.protocol, openai_like.base_url, "inband-error-vllm")
    scenario = build_scenario(openai_like.protocol, "inband-error-vllm", PROMPT)
    error = expect_error(result, errors.STREAM)
    assert scenario.error_message and scenario.error_message in error.message
    assert error.partial == scenario.text


# ----- HTTP errors and retries -------------------------------------------------------------


def test_bad_request_quotes_the_server(server: ProtocolServer) -> None:
    events, result, _ = chat(server.protocol, server.base_url, "http-400")
    error = expect_error(result, errors.BAD_REQUEST)
    assert BAD_REQUEST_MESSAGE in error.message and error.status == 400
    assert server.count() == 1 and not of_type(events, RetryingEvent)


@pytest.mark.parametrize("model", ["http-401", "http-403"])
def test_auth_errors_point_at_the_key(server: ProtocolServer, model: str) -> None:
    events, result, _ = chat(server.protocol, server.base_url, model)
    error = expect_error(result, errors.AUTH)
    assert "key" in error.hint.lower() or "settings" in error.hint.lower(), error.hint
    assert error.status == int(model[-3:])
    assert server.count() == 1 and not of_type(events, RetryingEvent)


def test_unknown_model(server: ProtocolServer) -> None:
    _, result, _ = chat(server.protocol, server.base_url, "http-404")
    error = expect_error(result, errors.MODEL_NOT_FOUND)
    message = build_scenario(server.protocol, "http-404", PROMPT).error_message
    assert message and message[:60] in error.message
    if server.protocol == "ollama":
        assert "ollama pull http-404" in error.hint
    assert server.count() == 1


@pytest.mark.parametrize("model,delay", [("http-429", 1.0), ("http-429-ms", 0.2)])
def test_rate_limit_honours_the_server_delay(server: ProtocolServer, model: str,
                                             delay: float) -> None:
    # one retry for the one-second Retry-After keeps the catalogue fast
    retry = RetryPolicy(max_retries=1 if delay >= 1 else 2, base_delay=0.05, max_delay=0.2,
                        max_retry_after=5.0)
    events, result, elapsed = chat(server.protocol, server.base_url, model, retry=retry)
    expect_error(result, errors.RATE_LIMIT)
    retries = of_type(events, RetryingEvent)
    assert [r.delay for r in retries] == [delay] * retry.max_retries
    assert [r.attempt for r in retries] == list(range(1, retry.max_retries + 1))
    assert server.count() == 1 + retry.max_retries
    assert elapsed >= delay * retry.max_retries - 0.05


@pytest.mark.parametrize("model", ["http-500", "http-502-html", "http-503", "http-529"])
def test_server_errors_are_retried_then_reported(server: ProtocolServer, model: str) -> None:
    events, result, _ = chat(server.protocol, server.base_url, model)
    error = expect_error(result, errors.SERVER)
    assert error.status == int(model[5:8])
    assert server.count() == 1 + RETRY.max_retries
    assert len(of_type(events, RetryingEvent)) == RETRY.max_retries
    expected = "502 Bad Gateway" if model == "http-502-html" else \
        build_scenario(server.protocol, model, PROMPT).error_message
    assert expected and expected[:50] in error.message


def test_x_should_retry_false_is_honoured(server: ProtocolServer) -> None:
    events, result, _ = chat(server.protocol, server.base_url, "no-retry-500")
    expect_error(result, errors.SERVER)
    assert server.count() == 1 and not of_type(events, RetryingEvent)


def test_flaky_server_succeeds_on_retry(server: ProtocolServer) -> None:
    events, result, _ = chat(server.protocol, server.base_url, "flaky-1")
    assert expect_done(result).text == build_scenario(server.protocol, "flaky-1", PROMPT).text
    retries = of_type(events, RetryingEvent)
    assert len(retries) == 1 and "503" in retries[0].reason
    assert server.count() == 2


def test_html_page_is_a_protocol_error(server: ProtocolServer) -> None:
    _, result, _ = chat(server.protocol, server.base_url, "html-200")
    error = expect_error(result, errors.PROTOCOL)
    assert "Studio Network Sign-in" in error.message and error.hint


@pytest.mark.parametrize("protocol", PROTOCOLS)
def test_connection_refused(protocol: str) -> None:
    base = f"http://127.0.0.1:{closed_port()}{_PREFIX[protocol]}"
    events, result, elapsed = chat(protocol, base, "any-model")
    error = expect_error(result, errors.CONNECT)
    assert len(of_type(events, RetryingEvent)) == RETRY.max_retries
    assert elapsed < 3.0 and error.hint
    if protocol == "ollama":
        assert "ollama serve" in error.hint


# ----- the key ------------------------------------------------------------------------------


@pytest.mark.parametrize("protocol", KEYED)
def test_wrong_key_is_auth_and_never_shown(protocol: str) -> None:
    with ProtocolServer(protocol, api_key="sk-expected-" + secrets.token_hex(8)) as srv:
        events, result, _ = chat(protocol, srv.base_url, "any-model")
        offered = srv.requests[0].headers
        assert CANARY in (offered.get("Authorization", "") + offered.get("x-api-key", "")
                          + offered.get("x-goog-api-key", ""))
        error = expect_error(result, errors.AUTH)
        assert "key" in error.hint.lower()
        assert srv.count() == 1 and not of_type(events, RetryingEvent)
        assert not any(CANARY in r.path or CANARY in json.dumps(r.query) for r in srv.requests)


# ----- the other provider ids on the OpenAI protocol ---------------------------------------


@pytest.mark.parametrize("provider", ["mistral", "openai-compatible"])
def test_openai_format_providers(provider: str) -> None:
    with ProtocolServer("openai") as srv:
        _, result, _ = chat(provider, srv.base_url, "any-model")
        assert expect_done(result).text == build_scenario("openai", "any-model", PROMPT).text
        _, result, _ = chat(provider, srv.base_url, "inband-error-vllm")
        expect_error(result, errors.STREAM)
        _, result, _ = chat(provider, srv.base_url, "http-401")
        expect_error(result, errors.AUTH)
        _, result, _ = chat(provider, srv.base_url, "http-404")
        expect_error(result, errors.MODEL_NOT_FOUND)
        assert srv.count() == 4


# ----- model lists and connection checks ---------------------------------------------------


def test_list_models(server: ProtocolServer) -> None:
    settings = settings_for(server.protocol, server.base_url)
    models, _ = run(lambda s: list_models(s, settings))
    ids = [m.id for m in models]
    assert sorted(ids) == sorted(server.model_ids)


def test_check_connection_ok(server: ProtocolServer) -> None:
    settings = settings_for(server.protocol, server.base_url)
    check, _ = run(lambda s: check_connection(s, settings))
    assert check.ok and check.model_count and check.latency is not None, check
    if server.protocol == "ollama":
        assert check.version


@pytest.mark.parametrize("protocol", KEYED)
def test_check_connection_wrong_key(protocol: str) -> None:
    with ProtocolServer(protocol, api_key="sk-expected-" + secrets.token_hex(8)) as srv:
        check, _ = run(lambda s: check_connection(s, settings_for(protocol, srv.base_url)))
    assert not check.ok and check.error_kind == errors.AUTH, check
    assert CANARY not in check.error_message + check.hint


@pytest.mark.parametrize("protocol", ["ollama", "anthropic"])
def test_check_connection_bounded_by_request_deadline(protocol: str) -> None:
    deadlines = Deadlines(connect=2.0, first_token=1.5, idle=1.0, request=1.0)
    with ProtocolServer(protocol) as srv:
        srv.models_scenario = "stall-headers"
        settings = settings_for(protocol, srv.base_url, deadlines=deadlines)
        check, elapsed = run(lambda s: check_connection(s, settings))
        assert srv.wait_for_disconnect(2.0)
    assert not check.ok and check.error_kind and check.hint, check
    assert deadlines.request - 0.1 <= elapsed <= deadlines.request + 1.0, elapsed


@pytest.mark.parametrize("protocol", PROTOCOLS)
def test_check_connection_refused(protocol: str) -> None:
    base = f"http://127.0.0.1:{closed_port()}{_PREFIX[protocol]}"
    check, elapsed = run(lambda s: check_connection(s, settings_for(protocol, base)))
    assert not check.ok and check.error_kind == errors.CONNECT and check.hint
    assert elapsed < 3.0


def test_a_request_of_several_megabytes_goes_out_whole(server: ProtocolServer) -> None:
    """Images make requests of several MB: the body goes out whole and the answer comes
    back, with no warning from aiohttp that one large write may hold the event loop (the
    tests turn that ResourceWarning into an error; in Nuke it would be noise)."""
    events: List[Any] = []
    settings = settings_for(server.protocol, server.base_url, "any-model")
    big = "pixels " * (3 * 1024 * 1024 // 7)
    request = ChatRequest(model="any-model",
                          messages=[Message("system", big), Message("user", PROMPT)])
    result, _ = run(lambda s: stream_chat(s, settings, request, events.append))
    check_contract(events, result)
    assert expect_done(result).text == build_scenario(server.protocol, "any-model", PROMPT).text
    assert big in json.dumps(server.requests[-1].json_body)
