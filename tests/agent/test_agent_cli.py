"""``python -m nuke_ai_panel agent`` run as a user would: a real subprocess against scripted
servers speaking each provider's protocol. The acceptance run for every format, previews and
approvals, no terminal, ``--json``, ``-o``, a tool-less server, and a y/N terminal (a pty)."""

from __future__ import annotations

import json
import os
import select
import subprocess
import sys
import time
from pathlib import Path
from typing import Any, Dict, Iterator, List

import pytest
from agent_hosts import SMALL_COMP

from nuke_ai_panel.graph.nkscript import parse_script
from tests.protocol_servers import ProtocolServer
from tests.protocol_servers.tool_history import calls_echoed, results

ROOT = Path(__file__).resolve().parents[2]
# provider id -> the server protocol it talks to
SERVED = {"openai": "openai", "openrouter": "openrouter", "mistral": "mistral",
          "openai-compatible": "openai", "anthropic": "anthropic", "gemini": "gemini",
          "ollama": "ollama"}
FAMILY = {"mistral": "openai"}
KEYS = {"openai": "OPENAI_API_KEY", "openrouter": "OPENROUTER_API_KEY",
        "mistral": "MISTRAL_API_KEY", "anthropic": "ANTHROPIC_API_KEY",
        "gemini": "GEMINI_API_KEY"}
TASK = "Add a blur after the grade"


@pytest.fixture(scope="module")
def servers() -> Iterator[Dict[str, ProtocolServer]]:
    started = {p: ProtocolServer(p).start() for p in set(SERVED.values())}
    yield started
    for server in started.values():
        server.stop()


def env(tmp_path: Path) -> Dict[str, str]:
    out = {k: v for k, v in os.environ.items()
           if not k.endswith("_API_KEY") and k not in (
               "OLLAMA_HOST", "OPENAI_BASE_URL", "ANTHROPIC_BASE_URL",
               "NUKE_AI_PANEL_STUDIO_CONFIG")}
    out.update({"PYTHONPATH": str(ROOT), "NUKE_AI_PANEL_HOME": str(tmp_path / "home"),
                "PYTHON_KEYRING_BACKEND": "keyring.backends.fail.Keyring",
                "PYTHONUNBUFFERED": "1"})
    out.update({name: "test-key" for name in KEYS.values()})
    return out


def comp(tmp_path: Path, newline: str = "\n") -> Path:
    path = tmp_path / "comp.nk"
    path.write_bytes(SMALL_COMP.replace("\n", newline).encode("utf-8"))
    return path


def agent(tmp_path: Path, provider: str, server: ProtocolServer, model: str, nk: Path,
          *extra: str, task: str = TASK, timeout: float = 60) -> subprocess.CompletedProcess:
    args = [sys.executable, "-m", "nuke_ai_panel", "agent", str(nk), "-p", provider,
            "-m", model, "--base-url", server.base_url, *extra, task]
    return subprocess.run(args, env=env(tmp_path), capture_output=True, text=True,
                          stdin=subprocess.DEVNULL, timeout=timeout, cwd=str(ROOT))


def chats(server: ProtocolServer, model: str) -> List[Any]:
    return [r for r in server.requests if not r.path.endswith(("/api/show", "/models"))
            and (model in r.path or (isinstance(r.json_body, dict)
                                     and r.json_body.get("model") == model))]


