"""The chat session: one conversation and the turn in flight, with no Qt and no ``nuke``.

The panel, the node-graph helpers and the command line's ``chat`` / ``explain`` (and, later,
the agent loop) drive a session; it builds the request, submits it to the worker, folds the
stream's events into the answer message (:meth:`.turn.Turn.apply`), saves the conversation
when a turn ends, and reports through plain listener lists:

* ``on_turn_started(turn)`` - the user message (if any) and the empty answer are in the
  conversation; nothing has been sent yet;
* ``on_event(turn, event)`` - a stream event (DESIGN section 2), already folded into
  ``turn.answer``; text deltas may arrive merged, depending on the dispatcher;
* ``on_turn_ended(turn)`` - the turn is over (``turn.answer.status`` says how) and the
  conversation has been saved (``turn.saved`` / ``turn.save_error``).

Threading: every public method is called from the owner's thread; listeners run on the
thread the dispatcher delivers on (see :mod:`.dispatch`). :attr:`ChatSession.in_flight` is
the one answer to "is a turn in flight?".
"""

from __future__ import annotations

import threading
from functools import partial
from typing import Any, Callable, Optional, Tuple

from .. import history
from ..history import Conversation, HistoryMessage
from ..settings import ChatRequest
from .dispatch import Channel, Dispatcher, Listeners, direct_dispatcher
from .request import HelperPrompt, Target, build_request
from .turn import JobEnded, Turn

__all__ = ["ChatSession"]


