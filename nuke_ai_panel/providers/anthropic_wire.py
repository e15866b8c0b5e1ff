"""The Anthropic Messages shapes of a conversation with images and tool calls.

Facts from Anthropic's Messages API reference (tool use, vision, streaming):

* a user message with images has content blocks: the ``image`` blocks
  (``{"type": "image", "source": {"type": "base64", "media_type", "data"}}``) before the
  ``text`` block, as the vision guide recommends;
* an assistant message with calls repeats its blocks: ``text`` (when it wrote any), then
  ``{"type": "tool_use", "id", "name", "input": OBJECT}`` per call;
* the results go back in ONE user message of ``tool_result`` blocks
  (``{"type": "tool_result", "tool_use_id", "content", "is_error"}``), one per call;
* tools are ``[{"name", "description", "input_schema"}]``; ``tool_choice: {"type":
  "none"}`` forbids further calls while the tools stay declared (a request whose messages
  hold ``tool_use`` blocks must declare tools);
* streamed, a call is a ``content_block_start`` of type ``tool_use`` (id, name, ``input:
  {}``), then ``content_block_delta`` events of type ``input_json_delta`` whose
  ``partial_json`` strings make the input's JSON text, then ``content_block_stop``.
"""

from __future__ import annotations

import json
from typing import Any, Dict, List, Mapping, Sequence, Tuple

from ..images.request import image_part
from ..settings import NONE, ChatRequest, Message
from ..tool_calls import CallPiece, arguments_object

__all__ = ["chat_messages", "apply_tools", "read_block", "read_input_delta"]


def _user(message: Message) -> Dict[str, Any]:
    if not message.images:
        return {"role": "user", "content": message.content}
    blocks: List[Dict[str, Any]] = [image_part(image, "anthropic") for image in message.images]
    if message.content:
        blocks.append({"type": "text", "text": message.content})
    return {"role": "user", "content": blocks}


def _assistant(message: Message) -> Dict[str, Any]:
    if not message.tool_calls:
        return {"role": "assistant", "content": message.content}
    blocks: List[Dict[str, Any]] = []
    if message.content:
        blocks.append({"type": "text", "text": message.content})
    blocks.extend({"type": "tool_use", "id": call.id, "name": call.name,
                   "input": arguments_object(call)} for call in message.tool_calls)
    return {"role": "assistant", "content": blocks}


def _results(message: Message) -> Dict[str, Any]:
    return {"role": "user", "content": [
        {"type": "tool_result", "tool_use_id": r.call_id, "content": r.content,
         "is_error": not r.ok} for r in message.tool_results]}


def chat_messages(request: ChatRequest) -> List[Dict[str, Any]]:
    """``messages`` for ``request`` (the system prompt is the top-level ``system``)."""
    out = []
    for message in request.messages:
        if message.role == "tool":
            out.append(_results(message))
        elif message.role == "assistant":
            out.append(_assistant(message))
        else:
            out.append(_user(message))
    return out


def apply_tools(body: Dict[str, Any], request: ChatRequest) -> None:
    if request.tools:
        body["tools"] = _declarations(request.tools)
        if request.tool_choice == NONE:
            body["tool_choice"] = {"type": "none"}


def _declarations(tools: Sequence[Mapping[str, Any]]) -> List[Dict[str, Any]]:
    return [{"name": t["name"], "description": t.get("description", ""),
             "input_schema": t["parameters"]} for t in tools]


def read_block(block: Any, index: int) -> Tuple[CallPiece, ...]:
    """A ``tool_use`` content block (streamed start, or whole in a complete message) as a
    piece; an ``input`` that is already filled in is the whole arguments (a complete
    message, or a proxy that sends no deltas); the usual empty ``{}`` is not."""
    if not isinstance(block, dict) or block.get("type") != "tool_use":
        return ()
    given = block.get("input")
    whole = json.dumps(given, ensure_ascii=False) if isinstance(given, dict) and given else None
    call_id = block.get("id") if isinstance(block.get("id"), str) else ""
    name = block.get("name") if isinstance(block.get("name"), str) else ""
    return (CallPiece(index, call_id, name, whole=whole),)


def read_input_delta(delta: Dict[str, Any], index: int) -> Tuple[CallPiece, ...]:
    """An ``input_json_delta``: the next piece of the call's input JSON text."""
    text = delta.get("partial_json")
    return (CallPiece(index, fragment=text),) if isinstance(text, str) and text else \
        (CallPiece(index),)
