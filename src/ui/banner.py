"""The two bars above the transcript: an error with its hint and actions, and plain notices.

Both show text as plain text: messages quote servers and file names, never trusted HTML.
"""

from __future__ import annotations

from typing import List, Optional

from Qt import QtCore, QtWidgets

ERROR_STYLE = ("QFrame#errorBanner { background-color: #4a2626; border: 1px solid #7a3c3c; "
               "border-radius: 3px; }")
NOTICE_STYLE = ("QFrame#noticeBar { background-color: #3d3824; border: 1px solid #6b603a; "
                "border-radius: 3px; }")
MAX_NOTICES = 4


def _label(name: str, parent: QtWidgets.QWidget, bold: bool = False) -> QtWidgets.QLabel:
    label = QtWidgets.QLabel(parent)
    label.setObjectName(name)
    label.setTextFormat(QtCore.Qt.PlainText)
    label.setWordWrap(True)
    label.setTextInteractionFlags(QtCore.Qt.TextSelectableByMouse)
    if bold:
        font = label.font()
        font.setBold(True)
        label.setFont(font)
    return label


def _button(name: str, text: str, parent: QtWidgets.QWidget) -> QtWidgets.QPushButton:
    button = QtWidgets.QPushButton(text, parent)
    button.setObjectName(name)
    button.setAutoDefault(False)
    return button


class ErrorBanner(QtWidgets.QFrame):
    """What went wrong, what to do about it, and Retry / Open Settings when they help."""

    retryRequested = QtCore.Signal()
    settingsRequested = QtCore.Signal()

    def __init__(self, parent: Optional[QtWidgets.QWidget] = None) -> None:
        super().__init__(parent)
        self.setObjectName("errorBanner")
        self.setStyleSheet(ERROR_STYLE)
        self.kind = ""
        self.message_label = _label("errorMessageLabel", self, bold=True)
        self.hint_label = _label("errorHintLabel", self)
        self.retry_button = _button("retryButton", "Retry", self)
        self.settings_button = _button("openSettingsButton", "Open Settings", self)
        self.dismiss_button = _button("dismissErrorButton", "Dismiss", self)
        self.retry_button.clicked.connect(self.retryRequested)
        self.settings_button.clicked.connect(self.settingsRequested)
        self.dismiss_button.clicked.connect(self.clear)
        text = QtWidgets.QVBoxLayout()
        text.setSpacing(2)
        text.addWidget(self.message_label)
        text.addWidget(self.hint_label)
        buttons = QtWidgets.QVBoxLayout()
        buttons.setSpacing(2)
        for button in (self.retry_button, self.settings_button, self.dismiss_button):
            buttons.addWidget(button)
        buttons.addStretch(1)
        layout = QtWidgets.QHBoxLayout(self)
        layout.setContentsMargins(8, 6, 8, 6)
        layout.addLayout(text, 1)
        layout.addLayout(buttons)
        self.hide()

    def show_error(self, kind: str, message: str, hint: str = "", retry: bool = False,
                   settings: bool = False) -> None:
        self.kind = kind
        self.message_label.setText(message)
        self.hint_label.setText(hint)
        self.hint_label.setVisible(bool(hint))
        self.retry_button.setVisible(retry)
        self.settings_button.setVisible(settings)
        self.show()

    def clear(self) -> None:
        self.kind = ""
        self.hide()

    @property
    def message(self) -> str:
        return self.message_label.text()

    @property
    def hint(self) -> str:
        return self.hint_label.text()


class NoticeBar(QtWidgets.QFrame):
    """Notices that are not errors of a request: a corrupt file set aside, config warnings."""

    def __init__(self, parent: Optional[QtWidgets.QWidget] = None) -> None:
        super().__init__(parent)
        self.setObjectName("noticeBar")
        self.setStyleSheet(NOTICE_STYLE)
        self._lines: List[str] = []
        self.label = _label("noticeLabel", self)
        dismiss = _button("dismissNoticeButton", "Dismiss", self)
        dismiss.clicked.connect(self.clear)
        layout = QtWidgets.QHBoxLayout(self)
        layout.setContentsMargins(8, 4, 8, 4)
        layout.addWidget(self.label, 1)
        layout.addWidget(dismiss, 0, QtCore.Qt.AlignTop)
        self.hide()

    def add(self, text: str) -> None:
        if text in self._lines:
            return
        self._lines = (self._lines + [text])[-MAX_NOTICES:]
        self.label.setText("\n".join(self._lines))
        self.show()

    def clear(self) -> None:
        self._lines = []
        self.label.clear()
        self.hide()

    @property
    def lines(self) -> List[str]:
        return list(self._lines)
