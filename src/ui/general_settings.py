"""The settings dialog's switches that are not about one provider: whether the assistant's
code may run (``allow_code_execution``) and whether conversations are saved
(``history_enabled``). A switch the studio file locks is shown read-only, with the studio's
reason beside it. Like the provider pages, the box only holds what is on screen; the dialog
saves it.
"""

from __future__ import annotations

from typing import Dict, List, Optional, Tuple

from Qt import QtWidgets

from nuke_ai_panel.config import Config, SettingError

from .plain_words import for_gui
from .provider_widgets import STATE_COLOURS

__all__ = ["GeneralBox", "SWITCHES"]

LOCKED = "Set by your studio"
#: (config path, objectName, label, tooltip)
SWITCHES: Tuple[Tuple[str, str, str, str], ...] = (
    ("allow_code_execution", "allowCodeCheck", "Let the assistant's code run in Nuke",
     "Python and node snippets that run code are shown in a preview either way; with this "
     "off, Apply is disabled for them."),
    ("history_enabled", "historyCheck", "Save conversations on this computer",
     "Off: nothing of a chat is written to disk, and the panel says so."),
)


class GeneralBox(QtWidgets.QGroupBox):
    """``generalBox`` with one checkbox per switch (``allowCodeCheck``, ``historyCheck``)
    and, when the studio locks one, ``lockLabel_<path>`` saying so."""

    def __init__(self, config: Config, parent: Optional[QtWidgets.QWidget] = None) -> None:
        super().__init__("General", parent)
        self.setObjectName("generalBox")
        self.checks: Dict[str, QtWidgets.QCheckBox] = {}
        self.locks: Dict[str, QtWidgets.QLabel] = {}
        self._loaded: Dict[str, bool] = {}
        layout = QtWidgets.QHBoxLayout(self)
        layout.setContentsMargins(8, 4, 8, 4)
        for path, name, label, tip in SWITCHES:
            check = QtWidgets.QCheckBox(label)
            check.setObjectName(name)
            check.setToolTip(tip)
            lock = QtWidgets.QLabel(LOCKED)
            lock.setObjectName(f"lockLabel_{path}")
            lock.setStyleSheet(f"color: {STATE_COLOURS['warning']};")
            lock.setVisible(False)
            layout.addWidget(check)
            layout.addWidget(lock)
            layout.addSpacing(16)
            self.checks[path] = check
            self.locks[path] = lock
        layout.addStretch(1)
        self.load(config)

    def load(self, config: Config) -> None:
        """Show ``config``'s values and locks."""
        note = for_gui(config.lock_note or "This setting is managed by your studio.")
        for path, check in self.checks.items():
            value = bool(config.get(path))
            locked = config.is_locked(path)
            check.setChecked(value)
            check.setEnabled(not locked)
            self.locks[path].setVisible(locked)
            self.locks[path].setToolTip(note if locked else "")
            self.locks[path].setText(f"{LOCKED}: {note}" if locked else LOCKED)
            self._loaded[path] = value

    def changed(self) -> Dict[str, bool]:
        """The switches the artist flipped since the box was loaded."""
        return {path: check.isChecked() for path, check in self.checks.items()
                if check.isChecked() != self._loaded.get(path)}

    def apply_to(self, config: Config) -> List[str]:
        """Copy the flipped switches into ``config``; one message per value it refused."""
        problems = []
        for path, value in self.changed().items():
            if config.is_locked(path):
                continue
            try:
                config.set(path, value)
            except SettingError as exc:
                problems.append(for_gui(str(exc), inside_settings=True))
        return problems
