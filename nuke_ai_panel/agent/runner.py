"""The thread tool calls run on: never the network loop's, never the owner's (Qt's main thread).

Tool calls block on the host (``NukeHost`` marshals every call to Nuke's main thread with
``executeInMainThreadWithResult``, which must not be called from the main thread itself,
and a long read must not freeze the panel), and the asyncio loop thread must never block.
So one small daemon thread per session runs them, one at a time, in order; each result
goes to its ``done`` callback on that thread, which posts it through the session's
dispatcher to the owner's thread.

A job whose turn was stopped is not interrupted (a host call cannot be, safely): it finishes
and its result is dropped by the loop. :meth:`ToolRunner.close` lets the thread end after
the job in hand.
"""

from __future__ import annotations

import logging
import queue
import threading
from typing import Any, Callable, Optional, Tuple

__all__ = ["ToolRunner"]

_log = logging.getLogger(__name__)
Done = Callable[[Any, Optional[BaseException]], None]
_STOP = object()


class ToolRunner:
    """``submit(fn, done)``: ``fn()`` runs on the runner thread, then ``done(result,
    None)`` (or ``done(None, exception)``) on the same thread. The thread starts with the
    first job; ``close()`` ends it (waiting up to ``timeout`` seconds for the job in hand)."""

    def __init__(self, name: str = "nuke-ai-panel-tools") -> None:
        self._name = name
        self._queue: "queue.Queue[Any]" = queue.Queue()
        self._thread: Optional[threading.Thread] = None
        self._lock = threading.Lock()
        self._closed = False

    @property
    def busy(self) -> bool:
        """True while a job is queued or running."""
        return self._queue.unfinished_tasks > 0

    def submit(self, fn: Callable[[], Any], done: Done) -> None:
        with self._lock:
            if self._closed:
                raise RuntimeError("the tool runner was closed")
            if self._thread is None:
                self._thread = threading.Thread(target=self._run, name=self._name, daemon=True)
                self._thread.start()
            self._queue.put((fn, done))

    def close(self, timeout: float = 2.0) -> bool:
        """Stop taking jobs; True once the thread has ended (or never started)."""
        with self._lock:
            self._closed = True
            thread = self._thread
        if thread is None:
            return True
        self._queue.put(_STOP)
        thread.join(timeout)
        return not thread.is_alive()

    def _run(self) -> None:
        while True:
            job = self._queue.get()
            try:
                if job is _STOP:
                    return
                fn, done = job  # type: Tuple[Callable[[], Any], Done]
                try:
                    result, error = fn(), None
                except BaseException as exc:  # reported to the loop, which tells the model
                    result, error = None, exc
                try:
                    done(result, error)
                except Exception:
                    _log.exception("a tool result could not be delivered")
            finally:
                self._queue.task_done()
