"""Edit the system prompt presets: name and text of each, which one is selected."""

from __future__ import annotations

from typing import Dict, List, Optional

from Qt import QtWidgets


class PresetDialog(QtWidgets.QDialog):
    """Works on a copy; the caller stores ``presets()`` and ``selected()`` when accepted."""

    def __init__(self, presets: List[Dict[str, str]], selected: str = "",
                 parent: Optional[QtWidgets.QWidget] = None) -> None:
        super().__init__(parent)
        self.setObjectName("presetDialog")
        self.setWindowTitle("System prompt presets")
        self._presets = [dict(p) for p in presets] or [{"name": "Default", "text": ""}]
        self._current = -1
        self.list = QtWidgets.QListWidget(self)
        self.list.setObjectName("presetList")
        self.name_edit = QtWidgets.QLineEdit(self)
        self.name_edit.setObjectName("presetNameEdit")
        self.text_edit = QtWidgets.QPlainTextEdit(self)
        self.text_edit.setObjectName("presetTextEdit")
        self.error_label = QtWidgets.QLabel(self)
        self.error_label.setObjectName("presetErrorLabel")
        self.error_label.setStyleSheet("color: #e06c60;")
        add = QtWidgets.QPushButton("Add", self)
        add.setObjectName("addPresetButton")
        remove = QtWidgets.QPushButton("Remove", self)
        remove.setObjectName("removePresetButton")
        self.remove_button = remove
        buttons = QtWidgets.QDialogButtonBox(
            QtWidgets.QDialogButtonBox.Ok | QtWidgets.QDialogButtonBox.Cancel, parent=self)
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        add.clicked.connect(self.add_preset)
        remove.clicked.connect(self.remove_preset)
        self.list.currentRowChanged.connect(self._show)

        side = QtWidgets.QVBoxLayout()
        side.addWidget(self.list, 1)
        row = QtWidgets.QHBoxLayout()
        row.addWidget(add)
        row.addWidget(remove)
        side.addLayout(row)
        form = QtWidgets.QFormLayout()
        form.addRow("Name", self.name_edit)
        form.addRow("Prompt", self.text_edit)
        body = QtWidgets.QHBoxLayout()
        body.addLayout(side, 1)
        body.addLayout(form, 3)
        layout = QtWidgets.QVBoxLayout(self)
        layout.addLayout(body, 1)
        layout.addWidget(self.error_label)
        layout.addWidget(buttons)
        self.resize(720, 420)

        for preset in self._presets:
            self.list.addItem(preset["name"])
        names = [p["name"] for p in self._presets]
        self.list.setCurrentRow(names.index(selected) if selected in names else 0)

    def _store(self) -> None:
        if 0 <= self._current < len(self._presets):
            name = self.name_edit.text().strip()
            self._presets[self._current] = {"name": name,
                                            "text": self.text_edit.toPlainText()}
            item = self.list.item(self._current)
            if item is not None:
                item.setText(name or "(unnamed)")

    def _show(self, row: int) -> None:
        self._store()
        self._current = row
        if 0 <= row < len(self._presets):
            self.name_edit.setText(self._presets[row]["name"])
            self.text_edit.setPlainText(self._presets[row]["text"])
        self.remove_button.setEnabled(len(self._presets) > 1)

    def add_preset(self) -> None:
        self._store()
        names = {p["name"] for p in self._presets}
        number = 1
        while f"Preset {number}" in names:
            number += 1
        self._presets.append({"name": f"Preset {number}", "text": ""})
        self.list.addItem(f"Preset {number}")
        self.list.setCurrentRow(len(self._presets) - 1)

    def remove_preset(self) -> None:
        row = self.list.currentRow()
        if len(self._presets) <= 1 or not 0 <= row < len(self._presets):
            return
        self._current = -1
        del self._presets[row]
        self.list.takeItem(row)
        self.list.setCurrentRow(min(row, len(self._presets) - 1))
        self._show(self.list.currentRow())

    def problem(self) -> str:
        """Why the presets cannot be saved, or an empty string."""
        self._store()
        names = [p["name"] for p in self._presets]
        if any(not n for n in names):
            return "Every preset needs a name."
        if len(set(names)) != len(names):
            return "Two presets have the same name."
        return ""

    def accept(self) -> None:
        problem = self.problem()
        if problem:
            self.error_label.setText(problem)
            return
        super().accept()

    def presets(self) -> List[Dict[str, str]]:
        self._store()
        return [dict(p) for p in self._presets]

    def selected(self) -> str:
        self._store()
        row = self.list.currentRow()
        return self._presets[row]["name"] if 0 <= row < len(self._presets) else ""
