"""The prompt box: Enter sends, Shift+Enter starts a new line, Esc asks to stop."""

from __future__ import annotations

from typing import Any, Optional

from Qt import QtCore, QtWidgets


class PromptEdit(QtWidgets.QPlainTextEdit):
    submitted = QtCore.Signal()
    cancelRequested = QtCore.Signal()

    def __init__(self, parent: Optional[QtWidgets.QWidget] = None) -> None:
        super().__init__(parent)
        self.setObjectName("promptEdit")
        self.setTabChangesFocus(True)
        self.setPlaceholderText("Ask the assistant (Enter sends, Shift+Enter adds a line, "
                                "Esc stops; /help for commands)")

    def keyPressEvent(self, event: Any) -> None:
        key = event.key()
        if key in (QtCore.Qt.Key_Return, QtCore.Qt.Key_Enter):
            if event.modifiers() & QtCore.Qt.ShiftModifier:
                self.insertPlainText("\n")
            else:
                self.submitted.emit()
            event.accept()
            return
        if key == QtCore.Qt.Key_Escape:
            self.cancelRequested.emit()
            event.accept()
            return
        super().keyPressEvent(event)

    def sizeHint(self) -> QtCore.QSize:
        hint = super().sizeHint()
        lines = 4
        return QtCore.QSize(hint.width(), self.fontMetrics().lineSpacing() * lines + 12)
