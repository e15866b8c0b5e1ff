"""Render icons/nuke_ai_panel.svg to the PNGs Nuke's menus use (16, 24 and 32 px).

Nuke's menus and toolbars take a PNG file path, so the PNGs are committed; run this again after
editing the SVG:  python scripts/render_icons.py  (needs Qt.py and PySide6 or PySide2 with QtSvg).
"""

from __future__ import annotations

import os
import sys
from pathlib import Path
from typing import List

ICONS = Path(__file__).resolve().parents[1] / "icons"
SOURCE = ICONS / "nuke_ai_panel.svg"
SIZES = (16, 24, 32)


def render(source: Path = SOURCE, out_dir: Path = ICONS) -> List[Path]:
    """Write ``nuke_ai_panel_<size>.png`` for each size; returns the files written."""
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    from Qt import QtCore, QtGui, QtSvg

    _app = QtGui.QGuiApplication.instance() or QtGui.QGuiApplication(sys.argv[:1])
    renderer = QtSvg.QSvgRenderer(str(source))
    if not renderer.isValid():
        raise SystemExit(f"render_icons: {source} is not a valid SVG")
    written = []
    for size in SIZES:
        image = QtGui.QImage(size, size, QtGui.QImage.Format_ARGB32_Premultiplied)
        image.fill(QtCore.Qt.transparent)
        painter = QtGui.QPainter(image)
        painter.setRenderHint(QtGui.QPainter.Antialiasing)
        renderer.render(painter, QtCore.QRectF(0, 0, size, size))
        painter.end()
        path = out_dir / f"nuke_ai_panel_{size}.png"
        if not image.save(str(path), "PNG"):
            raise SystemExit(f"render_icons: could not write {path}")
        written.append(path)
    return written


if __name__ == "__main__":
    for written_path in render():
        print(written_path)
