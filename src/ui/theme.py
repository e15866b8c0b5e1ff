"""The dark theme: the one place its colours are defined (standalone app, screenshots, tests,
the transcript's text and code colours).

Close to Nuke's own colours, so answers look as they will inside Nuke (where Nuke's palette
is used instead). A palette colour set without a group applies to every group, disabled
included, which made disabled buttons look enabled; so the disabled group is set here on
purpose: dimmer text, a flatter button, no orange highlight. Qt is imported only by the
functions that build the palette, so the pure modules (Markdown, highlighting) can read the
colours without a Qt binding.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Dict

if TYPE_CHECKING:
    from Qt import QtGui, QtWidgets

# The transcript: dim text (model names, notes), warnings, errors, applied steps, code blocks.
DIM = "#8a8a8a"
WARN = "#e0a050"
ERROR = "#e06c60"
APPLIED = "#7fbf7f"
CODE_BG = "#1d1f21"
CODE_FG = "#d8d8d8"

_ACTIVE: Dict[str, str] = {
    "Window": "#323232", "WindowText": "#d0d0d0", "Base": "#262626",
    "AlternateBase": "#2e2e2e", "Text": "#d8d8d8", "Button": "#3a3a3a",
    "ButtonText": "#d8d8d8", "BrightText": "#ffffff", "Highlight": "#f7931e",
    "HighlightedText": "#111111", "Link": "#f0a860", "ToolTipBase": "#3a3a3a",
    "ToolTipText": "#d8d8d8", "PlaceholderText": "#808080", "Light": "#4a4a4a",
    "Midlight": "#404040", "Mid": "#2a2a2a", "Dark": "#202020", "Shadow": "#141414",
}
_DISABLED: Dict[str, str] = {
    "WindowText": "#6a6a6a", "Text": "#6a6a6a", "ButtonText": "#6a6a6a",
    "Button": "#2e2e2e", "Base": "#2b2b2b", "Highlight": "#4a4a4a",
    "HighlightedText": "#8a8a8a", "PlaceholderText": "#5a5a5a", "Link": "#7a6a5a",
}


def dark_palette() -> "QtGui.QPalette":
    """The dark palette, with its own disabled colours."""
    from Qt import QtGui

    role = QtGui.QPalette.ColorRole
    palette = QtGui.QPalette()
    for name, colour in _ACTIVE.items():
        palette.setColor(getattr(role, name), QtGui.QColor(colour))
    disabled = QtGui.QPalette.ColorGroup.Disabled
    for name, colour in _DISABLED.items():
        palette.setColor(disabled, getattr(role, name), QtGui.QColor(colour))
    return palette


def apply_dark_theme(app: "QtWidgets.QApplication") -> None:
    """Fusion and the dark palette on ``app`` (never inside Nuke: Nuke has its own)."""
    app.setStyle("Fusion")
    app.setPalette(dark_palette())