@pytest.mark.parametrize("provider", sorted(SERVED))
def test_acceptance_add_a_blur_after_the_grade(tmp_path, servers, provider):
    protocol = SERVED[provider]
    server = servers[protocol]
    family = FAMILY.get(protocol, protocol)
    model = f"agent-blur:{provider}"
    nk = comp(tmp_path)
    out = tmp_path / "out.nk"
    result = agent(tmp_path, provider, server, model, nk, "--yes", "-o", str(out))
    assert result.returncode == 0, result.stderr
    assert result.stdout == "I'll look at the Grade nodes first.\nAdded Blur1 after Grade1.\n"
    assert "-> list_nodes" in result.stderr and "-> create_nodes" in result.stderr
    assert "proposed change 1: AI: create Blur1" in result.stderr
    assert "Grade1 -> Blur1 (input 0)" in result.stderr  # the preview, on stderr
    saved = parse_script(out.read_text(encoding="utf-8"))
    blur = saved.node("Blur1")
    assert blur is not None and blur.node_class == "Blur" and blur.inputs == ["Grade1"]
    assert nk.read_text(encoding="utf-8") == SMALL_COMP  # the input is never written
    sent = [r.json_body for r in chats(server, model)]
    assert len(sent) == 3
    # the server saw each result in its own wire format, with the ids of the calls
    calls, got = calls_echoed(family, sent[2]), results(family, sent[2])
    assert [c["name"] for c in calls] == ["list_nodes", "create_nodes"]
    assert len(got) == 2 and json.loads(got[0]["content"])["nodes"][0]["name"] == "Grade1"
    assert got[1]["content"].startswith("Created 1 node(s)")
    if family in ("openai", "openrouter", "anthropic"):
        assert [r["id"] for r in got] == [c["id"] for c in calls]
        assert all(c["id"] for c in calls) and len({c["id"] for c in calls}) == 2
    if protocol == "mistral":
        assert [c["id"] for c in calls] == ["Mx0000000", "Mx0000001"]
    if family == "anthropic":
        assert [r["ok"] for r in got] == [True, True]  # is_error false
    if family == "gemini":
        assert [c["signature"] for c in calls] == ["sig-0", "sig-1"]  # echoed unchanged
        assert [r["name"] for r in got] == ["list_nodes", "create_nodes"]
    if family == "ollama":
        assert [r["name"] for r in got] == ["list_nodes", "create_nodes"]
        assert calls[0]["arguments"] == {"class": "Grade"}


@pytest.mark.parametrize("provider", ["openai", "anthropic"])
def test_fragmented_and_whole_arguments(tmp_path, servers, provider):
    server = servers[SERVED[provider]]
    for script in ("fragments", "whole"):
        out = tmp_path / f"{script}.nk"
        result = agent(tmp_path, provider, server, f"agent-{script}:{provider}",
                       comp(tmp_path), "--yes", "-o", str(out))
        assert result.returncode == 0, result.stderr
        assert parse_script(out.read_text()).node("Blur1").inputs == ["Grade1"]


def test_no_terminal_and_no_yes_rejects_every_write_and_leaves_the_file(tmp_path, servers):
    server = servers["openai"]
    nk = comp(tmp_path, "\r\n")  # CRLF: byte for byte means byte for byte
    original = nk.read_bytes()
    out = tmp_path / "out.nk"
    result = agent(tmp_path, "openai", server, "agent-two-writes:no-tty", nk, "-o", str(out))
    assert result.returncode == 0, result.stderr
    assert out.read_bytes() == original and nk.read_bytes() == original
    told = results("openai", chats(server, "agent-two-writes:no-tty")[1].json_body)
    assert "the user rejected this change" in told[0]["content"]
    assert "without a terminal" in told[0]["content"] and "--yes" in told[0]["content"]
    assert "   rejected" in result.stderr and "0 change(s) applied, 1 rejected" in result.stderr


def test_json_prints_every_event_as_one_line(tmp_path, servers):
    result = agent(tmp_path, "ollama", servers["ollama"], "agent-blur:json", comp(tmp_path),
                   "--yes", "--json")
    assert result.returncode == 0, result.stderr
    events = [json.loads(line) for line in result.stdout.splitlines()]
    types = [e["type"] for e in events]
    assert types[-1] == "agent_done" and types.count("done") == 3
    calls = [e for e in events if e["type"] == "tool_call"]
    assert [c["name"] for c in calls] == ["list_nodes", "create_nodes"]
    assert [e["id"] for e in events if e["type"] == "tool_result"] == [c["id"] for c in calls]
    assert [e for e in events if e["type"] == "approval"] == [
        {"type": "approval", "id": calls[1]["id"], "approved": True}]
    assert events[-1] == {"type": "agent_done", "steps": 2, "applied": 1, "rejected": 0,
                          "limit_reached": False}
    assert "AI: create Blur1" in result.stderr  # previews still go to stderr


