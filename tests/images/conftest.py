"""Fixtures for the image tests: the tests folder on sys.path (for ``fake_nuke.tiff``), and
images made with Pillow."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

_TESTS = Path(__file__).resolve().parents[1]
for _entry in (str(_TESTS), str(_TESTS / "images")):
    if _entry not in sys.path:
        sys.path.insert(0, _entry)


@pytest.fixture
def photo():
    """A 4000x3000 photo-like (noisy) RGB image."""
    from PIL import Image

    return Image.effect_noise((4000, 3000), 60).convert("RGB")
