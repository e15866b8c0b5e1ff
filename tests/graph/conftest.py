"""Fixtures for the node-graph tests: a fake ``nuke`` per test, importable helpers."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

_HERE = Path(__file__).resolve().parent
for entry in (str(_HERE.parents[1]), str(_HERE.parent), str(_HERE)):
    if entry not in sys.path:
        sys.path.insert(0, entry)


@pytest.fixture
def fake_nuke(monkeypatch):
    """A fresh fake ``nuke``/``nukescripts`` (holding the example comp) in ``sys.modules``."""
    from fake_nuke import install
    from nk_data import read

    return install(monkeypatch, read("greenscreen_comp.nk"))
