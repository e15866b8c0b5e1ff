"""The helpers as an artist meets them: what a preview says before Apply (why Apply is off,
the /expr values), what the transcript says after ("Applied as one undo step", "(undone)"
once Edit > Undo took it back), and helpers that say why they send nothing."""

from __future__ import annotations

import json
import math
from typing import Any

import pytest

pytest.importorskip("Qt", reason="needs a Qt binding (PySide6 or PySide2)")

from Qt import QtCore, QtWidgets  # noqa: E402

from nuke_ai_panel import paths  # noqa: E402
from src.ui import app  # noqa: E402
from tests.assist_qt.conftest import WAIT_MS, write_user_config  # noqa: E402
from tests.assist_qt.test_assist_panel import (chat_bodies, comp, run_command,  # noqa: E402
                                               visible)

pytestmark = pytest.mark.qt

BUILD = "/build despill + edge blur"
TITLE = "AI: build despill + edge blur"
APPLIED = f"Applied as one undo step, \u201c{TITLE}\u201d: created HueCorrect_despill"


def apply(qtbot: Any, controller: Any, dialog: Any) -> Any:
    with qtbot.waitSignal(controller.outcomeReady, timeout=WAIT_MS) as done:
        qtbot.mouseClick(dialog.apply_button, QtCore.Qt.LeftButton)
    return done.args[0]


def saved_steps(panel: Any) -> Any:
    path = paths.history_dir() / f"{panel.conversation.id}.json"
    data = json.loads(path.read_text(encoding="utf-8"))
    return [m.get("steps") for m in data["messages"] if m["role"] == "assistant"]


# -- before Apply ----------------------------------------------------------------------------


def test_a_blocked_apply_says_why_on_its_row(make_assist_panel, qtbot) -> None:
    panel, controller = make_assist_panel(comp(), allow_code_execution=False)
    dialog = run_command(panel, controller, qtbot, "py-ok", "/script add a grade")
    assert not dialog.apply_button.isEnabled()
    reason = dialog.findChild(QtWidgets.QLabel, "applyBlockedLabel")
    assert reason.isVisible()
    assert reason.text() == ("Running code from the assistant is turned off in Settings "
                             "(\u201cLet the assistant's code run in Nuke\u201d).")
    row = reason.geometry()
    assert row.top() < dialog.apply_button.geometry().bottom() and \
        row.bottom() > dialog.apply_button.geometry().top(), "on the button's row"
    assert dialog.apply_button.toolTip().startswith("Apply is off: ")


def test_an_allowed_apply_has_no_reason_shown(make_assist_panel, qtbot) -> None:
    panel, controller = make_assist_panel(comp("Grade_fg"))
    dialog = run_command(panel, controller, qtbot, "nk-build", BUILD)
    assert dialog.apply_button.isEnabled()
    assert not dialog.findChild(QtWidgets.QLabel, "applyBlockedLabel").isVisible()
    note = dialog.findChild(QtWidgets.QLabel, "previewUndoNote").text()
    assert note.startswith("Apply makes it one undo step"), "said as what will happen"


def test_expr_preview_shows_the_value_now_and_at_the_first_and_last_frame(
        make_assist_panel, qtbot) -> None:
    panel, controller = make_assist_panel(comp())
    dialog = run_command(panel, controller, qtbot, "expr", "/expr Blur_bgDefocus.size breathe")
    values = dialog.findChild(QtWidgets.QLabel, "expressionValues")
    assert values is not None and values.isVisible()
    first, last = (f"{math.sin(f / 8) * 4 + 6:.6g}" for f in (1001, 1100))
    assert values.text() == (f"Now: 3\nWith the expression: {first} at frame 1001, "
                             f"{last} at frame 1100")
    dialog.expression_edit.setText("frame - 1000")
    qtbot.waitUntil(lambda: "1 at frame 1001, 100 at frame 1100" in values.text(),
                    timeout=WAIT_MS)
    dialog.expression_edit.setText("[value Blur_bgDefocus.size]")
    qtbot.waitUntil(lambda: "Cannot be evaluated outside Nuke" in values.text(),
                    timeout=WAIT_MS)


