"""Agent mode in the chat panel, as the artist uses it: a scripted model (Ollama protocol
server on 127.0.0.1) works on the example comp in steps; each write waits on an approval
card; Apply / Reject / Apply all remaining; Stop; "Undo this turn"; Ask mode; the studio's
locks; a model without tools."""

from __future__ import annotations

from typing import Any, List

import pytest

pytest.importorskip("Qt", reason="needs a Qt binding (the Qt legs run this)")

from Qt import QtCore, QtWidgets  # noqa: E402

from nuke_ai_panel import errors  # noqa: E402
from nuke_ai_panel.config import load_config  # noqa: E402
from tests.agent_qt.conftest import (EXAMPLE, WAIT_MS, example_host, send,  # noqa: E402
                                     write_studio)
from tests.agent.loop_helpers import SlowHost  # noqa: E402
from tests.protocol_servers.agent_scripts import COMP_DONE  # noqa: E402

CREATE = "AI: create Blur1"


def cards(panel: Any) -> List[Any]:
    """The approval cards on screen (objectName ``approvalCard``)."""
    return [w for w in panel.findChildren(QtWidgets.QFrame, "approvalCard") if w.isVisible()]


def wait_card(panel: Any, qtbot: Any) -> Any:
    """The next approval card, once it is on screen (a decided card is a record)."""
    qtbot.waitUntil(lambda: len(cards(panel)) == 1, timeout=WAIT_MS)
    return cards(panel)[0]


def click(qtbot: Any, card: Any, name: str) -> None:
    button = card.findChild(QtWidgets.QPushButton, name)
    assert button is not None and button.isVisible() and button.isEnabled()
    qtbot.mouseClick(button, QtCore.Qt.LeftButton)


def wait_end(panel: Any, qtbot: Any) -> None:
    qtbot.waitUntil(lambda: not panel.streaming, timeout=WAIT_MS)


def knob_rows(card: Any) -> List[List[str]]:
    tree = card.findChild(QtWidgets.QTreeWidget, "previewKnobs")
    return [[tree.topLevelItem(i).text(c) for c in range(3)]
            for i in range(tree.topLevelItemCount())]


def test_a_multi_step_turn_applies_only_what_was_approved_and_undo_restores_the_text(
        make_panel, qtbot):
    host = example_host()
    before = host.to_text()
    panel = make_panel("agent-comp-edits", host=host)
    assert panel.findChild(QtWidgets.QComboBox, "modeCombo").currentText() == "Agent"
    turn = send(panel)

    create = wait_card(panel, qtbot)  # create_nodes: the nodes and their wiring
    tree = create.findChild(QtWidgets.QTreeWidget, "previewNodes")
    assert tree.topLevelItem(0).text(1) == "Blur"
    connections = create.findChild(QtWidgets.QListWidget, "previewConnections")
    assert "Grade_fg" in connections.item(0).text()
    assert host.to_text() == before  # nothing happens before Apply
    click(qtbot, create, "applyButton")
    assert create.objectName() == "approvalRecord" and not create.body.isVisible()

    grade = wait_card(panel, qtbot)  # set_knobs: old -> new
    assert knob_rows(grade) == [["gamma", "1.01", "1.2"]]
    click(qtbot, grade, "rejectButton")

    blur = wait_card(panel, qtbot)
    rows = knob_rows(blur)
    assert rows[0][0] == "size" and rows[0][2] == "4" and rows[0][1] != "4"
    click(qtbot, blur, "applyButton")
    wait_end(panel, qtbot)

    assert turn.finish is not None and turn.answer.text.endswith(COMP_DONE)
    # exactly one undo group per approved write; the rejected one never happened
    assert host.undo_names() == [CREATE, "AI: set Blur_bgDefocus.size"]
    script = host.script
    assert script.node("Blur1").inputs == ["Grade_fg"]
    assert script.node("Blur_bgDefocus").knobs["size"] == "4"
    assert script.node("Grade_final").knobs["gamma"] == "1.01"
    # each write's record says how it ended
    records = [w.record.text() for w in panel.findChildren(QtWidgets.QFrame, "approvalRecord")]
    assert records == [f"\u2713 Applied: {CREATE}", "\u2717 Rejected: AI: set Grade_final.gamma",
                       "\u2713 Applied: AI: set Blur_bgDefocus.size"]
    assert not cards(panel)

    undo = panel.findChild(QtWidgets.QPushButton, "undoTurnButton")
    assert undo.isEnabled()
    reports: List[Any] = []
    panel.agent.undoReported.connect(reports.append)
    qtbot.mouseClick(undo, QtCore.Qt.LeftButton)
    assert reports and reports[0].ok and reports[0].undone == [
        "AI: set Blur_bgDefocus.size", CREATE]
    assert host.to_text() == before  # byte for byte
    assert not undo.isEnabled()
    assert all(step.undone for step in turn.answer.steps)
    assert "Undid 2 step(s) of this turn." in panel.transcript.toPlainText()


