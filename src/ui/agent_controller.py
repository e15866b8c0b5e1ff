"""Agent mode in the chat panel (DESIGN section 11): the mode picker, agent turns, approval
cards, the steps in the transcript and "Undo this turn".

A prompt sent in Ask or Agent mode becomes :meth:`ChatSession.send_agent` on the panel's
host (``NukeHost`` inside Nuke, the standalone app's ``ScriptHost``) with a
:class:`~.approval_card.QtApprover`. Everything here runs on the main thread: the session's
events arrive through the panel's Qt dispatcher, the approver's calls through queued signals;
the loop and tool threads never touch a widget. What it shows:

* each tool call as one line of the transcript (:mod:`.agent_steps`), expandable;
* each proposed write as an :class:`~.approval_card.ApprovalCard` under the transcript;
  Stop while one waits withdraws it (counted as rejected);
* ``undoTurnButton``: after a turn that applied writes, undoes them all (last first), and
  says exactly what it did, including a step it could not undo;
* a model or server without tool support: a plain notice that Chat mode and the one-shot
  helpers still work, instead of an error to retry.
"""

from __future__ import annotations

from typing import Any, Dict, Optional, Sequence

from Qt import QtCore

from nuke_ai_panel.agent.setup import AgentOptions
from nuke_ai_panel.config import SettingError
from nuke_ai_panel.providers.base import NO_TOOLS_HINT
from nuke_ai_panel.session import Target, Turn

from .agent_mode import CHAT, MODE_PATH, ModeCombo
from .agent_steps import APPROVED, REJECTED, SCHEME, WAITING, ToolStep, step_block_html
from .approval_card import ApprovalArea, QtApprover
from .widgets import push_button

__all__ = ["AgentController", "NO_TOOLS_NOTICE"]

NO_TOOLS_NOTICE = ("{model} cannot call tools, so {mode} mode cannot work with it ({why}). "
                   "Chat mode and the one-shot helpers (/explain, /build, /fix, /script, "
                   "/expr) still work: switch the mode to Chat, or pick a model that supports "
                   "tool calling.")


