"""The agent loop (DESIGN section 11): model call -> tool calls -> results -> next call.

One :class:`AgentLoop` per turn, Qt-free, driven by items delivered on the session owner's
thread (:meth:`AgentLoop.on_item`); it never blocks that thread:

1. an optional capability lookup first (Ollama's ``/api/show``): a model without ``tools``
   ends the turn with ``bad_request`` saying so before anything is sent; one without
   ``vision`` gets the request without its images, and a ``notice`` says why;
2. a model call with the offered tools; its stream events are shown as they come;
3. its tool calls, in order, on the session's tool thread (:mod:`.runner`): each is
   ``tool_call``, then read tools give their result at once; a write is linted: findings
   go back to the model once as a failed result asking for a fix (the repair round), else
   the proposal waits for the :class:`~.approval.Approver` (``approval``), and an approved
   one is applied as one named undo group; then ``tool_result`` {id, ok, summary};
4. the answer and its results, with the same call ids, are added to the conversation, in
   each provider's shape (the provider modules), and the next call goes out;
5. an answer without calls ends the turn ``done``; after ``max_steps`` rounds of calls, one
   last call may not use tools (it sums up) and ``agent_done`` says the limit was reached.

Stop (:meth:`AgentLoop.stop`) works at any point and the turn ends ``cancelled``, with the
text so far: a model call is cancelled (the server sees the connection close), and an answer
that already arrived but was not handled yet ends the turn with its text, its calls never
run; a pending approval is withdrawn and counts as rejected; a read tool that is running
finishes on its own thread and its result is dropped; an approved write being applied is
waited for, so once it lands it is counted, recorded and reported (it changed the comp).
``agent_done`` {steps, applied, rejected} comes last in every case.
"""

from __future__ import annotations

import logging
from collections import deque
from typing import Any, Deque, List, Optional, Protocol, Set

from .. import errors
from ..events import (AgentDoneEvent, ApprovalEvent, ErrorEvent, NoticeEvent, StartEvent,
                      ToolCallEvent, ToolResultEvent)
from ..providers.base import NO_TOOLS_HINT
from ..settings import NONE, ChatRequest, Message
from ..tool_calls import ToolCall, ToolOutput, assign_ids
from .approval import Approval, withdraw
from .proposals import Proposal
from .registry import ToolRegistry
from .results import ToolResult, failed
from .setup import SUM_UP, repair_result

__all__ = ["AgentLoop", "LoopPort", "ModelItem", "ModelEnded", "Capabilities", "ToolDone",
           "Decided"]

_log = logging.getLogger(__name__)


class ModelItem:
    """A stream event of model call number ``call``."""

    __slots__ = ("call", "event")

    def __init__(self, call: int, event: Any) -> None:
        self.call, self.event = call, event


class ModelEnded:
    """Model call number ``call``'s job is over (after its last event)."""

    __slots__ = ("call",)

    def __init__(self, call: int) -> None:
        self.call = call


class Capabilities:
    """What the capability lookup said: a set of words, or None (unknown)."""

    __slots__ = ("words",)

    def __init__(self, words: Optional[frozenset]) -> None:
        self.words = words


class ToolDone:
    """A job of the tool thread ended: ``result`` or ``error``."""

    __slots__ = ("token", "result", "error")

    def __init__(self, token: int, result: Any, error: Optional[BaseException]) -> None:
        self.token, self.result, self.error = token, result, error


class Decided:
    """The artist's answer to ``approval``."""

    __slots__ = ("approval", "approved", "reason", "all_remaining")

    def __init__(self, approval: Approval, approved: bool, reason: str, all_remaining: bool):
        self.approval, self.approved = approval, approved
        self.reason, self.all_remaining = reason, all_remaining


