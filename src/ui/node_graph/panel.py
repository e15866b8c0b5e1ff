"""The standalone app's node graph pane: a breadcrumb bar, the graph, the selected node's knobs.

The bar shows where in the comp the graph is (Root > Group1 > Inner, each part a link back)
with Back and Frame all; double-clicking a group goes in. The knob table follows the node last
clicked among the selected ones.
"""

from __future__ import annotations

import html
from typing import Any, Optional

from Qt import QtCore, QtWidgets

from nuke_ai_panel.graph.dag_layout import breadcrumb

from .knob_table import KnobTable
from .view import NodeGraphView

__all__ = ["NodeGraphPanel"]

ROOT_LINK = "#root"


class NodeGraphPanel(QtWidgets.QWidget):
    """``view`` (objectName ``nodeGraphView``) and ``knobs`` (``nodeKnobTable``) for a host."""

    def __init__(self, host: Any = None, parent: Optional[QtWidgets.QWidget] = None) -> None:
        super().__init__(parent)
        self.setObjectName("nodeGraphPanel")
        self.view = NodeGraphView(parent=self)
        self.knobs = KnobTable(self)
        self.back_button = QtWidgets.QToolButton(self)
        self.back_button.setObjectName("graphBackButton")
        self.back_button.setText("\u2191 Up")
        self.back_button.setToolTip("Back to the enclosing group (Backspace)")
        self.frame_button = QtWidgets.QToolButton(self)
        self.frame_button.setObjectName("graphFrameButton")
        self.frame_button.setText("Frame all")
        self.frame_button.setToolTip("Fit the whole graph in view (F)")
        self.trail = QtWidgets.QLabel(self)
        self.trail.setObjectName("graphBreadcrumb")
        self.trail.setTextFormat(QtCore.Qt.RichText)
        self.trail.setToolTip("Where you are in the comp; double-click a group to go in")
        self.knob_title = QtWidgets.QLabel(self)
        self.knob_title.setObjectName("nodeKnobTitle")
        self.knob_title.setTextFormat(QtCore.Qt.PlainText)
        bar = QtWidgets.QHBoxLayout()
        bar.setContentsMargins(4, 2, 4, 2)
        bar.addWidget(self.back_button)
        bar.addWidget(self.trail, 1)
        bar.addWidget(self.frame_button)
        side = QtWidgets.QWidget(self)
        side_layout = QtWidgets.QVBoxLayout(side)
        side_layout.setContentsMargins(0, 0, 0, 0)
        side_layout.addWidget(self.knob_title)
        side_layout.addWidget(self.knobs, 1)
        splitter = QtWidgets.QSplitter(QtCore.Qt.Horizontal, self)
        splitter.setObjectName("nodeGraphSplitter")
        splitter.addWidget(self.view)
        splitter.addWidget(side)
        splitter.setStretchFactor(0, 3)
        splitter.setStretchFactor(1, 1)
        splitter.setChildrenCollapsible(True)
        layout = QtWidgets.QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(2)
        layout.addLayout(bar)
        layout.addWidget(splitter, 1)
        self.back_button.clicked.connect(lambda *_: self.view.go_up())
        self.frame_button.clicked.connect(lambda *_: self.view.frame_all())
        self.trail.linkActivated.connect(self._trail_clicked)
        self.view.levelChanged.connect(self._level_changed)
        self.view.currentNodeChanged.connect(self._show_knobs)
        self.set_host(host)

    @property
    def host(self) -> Any:
        return self.view.host

    def set_host(self, host: Any) -> None:
        """Show another comp from its root."""
        self.view.set_host(host)
        self._level_changed(self.view.group)
        self._show_knobs(self.view.current_node)

    def refresh(self) -> None:
        """Re-read the comp (after an Apply, an undo or a redo), keeping the view."""
        self.view.clear_proposal()
        self.view.refresh()
        self._level_changed(self.view.group)
        self._show_knobs(self.view.current_node)

    def _level_changed(self, group: Optional[str]) -> None:
        parts = []
        trail = breadcrumb(group)
        for i, (text, target) in enumerate(trail):
            label = html.escape(text)
            if i == len(trail) - 1:
                parts.append(f"<b>{label}</b>")
            else:
                href = html.escape(target or ROOT_LINK, quote=True)
                parts.append(f'<a href="{href}">{label}</a>')
        self.trail.setText(" \u203a ".join(parts))
        self.back_button.setEnabled(group is not None)

    def _trail_clicked(self, href: str) -> None:
        self.view.go_to(None if href == ROOT_LINK else href)

    def _show_knobs(self, name: str) -> None:
        self.knobs.show_node(self.view.host, name)
        if self.knobs.node_name:
            node = self.view.host.node(name)
            self.knob_title.setText(f"{node.name} ({node.node_class})")
        else:
            self.knob_title.setText("Select a node to see its knobs")
