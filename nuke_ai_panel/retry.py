"""When and how long to wait before retrying (DESIGN section 4).

Mirrors what the official SDKs do: honour the server's ``x-should-retry``, ``retry-after-ms``
and ``Retry-After`` (seconds or an HTTP date), else exponential back-off with jitter.
"""

from __future__ import annotations

import email.utils
import random
import time
from typing import Mapping, Optional

from . import errors
from .settings import RetryPolicy


def parse_retry_after(headers: Mapping[str, str], cap: float) -> Optional[float]:
    value = headers.get("retry-after-ms")
    if value:
        try:
            return max(0.0, min(float(value) / 1000.0, cap))
        except ValueError:
            pass
    value = headers.get("retry-after")
    if not value:
        return None
    try:
        return max(0.0, min(float(value), cap))
    except ValueError:
        pass
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError):
        return None
    if when is None:
        return None
    return max(0.0, min(when.timestamp() - time.time(), cap))


def parse_should_retry(headers: Mapping[str, str]) -> Optional[bool]:
    value = (headers.get("x-should-retry") or "").strip().lower()
    if value == "true":
        return True
    if value == "false":
        return False
    return None


def is_retryable(error: errors.ProviderError) -> bool:
    """Connect errors, 408, 409, 429, 5xx, and in-band overloads (``should_retry`` set from
    the error's type); the server's ``x-should-retry`` overrides."""
    if error.should_retry is not None:
        return error.should_retry
    if error.kind in (errors.CONNECT, errors.CONNECT_TIMEOUT):
        return True
    return error.status is not None and errors.is_retryable_status(error.status)


def backoff_delay(policy: RetryPolicy, retry_index: int, error: errors.ProviderError) -> float:
    """Seconds to wait before retry number ``retry_index`` (0-based)."""
    if error.retry_after is not None:
        return error.retry_after
    delay = min(policy.base_delay * (2 ** retry_index), policy.max_delay)
    return delay * (1.0 - 0.25 * random.random())


def retry_reason(error: errors.ProviderError) -> str:
    if error.status is not None:
        return f"HTTP {error.status}"
    return error.reason or error.kind
