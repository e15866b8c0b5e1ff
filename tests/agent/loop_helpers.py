"""Running agent turns through a real chat session against the protocol test servers.

:func:`run_agent` sends one agent turn with the session's direct dispatcher (events on the
loop and tool threads) and waits for it, pumping the ``nuke`` stand-in's main-thread queue
when the host is ``NukeHost`` over it, the way Nuke's own event loop would.
"""

from __future__ import annotations

import threading
import time
from typing import Any, Callable, List, Optional

from nuke_ai_panel.agent.approval import Approval, ApproveAll
from nuke_ai_panel.agent.setup import AgentOptions
from nuke_ai_panel.graph.script_host import ScriptHost
from nuke_ai_panel.session import ChatSession, Target, direct_dispatcher
from nuke_ai_panel.settings import Deadlines, ProviderSettings, RetryPolicy

WAIT = 30.0


def target(server: Any, provider: str, model: str) -> Target:
    settings = ProviderSettings(provider, server.base_url, api_key="test-key", model=model,
                                deadlines=Deadlines(connect=5, first_token=20, idle=20,
                                                    request=10),
                                retry=RetryPolicy(max_retries=0))
    return Target(settings, "You are a compositor.")


class Events:
    """Every event a session reports, in order (listeners run on several threads)."""

    def __init__(self, session: ChatSession) -> None:
        self.items: List[Any] = []
        self._lock = threading.Lock()
        self._arrived = threading.Condition(self._lock)
        session.on_event.add(self._on_event)

    def _on_event(self, _turn: Any, event: Any) -> None:
        with self._lock:
            self.items.append(event)
            self._arrived.notify_all()

    def types(self) -> List[str]:
        with self._lock:
            return [e.type for e in self.items]

    def of(self, kind: str) -> List[Any]:
        with self._lock:
            return [e for e in self.items if e.type == kind]

    def wait_for(self, test: Callable[[Any], bool], timeout: float = WAIT) -> Any:
        deadline = time.monotonic() + timeout
        with self._lock:
            while True:
                found = next((e for e in self.items if test(e)), None)
                if found is not None:
                    return found
                left = deadline - time.monotonic()
                if left <= 0:
                    raise AssertionError(f"no such event; got {[e.type for e in self.items]}")
                self._arrived.wait(left)


class Holding:
    """An approver that keeps every approval for the test to answer (or not)."""

    def __init__(self) -> None:
        self.requests: List[Approval] = []
        self.withdrawn: List[Approval] = []
        self.asked = threading.Event()

    def request(self, approval: Approval) -> None:
        self.requests.append(approval)
        self.asked.set()

    def withdraw(self, approval: Approval) -> None:
        self.withdrawn.append(approval)


def wait_turn(turn: Any, fake: Any = None, timeout: float = WAIT) -> None:
    deadline = time.monotonic() + timeout
    while not turn.wait(0.01):
        if fake is not None:
            fake.process_events()
        assert time.monotonic() < deadline, "the turn did not end"


def run_agent(worker: Any, server: Any, provider: str, model: str, host: Any,
              approver: Any = None, fake: Any = None, task: str = "Add a blur after the grade",
              **options: Any) -> tuple:
    """``(session, turn, events)`` after one agent turn has ended."""
    session = ChatSession(worker, direct_dispatcher, save_history=False)
    events = Events(session)
    turn = session.send_agent(task, target(server, provider, model), host,
                              approver or ApproveAll(), AgentOptions(**options))
    assert turn is not None
    wait_turn(turn, fake)
    return session, turn, events


def requests_to(server: Any, model: str) -> List[Any]:
    """The chat requests the server got for ``model``."""
    return [r for r in server.requests if isinstance(r.json_body, dict)
            and (r.json_body.get("model") == model or model in r.path)
            and not r.path.endswith("/api/show")]


def wait_until(test: Callable[[], bool], timeout: float = WAIT,
               pump: Optional[Callable[[], Any]] = None) -> None:
    deadline = time.monotonic() + timeout
    while not test():
        if pump is not None:
            pump()
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.01)


class SlowHost:
    """A host whose node list waits for the test (a long read in Nuke): ``reading`` is set
    when the read starts, ``release`` lets it finish (30 s at most)."""

    def __init__(self, host: ScriptHost) -> None:
        self._host = host
        self.reading = threading.Event()
        self.release = threading.Event()

    def all_nodes(self) -> Any:
        self.reading.set()
        assert self.release.wait(30)
        return self._host.all_nodes()

    def __getattr__(self, name: str) -> Any:
        return getattr(self._host, name)


class SlowPaste:
    """A host whose paste (applying ``create_nodes``) waits for the test: ``pasting`` is set
    when it starts, ``release`` lets it finish (30 s at most)."""

    def __init__(self, host: ScriptHost) -> None:
        self._host = host
        self.pasting = threading.Event()
        self.release = threading.Event()

    def paste_script(self, *args: Any, **kwargs: Any) -> Any:
        self.pasting.set()
        assert self.release.wait(30)
        return self._host.paste_script(*args, **kwargs)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._host, name)


class Held:
    """A dispatcher that keeps every item until the test delivers it, on the test's thread:
    the owner's thread is busy while jobs post (a Qt main thread doing something else)."""

    def __init__(self) -> None:
        self._items: List[tuple] = []
        self._lock = threading.Condition()

    def __call__(self, deliver: Callable[[Any], None]) -> "Held":
        self._deliver = deliver
        return self

    def post(self, item: Any) -> None:
        with self._lock:
            self._items.append((self._deliver, item))
            self._lock.notify_all()

    def close(self) -> None:
        pass

    def wait_for(self, test: Callable[[Any], bool], timeout: float = WAIT) -> None:
        """Wait until an item that passes ``test`` is held (not delivered)."""
        with self._lock:
            assert self._lock.wait_for(lambda: any(test(i) for _, i in self._items), timeout), \
                f"no such item; held: {[type(i).__name__ for _, i in self._items]}"

    def deliver_until(self, test: Callable[[Any], bool], timeout: float = WAIT) -> None:
        """Deliver items in order up to (not including) the first that passes ``test``."""
        deadline = time.monotonic() + timeout
        while True:
            with self._lock:
                left = deadline - time.monotonic()
                assert left > 0 and self._lock.wait_for(lambda: bool(self._items), left), \
                    "no more items"
                deliver, item = self._items[0]
                if test(item):
                    return
                self._items.pop(0)
            deliver(item)

    def deliver_all(self) -> None:
        """Deliver what is held now, and what those deliveries post, until none is left."""
        while True:
            with self._lock:
                if not self._items:
                    return
                deliver, item = self._items.pop(0)
            deliver(item)
