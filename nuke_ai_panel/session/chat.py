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

An agent turn (:meth:`ChatSession.send_agent`, DESIGN section 11) and a turn with images
(:meth:`ChatSession.send` with ``images``) run through an
:class:`~nuke_ai_panel.agent.loop.AgentLoop`: several model calls, tool calls on the
session's tool thread, approvals through the front end's approver; the same listeners hear
every stream event and the agent events (``tool_call``, ``approval``, ``tool_result``,
``agent_done``, ``notice``). ``docs/agent_mode.md`` describes this API for front ends.

Threading: every public method is called from the owner's thread; listeners run on the
thread the dispatcher delivers on (see :mod:`.dispatch`). :attr:`ChatSession.in_flight` is
the one answer to "is a turn in flight?".
"""

from __future__ import annotations

import threading
from functools import partial
from typing import Any, Callable, Optional, Sequence, Tuple

from .. import history
from ..history import Conversation, HistoryMessage
from ..settings import ChatRequest
from .dispatch import Channel, Dispatcher, Listeners, direct_dispatcher
from .request import HelperPrompt, Target, build_request, images_refused
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
        self._runner: Any = None  # the tool thread, made for the first agent turn
        self._last_agent: Optional[Turn] = None

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

    def send(self, text: str, target: Target, replace_last: bool = False,
             images: Sequence[Any] = ()) -> Optional[Turn]:
        """Add ``text`` as the user's turn and stream the answer; None (nothing changed) while
        a turn is in flight or when ``text`` is blank. ``replace_last``: "edit and resend",
        the last user turn and its answers give way to this one. ``images``:
        :class:`~nuke_ai_panel.images.ImageAttachment` s sent with it (kept in history by
        reference); for a model that cannot see them (Ollama says so) they are withheld and
        a ``notice`` event says why. ImageError (``images_over_cap``) when they cannot fit
        one request: nothing is sent and the conversation is unchanged."""
        with self._lock:
            if self._turn is not None or self._closed or not text.strip():
                return None
            if replace_last:
                self._drop_last_exchange()
            user = self._conversation.add(HistoryMessage("user", text, images=list(images)))
            self._helper = None
            return self._start(target, user, None)

    def send_agent(self, text: str, target: Target, host: Any, approver: Any,
                   options: Any = None, images: Sequence[Any] = (),
                   class_info: Any = None) -> Optional[Turn]:
        """An agent turn (DESIGN section 11): the model works on ``host``'s comp through the
        tools, in steps. ``approver`` shows each proposed write and answers it
        (:mod:`nuke_ai_panel.agent.approval`); ``options`` an
        :class:`~nuke_ai_panel.agent.setup.AgentOptions` (mode, step limit, result budget,
        the studio's locks); ``class_info`` a class-info source asked before the host's.
        None (nothing changed) while a turn is in flight or when ``text`` is blank."""
        from ..agent import ToolRegistry
        from ..agent.results import DEFAULT_RESULT_BUDGET
        from ..agent.setup import AgentOptions, agent_system_prompt, lint_hook
        options = options or AgentOptions()
        with self._lock:
            if self._turn is not None or self._closed or not text.strip():
                return None
            registry = ToolRegistry(
                host, options.mode, writes_locked=options.writes_locked,
                python_locked=options.python_locked, allow_code=options.allow_code,
                class_info=class_info, lint=lint_hook(host),
                budget=options.budget or DEFAULT_RESULT_BUDGET)
            user = self._conversation.add(HistoryMessage("user", text, images=list(images)))
            self._helper = None
            system = agent_system_prompt(target.system_prompt, options.mode)
            return self._start(target, user, None, registry=registry, approver=approver,
                               max_steps=options.max_steps, system=system)

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
        """Cancel the turn in flight; the connection closes at once, the text so far stays.
        An agent turn stops at any point (it ends ``cancelled``): a pending approval counts
        as rejected, a read tool that is running finishes on its own thread and its result
        is dropped, an approved write being applied is waited for and counted."""
        with self._lock:
            turn = self._turn
            if turn is not None and turn.loop is not None:
                turn.loop.stop()
                return True
        if turn is None or turn.handle is None:
            return False
        turn.handle.cancel()
        return True

    def undo_turn(self, turn: Optional[Turn] = None) -> Any:
        """"Undo this turn": undo every applied write of ``turn`` (default: the last agent
        turn), last first, each only while it is still the last undo step (see
        :meth:`nuke_ai_panel.agent.ToolRegistry.undo_turn`); the answer's steps are marked
        undone and the conversation saved. Calls the host directly: call it on the owner's
        thread (in Nuke, its main thread). Returns the
        :class:`~nuke_ai_panel.agent.UndoReport`; refused while a turn is in flight."""
        from ..agent import UndoReport
        with self._lock:
            turn = turn or self._last_agent
            if self._turn is not None:
                return UndoReport(False, [], [], "A turn is in flight; stop it first.")
            if turn is None or turn.registry is None:
                return UndoReport(True, [], [], "Nothing to undo in this turn.")
            applied = turn.registry.turn.steps
            before = list(applied)
            report = turn.registry.undo_turn()
            # The undo takes steps off the end; the answer has one step per applied write, in
            # the same order, so positions (not names, which repeat) say which were undone.
            # A step that left no undo step (code that changed nothing) is not marked.
            for index in range(len(applied), min(len(before), len(turn.answer.steps))):
                if before[index].recorded:
                    turn.answer.steps[index].undone = True
            self.save()
            return report

    def tool_runner(self) -> Any:
        """The session's tool thread (:class:`~nuke_ai_panel.agent.runner.ToolRunner`)."""
        if self._runner is None:
            from ..agent.runner import ToolRunner
            self._runner = ToolRunner()
        return self._runner

    def wait(self, timeout: Optional[float] = None) -> bool:
        """Block until the turn in flight (if any) has ended; see :meth:`Turn.wait`."""
        turn = self._turn
        return True if turn is None else turn.wait(timeout)

    def _start(self, target: Target, user: Optional[HistoryMessage],
               helper: Optional[HelperPrompt], registry: Any = None, approver: Any = None,
               max_steps: int = 12, system: Optional[str] = None) -> Turn:
        conv = self._conversation
        conv.provider, conv.model = target.provider, target.model
        conv.system_prompt = target.system_prompt
        refused = images_refused(conv.messages, target, helper)
        try:
            request = build_request(conv.messages, target, helper, system)
        except ValueError:  # ImageError: the images cannot fit; nothing was sent
            if user is not None and conv.messages and conv.messages[-1] is user:
                conv.messages.pop()
            raise
        self.last_request = request
        if registry is not None or request.images:
            turn = self._start_loop(target, user, request, registry, approver, max_steps)
            self._tell(turn, refused)
            return turn
        answer = HistoryMessage("assistant", "", model=target.model)
        conv.messages.append(answer)
        turn = Turn(answer, request, target.provider, user=user, helper=helper)
        closer = _Closer()
        channel = self.dispatcher(partial(self._deliver, turn, closer))
        closer.channel = channel
        self._turn = turn
        self.on_turn_started(turn)
        self._tell(turn, refused)

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

    def _tell(self, turn: Turn, message: str) -> None:
        """A ``notice`` event for the turn just started (images the studio keeps back)."""
        if message:
            from ..events import NoticeEvent
            self.on_event(turn, NoticeEvent("images_not_allowed", message))

    def _start_loop(self, target: Target, user: Optional[HistoryMessage], request: ChatRequest,
                    registry: Any, approver: Any, max_steps: int) -> Turn:
        """A turn run by an agent loop (see the module docstring)."""
        from ..agent.loop import AgentLoop
        from .agent_turn import SessionPort
        answer = HistoryMessage("assistant", "", model=target.model)
        self._conversation.messages.append(answer)
        turn = Turn(answer, request, target.provider, user=user, registry=registry)
        port = SessionPort(self, turn, target)
        turn.loop = AgentLoop(port, request, registry, approver, max_steps, check_first=True)
        port.channel = self.dispatcher(partial(self._deliver_loop, turn, port))
        self._turn = turn
        if registry is not None:
            self._last_agent = turn
        self.on_turn_started(turn)
        try:
            turn.loop.start()
        except Exception:
            turn.loop.ended = True
            self._end(turn)
            port.close_if_done(force=True)
            raise
        return turn

    def _deliver_loop(self, turn: Turn, port: Any, item: Any) -> None:
        """One item for a loop turn, on the owner's thread."""
        with self._lock:
            try:
                if turn is self._turn:
                    turn.loop.on_item(item)
            finally:
                port.delivered(item)

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
            for listeners in (self.on_turn_started, self.on_event, self.on_turn_ended):
                listeners.clear()
            turn = self._turn
            if turn is not None and turn.loop is not None:
                turn.loop.stop()  # withdraws an approval; nobody hears the rest
            turn, self._turn = self._turn, None
            runner, self._runner = self._runner, None
        if turn is not None:
            if turn.handle is not None:
                turn.handle.cancel()
            turn.finished()  # nobody will hear how it ends; waiters need not wait for it
        if runner is not None:
            runner.close(0.5)


class _Closer:
    """Closes a turn's channel exactly once, after its last item."""

    channel: Optional[Channel] = None

    def close(self) -> None:
        channel, self.channel = self.channel, None
        if channel is not None:
            channel.close()
