"""One asyncio event loop in one daemon thread, for every network call of the app.

Callers on any thread (Nuke's main thread above all) submit a job and get a handle back at
once; the job travels to the loop through the loop's own thread-safe queue
(``call_soon_threadsafe``) and runs as a Task, so aiohttp's timers always find their Task and
the one ``ClientSession``, created on this loop, is never used from another. Nothing here
touches Qt or ``nuke``: results leave through sinks and done callbacks, which the UI layer
turns into Qt signals.

The engine (``client`` and aiohttp, a tenth of a second or more to import) is loaded by the
loop thread as it starts, never by the caller: importing this module or submitting a job
costs the caller nothing of it. Jobs submitted while the engine loads wait in a list and
start, in order, once it is :attr:`Worker.ready`; a caller may say "connecting" meanwhile.
"""

from __future__ import annotations

import atexit
import concurrent.futures
import threading
from typing import (TYPE_CHECKING, Any, Awaitable, Callable, Generic, List, Optional, Set,
                    Tuple, TypeVar)

from . import errors
from .errors import ProviderError
from .events import ErrorEvent, StartEvent, StreamEvent
from .logs import get_logger
from .redact import redact
from .settings import ChatRequest, ProviderSettings

if TYPE_CHECKING:
    import asyncio

    import aiohttp

log = get_logger(__name__)

T = TypeVar("T")
Job = Callable[["aiohttp.ClientSession"], Awaitable[T]]
Sink = Callable[[StreamEvent], None]
# A job waiting for the engine: the job, its handle, and what to call instead of it when it
# is cancelled before it starts, or when the engine failed to start.
_Pending = Tuple[Job[Any], "JobHandle[Any]", Optional[Callable[[], None]],
                 Optional[Callable[[BaseException], None]]]


class WorkerStopped(RuntimeError):
    """The worker shut down before the job could finish."""


class JobHandle(Generic[T]):
    """The caller's grip on one submitted job. Safe to use from any thread."""

    def __init__(self, loop: Optional["asyncio.AbstractEventLoop"], name: str) -> None:
        self.name = name
        self._loop = loop  # None until the engine is ready
        self._task: Optional["asyncio.Task[T]"] = None
        self._cancel_requested = False
        self._done = threading.Event()
        self._lock = threading.Lock()
        self._result: Any = None
        self._exception: Optional[BaseException] = None
        self._cancelled = False
        self._callbacks: List[Callable[["JobHandle[T]"], None]] = []

    def cancel(self) -> None:
        """Ask the job to stop; returns at once. The job's own cleanup still runs."""
        self._cancel_requested = True
        loop = self._loop
        if self._done.is_set() or loop is None:
            return  # not started yet: it sees the request when it starts
        try:
            loop.call_soon_threadsafe(self._cancel_on_loop)
        except RuntimeError:
            pass

    @property
    def cancel_requested(self) -> bool:
        """True once :meth:`cancel` was called (or the worker is shutting the job down)."""
        return self._cancel_requested

    def _cancel_on_loop(self) -> None:
        if self._task is not None and not self._task.done():
            self._task.cancel()

    def done(self) -> bool:
        return self._done.is_set()

    def cancelled(self) -> bool:
        return self._cancelled

    def wait(self, timeout: Optional[float] = None) -> bool:
        return self._done.wait(timeout)

    def result(self, timeout: Optional[float] = None) -> T:
        if not self._done.wait(timeout):
            raise concurrent.futures.TimeoutError(f"job {self.name!r} still running")
        if self._cancelled:
            raise concurrent.futures.CancelledError()
        if self._exception is not None:
            raise self._exception
        return self._result

    def exception(self) -> Optional[BaseException]:
        return self._exception

    def add_done_callback(self, callback: Callable[["JobHandle[T]"], None]) -> None:
        """``callback(handle)`` runs on the loop thread when the job ends (at once if it has)."""
        with self._lock:
            if not self._done.is_set():
                self._callbacks.append(callback)
                return
        self._run_callback(callback)

    def _finish(self, result: Any = None, exception: Optional[BaseException] = None,
                cancelled: bool = False) -> None:
        with self._lock:
            self._result, self._exception, self._cancelled = result, exception, cancelled
            self._done.set()
            callbacks, self._callbacks = self._callbacks, []
        for callback in callbacks:
            self._run_callback(callback)

    def _run_callback(self, callback: Callable[["JobHandle[T]"], None]) -> None:
        try:
            callback(self)
        except Exception:
            log.exception("done callback of job %r failed", self.name)