class ChatSession:
    """See the module docstring. ``worker`` is a :class:`nuke_ai_panel.worker.Worker` (or
    anything with its ``stream_chat``); ``save_history`` may be changed at any time (the
    panel follows the ``history_enabled`` setting)."""

    def __init__(self, worker: Any, dispatcher: Dispatcher = direct_dispatcher,
                 save_history: bool = True) -> None:
        self.worker = worker
        self.dispatcher = dispatcher
        self.save_history = save_history
        self.on_turn_started: Listeners[Callable[[Turn], None]] = Listeners()
        self.on_event: Listeners[Callable[[Turn, Any], None]] = Listeners()
        self.on_turn_ended: Listeners[Callable[[Turn], None]] = Listeners()
        self.last_request: Optional[ChatRequest] = None
        self._lock = threading.RLock()
        self._conversation = Conversation()
        self._turn: Optional[Turn] = None
        self._helper: Optional[HelperPrompt] = None
        self._closed = False

    # -- state ----------------------------------------------------------------------------------

    @property
    def conversation(self) -> Conversation:
        return self._conversation

    @property
    def turn(self) -> Optional[Turn]:
        """The turn in flight, or None."""
        return self._turn

    @property
    def in_flight(self) -> bool:
        return self._turn is not None

    def can_retry(self) -> bool:
        return not self.in_flight and any(m.role == "user" for m in self._conversation.messages)

    # -- turns ----------------------------------------------------------------------------------

    def send(self, text: str, target: Target, replace_last: bool = False) -> Optional[Turn]:
        """Add ``text`` as the user's turn and stream the answer; None (nothing changed) while
        a turn is in flight or when ``text`` is blank. ``replace_last``: "edit and resend",
        the last user turn and its answers give way to this one."""
        with self._lock:
            if self._turn is not None or self._closed or not text.strip():
                return None
            if replace_last:
                self._drop_last_exchange()
            user = self._conversation.add(HistoryMessage("user", text))
            self._helper = None
            return self._start(target, user, None)

    def send_helper(self, prompt: HelperPrompt, target: Target,
                    replace_last: bool = False) -> Optional[Turn]:
        """A helper turn: the conversation shows ``prompt.display``, the model gets the
        helper's messages and system prompt. Retry after it resends the same prompt.
        ``replace_last`` as for :meth:`send`."""
        with self._lock:
            if self._turn is not None or self._closed:
                return None
            if replace_last:
                self._drop_last_exchange()
            user = self._conversation.add(HistoryMessage("user", prompt.display))
            self._helper = prompt
            return self._start(target, user, prompt)

    def retry(self, target: Target) -> Optional[Turn]:
        """Send the last user turn again (the failed answer stays, marked); None when a turn
        is in flight or there is nothing to resend."""
        with self._lock:
            if not self.can_retry() or self._closed:
                return None
            return self._start(target, None, self._helper)

    def last_prompt(self) -> Optional[str]:
        """The text of the last user turn (what "edit and resend" puts back), or None."""
        return next((m.text for m in reversed(self._conversation.messages)
                     if m.role == "user"), None)

    def _drop_last_exchange(self) -> None:
        messages = self._conversation.messages
        last = max((i for i, m in enumerate(messages) if m.role == "user"), default=None)
        if last is not None:
            del messages[last:]

    def stop(self) -> bool:
        """Cancel the turn in flight; the connection closes at once, the text so far stays."""
        turn = self._turn
        if turn is None or turn.handle is None:
            return False
        turn.handle.cancel()
        return True

    def wait(self, timeout: Optional[float] = None) -> bool:
        """Block until the turn in flight (if any) has ended; see :meth:`Turn.wait`."""
        turn = self._turn
        return True if turn is None else turn.wait(timeout)

    def _start(self, target: Target, user: Optional[HistoryMessage],
               helper: Optional[HelperPrompt]) -> Turn:
        conv = self._conversation
        conv.provider, conv.model = target.provider, target.model
        conv.system_prompt = target.system_prompt
        request = build_request(conv.messages, target, helper)
        self.last_request = request
        answer = HistoryMessage("assistant", "", model=target.model)
        conv.messages.append(answer)
        turn = Turn(answer, request, target.provider, user=user, helper=helper)
        closer = _Closer()
        channel = self.dispatcher(partial(self._deliver, turn, closer))
        closer.channel = channel
        self._turn = turn
        self.on_turn_started(turn)

        def sink(event: Any) -> None:
            turn.count(event)
            channel.post(event)

        try:
            turn.handle = self.worker.stream_chat(target.settings, request, sink)
        except Exception:
            self._deliver(turn, closer, JobEnded())
            raise
        turn.handle.add_done_callback(lambda handle: channel.post(JobEnded(handle)))
        return turn

    def _deliver(self, turn: Turn, closer: "_Closer", item: Any) -> None:
        """One item for ``turn``, on the owner's thread (see :mod:`.dispatch`)."""
        with self._lock:
            if isinstance(item, JobEnded):
                closer.close()
            if turn is not self._turn:
                return
            ended = turn.apply(item)
            try:
                if not isinstance(item, JobEnded):
                    self.on_event(turn, item)
            finally:
                if ended:  # a listener that fails must not leave the turn in flight forever
                    self._end(turn)

    def _end(self, turn: Turn) -> None:
        self._turn = None
        if self.save_history and self._conversation.messages:
            try:
                history.save(self._conversation)
                turn.saved = True
            except (OSError, ValueError) as exc:
                turn.save_error = f"Could not save the conversation: {exc}"
        try:
            self.on_turn_ended(turn)
        finally:
            turn.finished()

    # -- conversations --------------------------------------------------------------------------

    def save(self) -> str:
        """Save the conversation now, after it changed outside a turn (a step applied or
        undone); returns "" or why it could not be saved. With history off nothing is
        written."""
        with self._lock:
            if not self.save_history or not self._conversation.messages:
                return ""
            try:
                history.save(self._conversation)
            except (OSError, ValueError) as exc:
                return f"Could not save the conversation: {exc}"
            return ""

    def new(self) -> bool:
        """Start an empty conversation; refused (False) while a turn is in flight."""
        with self._lock:
            if self._turn is not None:
                return False
            self._conversation = Conversation()
            self._helper = None
            return True

    def open(self, conv_id: str) -> Tuple[Optional[Conversation], Optional[str]]:
        """Make the saved conversation ``conv_id`` current: ``(conversation, None)``; or
        ``(None, notice)`` when it cannot be used, ``(None, None)`` when it is missing or a
        turn is in flight (nothing changes then)."""
        with self._lock:
            if self._turn is not None:
                return None, None
            conv, notice = history.load(conv_id)
            if conv is not None:
                self._conversation = conv
                self._helper = None
            return conv, notice

    def delete(self) -> bool:
        """Delete the current conversation's file and start a new one. Raises ``OSError`` or
        ``ValueError`` when the file cannot be removed; False while a turn is in flight."""
        with self._lock:
            if self._turn is not None:
                return False
            history.delete(self._conversation.id)
            return self.new()

    def close(self) -> None:
        """The owner is going away: cancel the turn in flight and drop every listener, so a
        late event reaches nobody. Safe to call more than once."""
        with self._lock:
            self._closed = True
            turn, self._turn = self._turn, None
            for listeners in (self.on_turn_started, self.on_event, self.on_turn_ended):
                listeners.clear()
        if turn is not None:
            if turn.handle is not None:
                turn.handle.cancel()
            turn.finished()  # nobody will hear how it ends; waiters need not wait for it


class _Closer:
    """Closes a turn's channel exactly once, after its last item."""

    channel: Optional[Channel] = None

    def close(self) -> None:
        channel, self.channel = self.channel, None
        if channel is not None:
            channel.close()
