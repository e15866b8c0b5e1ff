"""The confirm step of the node-graph helpers: what an action will do, then Apply or Cancel.

Nodes to be pasted are listed with their key knobs and every connection; code is shown
with its risky lines highlighted and the reasons listed; an expression is shown with its
knob. A paste or an expression that would run code (``onCreate``, ``knobChanged``,
``[python ...]``, Python buttons...) gets the same treatment as risky Python: a red note,
the flagged knobs listed with their reasons (on the node, whatever the knob cap), and the
snippet text with the flagged lines highlighted. Code and expressions may be edited before
applying (the scan runs again). When the settings turn code execution off, the code is
read-only, Apply is disabled for anything that runs code, and a note says why. The dialog
never changes the graph itself: the controller applies on accept.
"""

from __future__ import annotations

from typing import Any, Callable, List, Optional

from Qt import QtCore, QtGui, QtWidgets

from nuke_ai_panel.assist.actions import Action, PasteNodes, RunPython, SetExpression
from nuke_ai_panel.graph.lint import describe_finding
from nuke_ai_panel.graph.risk import DANGER, WARNING, Finding, RiskReport

from .plain_words import for_gui
from .widgets import plain_label

__all__ = ["ActionPreviewDialog", "PreviewParts"]

DANGER_COLOUR = "#6b2a2a"
WARNING_COLOUR = "#5c4a1e"
RESCAN_MS = 250
RISK_NOTE_STYLE = ("QLabel { background-color: #6b2a2a; color: #ffffff; padding: 4px; "
                   "border-radius: 3px; }")
DISABLED_NOTE_STYLE = "QLabel { color: #e0a050; }"
CLEAN_TEXT = "No risky calls found. (A static scan: it cannot see everything code can do.)"


def _monospace() -> QtGui.QFont:
    return QtGui.QFontDatabase.systemFont(QtGui.QFontDatabase.FixedFont)


