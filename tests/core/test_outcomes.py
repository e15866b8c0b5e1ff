"""Every outcome told truly (issue 7, classes 1-5), through real servers, the engine and the CLI.

Each case of :mod:`tests.protocol_servers.raw` is a byte-exact response a real server sent (or
an example of the issue) with the outcome a client must report. Here each one is served by a
real aiohttp server on 127.0.0.1 and read by ``stream_chat``, checking the outcome, the text and
reasoning kept, the error kind, the server's words in the message, the retries, and that the
hint says "The partial answer is kept." exactly when there is one. The issue's own examples also
run through ``python -m nuke_ai_panel chat`` as a user would.
"""

from __future__ import annotations

import asyncio
import json
import os
import subprocess
import sys
import uuid
from pathlib import Path
from typing import Any, Dict, Iterator, List, Tuple, Union

import aiohttp
import pytest

from nuke_ai_panel import errors
from nuke_ai_panel.client import stream_chat
from nuke_ai_panel.events import DeltaEvent, DoneEvent, ErrorEvent, RetryingEvent, StartEvent
from nuke_ai_panel.outcome import PARTIAL_KEPT
from nuke_ai_panel.settings import ChatRequest, Deadlines, Message, ProviderSettings, RetryPolicy
from tests.protocol_servers import PROTOCOLS, ProtocolServer
from tests.protocol_servers.raw import CASES, RawCase

pytestmark = pytest.mark.timeout(60)

ROOT = Path(__file__).resolve().parents[2]
KEY = "sk-test-outcomes-0000"
FAST = Deadlines(connect=2.0, first_token=3.0, idle=2.0, request=3.0)
RETRY = RetryPolicy(max_retries=2, base_delay=0.05, max_delay=0.2, max_retry_after=5.0)
KEY_ENV = {"openai": "OPENAI_API_KEY", "mistral": "MISTRAL_API_KEY",
           "anthropic": "ANTHROPIC_API_KEY", "openrouter": "OPENROUTER_API_KEY",
           "gemini": "GEMINI_API_KEY"}
Terminal = Union[DoneEvent, ErrorEvent]


@pytest.fixture(scope="module")
def servers() -> Iterator[Dict[str, ProtocolServer]]:
    started = {p: ProtocolServer(p).start() for p in PROTOCOLS}
    yield started
    for server in started.values():
        server.stop()


def fresh(case: RawCase) -> str:
    """The case's model name with a tag of its own, so its retry count starts at zero."""
    return f"{case.model}:{uuid.uuid4().hex[:8]}"


def turn(case: RawCase, server: ProtocolServer) -> Tuple[List[Any], Terminal]:
    settings = ProviderSettings(case.provider_id, server.base_url, api_key=KEY,
                                model=case.model, deadlines=FAST, retry=RETRY)
    request = ChatRequest(model=fresh(case), messages=[Message("user", "Soften the matte edge")])
    events: List[Any] = []

    async def main() -> Terminal:
        async with aiohttp.ClientSession() as session:
            return await asyncio.wait_for(stream_chat(session, settings, request, events.append),
                                          30)

    return events, asyncio.run(main())


def check_case(case: RawCase, events: List[Any], result: Terminal) -> None:
    expect = case.expect
    assert isinstance(events[0], StartEvent) and events[-1] is result
    assert sum(isinstance(e, (DoneEvent, ErrorEvent)) for e in events) == 1
    deltas = [e for e in events if isinstance(e, DeltaEvent)]
    shown = "".join(e.text for e in deltas)
    thought = "".join(e.reasoning for e in deltas)
    assert [e.type for e in events].count("retrying") == expect.retries, \
        [(e.type, getattr(e, "reason", "")) for e in events]
    if expect.outcome == "done":
        assert isinstance(result, DoneEvent), f"{case.name}: {result.kind}: {result.message}"
        assert (result.text, result.reasoning) == (expect.text, expect.reasoning)
        assert result.text, "a done turn without text"
        if expect.finish_reason:
            assert result.finish_reason == expect.finish_reason
    else:
        assert isinstance(result, ErrorEvent), f"{case.name}: done {result.text!r}"
        assert result.kind == expect.outcome, f"{case.name}: {result.kind}: {result.message}"
        assert (result.partial, result.partial_reasoning) == (expect.text, expect.reasoning)
        for words in expect.quote:
            assert words in result.message, (words, result.message)
        assert result.message and "\n" not in result.message and result.hint
        assert (PARTIAL_KEPT in result.hint) == bool(result.partial), result.hint
        if result.kind in (errors.BLOCKED, errors.EMPTY):
            assert "cut off" not in (result.message + result.hint).lower()
        if result.kind == errors.BLOCKED:
            assert "try again" not in result.hint.lower()
    assert (shown, thought) == (expect.text, expect.reasoning)


