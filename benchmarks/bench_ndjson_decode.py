"""NDJSON decode: our reader against a plain split + ``json.loads``, same bytes.

Run on demand: ``python benchmarks/bench_ndjson_decode.py``.

Both sides get the same Ollama ``/api/chat`` stream as the same list of network chunks. Ours
is the whole path the engine runs per chunk: :class:`~nuke_ai_panel.turn.BodyReader` (lines,
JSON, the Ollama line read) into a :class:`~nuke_ai_panel.turn.Turn`, which emits one delta
per chunk to a sink that drops it. The baseline keeps the unfinished line, splits the rest on
newlines and ``json.loads`` each line, nothing more (it does not even pick the text out).
Two chunkings: one line per chunk and 16 KiB chunks. Target: at least 1.0x, i.e. a ratio of
at most 1.0.
"""

from __future__ import annotations

import argparse
import json
from typing import Any, List

from common import (min_rounds, read_body, ollama_ndjson_body, report, rounds, split_at_events,
                    split_every, timed)

from nuke_ai_panel.providers.ollama import OllamaProvider
from nuke_ai_panel.settings import ProviderSettings

TARGET = 1.0


def ours(chunks: List[bytes]) -> str:
    provider = OllamaProvider(ProviderSettings("ollama", "http://127.0.0.1:9"))
    return read_body(provider, chunks)


def plain(chunks: List[bytes], keep: bool = False) -> List[Any]:
    """The baseline; it keeps the objects only when asked (to check both sides agree), since
    holding 20,000 dicts would slow it down with garbage collection and flatter ours."""
    out = []
    rest = b""
    for chunk in chunks:
        *lines, rest = (rest + chunk).split(b"\n")
        for line in lines:
            if line:
                data = json.loads(line)
                if keep:
                    out.append(data)
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tokens", type=int, default=20000)
    parser.add_argument("--rounds", type=int, default=7)
    args = parser.parse_args()
    body = ollama_ndjson_body(args.tokens)
    print(f"{args.tokens} tokens, {len(body) / 1e6:.1f} MB of NDJSON")
    for label, chunks in (("one line per chunk", split_at_events(body, b"\n")),
                          ("16 KiB chunks", split_every(body, 16384))):
        text = "".join(line["message"]["content"] for line in plain(chunks, keep=True))
        assert ours(chunks) == text, "both sides must read the same text"
        times = rounds(timed(lambda: ours(chunks)), timed(lambda: plain(chunks)),
                       min_rounds(args.rounds))
        report(f"NDJSON decode, {label} ({len(chunks)} chunks) vs split + json.loads", times,
               TARGET)


if __name__ == "__main__":
    main()
