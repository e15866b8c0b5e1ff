"""Small widget factories the chat panel's parts share."""

from __future__ import annotations

from typing import Optional

from Qt import QtCore, QtWidgets


def push_button(name: str, text: str, tip: str = "") -> QtWidgets.QPushButton:
    """A push button with an objectName (for tests and studio stylesheets) that never
    becomes the default button, so Enter in the prompt box does not press it."""
    button = QtWidgets.QPushButton(text)
    button.setObjectName(name)
    button.setAutoDefault(False)
    if tip:
        button.setToolTip(tip)
    return button


def plain_label(name: str, text: str = "", wrap: bool = True,
                parent: Optional[QtWidgets.QWidget] = None) -> QtWidgets.QLabel:
    """A label with an objectName that shows ``text`` as plain text (never as rich text: it
    may quote a server or a model) and lets the artist select and copy it."""
    label = QtWidgets.QLabel(text, parent)
    label.setObjectName(name)
    label.setTextFormat(QtCore.Qt.PlainText)
    label.setWordWrap(wrap)
    label.setTextInteractionFlags(QtCore.Qt.TextSelectableByMouse)
    return label
