"""A /build answer with a knob Nuke does not have: one automatic repair round with the model
before the preview, and what is left shown in the preview (DESIGN section 12).

``nk-repaired`` answers with ``Grade { whitepoint_r 0.9 }`` first and fixes it on its second
request; ``nk-invented`` never does. Each test uses its own model tag, so the server's
per-model request count starts afresh.
"""

from __future__ import annotations

from typing import Any

import pytest

pytest.importorskip("Qt", reason="needs a Qt binding (the Qt legs run this)")

from Qt import QtWidgets  # noqa: E402

from tests.assist_qt.test_assist_panel import button, chat_bodies, comp, run_command  # noqa: E402

BUILD = "/build lift the whites"


def last_user_text(body: Any) -> str:
    return body["messages"][-1]["content"]


def test_a_finding_the_model_fixes_never_reaches_the_preview(make_assist_panel, qtbot,
                                                            helper_server) -> None:
    host = comp("Grade_fg")
    before = host.to_text()
    panel, controller = make_assist_panel(host)
    seen = len(chat_bodies(helper_server))
    dialog = run_command(panel, controller, qtbot, "nk-repaired:fixes", BUILD)
    bodies = chat_bodies(helper_server)[seen:]
    assert len(bodies) == 2, "one answer, then exactly one repair round"
    repair = last_user_text(bodies[1])
    assert "Grade_lift: this node has no knob named whitepoint_r (did you mean whitepoint?)" \
        in repair
    assert "whitepoint_r" in repair and "ONE corrected ```nk block" in repair
    assert dialog.findChild(QtWidgets.QListWidget, "previewFindings") is None
    assert "whitepoint 0.9" in dialog.action().snippet
    assert button(dialog, "applyButton").isEnabled()
    assert host.to_text() == before, "nothing changes before Apply"


def test_a_finding_left_after_the_repair_round_is_shown_in_the_preview(make_assist_panel, qtbot,
                                                                      helper_server) -> None:
    host = comp("Grade_fg")
    before = host.to_text()
    panel, controller = make_assist_panel(host)
    seen = len(chat_bodies(helper_server))
    dialog = run_command(panel, controller, qtbot, "nk-invented:stays", BUILD)
    assert len(chat_bodies(helper_server)[seen:]) == 2, "never more than one repair round"
    findings = dialog.findChild(QtWidgets.QListWidget, "previewFindings")
    assert findings is not None and findings.count() == 1
    assert findings.item(0).text() == \
        "Grade_lift: this node has no knob named whitepoint_r (did you mean whitepoint?)"
    label = dialog.findChild(QtWidgets.QLabel, "previewFindingsLabel")
    assert label is not None and "Not in Nuke's node classes (1)" in label.text()
    assert host.to_text() == before, "nothing changes before Apply"
    shown = panel.transcript.toPlainText()
    assert "Fix what Nuke does not have: Grade_lift: this node has no knob named whitepoint_r" \
        in shown
    assert "unknown_knob" not in shown, "no internal kind id in the GUI"
