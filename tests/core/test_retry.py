"""The retry timing rules on their own (DESIGN section 4): server headers first, then back-off."""

from __future__ import annotations

import email.utils
import time

import pytest

from nuke_ai_panel import errors
from nuke_ai_panel.errors import ProviderError
from nuke_ai_panel.retry import backoff_delay, parse_retry_after, parse_should_retry, retry_reason
from nuke_ai_panel.settings import RetryPolicy


@pytest.mark.parametrize("headers, expected", [
    ({"retry-after": "3"}, 3.0),
    ({"retry-after": "0.5"}, 0.5),
    ({"retry-after": "0"}, 0.0),
    ({"retry-after": "-4"}, 0.0),
    ({"retry-after": "600"}, 60.0),
    ({"retry-after-ms": "200"}, 0.2),
    ({"retry-after-ms": "200", "retry-after": "9"}, 0.2),
    ({"retry-after-ms": "999999"}, 60.0),
    ({"retry-after-ms": "soon", "retry-after": "2"}, 2.0),
    ({}, None),
    ({"retry-after": ""}, None),
    ({"retry-after": "next tuesday"}, None),
])
def test_parse_retry_after_seconds_and_milliseconds(headers, expected) -> None:
    assert parse_retry_after(headers, cap=60.0) == expected


def test_parse_retry_after_http_date_counts_from_now() -> None:
    when = email.utils.formatdate(time.time() + 30, usegmt=True)
    delay = parse_retry_after({"retry-after": when}, cap=60.0)
    assert delay is not None and 25.0 <= delay <= 30.0


def test_parse_retry_after_http_date_is_capped_and_never_negative() -> None:
    later = email.utils.formatdate(time.time() + 3600, usegmt=True)
    earlier = email.utils.formatdate(time.time() - 3600, usegmt=True)
    assert parse_retry_after({"retry-after": later}, cap=60.0) == 60.0
    assert parse_retry_after({"retry-after": earlier}, cap=60.0) == 0.0


@pytest.mark.parametrize("value, expected", [
    ("true", True), ("TRUE ", True), ("false", False), ("", None), ("maybe", None),
])
def test_parse_should_retry(value, expected) -> None:
    assert parse_should_retry({"x-should-retry": value}) is expected


def test_backoff_doubles_with_jitter_up_to_the_cap(monkeypatch: pytest.MonkeyPatch) -> None:
    policy = RetryPolicy(base_delay=0.5, max_delay=8.0)
    error = ProviderError(errors.SERVER, "HTTP 503", status=503)
    monkeypatch.setattr("nuke_ai_panel.retry.random.random", lambda: 0.0)
    assert [backoff_delay(policy, n, error) for n in range(6)] == [0.5, 1.0, 2.0, 4.0, 8.0, 8.0]
    monkeypatch.setattr("nuke_ai_panel.retry.random.random", lambda: 1.0)
    assert [backoff_delay(policy, n, error) for n in range(3)] == [0.375, 0.75, 1.5]


def test_backoff_jitter_stays_within_a_quarter_below_the_step() -> None:
    policy = RetryPolicy(base_delay=0.5, max_delay=8.0)
    error = ProviderError(errors.CONNECT, "refused")
    delays = [backoff_delay(policy, 2, error) for _ in range(200)]
    assert all(1.5 <= d <= 2.0 for d in delays)


def test_backoff_uses_the_servers_retry_after() -> None:
    policy = RetryPolicy()
    error = ProviderError(errors.RATE_LIMIT, "HTTP 429", status=429, retry_after=1.25)
    assert backoff_delay(policy, 0, error) == 1.25
    assert backoff_delay(policy, 5, error) == 1.25


def test_retry_reason_names_the_status_or_the_kind() -> None:
    assert retry_reason(ProviderError(errors.SERVER, "x", status=503)) == "HTTP 503"
    assert retry_reason(ProviderError(errors.CONNECT, "refused")) == "connect"
