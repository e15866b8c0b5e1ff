"""The agent loop through a real chat session, against scripted protocol servers: calls in
order with their ids, failed calls told to the model, Ask mode, the result budget, the step
limit and its summing-up call, the lint repair round, Stop at every point, the loop on
ScriptHost and on the ``nuke`` stand-in (undo groups counted), and no change to the comp
without approval, for every write tool."""

from __future__ import annotations

import json
from typing import Any, Iterator

import pytest
from agent_hosts import EXAMPLE, SMALL_COMP, make_backend
from loop_helpers import (Events, Holding, SlowHost, requests_to, run_agent, target, wait_turn,
                          wait_until)

from nuke_ai_panel import errors
from nuke_ai_panel.agent.approval import ApproveAll, RejectAll
from nuke_ai_panel.agent.setup import SUM_UP, AgentOptions
from nuke_ai_panel.graph.script_host import ScriptHost
from nuke_ai_panel.session import ChatSession, direct_dispatcher
from tests.protocol_servers import ProtocolServer
from tests.protocol_servers.agent_scripts import SUMMARY, TEXT_CALL, WRITES

READS = ["get_script_info", "list_nodes", "read_nodes", "find_errors", "node_class_info"]


@pytest.fixture(scope="module")
def openai() -> Iterator[ProtocolServer]:
    with ProtocolServer("openai") as server:
        yield server


@pytest.fixture(scope="module")
def ollama() -> Iterator[ProtocolServer]:
    with ProtocolServer("ollama") as server:
        yield server


def small() -> ScriptHost:
    host = ScriptHost.from_text(SMALL_COMP)
    host.select([])
    return host


def tool_messages(request: Any) -> list:
    return [m for m in request.json_body["messages"] if m["role"] == "tool"]


def test_two_calls_in_one_answer_run_in_order_and_go_back_with_their_ids(private_worker, openai):
    _, turn, events = run_agent(private_worker, openai, "openai", "agent-two-calls:a", small())
    assert turn.finish is not None and turn.answer.text.endswith("Two results: 2.")
    calls = events.of("tool_call")
    assert [(c.id, c.name) for c in calls] == [("call_srv0", "list_nodes"),
                                               ("call_srv1", "get_script_info")]
    assert [r.id for r in events.of("tool_result")] == ["call_srv0", "call_srv1"]
    second = requests_to(openai, "agent-two-calls:a")[1]
    assistant = [m for m in second.json_body["messages"] if m.get("tool_calls")][0]
    assert [c["id"] for c in assistant["tool_calls"]] == ["call_srv0", "call_srv1"]
    assert [m["tool_call_id"] for m in tool_messages(second)] == ["call_srv0", "call_srv1"]
    assert json.loads(tool_messages(second)[0]["content"])["shown"] == 2
    types = events.types()
    assert types[-1] == "agent_done" and types.count("start") == 2 == types.count("done")
    assert types.index("tool_call") > types.index("done")
    done = events.of("agent_done")[0]
    assert (done.steps, done.applied, done.rejected, done.limit_reached) == (1, 0, 0, False)


def test_the_full_result_of_each_call_can_be_read_back_by_its_id(private_worker, openai):
    _, turn, events = run_agent(private_worker, openai, "openai", "agent-blur:output", small())
    calls = events.of("tool_call")
    first = turn.loop.output(calls[0].id)
    assert first is not None and first.name == "list_nodes" and "Grade1" in first.content
    assert turn.loop.output(calls[1].id).content.startswith("Created 1 node(s)")
    assert turn.loop.output("no-such-call") is None


@pytest.mark.parametrize("model,words", [
    ("agent-unknown-tool", ["There is no tool called 'make_coffee'", "The tools are:"]),
    ("agent-bad-json", ["Invalid arguments for list_nodes", "Nothing was run"]),
])
def test_failed_calls_go_back_to_the_model_and_the_turn_goes_on(private_worker, openai, model,
                                                                words):
    host = small()
    before = host.to_text()
    _, turn, events = run_agent(private_worker, openai, "openai", model, host)
    assert turn.finish is not None
    result = events.of("tool_result")[0]
    assert not result.ok
    content = tool_messages(requests_to(openai, model)[1])[0]["content"]
    assert all(w in content for w in words), content
    assert host.to_text() == before


