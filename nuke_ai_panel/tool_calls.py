"""Tool calls in a conversation, provider-neutral (DESIGN section 11).

The model's calls and their results travel in a :class:`~nuke_ai_panel.settings.Message`;
each provider module turns them into its own wire shape (``providers/*_wire.py``). Reading a
stream, a provider reports each piece of a call it sees (:class:`CallPiece`: an OpenAI
``delta.tool_calls`` fragment, an Anthropic ``tool_use`` block or ``input_json_delta``, a
whole Gemini ``functionCall`` part or Ollama ``message.tool_calls`` entry); a
:class:`CallBuilder` per call gathers them, and :func:`assign_ids` is the one place that
makes every call's id non-empty and unique within the turn.

A call written as plain text in an answer is never a call: only these structures are.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any, Dict, Iterable, List, Mapping, Optional, Tuple

__all__ = ["ToolCall", "ToolOutput", "CallPiece", "CallBuilder", "assign_ids",
           "arguments_object", "ID_PREFIX"]

ID_PREFIX = "call_"


@dataclass(frozen=True)
class ToolCall:
    """One tool call the model made.

    ``id``: non-empty and unique within the turn (the server's, or ours when it gave none
    or repeated one); the same id goes into the echoed call and its result.
    ``arguments``: the arguments as JSON text, exactly as the model wrote them (they may be
    invalid: the registry says so to the model). ``extra``: what a provider needs echoed
    back on the call, unchanged (Gemini: ``thoughtSignature``, and ``id`` when the server
    gave one).
    """

    id: str
    name: str
    arguments: str = "{}"
    extra: Mapping[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class ToolOutput:
    """The result sent back for call ``call_id`` (tool ``name``): ``ok`` False for a failed
    or rejected call; ``content`` is the text the model reads."""

    call_id: str
    name: str
    ok: bool
    content: str


@dataclass(frozen=True)
class CallPiece:
    """What one stream event said about the call at position ``index`` of the answer.

    ``fragment`` continues the arguments text (OpenAI, Anthropic deltas); ``whole`` is the
    complete arguments text of a call that arrives in one piece (Gemini, Ollama, a whole
    non-streamed answer). ``id``, ``name`` and ``extra`` are given once, usually first.
    """

    index: int
    id: str = ""
    name: str = ""
    fragment: str = ""
    whole: Optional[str] = None
    extra: Tuple[Tuple[str, Any], ...] = ()


class CallBuilder:
    """Gathers the pieces of one call; :meth:`build` gives the :class:`ToolCall` (its id
    may still be empty: :func:`assign_ids` decides)."""

    __slots__ = ("index", "id", "name", "fragments", "whole", "extra")

    def __init__(self, index: int) -> None:
        self.index = index
        self.id = ""
        self.name = ""
        self.fragments: List[str] = []
        self.whole: Optional[str] = None
        self.extra: Dict[str, Any] = {}

    def add(self, piece: CallPiece) -> None:
        # servers that repeat the id or name on every fragment: the first one counts
        if piece.id and not self.id:
            self.id = piece.id
        if piece.name and not self.name:
            self.name = piece.name
        if piece.fragment:
            self.fragments.append(piece.fragment)
        if piece.whole is not None:
            self.whole = piece.whole
        for key, value in piece.extra:
            self.extra.setdefault(key, value)

    def build(self) -> ToolCall:
        text = "".join(self.fragments) if self.fragments else (self.whole or "")
        return ToolCall(self.id, self.name, text if text.strip() else "{}", dict(self.extra))


def assign_ids(calls: Iterable[ToolCall], taken: Iterable[str] = ()) -> List[ToolCall]:
    """The calls with every id non-empty and unique: a call whose id is empty, or already
    ``taken`` (earlier steps of the turn) or used by an earlier call of ``calls``, gets
    ``call_N`` (the lowest N free). Ids are otherwise kept as the server sent them."""
    used = set(taken)
    out: List[ToolCall] = []
    counter = 0
    for call in calls:
        call_id = call.id
        if not call_id or call_id in used:
            counter += 1
            while f"{ID_PREFIX}{counter}" in used:
                counter += 1
            call_id = f"{ID_PREFIX}{counter}"
            call = ToolCall(call_id, call.name, call.arguments, call.extra)
        used.add(call_id)
        out.append(call)
    return out


def arguments_object(call: ToolCall) -> Dict[str, Any]:
    """The call's arguments as an object, for the wire shapes that echo them as one
    (Anthropic ``input``, Gemini ``args``, Ollama ``arguments``); ``{}`` when they are not
    a JSON object (the model was told so by the failed result)."""
    try:
        value = json.loads(call.arguments)
    except ValueError:
        return {}
    return value if isinstance(value, dict) else {}
