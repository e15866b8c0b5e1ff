"""Worker results -> the Qt main thread: a chat turn's events (coalesced) and one-shot jobs.

The worker's sinks and done callbacks run on the loop thread, which must never touch a
widget. :class:`StreamBridge` is the chat session's channel to the main thread
(:func:`qt_dispatcher`, see :mod:`nuke_ai_panel.session.dispatch`): a QObject living on the
main thread; ``post`` only appends to a locked queue and emits one queued wake-up signal,
and the main thread drains the queue in order. Text deltas that arrive faster than about 60
per second are merged into one, so the transcript repaints at most that often however fast
tokens come; every other item flushes the pending text first, so order is kept. When drawing
a merged delta took long (a slow machine, a big table), the next merge waits longer in
proportion, so drawing never takes more than about a third of the main thread.
"""

from __future__ import annotations

import threading
import time
from collections import deque
from typing import Any, Callable, Deque, List, Optional, Set

from Qt import QtCore

from nuke_ai_panel.events import DeltaEvent

FRAME_SECONDS = 1.0 / 60.0
#: A merged delta waits at least this many times as long as the last one took to draw...
COST_FACTOR = 2.0
#: ...but never longer than this, so text keeps appearing.
MAX_INTERVAL = 0.25


def _now() -> float:
    return time.monotonic()


class StreamBridge(QtCore.QObject):
    """One turn's channel: ``post`` from any thread, ``deliver(item)`` on the main thread.

    It keeps itself alive until :meth:`close` (the session closes it after the turn's last
    item), so nothing posted is lost to garbage collection; give it no parent.
    """

    _wake = QtCore.Signal()

    def __init__(self, deliver: Callable[[Any], None],
                 parent: Optional[QtCore.QObject] = None) -> None:
        super().__init__(parent)
        self._deliver = deliver
        self._lock = threading.Lock()
        self._queue: Deque[Any] = deque()
        self._wake_pending = False
        self._text: List[str] = []
        self._reasoning: List[str] = []
        self._last_flush = -FRAME_SECONDS
        self.interval = FRAME_SECONDS  # the current time between merged deltas
        self._timer = QtCore.QTimer(self)
        self._timer.setSingleShot(True)
        self._timer.timeout.connect(self._flush_text)
        self._wake.connect(self._drain, QtCore.Qt.QueuedConnection)
        _open_bridges.add(self)

    def post(self, item: Any) -> None:
        """Called on any thread: queue ``item`` and wake the main thread once."""
        with self._lock:
            self._queue.append(item)
            if self._wake_pending:
                return
            self._wake_pending = True
        _emit_if_alive(self._wake)

    def close(self) -> None:
        """On the main thread, after the last item: the bridge goes."""
        self._timer.stop()
        _open_bridges.discard(self)
        self.deleteLater()

    def _drain(self) -> None:
        with self._lock:
            items = list(self._queue)
            self._queue.clear()
            self._wake_pending = False
        for item in items:
            if isinstance(item, DeltaEvent):
                if item.text:
                    self._text.append(item.text)
                if item.reasoning:
                    self._reasoning.append(item.reasoning)
                continue
            self._flush_text()
            self._deliver(item)
        if self._text or self._reasoning:
            wait = self.interval - (_now() - self._last_flush)
            if wait <= 0:
                self._flush_text()
            elif not self._timer.isActive():
                self._timer.start(max(1, int(wait * 1000)))

    def _flush_text(self) -> None:
        self._timer.stop()
        if not self._text and not self._reasoning:
            return
        text, reasoning = "".join(self._text), "".join(self._reasoning)
        self._text, self._reasoning = [], []
        self._last_flush = started = _now()
        self._deliver(DeltaEvent(text, reasoning))
        cost = _now() - started
        self.interval = min(MAX_INTERVAL, max(FRAME_SECONDS, cost * COST_FACTOR))


def qt_dispatcher(deliver: Callable[[Any], None]) -> StreamBridge:
    """The chat session's dispatcher for a Qt owner: items arrive on the main thread."""
    return StreamBridge(deliver)


_open_bridges: Set[StreamBridge] = set()


class ResultBridge(QtCore.QObject):
    """A one-shot job's result (model list, connection check) delivered on the main thread.

    It keeps itself alive from ``watch`` until it has delivered, then deletes itself, so the
    loop thread never emits on a deleted object. Give it no parent: a parent's deletion would
    end it while the job can still report.
    """

    succeeded = QtCore.Signal(object)
    failed = QtCore.Signal(object)
    cancelled = QtCore.Signal()

    _done = QtCore.Signal(object)

    def __init__(self, parent: Optional[QtCore.QObject] = None) -> None:
        super().__init__(parent)
        self._done.connect(self._deliver, QtCore.Qt.QueuedConnection)

    def watch(self, handle: Any) -> Any:
        """Forward ``handle``'s outcome to the signals; returns the handle."""
        _watching.add(self)
        handle.add_done_callback(lambda h: _emit_if_alive(self._done, h))
        return handle

    def _deliver(self, handle: Any) -> None:
        _watching.discard(self)
        try:
            if handle.cancelled():
                self.cancelled.emit()
            elif handle.exception() is not None:
                self.failed.emit(handle.exception())
            else:
                self.succeeded.emit(handle.result(0))
        finally:
            self.deleteLater()


_watching: "set[ResultBridge]" = set()


def _emit_if_alive(signal: Any, *args: Any) -> None:
    """Emit from the loop thread; a bridge deleted with its widget just drops the event."""
    try:
        signal.emit(*args)
    except RuntimeError:
        pass
