"""The main thread's worst stall while an answer streams at 5k tokens/s and when it finishes.

Run on demand: ``python benchmarks/bench_ui_stall.py`` (offscreen Qt, loopback only).

The real ``ChatPanel`` (offscreen, 480x800) talks to a loopback Ollama server in its own
process that streams an answer at ``--rate`` tokens per second (a chunk of tokens every
10 ms). A 5 ms QTimer heartbeat on the main thread records when it fires; a stall is the
longest gap between two beats. Two answers: a plain one (paragraphs of prose) and a
Markdown-heavy one (a heading, a 15-item list with nested lists, a 30-row table, Python and
.nk code blocks of 60 and 50 lines, inline code and emphasis), each about ``--tokens``
tokens. Per answer, two figures:

- streaming: the worst gap between the first text drawn and the handling of the answer's
  end (the gaps that end before it);
- finishing: the gap around the handling of the end (the transcript finishing the answer,
  the status line, saving history: whatever ran in the same turn of the event loop).

Between measurements the main thread runs its event loop and waits for events, as Nuke's
does (a busy ``processEvents`` loop would hold the GIL and a core that the engine's thread
and the server need). Baseline: the same heartbeat on the same panel while nothing happens,
for as long as a stream lasts. Reported per figure: the stall in ms (median and range over
the rounds), and the ratio to the idle heartbeat's worst gap measured side by side in the
same round (idle and streaming alternate which goes first). Each stall is also given as the
most CPU time the main thread itself used between two beats: on a shared machine, the part
of a stall that is the panel's own work rather than a core held by another process.
Target: every stall under 16 ms (one 60 Hz frame).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import statistics
import sys
import tempfile
import time
from typing import Dict, List, Tuple

from common import server_process

TARGET_MS = 16.0
PACE_SECONDS = 0.01


def plain_answer(tokens: int) -> str:
    sentence = ("The Merge node keeps the alpha of its A input, so premultiply before grading "
                "and unpremultiply after, or the edges will darken where the matte is soft. ")
    paragraphs = []
    while sum(len(p) for p in paragraphs) < tokens * 4:
        paragraphs.append(sentence * 4)
    return "\n\n".join(paragraphs) + "\n"


def markdown_answer(tokens: int) -> str:
    part = (
        "## Despill and edge blur\n\nUse a **HueCorrect** before the keyer, then *soften* the "
        "edges with an `EdgeBlur` inside the matte:\n\n"
        + "".join(f"{i}. **Step {i}**: pick the screen colour with `IBKColour` and check it\n"
                  f"   - tune `off` and `mult` for *plate {i}*\n"
                  f"     - nested: look at the alpha in the Viewer, frame {1000 + i}\n"
                  f"   - then `g_sup` down to 0.{i}\n" for i in range(1, 16))
        + "\n| Node | Knob | Value | Note |\n|:-----|:----:|------:|------|\n"
        + "".join(f"| Grade{i} | `white` | {1 + i / 10:.1f} | lift the *shadows* a little |\n"
                  for i in range(30))
        + "\n```python\nimport nuke\n\n"
        + "".join(f"node{i} = nuke.createNode(\"Blur\")  # step {i}\n"
                  f"node{i}[\"size\"].setValue({i} * 0.5)\n" for i in range(30))
        + "```\n\n```nk\nset cut_paste_input [stack 0]\npush $cut_paste_input\n"
        + "".join(f"Blur {{\n size {i}\n name Blur{i}\n}}\n" for i in range(12))
        + "```\n\n> Check the result at 100% in the Viewer.\n\n")
    text = ""
    while len(text) < tokens * 4:
        text += part
    return text


ANSWERS = {"plain": plain_answer, "markdown": markdown_answer}


def pieces(text: str, size: int = 4) -> List[str]:
    return [text[i:i + size] for i in range(0, len(text), size)]


def serve(tokens: int, rate: int) -> None:
    """The server process: an Ollama API streaming the answers paced at ``rate`` tokens/s;
    prints the port, serves until stdin closes."""
    from aiohttp import web

    per_tick = max(1, int(rate * PACE_SECONDS))

    async def tags(request: web.Request) -> web.Response:
        return web.json_response({"models": [{"name": name} for name in ANSWERS]})

    async def chat(request: web.Request) -> web.StreamResponse:
        model = (await request.json())["model"]
        tokens_text = pieces(ANSWERS[model](tokens))
        resp = web.StreamResponse(headers={"Content-Type": "application/x-ndjson"})
        await resp.prepare(request)
        for start in range(0, len(tokens_text), per_tick):
            lines = "".join(json.dumps({"model": model, "message": {"role": "assistant",
                                                                      "content": piece},
                                        "done": False}) + "\n"
                            for piece in tokens_text[start:start + per_tick])
            await resp.write(lines.encode())
            await asyncio.sleep(PACE_SECONDS)
        await resp.write((json.dumps({"model": model, "message": {"role": "assistant",
                                                                     "content": ""},
                                      "done": True, "done_reason": "stop",
                                      "eval_count": len(tokens_text)}) + "\n").encode())
        await resp.write_eof()
        return resp

    async def main() -> None:
        app = web.Application()
        app.router.add_get("/api/tags", tags)
        app.router.add_post("/api/chat", chat)
        runner = web.AppRunner(app, access_log=None)
        await runner.setup()
        site = web.TCPSite(runner, "127.0.0.1", 0)
        await site.start()
        print(site._server.sockets[0].getsockname()[1], flush=True)  # type: ignore[union-attr]
        await asyncio.get_running_loop().run_in_executor(None, sys.stdin.read)
        await runner.cleanup()

    asyncio.run(main())


class Heartbeat:
    """A 5 ms timer on the main thread, recording when it fires and how much CPU time the
    main thread had used by then; ``worst_gap(start, end)`` the worst gap in that window."""

    def __init__(self) -> None:
        from Qt import QtCore

        self.beats: List[Tuple[float, float]] = []
        self.timer = QtCore.QTimer()
        self.timer.setTimerType(QtCore.Qt.PreciseTimer)
        self.timer.setInterval(5)
        self.timer.timeout.connect(
            lambda: self.beats.append((time.perf_counter(), time.thread_time())))
        self.timer.start()

    def worst_gap(self, start: float, end: float, within: bool = False) -> Tuple[float, float]:
        """The longest gap between beats that overlaps ``[start, end]`` (``within``: that
        lies inside it), in wall time, and the most CPU time the main thread used between
        two such beats (the part of a stall that is the main thread's own work, not other
        processes holding the shared cores)."""
        beats = self.beats
        worst = worst_cpu = 0.0
        for (before, cpu_before), (after, cpu_after) in zip(beats, beats[1:]):
            inside = before >= start and after <= end if within else \
                after >= start and before <= end
            if inside:
                worst = max(worst, after - before)
                worst_cpu = max(worst_cpu, cpu_after - cpu_before)
        return worst, worst_cpu


def measure(port: int, rounds: int) -> Dict[str, Dict[str, List[float]]]:
    os.environ["QT_QPA_PLATFORM"] = "offscreen"
    from Qt import QtCore, QtWidgets

    app = QtWidgets.QApplication.instance() or QtWidgets.QApplication([])
    write_config(port)
    from src.ui.chat_panel import ChatPanel

    panel = ChatPanel()
    panel.resize(480, 800)
    panel.show()
    spin(app, lambda: "ollama" in panel.picker.models, 20)
    heart = Heartbeat()
    times: Dict[str, Dict[str, List[float]]] = {}
    ends: List[Tuple[float, float]] = []
    real_end = panel.transcript.end_answer

    def timed_end() -> object:
        started = time.perf_counter()
        try:
            return real_end()
        finally:
            ends.append((started, time.perf_counter()))

    panel.transcript.end_answer = timed_end  # type: ignore[method-assign]

    def stream(model: str) -> Tuple[Tuple[float, float], Tuple[float, float], float]:
        panel.new_chat()
        panel.set_model(model)
        panel.prompt.setPlainText("go")
        assert panel.send()
        spin(app, lambda: bool(panel.conversation.messages[-1].text), 30)
        first = time.perf_counter()
        spin(app, lambda: not panel.streaming, 60)
        spin(app, lambda: False, 0.1)  # let the beats after the end arrive
        end_start, end_done = ends[-1]
        answer = panel.conversation.messages[-1]
        assert answer.status == "complete" and len(answer.text) > 1000, answer.status
        return (heart.worst_gap(first, end_start, within=True),
                heart.worst_gap(end_start, end_done), end_start - first)

    def idle(seconds: float) -> float:
        start = time.perf_counter()
        spin(app, lambda: False, seconds)
        return heart.worst_gap(start, time.perf_counter())[0]

    for model in ANSWERS:
        stream(model)  # warm up: imports, first layout
    for n in range(rounds):
        for model in ANSWERS:
            figures = times.setdefault(model, {"streaming": [], "finishing": [], "idle": [],
                                               "streaming CPU": [], "finishing CPU": []})
            if n % 2 == 0:
                streaming, finishing, seconds = stream(model)
                base = idle(seconds)
            else:
                base = idle(1.0)
                streaming, finishing, _seconds = stream(model)
            for name, (wall, cpu) in (("streaming", streaming), ("finishing", finishing)):
                figures[name].append(wall)
                figures[name + " CPU"].append(cpu)
            figures["idle"].append(base)
    panel.close()
    from nuke_ai_panel.worker import shutdown_default_worker

    shutdown_default_worker()
    return times


def spin(app: object, done: object, seconds: float) -> None:
    """Run the main thread's event loop (waiting for events, as Nuke's does, so the main
    thread holds neither a core nor the GIL while idle) until ``done()`` or ``seconds``."""
    from Qt import QtCore

    limit = time.perf_counter() + seconds
    if done() or seconds <= 0:  # type: ignore[operator]
        return
    loop = QtCore.QEventLoop()
    check = QtCore.QTimer()
    check.setInterval(5)
    check.timeout.connect(
        lambda: (done() or time.perf_counter() >= limit) and loop.quit())  # type: ignore
    check.start()
    (loop.exec if hasattr(loop, "exec") else loop.exec_)()  # PySide2 names it exec_
    check.stop()


def write_config(port: int) -> None:
    home = tempfile.mkdtemp(prefix="nap-bench-")
    os.environ["NUKE_AI_PANEL_HOME"] = home
    from nuke_ai_panel.provider_info import PROVIDER_IDS

    providers = {pid: {"enabled": pid == "ollama"} for pid in PROVIDER_IDS}
    providers["ollama"].update({"base_url": f"http://127.0.0.1:{port}", "model": "plain",
                                "max_retries": 0})
    with open(os.path.join(home, "config.json"), "w", encoding="utf-8") as handle:
        json.dump({"version": 1, "default_provider": "ollama", "providers": providers}, handle)


def report(times: Dict[str, Dict[str, List[float]]]) -> None:
    for model, figures in times.items():
        idle = figures["idle"]
        for figure in ("streaming", "finishing"):
            stalls = figures[figure]
            ratios = sorted(s / i for s, i in zip(stalls, idle))
            ms = sorted(s * 1000 for s in stalls)
            median = statistics.median(ms)
            print(f"{model} answer, worst stall {figure}: {median:.1f} ms (range {ms[0]:.1f}-"
                  f"{ms[-1]:.1f}, {len(ms)} rounds); idle heartbeat's worst gap "
                  f"{statistics.median(idle) * 1000:.1f} ms; ratio {statistics.median(ratios):.2f}x "
                  f"(range {ratios[0]:.2f}-{ratios[-1]:.2f}); target < {TARGET_MS:.0f} ms: "
                  f"{'met' if median < TARGET_MS else 'NOT met'}", flush=True)
            cpu = sorted(s * 1000 for s in figures[figure + " CPU"])
            print(f"    of which the main thread's own CPU time: {statistics.median(cpu):.1f} ms "
                  f"(range {cpu[0]:.1f}-{cpu[-1]:.1f})", flush=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--tokens", type=int, default=4000)
    parser.add_argument("--rate", type=int, default=5000, help="tokens per second")
    parser.add_argument("--serve", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.serve:
        serve(args.tokens, args.rate)
        return
    with server_process(__file__, "--tokens", str(args.tokens), "--rate", str(args.rate)) as port:
        print(f"{args.tokens} tokens at {args.rate} tokens/s from 127.0.0.1:{port}, "
              f"ChatPanel offscreen, 5 ms heartbeat")
        report(measure(port, max(5, args.rounds)))


if __name__ == "__main__":
    main()
