"""The agent package imports neither Qt nor ``nuke`` (DESIGN section 1), and the graph
layer still imports nothing above it."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
MODULES = ("agent", "agent.schema", "agent.specs", "agent.results", "graph.class_facts",
           "agent.proposals", "agent.read_tools", "agent.write_tools", "agent.apply",
           "agent.registry")


def test_agent_modules_import_no_qt_and_no_nuke():
    code = (
        "import sys\n"
        + "".join(f"import nuke_ai_panel.{m}\n" for m in MODULES)
        + "bad = sorted(m for m in sys.modules if m.split('.')[0] in "
        "('nuke', 'nukescripts', 'PySide2', 'PySide6', 'Qt', 'PyQt5', 'shiboken2', 'shiboken6'))\n"
        "above = sorted(m for m in sys.modules if m.startswith(('nuke_ai_panel.session', "
        "'nuke_ai_panel.cli', 'nuke_ai_panel.worker', 'nuke_ai_panel.client')))\n"
        "print(','.join(bad + above))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], cwd=str(ROOT), capture_output=True, text=True,
                         timeout=60)
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == ""
