"""The standalone app's view of its in-memory comp: the nodes, their inputs, the selection.

Outside Nuke there is no node graph to click in, yet the helpers work on the selection; this
list is where the artist selects nodes and watches what a helper, an undo or a redo changed.
"""

from __future__ import annotations

from typing import Any, List, Optional

from Qt import QtCore, QtWidgets


class ScriptNodeList(QtWidgets.QTreeWidget):
    """Nodes of a ScriptHost in script order; selecting rows selects nodes in the host."""

    def __init__(self, host: Any, parent: Optional[QtWidgets.QWidget] = None) -> None:
        super().__init__(parent)
        self.setObjectName("scriptNodeList")
        self.setHeaderLabels(["Node", "Class", "Inputs"])
        self.setRootIsDecorated(False)
        self.setSelectionMode(QtWidgets.QAbstractItemView.ExtendedSelection)
        self.setAlternatingRowColors(True)
        self._host = host
        self._syncing = False
        self.itemSelectionChanged.connect(self._push_selection)
        self.refresh()

    def set_host(self, host: Any) -> None:
        self._host = host
        self.refresh()

    def names(self) -> List[str]:
        return [self.topLevelItem(i).text(0) for i in range(self.topLevelItemCount())]

    def refresh(self) -> None:
        """Re-read the host: after a helper applied, an undo, a redo or opening a script."""
        self._syncing = True
        try:
            self.clear()
            for node in self._host.all_nodes():
                inputs = ", ".join(name or "-" for name in node.inputs)
                item = QtWidgets.QTreeWidgetItem([node.name, node.node_class, inputs])
                item.setData(0, QtCore.Qt.UserRole, node.name)
                self.addTopLevelItem(item)
                item.setSelected(bool(node.selected))
            for column in range(2):
                self.resizeColumnToContents(column)
        finally:
            self._syncing = False

    def _push_selection(self) -> None:
        if self._syncing:
            return
        names = [item.data(0, QtCore.Qt.UserRole) for item in self.selectedItems()]
        self._host.select(names)
