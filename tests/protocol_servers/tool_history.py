"""What a chat request says about tool calls, read the way each provider's API reads it.

:func:`results` lists the tool results a request carries (in each protocol's own shape), for
the scripted agent scenarios to know which step they are at and for tests to assert on.
:func:`check` applies the rules the real APIs enforce on echoed calls and results, and
answers with the provider's own refusal when one is broken:

* OpenAI (and every compatible server): each ``tool`` message answers a ``tool_calls`` id of
  the assistant message before it, and every such id is answered;
* Mistral: the same, and every tool call id is exactly nine letters and digits;
* Anthropic: each ``tool_result`` names a ``tool_use`` of the previous assistant message,
  every ``tool_use`` is answered, and a request holding them declares ``tools``;
* Gemini: a ``functionCall`` part sent back keeps the ``thoughtSignature`` it came with
  (Gemini 3 refuses it otherwise), and a function-call turn is followed by as many
  ``functionResponse`` parts as it had calls.
"""

from __future__ import annotations

import re
from typing import Any, Dict, List, Optional

from .steps import HttpError

__all__ = ["results", "check", "offers_tools", "tool_choice_none", "calls_echoed"]

_MISTRAL_ID = re.compile(r"^[A-Za-z0-9]{9}$")


def _messages(body: Any) -> List[Dict[str, Any]]:
    items = body.get("messages") if isinstance(body, dict) else None
    return [m for m in items or [] if isinstance(m, dict)]


def _contents(body: Any) -> List[Dict[str, Any]]:
    items = body.get("contents") if isinstance(body, dict) else None
    return [c for c in items or [] if isinstance(c, dict)]


def results(family: str, body: Any) -> List[Dict[str, Any]]:
    """Every tool result in the request, in order: ``{"id", "name", "content", "ok"}``
    (``ok`` None where the protocol does not say)."""
    out: List[Dict[str, Any]] = []
    if family == "anthropic":
        for message in _messages(body):
            for block in message.get("content") if isinstance(message.get("content"), list) else []:
                if isinstance(block, dict) and block.get("type") == "tool_result":
                    out.append({"id": block.get("tool_use_id"), "name": None,
                                "content": block.get("content"), "ok": not block.get("is_error")})
    elif family == "gemini":
        for content in _contents(body):
            for part in content.get("parts") or []:
                response = part.get("functionResponse") if isinstance(part, dict) else None
                if isinstance(response, dict):
                    payload = response.get("response") or {}
                    ok = "error" not in payload
                    out.append({"id": response.get("id"), "name": response.get("name"),
                                "content": payload.get("result", payload.get("error")),
                                "ok": ok})
    else:
        for message in _messages(body):
            if message.get("role") == "tool":
                out.append({"id": message.get("tool_call_id"),
                            "name": message.get("tool_name") or message.get("name"),
                            "content": message.get("content"), "ok": None})
    return out


def calls_echoed(family: str, body: Any) -> List[Dict[str, Any]]:
    """Every tool call the request repeats from earlier answers: ``{"id", "name",
    "arguments", "signature"}``."""
    out: List[Dict[str, Any]] = []
    if family == "anthropic":
        for message in _messages(body):
            for block in message.get("content") if isinstance(message.get("content"), list) else []:
                if isinstance(block, dict) and block.get("type") == "tool_use":
                    out.append({"id": block.get("id"), "name": block.get("name"),
                                "arguments": block.get("input"), "signature": None})
    elif family == "gemini":
        for content in _contents(body):
            for part in content.get("parts") or []:
                call = part.get("functionCall") if isinstance(part, dict) else None
                if isinstance(call, dict):
                    out.append({"id": call.get("id"), "name": call.get("name"),
                                "arguments": call.get("args"),
                                "signature": part.get("thoughtSignature")})
    else:
        for message in _messages(body):
            for call in message.get("tool_calls") or []:
                function = call.get("function") or {}
                out.append({"id": call.get("id"), "name": function.get("name"),
                            "arguments": function.get("arguments"), "signature": None})
    return out


def offers_tools(family: str, body: Any) -> bool:
    return bool(isinstance(body, dict) and body.get("tools"))


def tool_choice_none(family: str, body: Any) -> bool:
    """The request forbids further calls (or, for Ollama, declares no tools)."""
    if not isinstance(body, dict):
        return False
    if family == "anthropic":
        return (body.get("tool_choice") or {}).get("type") == "none"
    if family == "gemini":
        config = (body.get("toolConfig") or {}).get("functionCallingConfig") or {}
        return config.get("mode") == "NONE"
    if family == "ollama":
        return not body.get("tools")
    return body.get("tool_choice") == "none"


