"""Deadline waits never lose a Stop (``nuke_ai_panel.waits``).

The race: the task's cancel arrives in the same turn of the event loop as the awaited result.
Before Python 3.12 ``asyncio.wait_for`` then returns the result and drops the cancel
(CPython gh-86296). Each test sweeps the cancel across the loop turns right after a chunk
arrives, so one of them lands in that turn on every Python version.
"""

from __future__ import annotations

import asyncio
import sys
from typing import Any, Awaitable, Callable, List

import pytest

from nuke_ai_panel import waits
from nuke_ai_panel.worker import Worker

TURNS = range(6)  # loop turns between a chunk's arrival and the cancel


def _race(wait: Callable[[Awaitable[Any], float], Awaitable[Any]], turns: int) -> str:
    """A reader waits for chunks under a deadline; one chunk arrives and ``turns`` loop
    turns later the reader is stopped (flag, then cancel, as ``JobHandle.cancel`` does).
    How the reader ended: ``cancelled``, or ``lost`` when it went on waiting."""

    async def main() -> str:
        queue: "asyncio.Queue[str]" = asyncio.Queue()
        asked: List[bool] = []

        async def reader() -> None:
            waits.bind_stop(lambda: bool(asked))
            while True:
                await wait(queue.get(), 0.5)

        task = asyncio.ensure_future(reader())
        await asyncio.sleep(0.01)
        queue.put_nowait("chunk")
        for _ in range(turns):
            await asyncio.sleep(0)
        asked.append(True)
        task.cancel()
        try:
            await asyncio.wait_for(task, 5)
        except asyncio.CancelledError:
            return "cancelled"
        except asyncio.TimeoutError:
            return "lost"
        return "lost"

    return asyncio.run(main())


@pytest.mark.parametrize("turns", TURNS)
def test_a_stop_as_a_chunk_arrives_is_never_lost(turns):
    assert _race(waits.wait_for, turns) == "cancelled"


@pytest.mark.skipif(sys.version_info >= (3, 12), reason="asyncio.wait_for keeps the cancel")
def test_the_race_is_real_with_plain_wait_for():
    """The sweep does hit the race: plain ``asyncio.wait_for`` loses the Stop in it."""
    assert "lost" in [_race(asyncio.wait_for, turns) for turns in TURNS]


def test_a_stop_asked_before_its_cancel_lands_wins_over_the_result_error_and_timeout():
    async def main() -> List[str]:
        asked: List[bool] = []
        waits.bind_stop(lambda: bool(asked))
        outcomes = []

        async def fail() -> None:
            raise ValueError("server said no")

        for awaitable, timeout in ((asyncio.sleep(0, "chunk"), 1.0), (fail(), 1.0),
                                   (asyncio.sleep(5), 0.01)):
            asked[:] = [True]
            try:
                await waits.wait_for(awaitable, timeout)
            except asyncio.CancelledError:
                outcomes.append("cancelled")
            except (ValueError, asyncio.TimeoutError) as exc:
                outcomes.append(type(exc).__name__)
        return outcomes

    assert asyncio.run(main()) == ["cancelled"] * 3


def test_outside_a_job_it_is_asyncio_wait_for():
    async def main() -> Any:
        assert not waits.stop_requested()
        assert await waits.wait_for(asyncio.sleep(0, "chunk"), 1) == "chunk"
        with pytest.raises(asyncio.TimeoutError):
            await waits.wait_for(asyncio.sleep(5), 0.01)

    asyncio.run(main())


@pytest.mark.parametrize("turns", TURNS)
def test_the_worker_binds_each_job_so_its_cancel_is_never_lost(turns):
    """Through the real worker: the job stops itself with its own handle's ``cancel`` (from
    the loop thread, as the sink of a stream would) a few turns after a chunk arrived."""
    worker = Worker()
    box: List[Any] = []

    async def job(_session: Any) -> List[str]:
        queue: "asyncio.Queue[str]" = asyncio.Queue()

        async def stopper() -> None:
            queue.put_nowait("chunk")
            for _ in range(turns):
                await asyncio.sleep(0)
            box[0].cancel()

        for _ in range(500):
            if box:
                break
            await asyncio.sleep(0.01)
        asyncio.ensure_future(stopper())
        got = []
        while len(got) < 2:  # the second chunk never comes: only the deadline would end it
            got.append(await waits.wait_for(queue.get(), 2))
        return got

    try:
        box.append(worker.submit(job))
        handle = box[0]
        assert handle.wait(10)
        assert handle.cancelled() and handle.cancel_requested
    finally:
        worker.shutdown()
