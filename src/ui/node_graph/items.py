"""The node graph's drawn items: a tile per node (node, Dot, backdrop, sticky note) and a wire
per connected input, each built once from a :mod:`nuke_ai_panel.graph.dag_layout` record.

Everything a paint needs (rectangles, elided text, arrow paths, colours) is computed when the
item is made, so painting is a few fills and text draws per visible item, whatever the size of
the script. Text is skipped when zoomed far out. A "ghost" item is part of a proposal that is
not in the comp yet: translucent, dashed, not selectable.
"""

from __future__ import annotations

import math
from typing import Any, Dict, List, Optional, Tuple

from Qt import QtCore, QtGui, QtWidgets

from nuke_ai_panel.graph.dag_layout import BACKDROP, DOT, STICKY, Tile, Wire
from nuke_ai_panel.graph.node_colours import rgb

__all__ = ["TileItem", "WireItem", "OverviewItem", "SELECTED_COLOUR", "GHOST_ALPHA",
           "DETAIL_LOD"]

SELECTED_COLOUR = "#f7931e"
WIRE_COLOUR = "#a0a0a0"
MASK_WIRE_COLOUR = "#c8c8c8"
GHOST_ALPHA = 110
TEXT_LOD = 0.35
"""Below this zoom (pixels per DAG unit) names are not drawn: they would be unreadable."""
DETAIL_LOD = 0.5
"""Below this zoom the level is drawn by one :class:`OverviewItem` (plain fills and lines, no
text, no arrow heads), so a comp of thousands of nodes stays quick to draw when all in view."""
ARROW = 7.0
Z_BACKDROP, Z_STICKY, Z_WIRE, Z_NODE, Z_GHOST = -20.0, -10.0, 0.0, 1.0, 2.0


def _fonts() -> Tuple[QtGui.QFont, QtGui.QFont]:
    if not hasattr(_fonts, "cache"):
        title = QtGui.QFont(QtWidgets.QApplication.font())
        title.setPixelSize(11)
        small = QtGui.QFont(title)
        small.setPixelSize(9)
        _fonts.cache = (title, small)  # type: ignore[attr-defined]
    return _fonts.cache  # type: ignore[attr-defined]


def _qcolour(colour: int, alpha: Optional[int] = None) -> QtGui.QColor:
    r, g, b = rgb(colour)
    return QtGui.QColor(r, g, b, 255 if alpha is None else alpha)


def _ink(colour: int) -> QtGui.QColor:
    """Black text on light tiles, white on dark ones (Rec. 709 luma)."""
    r, g, b = rgb(colour)
    return QtGui.QColor("#111111") if 0.2126 * r + 0.7152 * g + 0.0722 * b > 120 else \
        QtGui.QColor("#f0f0f0")


def _lod(painter: QtGui.QPainter) -> float:
    return QtWidgets.QStyleOptionGraphicsItem.levelOfDetailFromTransform(painter.worldTransform())