def test_an_unedited_script_writes_back_byte_for_byte(tmp_path, servers):
    nk = comp(tmp_path, "\r\n")
    out = tmp_path / "same.nk"
    result = agent(tmp_path, "openai", servers["openai"], "agent-two-calls:bytes", nk,
                   "-o", str(out))
    assert result.returncode == 0, result.stderr
    assert out.read_bytes() == nk.read_bytes()


@pytest.mark.parametrize("provider,model,quote", [
    ("ollama", "no-tools-cli", "does not support tools (Ollama lists its capabilities"),
    ("openai-compatible", "http-400-tools", "--enable-auto-tool-choice"),
    ("ollama", "http-400-tools", "does not support tools"),
])
def test_a_model_or_server_without_tools_is_reported_plainly(tmp_path, servers, provider,
                                                             model, quote):
    result = agent(tmp_path, provider, servers[SERVED[provider]], model, comp(tmp_path))
    assert result.returncode == 1
    lines = result.stderr.splitlines()
    error = next(i for i, line in enumerate(lines) if line.startswith("error: bad_request: "))
    assert quote in lines[error]
    assert "does not take tools" in lines[error + 1] and "/explain" in lines[error + 1]


def test_mode_ask_and_max_steps_on_the_command_line(tmp_path, servers):
    server = servers["openai"]
    result = agent(tmp_path, "openai", server, "agent-forever:cli", comp(tmp_path),
                   "--max-steps", "2", "--mode", "ask")
    assert result.returncode == 0, result.stderr
    sent = [r.json_body for r in chats(server, "agent-forever:cli")]
    assert len(sent) == 3 and sent[-1]["tool_choice"] == "none"
    assert "create_nodes" not in json.dumps(sent[0]["tools"])
    assert "the step limit was reached" in result.stderr
    bad = agent(tmp_path, "openai", server, "x", comp(tmp_path), "--max-steps", "0")
    assert bad.returncode == 2 and "must be from 1 to 50" in bad.stderr


def _read_until(fd: int, needle: bytes, seen: bytearray, times: int = 1,
                timeout: float = 30) -> None:
    """Read the terminal into ``seen`` until ``needle`` has appeared ``times`` times."""
    deadline = time.monotonic() + timeout
    while seen.count(needle) < times:
        left = deadline - time.monotonic()
        assert left > 0, f"never saw {needle!r} in {bytes(seen)!r}"
        ready, _, _ = select.select([fd], [], [], left)
        if ready:
            try:
                chunk = os.read(fd, 4096)
            except OSError:
                chunk = b""
            assert chunk, f"the terminal closed before {needle!r}: {bytes(seen)!r}"
            seen += chunk


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="needs a Linux pty")
def test_a_terminal_asks_y_or_n_for_each_write(tmp_path, servers):
    import pty
    server = servers["openai"]
    nk = comp(tmp_path)
    out = tmp_path / "out.nk"
    master, slave = pty.openpty()
    args = [sys.executable, "-m", "nuke_ai_panel", "agent", str(nk), "-p", "openai",
            "-m", "agent-two-writes:tty", "--base-url", server.base_url, "-o", str(out), TASK]
    proc = subprocess.Popen(args, env=env(tmp_path), stdin=slave, stderr=slave,
                            stdout=subprocess.PIPE, cwd=str(ROOT))
    os.close(slave)
    seen = bytearray()
    try:
        _read_until(master, b"Apply this change? [y/N", seen)
        assert b"AI: create Blur1" in seen
        os.write(master, b"y\n")
        _read_until(master, b"Apply this change? [y/N", seen, times=2)
        assert b"AI: set Blur1.size" in seen
        os.write(master, b"n\n")
        stdout, _ = proc.communicate(timeout=30)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait(5)
        os.close(master)
    assert proc.returncode == 0 and stdout.decode().endswith("Blurred.\n")
    saved = parse_script(out.read_text())
    assert saved.node("Blur1").knobs["size"] == "3"  # the set_knobs was answered no
    told = results("openai", chats(server, "agent-two-writes:tty")[2].json_body)
    assert told[-1]["content"] == "the user rejected this change: the user answered no"
