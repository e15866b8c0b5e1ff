"""The API key row of a provider page: the key field, Remove key, and where the key comes from.

Where the key comes from is what :mod:`nuke_ai_panel.secrets` reports (keychain, environment
variable, none); this widget never reads the keychain or the environment itself, and never
holds a stored key, only what the artist types. A missing keychain is said once, by the
dialog; the row only says what that means for this provider's key.
"""

from __future__ import annotations

from typing import Callable, Optional, Tuple

from Qt import QtCore, QtWidgets

from nuke_ai_panel import secrets
from nuke_ai_panel.config import OPENAI_COMPATIBLE
from nuke_ai_panel.provider_info import PROVIDERS

from .provider_widgets import note_label, set_state_style

Qt = QtCore.Qt


class KeyField(QtWidgets.QWidget):
    """``apiKeyEdit_P``, ``removeKeyButton_P``, ``keyLink_P`` and ``keySourceLabel_P`` for
    provider P. ``env_var`` gives the variable currently named for the key (it may be typed
    on the page)."""

    def __init__(self, provider_id: str, keychain: Tuple[bool, str],
                 env_var: Callable[[], Optional[str]],
                 parent: Optional[QtWidgets.QWidget] = None) -> None:
        super().__init__(parent)
        self.provider_id = provider_id
        self.info = PROVIDERS[provider_id]
        self._env_var = env_var
        self._keychain = keychain
        self._stored_key = False
        pid = provider_id
        self.edit = QtWidgets.QLineEdit()
        self.edit.setObjectName(f"apiKeyEdit_{pid}")
        self.edit.setEchoMode(QtWidgets.QLineEdit.EchoMode.Password)
        self.edit.setClearButtonEnabled(True)
        self.edit.setPlaceholderText("New key (leave empty to keep the current one)")
        self.edit.textChanged.connect(lambda _t: self._on_key_typed())
        self.remove_button = QtWidgets.QPushButton("Remove key")
        self.remove_button.setObjectName(f"removeKeyButton_{pid}")
        self.remove_button.setCheckable(True)
        self.remove_button.setToolTip("Delete the stored key from the keychain when you save.")
        self.remove_button.toggled.connect(lambda _on: self.refresh())
        self.source_label = note_label(f"keySourceLabel_{pid}", visible=True)

        row = QtWidgets.QHBoxLayout()
        row.setContentsMargins(0, 0, 0, 0)
        row.addWidget(self.edit, 1)
        row.addWidget(self.remove_button)
        if self.info.key_url:
            link = QtWidgets.QLabel(f'<a href="{self.info.key_url}">Get a key</a>')
            link.setObjectName(f"keyLink_{pid}")
            link.setTextFormat(Qt.TextFormat.RichText)
            link.setOpenExternalLinks(True)
            link.setToolTip(self.info.key_url)
            row.addWidget(link)
        layout = QtWidgets.QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(2)
        layout.addLayout(row)
        layout.addWidget(self.source_label)

    @property
    def typed_key(self) -> str:
        return self.edit.text().strip()

    @property
    def remove_pending(self) -> bool:
        return self.remove_button.isChecked()

    def reset(self) -> None:
        """Forget what was typed and read whether the keychain holds a key (once per load,
        not on every keystroke)."""
        self.edit.clear()
        self.remove_button.setChecked(False)
        self._stored_key = secrets.key_source(self.provider_id) == secrets.SOURCE_KEYCHAIN

    def set_keychain(self, keychain: Tuple[bool, str]) -> None:
        self._keychain = keychain
        self.refresh()

    def _on_key_typed(self) -> None:
        if self.typed_key and self.remove_button.isChecked():
            self.remove_button.setChecked(False)
        self.refresh()

    def refresh(self, problem: str = "") -> None:
        """Say where the key in use comes from, or why a save failed (``problem``)."""
        available, description = self._keychain
        env_var = self._env_var()
        self.source_label.setToolTip(f"Keychain: {description}" if available else "")
        if problem:
            set_state_style(self.source_label, "error")
            self.source_label.setText(problem)
        else:
            set_state_style(self.source_label, "")
            self.source_label.setText(self._source_text(available, env_var))
        self.remove_button.setEnabled(available and self._stored_key)
        self.remove_button.setToolTip(
            "Delete the stored key from the keychain when you save." if self._stored_key
            else "There is no key in the keychain to remove.")

    def _source_text(self, keychain_available: bool, env_var: Optional[str]) -> str:
        if self.typed_key:
            if keychain_available:
                return "Using the key typed above for Test; Save stores it in the keychain."
            return "Using the key typed above for Test only: it cannot be saved on this system."
        if self.remove_pending:
            fallback = f" Then ${env_var} is used if it is set." if env_var else ""
            return "The stored key will be removed from the keychain when you save." + fallback
        if self._stored_key:
            return "Key in use: from the keychain."
        if env_var and secrets.key_source(self.provider_id, env_var,
                                          use_keychain=False) == secrets.SOURCE_ENV:
            return f"Key in use: from ${env_var}."
        if self.info.needs_key or (self.provider_id == OPENAI_COMPATIBLE and env_var):
            if not keychain_available:
                return f"No key: set ${env_var}." if env_var else "No key."
            where = f" or set ${env_var}" if env_var else ""
            return f"No key: paste one above{where}."
        return "No key (this server usually needs none)."
