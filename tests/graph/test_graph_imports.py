"""The graph layer must import neither Qt nor ``nuke`` (DESIGN section 1)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
MODULES = (
    "nk_lexer", "nk_body", "nk_reader", "nk_source", "nk_blocks", "nk_extract", "nk_names", "nk_pieces", "nk_model", "nk_root", "nk_values",
    "nk_writer", "nkscript", "host", "dialogs",
    "script_host", "nuke_facade", "nuke_host", "risk", "context", "snippets",
)


def test_graph_modules_import_no_qt_and_no_nuke():
    code = (
        "import sys\n"
        + "".join(f"import nuke_ai_panel.graph.{m}\n" for m in MODULES)
        + "bad = sorted(m for m in sys.modules if m.split('.')[0] in "
        "('nuke', 'nukescripts', 'PySide2', 'PySide6', 'Qt', 'PyQt5', 'shiboken2', 'shiboken6'))\n"
        "print(','.join(bad))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], cwd=str(ROOT), capture_output=True, text=True, timeout=60)
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == ""
