"""Waits under a deadline that never lose a Stop: :func:`wait_for`, and :func:`bind_stop`
that tells them which job they run in.

Every deadline of DESIGN section 3 is an ``asyncio.wait_for``. Before Python 3.12 that
function returns the awaited result (or raises its error, or ``TimeoutError``) when the
task's own cancel arrives in the same turn of the event loop as the result: the cancel is
swallowed (CPython gh-86296; 3.12 rebuilt ``wait_for`` on ``asyncio.timeout``, which keeps
it). A Stop pressed just as a chunk arrived was then lost, and the answer streamed on to its
end or to a deadline. So the worker binds each job's "stop was asked" flag to the job's task
(a context variable, copied into every task the job starts), and :func:`wait_for` checks it
whenever ``asyncio.wait_for`` comes back, however it comes back.
"""

from __future__ import annotations

import asyncio
import contextvars
from typing import Awaitable, Callable, Optional, TypeVar

__all__ = ["bind_stop", "stop_requested", "wait_for"]

T = TypeVar("T")

_stop_asked: "contextvars.ContextVar[Optional[Callable[[], bool]]]" = \
    contextvars.ContextVar("nuke_ai_panel_stop_asked", default=None)


def bind_stop(asked: Callable[[], bool]) -> None:
    """Inside a job's task (and the tasks it starts): ``asked()`` is True once the job was
    asked to stop. Called by :class:`nuke_ai_panel.worker.Worker` as each job starts."""
    _stop_asked.set(asked)


def stop_requested() -> bool:
    """True when the job this code runs in was asked to stop (False outside a job)."""
    asked = _stop_asked.get()
    return asked is not None and asked()


async def wait_for(awaitable: Awaitable[T], timeout: Optional[float]) -> T:
    """``asyncio.wait_for(awaitable, timeout)``, except that a Stop asked meanwhile always
    wins: ``CancelledError`` is raised in place of the result, the error or the
    ``TimeoutError`` that ``asyncio.wait_for`` gave back. ``timeout`` in seconds (None: no
    deadline). Raises what ``asyncio.wait_for`` raises otherwise."""
    try:
        return await asyncio.wait_for(awaitable, timeout)
    finally:
        if stop_requested():
            raise asyncio.CancelledError()
