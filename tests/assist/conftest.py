"""Fixtures for the helper tests: the example comp as an in-memory host, and a fake ``nuke``."""

from __future__ import annotations

from pathlib import Path
from typing import Any, Tuple

import pytest

from nuke_ai_panel.graph.script_host import ScriptHost

ROOT = Path(__file__).resolve().parents[2]
EXAMPLE = ROOT / "nuke_ai_panel" / "graph" / "examples" / "greenscreen_comp.nk"
NK_DATA = ROOT / "tests" / "data" / "nk"


@pytest.fixture
def comp() -> ScriptHost:
    """The green-screen example comp, nothing selected."""
    host = ScriptHost.from_file(str(EXAMPLE))
    host.select([])
    return host


@pytest.fixture
def fake_nuke_comp(monkeypatch: pytest.MonkeyPatch) -> Tuple[Any, Any]:
    """A fresh fake ``nuke`` (tests/fake_nuke) holding the example comp, in sys.modules."""
    from tests.fake_nuke import install

    return install(monkeypatch, EXAMPLE.read_text(encoding="utf-8"))
