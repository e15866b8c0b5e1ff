"""Anthropic Messages API: named SSE events ending with ``message_stop``."""

from __future__ import annotations

from typing import Any, Dict, List, Optional

from ..settings import ChatRequest
from .. import errors
from .anthropic_wire import apply_tools, chat_messages, read_block, read_input_delta
from .base import HttpRequest, ModelInfo, Parsed, Provider, int_or_none

API_VERSION = "2023-06-01"
DEFAULT_MAX_TOKENS = 8192
# Deltas that carry no text to show: thinking signatures, tool-call arguments, citations.
_SILENT_DELTAS = ("signature_delta", "input_json_delta", "citations_delta")


class AnthropicProvider(Provider):
    id = "anthropic"
    text_key = '"text":'

    def auth_headers(self) -> Dict[str, str]:
        headers = {"anthropic-version": API_VERSION}
        if self.settings.api_key:
            headers["x-api-key"] = self.settings.api_key
        return headers

    def chat_request(self, request: ChatRequest) -> HttpRequest:
        body: Dict[str, Any] = {
            "model": request.model,
            "max_tokens": request.max_tokens or DEFAULT_MAX_TOKENS,
            "messages": chat_messages(request),
            "stream": True,
        }
        apply_tools(body, request)
        if request.system:
            body["system"] = request.system
        if request.temperature is not None:
            body["temperature"] = request.temperature
        headers = self.headers()
        headers["Accept"] = "text/event-stream"
        return HttpRequest("POST", f"{self.base_url}/v1/messages", headers, body)

    def quick_text(self, event_name: str, data: Dict[str, Any]) -> Optional[str]:
        """A ``content_block_delta`` of type ``text_delta`` with text."""
        if (data.get("type") or event_name) != "content_block_delta":
            return None
        delta = data.get("delta")
        if type(delta) is not dict or delta.get("type") != "text_delta":
            return None
        text = delta.get("text")
        return text if type(text) is str and text else None

    def parse_json(self, event_name: str, data: Dict[str, Any]) -> Parsed:
        """One Messages stream event, or a whole ``message`` (a non-streaming answer)."""
        kind = data.get("type") or event_name
        parsed = Parsed()
        if kind == "content_block_delta":
            delta = data.get("delta") or {}
            dtype = delta.get("type")
            if dtype == "text_delta":
                parsed.text = _str(delta.get("text"))
            elif dtype == "thinking_delta":
                parsed.reasoning = _str(delta.get("thinking"))
            elif dtype == "input_json_delta":
                parsed.tool_calls = read_input_delta(delta, _index(data))
            elif dtype not in _SILENT_DELTAS:
                parsed.text = _str(delta.get("text"))
                parsed.unrecognised = not parsed.text
        elif kind == "content_block_start":
            _read_blocks([data.get("content_block")], parsed)
            parsed.tool_calls = read_block(data.get("content_block"), _index(data))
        elif kind == "message_start":
            message = data.get("message") or {}
            usage = message.get("usage") or {}
            parsed.prompt_tokens = int_or_none(usage.get("input_tokens"))
            _read_blocks(message.get("content"), parsed)
        elif kind == "message_delta":
            _read_stop(data.get("delta") or {}, parsed)
            usage = data.get("usage") or {}
            parsed.completion_tokens = int_or_none(usage.get("output_tokens"))
        elif kind == "message_stop":
            parsed.terminal = True
        elif kind == "error":
            parsed.error = errors.inband_error(data)
        elif kind == "message":
            _read_blocks(data.get("content"), parsed)
            blocks = data.get("content") if isinstance(data.get("content"), list) else []
            parsed.tool_calls = tuple(piece for i, block in enumerate(blocks)
                                      for piece in read_block(block, i))
            _read_stop(data, parsed)
            usage = data.get("usage") or {}
            parsed.prompt_tokens = int_or_none(usage.get("input_tokens"))
            parsed.completion_tokens = int_or_none(usage.get("output_tokens"))
            parsed.terminal = True
        elif kind not in ("ping", "content_block_stop"):
            parsed.unrecognised = True
        return parsed

    def models_request(self) -> HttpRequest:
        return HttpRequest("GET", f"{self.base_url}/v1/models", self.headers(),
                           params={"limit": "1000"})

    def parse_models(self, data: Any) -> List[ModelInfo]:
        items = data.get("data") if isinstance(data, dict) else None
        if not isinstance(items, list):
            raise ValueError("no 'data' list in the model list")
        return [ModelInfo(str(m["id"]), str(m.get("display_name") or m["id"]), m)
                for m in items if isinstance(m, dict) and m.get("id")]


def _index(data: Dict[str, Any]) -> int:
    index = data.get("index")
    return index if isinstance(index, int) and not isinstance(index, bool) else 0


def _str(value: Any) -> str:
    return value if isinstance(value, str) else ""


def _read_blocks(blocks: Any, parsed: Parsed) -> None:
    """Text and thinking of content blocks (a ``content_block_start`` may already carry text)."""
    if not isinstance(blocks, list):
        return
    for block in blocks:
        if not isinstance(block, dict):
            continue
        if block.get("type") == "thinking":
            parsed.reasoning += _str(block.get("thinking"))
        elif block.get("type") == "text" or "text" in block:
            parsed.text += _str(block.get("text"))


def _read_stop(holder: Dict[str, Any], parsed: Parsed) -> None:
    """``stop_reason``, and for a refusal the ``stop_details`` naming its category."""
    reason = holder.get("stop_reason")
    if isinstance(reason, str) and reason:
        parsed.finish_reason = reason
    details = holder.get("stop_details")
    if isinstance(details, dict):
        words = [str(details[k]) for k in ("category", "explanation")
                 if isinstance(details.get(k), str) and details[k]]
        parsed.stop_detail = ": ".join(words)
