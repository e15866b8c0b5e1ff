"""The prompt box: Enter sends, Shift+Enter starts a new line, Esc asks to stop, and Up / Down
browse the prompts sent before, like a shell. A pasted or dropped image goes to the
attachment tray (``image_sink``), not into the text.

Up recalls an older prompt only when the caret is on the first line (Down: the last line),
so moving through a multi-line prompt works as usual; the prompt being typed is kept as the
draft and comes back after the newest entry.
"""

from __future__ import annotations

from typing import Any, Dict, List, Optional

from Qt import QtCore, QtGui, QtWidgets

__all__ = ["PromptEdit", "PromptHistory"]


class PromptHistory:
    """Prompts sent, oldest first, and where browsing is (``index`` None: at the draft).
    An entry edited while browsing keeps the edit until the next prompt is sent, as in a
    shell, so nothing typed is lost by moving through the history."""

    def __init__(self, limit: int = 200) -> None:
        self.limit = limit
        self.entries: List[str] = []
        self.index: Optional[int] = None
        self.draft = ""
        self._edits: Dict[int, str] = {}

    def add(self, text: str) -> None:
        """Remember ``text`` (not blank, not the same as the last one) and stop browsing."""
        if text.strip() and (not self.entries or self.entries[-1] != text):
            self.entries = (self.entries + [text])[-self.limit:]
        self.index = None
        self.draft = ""
        self._edits = {}

    def _keep(self, current: str) -> None:
        if self.index is None:
            self.draft = current
        elif current != self.entries[self.index]:
            self._edits[self.index] = current
        else:
            self._edits.pop(self.index, None)

    def _shown(self) -> str:
        assert self.index is not None
        return self._edits.get(self.index, self.entries[self.index])

    def older(self, current: str) -> Optional[str]:
        """The entry before the one shown (``current``, the text in the box, is kept); None
        at the oldest."""
        if not self.entries or self.index == 0:
            return None
        self._keep(current)
        self.index = len(self.entries) - 1 if self.index is None else self.index - 1
        return self._shown()

    def newer(self, current: str) -> Optional[str]:
        """The entry after the one shown, the draft after the newest; None when not browsing."""
        if self.index is None:
            return None
        self._keep(current)
        self.index += 1
        if self.index >= len(self.entries):
            self.index = None
            return self.draft
        return self._shown()


class PromptEdit(QtWidgets.QPlainTextEdit):
    submitted = QtCore.Signal()
    cancelRequested = QtCore.Signal()

    def __init__(self, parent: Optional[QtWidgets.QWidget] = None) -> None:
        super().__init__(parent)
        self.setObjectName("promptEdit")
        self.setTabChangesFocus(True)
        self.history = PromptHistory()
        self.setPlaceholderText("Ask the assistant (Enter sends, Shift+Enter adds a line, "
                                "Up recalls, Esc stops; /help for commands)")
        self.setToolTip("Enter sends, Shift+Enter adds a line; Up and Down recall earlier "
                        "prompts; /help lists the commands.")
        # Takes pasted and dropped images (``accepts(mime)``, ``take_mime(mime)``): the
        # panel's AttachmentController (src/ui/attachments.py); None: text only.
        self.image_sink: Any = None

    def canInsertFromMimeData(self, source: Any) -> bool:  # noqa: N802 - Qt's name
        sink = self.image_sink
        return (sink is not None and sink.accepts(source)) or \
            super().canInsertFromMimeData(source)

    def insertFromMimeData(self, source: Any) -> None:  # noqa: N802 - Qt's name
        sink = self.image_sink
        if sink is not None and sink.accepts(source) and sink.take_mime(source):
            return
        super().insertFromMimeData(source)

    def keyPressEvent(self, event: Any) -> None:
        key = event.key()
        plain = not (event.modifiers() & (QtCore.Qt.ShiftModifier | QtCore.Qt.ControlModifier
                                          | QtCore.Qt.AltModifier | QtCore.Qt.MetaModifier))
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
        if plain and key == QtCore.Qt.Key_Up and self._at_edge(QtGui.QTextCursor.Up):
            self._recall(self.history.older(self.toPlainText()), at_end=False)
            event.accept()
            return
        if plain and key == QtCore.Qt.Key_Down and self._at_edge(QtGui.QTextCursor.Down):
            self._recall(self.history.newer(self.toPlainText()), at_end=True)
            event.accept()
            return
        super().keyPressEvent(event)

    def _at_edge(self, direction: Any) -> bool:
        """Is the caret on the first (Up) or last (Down) line, wrapped lines counted?"""
        cursor = QtGui.QTextCursor(self.textCursor())
        return not cursor.movePosition(direction)

    def _recall(self, text: Optional[str], at_end: bool) -> None:
        if text is None:
            return
        self.setPlainText(text)
        cursor = self.textCursor()
        cursor.movePosition(QtGui.QTextCursor.End if at_end else QtGui.QTextCursor.Start)
        if not at_end:
            cursor.movePosition(QtGui.QTextCursor.EndOfLine)
        self.setTextCursor(cursor)

    def remember(self, text: str) -> None:
        """A prompt was sent (or a command run): it becomes the newest history entry."""
        self.history.add(text)

    def sizeHint(self) -> QtCore.QSize:
        hint = super().sizeHint()
        lines = 4
        return QtCore.QSize(hint.width(), self.fontMetrics().lineSpacing() * lines + 12)
