"""One turn in flight, and how its stream events become the answer message.

:meth:`Turn.apply` is the one reducer from stream events (DESIGN section 2) to the answer a
conversation keeps: text and reasoning accumulate here and nowhere else in the app, and the
terminal event (or the end of the job without one) sets the status, the error, the time to
first token, the token count and the duration. It is pure: the clock is passed in.

The engine also reports the whole text on ``done`` (and the partial text on ``error``) for
consumers that do not keep deltas. They agree with the deltas; should they ever not, the
engine's text is kept (and a warning logged), so no text is ever dropped.
"""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass, field
from typing import Any, Optional

from ..errors import CANCELLED
from ..events import DoneEvent, ErrorEvent, StreamEvent
from ..history import COMPLETE, STOPPED, HistoryMessage, cut_off_status
from ..logs import get_logger
from ..settings import ChatRequest
from .request import HelperPrompt

__all__ = ["JobEnded", "Turn"]

log = get_logger(__name__)


@dataclass(frozen=True)
class JobEnded:
    """Posted after the last stream event, when the worker's job is over. A turn still open
    then ended without a terminal event (the worker shut down): it is kept as stopped."""

    handle: Any = None


@dataclass(eq=False)
class Turn:
    """One answer in flight and, once over, how it ended.

    ``answer`` is the assistant message the conversation holds (the transcript renders this
    very object); ``user`` the message this turn added (None for a retry). ``helper`` is the
    helper prompt a helper turn was sent for. ``tokens`` counts the stream's text events as
    they leave the worker (a delta carries ``chunks`` of them) (written on the loop thread, read by the owner). ``finish`` / ``error`` hold
    the terminal event; ``ended`` is set once the turn is over, whatever ended it.
    """

    answer: HistoryMessage
    request: ChatRequest
    provider: str
    user: Optional[HistoryMessage] = None
    helper: Optional[HelperPrompt] = None
    handle: Any = None
    started: float = field(default_factory=time.monotonic)
    tokens: int = 0
    first_delta: Optional[float] = None
    finish: Optional[DoneEvent] = None
    error: Optional[ErrorEvent] = None
    ended: bool = False
    saved: bool = False
    save_error: str = ""
    loop: Any = None  # the agent loop of an agent turn (or of a turn that checks first)
    registry: Any = None  # an agent turn's tool registry ("Undo this turn")
    _step_start: int = 0  # where the answer's current step begins in its text
    _separate: bool = False  # the next step's text starts a new paragraph
    _done: threading.Event = field(default_factory=threading.Event, repr=False)

    @property
    def model(self) -> str:
        return self.request.model

    def wait(self, timeout: Optional[float] = None) -> bool:
        """Block until the turn has ended (for a caller whose dispatcher delivers on the loop
        thread, such as the command line); True when it has."""
        return self._done.wait(timeout)

    @property
    def is_agent(self) -> bool:
        return self.registry is not None

    def begin_step(self) -> None:
        """An agent turn's next model call: its text is a new paragraph of the answer."""
        self._step_start = len(self.answer.text)
        self._separate = bool(self.answer.text.strip())

    def count(self, event: StreamEvent) -> None:
        """Called on the loop thread for every event, before it is handed on."""
        if event.type == "delta" and event.text:
            self.tokens += event.chunks

    def apply(self, event: Any, now: Optional[float] = None) -> bool:
        """Fold ``event`` (a stream event or :class:`JobEnded`) into the answer, on the
        owner's thread. Returns True when the turn ended with it."""
        if self.ended:
            return False
        now = time.monotonic() if now is None else now
        kind = getattr(event, "type", "")
        answer = self.answer
        if kind == "delta":
            if self.first_delta is None:
                self.first_delta = now
            if self._separate and event.text:
                answer.text += "\n\n"
                self._separate = False
                self._step_start = len(answer.text)
            answer.text += event.text
            answer.reasoning += event.reasoning
            return False
        start = self._step_start
        if kind == "done":
            self.finish = event
            if event.text and event.text != answer.text[start:]:
                log.warning("the streamed text and the final text differ; using the final text")
                answer.text = answer.text[:start] + ("\n\n" if self._separate else "") + \
                    event.text
            answer.status, answer.error = COMPLETE, ""
            answer.ttft = event.time_to_first_token
            answer.tokens = event.usage.completion_tokens or self.tokens
            answer.duration = event.duration
        elif kind == "error":
            self.error = event
            if len(event.partial) > len(answer.text) - start:
                answer.text = answer.text[:start] + event.partial
            answer.status = cut_off_status(event.kind)
            answer.error = "" if event.kind == CANCELLED else event.message
            answer.ttft = None if self.first_delta is None else self.first_delta - self.started
            answer.tokens = self.tokens
            answer.duration = now - self.started
        elif isinstance(event, JobEnded):
            answer.status, answer.error = STOPPED, ""
            answer.ttft, answer.tokens, answer.duration = None, self.tokens, now - self.started
        else:
            return False
        self.ended = True
        return True

    def finished(self) -> None:
        """Mark the turn over for :meth:`wait` (after history was saved and listeners ran)."""
        self._done.set()
