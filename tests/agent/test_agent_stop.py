"""Stop at the edges of an agent turn, and what "Undo this turn" marks, through a real chat
session against the scripted OpenAI protocol server: an answer that arrived but was not
handled when Stop came ends the turn ``cancelled`` with its text, its calls never run; Stop
while an approved write is being applied waits for it, so it is counted, recorded and
undoable; after a partial undo only the steps really undone are marked, even when an
earlier step has the same undo group name."""

from __future__ import annotations

from typing import Iterator

import pytest
from agent_hosts import SMALL_COMP
from loop_helpers import (Events, Held, Holding, SlowPaste, requests_to, target, wait_turn,
                          wait_until)

from nuke_ai_panel import errors
from nuke_ai_panel.agent.approval import ApproveAll
from nuke_ai_panel.agent.loop import ModelEnded, ModelItem
from nuke_ai_panel.agent.setup import AgentOptions
from nuke_ai_panel.graph.script_host import ScriptHost
from nuke_ai_panel.session import ChatSession, direct_dispatcher
from tests.protocol_servers import ProtocolServer
from tests.protocol_servers.agent_scripts import TEXT_CALL

FIRST_TEXT = "I'll look at the Grade nodes first."  # agent-blur's first answer, with a call


@pytest.fixture(scope="module")
def openai() -> Iterator[ProtocolServer]:
    with ProtocolServer("openai") as server:
        yield server


def small() -> ScriptHost:
    host = ScriptHost.from_text(SMALL_COMP)
    host.select([])
    return host


def is_done(item: object) -> bool:
    return isinstance(item, ModelItem) and item.event.type == "done"


@pytest.mark.parametrize("model,text,said", [
    ("agent-blur:stop-late", FIRST_TEXT, "Stopped before its tool calls ran"),
    ("agent-text-call:stop-late", TEXT_CALL, "Stopped as the answer arrived"),
], ids=["with-calls", "text-only"])
def test_stop_after_the_answer_arrived_but_before_it_was_handled(private_worker, openai, model,
                                                                 text, said):
    held = Held()
    host = small()
    before = host.to_text()
    session = ChatSession(private_worker, held, save_history=False)
    events = Events(session)
    turn = session.send_agent("Add a blur", target(openai, "openai", model), host,
                              ApproveAll(), AgentOptions())
    held.deliver_until(is_done)  # the text is shown; the finished answer waits in the queue
    held.wait_for(lambda item: isinstance(item, ModelEnded))  # the stream is over
    assert session.stop()
    held.deliver_all()
    assert turn.wait(5) and not session.in_flight
    assert turn.error is not None and turn.error.kind == errors.CANCELLED
    assert turn.error.message == said and turn.finish is None
    assert turn.answer.text == text and turn.answer.status == "stopped"
    assert not events.of("tool_call") and events.types()[-1] == "agent_done"
    done = events.of("agent_done")[0]
    assert (done.steps, done.applied, done.rejected) == (0, 0, 0)
    assert len(requests_to(openai, model)) == 1  # nothing more was sent
    assert host.to_text() == before and host.undo_names() == []
    session.close()


def test_stop_while_an_approved_write_is_applied_counts_and_records_it(private_worker, openai):
    inner = small()
    before = inner.to_text()
    host = SlowPaste(inner)
    model = "agent-blur:stop-apply"
    session = ChatSession(private_worker, direct_dispatcher, save_history=False)
    events = Events(session)
    turn = session.send_agent("Add a blur", target(openai, "openai", model), host,
                              ApproveAll(), AgentOptions())
    assert host.pasting.wait(30)
    assert session.stop()
    assert session.in_flight  # the turn waits for the write that is landing
    host.release.set()
    wait_turn(turn)
    assert turn.error is not None and turn.error.kind == errors.CANCELLED
    assert turn.error.message == "Stopped after applying 'AI: create Blur1'"
    assert turn.answer.text == FIRST_TEXT
    call = events.of("tool_call")[-1]
    result = events.of("tool_result")[-1]
    assert call.name == "create_nodes" and result.id == call.id and result.ok
    assert [s.name for s in turn.answer.steps] == ["AI: create Blur1"]
    assert events.types()[-1] == "agent_done"
    done = events.of("agent_done")[0]
    assert (done.steps, done.applied, done.rejected) == (1, 1, 0)
    assert len(requests_to(openai, model)) == 2  # no call after Stop
    assert inner.undo_names() == ["AI: create Blur1"]
    report = session.undo_turn()
    assert report.ok and report.undone == ["AI: create Blur1"]
    assert inner.to_text() == before and turn.answer.steps[0].undone
    session.close()


def test_a_partial_undo_marks_only_the_steps_it_undid(private_worker, openai):
    host = small()
    approver = Holding()
    session = ChatSession(private_worker, direct_dispatcher, save_history=False)
    turn = session.send_agent("Grade it", target(openai, "openai", "agent-same-knob-twice"),
                              host, approver, AgentOptions())
    assert approver.asked.wait(30)
    approver.requests[0].decide(True)
    wait_until(lambda: len(approver.requests) == 2)
    host.set_knob("Read1", "first", 5)  # the artist, between the turn's two writes
    approver.requests[1].decide(True)
    wait_turn(turn)
    assert turn.finish is not None
    title = "AI: set Grade1.gamma"
    assert host.undo_names() == [title, "Set first", title]
    assert [s.name for s in turn.answer.steps] == [title, title]
    report = session.undo_turn()
    assert not report.ok and report.undone == [title] and report.left == [title]
    assert [s.undone for s in turn.answer.steps] == [False, True]
    assert host.undo_names() == [title, "Set first"]
    session.close()
