"""How much the engine costs on top of reading the bytes, measured side by side.

Run on demand (not part of the test suite): ``python benchmarks/bench_streaming.py``.
Reports ratios, not absolute speeds, because the machines are shared and noisy:

* decode: our line splitter + SSE decoder + OpenAI chunk parser against a baseline that only
  splits the same bytes on newlines, over identical chunked input;
* end to end: ``stream_chat`` against a local OpenAI-protocol server, against a baseline client
  that reads the same response with ``iter_any`` and does nothing else.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import statistics
import sys
import time
from pathlib import Path
from typing import Callable, List

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import aiohttp  # noqa: E402

from nuke_ai_panel.client import stream_chat  # noqa: E402
from nuke_ai_panel.providers.openai import OpenAIProvider  # noqa: E402
from nuke_ai_panel.settings import ChatRequest, Message, ProviderSettings  # noqa: E402
from nuke_ai_panel.streaming import LineSplitter, SSEDecoder, decode_line  # noqa: E402
from tests.protocol_servers import ProtocolServer  # noqa: E402


def sse_body(tokens: int) -> bytes:
    chunks = []
    for i in range(tokens):
        data = {"id": "x", "object": "chat.completion.chunk",
                "choices": [{"index": 0, "delta": {"content": f"tok{i} "}, "finish_reason": None}]}
        chunks.append(b"data: " + json.dumps(data).encode() + b"\n\n")
    chunks.append(b"data: [DONE]\n\n")
    return b"".join(chunks)


def split_into(body: bytes, size: int) -> List[bytes]:
    return [body[i:i + size] for i in range(0, len(body), size)]


def decode_ours(chunks: List[bytes]) -> int:
    provider = OpenAIProvider(ProviderSettings("openai", "http://127.0.0.1", api_key="k"))
    splitter, sse, count = LineSplitter(), SSEDecoder(), 0
    for chunk in chunks:
        for line in splitter.feed(chunk):
            event = sse.decode(decode_line(line))
            if event is not None:
                parsed = provider.parse_event(event)
                count += bool(parsed.text)
    return count


def decode_baseline(chunks: List[bytes]) -> int:
    buffer, count = b"", 0
    for chunk in chunks:
        buffer += chunk
        *lines, buffer = buffer.split(b"\n")
        for line in lines:
            if line.startswith(b"data: {"):
                count += bool(json.loads(line[6:])["choices"][0]["delta"].get("content"))
    return count


def best_of(fn: Callable[[], object], repeat: int) -> float:
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return min(times)


async def end_to_end(server: ProtocolServer, tokens: int, repeat: int) -> None:
    settings = ProviderSettings("openai-compatible", server.base_url)
    request = ChatRequest(f"tokens-{tokens}", [Message("user", "go")])
    url = f"{server.base_url}/chat/completions"
    body = {"model": f"tokens-{tokens}", "messages": [{"role": "user", "content": "go"}],
            "stream": True}
    ours: List[float] = []
    base: List[float] = []
    async with aiohttp.ClientSession() as session:
        for _ in range(repeat):
            start = time.perf_counter()
            async with session.post(url, json=body) as response:
                async for _chunk in response.content.iter_any():
                    pass
            base.append(time.perf_counter() - start)
            start = time.perf_counter()
            result = await stream_chat(session, settings, request, lambda event: None)
            ours.append(time.perf_counter() - start)
            assert result.type == "done", result
    print(f"end to end, {tokens} tokens: engine {statistics.median(ours) * 1000:.1f} ms, "
          f"raw read {statistics.median(base) * 1000:.1f} ms, "
          f"ratio {statistics.median(ours) / statistics.median(base):.2f}x "
          f"({tokens / statistics.median(ours):,.0f} tokens/s through the engine)")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tokens", type=int, default=20000)
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    body = sse_body(args.tokens)
    for size in (1, 64, 4096):
        chunks = split_into(body, size) if size > 1 else split_into(body[:200_000], 1)
        assert decode_ours(chunks) == decode_baseline(chunks)
        ours = best_of(lambda: decode_ours(chunks), args.repeat)
        base = best_of(lambda: decode_baseline(chunks), args.repeat)
        print(f"decode, {len(chunks):>7} chunks of {size:>4} B: ours {ours * 1000:8.1f} ms, "
              f"baseline {base * 1000:8.1f} ms, ratio {ours / base:.2f}x")
    with ProtocolServer("openai") as server:
        asyncio.run(end_to_end(server, args.tokens, args.repeat))


if __name__ == "__main__":
    main()
