"""The two bars above the transcript: an error with its hint and actions, and plain notices.

Both are one line tall until the artist asks for details, so they never crowd out the
transcript in a narrow dock: the line is elided to the width (the whole text in its
tooltip) and Details opens the full message and hint, wrapped. Texts are shown as plain
text (messages quote servers and file names, never trusted HTML) and in plain words
(:func:`.plain_words.for_gui`). A banner whose words send the artist to Settings always
has the Open Settings button.
"""

from __future__ import annotations

from typing import List, Optional, Tuple

from Qt import QtCore, QtWidgets

from .compact import ElidedLabel
from .plain_words import for_gui, names_settings
from .widgets import plain_label

ERROR_STYLE = ("QFrame#errorBanner { background-color: #4a2626; border: 1px solid #7a3c3c; "
               "border-radius: 3px; }")
NOTICE_STYLE = ("QFrame#noticeBar { background-color: #3d3824; border: 1px solid #6b603a; "
                "border-radius: 3px; }")
MAX_NOTICES = 4
#: Error kinds whose fix is in Settings (a key, a URL, a server that cannot be reached).
SETTINGS_KINDS = ("config", "auth", "connect", "connect_timeout", "protocol")
DETAILS, LESS = "Details", "Less"


def _label(name: str, parent: QtWidgets.QWidget, bold: bool = False) -> QtWidgets.QLabel:
    label = plain_label(name, parent=parent)
    if bold:
        _bold(label)
    return label


def _bold(label: QtWidgets.QLabel) -> None:
    font = label.font()
    font.setBold(True)
    label.setFont(font)


def _button(name: str, text: str, parent: QtWidgets.QWidget,
            tip: str = "") -> QtWidgets.QPushButton:
    button = QtWidgets.QPushButton(text, parent)
    button.setObjectName(name)
    button.setAutoDefault(False)
    button.setToolTip(tip)
    return button


class _OneLineBar(QtWidgets.QFrame):
    """A frame with a one-line summary, wrapped details under it, and buttons on the right."""

    def __init__(self, name: str, style: str, parent: Optional[QtWidgets.QWidget]) -> None:
        super().__init__(parent)
        self.setObjectName(name)
        self.setStyleSheet(style)
        self.summary_label = ElidedLabel("", self)
        self.summary_label.setObjectName(f"{name}Summary")
        self.details_box = QtWidgets.QWidget(self)
        self.details_layout = QtWidgets.QVBoxLayout(self.details_box)
        self.details_layout.setContentsMargins(0, 0, 0, 0)
        self.details_layout.setSpacing(2)
        self.details_button = _button(f"{name}DetailsButton", DETAILS, self,
                                      "Show the whole message and what to do")
        self.details_button.setCheckable(True)
        self.details_button.toggled.connect(self._show_details)
        self.buttons = QtWidgets.QHBoxLayout()
        self.buttons.setSpacing(4)
        self.buttons.addWidget(self.details_button)
        text = QtWidgets.QVBoxLayout()
        text.setSpacing(2)
        text.addWidget(self.summary_label)
        text.addWidget(self.details_box)
        layout = QtWidgets.QHBoxLayout(self)
        layout.setContentsMargins(6, 3, 4, 3)
        layout.addLayout(text, 1)
        layout.addLayout(self.buttons)
        layout.setAlignment(self.buttons, QtCore.Qt.AlignTop)
        self.details_box.hide()
        self.hide()

    @property
    def details_shown(self) -> bool:
        return self.details_button.isChecked()

    def _show_details(self, shown: bool) -> None:
        self.summary_label.setVisible(not shown)
        self.details_box.setVisible(shown)

    def _collapse(self) -> None:
        self.details_button.setChecked(False)


