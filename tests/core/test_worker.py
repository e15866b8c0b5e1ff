"""The event-loop worker: handles, cancellation, concurrency, shutdown and restart."""

from __future__ import annotations

import asyncio
import concurrent.futures
import threading
import time
from typing import Any, List

import pytest

from nuke_ai_panel.events import ErrorEvent
from nuke_ai_panel.settings import ChatRequest, Deadlines, Message, ProviderSettings, RetryPolicy
from nuke_ai_panel.worker import Worker, WorkerStopped
from tests.protocol_servers import ProtocolServer


@pytest.fixture
def worker():
    w = Worker()
    yield w
    w.shutdown()


@pytest.fixture(scope="module")
def openai_server():
    with ProtocolServer("openai") as server:
        yield server


def settings_for(server: ProtocolServer, **kw: Any) -> ProviderSettings:
    return ProviderSettings("openai-compatible", server.base_url,
                            deadlines=Deadlines(first_token=10, idle=10),
                            retry=RetryPolicy(base_delay=0.05), **kw)


def request(model: str, prompt: str = "hi") -> ChatRequest:
    return ChatRequest(model=model, messages=[Message("user", prompt)])


class Recorder:
    """A sink that records events from the loop thread."""

    def __init__(self) -> None:
        self.events: List[Any] = []
        self.lock = threading.Lock()
        self.threads = set()

    def __call__(self, event: Any) -> None:
        with self.lock:
            self.events.append(event)
            self.threads.add(threading.current_thread().name)

    @property
    def types(self) -> List[str]:
        with self.lock:
            return [e.type for e in self.events]

    def text(self) -> str:
        with self.lock:
            return "".join(e.text for e in self.events if e.type == "delta")


def wait_until(predicate, timeout: float = 10.0) -> bool:
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        if predicate():
            return True
        time.sleep(0.01)
    return predicate()


def test_submit_returns_at_once_and_runs_on_the_loop_thread(worker, openai_server):
    sink = Recorder()
    handle = worker.stream_chat(settings_for(openai_server), request("slow-5"), sink)
    assert not handle.done()
    assert handle.wait(10)
    result = handle.result()
    assert result.type == "done"
    assert sink.types[0] == "start" and sink.types[-1] == "done"
    assert sink.text() == "w0 w1 w2 w3 w4 "
    assert sink.threads == {"nuke-ai-panel-loop"}


def test_cancel_mid_stream_closes_the_connection(worker, openai_server):
    sink = Recorder()
    before = openai_server.disconnects
    handle = worker.stream_chat(settings_for(openai_server), request("slow-200"), sink)
    assert wait_until(lambda: "delta" in sink.types)
    handle.cancel()
    assert handle.wait(5)
    assert handle.cancelled()
    assert openai_server.wait_for_disconnect(5, count=before + 1)
    last = sink.events[-1]
    assert isinstance(last, ErrorEvent) and last.kind == "cancelled"
    assert last.partial and last.partial == sink.text()
    assert sink.types.count("error") == 1


def test_cancel_before_the_job_starts(worker, openai_server):
    started = threading.Event()
    release = threading.Event()

    async def blocker(session):
        """Blocks the loop thread on purpose, so the cancel lands before the next job starts."""
        started.set()
        release.wait(5)
        return "blocked"

    first = worker.submit(blocker)
    assert started.wait(5)
    handle = worker.submit(lambda session: asyncio.sleep(0, "never"))
    handle.cancel()
    release.set()
    assert first.result(5) == "blocked"
    assert handle.wait(5) and handle.cancelled()
    with pytest.raises(concurrent.futures.CancelledError):
        handle.result(0)


def test_a_stream_cancelled_before_it_starts_still_ends_with_its_terminal_event(worker,
                                                                             openai_server):
    started = threading.Event()
    release = threading.Event()

    async def blocker(session):
        started.set()
        release.wait(5)

    worker.submit(blocker)
    assert started.wait(5)
    sink = Recorder()
    requests_before = openai_server.count("/chat/completions")
    handle = worker.stream_chat(settings_for(openai_server), request("slow-3"), sink)
    handle.cancel()
    release.set()
    assert handle.wait(5) and handle.cancelled()
    assert sink.types == ["start", "error"]
    assert sink.events[-1].kind == "cancelled"
    assert openai_server.count("/chat/completions") == requests_before


