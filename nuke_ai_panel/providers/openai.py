"""OpenAI chat completions: the wire format most servers speak (PROTOCOLS.md)."""

from __future__ import annotations

from typing import Any, Dict, List

from ..settings import ChatRequest
from .base import HttpRequest, ModelInfo, Parsed, Provider, int_or_none


class OpenAIProvider(Provider):
    id = "openai"
    include_usage = True
    max_tokens_field = "max_completion_tokens"

    def auth_headers(self) -> Dict[str, str]:
        key = self.settings.api_key
        return {"Authorization": f"Bearer {key}"} if key else {}

    def chat_request(self, request: ChatRequest) -> HttpRequest:
        messages: List[Dict[str, str]] = []
        if request.system:
            messages.append({"role": "system", "content": request.system})
        messages.extend({"role": m.role, "content": m.content} for m in request.messages)
        body: Dict[str, Any] = {"model": request.model, "messages": messages, "stream": True}
        if self.include_usage:
            body["stream_options"] = {"include_usage": True}
        if request.temperature is not None:
            body["temperature"] = request.temperature
        if request.max_tokens is not None:
            body[self.max_tokens_field] = request.max_tokens
        headers = self.headers()
        headers["Accept"] = "text/event-stream"
        return HttpRequest("POST", f"{self.base_url}/chat/completions", headers, body)

    def parse_event(self, event):  # type: ignore[override]
        if event.data.strip() == "[DONE]":
            return Parsed(terminal=True)
        return super().parse_event(event)

    def parse_json(self, event_name: str, data: Dict[str, Any]) -> Parsed:
        parsed = Parsed()
        error = data.get("error")
        if error:
            parsed.error = _error_text(error)
            return parsed
        if data.get("object") == "error":
            parsed.error = str(data.get("message") or "the server reported an error")
            return parsed
        usage = data.get("usage")
        if isinstance(usage, dict):
            parsed.prompt_tokens = int_or_none(usage.get("prompt_tokens"))
            parsed.completion_tokens = int_or_none(usage.get("completion_tokens"))
        choices = data.get("choices")
        if not isinstance(choices, list) or not choices:
            return parsed
        choice = next((c for c in choices if isinstance(c, dict) and c.get("index", 0) == 0), None)
        if choice is None:
            return parsed
        delta = choice.get("delta") or {}
        if isinstance(delta, dict):
            parsed.text = _str(delta.get("content"))
            parsed.reasoning = _str(delta.get("reasoning_content")) or _str(delta.get("reasoning"))
        finish = choice.get("finish_reason")
        if finish == "error":
            parsed.error = parsed.error or "the provider ended the answer with an error"
        elif finish:
            parsed.finish_reason = str(finish)
        return parsed

    def models_request(self) -> HttpRequest:
        return HttpRequest("GET", f"{self.base_url}/models", self.headers())

    def parse_models(self, data: Any) -> List[ModelInfo]:
        items = data.get("data") if isinstance(data, dict) else None
        if not isinstance(items, list):
            raise ValueError("no 'data' list in the model list")
        models = [ModelInfo(str(m["id"]), str(m.get("name") or m["id"]), m)
                  for m in items if isinstance(m, dict) and m.get("id")]
        return sorted(models, key=lambda m: m.id)


def _str(value: Any) -> str:
    return value if isinstance(value, str) else ""


def _error_text(error: Any) -> str:
    if isinstance(error, dict):
        message = error.get("message") or error.get("type") or "the server reported an error"
        return str(message)
    return str(error)
