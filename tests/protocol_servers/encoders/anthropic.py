"""Anthropic Messages SSE: named events, content blocks, ``ping``, ``message_stop``."""

from __future__ import annotations

from typing import Any, Dict, List, Optional

from ..steps import HttpError, ToolCallStep
from .base import Encoder, split, sse

_TYPES = {
    "invalid_request": "invalid_request_error",
    "auth": "authentication_error",
    "permission": "permission_error",
    "not_found": "not_found_error",
    "rate_limit": "rate_limit_error",
    "server": "api_error",
    "unavailable": "api_error",
    "overloaded": "overloaded_error",
}
_STOP = {"stop": "end_turn", "length": "max_tokens", "tool_calls": "tool_use"}


class AnthropicEncoder(Encoder):
    protocol = "anthropic"
    default_models = ("claude-sonnet-4-5-20250929", "claude-opus-4-1-20250805",
                      "claude-3-5-haiku-20241022")

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._block: Optional[str] = None
        self._index = -1
        self._pinged = False

    def start(self) -> bytes:
        message = {
            "id": f"msg_{self.id}", "type": "message", "role": "assistant", "model": self.model,
            "content": [], "stop_reason": None, "stop_sequence": None,
            "usage": {"input_tokens": self.prompt_tokens, "output_tokens": 1},
        }
        return sse({"type": "message_start", "message": message}, "message_start")

    def _close(self) -> bytes:
        if self._block is None:
            return b""
        out = b""
        if self._block == "thinking":
            delta = {"type": "signature_delta", "signature": "EqQBCkYIBxgCKkBtest"}
            out += sse({"type": "content_block_delta", "index": self._index, "delta": delta},
                       "content_block_delta")
        self._block = None
        return out + sse({"type": "content_block_stop", "index": self._index},
                         "content_block_stop")

    def _open(self, kind: str) -> bytes:
        if self._block == kind:
            return b""
        out = self._close()
        self._index += 1
        self._block = kind
        block = {"type": "text", "text": ""} if kind == "text" else \
            {"type": "thinking", "thinking": "", "signature": ""}
        out += sse({"type": "content_block_start", "index": self._index, "content_block": block},
                   "content_block_start")
        if not self._pinged:
            self._pinged = True
            out += self.keepalive()
        return out

    def _delta(self, delta: Dict[str, Any]) -> bytes:
        return sse({"type": "content_block_delta", "index": self._index, "delta": delta},
                   "content_block_delta")

    def text(self, text: str, index: int = 0) -> bytes:
        return self._open("text") + self._delta({"type": "text_delta", "text": text})

    def reasoning(self, text: str) -> bytes:
        return self._open("thinking") + self._delta({"type": "thinking_delta", "thinking": text})

    def tool_call(self, step: ToolCallStep, index: int) -> bytes:
        """A ``tool_use`` block: its start with ``input: {}``, the input JSON text in
        ``input_json_delta`` fragments, its stop."""
        out = self._close()
        self._index += 1
        block = {"type": "tool_use", "id": step.id, "name": step.name, "input": {}}
        out += sse({"type": "content_block_start", "index": self._index,
                    "content_block": block}, "content_block_start")
        for piece in split(step.arguments, step.fragments):
            out += self._delta({"type": "input_json_delta", "partial_json": piece})
        return out + sse({"type": "content_block_stop", "index": self._index},
                         "content_block_stop")

    def finish(self, reason: str) -> bytes:
        delta = {"type": "message_delta",
                 "delta": {"stop_reason": _STOP.get(reason, reason), "stop_sequence": None},
                 "usage": {"output_tokens": self.completion_tokens}}
        return (self._close() + sse(delta, "message_delta")
                + sse({"type": "message_stop"}, "message_stop"))

    def keepalive(self) -> bytes:
        return b'event: ping\ndata: {"type": "ping"}\n\n'

    def inband_error(self, message: str, variant: str = "") -> bytes:
        return sse({"type": "error", "error": {"type": "overloaded_error", "message": message}},
                   "error")

    def malformed(self) -> bytes:
        return (b'event: content_block_delta\ndata: {"type":"content_block_delta","index":0,'
                b'"delta":{"type":"text_delta","text":"lost\n\n')

    def complete(self, text: str, reasoning: str) -> Dict[str, Any]:
        content: List[Dict[str, Any]] = []
        if reasoning:
            content.append({"type": "thinking", "thinking": reasoning,
                            "signature": "EqQBCkYIBxgCKkBtest"})
        content.append({"type": "text", "text": text})
        return {
            "id": f"msg_{self.id}", "type": "message", "role": "assistant", "model": self.model,
            "content": content, "stop_reason": "end_turn", "stop_sequence": None,
            "usage": {"input_tokens": self.prompt_tokens,
                      "output_tokens": self.completion_tokens},
        }

    def error_body(self, error: HttpError) -> Dict[str, Any]:
        return {"type": "error",
                "error": {"type": _TYPES.get(error.category, "api_error"),
                          "message": error.message},
                "request_id": f"req_{self.id}"}

    def models(self, ids: Optional[List[str]] = None) -> Dict[str, Any]:
        ids = list(ids or self.default_models)
        data = [{"type": "model", "id": i, "display_name": i.replace("-", " ").title(),
                 "created_at": "2025-09-29T00:00:00Z"} for i in ids]
        return {"data": data, "has_more": False,
                "first_id": ids[0] if ids else None, "last_id": ids[-1] if ids else None}
