"""The graph layer imports neither Qt nor ``nuke`` (DESIGN section 1), nor anything above it.

Every module under ``nuke_ai_panel/graph/`` is found by globbing the folder, so a new module
is checked without being listed here. The static import graph (no circles, no upward arrow)
is checked in ``tests/core/test_import_graph.py``.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path
from typing import List

ROOT = Path(__file__).resolve().parents[2]
PACKAGE = ROOT / "nuke_ai_panel"
FORBIDDEN_ROOTS = ("nuke", "nukescripts", "PySide2", "PySide6", "Qt", "PyQt5", "shiboken2",
                   "shiboken6")
ABOVE_GRAPH = tuple(f"nuke_ai_panel.{name}" for name in (
    "cli", "assist", "config", "session", "agent", "worker", "client"))


def modules_under(folder: Path) -> List[str]:
    """Dotted names of every module and package below ``folder`` (inside ``PACKAGE``)."""
    names = []
    for path in sorted(folder.rglob("*.py")):
        parts = path.relative_to(ROOT).with_suffix("").parts
        names.append(".".join(parts[:-1] if parts[-1] == "__init__" else parts))
    return names


def loaded_after_importing(modules: List[str]) -> List[str]:
    """Import ``modules`` in a fresh interpreter; every module loaded then."""
    code = "import sys\n" + "".join(f"import {m}\n" for m in modules) + \
        "print(','.join(sorted(sys.modules)))\n"
    out = subprocess.run([sys.executable, "-c", code], cwd=str(ROOT), capture_output=True,
                         text=True, timeout=60)
    assert out.returncode == 0, out.stderr
    return out.stdout.strip().split(",")


def test_every_graph_module_is_found() -> None:
    found = modules_under(PACKAGE / "graph")
    assert "nuke_ai_panel.graph.nkscript" in found and "nuke_ai_panel.graph.risk.tcl" in found
    assert len(found) > 25


def test_graph_modules_import_no_qt_no_nuke_and_nothing_above() -> None:
    loaded = loaded_after_importing(modules_under(PACKAGE / "graph"))
    bad = [m for m in loaded if m.split(".")[0] in FORBIDDEN_ROOTS or m.startswith(ABOVE_GRAPH)]
    assert bad == []
