"""Approval cards: each write the agent proposes, previewed under the transcript, with Apply,
Reject and Apply all remaining.

:class:`QtApprover` is the panel's :class:`~nuke_ai_panel.agent.approval.Approver`: the loop
may call ``request`` / ``withdraw`` from any thread, so both only emit a signal that is
delivered queued on the main thread, where :class:`ApprovalArea` shows one
:class:`ApprovalCard` (objectName ``approvalCard``) per pending write. A card shows the
same preview as the helpers' dialog (:class:`~.action_preview.PreviewParts`: the nodes and
their wiring, the code with its risky lines, the lint findings), plus the agent's own kinds:
old -> new knob values, an input's old -> new source, the nodes to be deleted. It is read
only: a proposal is approved as proposed. Once decided (or withdrawn by Stop, which counts
as rejected) the card collapses into a one-line record (objectName ``approvalRecord``),
which the result of the write then completes ("applied" or why it failed).
"""

from __future__ import annotations

from typing import Any, List, Optional

from Qt import QtCore, QtWidgets

from nuke_ai_panel.agent.approval import Approval
from nuke_ai_panel.agent.proposals import ConnectInput, DeleteNodes, SetKnobs
from nuke_ai_panel.assist.actions import PasteNodes, RunPython

from .action_preview import DISABLED_NOTE_STYLE, PreviewParts
from .compact import ElidedLabel
from .plain_words import for_gui
from .widgets import plain_label, push_button

__all__ = ["ApprovalArea", "ApprovalCard", "QtApprover"]

CARD_STYLE = ("QFrame#approvalCard { border: 1px solid #f7931e; border-radius: 3px; } "
              "QFrame#approvalRecord { border: none; }")
PREVIEW_MAX_PX = 220
"""Height of a card's code (px; lists get half), so a card never pushes the prompt box away."""
MAX_AREA_PX = 420
"""The most the cards take of the panel's height before they scroll."""


