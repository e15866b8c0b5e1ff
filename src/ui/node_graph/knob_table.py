"""The selected node's knobs beside the node graph: knob name and value, read-only.

Values are shown as Nuke's properties panel would read them: a quoted string without its
quotes and escapes, a long or multi-line value (a Roto shape, a Python knob) shortened to its
first line with the whole text in the tooltip.
"""

from __future__ import annotations

from typing import Any, List, Optional, Tuple

from Qt import QtCore, QtWidgets

from nuke_ai_panel.graph.host import HostError
from nuke_ai_panel.graph.nk_lexer import decode_value

__all__ = ["KnobTable", "display_value"]

MAX_SHOWN = 120
"""Characters of a value shown in its cell; the tooltip holds up to MAX_TOOLTIP."""
MAX_TOOLTIP = 2000


def display_value(raw: str) -> Tuple[str, str]:
    """``(cell text, tooltip)`` for a knob's raw .nk text."""
    text = decode_value(raw) if raw.startswith('"') else raw
    lines = text.strip().splitlines() or [""]
    shown = lines[0].strip()
    if len(lines) > 1 or len(shown) > MAX_SHOWN:
        shown = shown[:MAX_SHOWN].rstrip() + " \u2026"
    tooltip = text if len(text) <= MAX_TOOLTIP else text[:MAX_TOOLTIP] + "\n\u2026"
    return shown, tooltip if shown != text else ""


class KnobTable(QtWidgets.QTableWidget):
    """Two columns, Knob and Value, for one node of a host with ``script`` (or none)."""

    def __init__(self, parent: Optional[QtWidgets.QWidget] = None) -> None:
        super().__init__(0, 2, parent)
        self.setObjectName("nodeKnobTable")
        self.setHorizontalHeaderLabels(["Knob", "Value"])
        self.verticalHeader().setVisible(False)
        self.horizontalHeader().setStretchLastSection(True)
        self.setEditTriggers(QtWidgets.QAbstractItemView.NoEditTriggers)
        self.setSelectionBehavior(QtWidgets.QAbstractItemView.SelectRows)
        self.setWordWrap(False)
        self.setAlternatingRowColors(True)
        self.node_name = ""

    def show_node(self, host: Any, name: str) -> None:
        """Fill the table with ``name``'s knobs (a clone shows its original's), or clear it
        when ``name`` is empty or no longer in the host."""
        self.setRowCount(0)
        self.node_name = ""
        if not name or host is None:
            return
        try:
            node = host.node(name)
        except HostError:
            return
        knobs = host.script.effective_knobs(node)
        self.node_name = name
        self.setRowCount(len(knobs))
        for row, (knob, raw) in enumerate(knobs.items()):
            shown, tooltip = display_value(raw)
            key_item = QtWidgets.QTableWidgetItem(knob)
            value_item = QtWidgets.QTableWidgetItem(shown)
            value_item.setToolTip(tooltip)
            value_item.setData(QtCore.Qt.UserRole, raw)
            self.setItem(row, 0, key_item)
            self.setItem(row, 1, value_item)
        self.resizeColumnToContents(0)

    def rows(self) -> List[Tuple[str, str]]:
        """``[(knob, cell text), ...]`` as shown."""
        return [(self.item(r, 0).text(), self.item(r, 1).text()) for r in range(self.rowCount())]