def test_ask_mode_offers_reads_only_and_a_write_call_is_refused(private_worker, openai):
    host = small()
    before = host.to_text()
    approver = Holding()
    _, turn, events = run_agent(private_worker, openai, "openai", "agent-blur:ask", host,
                                approver, mode="ask")
    first = requests_to(openai, "agent-blur:ask")[0].json_body
    assert [t["function"]["name"] for t in first["tools"]] == READS
    assert "Ask mode" in first["messages"][0]["content"]
    refused = tool_messages(requests_to(openai, "agent-blur:ask")[2])[1]["content"]
    assert "Not run" in refused and "Ask mode" in refused
    assert approver.requests == [] and host.to_text() == before and host.undo_names() == []
    assert turn.finish is not None and not events.of("approval")


def test_a_result_over_the_budget_is_cut_with_a_note(private_worker, openai):
    host = ScriptHost.from_file(str(EXAMPLE))
    _, turn, events = run_agent(private_worker, openai, "openai", "agent-read-big", host,
                                budget=1000)
    content = tool_messages(requests_to(openai, "agent-read-big")[1])[0]["content"]
    listing = json.loads(content)
    assert len(content) <= 1000 and listing["matching"] == 19 > listing["shown"]
    assert "not shown (the result size budget)" in listing["more"]
    assert turn.finish is not None


@pytest.mark.parametrize("model,ids", [("agent-no-ids", ["call_1", "call_2"]),
                                       ("agent-same-ids", ["call_srv7", "call_1"])])
def test_missing_or_repeated_ids_are_made_unique_and_used_both_ways(private_worker, openai,
                                                                   model, ids):
    _, turn, events = run_agent(private_worker, openai, "openai", model, small())
    assert [c.id for c in events.of("tool_call")] == ids
    second = requests_to(openai, model)[1].json_body["messages"]
    assistant = next(m for m in second if m.get("tool_calls"))
    assert [c["id"] for c in assistant["tool_calls"]] == ids
    assert [m["tool_call_id"] for m in second if m["role"] == "tool"] == ids


def test_a_tool_call_written_as_text_never_runs(private_worker, openai):
    host = small()
    before = host.to_text()
    approver = Holding()
    _, turn, events = run_agent(private_worker, openai, "openai", "agent-text-call", host,
                                approver)
    assert turn.finish is not None and turn.answer.text == TEXT_CALL
    assert not events.of("tool_call") and approver.requests == []
    assert host.to_text() == before and len(requests_to(openai, "agent-text-call")) == 1


def test_the_step_limit_ends_with_one_call_without_tools_to_sum_up(private_worker, openai):
    _, turn, events = run_agent(private_worker, openai, "openai", "agent-forever", small(),
                                max_steps=2)
    sent = [r.json_body for r in requests_to(openai, "agent-forever")]
    assert len(sent) == 3
    assert [b.get("tool_choice") for b in sent] == [None, None, "none"]
    assert sent[2]["tools"] and SUM_UP in sent[2]["messages"][0]["content"]
    assert turn.finish is not None and turn.answer.text.endswith(SUMMARY)
    done = events.of("agent_done")[0]
    assert done.limit_reached and done.steps == 2 and events.types()[-1] == "agent_done"


