"""The stream events every chat stream yields (DESIGN section 2, a contract).

Order: ``start``, then any of ``waiting`` / ``retrying`` / ``delta``, then exactly one of
``done`` or ``error``; ``done`` carries the answer's tool calls, if any. A turn with tools
(DESIGN section 11) is several such streams, one per model call, with the agent events
between and after them: ``tool_call``, ``approval``, ``tool_result`` and, last,
``agent_done``; ``notice`` says something the artist must know about the turn (an image
withheld). Events are plain frozen dataclasses so they cross threads safely and
serialise to the ``--json`` lines of the command line with :func:`to_dict`.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from typing import Any, Dict, Optional, Tuple, Union

from .tool_calls import ToolCall


@dataclass(frozen=True)
class Usage:
    prompt_tokens: Optional[int] = None
    completion_tokens: Optional[int] = None

    @property
    def total_tokens(self) -> Optional[int]:
        if self.prompt_tokens is None and self.completion_tokens is None:
            return None
        return (self.prompt_tokens or 0) + (self.completion_tokens or 0)


@dataclass(frozen=True)
class StartEvent:
    provider: str
    model: str
    request_id: str
    type: str = field(default="start", init=False)


@dataclass(frozen=True)
class WaitingEvent:
    seconds: float
    type: str = field(default="waiting", init=False)


@dataclass(frozen=True)
class RetryingEvent:
    attempt: int
    delay: float
    reason: str
    type: str = field(default="retrying", init=False)


@dataclass(frozen=True)
class DeltaEvent:
    """New answer text and reasoning: everything one network chunk carried, merged in order.
    ``chunks`` is how many of the stream's events (each usually one token) gave its text."""

    text: str = ""
    reasoning: str = ""
    chunks: int = 1
    type: str = field(default="delta", init=False)

    @classmethod
    def of_chunk(cls, text: str, reasoning: str, chunks: int) -> "DeltaEvent":
        """``DeltaEvent(text, reasoning, chunks)``, equal in every way, built for the engine's
        per-chunk path without the frozen class's four guarded attribute writes (a third of
        the cost). Nothing may change it after, as with any event."""
        event = object.__new__(cls)
        fields = event.__dict__
        fields["text"], fields["reasoning"], fields["chunks"] = text, reasoning, chunks
        return event  # ``type`` is the class's default, as the normal constructor leaves it


@dataclass(frozen=True)
class DoneEvent:
    finish_reason: Optional[str]
    usage: Usage
    time_to_first_token: Optional[float]
    duration: float
    malformed_chunks: int = 0
    text: str = ""
    reasoning: str = ""
    tool_calls: Tuple[ToolCall, ...] = ()
    type: str = field(default="done", init=False)


@dataclass(frozen=True)
class ErrorEvent:
    kind: str
    message: str
    hint: str = ""
    status: Optional[int] = None
    chunks: int = 0
    partial: str = ""
    partial_reasoning: str = ""
    type: str = field(default="error", init=False)


@dataclass(frozen=True)
class ToolCallEvent:
    """The model called tool ``name`` (``arguments``: its JSON text) as call ``id``."""

    id: str
    name: str
    arguments: str
    type: str = field(default="tool_call", init=False)


@dataclass(frozen=True)
class ApprovalEvent:
    """The artist approved (or rejected, or Stop withdrew) the write of call ``id``."""

    id: str
    approved: bool
    type: str = field(default="approval", init=False)


@dataclass(frozen=True)
class ToolResultEvent:
    """What call ``id`` gave: ``ok`` False for a failed, refused or rejected call;
    ``summary`` one line for the transcript."""

    id: str
    ok: bool
    summary: str
    type: str = field(default="tool_result", init=False)


@dataclass(frozen=True)
class AgentDoneEvent:
    """The end of an agent turn: ``steps`` model calls whose tool calls were run,
    ``applied`` and ``rejected`` writes, and whether the step limit ended the loop."""

    steps: int
    applied: int
    rejected: int
    limit_reached: bool = False
    type: str = field(default="agent_done", init=False)


@dataclass(frozen=True)
class NoticeEvent:
    """Something the artist must know about the turn: ``kind`` (``images_withheld``) and
    a one-line ``message``."""

    kind: str
    message: str
    type: str = field(default="notice", init=False)


StreamEvent = Union[StartEvent, WaitingEvent, RetryingEvent, DeltaEvent, DoneEvent, ErrorEvent]
AgentEvent = Union[ToolCallEvent, ApprovalEvent, ToolResultEvent, AgentDoneEvent, NoticeEvent]


def to_dict(event: Union[StreamEvent, AgentEvent]) -> Dict[str, Any]:
    """A JSON-ready dict with ``type`` first, as the CLI's ``--json`` prints it."""
    data = dataclasses.asdict(event)
    kind = data.pop("type")
    return {"type": kind, **data}