class TileItem(QtWidgets.QGraphicsItem):
    """One node at its DAG position; ``name`` is its full name."""

    def __init__(self, tile: Tile, ghost: bool = False) -> None:
        super().__init__()
        self.tile = tile
        self.name = tile.name
        self.ghost = ghost
        self.setPos(tile.x, tile.y)
        self._rect = QtCore.QRectF(0, 0, tile.width, tile.height)
        selectable = not ghost
        self.setFlag(QtWidgets.QGraphicsItem.ItemIsSelectable, selectable)
        self.setZValue(Z_GHOST if ghost else {BACKDROP: Z_BACKDROP, STICKY: Z_STICKY}.get(
            tile.kind, Z_NODE))
        what = "proposed, not in the comp yet" if ghost else tile.node_class
        self.setToolTip(f"{tile.name} ({what})" if tile.kind != STICKY else tile.label)
        alpha = GHOST_ALPHA if ghost else (150 if tile.kind == BACKDROP else None)
        self._fill = _qcolour(tile.colour, alpha)
        self._ink = _ink(tile.colour)
        self._title, self._subtitle = self._texts()

    def _texts(self) -> Tuple[str, str]:
        title_font, small_font = _fonts()
        tile = self.tile
        width = int(tile.width) - 6
        if tile.kind in (BACKDROP, STICKY):
            return tile.label or (tile.short if tile.kind == BACKDROP else ""), ""
        if tile.kind == DOT:
            return "", ""
        title = QtGui.QFontMetrics(title_font).elidedText(tile.short, QtCore.Qt.ElideRight, width)
        subtitle = QtGui.QFontMetrics(small_font).elidedText(tile.label, QtCore.Qt.ElideRight, width)
        return title, subtitle

    def boundingRect(self) -> QtCore.QRectF:
        return self._rect.adjusted(-2, -2, 2, 2)

    def shape(self) -> QtGui.QPainterPath:
        path = QtGui.QPainterPath()
        if self.tile.kind == DOT:
            path.addEllipse(self._rect)
        elif self.tile.kind == BACKDROP:
            path.addRect(QtCore.QRectF(0, 0, self._rect.width(), min(self._rect.height(), 28.0)))
        else:
            path.addRect(self._rect)
        return path

    def paint(self, painter: QtGui.QPainter, option: Any, widget: Any = None) -> None:
        kind = self.tile.kind
        selected = self.isSelected()
        lod = _lod(painter)
        outline = QtGui.QPen(QtGui.QColor(SELECTED_COLOUR if selected else "#111111"),
                             2.0 if selected else 1.0)
        if self.ghost:
            outline = QtGui.QPen(QtGui.QColor("#f0f0f0"), 1.5, QtCore.Qt.DashLine)
        outline.setCosmetic(True)
        painter.setPen(outline)
        painter.setBrush(self._fill)
        if kind == DOT:
            painter.drawEllipse(self._rect)
            return
        if kind == BACKDROP:
            self._paint_backdrop(painter, outline)
            return
        painter.drawRect(self._rect)
        if self.tile.disabled:
            painter.setPen(QtGui.QPen(QtGui.QColor("#c03030"), 1.5))
            painter.drawLine(self._rect.topLeft(), self._rect.bottomRight())
        if lod < TEXT_LOD:
            return
        title_font, small_font = _fonts()
        painter.setPen(self._ink)
        if kind == STICKY:
            painter.setFont(title_font)
            painter.drawText(self._rect.adjusted(5, 3, -5, -3),
                             int(QtCore.Qt.AlignLeft | QtCore.Qt.AlignTop), self._title)
            return
        painter.setFont(title_font)
        top = QtCore.QRectF(0, 0, self._rect.width(), 18.0)
        painter.drawText(top, int(QtCore.Qt.AlignCenter), self._title)
        if self._subtitle:
            painter.setFont(small_font)
            painter.drawText(QtCore.QRectF(0, 15.0, self._rect.width(), 13.0),
                             int(QtCore.Qt.AlignCenter), self._subtitle)

    def _paint_backdrop(self, painter: QtGui.QPainter, outline: QtGui.QPen) -> None:
        painter.drawRect(self._rect)
        if _lod(painter) < TEXT_LOD / 4:
            return
        font = QtGui.QFont(_fonts()[0])
        font.setPixelSize(int(min(max(self.tile.font_size, 11.0), 48.0)))
        painter.setFont(font)
        painter.setPen(self._ink)
        painter.drawText(self._rect.adjusted(6, 4, -6, -4),
                         int(QtCore.Qt.AlignLeft | QtCore.Qt.AlignTop | QtCore.Qt.TextWordWrap),
                         self._title)


