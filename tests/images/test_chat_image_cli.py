"""``chat --image FILE`` run as a user would: exactly one image per file, in each provider's
own form; a big photo arrives at most 1024 px on its long side; a text-only Ollama model gets
no image and the user is told why; bad files stop before anything is sent (exit 2); a server
that refuses images is reported with a hint."""

from __future__ import annotations

import base64
import io
import os
import subprocess
import sys
from pathlib import Path
from typing import Any, Dict, Iterator

import pytest
from image_helpers import encode
from PIL import Image

from tests.protocol_servers import ProtocolServer
from tests.protocol_servers.image_parts import images_in

ROOT = Path(__file__).resolve().parents[2]
SERVED = {"openai": "openai", "mistral": "mistral", "anthropic": "anthropic",
          "gemini": "gemini", "ollama": "ollama", "openrouter": "openrouter"}


@pytest.fixture(scope="module")
def servers() -> Iterator[Dict[str, ProtocolServer]]:
    started = {p: ProtocolServer(p).start() for p in set(SERVED.values())}
    yield started
    for server in started.values():
        server.stop()


@pytest.fixture
def small_png(tmp_path: Path) -> Path:
    path = tmp_path / "small.png"
    path.write_bytes(encode(Image.new("RGB", (64, 32), (200, 10, 10)), "PNG"))
    return path


def chat(tmp_path: Path, provider: str, server: ProtocolServer, model: str,
         *extra: str) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items()
           if not k.endswith("_API_KEY") and k not in ("OLLAMA_HOST", "OPENAI_BASE_URL",
                                                       "ANTHROPIC_BASE_URL")}
    env.update({"PYTHONPATH": str(ROOT), "NUKE_AI_PANEL_HOME": str(tmp_path / "home"),
                "PYTHON_KEYRING_BACKEND": "keyring.backends.fail.Keyring",
                "OPENAI_API_KEY": "k", "MISTRAL_API_KEY": "k", "ANTHROPIC_API_KEY": "k",
                "GEMINI_API_KEY": "k", "OPENROUTER_API_KEY": "k"})
    env.pop("NUKE_AI_PANEL_STUDIO_CONFIG", None)
    args = [sys.executable, "-m", "nuke_ai_panel", "chat", "-p", provider, "-m", model,
            "--base-url", server.base_url, *extra]
    return subprocess.run(args, env=env, capture_output=True, text=True, timeout=60,
                          stdin=subprocess.DEVNULL, cwd=str(ROOT))


def body_for(server: ProtocolServer, model: str) -> Dict[str, Any]:
    found = [r.json_body for r in server.requests if not r.path.endswith("/api/show")
             and (model in r.path or (isinstance(r.json_body, dict)
                                      and r.json_body.get("model") == model))]
    assert len(found) == 1
    return found[0]


@pytest.mark.parametrize("provider", sorted(SERVED))
def test_exactly_one_image_in_the_providers_own_form(tmp_path, servers, provider, small_png):
    model = f"vision-{provider}"
    result = chat(tmp_path, provider, servers[SERVED[provider]], model,
                  "--image", str(small_png), "What colour is this?")
    assert result.returncode == 0, result.stderr
    assert result.stdout == "Echo: What colour is this?\n"
    sent = images_in(provider, body_for(servers[SERVED[provider]], model))
    assert len(sent) == 1
    decoded = Image.open(io.BytesIO(base64.b64decode(sent[0])))
    assert decoded.size == (64, 32) and decoded.getpixel((5, 5))[:3] == (200, 10, 10)


@pytest.mark.parametrize("provider", ["openai", "anthropic"])
def test_a_4000x3000_photo_arrives_at_most_1024_px_on_its_long_side(tmp_path, servers,
                                                                     provider, photo):
    path = tmp_path / "plate.jpg"
    path.write_bytes(encode(photo, "JPEG", quality=95))
    model = f"photo-{provider}"
    result = chat(tmp_path, provider, servers[provider], model, "--image", str(path), "Hm?")
    assert result.returncode == 0, result.stderr
    (data,) = images_in(provider, body_for(servers[provider], model))
    assert Image.open(io.BytesIO(base64.b64decode(data))).size == (1024, 768)


def test_two_files_are_two_images(tmp_path, servers, small_png):
    other = tmp_path / "other.png"
    other.write_bytes(encode(Image.new("RGB", (10, 10), (0, 0, 255)), "PNG"))
    result = chat(tmp_path, "gemini", servers["gemini"], "two-images", "--image",
                  str(small_png), "--image", str(other), "Compare")
    assert result.returncode == 0, result.stderr
    assert len(images_in("gemini", body_for(servers["gemini"], "two-images"))) == 2


def test_a_text_only_ollama_model_gets_no_image_and_the_user_is_told(tmp_path, servers,
                                                                     small_png):
    result = chat(tmp_path, "ollama", servers["ollama"], "text-only-cli", "--image",
                  str(small_png), "What is it?")
    assert result.returncode == 0, result.stderr
    assert result.stdout == "Echo: What is it?\n"
    assert "note: text-only-cli takes no image input" in result.stderr
    assert "small.png" in result.stderr
    assert images_in("ollama", body_for(servers["ollama"], "text-only-cli")) == []


@pytest.mark.parametrize("content,kind", [(None, "image_not_found"), (b"not an image",
                                                                      "not_an_image")])
def test_a_file_that_is_no_usable_image_stops_before_sending(tmp_path, servers, content, kind):
    path = tmp_path / "bad.png"
    if content is not None:
        path.write_bytes(content)
    before = len(servers["openai"].requests)
    result = chat(tmp_path, "openai", servers["openai"], "never", "--image", str(path), "Hi")
    assert result.returncode == 2
    first, hint = result.stderr.splitlines()[:2]
    assert first.startswith(f"error: {kind}: ") and "bad.png" in first and hint
    assert len(servers["openai"].requests) == before


def test_a_server_that_refuses_images_gets_the_hint(tmp_path, servers, small_png):
    result = chat(tmp_path, "openai", servers["openai"], "http-400-images", "--image",
                  str(small_png), "Hi")
    assert result.returncode == 1
    first, hint = result.stderr.splitlines()[:2]
    assert first == ("error: bad_request: HTTP 400: Invalid content type. image_url is only "
                     "supported by certain models.")
    assert hint.startswith("This model takes no image input")
