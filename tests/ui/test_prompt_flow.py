"""Nothing typed is lost: Up / Down recall earlier prompts like a shell, Edit last puts the
last prompt back and replaces its exchange, and a very large prompt waits for a yes."""

from __future__ import annotations

from typing import Any, List

import pytest

pytest.importorskip("Qt", reason="needs a Qt binding (PySide6 or PySide2)")

from Qt import QtCore, QtGui  # noqa: E402

from nuke_ai_panel.model_facts import LARGE_PROMPT_BYTES  # noqa: E402
from src.ui.chat_panel import ChatPanel  # noqa: E402
from src.ui.prompt_edit import PromptHistory  # noqa: E402
from tests.protocol_servers import ProtocolServer  # noqa: E402
from tests.ui.panel_helpers import WAIT_MS, write_config  # noqa: E402

pytestmark = pytest.mark.qt

Qt = QtCore.Qt


def chats(server: ProtocolServer) -> List[Any]:
    return [r.json_body for r in server.requests if r.path.endswith("/api/chat")]


def sent(panel: ChatPanel, qtbot: Any, text: str) -> None:
    panel.prompt.setPlainText(text)
    assert panel.send()
    qtbot.waitUntil(lambda: not panel.streaming, timeout=WAIT_MS)


def key(qtbot: Any, panel: ChatPanel, which: Any, times: int = 1) -> None:
    for _ in range(times):
        qtbot.keyClick(panel.prompt, which)


def caret_to(panel: ChatPanel, where: Any) -> None:
    cursor = panel.prompt.textCursor()
    cursor.movePosition(where)
    panel.prompt.setTextCursor(cursor)


# -- prompt history ----------------------------------------------------------------------------


def test_history_browsing_keeps_the_draft_and_edits() -> None:
    history = PromptHistory()
    for text in ("one", "two", "two", "  ", "three"):
        history.add(text)
    assert history.entries == ["one", "two", "three"]
    assert history.newer("draft") is None, "not browsing yet"
    assert history.older("draft") == "three"
    assert history.older("three") == "two"
    assert history.older("two edited") == "one"
    assert history.older("one") is None, "at the oldest"
    assert history.newer("one") == "two edited", "an edit made while browsing is kept"
    assert history.newer("two edited") == "three"
    assert history.newer("three") == "draft"
    history.add("four")
    assert history.older("") == "four" and history.older("four") == "three"
    assert history.older("three") == "two", "edits are forgotten once a prompt is sent"


def test_up_and_down_recall_prompts_like_a_shell(ollama_panel: ChatPanel, qtbot: Any) -> None:
    panel = ollama_panel
    panel.set_model("echo")
    sent(panel, qtbot, "first question")
    sent(panel, qtbot, "second\nquestion on two lines")
    panel.prompt.setPlainText("a draft")
    panel.prompt.setFocus()
    key(qtbot, panel, Qt.Key_Up)
    assert panel.prompt.toPlainText() == "second\nquestion on two lines"
    assert panel.prompt.textCursor().blockNumber() == 0, "the caret is on the first line"
    key(qtbot, panel, Qt.Key_Up)
    assert panel.prompt.toPlainText() == "first question"
    key(qtbot, panel, Qt.Key_Up)
    assert panel.prompt.toPlainText() == "first question", "nothing older"
    key(qtbot, panel, Qt.Key_Down)
    assert panel.prompt.toPlainText() == "second\nquestion on two lines"
    caret_to(panel, QtGui.QTextCursor.Start)
    key(qtbot, panel, Qt.Key_Down)
    assert panel.prompt.toPlainText() == "second\nquestion on two lines", \
        "Down on the first of two lines moves the caret, not the history"
    assert panel.prompt.textCursor().blockNumber() == 1
    key(qtbot, panel, Qt.Key_Down)
    assert panel.prompt.toPlainText() == "a draft", "the draft comes back"


def test_up_inside_a_multi_line_prompt_moves_the_caret(ollama_panel: ChatPanel,
                                                       qtbot: Any) -> None:
    panel = ollama_panel
    panel.set_model("echo")
    sent(panel, qtbot, "earlier")
    panel.prompt.setPlainText("line one\nline two")
    caret_to(panel, QtGui.QTextCursor.End)
    key(qtbot, panel, Qt.Key_Up)
    assert panel.prompt.toPlainText() == "line one\nline two"
    key(qtbot, panel, Qt.Key_Up)
    assert panel.prompt.toPlainText() == "earlier"


def test_commands_that_ran_are_in_the_history_too(make_panel: Any, ollama_server: Any,
                                                  qtbot: Any) -> None:
    write_config("ollama", ollama_server.base_url)
    panel = make_panel(command_handler=lambda p, text: None)
    panel.prompt.setPlainText("/help")
    assert panel.send() and panel.prompt.toPlainText() == ""
    key(qtbot, panel, Qt.Key_Up)
    assert panel.prompt.toPlainText() == "/help"


