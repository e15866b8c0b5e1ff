"""User paths, atomic writes, forgiving JSON reads and redacted logging."""

from __future__ import annotations

import json
import logging
import logging.handlers
import os
from pathlib import Path

import pytest

from nuke_ai_panel import atomic, logs, paths
from nuke_ai_panel.atomic import atomic_write_json, atomic_write_text, read_json_file
from nuke_ai_panel.redact import register_secret


def _names(directory: Path):
    return sorted(p.name for p in directory.iterdir())


# -- paths --------------------------------------------------------------------------------------


def test_user_dir_follows_env(_isolated_user, monkeypatch, tmp_path):
    assert paths.user_dir() == _isolated_user
    assert paths.config_path() == _isolated_user / "config.json"
    assert not _isolated_user.exists(), "looking up the directory must not create it"
    assert paths.history_dir().is_dir() and paths.logs_dir().is_dir()
    assert paths.history_dir(create=False) == _isolated_user / "history"

    monkeypatch.delenv("NUKE_AI_PANEL_HOME")
    monkeypatch.setenv("HOME", str(tmp_path / "someone"))
    assert paths.user_dir() == tmp_path / "someone" / ".nuke" / "nuke_ai_panel"


def test_studio_config_path(monkeypatch, tmp_path):
    assert paths.studio_config_path() is None
    monkeypatch.setenv("NUKE_AI_PANEL_STUDIO_CONFIG", str(tmp_path / "studio.json"))
    assert paths.studio_config_path() == tmp_path / "studio.json"


# -- atomic writes ------------------------------------------------------------------------------


def test_atomic_write_creates_and_replaces(tmp_path):
    target = tmp_path / "deep" / "dir" / "file.json"
    atomic_write_text(target, "first\n")
    atomic_write_text(target, "second \u00e9\n")
    assert target.read_text(encoding="utf-8") == "second \u00e9\n"
    assert _names(target.parent) == ["file.json"], "no temporary files are left behind"


def test_atomic_write_keeps_old_content_when_the_write_fails(tmp_path, monkeypatch):
    target = tmp_path / "config.json"
    atomic_write_text(target, "old")

    def broken_replace(src, dst):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(atomic.os, "replace", broken_replace)
    with pytest.raises(OSError):
        atomic_write_text(target, "new")
    assert target.read_text() == "old"
    assert _names(tmp_path) == ["config.json"]


def test_atomic_write_json_round_trip(tmp_path):
    target = tmp_path / "data.json"
    atomic_write_json(target, {"name": "Grade \u2192 Merge", "n": [1, 2]})
    assert read_json_file(target) == ({"name": "Grade \u2192 Merge", "n": [1, 2]}, None)


# -- forgiving reads ----------------------------------------------------------------------------


def test_missing_file_is_not_a_warning(tmp_path):
    assert read_json_file(tmp_path / "nope.json") == (None, None)


def test_utf8_bom_is_accepted(tmp_path):
    target = tmp_path / "bom.json"
    target.write_bytes(b"\xef\xbb\xbf{\"a\": 1}")
    assert read_json_file(target) == ({"a": 1}, None)


@pytest.mark.parametrize("content, reason", [
    (b"{\"a\": 1,,}", "not valid JSON"),
    (b"", "not valid JSON"),
    (b"\xff\xfe\x00garbage", "not UTF-8"),
    (b"[1, 2, 3]", "JSON array where a JSON object belongs"),
])
def test_bad_content_is_set_aside(tmp_path, content, reason):
    target = tmp_path / "config.json"
    target.write_bytes(content)
    data, warning = read_json_file(target)
    assert data is None
    assert reason in warning and str(target) in warning
    assert not target.exists()
    (aside,) = [p for p in tmp_path.iterdir() if p.name.startswith("config.json.corrupt-")]
    assert aside.read_bytes() == content, "the bad file is kept, byte for byte"
    assert aside.name in warning


