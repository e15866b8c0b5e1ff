"""Does appending streamed text to the transcript cost more as the conversation grows?

Run on demand: ``python benchmarks/bench_transcript.py`` (offscreen Qt, no network).
The same streamed answer (prose, a list and a long code block, in small deltas) is appended to
a transcript holding 0 earlier messages (the baseline) and to ones holding 50 and 400, in the
same process; the report is the ratio of the per-delta cost. Close to 1.0x means the cost does
not grow with the conversation's length. A final row measures the baseline of re-rendering the
whole conversation per delta, the naive approach, for contrast.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from pathlib import Path
from typing import List

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

from Qt import QtWidgets  # noqa: E402

from nuke_ai_panel.history import HistoryMessage  # noqa: E402
from src.ui.binding_guard import protect_none_refcount  # noqa: E402
from src.ui.markdown import render  # noqa: E402
from src.ui.transcript import TranscriptView  # noqa: E402

ANSWER = (
    "## Despill\n\nUse a **HueCorrect** before the keyer, then:\n\n"
    + "".join(f"- step {i}: adjust `mix` to {i / 10}\n" for i in range(12))
    + "\n```python\n" + "".join(f"node{i} = nuke.createNode('Blur')\n" for i in range(60))
    + "```\n\nThat keeps the edges clean.\n"
)


def deltas(text: str, size: int = 4) -> List[str]:
    return [text[i:i + size] for i in range(0, len(text), size)]


def history(count: int) -> List[HistoryMessage]:
    messages = []
    for i in range(count):
        role = "user" if i % 2 == 0 else "assistant"
        messages.append(HistoryMessage(role, ANSWER if role == "assistant" else f"question {i}"))
    return messages


def per_delta_cost(app: QtWidgets.QApplication, earlier: int, repeat: int) -> float:
    samples = []
    pieces = deltas(ANSWER)
    for _ in range(repeat):
        view = TranscriptView()
        view.resize(700, 900)
        view.set_messages(history(earlier))
        app.processEvents()
        answer = HistoryMessage("assistant", "", model="bench")
        view.begin_answer(answer)
        start = time.perf_counter()
        for piece in pieces:
            answer.text += piece
            view.update_answer()
        app.processEvents()
        samples.append((time.perf_counter() - start) / len(pieces))
        assert view.raw_texts()[-1] == ANSWER
        view.deleteLater()
        app.processEvents()
    return statistics.median(samples)


def naive_cost(earlier: int) -> float:
    """Re-render the whole conversation's Markdown on each delta (what we avoid)."""
    past = "".join(m.text for m in history(earlier))
    pieces = deltas(ANSWER)[:50]
    text = ""
    start = time.perf_counter()
    for piece in pieces:
        text += piece
        render(past + text)
    return (time.perf_counter() - start) / len(pieces)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    app = QtWidgets.QApplication.instance() or QtWidgets.QApplication([])
    protect_none_refcount()
    base = per_delta_cost(app, 0, args.repeat)
    print(f"transcript append, 0 earlier messages: {base * 1e6:8.1f} us/delta (baseline)")
    for earlier in (50, 400):
        cost = per_delta_cost(app, earlier, args.repeat)
        print(f"transcript append, {earlier:>3} earlier messages: {cost * 1e6:8.1f} us/delta, "
              f"ratio {cost / base:.2f}x")
    naive0, naive400 = naive_cost(0), naive_cost(400)
    print(f"naive full re-render per delta: 0 earlier {naive0 * 1e6:.0f} us, 400 earlier "
          f"{naive400 * 1e6:.0f} us, ratio {naive400 / naive0:.0f}x")


if __name__ == "__main__":
    main()
