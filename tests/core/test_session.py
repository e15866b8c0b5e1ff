"""The chat session without Qt: text turns, errors, stop, retry, helper turns, history.

A real worker streams from the Ollama protocol server; events are delivered directly on the
loop thread (the command line's way) and the test waits on the turn with a deadline.
"""

from __future__ import annotations

import threading
from typing import Any, Iterator, List, Tuple

import pytest

from nuke_ai_panel import history
from nuke_ai_panel.events import DeltaEvent, DoneEvent, ErrorEvent, StartEvent, Usage
from nuke_ai_panel.history import COMPLETE, STOPPED, HistoryMessage
from nuke_ai_panel.session import (ChatSession, JobEnded, Listeners, Target, Turn,
                                   build_request, request_messages)
from nuke_ai_panel.settings import ChatRequest, Deadlines, Message, ProviderSettings, RetryPolicy
from nuke_ai_panel.worker import Worker
from tests.protocol_servers import ProtocolServer, build_scenario

WAIT = 10.0


@pytest.fixture(scope="module")
def server() -> Iterator[ProtocolServer]:
    with ProtocolServer("ollama", models=["echo"]) as srv:
        yield srv


@pytest.fixture
def worker(private_worker: Worker) -> Worker:
    return private_worker


class Seen:
    """Everything the session reported, with the thread it was reported on."""

    def __init__(self, session: ChatSession) -> None:
        self.started: List[Turn] = []
        self.events: List[Tuple[str, Any]] = []
        self.ended: List[Turn] = []
        self.threads = set()
        self.lock = threading.Lock()
        session.on_turn_started.add(self.started.append)
        session.on_event.add(self.on_event)
        session.on_turn_ended.add(self.on_ended)

    def on_event(self, turn: Turn, event: Any) -> None:
        with self.lock:
            self.events.append((event.type, event))
            self.threads.add(threading.current_thread().name)

    def on_ended(self, turn: Turn) -> None:
        self.ended.append(turn)

    def types(self) -> List[str]:
        with self.lock:
            return [kind for kind, _ in self.events]


def target(server: ProtocolServer, model: str, system: str = "Be brief.",
           idle: float = 10.0) -> Target:
    settings = ProviderSettings("ollama", server.base_url, model=model,
                                deadlines=Deadlines(first_token=10, idle=idle),
                                retry=RetryPolicy(max_retries=0))
    return Target(settings, system)


def chats(server: ProtocolServer) -> List[Any]:
    return [r.json_body for r in server.requests if r.path.endswith("/api/chat")]


def run(session: ChatSession, turn: Any) -> Turn:
    assert turn is not None
    assert turn.wait(WAIT), "the turn did not end"
    assert not session.in_flight
    return turn


# -- turns ----------------------------------------------------------------------------------


def test_a_text_turn_streams_into_the_answer_and_is_saved(server, worker) -> None:
    session = ChatSession(worker)
    seen = Seen(session)
    turn = session.send("hello there", target(server, "echo"))
    assert session.in_flight and session.turn is turn
    assert seen.started == [turn] and turn.user is session.conversation.messages[0]
    run(session, turn)
    expected = build_scenario("ollama", "echo", "hello there").text
    answer = turn.answer
    assert (answer.role, answer.text, answer.status, answer.model) == (
        "assistant", expected, COMPLETE, "echo")
    assert answer.tokens == turn.tokens > 1 and answer.ttft is not None and answer.duration
    assert seen.types()[0] == "start" and seen.types()[-1] == "done"
    deltas = [event for kind, event in seen.events if kind == "delta"]
    # direct delivery: every delta apart (each carries the text events of one network chunk)
    assert sum(delta.chunks for delta in deltas) == turn.tokens
    assert "".join(delta.text for delta in deltas) == expected
    assert seen.threads == {"private-test-loop"}, "direct delivery: on the loop thread"
    assert seen.ended == [turn] and turn.finish is not None and turn.error is None
    assert turn.saved and not turn.save_error
    saved, _ = history.load(session.conversation.id)
    assert [(m.role, m.text) for m in saved.messages] == [("user", "hello there"),
                                                          ("assistant", expected)]
    assert saved.provider == "ollama" and saved.model == "echo"
    assert saved.system_prompt == "Be brief."
    assert chats(server)[-1]["messages"] == [{"role": "system", "content": "Be brief."},
                                             {"role": "user", "content": "hello there"}]


def test_a_second_turn_carries_the_conversation(server, worker) -> None:
    session = ChatSession(worker, save_history=False)
    run(session, session.send("one", target(server, "echo")))
    run(session, session.send("two", target(server, "echo", system="")))
    assert chats(server)[-1]["messages"] == [
        {"role": "user", "content": "one"}, {"role": "assistant", "content": "Echo: one"},
        {"role": "user", "content": "two"}]
    assert history.list_conversations() == ([], [])
    assert session.last_request.messages[-1] == Message("user", "two")