def test_fifty_concurrent_streams(worker, openai_server):
    sinks = [Recorder() for _ in range(50)]
    handles = [worker.stream_chat(settings_for(openai_server), request("tokens-40", f"p{i}"), s)
               for i, s in enumerate(sinks)]
    for handle in handles:
        assert handle.wait(30)
    expected = "".join(f"t{i} " for i in range(40))
    for sink, handle in zip(sinks, handles):
        assert handle.result().type == "done"
        assert sink.text() == expected
        assert sink.types.count("start") == 1 and sink.types[-1] == "done"


def test_submits_from_many_threads_at_once(worker, openai_server):
    barrier = threading.Barrier(12)
    handles = []
    lock = threading.Lock()

    def submit(i: int) -> None:
        barrier.wait(5)
        for j in range(4):
            h = worker.submit(lambda session, n=i * 10 + j: asyncio.sleep(0.01, n))
            with lock:
                handles.append(h)

    threads = [threading.Thread(target=submit, args=(i,)) for i in range(12)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(10)
    assert len(handles) == 48
    results = sorted(h.result(10) for h in handles)
    assert results == sorted(i * 10 + j for i in range(12) for j in range(4))


def test_a_failing_job_does_not_hurt_the_loop(worker, openai_server):
    async def boom(session):
        raise ValueError("broken job")

    bad = worker.submit(boom)
    good = worker.stream_chat(settings_for(openai_server), request("slow-3"), Recorder())
    assert bad.wait(5)
    assert isinstance(bad.exception(), ValueError)
    with pytest.raises(ValueError):
        bad.result()
    assert good.result(10).type == "done"
    assert worker.submit(lambda session: asyncio.sleep(0, 42)).result(5) == 42


def test_a_raising_sink_does_not_break_the_stream(worker, openai_server, caplog):
    seen: List[str] = []

    def sink(event: Any) -> None:
        seen.append(event.type)
        if event.type == "delta":
            raise RuntimeError("sink bug")

    result = worker.stream_chat(settings_for(openai_server), request("slow-3"), sink).result(10)
    assert result.type == "done" and result.text == "w0 w1 w2 "
    assert seen[-1] == "done"
    assert "sink failed" in caplog.text


def test_shutdown_with_jobs_in_flight_is_quick_and_clean(openai_server):
    worker = Worker()
    sinks = [Recorder() for _ in range(5)]
    handles = [worker.stream_chat(settings_for(openai_server), request("stall-mid"), s)
               for s in sinks]
    stalled = worker.stream_chat(settings_for(openai_server), request("stall-headers"),
                                 Recorder())
    assert wait_until(lambda: all("delta" in s.types for s in sinks))
    started = time.monotonic()
    worker.shutdown(timeout=1.0)
    elapsed = time.monotonic() - started
    assert elapsed < 2.0, f"shutdown took {elapsed:.2f}s"
    assert not worker.running
    for handle in handles + [stalled]:
        assert handle.done()
        assert handle.cancelled() or isinstance(handle.exception(), WorkerStopped)
    for sink in sinks:
        assert sink.events[-1].type == "error" and sink.events[-1].kind == "cancelled"


def test_worker_restarts_after_shutdown(openai_server):
    worker = Worker()
    assert worker.submit(lambda s: asyncio.sleep(0, 1)).result(5) == 1
    worker.shutdown()
    assert worker.submit(lambda s: asyncio.sleep(0, 2)).result(5) == 2
    result = worker.stream_chat(settings_for(openai_server), request("slow-2"),
                                Recorder()).result(10)
    assert result.type == "done"
    worker.shutdown()
    worker.shutdown()


def test_one_session_per_loop_created_on_the_loop(worker):
    async def session_info(session):
        return id(session), threading.current_thread().name, id(asyncio.get_running_loop())

    first = worker.submit(session_info).result(5)
    second = worker.submit(session_info).result(5)
    assert first == second
    assert first[1] == "nuke-ai-panel-loop"


def test_shutdown_from_the_loop_thread_is_refused(worker):
    async def bad(session):
        worker.shutdown()

    handle = worker.submit(bad)
    assert handle.wait(5)
    assert isinstance(handle.exception(), RuntimeError)


# ----- the engine loads on the loop thread (issue 10) ----------------------------------------------


class HeldEngine:
    """Holds a worker's engine start (its session) until released, like a slow aiohttp import."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch, fail: bool = False) -> None:
        self.release = threading.Event()
        self.fail = fail
        real = Worker._make_session

        async def held(worker: Worker) -> Any:
            self.release.wait(10)
            if self.fail:
                raise ImportError("No module named 'aiohttp' (simulated)")
            return await real(worker)

        monkeypatch.setattr(Worker, "_make_session", held)


def test_jobs_submitted_while_the_engine_loads_wait_and_run_in_order(monkeypatch):
    held = HeldEngine(monkeypatch)
    worker = Worker()
    try:
        ran: List[int] = []

        def job(n: int):
            async def run(session):
                ran.append(n)
                return n
            return run

        started = time.monotonic()
        handles = [worker.submit(job(n)) for n in range(5)]
        assert time.monotonic() - started < 1.0, "submit must not wait for the engine"
        assert worker.running and not worker.ready and not any(h.done() for h in handles)
        held.release.set()
        assert [h.result(5) for h in handles] == list(range(5)) and ran == list(range(5))
        assert worker.ready and worker.wait_ready(0)
    finally:
        held.release.set()
        worker.shutdown()


def test_a_stream_cancelled_while_the_engine_loads_ends_with_its_terminal_event(monkeypatch,
                                                                             openai_server):
    held = HeldEngine(monkeypatch)
    worker = Worker()
    requests_before = openai_server.count("/chat/completions")
    try:
        sink = Recorder()
        handle = worker.stream_chat(settings_for(openai_server), request("slow-3"), sink)
        handle.cancel()
        held.release.set()
        assert handle.wait(5) and handle.cancelled()
        assert sink.types == ["start", "error"] and sink.events[-1].kind == "cancelled"
        assert openai_server.count("/chat/completions") == requests_before
    finally:
        held.release.set()
        worker.shutdown()


def test_an_engine_that_fails_to_load_ends_the_stream_with_a_config_error(monkeypatch,
                                                                          openai_server):
    held = HeldEngine(monkeypatch, fail=True)
    worker = Worker()
    sink = Recorder()
    handle = worker.stream_chat(settings_for(openai_server), request("slow-2"), sink)
    held.release.set()
    assert handle.wait(5)
    assert isinstance(handle.exception(), RuntimeError)
    assert sink.types == ["start", "error"]
    error = sink.events[-1]
    assert error.kind == "config" and "aiohttp" in error.message and error.hint
    assert not worker.running and not worker.ready
    held.fail = False  # the next submit tries again
    result = worker.stream_chat(settings_for(openai_server), request("slow-2"),
                                Recorder()).result(10)
    assert result.type == "done" and result.text == "w0 w1 "
    worker.shutdown()


def test_shutdown_while_the_engine_loads_is_quick_and_leaves_nothing_open(monkeypatch):
    held = HeldEngine(monkeypatch)
    worker = Worker()
    handle = worker.submit(lambda session: asyncio.sleep(0, "never"))
    thread = worker._thread
    started = time.monotonic()
    worker.shutdown(timeout=0.4)
    assert time.monotonic() - started < 1.5
    assert handle.done() and isinstance(handle.exception(), WorkerStopped)
    assert not worker.running
    held.release.set()  # the loading thread finds it was shut down and closes its session
    assert thread is not None
    thread.join(5)
    assert not thread.is_alive()
