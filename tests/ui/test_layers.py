"""The layering rules: no `nuke` in the Qt layer, no Qt in the core, pure modules stay pure.

Imports are read from the syntax tree: ``import x`` and ``from x import y`` anywhere in a
module (inside functions too), and ``importlib.import_module("x")`` / ``__import__("x")``
with a literal name.
"""

from __future__ import annotations

import ast
from pathlib import Path
from typing import List

ROOT = Path(__file__).resolve().parents[2]
NUKE = {"nuke", "nukescripts"}
QT = {"Qt", "PySide2", "PySide6", "PyQt5", "PyQt6", "shiboken2", "shiboken6"}
DYNAMIC = {"import_module", "__import__"}


def imports(path: Path) -> List[str]:
    """The top-level package of every module ``path`` imports, statically or by name."""
    found: List[str] = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"), str(path))):
        if isinstance(node, ast.Import):
            found.extend(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
            found.append(node.module)
        elif isinstance(node, ast.Call) and node.args:
            func = node.func
            name = func.attr if isinstance(func, ast.Attribute) else getattr(func, "id", "")
            first = node.args[0]
            if name in DYNAMIC and isinstance(first, ast.Constant) and \
                    isinstance(first.value, str):
                found.append(first.value)
    return [name.split(".")[0] for name in found]


def test_the_import_reader_sees_every_form(tmp_path: Path) -> None:
    sample = tmp_path / "sample.py"
    sample.write_text(
        "import os\n"
        "def f():\n"
        "    import nuke\n"
        "    from nukescripts import panels\n"
        "    importlib.import_module('nuke')\n"
        "    m = __import__(\"PySide2.QtCore\")\n"
        "    import_module('Qt')\n"
        "from . import sibling\n", encoding="utf-8")
    assert imports(sample) == ["os", "nuke", "nukescripts", "nuke", "PySide2", "Qt"]


def test_nothing_in_src_ui_imports_nuke() -> None:
    for path in (ROOT / "src" / "ui").rglob("*.py"):
        assert not NUKE & set(imports(path)), path


def test_nothing_in_the_core_imports_qt() -> None:
    for path in (ROOT / "nuke_ai_panel").rglob("*.py"):
        found = set(imports(path)) & QT
        assert not found, (path, found)


def test_the_session_imports_neither_qt_nor_nuke_nor_the_ui() -> None:
    for path in (ROOT / "nuke_ai_panel" / "session").rglob("*.py"):
        found = set(imports(path)) & (QT | NUKE | {"src"})
        assert not found, (path, found)


def test_markdown_and_status_are_pure() -> None:
    for name in ("markdown.py", "status.py"):
        assert not set(imports(ROOT / "src" / "ui" / name)) & QT, name


def test_the_qt_layer_reads_no_keys_or_urls_from_the_environment() -> None:
    """Which key and URL a call uses is decided by Config.resolve alone (and secrets)."""
    allowed = {"nuke_integration.py"}  # NUKE_AI_PANEL_DEPS: where init.py finds the deps
    for path in (ROOT / "src" / "ui").rglob("*.py"):
        if path.name in allowed:
            continue
        text = path.read_text(encoding="utf-8")
        assert "os.environ" not in text and "getenv" not in text, path
