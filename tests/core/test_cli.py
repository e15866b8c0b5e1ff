"""``python -m nuke_ai_panel`` run as a user would: a real subprocess against real servers."""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Dict, List, Optional

import pytest

from nuke_ai_panel.provider_info import PROVIDERS
from tests.protocol_servers import ProtocolServer

ROOT = Path(__file__).resolve().parents[2]
CANARY = "sk-canary-cli-7f3a9c21d4e8b6"

PROTOCOL_OF = {
    "ollama": "ollama", "openai": "openai", "openai-compatible": "openai", "mistral": "openai",
    "anthropic": "anthropic", "openrouter": "openrouter", "gemini": "gemini",
}
KEY_ENV = {
    "openai": "OPENAI_API_KEY", "mistral": "MISTRAL_API_KEY", "anthropic": "ANTHROPIC_API_KEY",
    "openrouter": "OPENROUTER_API_KEY", "gemini": "GEMINI_API_KEY",
}


@pytest.fixture(scope="module")
def servers():
    started = {p: ProtocolServer(p).start() for p in set(PROTOCOL_OF.values())}
    yield started
    for server in started.values():
        server.stop()


def cli_env(tmp_path: Path, extra: Optional[Dict[str, str]] = None) -> Dict[str, str]:
    env = {k: v for k, v in os.environ.items()
           if not k.endswith("_API_KEY") and k not in ("OLLAMA_HOST", "OPENAI_BASE_URL",
                                                       "ANTHROPIC_BASE_URL")}
    env.update({
        "PYTHONPATH": str(ROOT),
        "NUKE_AI_PANEL_HOME": str(tmp_path / "home"),
        "PYTHON_KEYRING_BACKEND": "keyring.backends.fail.Keyring",
        "PYTHONUNBUFFERED": "1",
    })
    env.pop("NUKE_AI_PANEL_STUDIO_CONFIG", None)
    env.update(extra or {})
    return env


def write_config(tmp_path: Path, providers: Dict[str, Dict[str, object]]) -> None:
    home = tmp_path / "home"
    home.mkdir(exist_ok=True)
    (home / "config.json").write_text(json.dumps({"providers": providers}), "utf-8")


def key_args(provider: str) -> Dict[str, str]:
    env = KEY_ENV.get(provider)
    return {env: CANARY} if env else {}


def chat_args(provider: str, server: ProtocolServer, model: str, *extra: str) -> List[str]:
    return [sys.executable, "-m", "nuke_ai_panel", "chat", "-p", provider, "-m", model,
            "--base-url", server.base_url, *extra]


def run(args: List[str], env: Dict[str, str], stdin: str = "", timeout: float = 30):
    return subprocess.run(args, env=env, input=stdin, capture_output=True, text=True,
                          timeout=timeout, cwd=str(ROOT))


def assert_no_canary(tmp_path: Path, *texts: str) -> None:
    for text in texts:
        assert CANARY not in text
    for path in (tmp_path / "home").rglob("*"):
        if path.is_file():
            assert CANARY not in path.read_text("utf-8", "replace"), path


