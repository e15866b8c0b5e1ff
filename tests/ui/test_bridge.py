"""The stream bridge on its own: order kept, deltas merged to one per frame, main thread only."""

from __future__ import annotations

import threading
from typing import Any, List

import pytest

pytest.importorskip("Qt", reason="needs a Qt binding (PySide6 or PySide2)")

from nuke_ai_panel.events import DeltaEvent, DoneEvent, RetryingEvent, StartEvent, Usage  # noqa: E402
from nuke_ai_panel.session import JobEnded  # noqa: E402
from src.ui import bridge as bridge_module  # noqa: E402
from src.ui.bridge import StreamBridge, qt_dispatcher  # noqa: E402
from tests.ui.panel_helpers import alive  # noqa: E402

pytestmark = pytest.mark.qt
WAIT_MS = 5000


class Clock:
    """A clock the test moves by hand, so "within one frame" does not depend on speed."""

    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def clock(monkeypatch: pytest.MonkeyPatch) -> Clock:
    fake = Clock()
    monkeypatch.setattr(bridge_module, "_now", fake)
    return fake


class Sink:
    def __init__(self) -> None:
        self.items: List[Any] = []
        self.threads = set()

    def __call__(self, item: Any) -> None:
        self.items.append(item)
        self.threads.add(threading.current_thread())

    def kinds(self) -> List[str]:
        return [getattr(i, "type", type(i).__name__) for i in self.items]

    def text(self) -> str:
        return "".join(i.text for i in self.items if isinstance(i, DeltaEvent))


def test_a_burst_of_deltas_arrives_as_one_in_order(qtbot: Any, clock: Clock) -> None:
    sink = Sink()
    bridge = qt_dispatcher(sink)
    start, done = StartEvent("ollama", "m", "r"), DoneEvent("stop", Usage(), 0.1, 1.0)

    def loop_thread() -> None:
        bridge.post(start)
        for i in range(1000):
            bridge.post(DeltaEvent(f"t{i} ", "r" if i % 2 else ""))
        bridge.post(done)
        bridge.post(JobEnded())

    worker = threading.Thread(target=loop_thread)
    worker.start()
    worker.join()
    qtbot.waitUntil(lambda: len(sink.items) >= 4, timeout=WAIT_MS)
    assert sink.kinds() == ["start", "delta", "done", "JobEnded"]
    assert sink.text() == "".join(f"t{i} " for i in range(1000))
    assert sink.items[1].reasoning == "r" * 500
    assert sink.threads == {threading.main_thread()}
    bridge.close()


def test_deltas_within_a_frame_wait_for_the_next_one(qtbot: Any, clock: Clock) -> None:
    sink = Sink()
    bridge = StreamBridge(sink)
    bridge.post(DeltaEvent("A"))
    qtbot.waitUntil(lambda: sink.text() == "A", timeout=WAIT_MS)
    bridge.post(DeltaEvent("B"))
    bridge.post(DeltaEvent("C"))
    qtbot.waitUntil(lambda: bridge._timer.isActive(), timeout=WAIT_MS)
    assert sink.text() == "A", "a second flush within the same frame waits for the timer"
    qtbot.waitUntil(lambda: sink.text() == "ABC", timeout=WAIT_MS)
    assert [i.text for i in sink.items] == ["A", "BC"]
    bridge.close()


def test_another_event_flushes_the_pending_text_first(qtbot: Any, clock: Clock) -> None:
    sink = Sink()
    bridge = StreamBridge(sink)
    bridge.post(DeltaEvent("first "))
    qtbot.waitUntil(lambda: len(sink.items) == 1, timeout=WAIT_MS)
    retrying = RetryingEvent(1, 0.5, "HTTP 503")
    bridge.post(DeltaEvent("held"))
    bridge.post(retrying)
    qtbot.waitUntil(lambda: len(sink.items) == 3, timeout=WAIT_MS)
    assert sink.kinds() == ["delta", "delta", "retrying"]
    assert sink.items[1].text == "held" and sink.items[2] is retrying
    assert not bridge._timer.isActive()
    bridge.close()


def test_a_closed_bridge_is_deleted_and_drops_late_posts(qtbot: Any) -> None:
    sink = Sink()
    bridge = StreamBridge(sink)
    assert bridge in bridge_module._open_bridges
    bridge.close()
    assert bridge not in bridge_module._open_bridges
    qtbot.waitUntil(lambda: not alive(bridge), timeout=WAIT_MS)
    bridge.post(DeltaEvent("late"))
    qtbot.wait(20)
    assert sink.items == []



def test_a_slow_draw_makes_the_next_merge_wait_longer(qtbot: Any, clock: Clock) -> None:
    sink = Sink()
    cost = [0.1]  # drawing a delta takes 100 ms of the main thread

    def draw(item: Any) -> None:
        sink(item)
        clock.now += cost[0]

    bridge = StreamBridge(draw)
    bridge.post(DeltaEvent("A"))
    qtbot.waitUntil(lambda: sink.text() == "A", timeout=WAIT_MS)
    assert bridge.interval == pytest.approx(2 * 0.1)
    clock.now += 0.05  # 150 ms after that draw started: frames have passed, the wait has not
    bridge.post(DeltaEvent("B"))
    qtbot.waitUntil(lambda: bridge._timer.isActive(), timeout=WAIT_MS)
    assert sink.text() == "A" and 49 <= bridge._timer.interval() <= 51
    cost[0] = 0.001  # a quick draw: back to one merge per frame
    qtbot.waitUntil(lambda: sink.text() == "AB", timeout=WAIT_MS)
    assert bridge.interval == bridge_module.FRAME_SECONDS
    cost[0] = 5.0  # however slow a draw, text keeps coming at least this often
    bridge.post(DeltaEvent("C"))
    qtbot.waitUntil(lambda: sink.text() == "ABC", timeout=WAIT_MS)
    assert bridge.interval == bridge_module.MAX_INTERVAL
    bridge.close()
