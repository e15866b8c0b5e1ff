"""Error kinds, messages and hints (DESIGN section 4; the ``kind`` strings are a contract)."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from typing import Any, Optional

from .redact import redact

CONNECT = "connect"
CONNECT_TIMEOUT = "connect_timeout"
FIRST_TOKEN_TIMEOUT = "first_token_timeout"
IDLE_TIMEOUT = "idle_timeout"
AUTH = "auth"
RATE_LIMIT = "rate_limit"
MODEL_NOT_FOUND = "model_not_found"
BAD_REQUEST = "bad_request"
SERVER = "server"
STREAM = "stream"
TRUNCATED = "truncated"
PROTOCOL = "protocol"
CANCELLED = "cancelled"
CONFIG = "config"
BLOCKED = "blocked"  # the provider refused or filtered the answer (a safety or content filter)
EMPTY = "empty"  # the stream ended normally but carried no answer and no tool call

class ProviderError(Exception):
    """A failure the artist can read: a kind, a one-line message and a hint they can act on."""

    def __init__(
        self,
        kind: str,
        message: str,
        hint: str = "",
        status: Optional[int] = None,
        retry_after: Optional[float] = None,
        should_retry: Optional[bool] = None,
        reason: Optional[str] = None,
    ) -> None:
        self.kind = kind
        self.message = one_line(message)
        self.hint = redact(hint)
        self.status = status
        self.retry_after = retry_after
        self.should_retry = should_retry
        self.reason = reason  # for a retry: the server's own error code, when not an HTTP status
        super().__init__(f"{kind}: {self.message}")


def one_line(text: str, limit: int = 400) -> str:
    """Collapse whitespace and cut to ``limit``; keys are masked first, so a cut never leaves
    half a key behind."""
    text = " ".join(redact(str(text)).split())
    return text if len(text) <= limit else text[: limit - 1] + "\u2026"


def kind_for_status(status: int) -> str:
    if status in (401, 403, 402):
        return AUTH
    if status == 429:
        return RATE_LIMIT
    if status == 404:
        return MODEL_NOT_FOUND
    if status in (408, 409) or status >= 500:
        return SERVER
    return BAD_REQUEST


def is_retryable_status(status: int) -> bool:
    return status in (408, 409, 429) or status >= 500


_TITLE = re.compile(rb"<title[^>]*>(.*?)</title>", re.I | re.S)
_TAGS = re.compile(rb"<[^>]+>")


def looks_like_html(body: bytes) -> bool:
    head = body[:512].lstrip().lower()
    return head.startswith(b"<!doctype html") or head.startswith(b"<html") or b"<body" in head


def html_summary(body: bytes) -> str:
    """The page's title, or its first words: enough to tell a proxy's error page apart."""
    match = _TITLE.search(body[:65536])
    raw = match.group(1) if match else _TAGS.sub(b" ", body[:2048])
    return one_line(raw.decode("utf-8", "replace"), 160) or "an HTML page"


def body_excerpt(body: bytes, limit: int = 160) -> str:
    return one_line(body[:4096].decode("utf-8", "replace"), limit)


def json_or_none(body: bytes):
    try:
        return json.loads(body.decode("utf-8", "replace"))
    except ValueError:
        return None


def error_message_from_json(data) -> Optional[str]:
    """The server's own words from any of the providers' error shapes."""
    if not isinstance(data, dict):
        return None
    err = data.get("error")
    if isinstance(err, str):
        return err
    if isinstance(err, dict):
        msg = err.get("message") or err.get("msg")
        if msg:
            return str(msg)
        if err.get("type"):
            return str(err["type"])
    if data.get("object") == "error" or data.get("type") == "error":
        if data.get("message"):
            return str(data["message"])
    detail = data.get("detail")
    if isinstance(detail, str):
        return detail
    if data.get("message") and len(data) <= 4:
        return str(data["message"])
    return None


@dataclass(frozen=True)
class InbandError:
    """An error the server sent inside a 200 response: its own words, its code, and whether it
    is a passing overload worth retrying (before any content) like HTTP 529."""

    message: str
    code: str = ""
    transient: bool = False


# Error types and codes that mean "busy, try again" in the providers' in-band error shapes:
# Anthropic error.type, OpenAI error.type / error.code, Gemini error.status.
_TRANSIENT_CODES = frozenset((
    "overloaded_error", "api_error", "rate_limit_error", "timeout_error", "server_error",
    "overloaded", "engine_overloaded", "service_unavailable", "internal_error",
    "UNAVAILABLE", "INTERNAL", "RESOURCE_EXHAUSTED", "DEADLINE_EXCEEDED",
))
_TRANSIENT_WORDS = re.compile(r"overloaded|server busy|temporarily unavailable", re.I)


def is_transient(code: str, message: str) -> bool:
    """True for an in-band error that says the server is busy or failed for a moment."""
    if code in _TRANSIENT_CODES:
        return True
    if code.isdigit() and is_retryable_status(int(code)):
        return True
    return bool(_TRANSIENT_WORDS.search(message))


def inband_error(data: Any) -> InbandError:
    """Read any provider's in-band error shape into an :class:`InbandError`.

    Shapes (PROTOCOLS.md and servers seen in the wild): ``{"error": "text"}`` (Ollama),
    ``{"error": {"message", "type", "code", "status"}}`` (OpenAI, OpenRouter, Gemini, llama.cpp),
    ``{"type": "error", "error": {"type", "message"}}`` (Anthropic),
    ``{"object": "error", "message", "type", "code"}`` (vLLM), or plain text.
    """
    if not isinstance(data, dict):
        text = data if isinstance(data, str) else json.dumps(data, ensure_ascii=False)
        text = text.strip() or "the server reported an error"
        return InbandError(text, "", is_transient("", text))
    err = data.get("error")
    source = err if isinstance(err, dict) else data
    codes = [str(source[key]) for key in ("type", "status", "code")
             if isinstance(source.get(key), (str, int)) and not isinstance(source.get(key), bool)
             and str(source[key]) not in ("", "error", "None", "null")]
    code = codes[0] if codes else ""
    message = error_message_from_json(data) or code or "the server reported an error"
    transient = any(is_transient(c, message) for c in codes) or is_transient("", message)
    if code and code not in message:
        message = f"{message} ({code})"
    return InbandError(message, code, transient)
