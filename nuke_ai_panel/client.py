"""Runs provider calls: one chat stream, a model list, a connection check.

This is where the contracts live once for every provider: the event order of DESIGN section 2,
the deadlines of section 3 (each wait wrapped in ``asyncio.wait_for`` through
:func:`nuke_ai_panel.waits.wait_for`, which never loses a Stop; ``ClientTimeout`` only
bounds the socket connect), the HTTP errors and retry policy of section 4. Reading a response
body is :class:`~nuke_ai_panel.turn.BodyReader` (section 5); how a turn ended is decided by
:mod:`nuke_ai_panel.outcome` alone. Every exit path closes or releases the response.
"""

from __future__ import annotations

import asyncio
import errno
import io
import json
import time
from dataclasses import dataclass
from typing import Any, Callable, Dict, FrozenSet, List, Optional, Union

import aiohttp

from . import errors, outcome, waits
from .errors import ProviderError
from .events import DoneEvent, ErrorEvent, RetryingEvent, StartEvent, StreamEvent
from .logs import get_logger
from .providers import ModelInfo, Provider, make_provider
from .providers.base import HttpRequest
from .redact import redact, register_secret
from .retry import backoff_delay, is_retryable, parse_retry_after, parse_should_retry, retry_reason
from .settings import ChatRequest, ProviderSettings
from .streaming import LineTooLong
from .turn import JSON_DOCUMENT, BodyReader, Turn

log = get_logger(__name__)

Emit = Callable[[StreamEvent], None]
ERROR_BODY_LIMIT = 256 * 1024


@dataclass(frozen=True)
class ConnectionCheck:
    provider: str
    ok: bool
    latency: Optional[float] = None
    model_count: Optional[int] = None
    version: Optional[str] = None
    error_kind: Optional[str] = None
    error_message: str = ""
    hint: str = ""
    status: Optional[int] = None


async def stream_chat(session: aiohttp.ClientSession, settings: ProviderSettings,
                      request: ChatRequest, emit: Emit) -> Union[DoneEvent, ErrorEvent]:
    """Stream one chat turn to ``emit``; returns the terminal event, which is also emitted.

    Never raises for provider, network or protocol trouble: every outcome is decided by
    :func:`nuke_ai_panel.outcome.decide`. On cancellation it emits a ``cancelled`` error
    carrying the partial answer and re-raises ``CancelledError``.
    """
    if settings.api_key:
        register_secret(settings.api_key)
    turn = Turn(emit, accepts_calls=bool(request.tools))
    turn.emit(StartEvent(settings.provider_id, request.model, request.request_id))
    hint: outcome.Hint = lambda kind: ""
    try:
        provider = make_provider(settings)
        hint = provider.hint
        await _with_retries(session, provider, request, turn)
    except asyncio.CancelledError:
        turn.failure = ProviderError(
            errors.CANCELLED, "Stopped before the answer finished" if turn.text
            else "Stopped before any answer arrived")
        turn.emit(outcome.decide(turn, hint, time.monotonic()))
        raise
    except ProviderError as exc:
        turn.failure = exc
    except Exception as exc:
        log.error("unexpected failure in a %s stream: %s", settings.provider_id,
                  redact(repr(exc)), exc_info=True)
        turn.failure = ProviderError(
            errors.PROTOCOL, f"Unexpected error while reading the answer: {exc!r}",
            "This is a bug in Nuke AI Panel; the log file has the details.")
    result = outcome.decide(turn, hint, time.monotonic())
    turn.emit(result)
    return result


async def _with_retries(session: aiohttp.ClientSession, provider: Provider,
                        request: ChatRequest, turn: Turn) -> None:
    """Attempts until one is not worth retrying; each attempt's signals land in ``turn``."""
    policy = provider.settings.retry
    attempt = 0
    while True:
        turn.new_attempt()
        try:
            await _attempt(session, provider, request, turn)
        except ProviderError as exc:
            turn.failure = exc
        error = outcome.retry_error(turn)
        if error is None or attempt >= policy.max_retries or not is_retryable(error):
            return
        delay = backoff_delay(policy, attempt, error)
        attempt += 1
        log.info("%s: retry %d in %.2fs after %s", provider.id, attempt, delay,
                 retry_reason(error))
        turn.emit(RetryingEvent(attempt, round(delay, 3), retry_reason(error)))
        await asyncio.sleep(delay)


