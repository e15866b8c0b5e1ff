"""Does a streamed token cost the transcript more as the conversation grows?

Run on demand: ``python benchmarks/bench_transcript.py`` (offscreen Qt, no network).

The same answer (a heading, prose, a list, a table and a long code block, in 4-character
tokens, drawn and laid out every 16 tokens as the bridge's frames do) is streamed into a
``TranscriptView`` that already shows a conversation of about 100,000 characters (ours) and
one of about 1,000 characters (the baseline), in the same process, in interleaved rounds. The
figure is the ratio of the cost per token (target: within 1.5x: the cost of a token does not
grow with the conversation). A final row shows, for contrast, what re-rendering the whole
conversation's Markdown on every frame would cost at both lengths.
"""

from __future__ import annotations

import argparse
import gc
import os
import time
from typing import List

from common import min_rounds, report, rounds

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

from Qt import QtWidgets  # noqa: E402

from nuke_ai_panel.history import HistoryMessage  # noqa: E402
from src.ui.binding_guard import protect_none_refcount  # noqa: E402
from src.ui.markdown import render  # noqa: E402
from src.ui.transcript import TranscriptView  # noqa: E402

TARGET = 1.5
FRAME_TOKENS = 16
ANSWER = (
    "## Despill\n\nUse a **HueCorrect** before the keyer, then:\n\n"
    + "".join(f"- step {i}: adjust `mix` to {i / 10}\n" for i in range(12))
    + "\n| Node | Knob |\n|---|---|\n" + "".join(f"| Grade{i} | white |\n" for i in range(6))
    + "\n```python\n" + "".join(f"node{i} = nuke.createNode('Blur')\n" for i in range(60))
    + "```\n\nThat keeps the edges clean.\n"
)


def tokens(text: str, size: int = 4) -> List[str]:
    return [text[i:i + size] for i in range(0, len(text), size)]


def conversation(chars: int) -> List[HistoryMessage]:
    """User questions and answers, about ``chars`` characters in all."""
    messages: List[HistoryMessage] = []
    total = 0
    while total < chars:
        if len(messages) % 2 == 0:
            text = f"question {len(messages)}: how do I despill this plate?"
        else:
            text = ANSWER[:max(0, chars - total)] or "ok"
        messages.append(HistoryMessage("user" if len(messages) % 2 == 0 else "assistant", text))
        total += len(text)
    return messages


def per_token(app: QtWidgets.QApplication, chars: int) -> float:
    """Seconds per token of one streamed answer, after a conversation of ``chars``."""
    view = TranscriptView()
    view.resize(700, 900)
    view.show()
    view.set_messages(conversation(chars))
    app.processEvents()
    answer = HistoryMessage("assistant", "", model="bench")
    view.begin_answer(answer)
    pieces = tokens(ANSWER)
    gc.collect()
    start = time.perf_counter()
    for n, piece in enumerate(pieces, 1):
        answer.text += piece
        if n % FRAME_TOKENS == 0 or n == len(pieces):
            view.update_answer()
            app.processEvents()
    view.end_answer()
    app.processEvents()
    cost = (time.perf_counter() - start) / len(pieces)
    assert view.raw_texts()[-1] == ANSWER
    view.deleteLater()
    app.processEvents()
    return cost


def naive_cost(chars: int) -> float:
    """Seconds per token when every frame renders the whole conversation's Markdown again."""
    past = "".join(m.text for m in conversation(chars))
    pieces = tokens(ANSWER)[:128]
    text = ""
    start = time.perf_counter()
    for n, piece in enumerate(pieces, 1):
        text += piece
        if n % FRAME_TOKENS == 0:
            render(past + text)
    return (time.perf_counter() - start) / len(pieces)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=7)
    args = parser.parse_args()
    app = QtWidgets.QApplication.instance() or QtWidgets.QApplication([])
    protect_none_refcount()
    per_token(app, 1_000)  # warm up: imports, lexers, first layout
    times = rounds(lambda: per_token(app, 100_000), lambda: per_token(app, 1_000),
                   min_rounds(args.rounds))
    micro = {name: [t * 1e6 for t in values] for name, values in times.items()}
    report("per-token cost of a streamed answer, 100k-char transcript vs 1k-char", micro,
           TARGET, unit="us")
    naive = naive_cost(1_000), naive_cost(100_000)
    print(f"for contrast, re-rendering the whole conversation every frame: "
          f"{naive[0] * 1e6:.0f} us/token at 1k chars, {naive[1] * 1e6:.0f} us/token at 100k "
          f"chars ({naive[1] / naive[0]:.0f}x)")


if __name__ == "__main__":
    main()
