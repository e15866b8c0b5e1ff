"""File permissions: what the artist saves is shared like any file; the panel's data is private."""

from __future__ import annotations

import os
import stat

import pytest
from nk_data import EXAMPLE

from nuke_ai_panel.atomic import atomic_write_json, atomic_write_text
from nuke_ai_panel.graph.script_host import ScriptHost
from nuke_ai_panel.history import Conversation, HistoryMessage, export_markdown

pytestmark = pytest.mark.skipif(os.name == "nt", reason="POSIX permission bits")


@pytest.fixture
def umask_022():
    old = os.umask(0o022)
    try:
        yield
    finally:
        os.umask(old)


def _mode(path) -> int:
    return stat.S_IMODE(os.stat(path).st_mode)


def test_a_saved_script_gets_the_users_normal_permissions(tmp_path, umask_022):
    target = tmp_path / "comp_v002.nk"
    ScriptHost.from_file(str(EXAMPLE)).save(str(target))
    assert _mode(target) == 0o644
    assert target.read_bytes() == EXAMPLE.read_bytes()


def test_overwriting_keeps_the_files_own_permissions(tmp_path, umask_022):
    target = tmp_path / "comp.nk"
    target.write_text("old")
    os.chmod(target, 0o640)
    host = ScriptHost.from_file(str(EXAMPLE))
    host.set_knob("Grade_fg", "gamma", 0.8)
    host.save(str(target))
    assert _mode(target) == 0o640
    assert b"gamma 0.8" in target.read_bytes()
    assert sorted(os.listdir(tmp_path)) == ["comp.nk"]


def test_exported_markdown_is_shared_and_panel_data_stays_private(tmp_path, umask_022):
    conv = Conversation()
    conv.add(HistoryMessage("user", "hello"))
    exported = export_markdown(conv, tmp_path / "chat.md")
    assert _mode(exported) == 0o644
    atomic_write_json(tmp_path / "config.json", {"a": 1})
    atomic_write_text(tmp_path / "history.json", "{}")
    assert _mode(tmp_path / "config.json") == 0o600
    assert _mode(tmp_path / "history.json") == 0o600
