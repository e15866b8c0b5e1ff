"""Fitting a narrow dock: buttons that fold to icons, combos that shrink, labels that elide.

A docked Nuke panel often gets 380-420 px. Like Nuke's own panels, :class:`CompactLayout`
watches one widget's width and, below a breakpoint, shows the registered buttons as icons
only (their label moves into the tooltip, so every control still says what it does) and
lets the registered combos shrink to a few characters; above it, labels come back. Fusion
gives a push button with text at least 80 px, which is what made the toolbar overflow.
:class:`ElidedLabel` is a one-line label that never asks for more width than it gets.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, Dict, List, Optional, Tuple

from Qt import QtCore, QtGui, QtWidgets

__all__ = ["CompactLayout", "ElidedLabel", "NARROW_PX", "toolbar_icon"]

#: Below this width (px) of the watched widget, buttons show icons only.
NARROW_PX = 560
ICON_DIR = Path(__file__).resolve().parents[2] / "icons" / "toolbar"
ICON_COLOUR, DISABLED_COLOUR = "#cfcfcf", "#5e5e5e"
ICON_SIZES = (16, 20, 24, 32)
_SP = QtWidgets.QStyle.StandardPixmap
# Qt's own icons, for a missing or unreadable SVG (no SVG image plugin in the Qt build).
_FALLBACK = {
    "settings": "SP_FileDialogDetailedView", "refresh": "SP_BrowserReload",
    "send": "SP_ArrowRight", "stop": "SP_MediaStop", "delete": "SP_TrashIcon",
    "export": "SP_DialogSaveButton", "new_chat": "SP_FileIcon",
    "edit": "SP_FileDialogContentsView", "details": "SP_MessageBoxInformation",
    "close": "SP_TitleBarCloseButton", "resend": "SP_ArrowBack", "undo": "SP_ArrowBack",
}
_icons: Dict[str, QtGui.QIcon] = {}


def toolbar_icon(name: str) -> QtGui.QIcon:
    """The toolbar icon ``name`` from ``icons/toolbar/NAME.svg`` (drawn again in a dim grey
    for the disabled state: Qt's own greying left it nearly as bright), else Qt's closest."""
    icon = _icons.get(name)
    if icon is None:
        icon = _svg_icon(ICON_DIR / f"{name}.svg")
        if icon is None:
            standard = getattr(_SP, _FALLBACK.get(name, "SP_FileIcon"))
            icon = QtWidgets.QApplication.style().standardIcon(standard)
        _icons[name] = icon
    return icon


def _svg_icon(path: Path) -> Optional[QtGui.QIcon]:
    try:
        svg = path.read_text(encoding="utf-8")
    except OSError:
        return None
    icon = QtGui.QIcon()
    for mode, colour in ((QtGui.QIcon.Normal, ICON_COLOUR), (QtGui.QIcon.Disabled,
                                                             DISABLED_COLOUR)):
        data = svg.replace(ICON_COLOUR, colour)
        for size in ICON_SIZES:
            sized = data.replace('width="16" height="16"', f'width="{size}" height="{size}"')
            pixmap = QtGui.QPixmap()
            if not pixmap.loadFromData(sized.encode("utf-8"), "SVG"):
                return None
            icon.addPixmap(pixmap, mode)
    return icon


class CompactLayout(QtCore.QObject):
    """Folds registered buttons to icons and shrinks registered combos while ``watched`` is
    narrower than its layout needs with full labels (and always below ``breakpoint`` px).
    ``compact`` says which way it is now; ``compactChanged(bool)`` fires when it flips."""

    compactChanged = QtCore.Signal(bool)

    def __init__(self, watched: QtWidgets.QWidget, breakpoint: int = NARROW_PX) -> None:
        super().__init__(watched)
        self.breakpoint = breakpoint
        self.compact = False
        self._wide_need = breakpoint
        self._buttons: List[Tuple[QtWidgets.QAbstractButton, str, str]] = []
        self._combos: List[Tuple[QtWidgets.QComboBox, int, int]] = []
        watched.installEventFilter(self)

    def add_button(self, button: QtWidgets.QAbstractButton, icon: str,
                   icon_only: bool = False) -> None:
        """Give ``button`` its icon and fold its label when narrow (always, ``icon_only``)."""
        button.setIcon(toolbar_icon(icon))
        entry = (button, button.text(), button.toolTip())
        if icon_only:
            _show(entry, True)
            return
        self._buttons.append(entry)
        _show(entry, self.compact)

    def set_label(self, button: QtWidgets.QAbstractButton, label: str, tip: str = "") -> None:
        """Change a registered button's label and tooltip (shown as the mode allows)."""
        for index, entry in enumerate(self._buttons):
            if entry[0] is button:
                self._buttons[index] = (button, label, tip)
                _show(self._buttons[index], self.compact)
                return
        button.setText(label)
        button.setToolTip(tip)

    def add_combo(self, combo: QtWidgets.QComboBox, wide: int, narrow: int) -> None:
        """Let ``combo`` shrink to ``narrow`` characters when narrow (``wide`` otherwise)."""
        combo.setSizeAdjustPolicy(
            QtWidgets.QComboBox.AdjustToMinimumContentsLengthWithIcon)
        self._combos.append((combo, wide, narrow))
        _fit(combo, narrow if self.compact else wide)

    def set_compact(self, compact: bool) -> None:
        if compact == self.compact:
            return
        self.compact = compact
        for entry in self._buttons:
            _show(entry, compact)
        for combo, wide, narrow in self._combos:
            _fit(combo, narrow if compact else wide)
        self.compactChanged.emit(compact)

    def eventFilter(self, watched: QtCore.QObject, event: QtCore.QEvent) -> bool:
        if event.type() in (QtCore.QEvent.Resize, QtCore.QEvent.LayoutRequest):
            self._decide(watched)
        return False

    def _decide(self, watched: Any) -> None:
        """Fold when the full labels do not fit; unfold once the width they needed is back."""
        width = watched.width()
        if not self.compact:
            layout = watched.layout()
            need = max(self.breakpoint, layout.minimumSize().width() if layout else 0)
            if width < need:
                self._wide_need = need
                self.set_compact(True)
        elif width >= max(self.breakpoint, self._wide_need):
            self.set_compact(False)


def _fit(combo: QtWidgets.QComboBox, characters: int) -> None:
    """Room for ``characters``. The minimum is set from the size hint because a combo's own
    minimum size hint counts its longest item, whatever its size adjust policy says."""
    combo.setMinimumContentsLength(characters)
    combo.setMinimumWidth(combo.sizeHint().width())


def _show(entry: Tuple[QtWidgets.QAbstractButton, str, str], compact: bool) -> None:
    button, label, tip = entry
    plain = label.replace("&", "").rstrip("\u2026").strip()
    if not any(c.isalnum() for c in plain):
        plain = ""  # a symbol such as ↻ says nothing in a tooltip
    if compact:
        button.setText("")
        button.setToolTip(tip if not plain or tip.lower().startswith(plain.lower())
                          else f"{plain}: {tip}" if tip else plain)
    else:
        button.setText(label)
        button.setToolTip(tip)


class ElidedLabel(QtWidgets.QLabel):
    """A one-line plain-text label that fits any width: the text is elided at the end, the
    whole of it in the tooltip; :meth:`text` is always the whole text."""

    def __init__(self, text: str = "", parent: Optional[QtWidgets.QWidget] = None) -> None:
        super().__init__(text, parent)
        self.setTextFormat(QtCore.Qt.PlainText)
        self.setSizePolicy(QtWidgets.QSizePolicy.Ignored, QtWidgets.QSizePolicy.Preferred)

    def minimumSizeHint(self) -> QtCore.QSize:
        return QtCore.QSize(0, super().minimumSizeHint().height())

    def sizeHint(self) -> QtCore.QSize:
        hint = super().sizeHint()
        return QtCore.QSize(min(hint.width(), 400), hint.height())

    def is_elided(self) -> bool:
        line = " ".join(self.text().split())
        return self.fontMetrics().boundingRect(line).width() > self.contentsRect().width()

    def paintEvent(self, event: Any) -> None:
        painter = QtGui.QPainter(self)
        rect = self.contentsRect()
        line = " ".join(self.text().split())
        shown = self.fontMetrics().elidedText(line, QtCore.Qt.ElideRight, rect.width())
        self.setToolTip(self.text() if shown != line else "")
        style = self.style()
        style.drawItemText(painter, rect, int(self.alignment()) | QtCore.Qt.TextSingleLine,
                           self.palette(), self.isEnabled(), shown, self.foregroundRole())
        painter.end()
