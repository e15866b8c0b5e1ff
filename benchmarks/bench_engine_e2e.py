"""Engine end to end: ``stream_chat`` against a raw aiohttp ``iter_any`` read of the same stream.

Run on demand: ``python benchmarks/bench_engine_e2e.py``.

A loopback server in its own process (so its work is not counted against either client)
serves one OpenAI chat-completions stream of ``--tokens`` tokens, prepared in advance and sent
at full speed. The baseline client POSTs and reads the body with ``response.content.iter_any()``
and does nothing else; ours is the engine's whole path (:func:`nuke_ai_panel.client.stream_chat`:
request, deadlines, lines, SSE, JSON, one delta per chunk to a sink that counts them, the
outcome). Both use one ``aiohttp.ClientSession`` in this process. Reported per figure: the
wall-time ratio (the target: at most 1.2x) and, for information, the ratio of this process's
CPU time.

Two ways to send: one write per event (a provider streaming as fast as it can; the figure
with the target), and 64 KiB writes (the whole answer already waiting, so only the client's
own cost counts: the worst case for the engine, shown for information).
"""

from __future__ import annotations

import argparse
import asyncio
import sys
import time
from typing import Dict, List, Tuple

from common import (min_rounds, openai_sse_body, report, server_process, split_at_events,
                    split_every)

TARGET = 1.2


def serve(tokens: int) -> None:
    """The server process: print the port, serve until stdin closes."""
    from aiohttp import web

    body = openai_sse_body(tokens)
    modes = {"event": split_at_events(body, b"\n\n"), "bulk": split_every(body, 65536)}

    async def chat(request: web.Request) -> web.StreamResponse:
        await request.read()
        resp = web.StreamResponse(headers={"Content-Type": "text/event-stream"})
        await resp.prepare(request)
        for piece in modes[request.match_info["mode"]]:
            await resp.write(piece)
        await resp.write_eof()
        return resp

    async def main() -> None:
        app = web.Application()
        app.router.add_post("/{mode}/v1/chat/completions", chat)
        runner = web.AppRunner(app, access_log=None)
        await runner.setup()
        site = web.TCPSite(runner, "127.0.0.1", 0)
        await site.start()
        port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
        print(port, flush=True)
        await asyncio.get_running_loop().run_in_executor(None, sys.stdin.read)
        await runner.cleanup()

    asyncio.run(main())


async def measure(port: int, tokens: int, mode: str,
                  count: int) -> Dict[str, Dict[str, List[float]]]:
    import aiohttp

    from nuke_ai_panel.client import stream_chat
    from nuke_ai_panel.settings import ChatRequest, Message, ProviderSettings

    base = f"http://127.0.0.1:{port}/{mode}/v1"
    settings = ProviderSettings("openai-compatible", base)
    request = ChatRequest("bench-model", [Message("user", "go")])
    url = f"{base}/chat/completions"
    body = {"model": "bench-model", "messages": [{"role": "user", "content": "go"}],
            "stream": True}
    expected = len(openai_sse_body(tokens))
    wall: Dict[str, List[float]] = {"ours": [], "baseline": []}
    cpu: Dict[str, List[float]] = {"ours": [], "baseline": []}

    async def raw(session: aiohttp.ClientSession) -> None:
        size = 0
        async with session.post(url, json=body) as response:
            async for chunk in response.content.iter_any():
                size += len(chunk)
        assert size == expected, (size, expected)

    async def engine(session: aiohttp.ClientSession) -> None:
        deltas = [0]

        def sink(event: object) -> None:
            if getattr(event, "type", "") == "delta":
                deltas[0] += 1

        result = await stream_chat(session, settings, request, sink)
        assert result.type == "done" and result.usage.completion_tokens == tokens, result

    async with aiohttp.ClientSession() as session:
        for n in range(count + 1):  # the first round warms both up and is not counted
            order: List[Tuple[str, object]] = [("ours", engine), ("baseline", raw)]
            for name, run in order if n % 2 == 0 else order[::-1]:
                started, cpu_started = time.perf_counter(), time.process_time()
                await run(session)  # type: ignore[operator]
                if n:
                    wall[name].append(time.perf_counter() - started)
                    cpu[name].append(time.process_time() - cpu_started)
    return {"wall": wall, "cpu": cpu}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tokens", type=int, default=20000)
    parser.add_argument("--rounds", type=int, default=15,
                        help="rounds per figure (default 15: a round takes a tenth of a second, "
                             "and two processes sharing the machine make single rounds noisy)")
    parser.add_argument("--serve", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.serve:
        serve(args.tokens)
        return
    with server_process(__file__, "--tokens", str(args.tokens)) as port:
        print(f"{args.tokens} tokens of OpenAI SSE from a server process on 127.0.0.1:{port}")
        for mode, label in (("event", "one write per event"), ("bulk", "64 KiB writes")):
            times = asyncio.run(measure(port, args.tokens, mode, min_rounds(args.rounds)))
            report(f"engine end to end, {label}: wall", times["wall"],
                   TARGET if mode == "event" else None)
            report(f"engine end to end, {label}: CPU of this process", times["cpu"])


if __name__ == "__main__":
    main()
