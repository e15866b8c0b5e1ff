"""The protocol servers themselves: raw bytes look like each protocol, faults behave, stop is fast.

A tiny reference decoder here (independent of the engine) checks that what each server sends
adds up to the text :func:`build_scenario` promises, so the fault tests can trust it.
"""

from __future__ import annotations

import asyncio
import json
import re
import socket
import subprocess
import sys
import time
import uuid
from pathlib import Path
from typing import Any, Dict, List, Optional, Tuple

import aiohttp
import pytest

from . import PROTOCOLS, ProtocolServer, build_scenario
from .raw import RAW_CASES
from .scenarios import BIG_EVENT_SIZE

PROMPT = "hello there, world"
REPO = Path(__file__).resolve().parents[2]

pytestmark = pytest.mark.timeout(60)


def chat_request(protocol: str, base: str, model: str, stream: bool = True,
                 key: Optional[str] = None) -> Tuple[str, Dict[str, Any], Dict[str, str]]:
    """URL, JSON body and headers a real client of ``protocol`` would send."""
    headers: Dict[str, str] = {}
    messages = [{"role": "user", "content": PROMPT}]
    if protocol == "gemini":
        action = "streamGenerateContent?alt=sse" if stream else "generateContent"
        if key:
            headers["x-goog-api-key"] = key
        body: Dict[str, Any] = {"contents": [{"role": "user", "parts": [{"text": PROMPT}]}]}
        return f"{base}/models/{model}:{action}", body, headers
    body = {"model": model, "messages": messages, "stream": stream}
    if protocol == "anthropic":
        body["max_tokens"] = 100
        headers["anthropic-version"] = "2023-06-01"
        if key:
            headers["x-api-key"] = key
        return f"{base}/v1/messages", body, headers
    if key:
        headers["Authorization"] = f"Bearer {key}"
    if protocol == "ollama":
        return f"{base}/api/chat", body, headers
    body["stream_options"] = {"include_usage": True}
    return f"{base}/chat/completions", body, headers


def fetch(protocol: str, base: str, model: str, stream: bool = True,
          key: Optional[str] = None) -> Tuple[int, Dict[str, str], bytes]:
    async def go() -> Tuple[int, Dict[str, str], bytes]:
        url, body, headers = chat_request(protocol, base, model, stream, key)
        async with aiohttp.ClientSession() as session:
            async with session.post(url, json=body, headers=headers) as resp:
                return resp.status, dict(resp.headers), await resp.read()

    return asyncio.run(go())


def payloads(protocol: str, body: bytes) -> List[Any]:
    """Every JSON payload in the body, in order (undecodable ones as None)."""
    lines = re.split(rb"\r\n|\r|\n", body)
    if protocol != "ollama":
        lines = [ln[5:].strip() for ln in lines if ln.startswith(b"data:")]
    out: List[Any] = []
    for line in lines:
        if not line.strip() or line == b"[DONE]":
            continue
        try:
            out.append(json.loads(line.decode("utf-8", "replace")))
        except ValueError:
            out.append(None)
    return out


def answer(protocol: str, body: bytes) -> Tuple[str, str]:
    """(text, reasoning) the reference decoder reads from a stream body."""
    text, thought = [], []
    for p in payloads(protocol, body):
        if not isinstance(p, dict):
            continue
        if protocol == "ollama":
            text.append(p.get("message", {}).get("content", ""))
            thought.append(p.get("message", {}).get("thinking", ""))
        elif protocol == "anthropic":
            delta = p.get("delta", {}) if p.get("type") == "content_block_delta" else {}
            text.append(delta.get("text", ""))
            thought.append(delta.get("thinking", ""))
        elif protocol == "gemini":
            for part in p.get("candidates", [{}])[0].get("content", {}).get("parts", []):
                (thought if part.get("thought") else text).append(part.get("text", ""))
        else:
            for choice in p.get("choices") or []:
                if choice.get("index") == 0:
                    delta = choice.get("delta", {})
                    text.append(delta.get("content") or "")
                    thought.append(delta.get("reasoning_content") or delta.get("reasoning") or "")
    return "".join(text), "".join(thought)