def test_a_lint_finding_goes_back_once_and_the_fixed_write_is_proposed(private_worker, openai):
    host = small()
    approver = Holding()
    session = ChatSession(private_worker, direct_dispatcher, save_history=False)
    turn = session.send_agent("Fix the white point", target(openai, "openai",
                                                            "agent-repair-fixed"),
                              host, approver, AgentOptions())
    assert approver.asked.wait(30)
    proposal = approver.requests[0].proposal
    assert proposal.findings == () and "whitepoint 0.9" in approver.requests[0].preview
    sent = requests_to(openai, "agent-repair-fixed")
    repair = tool_messages(sent[1])[0]["content"]
    assert "Grade_fix: unknown knob whitepoint_r (did you mean whitepoint?)" in repair
    approver.requests[0].decide(True)
    wait_turn(turn)
    assert host.script.node("Grade_fix").knobs["whitepoint"] == "0.9"
    assert host.undo_names() == ["AI: create Grade_fix"]
    session.close()


def test_a_finding_left_after_the_repair_round_is_in_the_preview(private_worker, openai):
    host = small()
    before = host.to_text()
    approver = Holding()
    session = ChatSession(private_worker, direct_dispatcher, save_history=False)
    turn = session.send_agent("Fix it", target(openai, "openai", "agent-repair-stubborn"),
                              host, approver, AgentOptions())
    assert approver.asked.wait(30)
    approval = approver.requests[0]
    assert "Problems found by the check:" in approval.preview
    assert "unknown knob whitepoint_r (did you mean whitepoint?)" in approval.preview
    assert len(requests_to(openai, "agent-repair-stubborn")) == 2  # exactly one repair round
    approval.decide(False, "not like that")
    wait_turn(turn)
    last = tool_messages(requests_to(openai, "agent-repair-stubborn")[2])
    assert last[-1]["content"] == "the user rejected this change: not like that"
    assert host.to_text() == before
    session.close()


def test_approve_all_remaining_applies_the_later_writes_without_asking(private_worker, openai):
    host = small()
    approver = Holding()
    session = ChatSession(private_worker, direct_dispatcher, save_history=False)
    events = Events(session)
    turn = session.send_agent("Blur it", target(openai, "openai", "agent-two-writes"), host,
                              approver, AgentOptions())
    assert approver.asked.wait(30)
    approver.requests[0].decide(True, all_remaining=True)
    wait_turn(turn)
    assert len(approver.requests) == 1
    assert host.undo_names() == ["AI: create Blur1", "AI: set Blur1.size"]
    assert [a.approved for a in events.of("approval")] == [True, True]
    assert [s.name for s in turn.answer.steps] == host.undo_names()
    session.close()


def test_stop_during_a_tool_call_ends_the_turn_and_drops_the_late_result(private_worker,
                                                                         openai):
    host = SlowHost(small())
    session = ChatSession(private_worker, direct_dispatcher, save_history=False)
    events = Events(session)
    turn = session.send_agent("Add a blur", target(openai, "openai", "agent-blur:stop-tool"),
                              host, ApproveAll(), AgentOptions())
    assert host.reading.wait(30)
    assert session.stop()
    wait_turn(turn, timeout=5)  # ends while the tool is still running
    assert turn.error is not None and turn.error.kind == errors.CANCELLED
    assert "while a tool was running" in turn.error.message
    assert events.types()[-1] == "agent_done" and not events.of("tool_result")
    host.release.set()
    wait_until(lambda: not session.tool_runner().busy)
    assert len(requests_to(openai, "agent-blur:stop-tool")) == 1  # nothing more was sent
    assert not session.in_flight and host.undo_names() == []
    session.close()


def test_stop_during_an_approval_wait_counts_as_rejected(private_worker, openai):
    host = small()
    before = host.to_text()
    approver = Holding()
    session = ChatSession(private_worker, direct_dispatcher, save_history=False)
    events = Events(session)
    turn = session.send_agent("Add a blur", target(openai, "openai", "agent-blur:stop-ask"),
                              host, approver, AgentOptions())
    assert approver.asked.wait(30)
    session.stop()
    wait_turn(turn, timeout=5)
    assert approver.withdrawn == approver.requests
    assert turn.error.kind == errors.CANCELLED and "approval" in turn.error.message
    call = approver.requests[0].call_id
    assert events.of("approval")[-1].id == call and not events.of("approval")[-1].approved
    result = events.of("tool_result")[-1]
    assert result.id == call and not result.ok
    assert events.of("agent_done")[0].rejected == 1 and events.types()[-1] == "agent_done"
    approver.requests[0].decide(True)  # too late: nothing happens
    wait_until(lambda: not session.tool_runner().busy)
    assert host.to_text() == before and host.undo_names() == []
    assert len(requests_to(openai, "agent-blur:stop-ask")) == 2
    session.close()


