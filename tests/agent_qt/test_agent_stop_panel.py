"""Stop in the panel at the edges of an agent turn: while an approved write is being applied
(it lands, so it is counted, shown applied and undoable with "Undo this turn"), and after
the model's answer arrived but before the main thread handled it (no tool runs)."""

from __future__ import annotations

import time

import pytest

pytest.importorskip("Qt", reason="needs a Qt binding (the Qt legs run this)")

from nuke_ai_panel import errors  # noqa: E402
from nuke_ai_panel.agent.loop import AgentLoop  # noqa: E402
from tests.agent.loop_helpers import SlowPaste  # noqa: E402
from tests.agent_qt.conftest import WAIT_MS, example_host, send  # noqa: E402
from tests.agent_qt.test_agent_panel import CREATE, click, wait_card, wait_end  # noqa: E402


def test_stop_while_an_approved_write_is_applied_keeps_it_undoable(make_panel, qtbot):
    inner = example_host()
    before = inner.to_text()
    host = SlowPaste(inner)
    panel = make_panel("agent-comp-edits:stop", host=host)
    turn = send(panel)
    click(qtbot, wait_card(panel, qtbot), "applyButton")
    qtbot.waitUntil(host.pasting.is_set, timeout=WAIT_MS)
    panel.stop()
    host.release.set()
    wait_end(panel, qtbot)
    assert turn.error is not None and turn.error.kind == errors.CANCELLED
    assert turn.error.message == f"Stopped after applying '{CREATE}'"
    assert [s.name for s in turn.answer.steps] == [CREATE]
    assert (turn.loop.applied, turn.loop.rejected) == (1, 0)
    assert inner.undo_names() == [CREATE]
    assert panel.undo_turn_button.isEnabled()
    panel.undo_turn_button.click()
    assert inner.to_text() == before and turn.answer.steps[0].undone


def test_stop_after_the_answer_arrived_runs_none_of_its_calls(make_panel, qtbot, monkeypatch):
    host = example_host()
    before = host.to_text()
    panel = make_panel("agent-comp-edits:stop", host=host)
    original = AgentLoop._model_call
    pressed = []

    def first_call_then_stop(loop: AgentLoop) -> None:
        original(loop)
        if loop._call != 1:
            return
        handle = loop._handle

        def busy_until_answered_then_stop() -> None:  # the main thread, busy elsewhere
            deadline = time.monotonic() + WAIT_MS / 1000
            while not handle.done():
                assert time.monotonic() < deadline, "the first answer never finished"
                time.sleep(0.01)
            panel.stop()  # handled before the answer that is already queued
            pressed.append(True)

        from Qt import QtCore
        QtCore.QTimer.singleShot(0, busy_until_answered_then_stop)

    monkeypatch.setattr(AgentLoop, "_model_call", first_call_then_stop)
    turn = send(panel)
    qtbot.waitUntil(lambda: bool(pressed), timeout=WAIT_MS)
    wait_end(panel, qtbot)
    assert turn.error is not None and turn.error.kind == errors.CANCELLED
    assert turn.error.message == "Stopped before its tool calls ran"
    assert turn.loop._call == 1 and not panel.agent.steps
    assert "Looking at the grades first." in turn.answer.text
    assert host.to_text() == before
