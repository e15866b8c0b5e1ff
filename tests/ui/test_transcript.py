"""The transcript view on its own: incremental rendering, exact text, markers, scrolling."""

from __future__ import annotations

from typing import Any, List

import pytest

pytest.importorskip("Qt", reason="needs a Qt binding (PySide6 or PySide2)")

from Qt import QtCore, QtWidgets  # noqa: E402

from nuke_ai_panel.history import HistoryMessage  # noqa: E402
from src.ui import markdown  # noqa: E402
from src.ui.transcript import DRAFT_CHARS, TranscriptView  # noqa: E402
from tests.protocol_servers.scenarios import CODE_ANSWER, tokenize  # noqa: E402

pytestmark = pytest.mark.qt

LONG_ANSWER = (
    "# Keying\n\nStart with an **IBKColour** and an *IBKGizmo*:\n\n"
    "1. Pick the screen colour.\n2. Tune `off`.\n   - nested note\n\n"
    "| Node | Use |\n|---|---|\n| IBKColour | clean plate |\n\n> A quote.\n\n" + CODE_ANSWER
)


@pytest.fixture
def view(qtbot: Any) -> TranscriptView:
    widget = TranscriptView()
    qtbot.addWidget(widget)
    widget.resize(500, 300)
    widget.show()
    qtbot.waitExposed(widget)
    return widget


def visible_text(view: TranscriptView) -> str:
    return view.toPlainText().replace("\u200b", "")


def lines(view: TranscriptView) -> List[str]:
    """The visible lines, without the empty spacer paragraphs between fragments."""
    return [line for line in visible_text(view).split("\n") if line.strip()]


class Answer:
    """What the chat session does for the view: it owns the answer, grows it and ends it."""

    def __init__(self, view: TranscriptView, model: str = "test-model") -> None:
        self.view = view
        self.message = HistoryMessage("assistant", "", model=model)
        view.begin_answer(self.message)

    def add(self, text: str = "", reasoning: str = "") -> None:
        self.message.text += text
        self.message.reasoning += reasoning
        self.view.update_answer()

    def end(self, status: str = "complete", error: str = "") -> None:
        self.message.status, self.message.error = status, error
        self.view.end_answer()


def stream(view: TranscriptView, text: str, size: int = 4) -> Answer:
    answer = Answer(view)
    for token in tokenize(text, size):
        answer.add(token)
    return answer


def user(text: str) -> HistoryMessage:
    return HistoryMessage("user", text)


def test_contract_name_and_read_only(view: TranscriptView) -> None:
    assert view.objectName() == "transcriptView"
    assert view.isReadOnly() and not view.openLinks()


def test_streamed_answer_matches_a_full_render(view: TranscriptView, qtbot: Any) -> None:
    view.add_user(user("How do I key?"))
    stream(view, LONG_ANSWER)
    streamed = visible_text(view)
    view.end_answer()
    assert view.raw_texts() == ["How do I key?", LONG_ANSWER]
    final = visible_text(view)
    reference = TranscriptView()
    qtbot.addWidget(reference)
    reference.set_messages([HistoryMessage("user", "How do I key?"),
                            HistoryMessage("assistant", LONG_ANSWER, model="test-model")])
    assert lines(view) == lines(reference)
    squeeze = lambda s: "".join(s.split())  # noqa: E731
    assert squeeze(streamed) == squeeze(final)
    assert "IBKColour" in final and 'nuke.createNode("Blur")' in final


def test_code_blocks_copy_their_exact_source(view: TranscriptView, qtbot: Any) -> None:
    stream(view, CODE_ANSWER)
    assert view.code_block(0) is not None
    view.end_answer()
    blocks = markdown.render(CODE_ANSWER).code_blocks
    assert [view.code_block(i) for i in range(view.code_count)] == [b.source for b in blocks]
    with qtbot.waitSignal(view.codeCopied, timeout=1000) as signal:
        view.anchorClicked.emit(QtCore.QUrl("copy:1"))
    assert signal.args == [1]
    assert QtWidgets.QApplication.clipboard().text() == "Blur {\n size 4\n name Blur1\n}\n"
    assert view.copy_code(99) is False


def test_long_code_block_streams_in_pieces(view: TranscriptView) -> None:
    body = "".join(f"node{i} = nuke.createNode('Blur')  # {i}\n" for i in range(150))
    opening, closing = "Script:\n\n```python\n" + body, "```\n\nDone."
    text = opening + closing
    answer = Answer(view, "m")
    worst = 0
    for token in (opening[i:i + 24] for i in range(0, len(opening), 24)):
        before = view.rendered_chars
        answer.add(token)
        worst = max(worst, view.rendered_chars - before)
    assert view.code_block(0) == body
    answer.add(closing)
    answer.end()
    assert view.raw_texts() == [text]
    assert view.code_block(0) == body
    assert visible_text(view).count("Copy") == 1
    # A token re-renders only a bounded open tail, not the whole block so far.
    assert worst <= 2 * DRAFT_CHARS < len(body)


