"""What every benchmark here shares: interleaved rounds and the ratio report.

Each benchmark times its own code and a baseline on the same input, in the same process (or
the same kind of fresh process), alternating which goes first in each round so drift and
caches favour neither. The figure is the ratio ours / baseline of each round: its median and
its range over the rounds, never an absolute speed (the machines are shared and noisy).
"""

from __future__ import annotations

import contextlib
import gc
import os
import subprocess
import statistics
import sys
import time
from pathlib import Path
from typing import Any, Callable, Dict, Iterator, List, Optional

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

Timer = Callable[[], float]


def timed(fn: Callable[[], object], best_of: int = 3) -> Timer:
    """A timer for ``fn``: the fastest of ``best_of`` calls, in seconds (garbage collected
    before each, as each side is), so one hiccup of a shared machine does not decide a round."""

    def run() -> float:
        times = []
        for _ in range(best_of):
            gc.collect()
            start = time.perf_counter()
            fn()
            times.append(time.perf_counter() - start)
        return min(times)

    return run


def rounds(ours: Timer, baseline: Timer, count: int) -> Dict[str, List[float]]:
    """``count`` rounds of both timers, alternating which runs first."""
    times: Dict[str, List[float]] = {"ours": [], "baseline": []}
    for n in range(count):
        order = (("ours", ours), ("baseline", baseline))
        for name, timer in order if n % 2 == 0 else order[::-1]:
            times[name].append(timer())
    return times


def report(title: str, times: Dict[str, List[float]], target: Optional[float] = None,
           unit: str = "ms") -> float:
    """Print one figure: the median ratio ours / baseline, its range, both medians, and
    whether the target (the highest acceptable ratio) is met. Returns the median ratio."""
    ours, base = times["ours"], times["baseline"]
    ratios = sorted(o / b for o, b in zip(ours, base))
    median = statistics.median(ratios)
    scale = 1000.0 if unit == "ms" else 1.0
    line = (f"{title}: ratio ours/baseline {median:.2f}x (range {ratios[0]:.2f}-{ratios[-1]:.2f}, "
            f"{len(ratios)} rounds); ours {statistics.median(ours) * scale:.1f} {unit}, "
            f"baseline {statistics.median(base) * scale:.1f} {unit}")
    if target is not None:
        line += f"; target <= {target:.2f}x: {'met' if median <= target else 'NOT met'}"
    print(line, flush=True)
    return median


def min_rounds(value: int) -> int:
    """At least 5 rounds, whatever was asked."""
    return max(5, value)


# ----- the same bytes for everyone: streams shaped like the real providers' -----------------

WORDS = ("the", " Merge", " node", " keeps", " alpha", ",", " so", " premultiply", " before",
         " grading", ".", "\n", " Use", " `", "Grade", "`", " with", " a", " mask", " input")


def tokens(count: int) -> List[str]:
    """``count`` short text pieces, as a model streams them (one token each)."""
    return [WORDS[i % len(WORDS)] + ("" if i % 7 else f"{i}") for i in range(count)]


def openai_sse_body(count: int) -> bytes:
    """A chat-completions stream as OpenAI sends it: a role chunk, ``count`` text chunks
    (compact JSON with id, created, model, fingerprint, logprobs and usage nulls), the finish
    chunk, the usage chunk and ``[DONE]``."""
    import json

    head = {"id": "chatcmpl-BZxLrWvS2k4pQm7TnK8yFh3cJd9Ea", "object": "chat.completion.chunk",
            "created": 1748000000, "model": "gpt-4o-mini-2024-07-18", "service_tier": "default",
            "system_fingerprint": "fp_34a54ae93c"}

    def chunk(delta: dict, finish: Optional[str] = None, usage: Optional[dict] = None,
              choices: bool = True) -> bytes:
        body = dict(head)
        body["choices"] = [{"index": 0, "delta": delta, "logprobs": None,
                            "finish_reason": finish}] if choices else []
        body["usage"] = usage
        return b"data: " + json.dumps(body, separators=(",", ":")).encode() + b"\n\n"

    parts = [chunk({"role": "assistant", "content": "", "refusal": None})]
    parts += [chunk({"content": text}) for text in tokens(count)]
    parts.append(chunk({}, "stop"))
    parts.append(chunk({}, usage={"prompt_tokens": 12, "completion_tokens": count,
                                  "total_tokens": 12 + count}, choices=False))
    parts.append(b"data: [DONE]\n\n")
    return b"".join(parts)


def ollama_ndjson_body(count: int) -> bytes:
    """An Ollama ``/api/chat`` stream: ``count`` text lines, then the ``done`` line."""
    import json

    lines = [json.dumps({"model": "llama3.2", "created_at": f"2025-05-23T10:00:{i % 60:02d}."
                         f"{i:06d}Z", "message": {"role": "assistant", "content": text},
                         "done": False}, separators=(",", ":"))
             for i, text in enumerate(tokens(count))]
    lines.append(json.dumps({"model": "llama3.2", "created_at": "2025-05-23T10:01:00.0Z",
                             "message": {"role": "assistant", "content": ""}, "done": True,
                             "done_reason": "stop", "total_duration": 123456789,
                             "prompt_eval_count": 12, "eval_count": count},
                            separators=(",", ":")))
    return ("\n".join(lines) + "\n").encode()


def split_at_events(body: bytes, separator: bytes) -> List[bytes]:
    """One network chunk per event (a stream read as fast as the model writes)."""
    pieces = body.split(separator)
    return [piece + separator for piece in pieces[:-1]] + ([pieces[-1]] if pieces[-1] else [])


def split_every(body: bytes, size: int) -> List[bytes]:
    """Chunks of ``size`` bytes, cut anywhere (a stream read after it piled up)."""
    return [body[i:i + size] for i in range(0, len(body), size)]


def read_body(provider: Any, chunks: List[bytes]) -> str:
    """The answer text the engine reads from ``chunks`` (a response body as the network
    delivered it) for ``provider``: what the decode benchmarks time as "ours"."""
    from nuke_ai_panel.turn import BodyReader, Turn

    turn = Turn(lambda event: None)
    reader = BodyReader(provider, turn)
    for chunk in chunks:
        if reader.feed(chunk):
            break
    else:
        reader.end()
    return turn.text


@contextlib.contextmanager
def server_process(script: str, *args: str) -> Iterator[int]:
    """Run ``script --serve ARGS`` (a benchmark's own server) in another process, so its
    work does not share this process's GIL; yields the port it prints first, and stops it
    (closing its stdin) on the way out."""
    server = subprocess.Popen([sys.executable, script, "--serve", *args],
                              stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True,
                              cwd=str(ROOT), env={**os.environ, "PYTHONPATH": str(ROOT)})
    try:
        assert server.stdout is not None
        yield int(server.stdout.readline())
    finally:
        if server.stdin is not None:
            server.stdin.close()
        server.wait(10)
