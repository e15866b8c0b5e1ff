"""Small pieces the settings dialog and its provider pages share: result wording (in plain
words), state colours and dots, the lazily filled model combo and plain-text note labels."""

from __future__ import annotations

from typing import TYPE_CHECKING, Tuple

from Qt import QtCore, QtGui, QtWidgets

if TYPE_CHECKING:  # the engine (aiohttp) loads on the worker thread, not with the UI
    from nuke_ai_panel.client import ConnectionCheck

from .plain_words import for_gui, kind_words

Qt = QtCore.Qt

#: A provider that only lacks its key or URL: not set up, which is not a failure.
UNSET = "unset"
STATE_COLOURS = {"ok": "#3fae5a", "error": "#e0554d", "warning": "#d9a13b", UNSET: "#a0a0a0"}


def format_check(check: ConnectionCheck) -> Tuple[str, str]:
    """``(text, state)`` for a finished test: ``ok: 23 ms, 5 models, server 0.5.1``."""
    if check.ok:
        parts = [f"{(check.latency or 0.0) * 1000:.0f} ms"]
        if check.model_count is not None:
            parts.append(f"{check.model_count} model{'' if check.model_count == 1 else 's'}")
        if check.version:
            parts.append(f"server {check.version}")
        return "ok: " + ", ".join(parts), "ok"
    return describe_failure(check.error_kind or "", check.error_message, check.hint)


def describe_failure(kind: str, message: str, hint: str = "",
                     not_set_up: bool = False) -> Tuple[str, str]:
    """``(text, state)`` for a test or model list that did not work, in plain words as the
    settings dialog says them (no kind id, no command-line flag, "above" for "in Settings").
    A provider that only lacks its key or URL (``Config.resolve`` raised
    :class:`~nuke_ai_panel.config.NotSetUp`) is *not set up* (state ``unset``)."""
    said = for_gui(message, inside_settings=True) or kind_words(kind).capitalize()
    advice = for_gui(hint, inside_settings=True)
    text = f"{said} \u2014 {advice}" if advice else said
    if not_set_up:
        return f"Not set up: {text}", UNSET
    return text, "error"


def set_state_style(label: QtWidgets.QLabel, state: str) -> None:
    """Colour ``label`` by state; the ``state`` property is there for studio stylesheets too."""
    label.setProperty("state", state)
    colour = STATE_COLOURS.get(state)
    label.setStyleSheet(f"color: {colour};" if colour else "")


class ModelCombo(QtWidgets.QComboBox):
    """An editable model combo that asks for the live list the first time it drops down."""

    popupRequested = QtCore.Signal()

    def showPopup(self) -> None:
        self.popupRequested.emit()
        super().showPopup()


def note_label(name: str, visible: bool = False) -> QtWidgets.QLabel:
    """A wrapped plain-text label named ``name`` (messages quote servers: never rich text)."""
    label = QtWidgets.QLabel("")
    label.setObjectName(name)
    label.setWordWrap(True)
    label.setTextFormat(Qt.TextFormat.PlainText)
    label.setVisible(visible)
    return label


def state_icon(state: str, size: int = 12) -> QtGui.QIcon:
    """A coloured dot for the provider list: ok, error, running or nothing."""
    pixmap = QtGui.QPixmap(size, size)
    pixmap.fill(QtGui.QColor(0, 0, 0, 0))
    colour = {"ok": STATE_COLOURS["ok"], "error": STATE_COLOURS["error"],
              "running": "#8a8a8a", UNSET: STATE_COLOURS[UNSET]}.get(state)
    if colour:
        painter = QtGui.QPainter(pixmap)
        painter.setRenderHint(QtGui.QPainter.RenderHint.Antialiasing)
        if state == UNSET:  # a ring: nothing wrong, just nothing set
            painter.setPen(QtGui.QPen(QtGui.QColor(colour), 1.5))
            painter.setBrush(Qt.BrushStyle.NoBrush)
        else:
            painter.setPen(Qt.PenStyle.NoPen)
            painter.setBrush(QtGui.QColor(colour))
        painter.drawEllipse(1, 1, size - 2, size - 2)
        painter.end()
    return QtGui.QIcon(pixmap)