def test_a_turn_in_flight_refuses_another(server, worker) -> None:
    session = ChatSession(worker)
    turn = session.send("wait for me", target(server, "slow-200"))
    assert session.send("second", target(server, "echo")) is None
    assert session.retry(target(server, "echo")) is None
    assert session.new() is False and session.delete() is False
    assert session.open("anything") == (None, None)
    assert [m.text for m in session.conversation.messages] == ["wait for me", ""]
    assert session.stop()
    run(session, turn)
    assert session.send("   ", target(server, "echo")) is None


def test_an_error_ends_the_turn_cut_off_with_the_servers_message(server, worker) -> None:
    session = ChatSession(worker)
    seen = Seen(session)
    turn = run(session, session.send("what now", target(server, "http-500")))
    assert turn.error is not None and turn.error.kind == "server"
    assert turn.answer.status == "cut off: server"
    assert turn.answer.error == turn.error.message and "HTTP 500" in turn.error.message
    assert turn.error.hint and seen.types()[-1] == "error"
    assert turn.saved


def test_partial_text_is_kept_when_the_stream_breaks(server, worker) -> None:
    session = ChatSession(worker)
    turn = run(session, session.send("please wait for me", target(server, "drop-mid")))
    assert turn.answer.status == "cut off: truncated"
    assert turn.answer.text == "Echo: plea" and turn.answer.tokens == 3


def test_stop_keeps_the_text_so_far(server, worker) -> None:
    session = ChatSession(worker)
    seen = Seen(session)
    three = threading.Event()
    session.on_event.add(lambda turn, _event: turn.tokens == 3 and three.set())
    turn = session.send("please wait for me", target(server, "stall-mid", idle=30))
    assert turn is not None and three.wait(WAIT)
    assert turn.answer.text == "Echo: plea"
    assert session.stop()
    run(session, turn)
    assert turn.answer.status == STOPPED and turn.answer.error == ""
    assert turn.answer.text == "Echo: plea" and turn.answer.tokens == 3
    assert turn.answer.ttft is not None
    assert seen.ended == [turn] and turn.error.kind == "cancelled"
    assert session.stop() is False


def test_stop_before_the_request_leaves_is_still_a_stopped_turn(server, worker) -> None:
    session = ChatSession(worker)
    turn = session.send("hi", target(server, "slow-200"))
    session.stop()
    run(session, turn)
    assert turn.answer.status == STOPPED and turn.answer.text == ""


def test_retry_resends_the_last_user_turn(server, worker) -> None:
    session = ChatSession(worker)
    run(session, session.send("what now", target(server, "http-500")))
    retried = run(session, session.retry(target(server, "echo", system="")))
    assert retried.user is None and retried.answer.text == "Echo: what now"
    assert [(m.role, m.text, m.status) for m in session.conversation.messages] == [
        ("user", "what now", COMPLETE), ("assistant", "", "cut off: server"),
        ("assistant", "Echo: what now", COMPLETE)]
    assert chats(server)[-1]["messages"] == [{"role": "user", "content": "what now"}]
    assert ChatSession(worker).retry(target(server, "echo")) is None


# -- helper turns ---------------------------------------------------------------------------


class Helper:
    """A helper prompt as the node-graph helpers make them (HelperRequest has this shape)."""

    def __init__(self, display: str, user: str, system: str) -> None:
        self.display, self.user, self.system = display, user, system

    def messages(self) -> List[Message]:
        return [Message("user", self.user)]


def test_a_helper_turn_shows_its_command_and_sends_its_own_request(server, worker) -> None:
    session = ChatSession(worker)
    run(session, session.send("earlier question", target(server, "echo")))
    helper = Helper("/explain", "<the graph>\n\nExplain these nodes.", "You are a Nuke TD.")
    turn = run(session, session.send_helper(helper, target(server, "echo")))
    assert turn.helper is helper and turn.user.text == "/explain"
    assert chats(server)[-1]["messages"] == [
        {"role": "system", "content": "You are a Nuke TD."},
        {"role": "user", "content": "<the graph>\n\nExplain these nodes."}]
    assert turn.answer.text == "Echo: <the graph>\n\nExplain these nodes."
    assert session.conversation.system_prompt == "Be brief."
    follow = run(session, session.send("and then?", target(server, "echo")))
    assert follow.helper is None
    assert [m["content"] for m in chats(server)[-1]["messages"]][-3:] == [
        "/explain", "Echo: <the graph>\n\nExplain these nodes.", "and then?"]


