"""The layering rules: no `nuke` in the Qt layer, no Qt in the core, pure modules stay pure."""

from __future__ import annotations

import re
from pathlib import Path
from typing import List

ROOT = Path(__file__).resolve().parents[2]
IMPORT = re.compile(r"^\s*(?:from|import)\s+([\w.]+)", re.M)


def imports(path: Path) -> List[str]:
    return [name.split(".")[0] for name in IMPORT.findall(path.read_text(encoding="utf-8"))]


def test_nothing_in_src_ui_imports_nuke() -> None:
    for path in (ROOT / "src" / "ui").rglob("*.py"):
        assert "nuke" not in imports(path), path


def test_nothing_in_the_core_imports_qt() -> None:
    for path in (ROOT / "nuke_ai_panel").rglob("*.py"):
        found = set(imports(path)) & {"Qt", "PySide2", "PySide6", "PyQt5", "PyQt6"}
        assert not found, (path, found)


def test_markdown_and_status_are_pure() -> None:
    for name in ("markdown.py", "status.py"):
        found = set(imports(ROOT / "src" / "ui" / name)) & {"Qt", "PySide2", "PySide6"}
        assert not found, name
