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
def window(qtbot: Any, helper_worker: Any, helper_server: Any) -> Any:
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


def select(win: Any, name: str) -> None:
    items = win.nodes.findItems(name, QtCore.Qt.MatchExactly, 0)
    assert items, name
    win.nodes.clearSelection()
    items[0].setSelected(True)


def test_build_previews_applies_as_one_undo_step_and_undo_restores_exactly(window, qtbot):
    host = window.host
    select(window, "Despill_green")
    assert [n.name for n in host.selected_nodes()] == ["Despill_green"]
    before = host.to_text()
    nodes_before = window.nodes.names()

    window.panel.prompt.setPlainText(BUILD)
    with qtbot.waitSignal(window.controller.previewOpened, timeout=WAIT_MS) as opened:
        assert window.panel.send()
    qtbot.waitUntil(lambda: not window.panel.streaming, timeout=WAIT_MS)
    dialog = opened.args[0]
    assert host.to_text() == before, "the graph changed before the artist confirmed"
    shown = dialog.findChild(QtWidgets.QWidget, "previewNodes")
    assert shown is not None

    apply_button = dialog.findChild(QtWidgets.QPushButton, "applyButton")
    with qtbot.waitSignal(window.controller.outcomeReady, timeout=WAIT_MS) as done:
        qtbot.mouseClick(apply_button, QtCore.Qt.LeftButton)
    outcome = done.args[0]
    assert outcome.ok and outcome.created
    assert set(outcome.created) <= set(window.nodes.names())
    assert len(window.nodes.names()) == len(nodes_before) + len(outcome.created)
    assert len(host.undo_names()) == 1, "applied as more than one undo step"
    wired = [n.name for n in host.all_nodes()
             if n.name in outcome.created and "Despill_green" in n.inputs]
    assert wired, "the pasted nodes were not wired to the selected node"

    assert window.undo() == host.redo_names()[-1]
    assert host.to_text() == before, "undo did not restore the graph exactly"
    assert window.nodes.names() == nodes_before
    window.redo()
    assert set(outcome.created) <= set(window.nodes.names())


def test_open_script_switches_the_comp_and_a_bad_file_changes_nothing(window, qtbot, tmp_path,
                                                                      monkeypatch):
    good = tmp_path / "small.nk"
    good.write_text("Root {\n inputs 0\n}\nConstant {\n inputs 0\n name Const1\n}\n"
                    "Blur {\n name Blur1\n}\n", encoding="utf-8")
    assert window.open_script(str(good))
    assert window.nodes.names() == ["Const1", "Blur1"]
    assert window.panel.host.path == str(good)
    warnings = []
    monkeypatch.setattr(QtWidgets.QMessageBox, "warning",
                        lambda *args, **kw: warnings.append(args[2]))
    assert not window.open_script(str(tmp_path / "missing.nk"))
    assert warnings and "missing.nk" in warnings[0]
    assert window.nodes.names() == ["Const1", "Blur1"]


def test_bad_script_argument_exits_2(tmp_path, capsys):
    assert app.main(["--script", str(tmp_path / "nope.nk")]) == 2
    assert "error: config: cannot open" in capsys.readouterr().err