def test_set_aside_never_overwrites_an_earlier_copy(tmp_path, monkeypatch):
    monkeypatch.setattr(atomic.time, "strftime", lambda fmt: "20240101-120000")
    target = tmp_path / "config.json"
    for n in range(3):
        target.write_text(f"broken {n}")
        assert read_json_file(target)[0] is None
    kept = sorted(p.read_text() for p in tmp_path.iterdir())
    assert kept == ["broken 0", "broken 1", "broken 2"]
    assert (tmp_path / "config.json.corrupt-20240101-120000").read_text() == "broken 0"


def test_without_set_aside_the_file_stays(tmp_path):
    target = tmp_path / "studio.json"
    target.write_text("{oops")
    data, warning = read_json_file(target, set_aside=False)
    assert data is None and "ignored" in warning
    assert target.read_text() == "{oops"


def test_unreadable_path_is_reported_not_moved(tmp_path):
    target = tmp_path / "config.json"
    target.mkdir()
    data, warning = read_json_file(target)
    assert data is None and "Could not read" in warning
    assert target.is_dir()


# -- logging ------------------------------------------------------------------------------------


def test_get_logger_names():
    assert logs.get_logger("nuke_ai_panel.worker").name == "nuke_ai_panel.worker"
    assert logs.get_logger("ui").name == "nuke_ai_panel.ui"
    assert logs.get_logger().name == "nuke_ai_panel"


def test_records_are_redacted_before_any_handler(caplog, canary):
    register_secret(canary.key)
    seen = []

    class Late(logging.Handler):
        def emit(self, record):
            seen.append(self.format(record))

    late = Late()
    package = logging.getLogger("nuke_ai_panel")
    package.addHandler(late)
    try:
        log = logs.get_logger("test.redaction")
        log.warning("server said: bad key %s", canary.key)
        try:
            raise RuntimeError(f"boom with {canary.key}")
        except RuntimeError:
            log.exception("request failed")
    finally:
        package.removeHandler(late)
    text = "\n".join(seen)
    assert "[REDACTED]" in text and "boom with" in text
    assert canary.key not in text
    canary.assert_not_leaked(text)


def test_protect_handler_covers_other_loggers(canary):
    register_secret(canary.key)
    seen = []

    class Collect(logging.Handler):
        def emit(self, record):
            seen.append(self.format(record))

    handler = logs.protect_handler(logs.protect_handler(Collect()))
    assert len(handler.filters) == 1
    other = logging.getLogger("somebody.else")
    other.addHandler(handler)
    try:
        other.error("Authorization: %s", canary.key)
    finally:
        other.removeHandler(handler)
    assert seen == ["Authorization: [REDACTED]"]


def test_file_logging_is_idempotent_and_follows_home(monkeypatch, tmp_path):
    try:
        first = logs.setup_file_logging()
        assert logs.setup_file_logging() == first
        handlers = [h for h in logging.getLogger("nuke_ai_panel").handlers
                    if isinstance(h, logging.handlers.RotatingFileHandler)]
        assert len(handlers) == 1
        logs.get_logger("test").info("hello file")
        assert "hello file" in first.read_text(encoding="utf-8")

        monkeypatch.setenv("NUKE_AI_PANEL_HOME", str(tmp_path / "moved"))
        second = logs.setup_file_logging()
        assert second == tmp_path / "moved" / "logs" / "nuke_ai_panel.log"
        assert logs.log_file_path() == second
        handlers = [h for h in logging.getLogger("nuke_ai_panel").handlers
                    if isinstance(h, logging.handlers.RotatingFileHandler)]
        assert len(handlers) == 1
    finally:
        logs.close_file_logging()
    assert logs.log_file_path() is None


def test_log_file_is_redacted(canary):
    register_secret(canary.key)
    logs.get_logger("test").error("key=%s", canary.key)
    path = logs.log_file_path()
    text = path.read_text(encoding="utf-8")
    assert "key=[REDACTED]" in text
    assert canary.key not in json.dumps(os.listdir(path.parent))
