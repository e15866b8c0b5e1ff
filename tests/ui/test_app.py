"""``python -m src.ui.app``: the standalone window."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path
from typing import Any, List

import pytest

pytest.importorskip("Qt", reason="needs a Qt binding (PySide6 or PySide2)")


from nuke_ai_panel.worker import Worker  # noqa: E402
from src.ui import app  # noqa: E402
from tests.protocol_servers import ProtocolServer  # noqa: E402
from tests.ui.panel_helpers import WAIT_MS, closed_port_url, write_config  # noqa: E402

pytestmark = pytest.mark.qt


def test_opens_with_no_provider_reachable_and_says_how_to_start_ollama(
        qtbot: Any, panel_worker: Worker) -> None:
    write_config("ollama", closed_port_url())
    window, panel = app.build(app.parse_args([]), panel_worker)
    qtbot.addWidget(window)
    window.show()
    qtbot.waitExposed(window)
    assert window.centralWidget() is panel
    qtbot.waitUntil(lambda: panel.errors.isVisible(), timeout=WAIT_MS)
    assert "`ollama serve`" in panel.errors.hint
    assert "`ollama pull llama3.2`" in panel.errors.hint
    assert "add an API key" in panel.errors.hint
    assert panel.errors.settings_button.isVisible()
    assert panel.settings_button.isEnabled()
    window.close()


def test_command_line_overrides(qtbot: Any, panel_worker: Worker,
                                ollama_server: ProtocolServer) -> None:
    write_config("ollama", closed_port_url())
    args = app.parse_args(["--provider", "ollama", "--model", "echo",
                           "--base-url", ollama_server.base_url])
    window, panel = app.build(args, panel_worker)
    qtbot.addWidget(window)
    qtbot.waitUntil(lambda: "ollama" in panel.picker.models, timeout=WAIT_MS)
    assert panel.current_model() == "echo" and not panel.errors.isVisible()
    panel.prompt.setPlainText("hi")
    assert panel.send()
    qtbot.waitUntil(lambda: not panel.streaming, timeout=WAIT_MS)
    assert panel.conversation.messages[-1].text == "Echo: hi"


def test_main_runs_and_shuts_the_worker_down(qtbot: Any, panel_worker: Worker,
                                             monkeypatch: pytest.MonkeyPatch) -> None:
    write_config("ollama", closed_port_url())
    monkeypatch.setattr(app, "get_worker", lambda: panel_worker)
    seen: List[Any] = []

    def event_loop(application: Any) -> int:
        """Stands in for exec(): a real exec()/quit() leaves Qt 5 unusable for later tests."""
        seen.extend(w for w in application.topLevelWidgets()
                    if isinstance(w, app.MainWindow) and w.isVisible())
        for window in seen:
            qtbot.addWidget(window)
            window.close()
        return 0

    monkeypatch.setattr(app, "run_event_loop", event_loop)
    assert app.main([]) == 0
    assert len(seen) == 1 and seen[0].windowTitle() == "Nuke AI Panel \u2014 greenscreen_comp.nk"
    assert not panel_worker.running


def test_help_runs_as_a_module() -> None:
    root = Path(__file__).resolve().parents[2]
    result = subprocess.run([sys.executable, "-m", "src.ui.app", "--help"], cwd=root,
                            capture_output=True, text=True, timeout=60)
    assert result.returncode == 0
    assert "--provider" in result.stdout and "--base-url" in result.stdout