async def _attempt(session: aiohttp.ClientSession, provider: Provider, request: ChatRequest,
                   turn: Turn) -> None:
    deadlines = provider.settings.deadlines
    first_token_at = time.monotonic() + deadlines.first_token
    http = provider.chat_request(request)
    response = await _open(session, provider, http, turn, first_token_at)
    clean = False
    try:
        mode = await _check_response(provider, response, request.model, first_token_at)
        clean = await _read_body(provider, response, turn, first_token_at, mode)
    finally:
        if clean:
            response.release()
        else:
            response.close()


# aiohttp warns (ResourceWarning) that a bytes body over 1 MiB "might lock the event loop"
# (aiohttp/payload.py, TOO_LARGE_BYTES_BODY) and wants a file-like body instead, which it
# writes in pieces; requests with images are that large.
_LARGE_BODY = 1024 * 1024


def _body(http: HttpRequest) -> Dict[str, Any]:
    """The headers and JSON body of ``http`` as ``ClientSession.request`` keywords: JSON
    encoded once here (as aiohttp would: ``json.dumps``, UTF-8); a body over 1 MiB as a
    file-like object."""
    if http.json is None:
        return {"headers": http.headers}
    data = json.dumps(http.json).encode("utf-8")
    headers = {**http.headers, "Content-Type": "application/json"}
    return {"headers": headers, "data": io.BytesIO(data) if len(data) > _LARGE_BODY else data}


async def _open(session: aiohttp.ClientSession, provider: Provider, http: HttpRequest,
                turn: Turn, first_token_at: float) -> aiohttp.ClientResponse:
    """Send the request and wait for headers, saying ``waiting`` once a second meanwhile."""
    deadlines = provider.settings.deadlines
    task = asyncio.ensure_future(session.request(
        http.method, http.url, params=http.params,
        timeout=aiohttp.ClientTimeout(total=None, sock_connect=deadlines.connect),
        allow_redirects=True, **_body(http)))
    opened = False
    try:
        while True:
            remaining = first_token_at - time.monotonic()
            if remaining <= 0:
                raise _first_token_timeout(provider, deadlines.first_token)
            wait = min(remaining, max(0.01, turn.next_tick - time.monotonic()))
            try:
                await waits.wait_for(asyncio.shield(task), wait)
            except asyncio.TimeoutError:
                if not task.done():
                    turn.tick()
                    continue
            response = task.result()
            opened = True
            return response
    except (asyncio.TimeoutError, aiohttp.ClientError) as exc:
        raise _client_error(provider, http.url, exc) from None
    finally:
        if not opened:
            await _discard(task)


async def _discard(task: "asyncio.Future[aiohttp.ClientResponse]") -> None:
    """Stop a request we gave up on, closing its response if it arrived meanwhile."""
    if not task.done():
        task.cancel()
    await asyncio.gather(task, return_exceptions=True)
    if not task.cancelled() and task.exception() is None:
        task.result().close()


def _client_error(provider: Provider, url: str, exc: BaseException) -> ProviderError:
    """An aiohttp failure before any response, as the artist's error kind.

    The only timeout aiohttp enforces for us is the socket connect, so a timeout raised by
    aiohttp itself always means ``connect_timeout``.
    """
    if isinstance(exc, asyncio.TimeoutError):
        return ProviderError(
            errors.CONNECT_TIMEOUT,
            f"No connection to {_host(url)} within {provider.settings.deadlines.connect:g} s",
            provider.hint(errors.CONNECT_TIMEOUT))
    if isinstance(exc, aiohttp.InvalidURL):
        return ProviderError(errors.CONFIG, f"Invalid URL: {exc}", "Fix the base URL in Settings.")
    if isinstance(exc, aiohttp.ClientResponseError):
        return ProviderError(errors.PROTOCOL, f"Malformed HTTP response: {exc.message}",
                             provider.hint(errors.PROTOCOL))
    return _connect_error(provider, url, exc)


def _connect_error(provider: Provider, url: str, exc: BaseException) -> ProviderError:
    return ProviderError(errors.CONNECT, f"Cannot connect to {_host(url)}: {_connect_reason(exc)}",
                         provider.hint(errors.CONNECT))


def _connect_reason(exc: BaseException) -> str:
    """Plain words for why a connection failed, keeping the OS's own text as the detail."""
    if isinstance(exc, aiohttp.ServerDisconnectedError):
        return "the server closed the connection without answering"
    os_error = getattr(exc, "os_error", None)
    detail = getattr(os_error, "strerror", None) or _short(exc)
    if isinstance(exc, getattr(aiohttp, "ClientConnectorDNSError", ())):
        return f"host not found ({detail})"
    if isinstance(exc, (aiohttp.ClientConnectorCertificateError, aiohttp.ClientSSLError)):
        return f"TLS/certificate problem ({detail})"
    if isinstance(os_error, ConnectionRefusedError) or \
            getattr(os_error, "errno", None) == errno.ECONNREFUSED:
        return "connection refused (nothing is listening there)"
    if isinstance(os_error, OSError) and os_error.strerror:
        return os_error.strerror
    return _short(exc)