def test_long_paragraph_and_list_stream_in_pieces(view: TranscriptView, qtbot: Any) -> None:
    paragraph = " ".join(f"word{i}" for i in range(1000))
    items = "".join(f"- item **{i}** with `code`\n" for i in range(150))
    text = f"{paragraph}\n\n{items}\nThe end."
    answer = Answer(view, "m")
    worst = 0
    for token in (text[i:i + 40] for i in range(0, len(text), 40)):
        before, closed = view.rendered_chars, view._live.stable
        answer.add(token)
        if view._live.stable == closed:
            worst = max(worst, view.rendered_chars - before)
    # Between chunk closings (each drawn once), a token redraws a bounded stretch only.
    assert worst <= 3 * DRAFT_CHARS < len(paragraph)
    view.end_answer()
    assert view.raw_texts() == [text]
    reference = TranscriptView()
    qtbot.addWidget(reference)
    reference.set_messages([HistoryMessage("assistant", text, model="m")])
    assert lines(view) == lines(reference)


def test_streaming_cost_does_not_grow_with_the_conversation(qtbot: Any) -> None:
    def rendered_for_one_answer(previous: int) -> int:
        widget = TranscriptView()
        qtbot.addWidget(widget)
        widget.set_messages([HistoryMessage("user" if i % 2 == 0 else "assistant",
                                            LONG_ANSWER) for i in range(previous)])
        widget.rendered_chars = widget.render_count = 0
        stream(widget, LONG_ANSWER)
        return widget.rendered_chars

    assert rendered_for_one_answer(200) == rendered_for_one_answer(0)


def test_stopped_and_cut_off_answers_are_marked(view: TranscriptView) -> None:
    stream(view, "Partial answer").end("stopped")
    stream(view, "Another").end("cut off: idle_timeout",
                                "The model sent nothing for 60 s mid-answer")
    shown = lines(view)
    assert shown[1:3] == ["Partial answer", "\u25a0 Stopped before the answer finished"]
    assert shown[4:] == ["Another", "\u26a0 Answer cut off: The model sent nothing for 60 s mid-answer"]
    assert [m.status for m in view.messages()] == ["stopped", "cut off: idle_timeout"]


def test_reasoning_is_kept_apart_and_collapsed(view: TranscriptView) -> None:
    answer = Answer(view, "thinker")
    answer.add("", "Let me think about the despill.")
    assert "Thinking\u2026" in visible_text(view)
    answer.add("The answer.")
    answer.end()
    message = view.messages()[0]
    assert (message.text, message.reasoning) == ("The answer.", "Let me think about the despill.")
    text = visible_text(view)
    assert "\u25b8 Reasoning (6 words, hidden)" in text and "despill" not in text
    view.anchorClicked.emit(QtCore.QUrl("reasoning:0"))
    assert "Let me think about the despill." in visible_text(view)
    view.anchorClicked.emit(QtCore.QUrl("reasoning:0"))
    assert "despill" not in visible_text(view)


def test_model_text_cannot_inject_markup(view: TranscriptView) -> None:
    view.add_user(user("<b>user</b> <a href='copy:0'>x</a>"))
    stream(view, "<img src=x> <a href=\"javascript:alert(1)\">y</a>")
    view.end_answer()
    html = view.toHtml()
    assert 'href="javascript' not in html and "<img" not in html
    assert 'href="copy:0"' not in html
    assert "&lt;b&gt;user&lt;/b&gt;" in html


def test_scroll_position_is_kept_when_scrolled_up(view: TranscriptView, qtbot: Any) -> None:
    bar = view.verticalScrollBar()
    answer = stream(view, "\n\n".join(f"Paragraph {i} with some words." for i in range(80)))
    qtbot.waitUntil(lambda: bar.maximum() > 200, timeout=2000)
    assert bar.value() == bar.maximum(), "follows the answer while at the bottom"
    bar.setValue(40)
    for i in range(30):
        answer.add(f"\n\nMore text {i}.")
    assert bar.value() == 40
    assert not view.at_bottom
    bar.setValue(bar.maximum())
    answer.add("\n\nlast words")
    qtbot.waitUntil(lambda: bar.value() == bar.maximum(), timeout=2000)
    view.end_answer()
    assert bar.value() == bar.maximum()


def test_notices_are_shown_but_not_messages(view: TranscriptView) -> None:
    view.add_user(user("hi"))
    view.add_notice("Unknown command /foo", "warning")
    assert "Unknown command /foo" in visible_text(view)
    assert view.raw_texts() == ["hi"]
    view.clear_transcript()
    assert visible_text(view) == "" and view.messages() == []


def test_notice_during_streaming_keeps_the_answer(view: TranscriptView) -> None:
    answer = stream(view, "Streaming **on**\n\nand on")
    view.add_notice("history saved elsewhere")
    answer.add(" and done")
    answer.end()
    assert view.raw_texts() == ["Streaming **on**\n\nand on and done"]
    text = visible_text(view)
    assert text.index("history saved elsewhere") < text.index("Streaming on")
    assert text.count("Streaming on") == 1
