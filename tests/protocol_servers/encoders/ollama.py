"""Ollama's native NDJSON: one JSON object per line, ``done: true`` last."""

from __future__ import annotations

import datetime
from typing import Any, Dict, List, Optional

import json

from ..steps import HttpError, ToolCallStep
from .base import Encoder, dumps


def _line(obj: Any) -> bytes:
    return (dumps(obj) + "\n").encode("utf-8")


class OllamaEncoder(Encoder):
    protocol = "ollama"
    content_type = "application/x-ndjson"
    default_models = ("llama3.2:latest", "qwen3:8b", "gemma3:4b")
    version = "0.12.3"

    def _base(self) -> Dict[str, Any]:
        now = datetime.datetime.now(datetime.timezone.utc).isoformat().replace("+00:00", "Z")
        return {"model": self.model, "created_at": now}

    def _message(self, content: str, thinking: str = "") -> Dict[str, Any]:
        message = {"role": "assistant", "content": content}
        if thinking:
            message["thinking"] = thinking
        return {**self._base(), "message": message, "done": False}

    def text(self, text: str, index: int = 0) -> bytes:
        return _line(self._message(text))

    def reasoning(self, text: str) -> bytes:
        return _line(self._message("", text))

    def tool_call(self, step: ToolCallStep, index: int) -> bytes:
        """A line whose message carries the whole call, arguments as an object."""
        line = self._message("")
        call: Dict[str, Any] = {"function": {"name": step.name,
                                             "arguments": json.loads(step.arguments)}}
        if step.id:
            call["id"] = step.id
        line["message"]["tool_calls"] = [call]
        return _line(line)

    def finish(self, reason: str) -> bytes:
        return _line(self._final("stop" if reason == "tool_calls" else reason))

    def _final(self, reason: str, content: str = "", thinking: str = "") -> Dict[str, Any]:
        final = self._message(content, thinking)
        final.update({
            "done": True, "done_reason": reason, "total_duration": 1234567890,
            "load_duration": 12345678, "prompt_eval_count": self.prompt_tokens,
            "prompt_eval_duration": 23456789, "eval_count": self.completion_tokens,
            "eval_duration": 987654321,
        })
        return final

    def keepalive(self) -> bytes:
        """Ollama has no comments: an empty-content line is its only contentless chunk."""
        return _line(self._message(""))

    def inband_error(self, message: str, variant: str = "") -> bytes:
        return _line({"error": message})

    def malformed(self) -> bytes:
        head = dumps({"model": self.model})[:-1].encode("utf-8")
        return head + b',"message":{"role":"assistant","content":"lost\n'

    def complete(self, text: str, reasoning: str) -> Dict[str, Any]:
        return self._final("stop", text, reasoning)

    def error_body(self, error: HttpError) -> Dict[str, Any]:
        return {"error": error.message}

    def models(self, ids: Optional[List[str]] = None) -> Dict[str, Any]:
        details = {"parent_model": "", "format": "gguf", "family": "llama", "families": ["llama"],
                   "parameter_size": "3.2B", "quantization_level": "Q4_K_M"}
        return {"models": [
            {"name": i, "model": i, "modified_at": "2025-10-01T12:00:00.000000Z",
             "size": 2019393189, "digest": "a80c4f17acd55265feec403c7aef86be0c25983a",
             "details": details}
            for i in (ids or self.default_models)
        ]}
