"""How a turn's events reach the session's owner, and the session's listener lists.

The worker calls a stream's sink on its loop thread, where nothing of the owner's may be
touched (a widget, above all). So each turn opens a :class:`Channel` from the session's
:data:`Dispatcher`: the sink ``post``s every event (and finally :class:`~.turn.JobEnded`) on
the loop thread, and the channel calls ``deliver`` with each item, in order, on the thread
the owner chose:

* the panel passes ``src.ui.bridge.qt_dispatcher``: a QObject on Qt's main thread that
  drains a locked queue there, merging text deltas so the transcript repaints at most about
  60 times a second;
* the command line, tests and any thread-free caller use :func:`direct_dispatcher`:
  items are delivered at once on the loop thread, under the session's lock, every delta on
  its own; the caller waits with :meth:`~.turn.Turn.wait`.
"""

from __future__ import annotations

from typing import Any, Callable, Generic, List, Protocol, TypeVar

__all__ = ["Channel", "Dispatcher", "Listeners", "direct_dispatcher"]

Deliver = Callable[[Any], None]


class Channel(Protocol):
    """One turn's way to its owner. ``post`` is called from any thread; ``close`` once, on
    the owner's thread, after the last item was delivered (or when the turn never started)."""

    def post(self, item: Any) -> None:
        ...

    def close(self) -> None:
        ...


Dispatcher = Callable[[Deliver], Channel]


class _DirectChannel:
    def __init__(self, deliver: Deliver) -> None:
        self._deliver = deliver

    def post(self, item: Any) -> None:
        self._deliver(item)

    def close(self) -> None:
        pass


def direct_dispatcher(deliver: Deliver) -> Channel:
    """Deliver each item at once on the posting thread (the loop thread for stream events)."""
    return _DirectChannel(deliver)


F = TypeVar("F", bound=Callable[..., Any])


class Listeners(Generic[F]):
    """Plain callbacks: ``add(fn)``, ``remove(fn)``; calling the list calls each in order."""

    def __init__(self) -> None:
        self._items: List[F] = []

    def add(self, callback: F) -> F:
        self._items.append(callback)
        return callback

    def remove(self, callback: F) -> None:
        if callback in self._items:
            self._items.remove(callback)

    def clear(self) -> None:
        self._items.clear()

    def __call__(self, *args: Any) -> None:
        for callback in list(self._items):
            callback(*args)

    def __len__(self) -> int:
        return len(self._items)
