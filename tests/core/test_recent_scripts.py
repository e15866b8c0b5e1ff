"""File > Open Recent's list: newest first, no duplicates, capped, kept atomically in the
user folder; a damaged file is set aside, never a crash."""

from __future__ import annotations

import json
from pathlib import Path

from nuke_ai_panel import recent_scripts
from nuke_ai_panel.recent_scripts import (
    MAX_RECENT,
    add_recent,
    clear_recent,
    load_recent,
    recent_path,
    remove_recent,
)


def test_recent_scripts_are_newest_first_unique_and_capped(tmp_path: Path,
                                                          _isolated_user: Path) -> None:
    assert load_recent() == []
    assert recent_path().parent == _isolated_user
    first, second = tmp_path / "a.nk", tmp_path / "b.nk"
    add_recent(str(first))
    add_recent(str(second))
    assert add_recent(str(first)) == [str(first), str(second)]
    assert json.loads(recent_path().read_text(encoding="utf-8")) == [str(first), str(second)]
    for i in range(MAX_RECENT + 3):
        add_recent(str(tmp_path / f"shot{i}.nk"))
    kept = load_recent()
    assert len(kept) == MAX_RECENT and kept[0] == str(tmp_path / f"shot{MAX_RECENT + 2}.nk")
    assert remove_recent(kept[0]) == kept[1:]
    assert clear_recent() == [] and load_recent() == []


def test_relative_paths_are_remembered_absolute(tmp_path: Path, monkeypatch) -> None:
    monkeypatch.chdir(tmp_path)
    assert add_recent("comp.nk") == [str(tmp_path / "comp.nk")]


def test_a_damaged_list_is_set_aside_and_starts_empty(_isolated_user: Path, caplog) -> None:
    path = recent_path()
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("[not json", encoding="utf-8")
    assert load_recent() == []
    assert not path.exists()
    assert list(path.parent.glob("recent_scripts.json.corrupt-*"))
    assert any("recent_scripts.json" in r.getMessage() for r in caplog.records)
    path.write_text(json.dumps(["/a.nk", 3, None, "/a.nk", "/b.nk"]), encoding="utf-8")
    assert load_recent() == ["/a.nk", "/b.nk"]


def test_writes_go_through_the_atomic_helper(tmp_path: Path, monkeypatch) -> None:
    written = []
    monkeypatch.setattr(recent_scripts, "atomic_write_json",
                        lambda path, data: written.append((Path(path), data)))
    add_recent(str(tmp_path / "x.nk"))
    assert written == [(recent_path(), [str(tmp_path / "x.nk")])]