def assert_terminal(protocol: str, body: bytes) -> None:
    last = [p for p in payloads(protocol, body) if p is not None][-1]
    if protocol in ("openai", "openrouter"):
        assert body.rstrip().endswith(b"data: [DONE]")
        assert last["choices"] == [] and last["usage"]["completion_tokens"] > 0
    elif protocol == "anthropic":
        assert last == {"type": "message_stop"}
        assert b"event: message_start" in body and b"event: ping" in body
    elif protocol == "gemini":
        assert last["candidates"][0]["finishReason"] == "STOP"
        assert last["usageMetadata"]["totalTokenCount"] > 0
        assert b"\r\n\r\n" in body and b"[DONE]" not in body
    else:
        assert last["done"] is True and last["done_reason"] == "stop"
        assert last["eval_count"] > 0


@pytest.mark.parametrize("protocol", PROTOCOLS)
def test_normal_stream_looks_like_the_protocol(protocol: str) -> None:
    with ProtocolServer(protocol) as srv:
        status, headers, body = fetch(protocol, srv.base_url, "any-model")
        assert srv.completed == 1 and srv.disconnects == 0
    assert status == 200
    expected = "application/x-ndjson" if protocol == "ollama" else "text/event-stream"
    assert headers["Content-Type"].startswith(expected)
    assert_terminal(protocol, body)
    assert answer(protocol, body) == (build_scenario(protocol, "any-model", PROMPT).text, "")
    if protocol == "openrouter":
        assert body.startswith(b": OPENROUTER PROCESSING\n\n")


@pytest.mark.parametrize("protocol", PROTOCOLS)
@pytest.mark.parametrize("model", ["crlf", "cr", "bytewise", "big-event", "reasoning", "code",
                                   "malformed", "tokens-300"])
def test_stream_text_matches_the_scenario(protocol: str, model: str) -> None:
    with ProtocolServer(protocol) as srv:
        status, _, body = fetch(protocol, srv.base_url, model)
    assert status == 200
    scenario = build_scenario(protocol, model, PROMPT)
    assert answer(protocol, body) == (scenario.text, scenario.reasoning)
    assert payloads(protocol, body).count(None) == (1 if model == "malformed" else 0)
    if model == "crlf":
        assert b"\r\n" in body and b"\n" not in body.replace(b"\r\n", b"")
    if model == "cr":
        assert b"\r" in body and b"\n" not in body
    if model == "big-event":
        assert len(max(re.split(rb"\r\n|\r|\n", body), key=len)) > BIG_EVENT_SIZE
    if model == "bytewise":
        assert "日本語 🎬" in scenario.text


@pytest.mark.parametrize("protocol", PROTOCOLS)
def test_non_streaming_reply(protocol: str) -> None:
    with ProtocolServer(protocol) as srv:
        status, _, body = fetch(protocol, srv.base_url, "any-model", stream=False)
    assert status == 200
    data = json.loads(body)
    expected = build_scenario(protocol, "any-model", PROMPT).text
    text = {
        "ollama": lambda d: d["message"]["content"],
        "anthropic": lambda d: d["content"][-1]["text"],
        "gemini": lambda d: d["candidates"][0]["content"]["parts"][-1]["text"],
    }.get(protocol, lambda d: d["choices"][0]["message"]["content"])(data)
    assert text == expected


