"""The chat panel's second row: the system prompt preset, past conversations, Export, Delete.

It makes ``presetCombo``, ``editPresetsButton``, ``historyCombo``, ``exportButton`` and
``deleteChatButton`` for the panel to lay out; the conversation itself belongs to the
panel's session.
"""

from __future__ import annotations

import time
from functools import partial
from pathlib import Path
from typing import Any

from Qt import QtCore, QtWidgets

from nuke_ai_panel import history

from .widgets import push_button

HISTORY_PLACEHOLDER = "Past conversations\u2026"
HISTORY_OFF = "History is off: this chat is not saved"
HISTORY_TIPS = ("Open a past conversation",
                "Saving conversations is turned off in Settings: nothing of this chat is "
                "written to disk. Past conversations can still be opened.")


class ConversationBar(QtCore.QObject):
    """See the module docstring; ``panel`` is the ChatPanel whose widgets these are."""

    def __init__(self, panel: Any) -> None:
        super().__init__(panel)
        self.panel = panel
        self.preset_combo = QtWidgets.QComboBox()
        self.preset_combo.setObjectName("presetCombo")
        self.preset_combo.setToolTip("System prompt preset")
        self.edit_presets_button = push_button("editPresetsButton", "Edit\u2026",
                                               "Edit the system prompt presets")
        self.history_combo = QtWidgets.QComboBox()
        self.history_combo.setObjectName("historyCombo")
        self.history_combo.setSizeAdjustPolicy(
            QtWidgets.QComboBox.AdjustToMinimumContentsLengthWithIcon)
        self.history_combo.setMinimumContentsLength(16)
        self.export_button = push_button("exportButton", "Export\u2026",
                                         "Save this conversation as Markdown")
        self.delete_button = push_button("deleteChatButton", "Delete",
                                         "Delete this conversation from history")
        self.preset_combo.currentIndexChanged.connect(self._on_preset_changed)
        self.edit_presets_button.clicked.connect(self.edit_presets)
        self.history_combo.activated.connect(self._on_history_activated)
        self.export_button.clicked.connect(self.export_clicked)
        self.delete_button.clicked.connect(self.delete_clicked)

    # -- presets ----------------------------------------------------------------------------------

    def system_prompt(self) -> str:
        """The text of the preset chosen in the combo (else the configured one)."""
        config = self.panel.config
        name = self.preset_combo.currentData()
        for preset in config.system_prompts:
            if preset["name"] == name:
                return preset["text"]
        return config.system_prompt()

    def fill_presets(self) -> None:
        config = self.panel.config
        combo = self.preset_combo
        combo.blockSignals(True)
        try:
            combo.clear()
            for preset in config.system_prompts:
                combo.addItem(preset["name"], preset["name"])
            combo.setCurrentIndex(max(0, combo.findData(config.selected_prompt)))
        finally:
            combo.blockSignals(False)
        combo.setEnabled(not config.is_locked("selected_prompt"))
        self.edit_presets_button.setEnabled(not config.is_locked("system_prompts"))

    def _on_preset_changed(self, _index: int) -> None:
        name = self.preset_combo.currentData()
        if name:
            self.panel.update_config({"selected_prompt": name})

    def edit_presets(self) -> "QtWidgets.QDialog":
        """Open the preset editor (non-blocking); saved to config when accepted."""
        from .preset_dialog import PresetDialog

        dialog = PresetDialog(self.panel.config.system_prompts,
                              self.preset_combo.currentData() or "", self.panel)
        dialog.accepted.connect(partial(self._presets_edited, dialog))
        dialog.open()
        return dialog

    def _presets_edited(self, dialog: Any) -> None:
        self.panel.update_config({"system_prompts": dialog.presets(),
                                  "selected_prompt": dialog.selected()})
        self.fill_presets()

    # -- past conversations -----------------------------------------------------------------------

    def refresh_history(self) -> None:
        """Fill the list of past conversations (titles and dates only: cheap)."""
        summaries, notices = history.list_conversations()
        for notice in notices:
            self.panel.notices.add(notice)
        combo = self.history_combo
        saving = self.panel.config.history_enabled
        combo.setToolTip(HISTORY_TIPS[0 if saving else 1])
        combo.blockSignals(True)
        try:
            combo.clear()
            combo.addItem(HISTORY_PLACEHOLDER if saving else HISTORY_OFF, None)
            for summary in summaries:
                stamp = time.strftime("%d %b %H:%M", time.localtime(summary.updated))
                combo.addItem(f"{summary.title}  \u00b7  {stamp}", summary.id)
            combo.setCurrentIndex(0)
        finally:
            combo.blockSignals(False)

    def _on_history_activated(self, index: int) -> None:
        conv_id = self.history_combo.itemData(index)
        if conv_id:
            self.panel.open_conversation(conv_id)

    def delete_clicked(self) -> None:
        conversation = self.panel.conversation
        if not conversation.messages:
            return
        answer = QtWidgets.QMessageBox.question(
            self.panel, "Delete conversation",
            f"Delete \u201c{conversation.title}\u201d from history?")
        if answer == QtWidgets.QMessageBox.Yes:
            self.panel.delete_conversation()

    def export_clicked(self) -> None:
        conversation = self.panel.conversation
        if not conversation.messages:
            self.panel.set_status("nothing to export yet")
            return
        name = "".join(c if c.isalnum() or c in "-_ " else "_"
                       for c in conversation.title).strip() or "conversation"
        path, _filter = QtWidgets.QFileDialog.getSaveFileName(
            self.panel, "Export conversation", str(Path.home() / f"{name[:40]}.md"),
            "Markdown (*.md);;All files (*)")
        if not path:
            return
        try:
            written = self.panel.export_markdown(path)
        except OSError as exc:
            self.panel.notices.add(f"Could not export the conversation: {exc}")
            return
        self.panel.set_status(f"exported to {written}")
