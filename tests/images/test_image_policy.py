"""The studio file decides which providers images may go to (``image_providers``, DESIGN
section 13): the config reads it, ``Config.resolve`` carries it on the call's settings, the
request is built without images for a provider it leaves out, and the user is told."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from image_helpers import encode
from PIL import Image

from nuke_ai_panel.config import load_config
from nuke_ai_panel.history import HistoryMessage
from nuke_ai_panel.images import ImageAttachment
from nuke_ai_panel.session.request import Target, build_request, images_refused
from nuke_ai_panel.settings import ProviderSettings
from tests.protocol_servers import ProtocolServer

ROOT = Path(__file__).resolve().parents[2]


def studio(tmp_path: Path, data: object) -> Path:
    path = tmp_path / "studio.json"
    path.write_text(json.dumps(data) if not isinstance(data, str) else data)
    return path


def config(tmp_path: Path, data: object):
    return load_config(tmp_path / "user.json", studio(tmp_path, data), environ={})


def test_without_the_key_images_may_go_to_every_allowed_provider(tmp_path):
    cfg = config(tmp_path, {"version": 1, "allowed_providers": ["ollama", "openai"]})
    assert cfg.images_allowed("ollama") and cfg.images_allowed("openai")
    assert not cfg.images_allowed("anthropic"), "not allowed at all"
    assert load_config(tmp_path / "user.json", None, environ={}).images_allowed("gemini")


def test_image_providers_limits_them_and_resolve_carries_it(tmp_path):
    cfg = config(tmp_path, {"version": 1, "image_providers": ["ollama", "nonsense"]})
    assert cfg.images_allowed("ollama") and not cfg.images_allowed("openai")
    assert any("image provider 'nonsense' is not a known provider" in w for w in cfg.warnings)
    assert cfg.resolve("ollama").images_allowed is True
    assert cfg.resolve("openai-compatible", base_url="http://127.0.0.1:9").images_allowed is False


@pytest.mark.parametrize("data", [{"version": 1, "image_providers": "ollama"}, "{not json"])
def test_a_wrong_value_or_an_unreadable_file_sends_no_image_anywhere(tmp_path, data):
    cfg = config(tmp_path, data)
    assert not any(cfg.images_allowed(pid) for pid in ("ollama", "openai", "gemini"))
    assert cfg.warnings


def test_the_request_is_built_without_them_and_says_why():
    image = ImageAttachment.from_image(Image.new("RGB", (8, 8)), "plate.png")
    history = [HistoryMessage("user", "Look", images=[image])]
    allowed = Target(ProviderSettings("openai", "http://127.0.0.1:9", model="m"))
    kept = Target(ProviderSettings("openai", "http://127.0.0.1:9", model="m",
                                   images_allowed=False))
    assert build_request(history, allowed).images == [image]
    assert images_refused(history, allowed) == ""
    request = build_request(history, kept)
    assert request.images == [] and request.messages[0].content == "Look"
    assert images_refused(history, kept) == (
        "The studio configuration does not allow images to be sent to openai "
        "(image_providers), so the text went without them: plate.png.")


def test_chat_image_on_the_command_line_follows_the_studio_file(tmp_path):
    picture = tmp_path / "secret.png"
    picture.write_bytes(encode(Image.new("RGB", (16, 16), (1, 2, 3)), "PNG"))
    path = studio(tmp_path, {"version": 1, "image_providers": []})
    env = {k: v for k, v in os.environ.items() if not k.endswith("_API_KEY")}
    env.update({"PYTHONPATH": str(ROOT), "NUKE_AI_PANEL_HOME": str(tmp_path / "home"),
                "PYTHON_KEYRING_BACKEND": "keyring.backends.fail.Keyring",
                "NUKE_AI_PANEL_STUDIO_CONFIG": str(path), "OPENAI_API_KEY": "k"})
    with ProtocolServer("openai") as server:
        result = subprocess.run(
            [sys.executable, "-m", "nuke_ai_panel", "chat", "-p", "openai", "-m", "studio-kept",
             "--base-url", server.base_url, "--image", str(picture), "What is it?"],
            env=env, capture_output=True, text=True, timeout=60, stdin=subprocess.DEVNULL,
            cwd=str(ROOT))
        bodies = [r.json_body for r in server.requests if isinstance(r.json_body, dict)]
    assert result.returncode == 0, result.stderr
    assert result.stdout == "Echo: What is it?\n"
    assert "note: The studio configuration does not allow images to be sent to openai" in \
        result.stderr
    (body,) = bodies
    assert all(isinstance(m["content"], str) for m in body["messages"])