def test_retry_after_a_failed_helper_turn_resends_the_helper(server, worker) -> None:
    session = ChatSession(worker)
    helper = Helper("/build a blur", "<graph>\n\nBuild: a blur", "Answer with nk.")
    failed = run(session, session.send_helper(helper, target(server, "http-500")))
    assert failed.answer.status == "cut off: server"
    again = run(session, session.retry(target(server, "echo")))
    assert again.helper is helper
    assert chats(server)[-1]["messages"] == [{"role": "system", "content": "Answer with nk."},
                                             {"role": "user", "content": "<graph>\n\nBuild: a blur"}]


# -- conversations --------------------------------------------------------------------------


def test_new_open_and_delete(server, worker) -> None:
    session = ChatSession(worker)
    run(session, session.send("remember me", target(server, "echo")))
    first = session.conversation
    assert session.new() and session.conversation is not first
    assert session.conversation.messages == []
    opened, notice = session.open(first.id)
    assert notice is None and opened is session.conversation
    assert [m.text for m in opened.messages] == ["remember me", "Echo: remember me"]
    assert (opened.provider, opened.model) == ("ollama", "echo")
    run(session, session.send("and more", target(server, "echo")))
    saved, _ = history.load(first.id)
    assert [m.text for m in saved.messages][-2:] == ["and more", "Echo: and more"]
    assert session.delete() and history.load(first.id) == (None, None)
    assert session.open(first.id) == (None, None)


def test_an_unusable_file_is_a_notice(server, worker) -> None:
    session = ChatSession(worker)
    run(session, session.send("soon broken", target(server, "echo")))
    conv_id = session.conversation.id
    path = history.save(session.conversation)
    path.write_text("{oops", encoding="utf-8")
    session.new()
    conv, notice = session.open(conv_id)
    assert conv is None and "moved aside" in notice


def test_a_failed_save_is_reported_on_the_turn(server, worker, monkeypatch) -> None:
    session = ChatSession(worker)

    def refuse(_conv: Any) -> None:
        raise OSError("disk full")

    monkeypatch.setattr(history, "save", refuse)
    turn = run(session, session.send("hi", target(server, "echo")))
    assert not turn.saved and turn.save_error == "Could not save the conversation: disk full"


def test_close_cancels_and_silences(server, worker) -> None:
    session = ChatSession(worker)
    seen = Seen(session)
    turn = session.send("hi", target(server, "slow-200"))
    session.close()
    assert not session.in_flight and session.send("again", target(server, "echo")) is None
    assert turn.wait(0) and turn.handle.wait(WAIT)
    assert seen.ended == [] and not turn.ended


def test_a_failing_listener_does_not_leave_the_turn_in_flight(server, worker) -> None:
    session = ChatSession(worker, save_history=False)
    seen = Seen(session)

    def fails(turn: Turn, event: Any) -> None:
        raise OSError("the listener's output went away")

    session.on_event.add(fails)
    turn = run(session, session.send("hi", target(server, "echo")))
    assert seen.ended == [turn] and turn.finish is not None
    assert seen.types()[-1] == "done"


# -- the pure parts -------------------------------------------------------------------------


def _turn(model: str = "m") -> Turn:
    return Turn(HistoryMessage("assistant", "", model=model), ChatRequest(model, []), "ollama",
                started=100.0)


def test_the_reducer_folds_events_into_the_answer() -> None:
    turn = _turn()
    for event in (StartEvent("ollama", "m", "r1"), DeltaEvent("Hel", "think "),
                  DeltaEvent("lo", "more")):
        turn.count(event)
        assert turn.apply(event, now=101.0) is False
    assert (turn.answer.text, turn.answer.reasoning, turn.first_delta) == (
        "Hello", "think more", 101.0)
    done = DoneEvent("stop", Usage(3, 7), 0.8, 2.5, text="Hello")
    assert turn.apply(done, now=102.5) is True and turn.ended
    answer = turn.answer
    assert (answer.status, answer.ttft, answer.tokens, answer.duration) == (COMPLETE, 0.8, 7, 2.5)
    assert turn.apply(DeltaEvent("late"), now=103.0) is False and answer.text == "Hello"


def test_the_reducer_counts_deltas_when_the_server_gives_no_usage() -> None:
    turn = _turn()
    for piece in ("a", "", "b"):
        event = DeltaEvent(piece, "r")
        turn.count(event)
        turn.apply(event, now=100.5)
    turn.apply(DoneEvent("stop", Usage(), None, 1.0, text="ab"), now=101.0)
    assert turn.answer.tokens == 2