@pytest.mark.parametrize("protocol", PROTOCOLS)
def test_faults_on_the_wire(protocol: str) -> None:
    with ProtocolServer(protocol) as srv:
        status, _, body = fetch(protocol, srv.base_url, "no-terminal")
        assert status == 200
        assert answer(protocol, body)[0] == build_scenario(protocol, "no-terminal", PROMPT).text
        assert not any(s in body for s in (b"[DONE]", b"message_stop", b"finishReason",
                                           b'"done":true'))

        status, _, body = fetch(protocol, srv.base_url, "inband-error")
        message = build_scenario(protocol, "inband-error").error_message
        assert status == 200 and message and message.encode() in body

        status, _, body = fetch(protocol, srv.base_url, "bad-utf8")
        assert status == 200 and b"bad\xff\xfe\xc3" in body

        with pytest.raises(aiohttp.ClientPayloadError):
            fetch(protocol, srv.base_url, "drop-mid")

        status, headers, body = fetch(protocol, srv.base_url, "http-429")
        assert status == 429 and headers["Retry-After"] == "1"
        status, headers, body = fetch(protocol, srv.base_url, "http-429-ms")
        assert status == 429 and headers["retry-after-ms"] == "200"
        status, headers, body = fetch(protocol, srv.base_url, "no-retry-500")
        assert status == 500 and headers["x-should-retry"] == "false"
        status, _, body = fetch(protocol, srv.base_url, "http-400")
        assert status == 400 and b"prompt is too long: 250000 tokens > 200000 maximum" in body
        status, _, body = fetch(protocol, srv.base_url, "http-404")
        if protocol == "ollama":
            assert json.loads(body) == {"error": "model 'http-404' not found"}
        status, headers, body = fetch(protocol, srv.base_url, "http-502-html")
        assert status == 502 and headers["Content-Type"].startswith("text/html")
        assert b"<title>502 Bad Gateway</title>" in body

        assert [fetch(protocol, srv.base_url, "flaky-2")[0] for _ in range(3)] == [503, 503, 200]
        assert srv.count() == 13 and srv.disconnects == 0


def test_error_shapes() -> None:
    shapes = {}
    for protocol in PROTOCOLS:
        with ProtocolServer(protocol) as srv:
            shapes[protocol] = json.loads(fetch(protocol, srv.base_url, "http-529")[2])
    assert shapes["ollama"] == {"error": "Overloaded"}
    assert shapes["openai"]["error"]["message"] == "Overloaded"
    assert shapes["openrouter"] == {"error": {"code": 529, "message": "Overloaded", "metadata": {}}}
    assert shapes["anthropic"]["error"] == {"type": "overloaded_error", "message": "Overloaded"}
    assert shapes["gemini"]["error"]["status"] == "UNAVAILABLE"


@pytest.mark.parametrize("protocol", PROTOCOLS)
def test_wrong_key_is_refused_and_echoed(protocol: str) -> None:
    canary = "sk-canary-0123456789abcdef"
    with ProtocolServer(protocol, api_key="sk-right-key-000000") as srv:
        status, _, body = fetch(protocol, srv.base_url, "any-model", key=canary)
        ok, _, _ = fetch(protocol, srv.base_url, "any-model", key="sk-right-key-000000")
        missing, _, _ = fetch(protocol, srv.base_url, "any-model")
    assert status == (400 if protocol == "gemini" else 401)
    assert canary.encode() in body
    assert ok == 200
    assert missing == (403 if protocol == "gemini" else 401)


@pytest.mark.parametrize("protocol", PROTOCOLS)
def test_model_lists(protocol: str) -> None:
    path = {"ollama": "/api/tags", "anthropic": "/v1/models"}.get(protocol, "/models")

    async def go(url: str) -> Any:
        async with aiohttp.ClientSession() as session:
            async with session.get(url) as resp:
                assert resp.status == 200
                return await resp.json()

    with ProtocolServer(protocol, models=["m-one", "m-two"]) as srv:
        data = asyncio.run(go(srv.base_url + path))
        if protocol == "ollama":
            assert asyncio.run(go(srv.base_url + "/api/version"))["version"]
    ids = {
        "ollama": lambda d: [m["name"] for m in d["models"]],
        "gemini": lambda d: [m["name"] for m in d["models"]][:2],
    }.get(protocol, lambda d: [m["id"] for m in d["data"]])(data)
    assert ids in (["m-one", "m-two"], ["models/m-one", "models/m-two"])


