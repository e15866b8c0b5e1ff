"""``NodeGraphView``: the comp as Nuke's Node Graph draws it, one group level at a time.

Bound to a host with a ``script`` (the standalone app's :class:`ScriptHost`): it draws the
level from :func:`~nuke_ai_panel.graph.dag_layout.build_level`, pushes the selection made by
click, Shift+click or rubber band to ``host.select``, enters a group on double-click, and draws
a proposed paste as ghost tiles (:meth:`show_proposal`) until it is applied or rejected.
Navigation as in Nuke: wheel zooms under the mouse, middle-drag or Alt+drag pans, F frames
everything, Backspace goes back up to the enclosing group.
"""

from __future__ import annotations

from typing import Any, Dict, List, Optional

from Qt import QtCore, QtGui, QtWidgets

from nuke_ai_panel.graph.dag_layout import DOT, NODE, DagLevel, build_level
from nuke_ai_panel.graph.dag_proposal import proposal_level
from nuke_ai_panel.graph.host import HostError
from nuke_ai_panel.graph.nk_lexer import NkParseError
from nuke_ai_panel.graph.nk_model import parent_of

from .items import DETAIL_LOD, OverviewItem, TileItem, WireItem

__all__ = ["NodeGraphView", "BACKGROUND"]

BACKGROUND = "#323232"
"""Nuke's default Node Graph background (Preferences ``DAGBackColor`` 0x32323200)."""
MIN_SCALE, MAX_SCALE, FRAME_MAX_SCALE = 0.03, 4.0, 1.5
SCENE_MARGIN = 50_000.0
"""Room around the graph so it can be panned past its edges, as in Nuke."""


def _point(event: Any) -> QtCore.QPoint:
    """A mouse event's position in the viewport (``position()`` in Qt 6, ``pos()`` in Qt 5)."""
    position = getattr(event, "position", None)
    return position().toPoint() if position is not None else event.pos()


