"""Worker events -> Qt signals, on the main thread, with text deltas coalesced.

The worker's sinks run on the loop thread, which must never touch a widget. The bridge is a
QObject living on the main thread: the sink only appends to a locked queue and emits one
queued wake-up signal, and the main thread drains the queue in order. Deltas that arrive
faster than about 60 per second are merged into one ``delta`` signal, so the transcript
repaints at most that often however fast tokens come; every other event flushes the pending
text first so order is kept.
"""

from __future__ import annotations

import threading
import time
from collections import deque
from typing import Any, Deque, Optional

from Qt import QtCore

from nuke_ai_panel.events import DeltaEvent, StreamEvent

FRAME_SECONDS = 1.0 / 60.0


class StreamBridge(QtCore.QObject):
    """One chat stream's events as signals. Pass ``bridge.sink`` to ``Worker.stream_chat``."""

    started = QtCore.Signal(object)
    waiting = QtCore.Signal(float)
    retrying = QtCore.Signal(object)
    delta = QtCore.Signal(str, str)
    finished = QtCore.Signal(object)
    failed = QtCore.Signal(object)
    ended = QtCore.Signal(object)

    _wake = QtCore.Signal()

    def __init__(self, parent: Optional[QtCore.QObject] = None) -> None:
        super().__init__(parent)
        self._lock = threading.Lock()
        self._queue: Deque[StreamEvent] = deque()
        self._wake_pending = False
        self._text: list = []
        self._reasoning: list = []
        self._last_flush = 0.0
        self._timer = QtCore.QTimer(self)
        self._timer.setSingleShot(True)
        self._timer.timeout.connect(self._flush_text)
        self._wake.connect(self._drain, QtCore.Qt.QueuedConnection)
        self.delta_signals = 0

    def sink(self, event: StreamEvent) -> None:
        """Called on the loop thread: queue the event and wake the main thread once."""
        with self._lock:
            self._queue.append(event)
            if self._wake_pending:
                return
            self._wake_pending = True
        _emit_if_alive(self._wake)

    def _drain(self) -> None:
        with self._lock:
            events = list(self._queue)
            self._queue.clear()
            self._wake_pending = False
        for event in events:
            if isinstance(event, DeltaEvent):
                if event.text:
                    self._text.append(event.text)
                if event.reasoning:
                    self._reasoning.append(event.reasoning)
                continue
            self._flush_text()
            self._emit(event)
        if self._text or self._reasoning:
            wait = FRAME_SECONDS - (time.monotonic() - self._last_flush)
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
        self._last_flush = time.monotonic()
        self.delta_signals += 1
        self.delta.emit(text, reasoning)

    def _emit(self, event: Any) -> None:
        kind = event.type
        if kind == "start":
            self.started.emit(event)
        elif kind == "waiting":
            self.waiting.emit(float(event.seconds))
        elif kind == "retrying":
            self.retrying.emit(event)
        elif kind == "done":
            self.finished.emit(event)
            self.ended.emit(event)
        elif kind == "error":
            self.failed.emit(event)
            self.ended.emit(event)


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
