"""The OpenAI chat-completions shapes of a conversation with images and tool calls.

Facts from OpenAI's API reference (Chat Completions: messages, tools, streaming) and
Mistral's (function calling, vision), kept by every OpenAI-compatible server:

* a user message with images has a ``content`` list: ``{"type": "text", "text"}`` then one
  ``image_url`` part per image (``{"url": DATA_URL}``; Mistral: the data URL as a plain
  string);
* an assistant message repeats its calls: ``tool_calls: [{"id", "type": "function",
  "function": {"name", "arguments": JSON text}}]`` beside its ``content`` (a string, empty
  when it wrote none: llama.cpp and older vLLM refuse a null content);
* each result is ``{"role": "tool", "tool_call_id", "content"}`` (Mistral also wants the
  tool's ``name``);
* tools are ``[{"type": "function", "function": {"name", "description", "parameters"}}]``;
  ``tool_choice: "none"`` forbids further calls;
* streamed, ``choices[0].delta.tool_calls`` carries ``{"index", "id", "function": {"name",
  "arguments"}}`` fragments: the first with id and name, the rest with more ``arguments``
  text for the same ``index`` (some servers send the whole arguments at once, omit the
  index, or repeat the id on every fragment).

Mistral accepts only tool call ids of exactly nine letters and digits: :func:`mistral_id`
maps any id to one, the same way every time, so an echoed call and its result still match.
"""

from __future__ import annotations

import hashlib
import json
import re
from typing import Any, Callable, Dict, List, Mapping, Optional, Sequence, Tuple

from ..images.request import image_part
from ..settings import NONE, ChatRequest, Message
from ..tool_calls import CallPiece, ToolCall

__all__ = ["chat_messages", "tool_declarations", "apply_tools", "mistral_id", "CallReader"]

IdMap = Callable[[str], str]
_MISTRAL_ID = re.compile(r"^[A-Za-z0-9]{9}$")
_ALPHABET = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"


def mistral_id(call_id: str) -> str:
    """``call_id`` if it is already nine letters and digits, else nine drawn from its
    SHA-256 (62^9 values: two ids of one conversation meeting is not a practical risk)."""
    if _MISTRAL_ID.match(call_id):
        return call_id
    number = int.from_bytes(hashlib.sha256(call_id.encode("utf-8")).digest()[:8], "big")
    chars = []
    for _ in range(9):
        number, digit = divmod(number, 62)
        chars.append(_ALPHABET[digit])
    return "".join(chars)


def _same(call_id: str) -> str:
    return call_id


def _user(message: Message, image_style: str) -> Dict[str, Any]:
    if not message.images:
        return {"role": "user", "content": message.content}
    parts: List[Any] = [{"type": "text", "text": message.content}] if message.content else []
    parts.extend(image_part(image, image_style) for image in message.images)
    return {"role": "user", "content": parts}


def _assistant(message: Message, ids: IdMap) -> Dict[str, Any]:
    out: Dict[str, Any] = {"role": "assistant", "content": message.content}
    if message.tool_calls:
        out["tool_calls"] = [_call(call, ids) for call in message.tool_calls]
    return out


def _call(call: ToolCall, ids: IdMap) -> Dict[str, Any]:
    return {"id": ids(call.id), "type": "function",
            "function": {"name": call.name, "arguments": call.arguments}}


def chat_messages(request: ChatRequest, image_style: str = "openai", ids: IdMap = _same,
                  result_name: bool = False) -> List[Dict[str, Any]]:
    """``messages`` for ``request``: the system prompt first, then each message in this
    API's shape (a ``tool`` message becomes one ``role: tool`` message per result)."""
    out: List[Dict[str, Any]] = []
    if request.system:
        out.append({"role": "system", "content": request.system})
    for message in request.messages:
        if message.role == "tool":
            for result in message.tool_results:
                item = {"role": "tool", "tool_call_id": ids(result.call_id),
                        "content": result.content}
                if result_name:
                    item["name"] = result.name
                out.append(item)
        elif message.role == "assistant":
            out.append(_assistant(message, ids))
        else:
            out.append(_user(message, image_style))
    return out


def tool_declarations(tools: Sequence[Mapping[str, Any]]) -> List[Dict[str, Any]]:
    """The provider-neutral tool list as ``[{"type": "function", "function": {...}}]``."""
    return [{"type": "function", "function": {"name": t["name"],
                                              "description": t.get("description", ""),
                                              "parameters": t["parameters"]}}
            for t in tools]


def apply_tools(body: Dict[str, Any], request: ChatRequest) -> None:
    """Add ``tools`` (and ``tool_choice: "none"`` for a last call) to ``body``."""
    if request.tools:
        body["tools"] = tool_declarations(request.tools)
        if request.tool_choice == NONE:
            body["tool_choice"] = "none"


class CallReader:
    """Turns ``delta.tool_calls`` (or a whole ``message.tool_calls``) into
    :class:`CallPiece` s, one reader per response: it numbers calls whose server sends no
    ``index`` (a new id starts a new call; a fragment without one continues the last)."""

    def __init__(self) -> None:
        self._by_id: Dict[str, int] = {}
        self._last: Optional[int] = None
        self._next = 0

    def read(self, items: Any, whole: bool) -> Tuple[CallPiece, ...]:
        if not isinstance(items, list):
            return ()
        pieces = []
        for position, item in enumerate(items):
            if not isinstance(item, dict):
                continue
            function = item.get("function")
            function = function if isinstance(function, dict) else {}
            call_id = item.get("id") if isinstance(item.get("id"), str) else ""
            index = self._index(item.get("index"), call_id, position, whole)
            name = function.get("name") if isinstance(function.get("name"), str) else ""
            arguments = function.get("arguments")
            if isinstance(arguments, (dict, list)):  # a server that sends an object
                arguments = json.dumps(arguments, ensure_ascii=False)
            text = arguments if isinstance(arguments, str) else ""
            if whole:
                pieces.append(CallPiece(index, call_id, name, whole=text))
            else:
                pieces.append(CallPiece(index, call_id, name, fragment=text))
        return tuple(pieces)

    def _index(self, given: Any, call_id: str, position: int, whole: bool) -> int:
        if isinstance(given, int) and not isinstance(given, bool):
            index = given
        elif whole:
            index = position
        elif call_id and call_id not in self._by_id:
            index = self._next
        elif call_id:
            index = self._by_id[call_id]
        else:
            index = self._last if self._last is not None else self._next
        if call_id:
            self._by_id.setdefault(call_id, index)
        self._last = index
        self._next = max(self._next, index + 1)
        return index