class PreviewParts:
    """The parts of a preview that show what an action will do (nodes and wiring, code with
    its risky lines, lint findings), shared by the helpers' dialog and the agent's approval
    cards (:mod:`.approval_card`). A host widget calls :meth:`init_parts` first; with
    ``editable`` False the code is shown read-only (an agent's proposal is approved as
    proposed)."""

    code_edit: Optional[QtWidgets.QPlainTextEdit] = None
    snippet_view: Optional[QtWidgets.QPlainTextEdit] = None
    expression_edit: Optional[QtWidgets.QLineEdit] = None
    risk_list: Optional[QtWidgets.QListWidget] = None
    disabled_note: Optional[QtWidgets.QLabel] = None
    editable = True

    def init_parts(self, editable: bool = True) -> None:
        self.code_edit = self.snippet_view = self.expression_edit = None
        self.risk_list = self.disabled_note = None
        self.editable = editable

    # -- building ----------------------------------------------------------------------------

    def _add_findings(self, layout: QtWidgets.QVBoxLayout, findings: Any) -> None:
        """What the check against Nuke's node classes still found after the repair round:
        shown, not blocking (the catalogue may not know a gizmo the artist has)."""
        if not findings:
            return
        label = plain_label("previewFindingsLabel",
                       f"⚠ Not in Nuke's node classes ({len(findings)}): check before applying")
        label.setStyleSheet(DISABLED_NOTE_STYLE)
        layout.addWidget(label)
        box = QtWidgets.QListWidget()
        box.setObjectName("previewFindings")
        box.addItems([describe_finding(f) for f in findings])
        box.setMaximumHeight(24 * min(len(findings), 4) + 8)
        layout.addWidget(box)

    def _add_disabled_note(self, layout: QtWidgets.QVBoxLayout, action: Action) -> None:
        note = plain_label("codeDisabledNote", for_gui(action.disabled_note))
        note.setStyleSheet(DISABLED_NOTE_STYLE)
        note.setVisible(not action.allowed)
        self.disabled_note = note
        layout.addWidget(note)

    def _build_paste(self, layout: QtWidgets.QVBoxLayout, action: PasteNodes) -> None:
        preview = action.preview
        risk = action.risk
        if risk.findings:
            banner = plain_label("pasteRiskNote",
                            f"\u26d4 Pasting runs code in Nuke: {len(risk.findings)} flagged "
                            "item(s) below (callbacks such as onCreate run at once; others run "
                            "later, whenever Nuke evaluates them). Check them before pasting.")
            banner.setStyleSheet(RISK_NOTE_STYLE)
            layout.addWidget(banner)
            self._add_disabled_note(layout, action)
        layout.addWidget(plain_label("previewSummary", f"Nodes to be created ({len(preview.nodes)}):"))
        tree = QtWidgets.QTreeWidget()
        tree.setObjectName("previewNodes")
        tree.setHeaderLabels(["Node", "Class", "Knobs"])
        tree.setRootIsDecorated(bool(risk.findings))
        for node in preview.nodes:
            knobs = ", ".join(f"{k} {v}" for k, v in node.knobs)
            item = QtWidgets.QTreeWidgetItem([node.name, node.node_class, knobs])
            if node.parent:
                item.setToolTip(0, f"inside {node.parent}")
            if node.flagged:
                worst = DANGER if any(f.severity == DANGER for f in node.flagged) else WARNING
                _paint(item, worst, 3)
                item.setToolTip(2, "\n".join(f"{f.knob or node.name}: {f.reason}"
                                              for f in node.flagged))
                for finding in node.flagged:
                    child = QtWidgets.QTreeWidgetItem(
                        [f"{_symbol(finding)} {finding.knob or 'the node itself'}", "",
                         finding.reason])
                    child.setToolTip(2, finding.call)
                    _paint(child, finding.severity, 3)
                    item.addChild(child)
            tree.addTopLevelItem(item)
        tree.expandAll()
        tree.resizeColumnToContents(0)
        tree.resizeColumnToContents(1)
        layout.addWidget(tree, 2)
        layout.addWidget(plain_label("previewConnectionsLabel", "Connections:"))
        connections = QtWidgets.QListWidget()
        connections.setObjectName("previewConnections")
        for source, target, label in preview.connections:
            connections.addItem(f"{source} \u2192 {target} ({label})")
        if not preview.connections:
            connections.addItem("(none: the nodes are pasted unconnected)")
        layout.addWidget(connections, 1)
        if preview.warnings:
            warnings = plain_label("previewWarnings", "\n".join(f"\u26a0 {w}" for w in preview.warnings))
            layout.addWidget(warnings)
        if risk.findings:
            view = QtWidgets.QPlainTextEdit()
            view.setObjectName("previewSnippet")
            view.setFont(_monospace())
            view.setLineWrapMode(QtWidgets.QPlainTextEdit.NoWrap)
            view.setPlainText(action.snippet)
            view.setReadOnly(True)
            self.snippet_view = view
            layout.addWidget(plain_label("previewSnippetLabel", "The snippet, flagged lines highlighted:"))
            layout.addWidget(view, 2)
            self.risk_list = QtWidgets.QListWidget()
            self.risk_list.setObjectName("previewRisks")
            layout.addWidget(self.risk_list, 1)
            self._show_risks(risk)

    def _build_python(self, layout: QtWidgets.QVBoxLayout, action: RunPython) -> None:
        edit = QtWidgets.QPlainTextEdit()
        edit.setObjectName("previewCode")
        edit.setFont(_monospace())
        edit.setLineWrapMode(QtWidgets.QPlainTextEdit.NoWrap)
        edit.setPlainText(action.code)
        edit.setReadOnly(not (action.allowed and self.editable))
        self.code_edit = edit
        if not action.allowed:
            self._add_disabled_note(layout, action)
        layout.addWidget(edit, 3)
        self.risk_list = QtWidgets.QListWidget()
        self.risk_list.setObjectName("previewRisks")
        layout.addWidget(self.risk_list, 1)
        self._show_risks(action.risk)
        if action.allowed and self.editable:
            edit.textChanged.connect(self._rescan.start)  # type: ignore[attr-defined]

    def _show_risks(self, risk: RiskReport) -> None:
        assert self.risk_list is not None
        self.risk_list.clear()
        selections: List[Any] = []
        if risk.syntax_error:
            self.risk_list.addItem(f"\u26d4 syntax error: {risk.syntax_error} (it will not run)")
        for finding in risk.findings:
            item = QtWidgets.QListWidgetItem(f"{_symbol(finding)} {finding.describe()}")
            item.setData(QtCore.Qt.UserRole, finding.line)
            item.setToolTip(finding.call)
            _paint(item, finding.severity)
            self.risk_list.addItem(item)
            selections.append(self._line_selection(finding.line, finding.severity, finding.reason))
        if risk.clean:
            self.risk_list.addItem(CLEAN_TEXT)
        if self.expression_edit is not None:
            self.risk_list.setVisible(not risk.clean)
        edit = self._highlighted_edit()
        if edit is not None:
            edit.setExtraSelections([s for s in selections if s is not None])

    def _highlighted_edit(self) -> Optional[QtWidgets.QPlainTextEdit]:
        return self.code_edit if self.code_edit is not None else self.snippet_view

    def _line_selection(self, line: int, severity: str, reason: str) -> Any:
        edit = self._highlighted_edit()
        if edit is None:
            return None
        block = edit.document().findBlockByLineNumber(max(0, line - 1))
        if not block.isValid():
            return None
        selection = QtWidgets.QTextEdit.ExtraSelection()
        colour = DANGER_COLOUR if severity == DANGER else WARNING_COLOUR
        selection.format.setBackground(QtGui.QColor(colour))
        selection.format.setProperty(QtGui.QTextFormat.FullWidthSelection, True)
        selection.format.setToolTip(reason)
        selection.cursor = QtGui.QTextCursor(block)
        return selection

    def highlighted_lines(self) -> List[int]:
        """1-based line numbers currently highlighted as risky (for tests and tooltips)."""
        edit = self._highlighted_edit()
        if edit is None:
            return []
        return [s.cursor.blockNumber() + 1 for s in edit.extraSelections()]


