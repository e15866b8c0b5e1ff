"""Keys are masked before any text is cut short, so no prefix of a key survives a cut."""

from __future__ import annotations

import secrets

from nuke_ai_panel.errors import ProviderError, body_excerpt, html_summary
from nuke_ai_panel.redact import register_secret


def fresh_key() -> str:
    key = "Mk" + secrets.token_hex(15)
    register_secret(key)
    return key


def test_error_message_cut_at_a_key_leaks_no_prefix():
    key = fresh_key()
    for pad in range(380, 400):
        message = ProviderError("auth", "x" * pad + " " + key).message
        assert key[:6] not in message


def test_body_excerpt_and_html_summary_cut_at_a_key_leak_no_prefix():
    key = fresh_key()
    for pad in range(140, 160):
        assert key[:6] not in body_excerpt(("y" * pad + key).encode())
        page = f"<html><title>{'z' * pad}{key}</title></html>".encode()
        assert key[:6] not in html_summary(page)