def _first_token_timeout(provider: Provider, seconds: float) -> ProviderError:
    return ProviderError(errors.FIRST_TOKEN_TIMEOUT,
                         f"No answer from the model within {seconds:g} s",
                         provider.hint(errors.FIRST_TOKEN_TIMEOUT))


async def _check_response(provider: Provider, response: aiohttp.ClientResponse, model: str,
                          first_token_at: float) -> str:
    """How to read the body (the provider's stream format, or ``json`` for a complete JSON
    answer); raises the matching error for an HTTP error or an HTML page."""
    ctype = response.headers.get("Content-Type", "").lower()
    if response.status < 300 and "text/html" not in ctype:
        if "event-stream" in ctype or "ndjson" in ctype or "json" not in ctype:
            return provider.stream_format
        return JSON_DOCUMENT
    timeout = max(0.5, min(10.0, first_token_at - time.monotonic()))
    body = await _read_error_body(response, timeout)
    if response.status >= 300:
        error = provider.http_error(response.status, response.headers, body, model)
        error.retry_after = parse_retry_after(response.headers,
                                              provider.settings.retry.max_retry_after)
        error.should_retry = parse_should_retry(response.headers)
        raise error
    raise ProviderError(errors.PROTOCOL,
                        f"Expected an event stream but got {ctype}: {errors.html_summary(body)}",
                        provider.hint(errors.PROTOCOL), status=response.status)


async def _read_error_body(response: aiohttp.ClientResponse, timeout: float) -> bytes:
    """Up to 256 KiB of an error body, within ``timeout``: enough to quote the server."""
    body = bytearray()

    async def read() -> None:
        while len(body) < ERROR_BODY_LIMIT:
            chunk = await response.content.readany()
            if not chunk:
                return
            body.extend(chunk)

    try:
        await waits.wait_for(read(), timeout)
    except (asyncio.TimeoutError, aiohttp.ClientError):
        pass
    return bytes(body)


async def _read_body(provider: Provider, response: aiohttp.ClientResponse, turn: Turn,
                     first_token_at: float, mode: str) -> bool:
    """Read until the stream's last word or EOF, under the first-token and idle deadlines;
    True if the body was read to its end. A dropped connection or a deadline raises.

    What is already buffered is taken without waiting (``read_nowait``); only an empty buffer
    costs a wait. The clock is read once per chunk: it stamps the chunk's content and sets the
    next wait."""
    reader = BodyReader(provider, turn, mode)
    content = response.content
    clock = time.monotonic
    now = clock()
    try:
        while True:
            # checked before every chunk, so a flood of keep-alives cannot outrun a deadline
            wait = _wait(provider, turn, first_token_at, now)
            try:
                chunk = content.read_nowait()
                if not chunk and not content.at_eof():
                    chunk = await waits.wait_for(content.readany(), wait)
                now = clock()
            except asyncio.TimeoutError:
                turn.tick()
                now = clock()
                continue
            except (aiohttp.ClientPayloadError, aiohttp.ClientConnectionError) as exc:
                where = "mid-answer" if turn.text else "before the answer began"
                raise ProviderError(errors.TRUNCATED,
                                    f"The connection dropped {where} ({_short(exc)})",
                                    provider.hint(errors.TRUNCATED)) from None
            if not chunk:
                reader.end(now)
                return True
            if reader.feed(chunk, now):
                return content.at_eof()
    except LineTooLong as exc:
        raise ProviderError(errors.PROTOCOL, f"Stream rejected: {exc}",
                            provider.hint(errors.PROTOCOL)) from None


def _wait(provider: Provider, turn: Turn, first_token_at: float, now: float) -> float:
    """Seconds to wait for the next chunk: to the idle deadline once content has come, else to
    the first-token deadline or the next ``waiting`` tick. Raises when the deadline passed."""
    deadlines = provider.settings.deadlines
    if turn.content_seen:
        wait = turn.last_content + deadlines.idle - now
        if wait <= 0:
            raise _stall_error(provider, errors.IDLE_TIMEOUT, deadlines.idle, turn)
        return wait
    wait = first_token_at - now
    if wait <= 0:
        raise _stall_error(provider, errors.FIRST_TOKEN_TIMEOUT, deadlines.first_token, turn)
    return min(wait, max(0.01, turn.next_tick - now))


