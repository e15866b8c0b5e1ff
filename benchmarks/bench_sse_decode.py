"""SSE decode: our reader against the openai SDK's ``SSEDecoder`` + ``json.loads``, same bytes.

Run on demand: ``python benchmarks/bench_sse_decode.py`` (needs the openai SDK, a
benchmark-only dependency: ``pip install -r requirements-bench.txt``).

Both sides get the same OpenAI chat-completions stream as the same list of network chunks.
Ours is the whole path the engine runs per chunk: :class:`~nuke_ai_panel.turn.BodyReader`
(lines, SSE events, JSON, the OpenAI chunk read) into a :class:`~nuke_ai_panel.turn.Turn`,
which emits one delta per chunk to a sink that drops it. The baseline is what the SDK's
``Stream`` does: ``SSEDecoder().iter_bytes`` and ``json.loads`` of each event's data until
``[DONE]``; it does not even pick the text out. Two chunkings: one event per chunk (a stream
read as the model writes it) and 16 KiB chunks (a stream read after it piled up).
Target: ours at least 1.2x faster, i.e. a ratio of at most 0.83x.
"""

from __future__ import annotations

import argparse
import json
import sys
from typing import Any, List

from common import (min_rounds, read_body, openai_sse_body, report, rounds, split_at_events, split_every,
                    timed)

from nuke_ai_panel.providers.openai import OpenAIProvider
from nuke_ai_panel.settings import ProviderSettings

try:
    from openai._streaming import SSEDecoder as SDKDecoder
except ImportError:  # pragma: no cover - a benchmark-only dependency
    sys.exit("This benchmark compares with the openai SDK: "
             "pip install -r requirements-bench.txt")

TARGET = 1 / 1.2


def ours(chunks: List[bytes]) -> str:
    provider = OpenAIProvider(ProviderSettings("openai", "http://127.0.0.1:9", api_key="k"))
    return read_body(provider, chunks)


def sdk(chunks: List[bytes], keep: bool = False) -> List[Any]:
    """The baseline; it keeps the objects only when asked (to check both sides agree), since
    holding 20,000 dicts would slow it down with garbage collection and flatter ours."""
    out = []
    for sse in SDKDecoder().iter_bytes(iter(chunks)):
        if sse.data.startswith("[DONE]"):
            break
        data = json.loads(sse.data)
        if keep:
            out.append(data)
    return out


def expected_text(chunks: List[bytes]) -> str:
    return "".join(c["choices"][0]["delta"].get("content") or ""
                   for c in sdk(chunks, keep=True) if c["choices"])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tokens", type=int, default=20000)
    parser.add_argument("--rounds", type=int, default=7)
    args = parser.parse_args()
    body = openai_sse_body(args.tokens)
    print(f"{args.tokens} tokens, {len(body) / 1e6:.1f} MB of SSE")
    for label, chunks in (("one event per chunk", split_at_events(body, b"\n\n")),
                          ("16 KiB chunks", split_every(body, 16384))):
        assert ours(chunks) == expected_text(chunks), "both sides must read the same text"
        times = rounds(timed(lambda: ours(chunks)), timed(lambda: sdk(chunks)),
                       min_rounds(args.rounds))
        report(f"SSE decode, {label} ({len(chunks)} chunks) vs openai SDK SSEDecoder+json.loads",
               times, TARGET)


if __name__ == "__main__":
    main()
