"""A real aiohttp server on 127.0.0.1 that speaks one provider protocol, faults included.

It runs in a daemon thread with its own event loop so synchronous tests, asyncio tests and
subprocesses can all point a client at it. Every request is recorded; client disconnects are
counted (``handler_cancellation=True`` cancels a handler when its client goes away), and
``stop()`` cancels stalled handlers itself so it returns at once.
"""

from __future__ import annotations

import asyncio
import json
import threading
from collections import defaultdict
from dataclasses import dataclass
from typing import Any, Dict, List, Mapping, Optional, Sequence, Set, Type

from aiohttp import web
from multidict import CIMultiDict, CIMultiDictProxy

from . import agent_scripts, tool_history
from .encoders import ENCODERS, Encoder
from .messages import auth_failure
from .raw import RawResponse, raw_case
from .scenarios import (BAD_UTF8_BYTES, BAD_UTF8_MARK, PROTOCOLS, build_scenario, capabilities,
                        scenario_name)
from .steps import Drop, HttpError, InbandError, Pause, Reasoning, Scenario, Stall, Text

_PREFIX = {"ollama": "", "openai": "/v1", "openrouter": "/api/v1", "anthropic": "",
           "gemini": "/v1beta", "mistral": "/v1"}
# Dialects served with another protocol's encoder and messages: Mistral speaks OpenAI's
# format with its own rules (nine-character tool call ids, checked on every request).
FAMILY = {"mistral": "openai"}
_FOREVER = 24 * 3600.0


@dataclass(frozen=True)
class RecordedRequest:
    method: str
    path: str
    query: Dict[str, str]
    headers: Mapping[str, str]  # case-insensitive
    json_body: Any


@dataclass(frozen=True)
class _Chat:
    model: str
    prompt: str
    prompt_tokens: int
    stream: bool
    include_usage: bool


class _Play:
    """Per-request flags telling a deliberate end apart from a client that went away."""

    def __init__(self) -> None:
        self.aborted = False
        self.finished = False