def _stall_error(provider: Provider, kind: str, seconds: float, turn: Turn) -> ProviderError:
    if kind == errors.FIRST_TOKEN_TIMEOUT:
        return _first_token_timeout(provider, seconds)
    where = "mid-answer" if turn.text else "after it began"
    return ProviderError(errors.IDLE_TIMEOUT, f"The model sent nothing for {seconds:g} s {where}",
                         provider.hint(errors.IDLE_TIMEOUT))


async def _request_json(session: aiohttp.ClientSession, provider: Provider,
                        http: HttpRequest) -> Any:
    """One non-streaming call, bounded as a whole by the request deadline."""
    deadlines = provider.settings.deadlines

    async def call() -> Any:
        async with session.request(
                http.method, http.url, params=http.params,
                timeout=aiohttp.ClientTimeout(total=None, sock_connect=deadlines.connect),
                **_body(http)) as resp:
            body = await resp.read()
            if resp.status >= 300:
                error = provider.http_error(resp.status, resp.headers, body, "")
                if resp.status == 404 and error.kind == errors.MODEL_NOT_FOUND:
                    error = ProviderError(errors.CONFIG, f"{http.url} was not found (HTTP 404)",
                                          provider.hint(errors.PROTOCOL), status=404)
                raise error
            try:
                return json.loads(body.decode("utf-8", "replace"))
            except ValueError:
                detail = errors.html_summary(body) if errors.looks_like_html(body) \
                    else errors.body_excerpt(body)
                raise ProviderError(errors.PROTOCOL, f"Not a JSON answer from {http.url}: {detail}",
                                    provider.hint(errors.PROTOCOL), status=resp.status) from None

    try:
        return await waits.wait_for(call(), deadlines.request)
    except asyncio.TimeoutError as exc:
        if isinstance(exc, aiohttp.ServerTimeoutError):
            raise _client_error(provider, http.url, exc) from None
        raise ProviderError(errors.FIRST_TOKEN_TIMEOUT,
                            f"{_host(http.url)} did not answer within {deadlines.request:g} s",
                            "The server accepted the connection but did not answer; check that "
                            "it is not overloaded, or raise the request deadline.") from None
    except aiohttp.ClientError as exc:
        raise _client_error(provider, http.url, exc) from None


async def list_models(session: aiohttp.ClientSession,
                      settings: ProviderSettings) -> List[ModelInfo]:
    """The provider's models; raises :class:`ProviderError`."""
    if settings.api_key:
        register_secret(settings.api_key)
    provider = make_provider(settings)
    data = await _request_json(session, provider, provider.models_request())
    try:
        return provider.parse_models(data)
    except (ValueError, KeyError, TypeError) as exc:
        raise ProviderError(errors.PROTOCOL, f"Unexpected model list: {exc}",
                            provider.hint(errors.PROTOCOL)) from None


async def model_capabilities(session: aiohttp.ClientSession,
                             settings: ProviderSettings) -> Optional[FrozenSet[str]]:
    """What ``settings.model`` takes (``tools``, ``vision``...), for a provider that can say
    (Ollama's ``/api/show``); None when it cannot, or the lookup fails (the chat call that
    follows then reports any problem itself)."""
    if settings.api_key:
        register_secret(settings.api_key)
    provider = make_provider(settings)
    http = provider.capabilities_request(settings.model)
    if http is None:
        return None
    try:
        return provider.parse_capabilities(await _request_json(session, provider, http))
    except ProviderError as exc:
        log.info("%s: no capabilities for %s: %s", provider.id, settings.model, exc.message)
        return None


async def check_connection(session: aiohttp.ClientSession,
                           settings: ProviderSettings) -> ConnectionCheck:
    """Reachable, authenticated, how fast, how many models, which server version."""
    started = time.monotonic()
    try:
        provider = make_provider(settings)
        version = None
        version_http = provider.version_request()
        models = await list_models(session, settings)
        latency = time.monotonic() - started
        if version_http is not None:
            try:
                version = provider.parse_version(
                    await _request_json(session, provider, version_http))
            except ProviderError:
                version = None
        return ConnectionCheck(settings.provider_id, True, round(latency, 3), len(models), version)
    except ProviderError as exc:
        return ConnectionCheck(settings.provider_id, False, error_kind=exc.kind,
                               error_message=exc.message, hint=exc.hint, status=exc.status)


def _host(url: str) -> str:
    try:
        from yarl import URL
        parsed = URL(url)
        return f"{parsed.host}:{parsed.port}" if parsed.host else url
    except Exception:
        return url


def _short(exc: BaseException) -> str:
    return errors.one_line(str(exc) or type(exc).__name__, 120)