class WireItem(QtWidgets.QGraphicsItem):
    """An input arrow from ``wire.start`` to ``wire.end`` with its input's name (B, A, mask...)
    near the head; a mask wire and a wire from outside the level are dashed."""

    def __init__(self, wire: Wire, ghost: bool = False) -> None:
        super().__init__()
        self.wire = wire
        self.ghost = ghost
        self.setZValue(Z_GHOST if ghost else Z_WIRE)
        start = QtCore.QPointF(*wire.start)
        end = QtCore.QPointF(*wire.end)
        self._line = QtCore.QLineF(start, end)
        self._head = self._arrow_head(start, end)
        text = wire.label
        if wire.source is None and wire.external:
            text = f"{wire.external} ({wire.label})" if wire.label else wire.external
            self.setToolTip(f"input {wire.index} from {wire.external}, outside this group")
        self._text = text
        self._text_at = self._label_point(start, end)
        colour = MASK_WIRE_COLOUR if wire.mask else WIRE_COLOUR
        dashed = ghost or wire.mask or wire.source is None
        self._pen = QtGui.QPen(QtGui.QColor("#f0f0f0" if ghost else colour), 1.2,
                               QtCore.Qt.DashLine if dashed else QtCore.Qt.SolidLine)
        self._pen.setCosmetic(True)
        box = QtCore.QRectF(start, end).normalized().united(self._head.boundingRect())
        self._bounds = box.adjusted(-4, -4, 4, 4).united(
            QtCore.QRectF(self._text_at.x() - 2, self._text_at.y() - 12,
                          8.0 * len(self._text) + 4, 16))

    @staticmethod
    def _arrow_head(start: QtCore.QPointF, end: QtCore.QPointF) -> QtGui.QPolygonF:
        angle = math.atan2(end.y() - start.y(), end.x() - start.x())
        left = QtCore.QPointF(end.x() - ARROW * math.cos(angle - 0.4),
                              end.y() - ARROW * math.sin(angle - 0.4))
        right = QtCore.QPointF(end.x() - ARROW * math.cos(angle + 0.4),
                               end.y() - ARROW * math.sin(angle + 0.4))
        return QtGui.QPolygonF([end, left, right])

    @staticmethod
    def _label_point(start: QtCore.QPointF, end: QtCore.QPointF) -> QtCore.QPointF:
        """A little way back from the head, off to the side of the line."""
        length = max(1.0, math.hypot(end.x() - start.x(), end.y() - start.y()))
        back = min(22.0, length / 2)
        ux, uy = (end.x() - start.x()) / length, (end.y() - start.y()) / length
        return QtCore.QPointF(end.x() - ux * back + 4, end.y() - uy * back)

    def boundingRect(self) -> QtCore.QRectF:
        return self._bounds

    def paint(self, painter: QtGui.QPainter, option: Any, widget: Any = None) -> None:
        lod = _lod(painter)
        painter.setPen(self._pen)
        painter.drawLine(self._line)
        painter.setBrush(self._pen.color())
        solid = QtGui.QPen(self._pen.color(), 1.0)
        solid.setCosmetic(True)
        painter.setPen(solid)
        painter.drawPolygon(self._head)
        if self._text and lod >= TEXT_LOD:
            painter.setFont(_fonts()[1])
            painter.drawText(self._text_at, self._text)


class OverviewItem(QtWidgets.QGraphicsItem):
    """The whole level's nodes and wires in a handful of draw calls, for zoomed-out views.

    Below :data:`DETAIL_LOD` the view turns the per-node items' painting off (they stay
    selectable) and shows this instead: one rectangle batch per tile colour, one line batch
    for the wires, and an outline per selected tile. Backdrops, sticky notes and ghosts keep
    their own items."""

    def __init__(self, tiles: List[TileItem], wires: List[WireItem]) -> None:
        super().__init__()
        self.setZValue(Z_WIRE)
        self._tiles = tiles
        by_colour: Dict[int, List[QtCore.QRectF]] = {}
        bounds = QtCore.QRectF()
        for item in tiles:
            rect = item.sceneBoundingRect().adjusted(2, 2, -2, -2)
            by_colour.setdefault(item.tile.colour, []).append(rect)
            bounds = bounds.united(rect)
        self._fills = [(_qcolour(colour), rects) for colour, rects in by_colour.items()]
        self._lines = [item._line for item in wires]
        for line in self._lines:
            bounds = bounds.united(QtCore.QRectF(line.p1(), line.p2()).normalized())
        self._bounds = bounds.adjusted(-4, -4, 4, 4)
        self._wire_pen = QtGui.QPen(QtGui.QColor(WIRE_COLOUR), 1.0)
        self._wire_pen.setCosmetic(True)
        self._selected_pen = QtGui.QPen(QtGui.QColor(SELECTED_COLOUR), 2.0)
        self._selected_pen.setCosmetic(True)

    def boundingRect(self) -> QtCore.QRectF:
        return self._bounds

    def paint(self, painter: QtGui.QPainter, option: Any, widget: Any = None) -> None:
        painter.setRenderHint(QtGui.QPainter.Antialiasing, False)
        painter.setPen(self._wire_pen)
        painter.drawLines(self._lines)
        painter.setPen(QtCore.Qt.NoPen)
        for colour, rects in self._fills:
            painter.setBrush(colour)
            painter.drawRects(rects)
        scene = self.scene()
        chosen = [t.sceneBoundingRect() for t in (scene.selectedItems() if scene else [])
                  if isinstance(t, TileItem) and not t.ghost]
        if chosen:
            painter.setPen(self._selected_pen)
            painter.setBrush(QtCore.Qt.NoBrush)
            painter.drawRects(chosen)