def _openai(body: Any, mistral: bool) -> Optional[HttpError]:
    messages = _messages(body)
    for i, message in enumerate(messages):
        ids = [c.get("id") for c in message.get("tool_calls") or []]
        if mistral:
            for call_id in ids + ([message.get("tool_call_id")] if message.get("role") == "tool"
                                  else []):
                if not isinstance(call_id, str) or not _MISTRAL_ID.match(call_id):
                    return HttpError(400, "invalid_request", f"Tool call id was {call_id} but "
                                     "must be a-z, A-Z, 0-9, with a length of 9.")
        if not ids:
            continue
        answered = []
        for follower in messages[i + 1:]:
            if follower.get("role") != "tool":
                break
            answered.append(follower.get("tool_call_id"))
        missing = [x for x in ids if x not in answered]
        if missing:
            return HttpError(400, "invalid_request", "An assistant message with 'tool_calls' "
                             "must be followed by tool messages responding to each "
                             "'tool_call_id'. The following tool_call_ids did not have "
                             f"response messages: {', '.join(map(str, missing))}")
    for i, message in enumerate(messages):
        if message.get("role") != "tool":
            continue
        before = next((m for m in reversed(messages[:i]) if m.get("role") != "tool"), {})
        if message.get("tool_call_id") not in [c.get("id") for c in before.get("tool_calls") or []]:
            return HttpError(400, "invalid_request", "Invalid parameter: messages with role "
                             "'tool' must be a response to a preceeding message with 'tool_calls'.")
    return None


def _blocks(message: Dict[str, Any], kind: str) -> List[Dict[str, Any]]:
    content = message.get("content")
    return [b for b in content if isinstance(b, dict) and b.get("type") == kind] \
        if isinstance(content, list) else []


def _anthropic(body: Any) -> Optional[HttpError]:
    messages = _messages(body)
    if any(_blocks(m, "tool_use") or _blocks(m, "tool_result") for m in messages) and \
            not body.get("tools"):
        return HttpError(400, "invalid_request", "Requests which include `tool_use` or "
                         "`tool_result` blocks must define tools.")
    for i, message in enumerate(messages):
        uses = [b.get("id") for b in _blocks(message, "tool_use")]
        answered = [b.get("tool_use_id") for b in _blocks(messages[i + 1], "tool_result")] \
            if uses and i + 1 < len(messages) else []
        if uses and sorted(answered) != sorted(uses):
            return HttpError(400, "invalid_request", "messages.{}: `tool_use` ids were found "
                             "without `tool_result` blocks immediately after: {}".format(
                                 i, ", ".join(u for u in uses if u not in answered) or
                                 ", ".join(map(str, answered))))
        for block in _blocks(message, "tool_result"):
            previous = [b.get("id") for b in _blocks(messages[i - 1], "tool_use")] if i else []
            if block.get("tool_use_id") not in previous:
                return HttpError(400, "invalid_request", "unexpected `tool_use_id` found in "
                                 f"`tool_result` blocks: {block.get('tool_use_id')}. Each "
                                 "`tool_result` block must have a corresponding `tool_use` "
                                 "block in the previous message.")
    return None


def _gemini(body: Any) -> Optional[HttpError]:
    contents = _contents(body)
    for i, content in enumerate(contents):
        calls = [p for p in content.get("parts") or []
                 if isinstance(p, dict) and "functionCall" in p]
        for part in calls:
            if not part.get("thoughtSignature"):
                return HttpError(400, "invalid_request", "Function call is missing a "
                                 "thought_signature in functionCall parts. This is required "
                                 "for tools to work correctly.")
        if calls:
            after = contents[i + 1].get("parts") if i + 1 < len(contents) else []
            responses = [p for p in after or [] if isinstance(p, dict) and "functionResponse" in p]
            if len(responses) != len(calls):
                return HttpError(400, "invalid_request", "Please ensure that the number of "
                                 "function response parts is equal to the number of function "
                                 "call parts of the function call turn.")
    return None


def check(protocol: str, family: str, body: Any) -> Optional[HttpError]:
    """The provider's refusal for a request that breaks its tool-call rules, or None."""
    if family == "anthropic":
        return _anthropic(body)
    if family == "gemini":
        return _gemini(body)
    if family in ("openai", "openrouter"):
        return _openai(body, protocol == "mistral")
    return None