def test_each_tool_call_is_one_line_that_opens_to_its_arguments_and_result(make_panel,
                                                                          qtbot):
    panel = make_panel("agent-comp-edits:all")
    send(panel)
    click(qtbot, wait_card(panel, qtbot), "applyAllButton")
    wait_end(panel, qtbot)
    steps = list(panel.agent.steps.values())
    assert [s.name for s in steps] == ["list_nodes", "create_nodes", "set_knobs", "set_knobs"]
    text = panel.transcript.toPlainText()
    assert 'list_nodes class="Grade" \u2192 \u2713' in text
    first = steps[0]
    assert "Result (what the model read)" not in first.block.html
    url = QtCore.QUrl(f"toolstep:{first.serial}")
    panel.transcript.anchorClicked.emit(url)  # what a click on the arrow sends
    assert first.expanded and "Grade_final" in first.block.html
    assert "Result (what the model read)" in panel.transcript.toPlainText()
    panel.transcript.anchorClicked.emit(url)
    assert not first.expanded and "Result (what the model read)" not in \
        panel.transcript.toPlainText()
    assert panel.agent.set_mode("chat")  # a later turn: the earlier lines still open
    panel.set_model("echo")
    send(panel, "thanks")
    wait_end(panel, qtbot)
    panel.transcript.anchorClicked.emit(url)
    assert first.expanded and "Result (what the model read)" in panel.transcript.toPlainText()


def test_apply_all_remaining_applies_the_later_writes_without_cards(make_panel, qtbot):
    host = example_host()
    panel = make_panel("agent-comp-edits:all", host=host)
    shown: List[Any] = []
    panel.agent.cardShown.connect(shown.append)
    turn = send(panel)
    click(qtbot, wait_card(panel, qtbot), "applyAllButton")
    wait_end(panel, qtbot)
    assert len(shown) == 1 and turn.finish is not None
    assert host.undo_names() == [CREATE, "AI: set Grade_final.gamma",
                                 "AI: set Blur_bgDefocus.size"]
    assert all(step.ok for step in panel.agent.steps.values())
    records = [w.record.text() for w in panel.findChildren(QtWidgets.QFrame, "approvalRecord")]
    assert records == [f"\u2713 Applied: {CREATE}"]


def test_ask_mode_offers_no_write_and_applies_nothing(make_panel, qtbot, agent_server):
    host = example_host()
    before = host.to_text()
    panel = make_panel("agent-comp-edits:ask", mode="ask", host=host)
    assert panel.agent.mode == "ask"
    shown: List[Any] = []
    panel.agent.cardShown.connect(shown.append)
    turn = send(panel)
    wait_end(panel, qtbot)
    chats = [r.json_body for r in agent_server.requests if r.path == "/api/chat" and
             r.json_body.get("model") == "agent-comp-edits:ask"]
    offered = {t["function"]["name"] for t in chats[0]["tools"]}
    assert offered == {"get_script_info", "list_nodes", "read_nodes", "find_errors",
                       "node_class_info"}
    writes = [s for s in panel.agent.steps.values() if s.name != "list_nodes"]
    assert writes and all(s.ok is False for s in writes)
    assert "Ask mode" in writes[0].summary
    assert not shown and not cards(panel)
    assert host.to_text() == before and host.undo_names() == []
    assert turn.finish is not None
    assert not panel.findChild(QtWidgets.QPushButton, "undoTurnButton").isEnabled()


