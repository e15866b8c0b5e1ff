"""Helpers for the image tests."""

from __future__ import annotations

import io


def encode(image, fmt: str, **options) -> bytes:
    """``image`` saved in ``fmt`` (Pillow format name), as file bytes."""
    out = io.BytesIO()
    image.save(out, fmt, **options)
    return out.getvalue()
