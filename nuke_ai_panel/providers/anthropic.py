"""Anthropic Messages API: named SSE events ending with ``message_stop``."""

from __future__ import annotations

from typing import Any, Dict, List

from ..settings import ChatRequest
from .base import HttpRequest, ModelInfo, Parsed, Provider, int_or_none

API_VERSION = "2023-06-01"
DEFAULT_MAX_TOKENS = 8192


class AnthropicProvider(Provider):
    id = "anthropic"
    finish_reason_is_terminal = False

    def auth_headers(self) -> Dict[str, str]:
        headers = {"anthropic-version": API_VERSION}
        if self.settings.api_key:
            headers["x-api-key"] = self.settings.api_key
        return headers

    def chat_request(self, request: ChatRequest) -> HttpRequest:
        body: Dict[str, Any] = {
            "model": request.model,
            "max_tokens": request.max_tokens or DEFAULT_MAX_TOKENS,
            "messages": [{"role": m.role, "content": m.content} for m in request.messages],
            "stream": True,
        }
        if request.system:
            body["system"] = request.system
        if request.temperature is not None:
            body["temperature"] = request.temperature
        headers = self.headers()
        headers["Accept"] = "text/event-stream"
        return HttpRequest("POST", f"{self.base_url}/v1/messages", headers, body)

    def parse_json(self, event_name: str, data: Dict[str, Any]) -> Parsed:
        kind = data.get("type") or event_name
        parsed = Parsed()
        if kind == "content_block_delta":
            delta = data.get("delta") or {}
            if delta.get("type") == "text_delta":
                parsed.text = str(delta.get("text") or "")
            elif delta.get("type") == "thinking_delta":
                parsed.reasoning = str(delta.get("thinking") or "")
        elif kind == "message_start":
            usage = (data.get("message") or {}).get("usage") or {}
            parsed.prompt_tokens = int_or_none(usage.get("input_tokens"))
        elif kind == "message_delta":
            delta = data.get("delta") or {}
            if delta.get("stop_reason"):
                parsed.finish_reason = str(delta["stop_reason"])
            usage = data.get("usage") or {}
            parsed.completion_tokens = int_or_none(usage.get("output_tokens"))
        elif kind == "message_stop":
            parsed.terminal = True
        elif kind == "error":
            error = data.get("error") or {}
            message = error.get("message") if isinstance(error, dict) else str(error)
            etype = error.get("type") if isinstance(error, dict) else None
            parsed.error = f"{message} ({etype})" if etype and message else str(message or etype)
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