def test_stop_while_a_card_waits_withdraws_it_and_changes_nothing(make_panel, qtbot):
    host = example_host()
    before = host.to_text()
    panel = make_panel("agent-comp-edits:stop", host=host)
    turn = send(panel)
    card = wait_card(panel, qtbot)
    qtbot.mouseClick(panel.stop_button, QtCore.Qt.LeftButton)
    wait_end(panel, qtbot)
    qtbot.waitUntil(lambda: card.outcome == "withdrawn", timeout=WAIT_MS)
    assert card.objectName() == "approvalRecord" and "counted as rejected" in card.record.text()
    assert not cards(panel)
    assert turn.error is not None and turn.error.kind == errors.CANCELLED
    assert turn.loop.rejected == 1 and turn.loop.applied == 0
    assert not card.decide(True)  # a late click does nothing
    assert host.to_text() == before and host.undo_names() == []
    assert not panel.errors.isVisible()  # Stop is not an error


def test_stop_during_a_tool_call_ends_the_turn_and_changes_nothing(make_panel, qtbot):
    inner = example_host()
    before = inner.to_text()
    host = SlowHost(inner)
    panel = make_panel("agent-comp-edits:stop", host=host)
    turn = send(panel)
    qtbot.waitUntil(host.reading.is_set, timeout=WAIT_MS)
    panel.stop()
    wait_end(panel, qtbot)  # the main thread never waited for the tool
    assert turn.error.kind == errors.CANCELLED and "tool was running" in turn.error.message
    host.release.set()
    qtbot.waitUntil(lambda: not panel.session.tool_runner().busy, timeout=WAIT_MS)
    step = next(iter(panel.agent.steps.values()))
    assert step.ok is False and "stopped" in step.summary
    assert not cards(panel) and inner.to_text() == before and inner.undo_names() == []
    assert panel.send_button.isEnabled()


def test_a_studio_lock_of_writes_makes_agent_mode_unselectable(make_panel, qtbot, tmp_path,
                                                              monkeypatch):
    write_studio(tmp_path, monkeypatch, {"agent": {"allow_writes": False}},
                 ["agent.allow_writes"])
    panel = make_panel("agent-comp-edits", mode="agent")
    combo = panel.findChild(QtWidgets.QComboBox, "modeCombo")
    assert combo.currentText() == "Ask"  # the saved Agent cannot be used
    assert not panel.agent.mode_combo.is_selectable("agent")
    tip = combo.itemData(combo.findText("Agent"), QtCore.Qt.ToolTipRole)
    assert "studio" in tip and "Managed by Pipeline." in tip
    assert not panel.agent.set_mode("agent") and panel.agent.mode == "ask"


def test_a_lock_of_run_python_only_takes_that_tool_away(make_panel, qtbot, tmp_path,
                                                        monkeypatch, agent_server):
    write_studio(tmp_path, monkeypatch, {"agent": {"allow_run_python": False}},
                 ["agent.allow_run_python"])
    panel = make_panel("agent-comp-edits:py", mode="agent")
    assert panel.agent.mode_combo.is_selectable("agent") and panel.agent.mode == "agent"
    combo = panel.agent.mode_combo
    assert "run_python is not offered" in combo.itemData(combo.index_of("agent"),
                                                         QtCore.Qt.ToolTipRole)
    send(panel)
    click(qtbot, wait_card(panel, qtbot), "applyAllButton")
    wait_end(panel, qtbot)
    chats = [r.json_body for r in agent_server.requests if r.path == "/api/chat" and
             r.json_body.get("model") == "agent-comp-edits:py"]
    offered = {t["function"]["name"] for t in chats[0]["tools"]}
    assert "run_python" not in offered and "create_nodes" in offered