class ProtocolServer:
    """One protocol on 127.0.0.1; ``with ProtocolServer("openai") as srv: srv.base_url``.

    ``base_url`` is what a client uses as its base URL. ``requests`` lists every request
    received (:class:`RecordedRequest`), ``count(path_contains)`` counts them. ``disconnects``
    counts clients that went away before their response finished (``wait_for_disconnect``
    waits for one); ``completed`` counts streams sent to their end. With ``api_key`` set, a
    request without that key gets the protocol's real refusal, echoing the offered key.
    ``token_delay`` sleeps after every text or reasoning token. ``models_scenario`` applies a
    scenario name (``http-500``, ``stall-headers``...) to the model-list endpoints.
    """

    def __init__(
        self,
        protocol: str,
        *,
        api_key: Optional[str] = None,
        token_delay: float = 0.0,
        port: int = 0,
        models: Optional[Sequence[str]] = None,
    ) -> None:
        if protocol not in PROTOCOLS and protocol not in FAMILY:
            raise ValueError(f"unknown protocol {protocol!r}; one of {', '.join(PROTOCOLS)}, "
                             f"{', '.join(FAMILY)}")
        self.protocol = protocol
        self.family = FAMILY.get(protocol, protocol)
        self.api_key = api_key
        self.token_delay = token_delay
        self.models_list = list(models) if models else None
        # What Ollama's /api/show reports as a model's context window (None: not said).
        self.context_length: Optional[int] = None
        # A scenario name (``http-500``, ``stall-headers``...) applied to model-list calls.
        self.models_scenario: Optional[str] = None
        self.port = port
        self.base_url = ""
        self.disconnects = 0
        self.completed = 0
        self._encoder: Type[Encoder] = ENCODERS[self.family]
        self._requests: List[RecordedRequest] = []
        self._attempts: Dict[str, int] = defaultdict(int)
        self._cond = threading.Condition()
        self._loop: Optional[asyncio.AbstractEventLoop] = None
        self._thread: Optional[threading.Thread] = None
        self._runner: Optional[web.AppRunner] = None
        self._tasks: Set["asyncio.Task[Any]"] = set()
        self._stopping = False
        self._start_error: Optional[BaseException] = None

    # ----- lifecycle -------------------------------------------------------------------------

    def start(self) -> "ProtocolServer":
        if self._thread is not None:
            return self
        self._stopping = False
        self._start_error = None
        self._loop = asyncio.new_event_loop()
        ready = threading.Event()
        self._thread = threading.Thread(
            target=self._run, args=(ready,), name=f"protocol-server-{self.protocol}", daemon=True
        )
        self._thread.start()
        if not ready.wait(10) or self._start_error is not None:
            self._thread.join(5)
            self._thread = None
            raise RuntimeError(f"protocol server did not start: {self._start_error!r}")
        self.base_url = f"http://127.0.0.1:{self.port}{_PREFIX[self.protocol]}"
        return self

    def stop(self) -> None:
        """Cancel every handler, close the listener and connections, join the thread."""
        thread, loop = self._thread, self._loop
        if thread is None or loop is None:
            return
        if loop.is_running():
            future = asyncio.run_coroutine_threadsafe(self._shutdown(), loop)
            try:
                future.result(timeout=5)
            finally:
                loop.call_soon_threadsafe(loop.stop)
        thread.join(5)
        self._thread = None
        self._loop = None

    def __enter__(self) -> "ProtocolServer":
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def _run(self, ready: threading.Event) -> None:
        loop = self._loop
        assert loop is not None
        asyncio.set_event_loop(loop)
        try:
            try:
                loop.run_until_complete(self._setup())
            except BaseException as exc:  # reported to start()
                self._start_error = exc
                return
            finally:
                ready.set()
            loop.run_forever()
            pending = [t for t in asyncio.all_tasks(loop) if not t.done()]
            for task in pending:
                task.cancel()
            loop.run_until_complete(asyncio.gather(*pending, return_exceptions=True))
            loop.run_until_complete(loop.shutdown_asyncgens())
        finally:
            asyncio.set_event_loop(None)
            loop.close()

    async def _setup(self) -> None:
        self._runner = web.AppRunner(
            self._app(), handler_cancellation=True, access_log=None, shutdown_timeout=0.5
        )
        await self._runner.setup()
        try:
            await web.TCPSite(self._runner, "127.0.0.1", self.port).start()
        except BaseException:
            await self._runner.cleanup()
            raise
        self.port = self._runner.addresses[0][1]

    async def _shutdown(self) -> None:
        self._stopping = True
        tasks = [t for t in self._tasks if not t.done()]
        for task in tasks:
            task.cancel()
        if tasks:
            await asyncio.wait(tasks, timeout=2)
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    # ----- what tests look at ----------------------------------------------------------------

    @property
    def requests(self) -> List[RecordedRequest]:
        """A snapshot of the requests so far, in arrival order."""
        with self._cond:
            return list(self._requests)

    @property
    def model_ids(self) -> List[str]:
        """The model ids the model-list endpoint offers (Gemini adds ``models/``)."""
        return list(self.models_list or self._encoder.default_models)

    def count(self, path_contains: str = "") -> int:
        with self._cond:
            return sum(1 for r in self._requests if path_contains in r.path)

    def wait_for_disconnect(self, timeout: float = 5.0, count: int = 1) -> bool:
        """True once ``count`` clients have gone away before their response finished."""
        with self._cond:
            return self._cond.wait_for(lambda: self.disconnects >= count, timeout)

    def _note(self, disconnect: bool) -> None:
        with self._cond:
            if disconnect:
                self.disconnects += 1
            else:
                self.completed += 1
            self._cond.notify_all()

    # ----- routes ----------------------------------------------------------------------------

    def _app(self) -> web.Application:
        app = web.Application(client_max_size=64 * 1024 * 1024)  # providers take requests of many MB (images)
        p = _PREFIX[self.protocol]
        routes = {
            "ollama": [("POST", "/api/chat", self._chat), ("GET", "/api/tags", self._models),
                       ("POST", "/api/show", self._show),
                       ("GET", "/api/version", self._version), ("GET", "/", self._root)],
            "openai": [("POST", f"{p}/chat/completions", self._chat),
                       ("GET", f"{p}/models", self._models)],
            "openrouter": [("POST", f"{p}/chat/completions", self._chat),
                           ("GET", f"{p}/models", self._models)],
            "anthropic": [("POST", "/v1/messages", self._chat),
                          ("GET", "/v1/models", self._models)],
            "gemini": [("POST", f"{p}/models/{{target}}", self._chat),
                       ("GET", f"{p}/models", self._models)],
        }[self.family]
        for method, path, handler in routes:
            app.router.add_route(method, path, self._guard(handler))
        return app

    def _guard(self, handler: Any) -> Any:
        """Record the request, check the key, track the task, count disconnects."""

        async def guarded(request: web.Request) -> web.StreamResponse:
            task = asyncio.current_task()
            assert task is not None
            self._tasks.add(task)
            play = _Play()
            try:
                body = await self._record(request)
                denied = self._check_key(request)
                if denied is not None:
                    return self._error(denied)
                return await handler(request, body, play)
            except asyncio.CancelledError:
                if not (self._stopping or play.aborted or play.finished):
                    self._note(disconnect=True)
                raise
            except ConnectionError:
                if not self._stopping:
                    self._note(disconnect=True)
                # aiohttp logs an error for any other exception; the client is gone anyway
                raise asyncio.CancelledError() from None
            finally:
                self._tasks.discard(task)

        return guarded

    async def _record(self, request: web.Request) -> Any:
        raw = await request.read()
        try:
            body = json.loads(raw.decode("utf-8")) if raw else None
        except ValueError:
            body = None
        headers = CIMultiDictProxy(CIMultiDict(request.headers))
        entry = RecordedRequest(request.method, request.path, dict(request.query), headers, body)
        with self._cond:
            self._requests.append(entry)
        return body

    def _offered_key(self, request: web.Request) -> Optional[str]:
        if self.family == "anthropic":
            return request.headers.get("x-api-key")
        if self.family == "gemini":
            return request.headers.get("x-goog-api-key") or request.query.get("key")
        auth = request.headers.get("Authorization", "")
        return auth[7:].strip() if auth.lower().startswith("bearer ") else None

    def _check_key(self, request: web.Request) -> Optional[HttpError]:
        if self.api_key is None:
            return None
        offered = self._offered_key(request)
        return None if offered == self.api_key else auth_failure(self.family, offered)

    def _error(self, error: HttpError) -> web.Response:
        body = self._encoder().error_body(error)
        return web.json_response(body, status=error.status, headers=dict(error.headers),
                                 dumps=lambda o: json.dumps(o, ensure_ascii=False))

    async def _root(self, request: web.Request, body: Any, play: _Play) -> web.StreamResponse:
        return web.Response(text="Ollama is running")

    async def _show(self, request: web.Request, body: Any, play: _Play) -> web.StreamResponse:
        """Ollama's model details: ``model_info`` names the architecture's context length,
        ``capabilities`` what the model takes (by model name: see ``capabilities``)."""
        info: Dict[str, Any] = {"general.architecture": "llama"}
        if self.context_length is not None:
            info["llama.context_length"] = self.context_length
        model = str(body.get("model") or "") if isinstance(body, dict) else ""
        answer: Dict[str, Any] = {"parameters": "", "model_info": info,
                                  "details": {"family": "llama"}}
        words = capabilities(model)
        if words is not None:
            answer["capabilities"] = words
        return web.json_response(answer)

    async def _version(self, request: web.Request, body: Any, play: _Play) -> web.StreamResponse:
        return web.json_response({"version": self._encoder.version})

    async def _models(self, request: web.Request, body: Any, play: _Play) -> web.StreamResponse:
        if self.models_scenario:
            scenario = build_scenario(self.family, self.models_scenario, "",
                                      offered_key=self._offered_key(request))
            early = await self._before_body(scenario, play, request)
            if early is not None:
                return early
        return web.json_response(self._encoder().models(self.models_list))

    # ----- chat ------------------------------------------------------------------------------

    def _parse(self, request: web.Request, body: Any) -> _Chat:
        body = body if isinstance(body, dict) else {}
        if self.family == "gemini":
            model, _, action = request.match_info["target"].rpartition(":")
            messages = [{"role": c.get("role", "user"), "content": c.get("parts")}
                        for c in body.get("contents") or [] if isinstance(c, dict)]
            stream = action == "streamGenerateContent"
        else:
            model = str(body.get("model", ""))
            messages = [m for m in body.get("messages") or [] if isinstance(m, dict)]
            stream = bool(body.get("stream", self.family == "ollama"))
        texts = [_content_text(m.get("content")) for m in messages]
        prompt = next((_content_text(m.get("content")) for m in reversed(messages)
                       if m.get("role") == "user"), "")
        options = body.get("stream_options") or {}
        include_usage = self.family not in ("openai", "openrouter") or \
            bool(isinstance(options, dict) and options.get("include_usage"))
        tokens = max(1, sum(len(t.split()) for t in texts))
        return _Chat(model, prompt, tokens, stream, include_usage)

    async def _chat(self, request: web.Request, body: Any, play: _Play) -> web.StreamResponse:
        chat = self._parse(request, body)
        with self._cond:
            attempt = self._attempts[chat.model]
            self._attempts[chat.model] += 1
        raw = raw_case(scenario_name(chat.model))
        if raw is not None:
            return await self._raw(request, raw.responses[min(attempt, len(raw.responses) - 1)],
                                   play)
        refusal = tool_history.check(self.protocol, self.family, body)
        if refusal is not None:
            return self._error(refusal)
        scenario = build_scenario(self.family, chat.model, chat.prompt, attempt=attempt,
                                  offered_key=self._offered_key(request))
        name = scenario_name(chat.model)
        if name.startswith(agent_scripts.PREFIX):
            steps = agent_scripts.agent_steps(self.protocol, self.family,
                                              name[len(agent_scripts.PREFIX):], body)
            if steps is not None:
                scenario.steps = steps
        enc = self._encoder(chat.model, chat.prompt_tokens, include_usage=chat.include_usage,
                            choices=scenario.choices)
        early = await self._before_body(scenario, play, request)
        if early is not None:
            return early
        if not chat.stream:
            return await self._complete(request, scenario, enc, play)
        if self.family == "gemini" and request.query.get("alt") != "sse":
            # without alt=sse Gemini streams one JSON array, not events
            enc.completion_tokens = sum(1 for s in scenario.steps if isinstance(s, Text))
            return web.json_response([enc.complete(scenario.text, scenario.reasoning)])
        return await self._stream(request, scenario, enc, play)

    async def _before_body(
        self, scenario: Scenario, play: _Play, request: web.Request
    ) -> Optional[web.StreamResponse]:
        if scenario.header_delay:
            await asyncio.sleep(scenario.header_delay)
        if scenario.stall_headers:
            await asyncio.sleep(_FOREVER)
        if scenario.http_error is not None:
            return self._error(scenario.http_error)
        if scenario.html is not None:
            return web.Response(status=scenario.html.status, text=scenario.html.html,
                                content_type="text/html")
        return None

    async def _complete(
        self, request: web.Request, scenario: Scenario, enc: Encoder, play: _Play
    ) -> web.StreamResponse:
        for step in scenario.steps:
            if isinstance(step, Pause):
                await asyncio.sleep(step.seconds)
            elif isinstance(step, Stall):
                await asyncio.sleep(_FOREVER)
            elif isinstance(step, Drop):
                await self._drop(request, play)
            elif isinstance(step, InbandError):
                return self._error(HttpError(500, "server", step.message))
        enc.completion_tokens = sum(1 for s in scenario.steps if isinstance(s, Text))
        return web.json_response(enc.complete(scenario.text, scenario.reasoning),
                                 dumps=lambda o: json.dumps(o, ensure_ascii=False))

    async def _stream(
        self, request: web.Request, scenario: Scenario, enc: Encoder, play: _Play
    ) -> web.StreamResponse:
        resp = web.StreamResponse(headers={"Content-Type": enc.content_type,
                                           "Cache-Control": "no-cache"})
        await resp.prepare(request)
        newline = (scenario.newline or enc.newline).encode()
        out = _Writer(resp, newline, scenario.bytewise)
        if scenario.prelude:
            await out.send(enc.start())
        for step in scenario.steps:
            if isinstance(step, Pause):
                await asyncio.sleep(step.seconds)
            elif isinstance(step, Stall):
                while True:
                    await asyncio.sleep(step.ping_every or _FOREVER)
                    await out.send(enc.keepalive())
            elif isinstance(step, Drop):
                await self._drop(request, play)
            else:
                await out.send(enc.encode(step))
                if self.token_delay and isinstance(step, (Text, Reasoning)):
                    await asyncio.sleep(self.token_delay)
        # counted before the final chunk goes out, so a client that saw the end sees the count
        play.finished = True
        self._note(disconnect=False)
        await resp.write_eof()
        return resp

    async def _raw(self, request: web.Request, raw: RawResponse,
                   play: _Play) -> web.StreamResponse:
        """Write a byte-exact response: its status, its headers, its chunks one write each."""
        resp = web.StreamResponse(status=raw.status, headers=CIMultiDict(raw.headers))
        await resp.prepare(request)
        for data in raw.chunks:
            await resp.write(data)
        if raw.drop:
            await self._drop(request, play)
        play.finished = True
        self._note(disconnect=False)
        await resp.write_eof()
        return resp

    async def _drop(self, request: web.Request, play: _Play) -> None:
        """Let the bytes already written reach the client, then reset the connection."""
        play.aborted = True
        transport = request.transport
        for _ in range(50):
            if transport is None or transport.get_write_buffer_size() == 0:
                break
            await asyncio.sleep(0.01)
        await asyncio.sleep(0.05)
        if transport is not None:
            transport.abort()
        raise asyncio.CancelledError()


class _Writer:
    """Writes encoded bytes with the scenario's line ending, optionally one byte at a time."""

    def __init__(self, resp: web.StreamResponse, newline: bytes, bytewise: bool) -> None:
        self._resp = resp
        self._newline = newline
        self._bytewise = bytewise

    async def send(self, data: bytes) -> None:
        if not data:
            return
        if self._newline != b"\n":
            data = data.replace(b"\n", self._newline)
        data = data.replace(BAD_UTF8_MARK.encode(), BAD_UTF8_BYTES)
        if not self._bytewise:
            await self._resp.write(data)
            return
        for i in range(len(data)):
            await self._resp.write(data[i:i + 1])
            nxt = data[i + 1:i + 2]
            # pause where a split hurts most, so the client really reads the halves apart
            if data[i:i + 1] == b"\r" or (nxt and 0x80 <= nxt[0] <= 0xBF):
                await asyncio.sleep(0.002)


def _content_text(content: Any) -> str:
    """Text of a message content: a string, or OpenAI / Anthropic / Gemini parts."""
    if isinstance(content, str):
        return content
    if isinstance(content, list):
        return "".join(p.get("text", "") for p in content
                       if isinstance(p, dict) and isinstance(p.get("text"), str))
    return ""
