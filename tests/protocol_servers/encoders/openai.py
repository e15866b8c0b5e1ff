"""OpenAI chat-completions SSE, and OpenRouter's dialect of it."""

from __future__ import annotations

from typing import Any, Dict, List, Optional

from ..steps import HttpError, ToolCallStep
from .base import Encoder, dumps, split, sse

_TYPES = {
    "invalid_request": ("invalid_request_error", None),
    "auth": ("invalid_request_error", "invalid_api_key"),
    "permission": ("invalid_request_error", "unsupported_country_region_territory"),
    "not_found": ("invalid_request_error", "model_not_found"),
    "rate_limit": ("requests", "rate_limit_exceeded"),
    "server": ("server_error", None),
    "unavailable": ("server_error", "engine_overloaded"),
    "overloaded": ("server_error", "overloaded"),
}


class OpenAIEncoder(Encoder):
    protocol = "openai"
    default_models = ("gpt-4o-mini", "gpt-4o", "o4-mini", "text-embedding-3-small")

    def _chunk(self, choices: List[Dict[str, Any]], **extra: Any) -> Dict[str, Any]:
        chunk: Dict[str, Any] = {
            "id": f"chatcmpl-{self.id}",
            "object": "chat.completion.chunk",
            "created": self.created,
            "model": self.model,
            "system_fingerprint": "fp_test",
            "choices": choices,
        }
        if self.include_usage:
            chunk["usage"] = None
        chunk.update(extra)
        return chunk

    def _choice(self, index: int, delta: Dict[str, Any],
                finish: Optional[str] = None) -> Dict[str, Any]:
        return {"index": index, "delta": delta, "logprobs": None, "finish_reason": finish}

    def start(self) -> bytes:
        delta = {"role": "assistant", "content": "", "refusal": None}
        return sse(self._chunk([self._choice(i, dict(delta)) for i in range(self.choices)]))

    def text(self, text: str, index: int = 0) -> bytes:
        return sse(self._chunk([self._choice(index, {"content": text})]))

    def reasoning(self, text: str) -> bytes:
        return sse(self._chunk([self._choice(0, {"reasoning_content": text})]))

    def tool_call(self, step: ToolCallStep, index: int) -> bytes:
        """The call's first chunk (index, id, name), then its arguments in fragments; or,
        ``whole_with_null``, all of it in one chunk beside ``content: null``."""
        head: Dict[str, Any] = {"index": index, "type": "function",
                                "function": {"name": step.name, "arguments": ""}}
        if step.id:
            head["id"] = step.id
        if step.whole_with_null:
            head["function"]["arguments"] = step.arguments
            return sse(self._chunk([self._choice(0, {"content": None, "tool_calls": [head]})]))
        out = sse(self._chunk([self._choice(0, {"tool_calls": [head]})]))
        for piece in split(step.arguments, step.fragments):
            fragment = {"index": index, "function": {"arguments": piece}}
            out += sse(self._chunk([self._choice(0, {"tool_calls": [fragment]})]))
        return out

    def _usage(self) -> Dict[str, int]:
        done = self.completion_tokens
        return {"prompt_tokens": self.prompt_tokens, "completion_tokens": done,
                "total_tokens": self.prompt_tokens + done}

    def finish(self, reason: str) -> bytes:
        out = b"".join(sse(self._chunk([self._choice(i, {}, reason)])) for i in range(self.choices))
        if self.include_usage:
            out += sse(self._chunk([], usage=self._usage()))
        return out + b"data: [DONE]\n\n"

    def inband_error(self, message: str, variant: str = "") -> bytes:
        if variant == "vllm":
            body = {"object": "error", "message": message, "type": "BadRequestError",
                    "param": None, "code": 400}
            return sse(body) + b"data: [DONE]\n\n"
        return sse({"error": {"message": message, "type": "server_error", "param": None,
                              "code": None}})

    def malformed(self) -> bytes:
        head = dumps({"id": f"chatcmpl-{self.id}", "object": "chat.completion.chunk"})[:-1]
        return f'data: {head},"choices":[{{"index":0,"delta":{{"content":"lost\n\n'.encode()

    def complete(self, text: str, reasoning: str) -> Dict[str, Any]:
        message: Dict[str, Any] = {"role": "assistant", "content": text, "refusal": None}
        if reasoning:
            message["reasoning_content"] = reasoning
        return {
            "id": f"chatcmpl-{self.id}",
            "object": "chat.completion",
            "created": self.created,
            "model": self.model,
            "choices": [{"index": 0, "message": message, "logprobs": None,
                         "finish_reason": "stop"}],
            "usage": self._usage(),
        }

    def error_body(self, error: HttpError) -> Dict[str, Any]:
        kind, code = _TYPES.get(error.category, ("server_error", None))
        return {"error": {"message": error.message, "type": kind, "param": None, "code": code}}

    def models(self, ids: Optional[List[str]] = None) -> Dict[str, Any]:
        return {"object": "list", "data": [
            {"id": i, "object": "model", "created": 1715367049, "owned_by": "system"}
            for i in (ids or self.default_models)
        ]}


class OpenRouterEncoder(OpenAIEncoder):
    """OpenAI format plus processing comments, ``delta.reasoning`` and its own error shapes."""

    protocol = "openrouter"
    default_models = ("openai/gpt-4o-mini", "anthropic/claude-sonnet-4.5",
                      "google/gemini-2.5-flash", "deepseek/deepseek-r1")
    _COMMENT = b": OPENROUTER PROCESSING\n\n"

    def _chunk(self, choices: List[Dict[str, Any]], **extra: Any) -> Dict[str, Any]:
        return super()._chunk(choices, provider="OpenAI", **extra)

    def start(self) -> bytes:
        return self._COMMENT + self._COMMENT + super().start()

    def keepalive(self) -> bytes:
        return self._COMMENT

    def reasoning(self, text: str) -> bytes:
        delta = {"role": "assistant", "content": "", "reasoning": text}
        return sse(self._chunk([self._choice(0, delta)]))

    def inband_error(self, message: str, variant: str = "") -> bytes:
        if variant:
            return super().inband_error(message, variant)
        choice = self._choice(0, {"content": ""}, "error")
        choice["native_finish_reason"] = "error"
        return sse(self._chunk([choice], error={"code": "server_error", "message": message}))

    def error_body(self, error: HttpError) -> Dict[str, Any]:
        return {"error": {"code": error.status, "message": error.message, "metadata": {}}}

    def models(self, ids: Optional[List[str]] = None) -> Dict[str, Any]:
        return {"data": [
            {"id": i, "name": i.split("/")[-1], "created": 1715367049, "context_length": 128000,
             "pricing": {"prompt": "0.00000015", "completion": "0.0000006"}}
            for i in (ids or self.default_models)
        ]}
