"""Gemini ``streamGenerateContent?alt=sse``: CRLF-separated data events, no ``[DONE]``."""

from __future__ import annotations

from typing import Any, Dict, List, Optional

import json

from ..steps import HttpError, ToolCallStep
from .base import Encoder, sse

_STATUS = {
    "invalid_request": "INVALID_ARGUMENT",
    "auth": "UNAUTHENTICATED",
    "permission": "PERMISSION_DENIED",
    "not_found": "NOT_FOUND",
    "rate_limit": "RESOURCE_EXHAUSTED",
    "server": "INTERNAL",
    "unavailable": "UNAVAILABLE",
    "overloaded": "UNAVAILABLE",
}
_FINISH = {"stop": "STOP", "length": "MAX_TOKENS", "tool_calls": "STOP"}


class GeminiEncoder(Encoder):
    protocol = "gemini"
    newline = "\r\n"
    default_models = ("gemini-2.5-flash", "gemini-2.5-pro", "gemini-2.0-flash")

    def _chunk(self, parts: List[Dict[str, Any]], finish: Optional[str] = None) -> Dict[str, Any]:
        candidate: Dict[str, Any] = {"content": {"parts": parts, "role": "model"}, "index": 0}
        if finish:
            candidate["finishReason"] = finish
        done = self.completion_tokens
        return {
            "candidates": [candidate],
            "usageMetadata": {"promptTokenCount": self.prompt_tokens,
                              "candidatesTokenCount": done,
                              "totalTokenCount": self.prompt_tokens + done},
            "modelVersion": self.model,
            "responseId": self.id,
        }

    def text(self, text: str, index: int = 0) -> bytes:
        return sse(self._chunk([{"text": text}]))

    def reasoning(self, text: str) -> bytes:
        return sse(self._chunk([{"text": text, "thought": True}]))

    def tool_call(self, step: ToolCallStep, index: int) -> bytes:
        """A whole ``functionCall`` part (Gemini never splits one), its thoughtSignature a
        sibling on the part."""
        function: Dict[str, Any] = {"name": step.name, "args": json.loads(step.arguments)}
        if step.id:
            function["id"] = step.id
        part: Dict[str, Any] = {"functionCall": function}
        if step.signature:
            part["thoughtSignature"] = step.signature
        return sse(self._chunk([part]))

    def finish(self, reason: str) -> bytes:
        return sse(self._chunk([{"text": ""}], _FINISH.get(reason, reason)))

    def inband_error(self, message: str, variant: str = "") -> bytes:
        return sse({"error": {"code": 500, "message": message, "status": "INTERNAL"}})

    def malformed(self) -> bytes:
        return b'data: {"candidates":[{"content":{"parts":[{"text":"lost\n\n'

    def complete(self, text: str, reasoning: str) -> Dict[str, Any]:
        parts: List[Dict[str, Any]] = []
        if reasoning:
            parts.append({"text": reasoning, "thought": True})
        parts.append({"text": text})
        return self._chunk(parts, "STOP")

    def error_body(self, error: HttpError) -> Dict[str, Any]:
        body: Dict[str, Any] = {"code": error.status, "message": error.message,
                                "status": _STATUS.get(error.category, "INTERNAL")}
        if error.reason:
            body["details"] = [
                {"@type": "type.googleapis.com/google.rpc.ErrorInfo", "reason": error.reason,
                 "domain": "googleapis.com",
                 "metadata": {"service": "generativelanguage.googleapis.com"}},
                {"@type": "type.googleapis.com/google.rpc.LocalizedMessage", "locale": "en-US",
                 "message": error.message},
            ]
        return {"error": body}

    def models(self, ids: Optional[List[str]] = None) -> Dict[str, Any]:
        methods = ["generateContent", "countTokens", "createCachedContent"]
        models = [{"name": f"models/{i}", "version": "001", "displayName": i,
                   "inputTokenLimit": 1048576, "outputTokenLimit": 65536,
                   "supportedGenerationMethods": methods}
                  for i in (ids or self.default_models)]
        models.append({"name": "models/text-embedding-004", "version": "004",
                       "displayName": "Text Embedding 004",
                       "supportedGenerationMethods": ["embedContent"]})
        return {"models": models}