@pytest.mark.parametrize("case", CASES, ids=lambda c: c.name)
def test_raw_case_through_the_engine(case: RawCase, servers: Dict[str, ProtocolServer]) -> None:
    events, result = turn(case, servers[case.protocol])
    check_case(case, events, result)


def test_retry_reason_names_the_inband_error(servers: Dict[str, ProtocolServer]) -> None:
    case = next(c for c in CASES if c.name == "anthropic-overloaded-first")
    events, _ = turn(case, servers["anthropic"])
    retries = [e for e in events if isinstance(e, RetryingEvent)]
    assert [r.reason for r in retries] == ["overloaded_error"]


def test_inband_overload_after_text_is_not_retried(servers: Dict[str, ProtocolServer]) -> None:
    server = servers["anthropic"]
    case = next(c for c in CASES if c.name == "anthropic-overloaded-after-text")
    before = server.count("/v1/messages")
    turn(case, server)
    assert server.count("/v1/messages") == before + 1


# ----- the command line ------------------------------------------------------------------------

ISSUE_EXAMPLES = [c for c in CASES if c.issue_example]


def cli_env(tmp_path: Path, provider: str) -> Dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.endswith("_API_KEY")}
    env.update({"PYTHONPATH": str(ROOT), "NUKE_AI_PANEL_HOME": str(tmp_path / "home"),
                "PYTHON_KEYRING_BACKEND": "keyring.backends.fail.Keyring",
                "PYTHONUNBUFFERED": "1"})
    if provider in KEY_ENV:
        env[KEY_ENV[provider]] = KEY
    return env


def run_cli(case: RawCase, server: ProtocolServer, tmp_path: Path,
            *extra: str) -> subprocess.CompletedProcess:
    args = [sys.executable, "-m", "nuke_ai_panel", "chat", "-p", case.provider_id, "-m",
            fresh(case), "--base-url", server.base_url, *extra, "Soften the matte edge"]
    return subprocess.run(args, env=cli_env(tmp_path, case.provider_id), capture_output=True,
                          text=True, timeout=30, cwd=str(ROOT))


@pytest.mark.parametrize("case", ISSUE_EXAMPLES, ids=lambda c: c.name)
def test_issue_example_through_the_cli(case: RawCase, servers: Dict[str, ProtocolServer],
                                       tmp_path: Path) -> None:
    result = run_cli(case, servers[case.protocol], tmp_path)
    expect = case.expect
    if expect.outcome == "done":
        assert result.returncode == 0, result.stderr
        assert result.stdout == expect.text + "\n"
        assert "error:" not in result.stderr
        if expect.retries:
            assert result.stderr.count("retrying in ") == expect.retries
        return
    assert result.returncode == 1, (result.stdout, result.stderr)
    lines = result.stderr.strip().splitlines()
    error_line = next(i for i, line in enumerate(lines) if line.startswith("error: "))
    assert lines[error_line].startswith(f"error: {expect.outcome}: "), lines
    for words in expect.quote:
        assert words in lines[error_line]
    assert error_line + 1 < len(lines), "no hint line"
    assert result.stdout == expect.text


@pytest.mark.parametrize("case", ISSUE_EXAMPLES, ids=lambda c: c.name)
def test_issue_example_through_the_cli_json(case: RawCase, servers: Dict[str, ProtocolServer],
                                            tmp_path: Path) -> None:
    result = run_cli(case, servers[case.protocol], tmp_path, "--json")
    events = [json.loads(line) for line in result.stdout.splitlines()]
    last = events[-1]
    assert last["type"] == ("done" if case.expect.outcome == "done" else "error")
    if last["type"] == "error":
        assert last["kind"] == case.expect.outcome and result.returncode == 1
    else:
        assert last["text"] == case.expect.text and result.returncode == 0
    assert [e["type"] for e in events].count("retrying") == case.expect.retries


def test_cut_short_answer_says_so_on_stderr(servers: Dict[str, ProtocolServer],
                                            tmp_path: Path) -> None:
    case = next(c for c in CASES if c.name == "vllm-coalesced-finish")
    result = run_cli(case, servers["openai"], tmp_path)
    assert result.returncode == 0, result.stderr
    assert result.stdout == case.expect.text + "\n"
    assert "cut short" in result.stderr and "length" in result.stderr


def test_blocked_after_text_keeps_the_text_and_says_why(servers: Dict[str, ProtocolServer],
                                                       tmp_path: Path) -> None:
    case = next(c for c in CASES if c.name == "gemini-safety-after-text")
    result = run_cli(case, servers["gemini"], tmp_path)
    assert result.returncode == 1
    assert result.stdout == case.expect.text + "\n"
    assert "[stopped by the provider's filter]" in result.stderr
    assert "[answer cut off]" not in result.stderr
    assert "error: blocked: Stopped by the provider's safety filter (SAFETY" in result.stderr