class LoopPort(Protocol):
    """The session side of a loop (``session/agent_turn.py``)."""

    provider: str
    model: str

    def call_model(self, request: ChatRequest, call: int) -> Any:
        """Start model call ``call``; post :class:`ModelItem` s and then :class:`ModelEnded`.
        Returns its job handle (``cancel()``)."""

    def run(self, fn: Any, token: int) -> None:
        """Run ``fn()`` on the session's tool thread; post :class:`ToolDone` (``token``)."""

    def lookup_capabilities(self) -> Any:
        """Start the capability lookup (post :class:`Capabilities`); its handle, or None
        when this provider has none (nothing is posted then)."""

    def post(self, item: Any) -> None:
        """From any thread: deliver ``item`` to :meth:`AgentLoop.on_item` on the owner's."""

    def show(self, event: Any, fold: bool = True) -> None:
        """Report ``event`` to the listeners; ``fold`` it into the answer (deltas)."""

    def new_step(self) -> None:
        """The next model call's text starts a new paragraph of the answer."""

    def record(self, title: str, summary: str) -> None:
        """An applied write, for the conversation's record."""

    def end(self, terminal: Any, last: Any) -> None:
        """The turn is over: fold and report ``terminal``, then report ``last``."""


class AgentLoop:
    """See the module docstring. ``registry`` None: a plain turn (no tools) that only needs
    the capability lookup (a turn with images)."""

    def __init__(self, port: LoopPort, request: ChatRequest, registry: Optional[ToolRegistry],
                 approver: Any = None, max_steps: int = 12, check_first: bool = False) -> None:
        self.port = port
        self.registry = registry
        self.approver = approver
        self.max_steps = max_steps
        self.check_first = check_first
        self.request = request
        self.messages: List[Message] = list(request.messages)
        self.steps = self.applied = self.rejected = 0
        self.limit_reached = False
        self.ended = False
        self._call = 0  # the model call in flight (its number)
        self._handle: Any = None
        self._final = False  # the call in flight may not use tools
        self._step_calls: List[ToolCall] = []
        self._pending: Deque[ToolCall] = deque()
        self._outputs: List[ToolOutput] = []
        self._text = ""
        self._used: Set[str] = set()
        self._token = 0
        self._approval: Optional[Approval] = None
        self._approve_all = False
        self._repair_for: Optional[str] = None
        self._applying: Optional[str] = None  # the undo group being applied, if any
        self._stopping = False  # Stop was pressed; the turn ends with the item awaited

    # -- starting and stopping ------------------------------------------------------------

    def start(self) -> None:
        if self.check_first:
            self._handle = self.port.lookup_capabilities()
            if self._handle is not None:
                return
        self._model_call()

    def stop(self) -> None:
        """Stop (see the module docstring): the turn ends at once, or, while a model call
        or an approved write is under way, when its outcome is delivered. Safe to call more
        than once."""
        if self.ended or self._stopping:
            return
        if self._applying is not None:  # the write lands anyway: wait, count and record it
            self._stopping = True
            return
        if self._handle is not None and self._call:
            self._stopping = True  # its answer may already be on its way: see _on_stream
            self._handle.cancel()  # the stream ends with its own ``cancelled`` error
            return
        if self._handle is not None:
            self._handle.cancel()
        approval, self._approval = self._approval, None
        if approval is not None:  # a write waiting for the artist counts as rejected
            withdraw(self.approver, approval)
            self.rejected += 1
            self.port.show(ApprovalEvent(approval.call_id, False))
            self.port.show(ToolResultEvent(approval.call_id, False,
                                           "rejected: the turn was stopped"))
        where = "while waiting for your approval" if approval is not None else \
            "while a tool was running" if self._pending else "before the model was asked"
        self._finish(ErrorEvent(errors.CANCELLED, f"Stopped {where}"))

    # -- items ------------------------------------------------------------------------------

    def on_item(self, item: Any) -> None:
        if self.ended:
            return
        if isinstance(item, ModelItem):
            if item.call == self._call:
                self._on_stream(item.event)
        elif isinstance(item, ModelEnded):
            if item.call == self._call and self._handle is not None:
                self._finish(ErrorEvent(errors.CANCELLED, "The request ended without an answer"))
        elif isinstance(item, Capabilities):
            self._handle = None
            self._on_capabilities(item.words)
        elif isinstance(item, ToolDone):
            if item.token == self._token:
                self._on_tool_done(item.result, item.error)
        elif isinstance(item, Decided):
            if item.approval is self._approval:
                self._approval = None
                self._on_decided(item)

    def _on_capabilities(self, words: Optional[frozenset]) -> None:
        port = self.port
        if words is not None and self.registry is not None and "tools" not in words:
            port.show(StartEvent(port.provider, port.model, self.request.request_id))
            listed = ", ".join(sorted(words)) or "none"
            self._finish(ErrorEvent(errors.BAD_REQUEST, f"{port.model} does not support tools "
                                    f"(Ollama lists its capabilities: {listed})", NO_TOOLS_HINT))
            return
        images = [image for m in self.messages for image in m.images]
        if words is not None and images and "vision" not in words:
            labels = ", ".join(getattr(i, "label", "image") for i in images)
            port.show(NoticeEvent("images_withheld", (
                f"{port.model} takes no image input (Ollama lists its capabilities: "
                f"{', '.join(sorted(words)) or 'none'}), so the image was not sent: {labels}.")))
            self.messages = [Message(m.role, m.content, (), m.tool_calls, m.tool_results)
                             for m in self.messages]
        self._model_call()

    # -- model calls ------------------------------------------------------------------------

    def _model_call(self) -> None:
        tools = self.registry.tool_specs() if self.registry is not None else ()
        system = self.request.system
        if self._final:
            system = f"{system}\n\n{SUM_UP}" if system else SUM_UP
        request = ChatRequest(self.request.model, list(self.messages), system,
                              self.request.temperature, self.request.max_tokens,
                              tools=tools, tool_choice=NONE if self._final else "auto")
        self._call += 1
        self._text = ""
        if self._call > 1:
            self.port.new_step()
        self._handle = self.port.call_model(request, self._call)

    def _on_stream(self, event: Any) -> None:
        kind = event.type
        if kind == "delta":
            self._text += event.text
        if kind not in ("done", "error"):
            self.port.show(event)
            return
        self._handle = None
        if self._stopping:
            self._finish(_stopped(event))
            return
        calls = list(event.tool_calls) if kind == "done" else []
        if kind == "error" or self.registry is None or self._final or not calls:
            self._finish(event)
            return
        self.port.show(event, fold=False)  # the turn goes on: this answer is one step
        self._step_calls = assign_ids(calls, self._used)
        self._used.update(c.id for c in self._step_calls)
        self._pending = deque(self._step_calls)
        self._outputs = []
        self._next_call()

    # -- tool calls -------------------------------------------------------------------------

    def _run(self, fn: Any) -> None:
        """Run ``fn()`` on the tool thread; its outcome comes back as :class:`ToolDone`."""
        self._token += 1
        self.port.run(fn, self._token)

    def _next_call(self) -> None:
        if not self._pending:
            self._after_step()
            return
        call = self._pending[0]
        self.port.show(ToolCallEvent(call.id, call.name, call.arguments))
        registry = self.registry
        assert registry is not None
        self._applying = None
        self._run(lambda: registry.call(call.name, call.arguments))

    def _on_tool_done(self, result: Any, error: Optional[BaseException]) -> None:
        call = self._pending[0]
        assert self.registry is not None
        if error is not None:
            _log.error("tool %s failed", call.name, exc_info=error)
            result = failed(call.name, f"{call.name} failed inside the panel "
                            f"({type(error).__name__}: {error}). Nothing was changed.",
                            self.registry.budget)
        if isinstance(result, Proposal):
            self._on_proposal(call, result)
            return
        title = self._applying
        if title is not None and result.ok:
            self.applied += 1
            self.port.record(title, result.summary)
        if self._stopping:  # Stop came while this write was being applied
            self._report(call, result)
            said = f"Stopped after applying '{title}'" if result.ok else \
                f"Stopped; '{title}' could not be applied"
            self._finish(ErrorEvent(errors.CANCELLED, said))
            return
        self._result(call, result)

    def _on_proposal(self, call: ToolCall, proposal: Proposal) -> None:
        registry = self.registry
        assert registry is not None
        if proposal.findings and self._repair_for != call.name:
            self._repair_for = call.name  # once: the next attempt goes to the artist
            self._result(call, repair_result(proposal, registry.budget))
            return
        self._repair_for = None
        if not proposal.allowed:  # code while code execution is off: refused, comp untouched
            self._run(lambda: registry.apply(proposal))
        elif self._approve_all:
            self._decide(proposal, True)
        else:
            self._approval = Approval(call.id, call.name, proposal, self._answered)
            self.approver.request(self._approval)

    def _answered(self, approval: Approval, approved: bool, reason: str,
                  all_remaining: bool) -> None:
        """:meth:`Approval.decide`'s callback, on any thread: on to the owner's thread."""
        self.port.post(Decided(approval, approved, reason, all_remaining))

    def _on_decided(self, item: Decided) -> None:
        self._approve_all = self._approve_all or item.all_remaining
        self._decide(item.approval.proposal, item.approved, item.reason)

    def _decide(self, proposal: Proposal, approved: bool, reason: str = "") -> None:
        registry = self.registry
        assert registry is not None
        call = self._pending[0]
        self.port.show(ApprovalEvent(call.id, approved))
        if not approved:
            self.rejected += 1
            self._result(call, registry.reject(proposal, reason))
            return
        self._applying = proposal.title
        self._run(lambda: registry.apply(proposal))

    def _result(self, call: ToolCall, result: ToolResult) -> None:
        self._report(call, result)
        self._next_call()

    def _report(self, call: ToolCall, result: ToolResult) -> None:
        """``tool_result`` for ``call``, the first pending one; its output for the model."""
        self._applying = None
        self.port.show(ToolResultEvent(**result.event(call.id)))
        self._outputs.append(ToolOutput(call.id, call.name, result.ok, result.text))
        self._pending.popleft()

    def _after_step(self) -> None:
        self.messages.append(Message("assistant", self._text, tool_calls=tuple(self._step_calls)))
        self.messages.append(Message("tool", "", tool_results=tuple(self._outputs)))
        self.steps += 1
        if self.steps >= self.max_steps:
            self.limit_reached = self._final = True
        self._model_call()

    # -- the end ----------------------------------------------------------------------------

    def _finish(self, terminal: Any) -> None:
        if self.ended:
            return
        self.ended = True
        self._handle = None
        last = AgentDoneEvent(self.steps, self.applied, self.rejected, self.limit_reached) \
            if self.registry is not None else None
        self.port.end(terminal, last)

    def output(self, call_id: str) -> Optional[ToolOutput]:
        """What call ``call_id`` gave the model (its full result text), once its
        ``tool_result`` was reported; None before, or for a call Stop ended."""
        for output in self._outputs:
            if output.call_id == call_id:
                return output
        for message in self.messages:
            for output in message.tool_results:
                if output.call_id == call_id:
                    return output
        return None

    @property
    def waiting_for(self) -> Optional[Approval]:
        """The approval the loop waits for, if any."""
        return self._approval


def _stopped(event: Any) -> ErrorEvent:
    """The end of a turn whose model call ended (``event``: its ``done`` or ``error``) after
    Stop was pressed: ``cancelled``, keeping the answer's text; its tool calls never run."""
    if event.type == "error" and event.kind == errors.CANCELLED:
        return event  # the stream's own: Stop closed the connection
    if event.type == "error":
        return ErrorEvent(errors.CANCELLED, "Stopped before the answer finished",
                          partial=event.partial, partial_reasoning=event.partial_reasoning)
    what = "before its tool calls ran" if event.tool_calls else "as the answer arrived"
    return ErrorEvent(errors.CANCELLED, f"Stopped {what}", partial=event.text,
                      partial_reasoning=event.reasoning)