def test_the_mode_is_kept_in_the_users_config(make_panel, qtbot):
    panel = make_panel("echo", mode="chat")
    combo = panel.agent.mode_combo
    assert combo.mode == "chat"
    combo.activated.emit(combo.index_of("ask"))  # what picking it in the list sends
    assert load_config().get("agent.panel_mode") == "ask"
    assert panel.agent.set_mode("agent")
    assert load_config().get("agent.panel_mode") == "agent"


def test_chat_mode_sends_a_plain_turn_without_tools(make_panel, qtbot, agent_server):
    panel = make_panel("echo", mode="chat")
    turn = send(panel, "hello there")
    wait_end(panel, qtbot)
    assert turn.registry is None and turn.finish is not None
    body = [r.json_body for r in agent_server.requests if r.path == "/api/chat" and
            r.json_body.get("model") == "echo"][-1]
    assert not body.get("tools")


@pytest.mark.parametrize("model", ["no-tools-q", "http-400-tools"])
def test_a_model_without_tools_gets_a_plain_notice_and_the_panel_stays_usable(
        make_panel, qtbot, model):
    panel = make_panel(model, mode="agent")
    turn = send(panel, "Add a blur")
    wait_end(panel, qtbot)
    assert turn.error is not None and turn.error.kind == errors.BAD_REQUEST
    text = panel.transcript.toPlainText()
    assert "cannot call tools" in text and "one-shot helpers" in text and "/build" in text
    assert panel.notices.isVisible() and not panel.errors.isVisible()
    assert panel.send_button.isEnabled() and panel.agent.mode_combo.isEnabled()
    assert panel.agent.set_mode("chat")  # and then a plain answer works
    panel.set_model("echo")
    turn = send(panel, "hello")
    wait_end(panel, qtbot)
    assert turn.finish is not None


def test_a_new_chat_takes_the_last_turns_cards_and_undo_away(make_panel, qtbot):
    host = example_host()
    panel = make_panel("agent-comp-edits:all", host=host)
    send(panel)
    click(qtbot, wait_card(panel, qtbot), "applyAllButton")
    wait_end(panel, qtbot)
    assert panel.undo_turn_button.isEnabled()
    assert panel.new_chat()
    assert not panel.undo_turn_button.isEnabled() and not panel.agent.area.cards
    assert len(host.undo_names()) == 3  # nothing was undone by it
    assert EXAMPLE.exists()


def test_an_agent_turn_sends_the_trays_image_with_the_task(make_panel, qtbot, agent_server,
                                                         tmp_path):
    """The attachment tray feeds agent turns too: the first model call carries the image
    in Ollama's own form, and the tray empties once the turn has started."""
    from PIL import Image

    path = tmp_path / "plate.png"
    Image.new("RGB", (40, 20), (10, 200, 10)).save(str(path), "PNG")
    panel = make_panel("agent-comp-edits:image", mode="ask")
    assert panel.attachments.attach_files([str(path)]) == 1
    qtbot.waitUntil(lambda: panel.attachments.tray.count() == 1
                    and not panel.attachments.busy, timeout=WAIT_MS)
    send(panel, "What is green here?")
    wait_end(panel, qtbot)
    chats = [r.json_body for r in agent_server.requests if r.path == "/api/chat" and
             r.json_body.get("model") == "agent-comp-edits:image"]
    user = [m for m in chats[0]["messages"] if m["role"] == "user"]
    assert len(user) == 1 and len(user[0].get("images") or []) == 1
    assert "What is green here?" in user[0]["content"]
    assert panel.attachments.tray.count() == 0