# -- after Apply -----------------------------------------------------------------------------


def test_applied_then_undone_is_said_in_the_transcript_and_saved(make_assist_panel,
                                                                 qtbot) -> None:
    host = comp("Grade_fg")
    panel, controller = make_assist_panel(host)
    dialog = run_command(panel, controller, qtbot, "nk-build", BUILD)
    assert apply(qtbot, controller, dialog).ok
    assert APPLIED in visible(panel) and "(undone)" not in visible(panel)
    assert saved_steps(panel)[-1][0]["undone"] is False
    host.undo()
    qtbot.waitUntil(lambda: "(undone)" in visible(panel), timeout=WAIT_MS)
    assert APPLIED in visible(panel), "the step stays, marked"
    assert saved_steps(panel)[-1][0]["undone"] is True
    host.redo()
    qtbot.waitUntil(lambda: "(undone)" not in visible(panel), timeout=WAIT_MS)


def test_edit_undo_in_the_standalone_app_marks_the_step_at_once(qtbot, helper_worker,
                                                                helper_server,
                                                                monkeypatch) -> None:
    monkeypatch.setattr(QtWidgets.QMessageBox, "question",
                        lambda *args, **kwargs: QtWidgets.QMessageBox.Discard)
    write_user_config(helper_server.base_url)
    win, panel = app.build(app.parse_args(["--provider", "ollama", "--model", "nk-build"]),
                           helper_worker)
    qtbot.addWidget(win)
    win.show()
    win.host.select(["Grade_fg"])
    dialog = run_command(panel, win.controller, qtbot, "nk-build", BUILD)
    assert apply(qtbot, win.controller, dialog).ok
    win.undo()
    assert "(undone)" in visible(panel), "no need to wait for the poll"
    win.redo()
    assert "(undone)" not in visible(panel) and APPLIED in visible(panel)
    panel.shutdown()


# -- helpers that say why they send nothing --------------------------------------------------


def test_fix_with_no_node_in_error_says_so_and_sends_nothing(make_assist_panel, qtbot,
                                                             helper_server) -> None:
    host = comp()
    host.set_node_error("Read_plate", None)
    panel, controller = make_assist_panel(host)
    count = len(chat_bodies(helper_server))
    panel.prompt.setPlainText("/fix")
    assert not panel.send()
    assert "No node is in error, so there is nothing to fix; nothing was sent." in visible(panel)
    assert len(chat_bodies(helper_server)) == count and not panel.streaming


def test_explain_with_nothing_selected_says_the_whole_script(make_assist_panel, qtbot) -> None:
    panel, controller = make_assist_panel(comp())
    panel.set_model("echo")
    panel.prompt.setPlainText("/explain")
    assert panel.send()
    qtbot.waitUntil(lambda: not panel.streaming, timeout=WAIT_MS)
    assert "Nothing is selected, so this is about the whole script." in visible(panel)


def test_a_build_answered_with_python_opens_no_preview(make_assist_panel, qtbot) -> None:
    panel, controller = make_assist_panel(comp("Grade_fg"))
    panel.set_model("py-ok")
    panel.prompt.setPlainText("/build a grade")
    with qtbot.waitSignal(controller.actionProposed, timeout=WAIT_MS):
        assert panel.send()
    assert controller.preview is None
    assert "The answer has no nodes to create" in visible(panel)


def test_a_mistyped_command_keeps_its_text_and_suggests_the_nearest(make_assist_panel,
                                                                    helper_server) -> None:
    panel, controller = make_assist_panel(comp())
    count = len(chat_bodies(helper_server))
    panel.prompt.setPlainText("/bulid a despill and edge blur")
    assert not panel.send()
    assert panel.prompt.toPlainText() == "/bulid a despill and edge blur"
    assert "Unknown command /bulid. Did you mean /build?" in visible(panel)
    assert len(chat_bodies(helper_server)) == count
