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


def test_a_tool_call_line_on_stderr_masks_a_key_in_its_arguments():
    import io

    from nuke_ai_panel.cli.common import StreamPrinter
    from nuke_ai_panel.events import ToolCallEvent

    key = fresh_key()
    out, err = io.StringIO(), io.StringIO()
    printer = StreamPrinter(out, err, as_json=False, reasoning=False)
    code = f'{{"code": "import os\\nos.environ[\'OPENAI_API_KEY\'] = \'{key}\'"}}'
    printer.on_event(None, ToolCallEvent("call_1", "run_python", code))
    line = err.getvalue()
    assert line.startswith("-> run_python {\"code\": \"import os") and line.endswith("\n")
    assert key[:6] not in line and "\n" not in line[:-1]