def _fit_rows(view: QtWidgets.QAbstractItemView) -> None:
    """As tall as its rows (a list or tree shows no empty space), at most half a card's
    preview height; it scrolls beyond that."""
    model = view.model()
    rows = model.rowCount() if model is not None else 0
    if isinstance(view, QtWidgets.QTreeWidget):
        rows = sum(1 + view.topLevelItem(i).childCount() for i in range(rows))
    row = max(view.sizeHintForRow(0), view.fontMetrics().height() + 4)
    header = view.header().sizeHint().height() if isinstance(view, QtWidgets.QTreeView) and \
        not view.isHeaderHidden() else 0
    height = header + max(1, rows) * row + 2 * view.frameWidth() + 4
    view.setFixedHeight(min(height, PREVIEW_MAX_PX // 2 + header))


class QtApprover(QtCore.QObject):
    """The loop's approver for a Qt front end (see the module docstring). ``requested`` and
    ``withdrawn`` carry the :class:`Approval`, always on the main thread."""

    requested = QtCore.Signal(object)
    withdrawn = QtCore.Signal(object)
    _request = QtCore.Signal(object)
    _withdraw = QtCore.Signal(object)

    def __init__(self, parent: Optional[QtCore.QObject] = None) -> None:
        super().__init__(parent)
        # queued even on the main thread: the loop's call returns at once, as the protocol asks
        self._request.connect(self.requested.emit, QtCore.Qt.QueuedConnection)
        self._withdraw.connect(self.withdrawn.emit, QtCore.Qt.QueuedConnection)

    def request(self, approval: Approval) -> None:
        """Any thread: show ``approval``; returns at once."""
        _emit(self._request, approval)

    def withdraw(self, approval: Approval) -> None:
        """Any thread: Stop ended the turn; the card goes (counted as rejected)."""
        _emit(self._withdraw, approval)


def _emit(signal: Any, approval: Approval) -> None:
    """A panel closed while its turn was stopping is gone with its approver: nothing to show."""
    try:
        signal.emit(approval)
    except RuntimeError:
        pass


class ApprovalCard(QtWidgets.QFrame, PreviewParts):
    """One pending write: its preview and Apply / Reject / Apply all remaining, then a
    one-line record. ``approval.decide`` is called from here, once."""

    decided = QtCore.Signal(object)  # the card, after a decision or a withdrawal

    def __init__(self, approval: Approval, parent: Optional[QtWidgets.QWidget] = None) -> None:
        super().__init__(parent)
        self.setObjectName("approvalCard")
        self.setFrameShape(QtWidgets.QFrame.StyledPanel)
        self.setStyleSheet(CARD_STYLE)
        self.approval = approval
        self.init_parts(editable=False)
        proposal = approval.proposal
        layout = QtWidgets.QVBoxLayout(self)
        layout.setContentsMargins(6, 6, 6, 6)
        layout.setSpacing(4)
        self.body = QtWidgets.QWidget(self)
        body = QtWidgets.QVBoxLayout(self.body)
        body.setContentsMargins(0, 0, 0, 0)
        body.setSpacing(4)
        title = plain_label("approvalTitle", f"The assistant wants to change the comp: "
                                        f"{proposal.title}")
        font = title.font()
        font.setBold(True)
        title.setFont(font)
        body.addWidget(title)
        self._build_preview(body, proposal)
        self._add_findings(body, proposal.findings)
        body.addWidget(plain_label("previewUndoNote", f"Apply makes it one undo step, "
                                                 f"\u201c{proposal.title}\u201d."))
        layout.addWidget(self.body)
        self.record = ElidedLabel("", self)
        self.record.setObjectName("approvalRecordText")
        self.record.hide()
        layout.addWidget(self.record)
        self.apply_button = push_button("applyButton", "Apply",
                                        "Make this change, as one undo step")
        self.reject_button = push_button("rejectButton", "Reject",
                                         "Do not make this change; the assistant is told so")
        self.apply_all_button = push_button(
            "applyAllButton", "Apply all remaining",
            "Apply this change and every later change of this turn without asking")
        self.buttons = QtWidgets.QWidget(self)
        row = QtWidgets.QHBoxLayout(self.buttons)
        row.setContentsMargins(0, 0, 0, 0)
        blocked = plain_label("applyBlockedLabel", for_gui(proposal.disabled_note))
        blocked.setStyleSheet(DISABLED_NOTE_STYLE)
        blocked.setVisible(not proposal.allowed)
        row.addWidget(blocked, 1)
        row.addStretch(0 if not proposal.allowed else 1)
        for button in (self.reject_button, self.apply_all_button, self.apply_button):
            row.addWidget(button)
        for button in (self.apply_button, self.apply_all_button):
            button.setEnabled(proposal.allowed)
        layout.addWidget(self.buttons)
        self.apply_button.clicked.connect(lambda: self.decide(True))
        self.apply_all_button.clicked.connect(lambda: self.decide(True, all_remaining=True))
        self.reject_button.clicked.connect(lambda: self.decide(False))
        self.outcome = ""  # "approved", "rejected" or "withdrawn" once decided

    # -- the preview ------------------------------------------------------------------------

    def _build_preview(self, layout: QtWidgets.QVBoxLayout, proposal: Any) -> None:
        action = proposal.action
        if isinstance(action, PasteNodes):
            self._build_paste(layout, action)
        elif isinstance(action, RunPython):
            layout.addWidget(plain_label("previewSummary", "Run this Python:"))
            self._build_python(layout, action)
        elif isinstance(action, SetKnobs):
            self._build_knobs(layout, action)
        elif isinstance(action, ConnectInput):
            layout.addWidget(plain_label("previewConnection", action.describe()))
        elif isinstance(action, DeleteNodes):
            layout.addWidget(plain_label("previewDelete", action.describe()))
        else:
            layout.addWidget(plain_label("previewText", proposal.describe()))
        for widget in (self.code_edit, self.snippet_view):
            if widget is not None:
                widget.setMaximumHeight(PREVIEW_MAX_PX)
        for view in self.findChildren(QtWidgets.QAbstractItemView):
            _fit_rows(view)

    def _build_knobs(self, layout: QtWidgets.QVBoxLayout, action: SetKnobs) -> None:
        """Knob, value now, value after: one row per knob (expressions marked)."""
        layout.addWidget(plain_label("previewSummary", f"Knobs of {action.node}:"))
        table = QtWidgets.QTreeWidget()
        table.setObjectName("previewKnobs")
        table.setRootIsDecorated(False)
        table.setHeaderLabels(["Knob", "Now", "New"])
        for change in action.changes:
            now, new = change.cells()
            item = QtWidgets.QTreeWidgetItem([change.knob, now, new])
            for column, text in ((1, now), (2, new)):
                item.setToolTip(column, text)
            table.addTopLevelItem(item)
        table.resizeColumnToContents(0)
        layout.addWidget(table)
        if action.risk.findings:
            self.risk_list = QtWidgets.QListWidget()
            self.risk_list.setObjectName("previewRisks")
            layout.addWidget(self.risk_list)
            self._show_risks(action.risk)
        if action.warnings:
            layout.addWidget(plain_label("previewWarnings",
                                    "\n".join(f"\u26a0 {w}" for w in action.warnings)))

    # -- deciding ---------------------------------------------------------------------------

    @property
    def pending(self) -> bool:
        return not self.outcome

    def decide(self, approved: bool, all_remaining: bool = False) -> bool:
        """Apply (``approved``) or reject; False when the card was already decided."""
        if not self.pending:
            return False
        self.outcome = "approved" if approved else "rejected"
        self.approval.decide(approved, "", all_remaining)
        if approved:
            word = "\u2713 Approved" + (" (and all remaining)" if all_remaining else "")
        else:
            word = "\u2717 Rejected"
        self.collapse(f"{word}: {self.title}")
        return True

    def withdraw(self) -> None:
        """Stop ended the turn while this card waited: counted as rejected."""
        if self.pending:
            self.outcome = "withdrawn"
            self.collapse(f"\u25a0 Withdrawn (the turn was stopped; counted as rejected): "
                          f"{self.title}")

    @property
    def title(self) -> str:
        return self.approval.proposal.title

    def collapse(self, text: str) -> None:
        """Become a one-line record: the preview and the buttons go."""
        self.setObjectName("approvalRecord")
        self.setStyleSheet(CARD_STYLE)
        self.body.hide()
        self.buttons.hide()
        self.set_record(text)
        self.decided.emit(self)

    def set_record(self, text: str) -> None:
        self.record.setText(text)
        self.record.setToolTip(text)
        self.record.show()


class ApprovalArea(QtWidgets.QScrollArea):
    """Under the transcript: the pending card and this turn's records (objectName
    ``approvalArea``); hidden while it has nothing to show."""

    def __init__(self, parent: Optional[QtWidgets.QWidget] = None) -> None:
        super().__init__(parent)
        self.setObjectName("approvalArea")
        self.setWidgetResizable(True)
        self.setFrameShape(QtWidgets.QFrame.NoFrame)
        inner = QtWidgets.QWidget()
        self._layout = QtWidgets.QVBoxLayout(inner)
        self._layout.setContentsMargins(0, 0, 0, 0)
        self._layout.setSpacing(2)
        self._layout.addStretch(1)
        self.setWidget(inner)
        self.cards: List[ApprovalCard] = []
        self._need = 0  # the height to ask for (see _fit)
        self.hide()

    def add(self, approval: Approval) -> ApprovalCard:
        card = ApprovalCard(approval, self.widget())
        self.cards.append(card)
        self._layout.insertWidget(self._layout.count() - 1, card)
        card.decided.connect(lambda _card: self._fit())
        self._fit()
        self.show()
        QtCore.QTimer.singleShot(0, lambda: (self._fit(), self.ensureWidgetVisible(card)))
        return card

    def card_for(self, approval_or_id: Any) -> Optional[ApprovalCard]:
        """The card of an Approval, or of a call id."""
        for card in self.cards:
            if card.approval is approval_or_id or card.approval.call_id == approval_or_id:
                return card
        return None

    def pending(self) -> List[ApprovalCard]:
        return [card for card in self.cards if card.pending]

    def clear(self) -> None:
        """A new turn or conversation: the records of the last one go."""
        for card in self.cards:
            card.withdraw()
            card.setParent(None)
            card.deleteLater()
        self.cards = []
        self._fit()

    def resizeEvent(self, event: Any) -> None:
        super().resizeEvent(event)
        if self.pending():
            self._fit()

    def sizeHint(self) -> QtCore.QSize:
        return QtCore.QSize(super().sizeHint().width(), self._need)

    def _fit(self) -> None:
        """A pending card gets the height it needs at this width (at most
        :data:`MAX_AREA_PX`, then it scrolls); records only take their lines (at most a
        few)."""
        if not self.cards:
            self.hide()
            return
        if self.pending():
            self._layout.activate()
            inner = self.widget()
            width = self.viewport().width()
            need = inner.heightForWidth(width) if inner.hasHeightForWidth() and width > 50 \
                else inner.sizeHint().height()  # wrapped labels: as tall as at this width
            need = max(need, inner.minimumSizeHint().height()) + 2 * self.frameWidth()
            self._need = min(MAX_AREA_PX, need)
            self.setMaximumHeight(16777215)
            self.setMinimumHeight(self._need)
        else:
            self._need = (self.fontMetrics().height() + 12) * min(len(self.cards), 4)
            self.setMinimumHeight(0)
            self.setMaximumHeight(self._need)
        self.updateGeometry()