class AgentController(QtCore.QObject):
    """Agent mode for one :class:`~.chat_panel.ChatPanel`. Signals: ``cardShown`` (an
    ApprovalCard), ``compChanged`` (a write was applied or undone: redraw the comp),
    ``undoReported`` (the :class:`~nuke_ai_panel.agent.UndoReport`)."""

    cardShown = QtCore.Signal(object)
    compChanged = QtCore.Signal()
    undoReported = QtCore.Signal(object)

    def __init__(self, panel: Any) -> None:
        super().__init__(panel)
        self.panel = panel
        self.mode_combo = ModeCombo()
        self.undo_button = push_button(
            "undoTurnButton", "Undo this turn",
            "Undo every change the last agent turn applied, last first")
        self.undo_button.setEnabled(False)
        self.area = ApprovalArea()
        self.approver = QtApprover(self)
        self.steps: Dict[str, ToolStep] = {}
        self._serials: Dict[int, ToolStep] = {}
        self._serial = 0
        self._turn: Optional[Turn] = None  # the agent turn shown (in flight or last)
        self.undo_turn: Optional[Turn] = None  # the turn "Undo this turn" undoes
        self.approver.requested.connect(self._on_request)
        self.approver.withdrawn.connect(self._on_withdraw)
        self.mode_combo.modeChosen.connect(self._save_mode)
        self.undo_button.clicked.connect(self.undo)
        session = panel.session
        session.on_turn_started.add(self._on_turn_started)
        session.on_event.add(self._on_event)
        session.on_turn_ended.add(self._on_turn_ended)
        self.use_config(panel.config)

    def attach(self) -> None:
        """Once the panel's widgets exist (its layout placed this controller's): follow
        clicks on the steps' arrows."""
        self.panel.transcript.anchorClicked.connect(self._on_anchor)

    # -- the mode -----------------------------------------------------------------------------

    @property
    def mode(self) -> str:
        return self.mode_combo.mode

    def use_config(self, config: Any) -> None:
        self.mode_combo.use_config(config)
        self._enable()

    def set_mode(self, mode: str) -> bool:
        """Pick ``mode`` as the artist would; False when it cannot be picked now."""
        combo = self.mode_combo
        if not combo.isEnabled() or not combo.is_selectable(mode):
            return False
        combo.setCurrentIndex(combo.index_of(mode))
        self._save_mode(mode)
        return True

    def _save_mode(self, mode: str) -> None:
        config = self.panel.config
        if config.get(MODE_PATH) != mode and not config.is_locked(MODE_PATH):
            self.panel.update_config({MODE_PATH: mode})

    # -- sending ------------------------------------------------------------------------------

    def send(self, text: str, target: Target, images: Sequence[Any] = ()) -> Optional[Turn]:
        """An agent turn in the current mode on the panel's host, with ``images`` (image
        attachments); None (with a notice) when there is no comp to work on or the options
        are invalid."""
        host = self.panel.host
        if host is None:
            self.panel.transcript.add_notice(
                "There is no comp to work on here: switch the mode to Chat.", "warning")
            return None
        try:
            options = AgentOptions.from_config(self.panel.config, mode=self.mode)
        except (SettingError, ValueError) as exc:
            self.panel.notices.add(f"Agent settings are not usable: {exc}")
            return None
        return self.panel.session.send_agent(text, target, host, self.approver, options,
                                             images=images)

    @property
    def agent_mode(self) -> bool:
        """True when a prompt is sent as an agent turn (Ask or Agent)."""
        return self.mode != CHAT

    # -- what the session reports (main thread) -----------------------------------------------

    def _on_turn_started(self, turn: Turn) -> None:
        self.area.clear()
        if turn.is_agent:
            self._turn = turn
            self.steps = {}  # this turn's calls by id; earlier lines stay openable by serial
        self._enable()

    def _on_event(self, turn: Turn, event: Any) -> None:
        kind = event.type
        if turn is not self._turn:  # a notice of any turn is the chat panel's to show
            return
        elif kind == "tool_call":
            self._serial += 1
            step = ToolStep(self._serial, event.id, event.name, event.arguments, loop=turn.loop)
            self.steps[event.id] = self._serials[self._serial] = step
            self._draw(step, new=True)
            self.panel.set_status(f"running {event.name}\u2026")
        elif kind == "approval":
            step = self.steps.get(event.id)
            if step is not None:
                step.approved = event.approved
                step.state = APPROVED if event.approved else REJECTED
                self._draw(step)
        elif kind == "tool_result":
            self._on_result(event)
        elif kind == "agent_done" and (event.applied or event.rejected or event.limit_reached):
            limit = " The step limit was reached." if event.limit_reached else ""
            self.panel.transcript.add_notice(
                f"Agent turn: {event.steps} step(s), {event.applied} change(s) applied, "
                f"{event.rejected} rejected.{limit}")

    def _on_result(self, event: Any) -> None:
        step = self.steps.get(event.id)
        if step is None:
            return
        step.state, step.ok, step.summary = "done", event.ok, event.summary
        self._draw(step)
        card = self.area.card_for(event.id)
        if card is not None and card.outcome == "approved":
            card.set_record(f"\u2713 Applied: {card.title}" if event.ok else
                            f"\u26a0 Not applied: {event.summary}")
        if step.approved and event.ok:
            self.compChanged.emit()

    def _on_turn_ended(self, turn: Turn) -> None:
        if turn is self._turn:
            for card in self.area.pending():
                card.withdraw()
            for step in self.steps.values():
                if step.state != "done":
                    step.state, step.ok = "done", False
                    step.summary = "stopped: the turn ended before this call finished"
                    self._draw(step)
            if turn.registry is not None and turn.registry.turn.steps:
                self.undo_turn = turn
        self._enable()

    def explain_failure(self, turn: Turn) -> bool:
        """A turn that failed because the model or server takes no tools: say so plainly
        (the panel stays usable, the helpers still work) instead of an error to retry.
        True when it was that."""
        error = turn.error
        if error is None or not turn.is_agent or error.hint != NO_TOOLS_HINT:
            return False
        mode = "Agent" if turn.registry.mode == "agent" else "Ask"
        text = NO_TOOLS_NOTICE.format(model=turn.model or "This model", mode=mode,
                                      why=error.message.rstrip("."))
        self.panel.notices.add(text)
        self.panel.transcript.add_notice(text, "warning")
        self.panel.set_status("this model cannot call tools")
        return True

    # -- approvals ----------------------------------------------------------------------------

    def _on_request(self, approval: Any) -> None:
        turn = self._turn
        if turn is None or turn.loop is None or turn.loop.waiting_for is not approval:
            return  # withdrawn or stopped before the card could be shown
        card = self.area.add(approval)
        step = self.steps.get(approval.call_id)
        if step is not None:
            step.state = WAITING
            self._draw(step)
        self.panel.set_status("waiting for your approval: Apply or Reject the change below")
        self.cardShown.emit(card)

    def _on_withdraw(self, approval: Any) -> None:
        card = self.area.card_for(approval)
        if card is not None:
            card.withdraw()

    @property
    def cards(self) -> list:
        """The pending approval cards."""
        return self.area.pending()

    # -- undo ---------------------------------------------------------------------------------

    def undo(self) -> Any:
        """"Undo this turn": undo what the last agent turn applied; the report is shown as
        it is (what was undone, what is left and why)."""
        turn = self.undo_turn
        report = self.panel.session.undo_turn(turn)
        if turn is not None:
            self.panel.transcript.refresh_message(turn.answer)
            if not turn.registry.turn.steps:
                self.undo_turn = None
        text = report.message
        if report.left:
            text += " Still applied: " + ", ".join(f"\u201c{t}\u201d" for t in report.left) + "."
        self.panel.transcript.add_notice(text, "info" if report.ok else "warning")
        self.panel.set_status(text)
        if report.undone:
            self.compChanged.emit()
        self._enable()
        self.undoReported.emit(report)
        return report

    def reset(self) -> None:
        """Another conversation is shown: its cards, steps and undo go."""
        self.area.clear()
        self.steps, self._serials, self._turn, self.undo_turn = {}, {}, None, None
        self._enable()

    def _enable(self) -> None:
        busy = self.panel.session.in_flight
        self.mode_combo.setEnabled(not busy and not self.mode_combo.locked)
        self.undo_button.setEnabled(not busy and self.undo_turn is not None)

    # -- the transcript -----------------------------------------------------------------------

    def _draw(self, step: ToolStep, new: bool = False) -> None:
        result = None
        if step.expanded and step.loop is not None:
            output = step.loop.output(step.call_id)
            result = output.content if output is not None else None
        step.block.html = step_block_html(step, result)
        if new:
            self.panel.transcript.add_block(step.block)
        else:
            self.panel.transcript.update_block(step.block)

    def _on_anchor(self, url: QtCore.QUrl) -> None:
        if url.scheme().lower() != SCHEME:
            return
        try:
            step = self._serials.get(int(url.toString().split(":", 1)[1]))
        except (IndexError, ValueError):
            return
        if step is not None:
            step.expanded = not step.expanded
            self._draw(step)

    def toggle(self, call_id: str) -> bool:
        """Open or close the step of ``call_id`` (what a click on its arrow does)."""
        step = self.steps.get(call_id)
        if step is None:
            return False
        step.expanded = not step.expanded
        self._draw(step)
        return True
