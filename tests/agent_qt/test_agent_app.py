"""Agent mode in the standalone app (issue 11's acceptance) and in the panel on NukeHost over
the ``nuke`` stand-in: a multi-step turn on the example comp, each write previewed (in the
card and, for new nodes, as ghosts in the node graph), only approved writes applied, each
one undo group, and "Undo this turn" restoring the .nk text byte for byte."""

from __future__ import annotations

from typing import Any, Iterator

import pytest

pytest.importorskip("Qt", reason="needs a Qt binding (the Qt legs run this)")

from Qt import QtCore, QtWidgets  # noqa: E402

from src.ui import app  # noqa: E402
from tests.agent_qt.conftest import (EXAMPLE, WAIT_MS, example_host, send,  # noqa: E402
                                     write_config)
from tests.agent_qt.test_agent_panel import (CREATE, click, knob_rows, wait_card,  # noqa: E402
                                             wait_end)


@pytest.fixture
def window(qtbot: Any, private_worker: Any, agent_server: Any, monkeypatch: Any) -> Iterator[Any]:
    monkeypatch.setattr(QtWidgets.QMessageBox, "question",
                        lambda *args, **kwargs: QtWidgets.QMessageBox.Discard)
    write_config(agent_server.base_url, {"panel_mode": "agent"})
    args = app.parse_args(["--provider", "ollama", "--model", "agent-comp-edits"])
    win, panel = app.build(args, private_worker, example_host())
    qtbot.addWidget(win)
    win.show()
    qtbot.waitExposed(win)
    qtbot.waitUntil(lambda: panel.model_combo.count() > 0, timeout=WAIT_MS)
    panel.set_model("agent-comp-edits")
    yield win
    panel.shutdown()
    if panel.streaming:
        qtbot.waitUntil(lambda: not panel.streaming, timeout=WAIT_MS)


def test_the_standalone_app_previews_applies_approved_writes_and_undoes_the_turn(window,
                                                                               qtbot):
    panel, host, view = window.panel, window.host, window.graph.view
    before = host.to_text()
    assert before == EXAMPLE.read_text(encoding="utf-8")
    nodes_before = set(view.tile_items())
    turn = send(panel, "Add a soft blur after the foreground grade and tune the comp")

    create = wait_card(panel, qtbot)
    assert [g.name for g in view.ghost_tiles()] == ["Blur1"]  # drawn before Apply
    assert ("Grade_fg", "Blur1") in {(w.wire.source, w.wire.target) for w in view.ghost_wires()}
    assert set(view.tile_items()) == nodes_before and host.to_text() == before
    click(qtbot, create, "applyButton")
    grade = wait_card(panel, qtbot)
    assert view.ghost_tiles() == [] and "Blur1" in view.tile_items()  # redrawn, real
    assert window.windowTitle().endswith("*")
    click(qtbot, grade, "rejectButton")
    blur = wait_card(panel, qtbot)
    assert knob_rows(blur)[0][0] == "size"
    click(qtbot, blur, "applyButton")
    wait_end(panel, qtbot)

    assert turn.finish is not None
    assert host.undo_names() == [CREATE, "AI: set Blur_bgDefocus.size"]
    assert host.script.node("Blur_bgDefocus").knobs["size"] == "4"

    qtbot.mouseClick(panel.findChild(QtWidgets.QPushButton, "undoTurnButton"),
                     QtCore.Qt.LeftButton)
    assert host.to_text() == before  # byte for byte
    assert set(view.tile_items()) == nodes_before
    assert not window.windowTitle().endswith("*")
    assert host.undo_names() == []


def test_on_nuke_host_each_approved_write_is_one_undo_group(make_panel, qtbot, monkeypatch):
    from agent.agent_hosts import make_backend

    backend = make_backend("nuke", EXAMPLE.read_text(encoding="utf-8"), monkeypatch)
    pump = QtCore.QTimer()
    pump.timeout.connect(backend.fake.process_events)  # Nuke's main loop serving the tool thread
    pump.start(5)
    before = backend.text()
    try:
        panel = make_panel("agent-comp-edits:nuke", host=backend.host)
        turn = send(panel)
        click(qtbot, wait_card(panel, qtbot), "rejectButton")
        click(qtbot, wait_card(panel, qtbot), "applyButton")
        click(qtbot, wait_card(panel, qtbot), "applyButton")
        wait_end(panel, qtbot)
        assert turn.finish is not None
        assert backend.undo_names() == ["AI: set Grade_final.gamma",
                                        "AI: set Blur_bgDefocus.size"]
        assert backend.script.script.node("Blur1") is None  # the rejected create
        panel.agent.undo()
        assert backend.text() == before
    finally:
        pump.stop()


STILL_ANSWERING = "still answering: press Stop (Esc) first, then "


def test_new_open_and_open_recent_are_refused_while_a_turn_runs(window, qtbot, tmp_path,
                                                                 monkeypatch):
    from nuke_ai_panel.recent_scripts import add_recent

    panel, host = window.panel, window.host
    other = tmp_path / "other.nk"
    other.write_text("Root {\n inputs 0\n}\nBlur {\n name Blur_other\n}\n", encoding="utf-8")
    add_recent(str(other))
    dialogs = []
    monkeypatch.setattr(QtWidgets.QFileDialog, "getOpenFileName",
                        lambda *args, **kwargs: dialogs.append(args) or (str(other), ""))
    send(panel, "Add a soft blur")
    card = wait_card(panel, qtbot)  # the turn waits for the artist's approval

    assert not window.files.new_script()
    assert panel.status_text() == STILL_ANSWERING + "start a new script"
    assert not window.files.open_dialog() and dialogs == []
    assert panel.status_text() == STILL_ANSWERING + "open the script"
    assert not window.open_script(str(other))
    window.files.fill_recent_menu(window.recent_menu)
    recent = [a for a in window.recent_menu.actions() if a.data() == str(other)]
    assert len(recent) == 1
    recent[0].trigger()
    assert window.host is host and panel.host is host and window.files.host is host

    click(qtbot, card, "applyButton")  # the approved write lands on the comp on screen
    wait_card(panel, qtbot)  # the next write waits: the create was applied and reported
    assert CREATE in host.undo_names() and host.script.node("Blur1") is not None
    assert not window.files.new_script() and window.host is host
    panel.stop()
    wait_end(panel, qtbot)
    assert window.files.new_script()  # once the turn is over, New works
    assert window.host is not host and window.host.all_nodes() == []


def test_switching_comps_drops_undo_this_turn(window, qtbot):
    panel, old = window.panel, window.host
    send(panel, "Add a soft blur")
    click(qtbot, wait_card(panel, qtbot), "applyButton")
    wait_card(panel, qtbot)
    assert old.undo_names() == [CREATE]
    panel.stop()
    wait_end(panel, qtbot)
    undo_turn = panel.findChild(QtWidgets.QPushButton, "undoTurnButton")
    assert undo_turn.isEnabled() and panel.agent.undo_turn is not None

    assert window.files.new_script()
    new = window.host
    assert new is not old and panel.host is new
    assert not undo_turn.isEnabled() and panel.agent.undo_turn is None
    report = panel.agent.undo()  # nothing of the new comp's, nor the discarded one's
    assert report.undone == [] and new.undo_names() == [] and new.all_nodes() == []
    assert old.undo_names() == [CREATE]