def test_the_reducer_prefers_the_engines_final_text_when_they_differ() -> None:
    turn = _turn()
    turn.apply(DeltaEvent("partial"), now=100.1)
    turn.apply(DoneEvent("stop", Usage(), 0.1, 1.0, text="the whole answer"), now=101.0)
    assert turn.answer.text == "the whole answer"


def test_the_reducer_marks_errors_and_stops() -> None:
    turn = _turn()
    turn.apply(DeltaEvent("Echo"), now=100.5)
    turn.tokens = 1
    error = ErrorEvent("idle_timeout", "No data for 60 s", "Try again.", partial="Echo: pl")
    assert turn.apply(error, now=103.0)
    answer = turn.answer
    assert (answer.text, answer.status, answer.error) == (
        "Echo: pl", "cut off: idle_timeout", "No data for 60 s")
    assert (answer.ttft, answer.tokens, answer.duration) == (0.5, 1, 3.0)
    stopped = _turn()
    stopped.apply(ErrorEvent("cancelled", "Stopped"), now=100.2)
    assert (stopped.answer.status, stopped.answer.error, stopped.answer.ttft) == (STOPPED, "", None)
    orphan = _turn()
    assert orphan.apply(JobEnded(), now=104.0)
    assert (orphan.answer.status, orphan.answer.duration) == (STOPPED, 4.0)


def test_request_building() -> None:
    messages = [HistoryMessage("user", "a"), HistoryMessage("assistant", "partial", status="stopped"),
                HistoryMessage("assistant", "full"), HistoryMessage("user", "b"),
                HistoryMessage("assistant", "", status="cut off: auth"), HistoryMessage("user", "c"),
                HistoryMessage("assistant", "trailing", status="cut off: server")]
    assert [(m.role, m.content) for m in request_messages(messages)] == [
        ("user", "a"), ("assistant", "full"), ("user", "b\n\nc")]
    settings = ProviderSettings("ollama", "http://127.0.0.1:1", model="m")
    plain = build_request(messages, Target(settings, "sys", temperature=0.2, max_tokens=9))
    assert (plain.model, plain.system, plain.temperature, plain.max_tokens) == ("m", "sys", 0.2, 9)
    assert build_request(messages, Target(settings)).system is None
    helper = build_request(messages, Target(settings, "sys"), Helper("/x", "ctx", "helper sys"))
    assert helper.messages == [Message("user", "ctx")] and helper.system == "helper sys"


def test_listeners_run_in_order_and_can_be_removed() -> None:
    calls: List[str] = []
    listeners: Listeners = Listeners()
    first = listeners.add(lambda x: calls.append(f"a{x}"))
    listeners.add(lambda x: calls.append(f"b{x}"))
    listeners(1)
    listeners.remove(first)
    listeners(2)
    assert calls == ["a1", "b1", "b2"] and len(listeners) == 1


# -- edit and resend -------------------------------------------------------------------------


def test_edit_and_resend_replaces_the_last_exchange(server, worker) -> None:
    session = ChatSession(worker)
    run(session, session.send("one", target(server, "echo")))
    run(session, session.send("twoo", target(server, "echo")))
    assert session.last_prompt() == "twoo"
    run(session, session.send("two", target(server, "echo"), replace_last=True))
    assert [(m.role, m.text) for m in session.conversation.messages] == [
        ("user", "one"), ("assistant", "Echo: one"), ("user", "two"), ("assistant", "Echo: two")]
    assert chats(server)[-1]["messages"][-3:] == [
        {"role": "user", "content": "one"}, {"role": "assistant", "content": "Echo: one"},
        {"role": "user", "content": "two"}], "the replaced exchange is not sent"
    saved, _ = history.load(session.conversation.id)
    assert [m.text for m in saved.messages] == ["one", "Echo: one", "two", "Echo: two"]


def test_edit_and_resend_is_refused_while_a_turn_is_in_flight(server, worker) -> None:
    session = ChatSession(worker)
    run(session, session.send("one", target(server, "echo")))
    turn = session.send("wait", target(server, "slow-200"))
    assert session.send("x", target(server, "echo"), replace_last=True) is None
    assert [m.text for m in session.conversation.messages][:3] == ["one", "Echo: one", "wait"]
    session.stop()
    run(session, turn)
    assert ChatSession(worker).last_prompt() is None


def test_save_now_writes_only_with_history_on(server, worker) -> None:
    session = ChatSession(worker, save_history=False)
    run(session, session.send("one", target(server, "echo")))
    session.conversation.messages[-1].steps.append(history.AppliedStep("AI: x", "created A"))
    assert session.save() == "" and history.list_conversations() == ([], [])
    session.save_history = True
    assert session.save() == ""
    saved, _ = history.load(session.conversation.id)
    assert saved.messages[-1].steps == [history.AppliedStep("AI: x", "created A")]
