"""What a change of the transcript touches (issue 10): finishing an answer replaces only its
open tail and adds its status line, an open code block grows by its new lines only, a table
grows a row per line and ends as the full render draws it, and a long code line never makes
the transcript scroll sideways in a narrow dock."""

from __future__ import annotations

import re
from typing import Any, List

import pytest

pytest.importorskip("Qt", reason="needs a Qt binding (PySide6 or PySide2)")

from Qt import QtWidgets  # noqa: E402

from nuke_ai_panel.history import HistoryMessage  # noqa: E402
from src.ui.transcript import TranscriptView  # noqa: E402
from tests.ui.test_transcript import LONG_ANSWER, Answer, lines  # noqa: E402

pytestmark = pytest.mark.qt

TABLE = ("| Node | Knob | Value |\n|:-----|:----:|------:|\n"
         + "".join(f"| Grade{i} | `white` | {i / 10:.1f} *x* |\n" for i in range(12)))


@pytest.fixture
def view(qtbot: Any) -> TranscriptView:
    widget = TranscriptView()
    qtbot.addWidget(widget)
    widget.resize(500, 400)
    widget.show()
    qtbot.waitExposed(widget)
    return widget


def reference(qtbot: Any, text: str, status: str = "complete") -> TranscriptView:
    """The same answer loaded from history (drawn whole, never streamed)."""
    widget = TranscriptView()
    qtbot.addWidget(widget)
    widget.set_messages([HistoryMessage("assistant", text, model="test-model", status=status)])
    return widget


def body_html(view: TranscriptView) -> List[str]:
    """What is drawn, formats included: the document's HTML cut before each paragraph,
    table, list, heading and preformatted block, without the one-pixel paragraphs that
    start each section (a streamed answer has a section per chunk, one loaded from history
    one per run of chunks) and empty paragraphs."""
    html = view.document().toHtml()
    html = html[html.index("<body"):]
    parts = re.split(r"(?=<p |<table|<ul|<ol|<h\d|<pre|<li)", html)
    return [part for part in parts
            if "\u200b" not in part and not re.match(r"<p [^>]*><br /></p>", part)]


def pieces(text: str, size: int) -> List[str]:
    return [text[i:i + size] for i in range(0, len(text), size)]


@pytest.mark.parametrize("status", ["complete", "stopped"])
def test_finishing_replaces_only_the_open_tail_and_the_status_line(
        view: TranscriptView, qtbot: Any, status: str) -> None:
    answer = Answer(view)
    for piece in pieces(LONG_ANSWER + "Last words.", 7):
        answer.add(piece)
    before_html = body_html(view)
    inserted, drawn, renders = view.blocks.inserted, view.rendered_chars, view.render_count
    answer.end(status)
    # the open tail ("Last words.") was already drawn in its final form: nothing redrawn
    assert view.rendered_chars == drawn and view.render_count == renders
    assert view.blocks.inserted - inserted == (0 if status == "complete" else 1)
    if status == "complete":
        assert body_html(view) == before_html
    assert body_html(view) == body_html(reference(qtbot, LONG_ANSWER + "Last words.", status))


def test_an_answer_ending_inside_a_code_block_adds_its_last_line_only(
        view: TranscriptView) -> None:
    answer = Answer(view)
    text = "Run:\n\n```python\n" + "".join(f"x{i} = {i}\n" for i in range(40)) + "y = 1"
    for piece in pieces(text, 5):
        answer.add(piece)
    inserted, drawn = view.blocks.inserted, view.rendered_chars
    answer.end("stopped")
    # the last line ("y = 1", drawn as the line still arriving) is written once more, final,
    # and the status line added; nothing before it is touched
    assert view.rendered_chars - drawn == len("y = 1")
    assert view.blocks.inserted - inserted == 2
    assert view.code_block(0) == "".join(f"x{i} = {i}\n" for i in range(40)) + "y = 1"


