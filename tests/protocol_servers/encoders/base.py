"""The encoder interface: abstract stream steps in, one protocol's bytes out.

Encoders write LF line endings; the server rewrites them for the ``crlf`` / ``cr`` scenarios
and for protocols whose own ending differs (Gemini uses CRLF).
"""

from __future__ import annotations

import json
import time
import uuid
from typing import Any, Dict, List, Optional, Sequence

from ..steps import (Finish, HttpError, InbandError, KeepAlive, Malformed, Reasoning, Text,
                     ToolCallStep)


def dumps(obj: Any) -> str:
    """Compact JSON with raw UTF-8, as the providers send it."""
    return json.dumps(obj, ensure_ascii=False, separators=(",", ":"))


def sse(obj: Any, event: Optional[str] = None) -> bytes:
    head = f"event: {event}\n" if event else ""
    return f"{head}data: {dumps(obj)}\n\n".encode("utf-8")


class Encoder:
    protocol = ""
    content_type = "text/event-stream; charset=utf-8"
    newline = "\n"
    default_models: Sequence[str] = ()

    def __init__(
        self,
        model: str = "",
        prompt_tokens: int = 1,
        *,
        include_usage: bool = True,
        choices: int = 1,
    ) -> None:
        self.model = model
        self.prompt_tokens = prompt_tokens
        self.include_usage = include_usage
        self.choices = choices
        self.completion_tokens = 0
        self.calls = 0  # tool calls sent so far in this answer
        self.created = int(time.time())
        self.id = uuid.uuid4().hex[:24]

    def encode(self, step: object) -> bytes:
        if isinstance(step, Text):
            if step.index == 0:
                self.completion_tokens += 1
            return self.text(step.text, step.index)
        if isinstance(step, Reasoning):
            return self.reasoning(step.text)
        if isinstance(step, Finish):
            return self.finish(step.reason)
        if isinstance(step, ToolCallStep):
            self.calls += 1
            return self.tool_call(step, self.calls - 1)
        if isinstance(step, InbandError):
            return self.inband_error(step.message, step.variant)
        if isinstance(step, KeepAlive):
            return self.keepalive()
        if isinstance(step, Malformed):
            return self.malformed()
        raise TypeError(f"not a stream step: {step!r}")

    def start(self) -> bytes:
        return b""

    def text(self, text: str, index: int = 0) -> bytes:
        raise NotImplementedError

    def reasoning(self, text: str) -> bytes:
        raise NotImplementedError

    def finish(self, reason: str) -> bytes:
        raise NotImplementedError

    def tool_call(self, step: ToolCallStep, index: int) -> bytes:
        """Call number ``index`` of this answer, in the protocol's streamed shape."""
        raise NotImplementedError

    def keepalive(self) -> bytes:
        return b": keep-alive\n\n"

    def inband_error(self, message: str, variant: str = "") -> bytes:
        raise NotImplementedError

    def malformed(self) -> bytes:
        raise NotImplementedError

    def complete(self, text: str, reasoning: str) -> Dict[str, Any]:
        """The non-streaming reply body."""
        raise NotImplementedError

    def error_body(self, error: HttpError) -> Dict[str, Any]:
        raise NotImplementedError

    def models(self, ids: Optional[List[str]] = None) -> Dict[str, Any]:
        raise NotImplementedError


def split(text: str, parts: int) -> List[str]:
    """``text`` in ``parts`` pieces of about equal length (at least one piece)."""
    parts = max(1, min(parts, len(text) or 1))
    size = -(-len(text) // parts) if text else 0
    return [text[i:i + size] for i in range(0, len(text), size)] if text else [""]
