"""Ollama's native API: NDJSON lines ending with ``done: true``.

Images and tools (Ollama's API reference, ``/api/chat`` and ``/api/show``): a user message
carries ``images: [base64, ...]``; tools are declared as OpenAI's; an answer's calls come
whole in ``message.tool_calls: [{"function": {"name", "arguments": OBJECT}}]`` (no
fragments; newer servers add an ``id``); the conversation repeats the assistant message with
its ``tool_calls`` and adds ``{"role": "tool", "content", "tool_name"}`` per result.
``POST /api/show {"model"}`` lists the model's ``capabilities`` (``completion``, ``tools``,
``vision``, ``thinking``...). Ollama has no ``tool_choice``: a last call that may not use
tools declares none.
"""

from __future__ import annotations

import json
from typing import Any, Dict, FrozenSet, List, Optional, Tuple

from .. import errors
from ..settings import ChatRequest
from ..images.request import image_part
from ..settings import Message
from ..tool_calls import CallPiece, arguments_object
from .base import (NDJSON, HttpRequest, ModelInfo, Parsed, Provider, content_parts,
                   int_or_none, only_keys)
from .openai_wire import tool_declarations

# The fields of a line and its message that a text-only line may carry (others must be empty;
# ``done`` is false): anything else goes through the full parse.
_LINE_FIELDS = frozenset(("model", "created_at", "message"))
_MESSAGE_FIELDS = frozenset(("role", "content"))


class OllamaProvider(Provider):
    id = "ollama"
    stream_format = NDJSON
    text_key = '"content":'
    ignored_keys = ('"created_at":',)  # a timestamp on every line
    _calls_seen = 0  # tool calls read in this response

    def reset(self) -> None:
        self._calls_seen = 0

    def chat_request(self, request: ChatRequest) -> HttpRequest:
        messages: List[Dict[str, Any]] = []
        if request.system:
            messages.append({"role": "system", "content": request.system})
        for message in request.messages:
            messages.extend(_wire_message(message))
        options: Dict[str, Any] = {}
        if request.temperature is not None:
            options["temperature"] = request.temperature
        if request.max_tokens is not None:
            options["num_predict"] = request.max_tokens
        body: Dict[str, Any] = {"model": request.model, "messages": messages, "stream": True}
        if options:
            body["options"] = options
        if request.offers_tools:
            body["tools"] = tool_declarations(request.tools)
        return HttpRequest("POST", f"{self.base_url}/api/chat", self.headers(), body)

    def capabilities_request(self, model: str) -> Optional[HttpRequest]:
        return HttpRequest("POST", f"{self.base_url}/api/show", self.headers(), {"model": model})

    def parse_capabilities(self, data: Any) -> Optional[FrozenSet[str]]:
        words = data.get("capabilities") if isinstance(data, dict) else None
        if not isinstance(words, list):
            return None  # an older server that does not say
        return frozenset(str(w) for w in words)

    def quick_text(self, event_name: str, data: Dict[str, Any]) -> Optional[str]:
        """A line that is not the last, whose message is text alone (no thinking, no tool
        call, no images)."""
        message = data.get("message")
        if type(message) is not dict:
            return None
        text = message.get("content")
        if type(text) is str and text and only_keys(message, _MESSAGE_FIELDS) and \
                only_keys(data, _LINE_FIELDS):
            return text
        return None

    def parse_json(self, event_name: str, data: Dict[str, Any]) -> Parsed:
        """One ``/api/chat`` line; ``done: true`` ends the answer (it may carry text too)."""
        parsed = Parsed()
        if data.get("error"):
            parsed.error = errors.inband_error(data)
            return parsed
        message = data.get("message")
        if isinstance(message, dict):
            parsed.text, parsed.reasoning = content_parts(message.get("content"))
            thinking = message.get("thinking")
            if isinstance(thinking, str):
                parsed.reasoning += thinking
            parsed.tool_calls = self._read_calls(message.get("tool_calls"))
        elif isinstance(data.get("response"), str):  # the /api/generate shape
            parsed.text = data["response"]
        elif data.get("done") is not True:
            parsed.unrecognised = True
        if data.get("done") is True:
            parsed.terminal = True
            parsed.finish_reason = str(data.get("done_reason") or "stop")
            parsed.prompt_tokens = int_or_none(data.get("prompt_eval_count"))
            parsed.completion_tokens = int_or_none(data.get("eval_count"))
        return parsed

    def _read_calls(self, items: Any) -> Tuple[CallPiece, ...]:
        """``message.tool_calls``: each a whole call, numbered in order of arrival."""
        if not isinstance(items, list):
            return ()
        pieces = []
        for item in items:
            function = item.get("function") if isinstance(item, dict) else None
            if not isinstance(function, dict):
                continue
            arguments = function.get("arguments")
            whole = arguments if isinstance(arguments, str) else \
                json.dumps(arguments if isinstance(arguments, dict) else {}, ensure_ascii=False)
            call_id = item.get("id") if isinstance(item.get("id"), str) else ""
            name = function.get("name") if isinstance(function.get("name"), str) else ""
            pieces.append(CallPiece(self._calls_seen, call_id, name, whole=whole))
            self._calls_seen += 1
        return tuple(pieces)

    def models_request(self) -> HttpRequest:
        return HttpRequest("GET", f"{self.base_url}/api/tags", self.headers())

    def parse_models(self, data: Any) -> List[ModelInfo]:
        items = data.get("models") if isinstance(data, dict) else None
        if not isinstance(items, list):
            raise ValueError("no 'models' list in /api/tags")
        models = []
        for item in items:
            if not isinstance(item, dict):
                continue
            name = item.get("name") or item.get("model")
            if not name:
                continue
            details = item.get("details") or {}
            size = details.get("parameter_size") if isinstance(details, dict) else None
            label = f"{name} ({size})" if size else str(name)
            models.append(ModelInfo(str(name), label, item))
        return models

    def version_request(self) -> Optional[HttpRequest]:
        return HttpRequest("GET", f"{self.base_url}/api/version", self.headers())

    def hint(self, kind: str, model: str = "", status: Optional[int] = None) -> str:
        if kind == errors.CONNECT:
            return (f"Start Ollama with `ollama serve` (or the Ollama app); it should answer at "
                    f"{self.base_url}. Set OLLAMA_HOST if it runs elsewhere.")
        if kind == errors.MODEL_NOT_FOUND and model:
            return f"Run `ollama pull {model}` to download the model, then try again."
        if kind == errors.FIRST_TOKEN_TIMEOUT:
            return ("Ollama sent nothing in time; a large model can take minutes to load. Try "
                    "again, or raise the first-token deadline in Settings.")
        return super().hint(kind, model, status)


def _wire_message(message: Message) -> List[Dict[str, Any]]:
    """One message in Ollama's shape; a ``tool`` message becomes one per result."""
    if message.role == "tool":
        return [{"role": "tool", "content": r.content, "tool_name": r.name}
                for r in message.tool_results]
    out: Dict[str, Any] = {"role": message.role, "content": message.content}
    if message.images:
        out["images"] = [image_part(image, "ollama") for image in message.images]
    if message.tool_calls:
        out["tool_calls"] = [{"function": {"name": c.name, "arguments": arguments_object(c)}}
                             for c in message.tool_calls]
    return [out]