class Worker:
    """The event-loop thread. ``start`` is implicit in ``submit``; ``shutdown`` is quick."""

    def __init__(self, name: str = "nuke-ai-panel-loop") -> None:
        self._name = name
        self._lock = threading.RLock()
        self._thread: Optional[threading.Thread] = None
        self._started = threading.Event()  # the engine is ready, or failed to start
        self._loop: Optional["asyncio.AbstractEventLoop"] = None
        self._session: Optional["aiohttp.ClientSession"] = None
        self._pending: List[_Pending] = []
        self._tasks: Set["asyncio.Task[Any]"] = set()
        self._handles: Set[JobHandle[Any]] = set()

    @property
    def running(self) -> bool:
        return self._thread is not None and self._thread.is_alive()

    @property
    def ready(self) -> bool:
        """True once the engine is loaded and its loop runs: a job submitted now starts at
        once. Before that, a submitted job waits for it (the UI says "connecting")."""
        return self._loop is not None and self.running

    def start(self) -> None:
        """Start the loop thread; returns at once (the thread loads the engine)."""
        with self._lock:
            if self.running:
                return
            self._started.clear()
            thread = threading.Thread(target=self._run, name=self._name, daemon=True)
            self._thread = thread
            thread.start()

    def wait_ready(self, timeout: Optional[float] = None) -> bool:
        """Block until the engine is ready (or failed to start); True if it is ready."""
        self._started.wait(timeout)
        return self.ready

    def _run(self) -> None:
        try:
            import asyncio

            from . import client  # noqa: F401  (aiohttp and the engine load here, not in the caller)

            loop = asyncio.new_event_loop()
        except BaseException as exc:
            self._failed(exc)
            return
        try:
            asyncio.set_event_loop(loop)
            session = loop.run_until_complete(self._make_session())
        except BaseException as exc:
            loop.close()
            self._failed(exc)
            return
        with self._lock:
            mine = self._thread is threading.current_thread()
            if mine:
                self._session, self._loop = session, loop
                pending, self._pending = self._pending, []
                for job, handle, on_skip, _on_fail in pending:
                    handle._loop = loop
                    loop.call_soon(self._start_job, job, handle, on_skip)
        if not mine:  # shut down while the engine loaded
            loop.run_until_complete(session.close())
            loop.close()
            return
        self._started.set()
        try:
            loop.run_forever()
        finally:
            try:
                loop.run_until_complete(loop.shutdown_asyncgens())
            finally:
                loop.close()

    def _failed(self, exc: BaseException) -> None:
        """The engine could not start: every waiting job fails with why."""
        log.error("the network thread failed to start: %r", exc, exc_info=exc)
        failure = RuntimeError(f"the network thread failed to start: {exc!r}")
        with self._lock:
            if self._thread is not threading.current_thread():
                return
            pending, self._pending = self._pending, []
            self._thread = None
        self._started.set()
        for _job, handle, _on_skip, on_fail in pending:
            if on_fail is not None:
                try:
                    on_fail(exc)
                except Exception:
                    log.exception("failure callback of job %r failed", handle.name)
            handle._finish(exception=failure)

    async def _make_session(self) -> "aiohttp.ClientSession":
        import aiohttp

        return aiohttp.ClientSession(
            timeout=aiohttp.ClientTimeout(total=None, sock_connect=10.0),
            connector=aiohttp.TCPConnector(limit=0, enable_cleanup_closed=False))

    def submit(self, job: Job[T], name: str = "job",
               on_skip: Optional[Callable[[], None]] = None,
               on_fail: Optional[Callable[[BaseException], None]] = None) -> JobHandle[T]:
        """Run ``job(session)`` on the loop thread; returns at once, even while the engine is
        still loading (the job then starts as soon as it is ready).

        ``on_skip`` runs on the loop thread instead of the job when it is cancelled before it
        starts, and ``on_fail(exception)`` when the engine failed to start, so a stream can
        still end with its terminal event.
        """
        with self._lock:
            self.start()
            loop = self._loop
            handle: JobHandle[T] = JobHandle(loop, name)
            if loop is None:
                self._pending.append((job, handle, on_skip, on_fail))
            else:
                loop.call_soon_threadsafe(self._start_job, job, handle, on_skip)
            return handle

    def _start_job(self, job: Job[T], handle: JobHandle[T],
                   on_skip: Optional[Callable[[], None]]) -> None:
        if handle._cancel_requested:
            if on_skip is not None:
                try:
                    on_skip()
                except Exception:
                    log.exception("skip callback of job %r failed", handle.name)
            handle._finish(cancelled=True)
            return
        assert self._session is not None and self._loop is not None
        task = self._loop.create_task(self._run_job(job, handle))
        handle._task = task
        self._tasks.add(task)
        self._handles.add(handle)
        task.add_done_callback(self._tasks.discard)

    async def _run_job(self, job: Job[T], handle: JobHandle[T]) -> None:
        import asyncio

        from .waits import bind_stop

        assert self._session is not None
        bind_stop(lambda: handle.cancel_requested)  # so no deadline wait loses a Stop
        try:
            result = await job(self._session)
        except asyncio.CancelledError:
            handle._finish(cancelled=True)
        except ProviderError as exc:
            log.info("job %r: %s", handle.name, exc)
            handle._finish(exception=exc)
        except Exception as exc:
            log.error("job %r failed: %s", handle.name, redact(repr(exc)), exc_info=True)
            handle._finish(exception=exc)
        else:
            handle._finish(result=result)
        finally:
            self._handles.discard(handle)

    def stream_chat(self, settings: ProviderSettings, request: ChatRequest,
                    sink: Sink) -> JobHandle[Any]:
        """Stream a chat turn; ``sink`` gets every event on the loop thread (or, should the
        engine fail to load, ``start`` and a ``config`` error on the thread that tried)."""

        def skipped() -> None:
            sink(StartEvent(settings.provider_id, request.model, request.request_id))
            sink(ErrorEvent(errors.CANCELLED, "Stopped before the request was sent"))

        def failed(exc: BaseException) -> None:
            sink(StartEvent(settings.provider_id, request.model, request.request_id))
            sink(ErrorEvent(errors.CONFIG, f"The network engine failed to load: {exc!r}",
                            "Reinstall Nuke AI Panel's packages (aiohttp); the log file has "
                            "the details."))

        async def job(session: "aiohttp.ClientSession") -> Any:
            from . import client

            return await client.stream_chat(session, settings, request, sink)

        return self.submit(job, name=f"chat:{settings.provider_id}", on_skip=skipped,
                           on_fail=failed)

    def list_models(self, settings: ProviderSettings) -> JobHandle[Any]:
        async def job(session: "aiohttp.ClientSession") -> Any:
            from . import client

            return await client.list_models(session, settings)

        return self.submit(job, name=f"models:{settings.provider_id}")

    def model_capabilities(self, settings: ProviderSettings) -> JobHandle[Any]:
        """What ``settings.model`` takes (a frozenset of words such as ``tools`` and
        ``vision``), or None when the provider cannot say (see ``client``)."""
        async def job(session: "aiohttp.ClientSession") -> Any:
            from . import client

            return await client.model_capabilities(session, settings)

        return self.submit(job, name=f"capabilities:{settings.provider_id}")

    def check_connection(self, settings: ProviderSettings) -> JobHandle[Any]:
        async def job(session: "aiohttp.ClientSession") -> Any:
            from . import client

            return await client.check_connection(session, settings)

        return self.submit(job, name=f"check:{settings.provider_id}")

    def shutdown(self, timeout: float = 1.0) -> None:
        """Cancel jobs, close the session, stop the loop and join the thread, within ``timeout``
        (waiting first, within it, for an engine still loading)."""
        import asyncio

        thread = self._thread
        if thread is None:
            return
        if threading.current_thread() is thread:
            raise RuntimeError("Worker.shutdown() cannot be called from the worker's thread")
        deadline = max(0.2, timeout)
        self._started.wait(deadline * 0.5)
        with self._lock:
            thread, loop, session = self._thread, self._loop, self._session
            if thread is None:
                return
            # a thread still loading the engine sees it is no longer ours and closes itself
            self._thread, self._loop, self._session = None, None, None
            pending, self._pending = self._pending, []
            if loop is not None and thread.is_alive():
                future = asyncio.run_coroutine_threadsafe(self._close(deadline * 0.6, session),
                                                          loop)
                try:
                    future.result(deadline * 0.8)
                except Exception as exc:
                    log.warning("worker shutdown was not clean: %r", exc)
                try:
                    loop.call_soon_threadsafe(loop.stop)
                except RuntimeError:
                    pass
                thread.join(deadline * 0.2 + 0.5)
        for _job, handle, _on_skip, _on_fail in pending:  # the engine never came up in time
            handle._finish(exception=WorkerStopped("the network thread shut down"))

    async def _close(self, grace: float, session: Optional["aiohttp.ClientSession"]) -> None:
        import asyncio

        for handle in list(self._handles):
            handle._cancel_requested = True
        tasks = [t for t in self._tasks if not t.done()]
        for task in tasks:
            task.cancel()
        if tasks:
            await asyncio.wait(tasks, timeout=grace)
        for handle in list(self._handles):
            if not handle.done():
                handle._finish(exception=WorkerStopped("the network thread shut down"))
        if session is not None:
            await session.close()
        await asyncio.sleep(0)


_default: Optional[Worker] = None
_default_lock = threading.Lock()


def get_worker() -> Worker:
    """The app-wide worker, shut down at interpreter exit."""
    global _default
    with _default_lock:
        if _default is None:
            _default = Worker()
            atexit.register(_default.shutdown)
        return _default


def shutdown_default_worker(timeout: float = 1.0) -> None:
    with _default_lock:
        worker = _default
    if worker is not None:
        worker.shutdown(timeout)
