"""Image work off the main thread: decoding, resizing, encoding, the Viewer frame's render.

One background thread runs the jobs in order (an image is prepared at a time, so a burst
of pasted images cannot take both cores); each job's result, or the exception it raised,
comes back on the main thread through a queued signal, the way :mod:`.bridge` brings the
worker's results back. After :meth:`ImageJobs.close` nothing more is delivered.
"""

from __future__ import annotations

from concurrent.futures import Future, ThreadPoolExecutor
from functools import partial
from typing import Any, Callable, Dict, Optional

from Qt import QtCore

from .bridge import _emit_if_alive

__all__ = ["Done", "ImageJobs"]

#: ``on_done(result, error)``: error is the exception the job raised, or None.
Done = Callable[[Any, Optional[BaseException]], None]


class ImageJobs(QtCore.QObject):
    """See the module docstring. ``pending`` counts the jobs not yet delivered."""

    _done = QtCore.Signal(object)

    def __init__(self, parent: Optional[QtCore.QObject] = None) -> None:
        super().__init__(parent)
        # plain Python state, so ``closer()`` works after the Qt side is gone
        self._state: Dict[str, Any] = {
            "pool": ThreadPoolExecutor(max_workers=1, thread_name_prefix="panel-images"),
            "closed": False}
        self._done.connect(self._deliver, QtCore.Qt.QueuedConnection)
        self.pending = 0

    def submit(self, job: Callable[[], Any], on_done: Done, counted: bool = True) -> bool:
        """Run ``job()`` on the image thread and call ``on_done`` on the main thread;
        False (nothing runs) after :meth:`close`. ``counted`` False: work ahead that
        nothing waits for (it is not in ``pending``)."""
        if self._state["closed"]:
            return False
        self.pending += counted
        future = self._state["pool"].submit(job)
        future.add_done_callback(lambda f: _emit_if_alive(self._done, (f, on_done, counted)))
        return True

    def _deliver(self, item: Any) -> None:
        future, on_done, counted = item
        self.pending -= counted
        if self._state["closed"]:
            return
        error = _error_of(future)
        on_done(None if error is not None else future.result(), error)

    def close(self) -> None:
        """Deliver nothing more; jobs not started are dropped, a running one finishes on
        its own."""
        _close(self._state)

    def closer(self) -> Callable[..., None]:
        """:meth:`close` as a callable holding no Qt object, for a ``destroyed`` signal."""
        return partial(_close, self._state)


def _close(state: Dict[str, Any], *_args: Any) -> None:
    state["closed"] = True
    state["pool"].shutdown(wait=False)


def _error_of(future: Future) -> Optional[BaseException]:
    if future.cancelled():
        return RuntimeError("cancelled")
    return future.exception()
