"""Keep API keys out of every message, log line and file we write.

Two nets: the exact keys we know about (registered when they are read), and patterns that look
like keys from any provider, so a key echoed back by a server or pasted into a prompt is masked
even when we never held it.
"""

from __future__ import annotations

import re
import threading
from typing import Set

_MASK = "[REDACTED]"
_known: Set[str] = set()
_lock = threading.Lock()

_PATTERNS = [
    re.compile(r"sk-[A-Za-z0-9_\-]{8,}"),
    re.compile(r"AIza[0-9A-Za-z_\-]{20,}"),
    re.compile(r"(?i)(bearer\s+)[A-Za-z0-9._\-]{8,}"),
    re.compile(r"(?i)((?:x-api-key|x-goog-api-key|api[_-]?key)[\"'\s:=]+)[A-Za-z0-9._\-]{8,}"),
]


def register_secret(value: str) -> None:
    """Remember a key so any later text containing it is masked. Short values are ignored."""
    if value and len(value) >= 6:
        with _lock:
            _known.add(value)


def redact(text: str) -> str:
    if not text:
        return text
    with _lock:
        known = sorted(_known, key=len, reverse=True)
    for secret in known:
        if secret in text:
            text = text.replace(secret, _MASK)
    for pattern in _PATTERNS:
        if pattern.groups:
            text = pattern.sub(lambda m: m.group(1) + _MASK, text)
        else:
            text = pattern.sub(_MASK, text)
    return text