def _raw_post(srv: ProtocolServer, model: str) -> socket.socket:
    url, body, _ = chat_request(srv.protocol, srv.base_url, model)
    path = url.split(str(srv.port), 1)[1]
    data = json.dumps(body).encode()
    sock = socket.create_connection(("127.0.0.1", srv.port), timeout=5)
    sock.sendall(b"POST %s HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
                 b"Content-Length: %d\r\n\r\n%s" % (path.encode(), len(data), data))
    deadline = time.monotonic() + 5
    while srv.count() == 0 and time.monotonic() < deadline:
        time.sleep(0.01)
    return sock


@pytest.mark.parametrize("model", ["stall-headers", "stall-mid", "pings-only"])
def test_stop_is_fast_with_a_stalled_handler(model: str) -> None:
    srv = ProtocolServer("anthropic").start()
    sock = _raw_post(srv, model)
    try:
        time.sleep(0.4)
        began = time.monotonic()
        srv.stop()
        assert time.monotonic() - began < 1.5
        sock.settimeout(2)
        while sock.recv(65536):
            pass
    finally:
        sock.close()
    assert srv.disconnects == 0


@pytest.mark.parametrize("protocol", PROTOCOLS)
def test_client_going_away_is_counted(protocol: str) -> None:
    with ProtocolServer(protocol) as srv:
        sock = _raw_post(srv, "stall-mid")
        sock.recv(100)
        assert not srv.wait_for_disconnect(0.2)
        sock.close()
        assert srv.wait_for_disconnect(3)
        assert srv.completed == 0


@pytest.mark.parametrize("model,delay", [("slow-10", 0.0), ("tokens-10", 0.05)])
def test_slow_tokens_arrive_progressively(model: str, delay: float) -> None:
    async def go(srv: ProtocolServer) -> List[float]:
        url, body, _ = chat_request("openai", srv.base_url, model)
        stamps = []
        async with aiohttp.ClientSession() as session:
            async with session.post(url, json=body) as resp:
                async for _ in resp.content:
                    stamps.append(time.monotonic())
        return stamps

    with ProtocolServer("openai", token_delay=delay) as srv:
        stamps = asyncio.run(go(srv))
    assert stamps[-1] - stamps[0] >= 0.4


def test_command_line_prints_the_base_url() -> None:
    proc = subprocess.Popen([sys.executable, "-m", "tests.protocol_servers", "ollama"],
                            cwd=str(REPO), stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    try:
        assert proc.stdout is not None
        base = proc.stdout.readline().decode().strip()
        assert re.fullmatch(r"http://127\.0\.0\.1:\d+", base)

        async def go() -> Any:
            async with aiohttp.ClientSession() as session:
                async with session.get(base + "/api/version") as resp:
                    return await resp.json()

        assert "version" in asyncio.run(go())
    finally:
        proc.terminate()
        _, err = proc.communicate(timeout=10)
    assert proc.returncode == 0 and err == b""


RAW_SERVED = [c for c in RAW_CASES.values() if not any(r.drop for r in c.responses)]


@pytest.fixture(scope="module")
def raw_servers():
    started = {p: ProtocolServer(p).start() for p in PROTOCOLS}
    yield started
    for server in started.values():
        server.stop()


@pytest.mark.parametrize("case", RAW_SERVED, ids=lambda c: c.name)
def test_raw_cases_are_served_byte_exact(case, raw_servers) -> None:
    model = f"{case.model}:{uuid.uuid4().hex[:6]}"
    for response in case.responses:  # one request per attempt: the last response repeats
        status, headers, body = fetch(case.protocol, raw_servers[case.protocol].base_url, model)
        assert status == response.status
        assert headers["Content-Type"] == dict(response.headers)["Content-Type"]
        assert body == b"".join(response.chunks)