class NodeGraphView(QtWidgets.QGraphicsView):
    """The node graph of ``host`` (anything with ``script`` and ``select(names)``).

    Signals: ``levelChanged(group full name or None)``, ``currentNodeChanged(full name or "")``
    (the node whose knobs to show: the one last clicked among the selected).
    """

    levelChanged = QtCore.Signal(object)
    currentNodeChanged = QtCore.Signal(str)

    def __init__(self, host: Any = None, parent: Optional[QtWidgets.QWidget] = None) -> None:
        super().__init__(parent)
        self.setObjectName("nodeGraphView")
        self.setScene(QtWidgets.QGraphicsScene(self))
        self.setRenderHints(QtGui.QPainter.Antialiasing | QtGui.QPainter.TextAntialiasing)
        self.setDragMode(QtWidgets.QGraphicsView.RubberBandDrag)
        self.setRubberBandSelectionMode(QtCore.Qt.IntersectsItemShape)
        self.setTransformationAnchor(QtWidgets.QGraphicsView.AnchorUnderMouse)
        self.setResizeAnchor(QtWidgets.QGraphicsView.AnchorViewCenter)
        self.setHorizontalScrollBarPolicy(QtCore.Qt.ScrollBarAlwaysOff)
        self.setVerticalScrollBarPolicy(QtCore.Qt.ScrollBarAlwaysOff)
        self.setBackgroundBrush(QtGui.QColor(BACKGROUND))
        self.setFocusPolicy(QtCore.Qt.StrongFocus)
        self.setToolTip("")
        self._host = host
        self._parent: Optional[str] = None
        self.level: Optional[DagLevel] = None
        self.proposal: Optional[DagLevel] = None
        self._proposal_args: Optional[tuple] = None
        self._tiles: Dict[str, TileItem] = {}
        self._wires: List[WireItem] = []
        self._ghosts: List[QtWidgets.QGraphicsItem] = []
        self._overview: Optional[OverviewItem] = None
        self._detailed = True
        self._syncing = False
        self._current = ""
        self._pressed = ""
        self._pan_from: Optional[QtCore.QPoint] = None
        self.scene().selectionChanged.connect(self._selection_changed)
        if host is not None:
            self.refresh(frame=True)

    # -- the host and the level shown --------------------------------------------------------

    @property
    def host(self) -> Any:
        return self._host

    @property
    def group(self) -> Optional[str]:
        """The group whose members are shown (full name), None at the root."""
        return self._parent

    def set_host(self, host: Any) -> None:
        """Show another comp (a script opened or created), from its root, framed."""
        self._host = host
        self._parent = None
        self._proposal_args = None
        self.refresh(frame=True)
        self.levelChanged.emit(None)

    def refresh(self, frame: bool = False) -> None:
        """Draw the current level again from the host: after an Apply, an undo, a redo. The
        zoom and pan stay; a group that no longer exists falls back to the root."""
        if self._host is None:
            return
        script = self._host.script
        if self._parent is not None:
            node = script.node(self._parent)
            if node is None or not node.is_group:
                self._parent = None
                self.levelChanged.emit(None)
        self._show(build_level(script, self._parent), frame)

    def enter_group(self, name: str) -> bool:
        """Show the members of group ``name`` (full name); False when it is not a group."""
        node = self._host.script.node(name) if self._host is not None else None
        if node is None or not node.is_group:
            return False
        self._go(name)
        return True

    def go_up(self) -> bool:
        """Back to the enclosing group (or the root); False at the root already."""
        if self._parent is None:
            return False
        self._go(parent_of(self._parent))
        return True

    def go_to(self, group: Optional[str]) -> None:
        """Show ``group`` (None: the root), as a breadcrumb click does."""
        if group is None or not self.enter_group(group):
            self._go(None)

    def _go(self, group: Optional[str]) -> None:
        self._parent = group
        self.refresh(frame=True)
        self.levelChanged.emit(group)

    def _show(self, level: DagLevel, frame: bool) -> None:
        self._syncing = True
        try:
            scene = self.scene()
            self._overview = None
            scene.clear()
            self._ghosts = []
            self.proposal = None
            self._tiles = {}
            self._wires = []
            for tile in level.tiles:
                item = TileItem(tile)
                scene.addItem(item)
                item.setSelected(tile.selected)
                self._tiles[tile.name] = item
            for wire in level.wires:
                item = WireItem(wire)
                scene.addItem(item)
                self._wires.append(item)
            self._overview = OverviewItem(self._summarised(), self._wires)
            scene.addItem(self._overview)
            self._update_detail(force=True)
            self.level = level
            self._update_scene_rect()
        finally:
            self._syncing = False
        if self._proposal_args is not None and self._parent is None:
            self._draw_proposal()
        if frame:
            self.frame_all()
        self._update_current()

    def _summarised(self) -> List[TileItem]:
        """The tiles the overview draws when zoomed out (not backdrops or sticky notes)."""
        return [i for i in self._tiles.values() if i.tile.kind in (NODE, DOT)]

    def _update_detail(self, force: bool = False) -> None:
        """Switch between per-item drawing and the overview as the zoom crosses DETAIL_LOD."""
        detailed = self.transform().m11() >= DETAIL_LOD
        if detailed == self._detailed and not force:
            return
        self._detailed = detailed
        flag = QtWidgets.QGraphicsItem.ItemHasNoContents
        for item in self._summarised() + self._wires:
            item.setFlag(flag, not detailed)
        if self._overview is not None:
            self._overview.setVisible(not detailed)

    def _update_scene_rect(self) -> None:
        rect = self.scene().itemsBoundingRect()
        if rect.isNull():
            rect = QtCore.QRectF(0, 0, 1, 1)
        self.setSceneRect(rect.adjusted(-SCENE_MARGIN, -SCENE_MARGIN, SCENE_MARGIN, SCENE_MARGIN))

    # -- what is drawn (for the window and tests) ---------------------------------------------

    def tile_items(self) -> Dict[str, TileItem]:
        """The drawn tiles of the level by full name (ghosts not included)."""
        return dict(self._tiles)

    def wire_items(self) -> List[WireItem]:
        return list(self._wires)

    def ghost_tiles(self) -> List[TileItem]:
        return [i for i in self._ghosts if isinstance(i, TileItem)]

    def ghost_wires(self) -> List[WireItem]:
        return [i for i in self._ghosts if isinstance(i, WireItem)]

    def selected_names(self) -> List[str]:
        return [i.name for i in self.scene().selectedItems() if isinstance(i, TileItem)]

    @property
    def current_node(self) -> str:
        return self._current

    # -- proposals -----------------------------------------------------------------------------

    def show_proposal(self, snippet_text: str, connect_to: Optional[str] = None) -> Optional[DagLevel]:
        """Draw what pasting ``snippet_text`` (.nk) at the root would create: ghost tiles named
        as the paste will name them, their wires, and the snippet's dangling input wired to
        ``connect_to``. Switches to the root level (a paste goes there). Returns the ghost
        level, or None when the text is not .nk (nothing is drawn then). Nothing reaches the
        host; :meth:`clear_proposal` (Reject) or a refresh after Apply removes the ghosts."""
        self._proposal_args = (snippet_text, connect_to)
        if self._parent is not None:
            self._go(None)
        else:
            self._draw_proposal()
        return self.proposal

    def clear_proposal(self) -> None:
        """Remove the ghost tiles and wires of the proposal, if any."""
        self._proposal_args = None
        self._remove_ghosts()

    def _remove_ghosts(self) -> None:
        for item in self._ghosts:
            self.scene().removeItem(item)
        self._ghosts = []
        self.proposal = None

    def _draw_proposal(self) -> None:
        self._remove_ghosts()
        if self._proposal_args is None or self.level is None:
            return
        text, connect_to = self._proposal_args
        try:
            ghosts = proposal_level(text, self.level, connect_to)
        except NkParseError:
            return
        for tile in ghosts.tiles:
            self._ghosts.append(TileItem(tile, ghost=True))
        for wire in ghosts.wires:
            self._ghosts.append(WireItem(wire, ghost=True))
        for item in self._ghosts:
            self.scene().addItem(item)
        self.proposal = ghosts
        self._update_scene_rect()
        bounds = ghosts.bounds()
        if bounds is not None:
            left, top, right, bottom = bounds
            self.ensureVisible(QtCore.QRectF(left, top, right - left, bottom - top), 40, 40)

    # -- selection ------------------------------------------------------------------------------

    def _selection_changed(self) -> None:
        if self._overview is not None and not self._detailed:
            self._overview.update()
        if self._syncing or self._host is None:
            return
        names = self.selected_names()
        try:
            self._host.select(names)
        except HostError:
            self.refresh()
            return
        self._update_current()

    def _update_current(self) -> None:
        names = self.selected_names()
        current = self._pressed if self._pressed in names else (names[-1] if names else "")
        if current != self._current:
            self._current = current
            self.currentNodeChanged.emit(current)

    def _tile_at(self, point: QtCore.QPoint) -> Optional[TileItem]:
        for item in self.items(point):
            if isinstance(item, TileItem) and not item.ghost:
                return item
        return None

    # -- mouse and keys -------------------------------------------------------------------------

    def mousePressEvent(self, event: QtGui.QMouseEvent) -> None:
        button, modifiers = event.button(), event.modifiers()
        if button == QtCore.Qt.MiddleButton or (
                button == QtCore.Qt.LeftButton and modifiers & QtCore.Qt.AltModifier):
            self._pan_from = _point(event)
            self.viewport().setCursor(QtCore.Qt.ClosedHandCursor)
            event.accept()
            return
        tile = self._tile_at(_point(event)) if button == QtCore.Qt.LeftButton else None
        self._pressed = tile.name if tile is not None else ""
        if tile is not None and modifiers & QtCore.Qt.ShiftModifier:
            tile.setSelected(not tile.isSelected())
            event.accept()
            return
        super().mousePressEvent(event)
        self._update_current()

    def mouseMoveEvent(self, event: QtGui.QMouseEvent) -> None:
        if self._pan_from is not None:
            point = _point(event)
            delta = point - self._pan_from
            self._pan_from = point
            self.horizontalScrollBar().setValue(self.horizontalScrollBar().value() - delta.x())
            self.verticalScrollBar().setValue(self.verticalScrollBar().value() - delta.y())
            event.accept()
            return
        super().mouseMoveEvent(event)

    def mouseReleaseEvent(self, event: QtGui.QMouseEvent) -> None:
        if self._pan_from is not None:
            self._pan_from = None
            self.viewport().unsetCursor()
            event.accept()
            return
        super().mouseReleaseEvent(event)

    def mouseDoubleClickEvent(self, event: QtGui.QMouseEvent) -> None:
        tile = self._tile_at(_point(event))
        if tile is not None and tile.tile.is_group:
            self.enter_group(tile.name)
            event.accept()
            return
        super().mouseDoubleClickEvent(event)

    def wheelEvent(self, event: QtGui.QWheelEvent) -> None:
        steps = event.angleDelta().y() / 120.0
        if not steps:
            return
        self.zoom(1.2 ** steps)
        event.accept()

    def zoom(self, factor: float) -> None:
        """Scale by ``factor`` under the mouse, kept within readable limits."""
        current = self.transform().m11()
        factor = max(MIN_SCALE / current, min(MAX_SCALE / current, factor))
        self.scale(factor, factor)
        self._update_detail()

    def keyPressEvent(self, event: QtGui.QKeyEvent) -> None:
        key = event.key()
        if key == QtCore.Qt.Key_F and not event.modifiers():
            self.frame_all()
        elif key == QtCore.Qt.Key_Backspace and self._parent is not None:
            self.go_up()
        elif key in (QtCore.Qt.Key_Return, QtCore.Qt.Key_Enter) and self._current:
            self.enter_group(self._current)
        else:
            super().keyPressEvent(event)
            return
        event.accept()

    def frame_all(self) -> None:
        """Fit every tile (and ghost) in the view, no closer than a comfortable zoom ("F")."""
        rect = QtCore.QRectF()
        for item in list(self._tiles.values()) + self._ghosts:
            rect = rect.united(item.sceneBoundingRect())
        if rect.isNull():
            return
        self.fitInView(rect.adjusted(-40, -40, 40, 40), QtCore.Qt.KeepAspectRatio)
        if self.transform().m11() > FRAME_MAX_SCALE:
            self.setTransform(QtGui.QTransform.fromScale(FRAME_MAX_SCALE, FRAME_MAX_SCALE))
            self.centerOn(rect.center())
        self._update_detail()