@pytest.mark.parametrize("provider", sorted(PROTOCOL_OF))
def test_chat_streams_token_by_token(provider, servers, tmp_path):
    server = servers[PROTOCOL_OF[provider]]
    completed_before = server.completed
    proc = subprocess.Popen(chat_args(provider, server, "slow-30", "hello"),
                            env=cli_env(tmp_path, key_args(provider)), cwd=str(ROOT),
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    try:
        first = _read_until(proc, b"w1 ", timeout=20)
        assert first.startswith(b"w0 w1 ")
        assert proc.poll() is None, "the process ended before the stream did"
        assert server.completed == completed_before, "text arrived only after the stream ended"
        rest, err = proc.communicate(timeout=30)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.communicate()
    out = (first + rest).decode()
    assert proc.returncode == 0, err.decode()
    assert out == "".join(f"w{i} " for i in range(30)) + "\n"
    assert_no_canary(tmp_path, out, err.decode())


def _read_until(proc: subprocess.Popen, marker: bytes, timeout: float) -> bytes:
    """Read stdout byte by byte on a thread until ``marker`` shows up."""
    data = bytearray()
    done = threading.Event()

    def reader() -> None:
        assert proc.stdout is not None
        while marker not in data:
            byte = proc.stdout.read(1)
            if not byte:
                break
            data.extend(byte)
        done.set()

    threading.Thread(target=reader, daemon=True).start()
    assert done.wait(timeout), f"no {marker!r} within {timeout}s; got {bytes(data)!r}"
    return bytes(data)


def test_chat_json_prints_the_event_contract(servers, tmp_path):
    result = run(chat_args("anthropic", servers["anthropic"], "reasoning", "--json", "hi"),
                 cli_env(tmp_path, key_args("anthropic")))
    assert result.returncode == 0, result.stderr
    events = [json.loads(line) for line in result.stdout.splitlines()]
    types = [e["type"] for e in events]
    assert types[0] == "start" and types[-1] == "done"
    assert set(types[1:-1]) <= {"delta", "waiting", "retrying"}
    assert events[0]["provider"] == "anthropic" and events[0]["model"] == "reasoning"
    done = events[-1]
    answer = "".join(e["text"] for e in events if e["type"] == "delta")
    reasoning = "".join(e["reasoning"] for e in events if e["type"] == "delta")
    assert answer == done["text"] and answer.startswith("Echo: hi")
    assert reasoning and reasoning not in answer
    assert done["usage"]["completion_tokens"] is not None
    assert_no_canary(tmp_path, result.stdout, result.stderr)


def test_prompt_from_stdin(servers, tmp_path):
    result = run(chat_args("ollama", servers["ollama"], "llama3.2", "-"),
                 cli_env(tmp_path), stdin="from stdin")
    assert result.returncode == 0, result.stderr
    assert result.stdout == "Echo: from stdin\n"


def test_a_blank_prompt_is_a_usage_error_and_sends_nothing(servers, tmp_path):
    server = servers["ollama"]
    before = len(server.requests)
    result = run(chat_args("ollama", server, "llama3.2", "  \n "), cli_env(tmp_path))
    assert result.returncode == 2
    assert result.stderr.startswith("error: config: the prompt is empty")
    assert len(server.requests) == before


def test_provider_error_exits_1_with_kind_and_hint(servers, tmp_path):
    result = run(chat_args("ollama", servers["ollama"], "http-404", "hi"), cli_env(tmp_path))
    assert result.returncode == 1
    lines = result.stderr.strip().splitlines()
    assert lines[-2].startswith("error: model_not_found: ")
    assert "ollama pull http-404" in lines[-1]


def test_auth_error_never_shows_the_key(tmp_path):
    with ProtocolServer("openai", api_key="sk-the-right-key-000000") as server:
        result = run(chat_args("openai", server, "gpt-4o", "hi"),
                     cli_env(tmp_path, key_args("openai")))
    assert result.returncode == 1
    assert "error: auth: " in result.stderr
    assert "OPENAI_API_KEY" in result.stderr
    assert_no_canary(tmp_path, result.stdout, result.stderr)


def test_partial_answer_is_kept_on_truncation(servers, tmp_path):
    result = run(chat_args("openai", servers["openai"], "no-terminal", "hi"),
                 cli_env(tmp_path, key_args("openai")))
    assert result.returncode == 1
    assert result.stdout.strip(), "the partial answer was dropped"
    assert "[answer cut off]" in result.stderr
    assert "error: truncated: " in result.stderr


def test_missing_key_is_a_config_error(tmp_path):
    """No key for the provider's own public API: nothing is sent."""
    result = run([sys.executable, "-m", "nuke_ai_panel", "chat", "-p", "openai", "-m", "gpt-4o",
                  "hi"], cli_env(tmp_path))
    assert result.returncode == 2
    assert "error: config: No API key for OpenAI." in result.stderr
    assert "OPENAI_API_KEY" in result.stderr


AUTH_HEADERS = ("Authorization", "x-api-key", "x-goog-api-key")


@pytest.mark.parametrize("provider", ["openai", "anthropic", "openrouter", "gemini", "mistral"])
def test_a_keyless_server_is_reached_with_base_url(provider, servers, tmp_path):
    """A key is optional off the provider's public API, whatever the config names."""
    write_config(tmp_path, {provider: {"base_url": PROVIDERS[provider].default_base_url,
                                       "model": "configured-model"}})
    server = servers[PROTOCOL_OF[provider]]
    before = len(server.requests)
    result = run(chat_args(provider, server, "m", "hi"), cli_env(tmp_path))
    assert result.returncode == 0, result.stderr
    assert result.stdout == "Echo: hi\n"
    sent = server.requests[before:]
    assert sent and not any(h in r.headers for r in sent for h in AUTH_HEADERS)


def test_a_server_that_wants_a_key_says_so(tmp_path):
    with ProtocolServer("openai", api_key=CANARY) as server:
        result = run(chat_args("openai", server, "m", "hi"), cli_env(tmp_path))
    assert result.returncode == 1
    lines = result.stderr.strip().splitlines()
    assert lines[-2].startswith("error: auth: ") and "OPENAI_API_KEY" in lines[-1]


def test_base_url_without_a_scheme_is_http(servers, tmp_path):
    server = servers["openai"]
    bare = server.base_url[len("http://"):]
    args = chat_args("openai-compatible", server, "m", "hi")
    args[args.index(server.base_url)] = bare
    result = run(args, cli_env(tmp_path))
    assert result.returncode == 0, result.stderr
    assert result.stdout == "Echo: hi\n"
    env = cli_env(tmp_path, {"OPENAI_BASE_URL": bare})
    result = run([sys.executable, "-m", "nuke_ai_panel", "test", "-p", "openai", "--json"], env)
    assert result.returncode == 0, result.stdout + result.stderr
    assert json.loads(result.stdout)["status"] == "ok"
    write_config(tmp_path, {"openai-compatible": {"base_url": bare}})
    result = run([sys.executable, "-m", "nuke_ai_panel", "models", "-p", "openai-compatible",
                  "--json"], cli_env(tmp_path))
    assert result.returncode == 0, result.stderr
    assert "warning" not in result.stderr.lower()
    assert sorted(json.loads(result.stdout)) == sorted(server.model_ids)


def test_usage_error_exits_2(tmp_path):
    result = run([sys.executable, "-m", "nuke_ai_panel", "chat", "-p", "nope", "hi"],
                 cli_env(tmp_path))
    assert result.returncode == 2


def test_openai_compatible_needs_a_base_url(tmp_path):
    result = run([sys.executable, "-m", "nuke_ai_panel", "chat", "-p", "openai-compatible",
                  "-m", "x", "hi"], cli_env(tmp_path))
    assert result.returncode == 2
    assert "error: config: " in result.stderr


def test_openai_compatible_key_from_named_env_var(tmp_path):
    with ProtocolServer("openai", api_key=CANARY) as server:
        args = chat_args("openai-compatible", server, "m", "--api-key-env", "STUDIO_GATEWAY_KEY",
                         "hi")
        result = run(args, cli_env(tmp_path, {"STUDIO_GATEWAY_KEY": CANARY}))
    assert result.returncode == 0, result.stderr
    assert result.stdout == "Echo: hi\n"
    assert_no_canary(tmp_path, result.stdout, result.stderr)


def test_ctrl_c_exits_130_quickly_and_closes_the_connection(servers, tmp_path):
    server = servers["openai"]
    before = server.disconnects
    # A suite started in the background without job control has SIGINT ignored, and a child
    # inherits that; a handled signal is reset to the default in the child.
    previous = signal.signal(signal.SIGINT, signal.default_int_handler)
    try:
        proc = subprocess.Popen(chat_args("openai", server, "stall-mid", "hi"),
                                env=cli_env(tmp_path, key_args("openai")), cwd=str(ROOT),
                                stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    finally:
        signal.signal(signal.SIGINT, previous)
    try:
        _read_until(proc, b" ", timeout=20)
        sent = time.monotonic()
        proc.send_signal(signal.SIGINT)
        proc.wait(timeout=10)
        elapsed = time.monotonic() - sent
    finally:
        if proc.poll() is None:
            proc.kill()
        proc.communicate()
    assert proc.returncode == 130
    assert elapsed < 1.5, f"took {elapsed:.2f}s to exit after Ctrl-C"
    assert server.wait_for_disconnect(5, count=before + 1)


def test_models_json(servers, tmp_path):
    result = run([sys.executable, "-m", "nuke_ai_panel", "models", "-p", "ollama", "--base-url",
                  servers["ollama"].base_url, "--json"], cli_env(tmp_path))
    assert result.returncode == 0, result.stderr
    models = json.loads(result.stdout)
    assert isinstance(models, list) and models and all(isinstance(m, str) for m in models)


def test_models_human(servers, tmp_path):
    result = run([sys.executable, "-m", "nuke_ai_panel", "models", "-p", "gemini", "--base-url",
                  servers["gemini"].base_url], cli_env(tmp_path, key_args("gemini")))
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip()
    assert "models/" not in result.stdout.split()[0]


def test_test_command_json(servers, tmp_path):
    env = cli_env(tmp_path, {"OLLAMA_HOST": servers["ollama"].base_url,
                             "OPENAI_BASE_URL": servers["openai"].base_url, **key_args("openai")})
    result = run([sys.executable, "-m", "nuke_ai_panel", "test", "-p", "ollama", "-p", "openai",
                  "--json"], env)
    assert result.returncode == 0, result.stderr
    rows = [json.loads(line) for line in result.stdout.splitlines()]
    assert [r["provider"] for r in rows] == ["ollama", "openai"]
    for row in rows:
        assert row["ok"] is True and row["model_count"] >= 1 and row["latency"] >= 0
        assert set(row) >= {"error_kind", "error_message", "hint", "version"}
    assert rows[0]["version"]


def test_test_command_reports_failures_and_providers_not_set_up(tmp_path):
    env = cli_env(tmp_path, {"OLLAMA_HOST": "http://127.0.0.1:9"})
    result = run([sys.executable, "-m", "nuke_ai_panel", "test", "-p", "ollama", "-p",
                  "anthropic"], env)
    assert result.returncode == 1
    assert "ollama: FAILED connect:" in result.stdout
    assert "ollama serve" in result.stdout
    assert "anthropic: not set up: No API key for Anthropic." in result.stdout
    assert "FAILED config" not in result.stdout


def test_test_command_without_p_checks_every_enabled_provider(servers, tmp_path):
    write_config(tmp_path, {pid: {"enabled": pid in ("ollama", "anthropic")}
                            for pid in PROTOCOL_OF})
    env = cli_env(tmp_path, {"OLLAMA_HOST": servers["ollama"].base_url})
    result = run([sys.executable, "-m", "nuke_ai_panel", "test", "--json"], env)
    rows = [json.loads(line) for line in result.stdout.splitlines()]
    assert [r["provider"] for r in rows] == ["ollama", "anthropic"], result.stderr
    assert rows[0]["ok"] is True and rows[0]["status"] == "ok"
    assert rows[1]["ok"] is False and rows[1]["error_kind"] == "config"
    assert rows[1]["status"] == "not_set_up"
    assert result.returncode == 0, "a provider that is not set up is not a failure"


def test_test_command_counts_a_provider_with_a_base_url_as_configured(servers, tmp_path):
    """Configured: enabled, and a key where the endpoint needs one, or a base URL given."""
    write_config(tmp_path, {
        "anthropic": {"base_url": servers["anthropic"].base_url},
        "openai-compatible": {"base_url": servers["openai"].base_url},
        **{pid: {"enabled": False} for pid in ("ollama", "openai", "openrouter", "mistral")}})
    result = run([sys.executable, "-m", "nuke_ai_panel", "test", "--json"], cli_env(tmp_path))
    rows = {r["provider"]: r for r in map(json.loads, result.stdout.splitlines())}
    assert list(rows) == ["anthropic", "gemini", "openai-compatible"], result.stderr
    assert rows["anthropic"]["status"] == "ok" and rows["openai-compatible"]["status"] == "ok"
    assert rows["gemini"]["status"] == "not_set_up"
    assert result.returncode == 0


def test_test_command_with_nothing_set_up_is_a_config_error(tmp_path):
    result = run([sys.executable, "-m", "nuke_ai_panel", "test", "-p", "gemini", "-p",
                  "openai-compatible"], cli_env(tmp_path))
    assert result.returncode == 2
    assert result.stdout.splitlines()[0] == "gemini: not set up: No API key for Google Gemini."
    assert "openai-compatible: not set up: No base URL is set" in result.stdout
    assert result.stderr.startswith("error: config: none of the providers tested is set up")


@pytest.mark.skipif(shutil.which("head") is None, reason="needs the head command")
@pytest.mark.parametrize("extra", [(), ("--json",)])
def test_chat_into_a_closed_pipe_stops_the_turn_and_exits_quietly(extra, servers, tmp_path):
    """``chat ... | head -c 5``: the printer's failed write ends the turn (the connection
    closes at once), and the command exits 141 without a traceback."""
    server = servers["openai"]
    before = server.disconnects
    proc = subprocess.Popen(chat_args("openai", server, "slow-30", *extra, "hi"),
                            env=cli_env(tmp_path, key_args("openai")), cwd=str(ROOT),
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    head = subprocess.Popen(["head", "-c", "5"], stdin=proc.stdout, stdout=subprocess.PIPE)
    assert proc.stdout is not None
    proc.stdout.close()  # head holds the only reader
    try:
        shown, _ = head.communicate(timeout=30)
        _, err = proc.communicate(timeout=30)
    finally:
        for p in (proc, head):
            if p.poll() is None:
                p.kill()
                p.communicate()
    assert len(shown) == 5
    assert proc.returncode == 141, err.decode()
    assert err == b""
    assert server.wait_for_disconnect(5, count=before + 1), "the stream was read to its end"