class ErrorBanner(_OneLineBar):
    """What went wrong, what to do about it, and Retry / Open Settings when they help."""

    retryRequested = QtCore.Signal()
    settingsRequested = QtCore.Signal()

    def __init__(self, parent: Optional[QtWidgets.QWidget] = None) -> None:
        super().__init__("errorBanner", ERROR_STYLE, parent)
        self.kind = ""
        _bold(self.summary_label)
        self.message_label = _label("errorMessageLabel", self.details_box, bold=True)
        self.hint_label = _label("errorHintLabel", self.details_box)
        self.details_layout.addWidget(self.message_label)
        self.details_layout.addWidget(self.hint_label)
        self.retry_button = _button("retryButton", "Retry", self, "Send the question again")
        self.settings_button = _button("openSettingsButton", "Open Settings", self,
                                       "Open the settings dialog")
        self.dismiss_button = _button("dismissErrorButton", "Dismiss", self, "Hide this message")
        self.retry_button.clicked.connect(self.retryRequested)
        self.settings_button.clicked.connect(self.settingsRequested)
        self.dismiss_button.clicked.connect(self.clear)
        for button in (self.retry_button, self.settings_button, self.dismiss_button):
            self.buttons.addWidget(button)

    def show_error(self, kind: str, message: str, hint: str = "", retry: bool = False,
                   settings: bool = False) -> None:
        """Show ``message`` and ``hint`` (in plain words); Open Settings appears when
        ``settings``, for the kinds Settings can fix, and whenever the words name Settings."""
        self.kind = kind
        message, hint = for_gui(message), for_gui(hint)
        self.message_label.setText(message)
        self.hint_label.setText(hint)
        self.hint_label.setVisible(bool(hint))
        self.summary_label.setText(f"{message} \u2014 {hint}" if hint else message)
        self.retry_button.setVisible(retry)
        self.settings_button.setVisible(settings or kind in SETTINGS_KINDS
                                        or names_settings(message, hint))
        self._collapse()
        self.show()

    def clear(self) -> None:
        self.kind = ""
        self._collapse()
        self.hide()

    @property
    def message(self) -> str:
        return self.message_label.text()

    @property
    def hint(self) -> str:
        return self.hint_label.text()


class NoticeBar(_OneLineBar):
    """Notices that are not errors of a request: a corrupt file set aside, config warnings.
    The newest is on the line (with how many more there are); Details lists them all."""

    settingsRequested = QtCore.Signal()

    def __init__(self, parent: Optional[QtWidgets.QWidget] = None) -> None:
        super().__init__("noticeBar", NOTICE_STYLE, parent)
        self._lines: List[str] = []
        self.label = _label("noticeLabel", self.details_box)
        self.details_layout.addWidget(self.label)
        self.settings_button = _button("noticeSettingsButton", "Open Settings", self,
                                       "Open the settings dialog")
        self.settings_button.clicked.connect(self.settingsRequested)
        self.settings_button.hide()
        self.dismiss_button = _button("dismissNoticeButton", "Dismiss", self, "Hide these notices")
        self.dismiss_button.clicked.connect(self.clear)
        self.buttons.addWidget(self.settings_button)
        self.buttons.addWidget(self.dismiss_button)

    def add(self, text: str) -> None:
        text = for_gui(text)
        if text in self._lines:
            return
        self._lines = (self._lines + [text])[-MAX_NOTICES:]
        self._refresh()
        self.show()

    def _refresh(self) -> None:
        latest, more = self._summary()
        self.summary_label.setText(latest + (f"  (+{more} more)" if more else ""))
        self.label.setText("\n".join(self._lines))
        self.details_button.setVisible(bool(self._lines))
        self.settings_button.setVisible(names_settings(*self._lines))

    def _summary(self) -> Tuple[str, int]:
        return (self._lines[-1] if self._lines else ""), max(0, len(self._lines) - 1)

    def clear(self) -> None:
        self._lines = []
        self.label.clear()
        self.summary_label.clear()
        self._collapse()
        self.hide()

    @property
    def lines(self) -> List[str]:
        return list(self._lines)
