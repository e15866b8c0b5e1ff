"""The check before a very large prompt goes out: over the model's context window (when the
server says what it is) or over 100 KB, the panel says how big it is and waits. "Send anyway"
sends exactly that text; "Keep editing" leaves it in the prompt box. Nothing typed is lost
either way. The wording and the limits are :func:`nuke_ai_panel.model_facts.size_warning`'s.
"""

from __future__ import annotations

from typing import Optional

from Qt import QtCore, QtWidgets

from nuke_ai_panel.model_facts import size_warning

__all__ = ["LargePromptBar"]

STYLE = ("QFrame#largePromptBar { background-color: #3d3824; border: 1px solid #6b603a; "
         "border-radius: 3px; }")


class LargePromptBar(QtWidgets.QFrame):
    """``largePromptBar`` with ``largePromptLabel``, ``sendAnywayButton`` and
    ``keepEditingButton``. ``sendAnyway`` fires when the artist confirms."""

    sendAnyway = QtCore.Signal()
    keepEditing = QtCore.Signal()

    def __init__(self, parent: Optional[QtWidgets.QWidget] = None) -> None:
        super().__init__(parent)
        self.setObjectName("largePromptBar")
        self.setStyleSheet(STYLE)
        self._approved: Optional[str] = None
        self._pending: Optional[str] = None
        self.label = QtWidgets.QLabel(self)
        self.label.setObjectName("largePromptLabel")
        self.label.setTextFormat(QtCore.Qt.PlainText)
        self.label.setWordWrap(True)
        self.send_button = QtWidgets.QPushButton("Send anyway", self)
        self.send_button.setObjectName("sendAnywayButton")
        self.send_button.setToolTip("Send this prompt as it is")
        self.keep_button = QtWidgets.QPushButton("Keep editing", self)
        self.keep_button.setObjectName("keepEditingButton")
        self.keep_button.setToolTip("Do not send; the text stays in the prompt box")
        for button in (self.send_button, self.keep_button):
            button.setAutoDefault(False)
        buttons = QtWidgets.QHBoxLayout()
        buttons.addStretch(1)
        buttons.addWidget(self.keep_button)
        buttons.addWidget(self.send_button)
        layout = QtWidgets.QVBoxLayout(self)
        layout.setContentsMargins(6, 4, 6, 4)
        layout.addWidget(self.label)
        layout.addLayout(buttons)
        self.send_button.clicked.connect(self._send_anyway)
        self.keep_button.clicked.connect(self._keep_editing)
        self.hide()

    def holds_back(self, text: str, context_tokens: Optional[int], model: str) -> bool:
        """True (and the warning shown) when ``text`` needs a second look before sending;
        False when it is fine, or when the artist has already said to send exactly it."""
        if self._approved is not None and self._approved == text:
            self._approved = None
            self.hide()
            return False
        warning = size_warning(text, context_tokens, model)
        if warning is None:
            self.hide()
            return False
        self._pending = text
        self.label.setText(warning)
        self.show()
        return True

    def _send_anyway(self) -> None:
        self._approved = self._pending
        self.hide()
        self.sendAnyway.emit()

    def _keep_editing(self) -> None:
        self._pending = None
        self.hide()
        self.keepEditing.emit()