class ActionPreviewDialog(QtWidgets.QDialog, PreviewParts):
    """Shows ``action``; ``action()`` returns it as the artist left it (edits included)."""

    def __init__(self, action: Action, parent: Optional[QtWidgets.QWidget] = None,
                 evaluate: Optional[Callable[[str], Any]] = None) -> None:
        super().__init__(parent)
        self.setObjectName("actionPreviewDialog")
        self.setWindowTitle("Preview: " + action.title)
        self._action = action
        self.init_parts()
        self.values_label: Optional[QtWidgets.QLabel] = None
        self._evaluate = evaluate
        self._rescan = QtCore.QTimer(self)
        self._rescan.setSingleShot(True)
        self._rescan.setInterval(RESCAN_MS)
        self._rescan.timeout.connect(self._update_risks)
        layout = QtWidgets.QVBoxLayout(self)
        layout.addWidget(plain_label("previewTitle", action.title))
        if isinstance(action, PasteNodes):
            self._build_paste(layout, action)
        elif isinstance(action, RunPython):
            self._build_python(layout, action)
        else:
            self._build_expression(layout, action)
        self._add_findings(layout, getattr(action, "findings", ()))
        layout.addWidget(plain_label("previewUndoNote",
                                f"Apply makes it one undo step, \u201c{action.title}\u201d: "
                                "Ctrl+Z takes it all back."))
        self.apply_button = QtWidgets.QPushButton("Apply")
        self.apply_button.setObjectName("applyButton")
        self.cancel_button = QtWidgets.QPushButton("Cancel")
        self.cancel_button.setObjectName("cancelButton")
        for button in (self.apply_button, self.cancel_button):
            button.setAutoDefault(False)
        self.blocked_label = plain_label("applyBlockedLabel")
        self.blocked_label.setStyleSheet(DISABLED_NOTE_STYLE)
        buttons = QtWidgets.QHBoxLayout()
        buttons.addWidget(self.blocked_label, 1)
        buttons.addWidget(self.cancel_button)
        buttons.addWidget(self.apply_button)
        layout.addLayout(buttons)
        self.apply_button.clicked.connect(self.accept)
        self.cancel_button.clicked.connect(self.reject)
        self._update_apply(action)
        self.resize(620, 480)

    def _update_apply(self, action: Action) -> None:
        """Apply is enabled only when the action may run; when not, the button's row says
        why (the first sentence of the note; all of it in the tooltip)."""
        allowed = action.allowed
        note = for_gui(action.disabled_note)
        reason = "" if allowed else (note.split(". ")[0].rstrip(".") + ".")
        self.apply_button.setEnabled(allowed)
        self.apply_button.setToolTip("Make this change, as one undo step" if allowed
                                     else f"Apply is off: {note}")
        self.blocked_label.setText(reason)
        self.blocked_label.setToolTip(note)
        self.blocked_label.setVisible(not allowed)
        if self.disabled_note is not None:
            self.disabled_note.setText(for_gui(action.disabled_note))
            self.disabled_note.setVisible(not allowed)

    # -- building (the dialog's own) ---------------------------------------------------

    def _build_expression(self, layout: QtWidgets.QVBoxLayout, action: SetExpression) -> None:
        self._add_disabled_note(layout, action)
        layout.addWidget(plain_label("previewKnob", f"Expression for {action.node}.{action.knob}:"))
        edit = QtWidgets.QLineEdit(action.expression)
        edit.setObjectName("previewExpression")
        edit.setFont(_monospace())
        self.expression_edit = edit
        layout.addWidget(edit)
        if self._evaluate is not None:
            self.values_label = plain_label("expressionValues")
            layout.addWidget(self.values_label)
            self._show_values(action.expression)
        self.risk_list = QtWidgets.QListWidget()
        self.risk_list.setObjectName("previewRisks")
        layout.addWidget(self.risk_list, 1)
        self._show_risks(action.risk)
        edit.textChanged.connect(self._rescan.start)
        layout.addStretch(1)

    # -- risks ------------------------------------------------------------------------------

    def _update_risks(self) -> None:
        if self.code_edit is not None and isinstance(self._action, RunPython):
            self._show_risks(self._action.with_code(self.code_edit.toPlainText()).risk)
        elif self.expression_edit is not None and isinstance(self._action, SetExpression):
            edited = self._action.with_expression(self.expression_edit.text().strip())
            self._show_risks(edited.risk)
            self._update_apply(edited)
            self._show_values(edited.expression)

    def _show_values(self, expression: str) -> None:
        """The knob's value now and the expression's at the first and last frame."""
        if self.values_label is None or self._evaluate is None:
            return
        self.values_label.setText("\n".join(self._evaluate(expression).lines()))

    # -- result -----------------------------------------------------------------------------

    def action(self) -> Action:
        """The action to apply, with the artist's edits to the code or expression."""
        action = self._action
        if isinstance(action, RunPython) and self.code_edit is not None and action.allowed:
            code = self.code_edit.toPlainText()
            return action if code == action.code else action.with_code(code)
        if isinstance(action, SetExpression) and self.expression_edit is not None:
            text = self.expression_edit.text().strip()
            if text and text != action.expression:
                return action.with_expression(text)
        return action


def _symbol(finding: Finding) -> str:
    return "\u26d4" if finding.severity == DANGER else "\u26a0"


def _paint(item: Any, severity: str, columns: int = 1) -> None:
    """Tint a list or tree item the way risky code lines are tinted."""
    brush = QtGui.QBrush(QtGui.QColor(DANGER_COLOUR if severity == DANGER else WARNING_COLOUR))
    if isinstance(item, QtWidgets.QTreeWidgetItem):
        for column in range(columns):
            item.setBackground(column, brush)
    else:
        item.setBackground(brush)