def test_a_command_that_did_not_run_keeps_its_text(make_panel: Any, ollama_server: Any) -> None:
    write_config("ollama", ollama_server.base_url)
    panel = make_panel(command_handler=lambda p, text: False)
    panel.prompt.setPlainText("/bulid a despill")
    assert not panel.send()
    assert panel.prompt.toPlainText() == "/bulid a despill"
    assert panel.prompt.history.entries == []


# -- edit and resend -------------------------------------------------------------------------


def test_edit_last_replaces_the_last_exchange(ollama_panel: ChatPanel, qtbot: Any,
                                              ollama_server: ProtocolServer) -> None:
    panel = ollama_panel
    panel.set_model("echo")
    assert not panel.edit_last_button.isEnabled(), "nothing to edit yet"
    sent(panel, qtbot, "one")
    sent(panel, qtbot, "a typo here")
    assert panel.edit_last_button.isEnabled()
    panel.prompt.setPlainText("half a thought")
    qtbot.mouseClick(panel.edit_last_button, Qt.LeftButton)
    assert panel.prompt.toPlainText() == "a typo here"
    assert panel.status_text().startswith("editing your last prompt")
    assert panel.prompt.history.entries[-1] == "half a thought", "the draft is kept"
    panel.prompt.setPlainText("no typo here")
    assert panel.send()
    qtbot.waitUntil(lambda: not panel.streaming, timeout=WAIT_MS)
    assert [m.text for m in panel.conversation.messages] == [
        "one", "Echo: one", "no typo here", "Echo: no typo here"]
    assert panel.transcript.raw_texts() == [m.text for m in panel.conversation.messages]
    assert "a typo here" not in panel.transcript.toPlainText()
    assert [m["content"] for m in chats(ollama_server)[-1]["messages"]
            if m["role"] != "system"] == ["one", "Echo: one", "no typo here"]


def test_esc_leaves_the_last_exchange_as_it_was(ollama_panel: ChatPanel, qtbot: Any) -> None:
    panel = ollama_panel
    panel.set_model("echo")
    sent(panel, qtbot, "one")
    assert panel.edit_last()
    qtbot.keyClick(panel.prompt, Qt.Key_Escape)
    assert panel.prompt.toPlainText() == "one", "the text stays in the prompt box"
    sent(panel, qtbot, "two")
    assert [m.text for m in panel.conversation.messages] == ["one", "Echo: one", "two",
                                                             "Echo: two"]


# -- large prompts ---------------------------------------------------------------------------


def test_a_prompt_over_100_kb_waits_for_send_anyway(ollama_panel: ChatPanel, qtbot: Any,
                                                    ollama_server: ProtocolServer) -> None:
    panel = ollama_panel
    panel.set_model("echo")
    big = "lorem ipsum " * (LARGE_PROMPT_BYTES // 12 + 100)
    before = len(chats(ollama_server))
    panel.prompt.setPlainText(big)
    assert not panel.send()
    bar = panel.large_prompt
    assert bar.isVisible() and bar.label.text().startswith("This prompt is 101 KB, about ")
    assert panel.prompt.toPlainText() == big and len(chats(ollama_server)) == before
    qtbot.mouseClick(bar.keep_button, Qt.LeftButton)
    assert not bar.isVisible() and panel.prompt.toPlainText() == big
    assert not panel.send() and bar.isVisible(), "it asks again"
    qtbot.mouseClick(bar.send_button, Qt.LeftButton)
    qtbot.waitUntil(lambda: not panel.streaming, timeout=WAIT_MS)
    assert chats(ollama_server)[-1]["messages"][-1]["content"] == big
    assert panel.prompt.toPlainText() == "" and not bar.isVisible()


def test_a_prompt_over_the_models_window_says_so(make_panel: Any, qtbot: Any,
                                                 ollama_server: ProtocolServer) -> None:
    ollama_server.context_length = 1000
    try:
        write_config("ollama", ollama_server.base_url, model="echo")
        panel = make_panel()
        qtbot.waitUntil(lambda: panel.picker.context_window("ollama", "echo") == 1000,
                        timeout=WAIT_MS)
        panel.prompt.setPlainText("word " * 1000)
        assert not panel.send()
        assert "more than echo's context window of 1,000 tokens" in \
            panel.large_prompt.label.text()
        panel.prompt.setPlainText("word " * 100)
        assert panel.send() and not panel.large_prompt.isVisible()
        qtbot.waitUntil(lambda: not panel.streaming, timeout=WAIT_MS)
    finally:
        ollama_server.context_length = None