def test_stop_during_a_model_call_closes_the_connection(private_worker, openai):
    session = ChatSession(private_worker, direct_dispatcher, save_history=False)
    events = Events(session)
    before = openai.disconnects
    turn = session.send_agent("Add a blur", target(openai, "openai", "stall-mid"), small(),
                              ApproveAll(), AgentOptions())
    events.wait_for(lambda e: e.type == "delta")
    session.stop()
    wait_turn(turn, timeout=5)
    assert turn.error.kind == errors.CANCELLED and turn.answer.text
    assert openai.wait_for_disconnect(5, count=before + 1)
    assert events.types()[-1] == "agent_done"
    session.close()


def test_a_model_without_tools_is_told_before_anything_is_sent(private_worker, ollama):
    _, turn, events = run_agent(private_worker, ollama, "ollama", "no-tools-q", small())
    assert turn.error.kind == errors.BAD_REQUEST
    assert "does not support tools" in turn.error.message and "one-shot helpers" in \
        turn.error.hint
    assert not [r for r in ollama.requests if r.path == "/api/chat" and
                r.json_body.get("model") == "no-tools-q"]
    assert events.types() == ["start", "error", "agent_done"]


@pytest.mark.parametrize("kind", ["script", "nuke"])
def test_the_loop_on_both_hosts_one_undo_group_and_undo_this_turn(private_worker, openai,
                                                                  monkeypatch, kind):
    backend = make_backend(kind, SMALL_COMP, monkeypatch)
    before = backend.text()
    session, turn, events = run_agent(private_worker, openai, "openai",
                                      f"agent-blur:{kind}", backend.host, fake=backend.fake)
    assert turn.finish is not None and turn.answer.text.endswith("Added Blur1 after Grade1.")
    assert backend.inputs("Blur1") == ["Grade1"]
    assert backend.undo_names() == ["AI: create Blur1"]
    if backend.fake is not None:
        assert backend.fake.Undo.undoSize() == 1
    assert [s.name for s in turn.answer.steps] == ["AI: create Blur1"]
    report = session.undo_turn()
    assert report.ok and report.undone == ["AI: create Blur1"]
    assert backend.text() == before and turn.answer.steps[0].undone
    if backend.fake is not None:
        assert backend.fake.Undo.undoSize() == 0
    session.close()


@pytest.mark.parametrize("kind", ["script", "nuke"])
@pytest.mark.parametrize("tool", sorted(WRITES))
def test_nothing_changes_the_comp_without_approval(private_worker, openai, monkeypatch, kind,
                                                   tool):
    model = f"agent-write-{tool}"
    rejected = make_backend(kind, SMALL_COMP, monkeypatch)
    before = rejected.text()
    _, turn, events = run_agent(private_worker, openai, "openai", f"{model}:no-{kind}",
                                rejected.host, RejectAll(), fake=rejected.fake)
    assert [a.approved for a in events.of("approval")] == [False]
    assert rejected.text() == before and rejected.undo_names() == []
    assert "the user rejected this change" in tool_messages(
        requests_to(openai, f"{model}:no-{kind}")[1])[0]["content"]
    approved = make_backend(kind, SMALL_COMP, monkeypatch)  # the same call, approved, writes
    run_agent(private_worker, openai, "openai", f"{model}:yes-{kind}", approved.host,
              ApproveAll(), fake=approved.fake)
    assert approved.text() != before and len(approved.undo_names()) == 1