def test_an_open_code_block_grows_by_its_new_lines_only(view: TranscriptView) -> None:
    answer = Answer(view)
    answer.add("Script:\n\n```python\n")
    code_lines = [f"node{i} = nuke.createNode('Blur')  # {i}\n" for i in range(60)]
    written = 0
    for number, line in enumerate(code_lines):
        for piece in pieces(line, 9):
            inserted, drawn = view.blocks.inserted, view.rendered_chars
            answer.add(piece)
            complete = answer.message.text.count("\n") - 3 - written
            partial = len(answer.message.text) - answer.message.text.rfind("\n") - 1
            # one block per new complete line, one for the line still arriving
            assert view.blocks.inserted - inserted == complete + (1 if partial else 0)
            # what is drawn is the line that arrived, never the block so far
            assert view.rendered_chars - drawn <= len(line)
            written += complete
        assert view.code_block(0) == "".join(code_lines[:number + 1])
    assert written == len(code_lines)


def test_a_streamed_table_is_the_table_a_full_render_draws(view: TranscriptView,
                                                           qtbot: Any) -> None:
    text = "Grades:\n\n" + TABLE + "\nDone.\n"
    for size in (3, 11, 40):
        view.clear_transcript()
        answer = Answer(view)
        for piece in pieces(text, size):
            answer.add(piece)
            live = view._live
            assert live is not None
            if live.table is not None and live.tail is not None:
                # while it grows, the table drawn is exactly the whole chunk rendered
                from src.ui.markdown import render_chunk

                assert live.tail_html == render_chunk(answer.message.text[live.stable:]).html
        answer.end()
        assert body_html(view) == body_html(reference(qtbot, text)), size


@pytest.mark.parametrize("text", [
    TABLE + "## Heading right after the last row\n",  # a block interrupts the table
    TABLE + "\n   indented paragraph in the same chunk\n",  # text after the blank line
    TABLE + "> a quote right after\n",
    "| a | b |\n|---|---|\n| 1 |\n| 1 | 2 | 3 |\n- item\n",  # short and long rows, a list
    TABLE.replace("\n", "\r\n"),
])
def test_tables_that_stop_being_plain_tables_still_end_as_the_full_render(
        view: TranscriptView, qtbot: Any, text: str) -> None:
    answer = Answer(view)
    for piece in pieces(text, 6):
        answer.add(piece)
    answer.end()
    assert view.raw_texts() == [text]
    assert body_html(view) == body_html(reference(qtbot, text))


def test_a_table_row_costs_only_its_own_line(view: TranscriptView) -> None:
    """The open table's HTML is kept a row per line: a frame parses only what arrived."""
    from src.ui import markdown

    calls: List[str] = []
    real = markdown.table_row

    def counting(head: str, line: str) -> Any:
        calls.append(line)
        return real(head, line)

    answer = Answer(view)
    markdown.table_row = counting  # type: ignore[assignment]
    try:
        for line in TABLE.splitlines(keepends=True):
            answer.add(line)
    finally:
        markdown.table_row = real  # type: ignore[assignment]
    assert calls == TABLE.splitlines()[2:]


def wide_code_answer() -> str:
    wide = "x = '" + "y" * 190 + "'  # 200 columns"
    assert len(wide) >= 200
    return (f"Top-level code:\n\n```python\n{wide}\n```\n\n"
            f"- in a list item:\n\n  ```python\n  {wide}\n  ```\n")


@pytest.mark.parametrize("streamed", [False, True])
def test_a_200_column_code_line_never_scrolls_the_transcript_sideways_at_360_px(
        make_panel: Any, qtbot: Any, streamed: bool) -> None:
    panel = make_panel()
    panel.resize(360, 700)
    qtbot.waitUntil(lambda: panel.width() == 360, timeout=5000)
    transcript: TranscriptView = panel.transcript
    text = wide_code_answer()
    if streamed:
        answer = Answer(transcript)
        for piece in pieces(text, 16):
            answer.add(piece)
            QtWidgets.QApplication.processEvents()
        answer.end()
    else:
        transcript.set_messages([HistoryMessage("assistant", text, model="m")])
    for _ in range(3):
        QtWidgets.QApplication.processEvents()
    assert transcript.width() <= 360
    bar = transcript.horizontalScrollBar()
    assert bar.maximum() == 0 and not bar.isVisible()
    document = transcript.document()
    assert document.size().width() <= transcript.viewport().width() + 1
    # the long line wraps: it takes several lines of the layout
    assert "y" * 190 in transcript.toPlainText()
