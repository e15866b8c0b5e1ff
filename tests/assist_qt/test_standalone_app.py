"""The standalone app as an artist uses it: /build on the example comp, Apply, Edit > Undo."""

from __future__ import annotations

from typing import Any

import pytest

pytest.importorskip("Qt", reason="needs a Qt binding (the Qt legs run this)")

from Qt import QtCore, QtWidgets  # noqa: E402

from src.ui import app  # noqa: E402
from tests.assist_qt.conftest import WAIT_MS, write_user_config  # noqa: E402

BUILD = "/build a despill and edge blur for a greenscreen plate"


@pytest.fixture
def window(qtbot: Any, helper_worker: Any, helper_server: Any, monkeypatch: Any) -> Any:
    # Closing a window with unsaved changes asks; these tests drop them (never a modal wait).
    monkeypatch.setattr(QtWidgets.QMessageBox, "question",
                        lambda *args, **kwargs: QtWidgets.QMessageBox.Discard)
    write_user_config(helper_server.base_url)
    args = app.parse_args(["--provider", "ollama", "--model", "nk-build"])
    win, panel = app.build(args, helper_worker)
    qtbot.addWidget(win)
    win.show()
    qtbot.waitExposed(win)
    yield win
    if win.controller.preview is not None:
        win.controller.preview.reject()
    panel.shutdown()


def select(win: Any, qtbot: Any, name: str) -> None:
    """Click the node's tile in the node graph, as the artist does."""
    view = win.graph.view
    item = view.tile_items()[name]
    view.centerOn(item)
    qtbot.mouseClick(view.viewport(), QtCore.Qt.LeftButton,
                     pos=view.mapFromScene(item.sceneBoundingRect().center()))


def open_build_preview(window: Any, qtbot: Any) -> Any:
    window.panel.prompt.setPlainText(BUILD)
    with qtbot.waitSignal(window.controller.previewOpened, timeout=WAIT_MS) as opened:
        assert window.panel.send()
    qtbot.waitUntil(lambda: not window.panel.streaming, timeout=WAIT_MS)
    return opened.args[0]


def test_build_previews_in_the_graph_applies_as_one_undo_step_and_undo_restores(window, qtbot):
    host = window.host
    view = window.graph.view
    select(window, qtbot, "Despill_green")
    assert [n.name for n in host.selected_nodes()] == ["Despill_green"]
    before = host.to_text()
    nodes_before = set(view.tile_items())

    dialog = open_build_preview(window, qtbot)
    assert host.to_text() == before, "the graph changed before the artist confirmed"
    assert dialog.findChild(QtWidgets.QWidget, "previewNodes") is not None
    proposed = dialog.action().preview
    assert [g.name for g in view.ghost_tiles()] == [n.name for n in proposed.nodes]
    assert {(w.wire.source, w.wire.target) for w in view.ghost_wires()} == {
        (source.replace(" (selected)", ""), target) for source, target, _ in proposed.connections}
    assert ("Despill_green", "HueCorrect_despill") in {
        (w.wire.source, w.wire.target) for w in view.ghost_wires()}
    assert set(view.tile_items()) == nodes_before, "ghosts are not part of the comp"
    assert {n.name for n in host.all_nodes()} == nodes_before

    apply_button = dialog.findChild(QtWidgets.QPushButton, "applyButton")
    with qtbot.waitSignal(window.controller.outcomeReady, timeout=WAIT_MS) as done:
        qtbot.mouseClick(apply_button, QtCore.Qt.LeftButton)
    outcome = done.args[0]
    assert outcome.ok and outcome.created
    assert view.ghost_tiles() == [] and view.ghost_wires() == []
    assert set(view.tile_items()) == nodes_before | set(outcome.created)
    assert len(host.undo_names()) == 1, "applied as more than one undo step"
    wired = [n.name for n in host.all_nodes()
             if n.name in outcome.created and "Despill_green" in n.inputs]
    assert wired, "the pasted nodes were not wired to the selected node"
    assert window.windowTitle().endswith("*"), "the comp is modified"

    assert window.undo() == host.redo_names()[-1]
    assert host.to_text() == before, "undo did not restore the graph exactly"
    assert set(view.tile_items()) == nodes_before
    assert not window.windowTitle().endswith("*"), "undone back to the opened comp"
    window.redo()
    assert set(outcome.created) <= set(view.tile_items())


def test_cancelling_a_build_preview_takes_its_ghosts_away(window, qtbot):
    host = window.host
    select(window, qtbot, "Despill_green")
    before = host.to_text()
    dialog = open_build_preview(window, qtbot)
    assert len(window.graph.view.ghost_tiles()) == 3
    dialog.findChild(QtWidgets.QPushButton, "cancelButton").click()
    assert window.graph.view.ghost_tiles() == [] and window.graph.view.ghost_wires() == []
    assert host.to_text() == before


def test_open_script_switches_the_comp_and_a_bad_file_changes_nothing(window, qtbot, tmp_path,
                                                                      monkeypatch):
    good = tmp_path / "small.nk"
    good.write_text("Root {\n inputs 0\n}\nConstant {\n inputs 0\n name Const1\n}\n"
                    "Blur {\n name Blur1\n}\n", encoding="utf-8")
    assert window.open_script(str(good))
    assert list(window.graph.view.tile_items()) == ["Const1", "Blur1"]
    assert window.panel.host.path == str(good)
    assert window.graph.host is window.panel.host
    warnings = []
    monkeypatch.setattr(QtWidgets.QMessageBox, "warning",
                        lambda *args, **kw: warnings.append(args[2]))
    assert not window.open_script(str(tmp_path / "missing.nk"))
    assert warnings and "missing.nk" in warnings[0]
    assert list(window.graph.view.tile_items()) == ["Const1", "Blur1"]


def test_bad_script_argument_exits_2(tmp_path, capsys):
    assert app.main(["--script", str(tmp_path / "nope.nk")]) == 2
    assert "error: config: cannot open" in capsys.readouterr().err
