"""Stop in the panel at the edges of an agent turn: while an approved write is being applied
(it lands, so it is counted, shown applied and undoable with "Undo this turn"), and after
the model's answer arrived but before the main thread handled it (no tool runs)."""

from __future__ import annotations

from typing import Any

import pytest

pytest.importorskip("Qt", reason="needs a Qt binding (the Qt legs run this)")

from nuke_ai_panel import errors  # noqa: E402
from nuke_ai_panel.agent.loop import ModelItem  # noqa: E402
from nuke_ai_panel.session import ChatSession  # noqa: E402
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
    original = ChatSession._deliver_loop
    pressed = []

    def stop_first(session: ChatSession, turn: Any, port: Any, item: Any) -> None:
        """The first answer has arrived and waits in the main thread's queue; the artist's
        Stop is handled first (the main thread was busy elsewhere meanwhile)."""
        if (not pressed and isinstance(item, ModelItem) and item.call == 1
                and getattr(item.event, "type", "") == "done"):
            panel.stop()
            pressed.append(True)
        original(session, turn, port, item)

    monkeypatch.setattr(ChatSession, "_deliver_loop", stop_first)
    turn = send(panel)
    qtbot.waitUntil(lambda: bool(pressed), timeout=WAIT_MS)
    wait_end(panel, qtbot)
    assert turn.error is not None and turn.error.kind == errors.CANCELLED
    assert turn.error.message == "Stopped before its tool calls ran"
    assert turn.loop._call == 1 and not panel.agent.steps
    assert "Looking at the grades first." in turn.answer.text
    assert host.to_text() == before
