"""Small widget factories the chat panel's parts share."""

from __future__ import annotations

from Qt import QtWidgets


def push_button(name: str, text: str, tip: str = "") -> QtWidgets.QPushButton:
    """A push button with an objectName (for tests and studio stylesheets) that never
    becomes the default button, so Enter in the prompt box does not press it."""
    button = QtWidgets.QPushButton(text)
    button.setObjectName(name)
    button.setAutoDefault(False)
    if tip:
        button.setToolTip(tip)
    return button
