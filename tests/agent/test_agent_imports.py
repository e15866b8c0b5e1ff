"""The agent package imports neither Qt nor ``nuke`` (DESIGN section 1), nor the session,
the command line or the network layer; its modules are found by globbing the folder."""

from __future__ import annotations

from tests.graph.test_graph_imports import (FORBIDDEN_ROOTS, PACKAGE, loaded_after_importing,
                                            modules_under)

ABOVE_AGENT = tuple(f"nuke_ai_panel.{name}" for name in ("session", "cli", "worker", "client"))


def test_agent_modules_import_no_qt_and_no_nuke():
    modules = modules_under(PACKAGE / "agent")
    assert "nuke_ai_panel.agent.registry" in modules
    loaded = loaded_after_importing(modules)
    bad = [m for m in loaded if m.split(".")[0] in FORBIDDEN_ROOTS or m.startswith(ABOVE_AGENT)]
    assert bad == []
