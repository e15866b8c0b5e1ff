"""The session's side of a turn run by an :class:`~nuke_ai_panel.agent.loop.AgentLoop`: an
agent turn, or a turn whose images need the model's capabilities checked first.

:class:`SessionPort` gives the loop what it needs of the session, all on the owner's
thread except where said: model calls through the worker, the capability lookup, the
session's tool thread, the turn's channel (any thread), the listeners, and the end of the
turn. It counts the jobs still able to post to the channel, so the channel is closed, on
the owner's thread, only after the last one has (DESIGN section 10's rule for channels).
"""

from __future__ import annotations

from typing import Any, Callable, Optional

from ..agent.loop import Capabilities, ModelEnded, ModelItem, ToolDone
from ..history import AppliedStep
from ..logs import get_logger
from ..settings import ChatRequest
from .dispatch import Channel
from .request import Target
from .turn import Turn

__all__ = ["SessionPort", "JOB_ENDS"]

log = get_logger(__name__)

# Items that are the last a job posts: each one means a job is over.
JOB_ENDS = (ModelEnded, Capabilities, ToolDone)


class SessionPort:
    """One turn's port. ``session`` is the :class:`~.chat.ChatSession` (its worker, tool
    runner, listeners and ``_end``); ``channel`` the turn's channel."""

    def __init__(self, session: Any, turn: Turn, target: Target) -> None:
        self.session = session
        self.turn = turn
        self.target = target
        self.provider = target.provider
        self.model = target.model
        self.channel: Optional[Channel] = None
        self.outstanding = 0  # jobs that will still post an item (owner's thread)

    # -- jobs -------------------------------------------------------------------------------

    def call_model(self, request: ChatRequest, call: int) -> Any:
        turn, channel = self.turn, self.channel
        assert channel is not None
        self.session.last_request = request

        def sink(event: Any) -> None:  # on the loop thread
            turn.count(event)
            channel.post(ModelItem(call, event))

        self.outstanding += 1
        try:
            handle = self.session.worker.stream_chat(self.target.settings, request, sink)
        except Exception:
            self.outstanding -= 1
            raise
        handle.add_done_callback(lambda h: channel.post(ModelEnded(call)))
        turn.handle = handle
        return handle

    def lookup_capabilities(self) -> Any:
        lookup = getattr(self.session.worker, "model_capabilities", None)
        if lookup is None:
            return None
        channel = self.channel
        assert channel is not None
        self.outstanding += 1
        handle = lookup(self.target.settings)

        def done(h: Any) -> None:
            words = None if h.cancelled() or h.exception() is not None else h.result(0)
            channel.post(Capabilities(words))

        handle.add_done_callback(done)
        return handle

    def run(self, fn: Callable[[], Any], token: int) -> None:
        channel = self.channel
        assert channel is not None
        self.outstanding += 1
        self.session.tool_runner().submit(
            fn, lambda result, error: channel.post(ToolDone(token, result, error)))

    def post(self, item: Any) -> None:
        channel = self.channel
        if channel is not None:
            channel.post(item)

    # -- the turn ---------------------------------------------------------------------------

    def show(self, event: Any, fold: bool = True) -> None:
        if fold:
            self.turn.apply(event)
        try:
            self.session.on_event(self.turn, event)
        except Exception:  # a listener's bug must not stop the loop half-way
            log.exception("an on_event listener failed on a %s event", event.type)

    def new_step(self) -> None:
        self.turn.begin_step()

    def record(self, title: str, summary: str) -> None:
        self.turn.answer.steps.append(AppliedStep(title, summary))

    def end(self, terminal: Any, last: Any) -> None:
        turn = self.turn
        turn.apply(terminal)
        try:
            self.session.on_event(turn, terminal)
            if last is not None:
                self.session.on_event(turn, last)
        except Exception:
            log.exception("an on_event listener failed at the end of a turn")
        finally:
            self.session._end(turn)

    # -- the channel ------------------------------------------------------------------------

    def delivered(self, item: Any) -> None:
        """Bookkeeping for each item delivered (owner's thread): close the channel once the
        turn is over and no job can post any more."""
        if isinstance(item, JOB_ENDS):
            self.outstanding -= 1
        self.close_if_done()

    def close_if_done(self, force: bool = False) -> None:
        loop = self.turn.loop
        if self.channel is not None and (force or (loop.ended and self.outstanding <= 0)):
            channel, self.channel = self.channel, None
            channel.close()
