"""Fixtures for agent mode in the panel: an Ollama protocol server that knows the scripted
agent models, and a shown ChatPanel (or the standalone app) on the example comp, its
config in agent (or ask) mode.

A Qt test directory: the py39 leg (no Qt binding) ignores it, as scripts/test.sh lists.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any, Callable, Dict, Iterator, List, Optional

import pytest

from nuke_ai_panel.graph.script_host import ScriptHost
from tests.protocol_servers import ProtocolServer
from tests.ui import panel_helpers
from tests.ui.panel_helpers import show_panel, shut_down_panels

TESTS = Path(__file__).resolve().parents[1]
if str(TESTS) not in sys.path:
    sys.path.insert(0, str(TESTS))

EXAMPLE = TESTS.parent / "nuke_ai_panel" / "graph" / "examples" / "greenscreen_comp.nk"
WAIT_MS = 15_000
MODELS = ["agent-comp-edits", "agent-comp-edits:all", "agent-comp-edits:ask",
          "agent-comp-edits:stop", "agent-comp-edits:nuke", "agent-comp-edits:py", "no-tools-q",
          "http-400-tools", "echo", "agent-comp-edits:image"]


def write_config(base_url: str, agent: Optional[Dict[str, Any]] = None, **app: Any) -> Path:
    """config.json: only Ollama, at ``base_url``, no retries; ``agent`` settings."""
    return panel_helpers.write_config("ollama", base_url, max_retries=0,
                                      app={**app, "agent": agent} if agent else app)


def write_studio(tmp_path: Path, monkeypatch: Any, defaults: Dict[str, Any],
                 locked: List[str]) -> Path:
    path = tmp_path / "studio.json"
    path.write_text(json.dumps({"version": 1, "lock_note": "Managed by Pipeline.",
                                "defaults": defaults, "locked": locked}), encoding="utf-8")
    monkeypatch.setenv("NUKE_AI_PANEL_STUDIO_CONFIG", str(path))
    return path


def example_host() -> ScriptHost:
    host = ScriptHost.from_file(str(EXAMPLE))
    host.select([])
    return host


@pytest.fixture(scope="module")
def agent_server() -> Iterator[ProtocolServer]:
    with ProtocolServer("ollama", models=MODELS) as server:
        yield server


@pytest.fixture
def make_panel(qtbot: Any, private_worker: Any, agent_server: ProtocolServer
               ) -> Iterator[Callable[..., Any]]:
    """``make(model, mode="agent", host=None, **config)``: a shown ChatPanel on ``host``
    (the example comp by default) with ``model`` picked. Turns still in flight are stopped
    afterwards."""
    from src.ui.chat_panel import ChatPanel

    made: List[Any] = []

    def make(model: str, mode: str = "agent", host: Any = None,
             agent: Optional[Dict[str, Any]] = None, **app: Any) -> Any:
        write_config(agent_server.base_url, {"panel_mode": mode, **(agent or {})}, **app)
        panel = show_panel(qtbot, ChatPanel(worker=private_worker, host=host or example_host()),
                           700, 900)
        qtbot.waitUntil(lambda: panel.model_combo.count() > 0, timeout=WAIT_MS)
        panel.set_model(model)
        made.append(panel)
        return panel

    yield make
    shut_down_panels(qtbot, made, WAIT_MS)


def send(panel: Any, text: str = "Soften the comp") -> Any:
    """Type ``text`` and send it as the artist does; the turn started."""
    panel.prompt.setPlainText(text)
    assert panel.send(), panel.status_text()
    turn = panel.session.turn
    assert turn is not None
    return turn
