"""Fixtures for the agent tool tests: the example comp on both hosts.

``backend`` runs each test twice: on the in-memory ``ScriptHost``, and on ``NukeHost``
over the ``nuke`` stand-in (tests/fake_nuke), with every registry call made from a worker
thread the way the agent loop will (NukeHost marshals it to the main thread).
"""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent))

from agent_hosts import EXAMPLE, SMALL_COMP, Backend, make_backend  # noqa: E402

from nuke_ai_panel.graph.script_host import ScriptHost  # noqa: E402

__all__ = ["Backend"]


@pytest.fixture(params=["script", "nuke"])
def backend(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> Backend:
    """The example comp on ScriptHost, then on NukeHost over the fake ``nuke``."""
    return make_backend(request.param, EXAMPLE.read_text(encoding="utf-8"), monkeypatch)


@pytest.fixture(params=["script", "nuke"])
def small(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> Backend:
    """Read1 -> Grade1 -> Write1 on both hosts."""
    return make_backend(request.param, SMALL_COMP, monkeypatch)


@pytest.fixture
def comp() -> ScriptHost:
    host = ScriptHost.from_file(str(EXAMPLE))
    host.select([])
    return host
