"""The Qt side of the node-graph helpers: slash commands typed in the chat panel.

A command (``/explain``, ``/build``, ``/fix``, ``/script``, ``/expr``, ``/help``) becomes a
:class:`~nuke_ai_panel.assist.prompts.HelperRequest` with the graph as context, sent as a
helper turn of the panel's chat session (:meth:`ChatSession.send_helper`), so it streams,
stops, fails and retries like any answer. When the session reports the turn ended, the
answer becomes a proposed action shown in :class:`~src.ui.action_preview.ActionPreviewDialog`;
only Apply runs it, as one undo group, on the panel's host (a ``NukeHost`` marshals to
Nuke's main thread itself). The outcome goes to the transcript; a failed script offers
"Ask to fix", which sends the code and its traceback back to the model.

The controller talks to the panel through :class:`PanelPort`, a handful of methods, so
it stays independent of the panel's internals; :class:`ChatPanelPort` adapts ChatPanel.
"""

from __future__ import annotations

from functools import partial
from pathlib import Path
from typing import Any, Callable, List, Optional, Protocol, Tuple

from Qt import QtCore, QtWidgets

from nuke_ai_panel.assist.actions import (
    CODE_OFF_NOTE,
    Action,
    NoAction,
    Outcome,
    RunPython,
    SetExpression,
    action_from_answer,
    apply,
    follow_up,
)
from nuke_ai_panel.assist.commands import (HELP, MENU_HELPERS, CommandError, help_text,
                                           parse_command)
from nuke_ai_panel.assist.grounding import ground, repair_request
from nuke_ai_panel.assist.expr_preview import preview_expression
from nuke_ai_panel.assist.steps import StepWatch
from nuke_ai_panel.assist.prompts import ANSWER_TEXT, DEFAULT_BUDGET, HelperRequest, build_request
from nuke_ai_panel.graph.host import Host, HostError
from nuke_ai_panel.graph.script_host import ScriptHost
from nuke_ai_panel.history import COMPLETE, AppliedStep, HistoryMessage
from nuke_ai_panel.session import ChatSession, Turn

from .action_preview import ActionPreviewDialog
from .compact import ElidedLabel
from .plain_words import for_gui

__all__ = [
    "AssistController",
    "ChatPanelPort",
    "OutcomeBar",
    "PanelPort",
    "EXAMPLE_SCRIPT",
    "install",
    "standalone_host",
]

EXAMPLE_SCRIPT = (Path(__file__).resolve().parents[2] / "nuke_ai_panel" / "graph" / "examples"
                  / "greenscreen_comp.nk")
STUDIO_CODE_OFF_NOTE = ("Running code from the assistant is turned off by your studio. The "
                        "code is shown so you can read or copy it.")
STEP_POLL_MS = 1000
"""How often the undo history is read while applied steps are being watched (cheap)."""
OUTCOME_STYLE = ("QFrame#assistOutcome { background-color: #4a2626; border: 1px solid #7a3c3c; "
                 "border-radius: 3px; }")


class PanelPort(Protocol):
    """What the controller needs from a chat panel."""

    def host(self) -> Optional[Host]:
        ...

    def config(self) -> Any:
        """The current Config (``allow_code_execution``, ``is_locked``)."""

    def session(self) -> ChatSession:
        """The panel's chat session: whether a turn is in flight, and when one ends."""

    def send_helper(self, request: HelperRequest) -> bool:
        """Start a helper turn for ``request`` on the panel's provider and model; False (the
        panel says why) when it could not start."""

    def notice(self, text: str, level: str = "info") -> None:
        ...

    def show_widget(self, widget: QtWidgets.QWidget) -> None:
        """Place the outcome bar in the panel (below the transcript)."""

    def prefill(self, text: str) -> None:
        """Put ``text`` in the prompt box for the artist to finish (menu items)."""

    def step_changed(self, message: HistoryMessage) -> None:
        """``message``'s applied steps changed (applied, undone, redone): redraw and save."""

    def window(self) -> Optional[QtWidgets.QWidget]:
        """The parent for the preview dialog."""


class ChatPanelPort:
    """:class:`PanelPort` over ``src.ui.chat_panel.ChatPanel``."""

    def __init__(self, panel: Any) -> None:
        self.panel = panel

    def host(self) -> Optional[Host]:
        return self.panel.host

    def config(self) -> Any:
        return self.panel.config

    def session(self) -> ChatSession:
        return self.panel.session

    def send_helper(self, request: HelperRequest) -> bool:
        return bool(self.panel.send_helper(request))

    def notice(self, text: str, level: str = "info") -> None:
        self.panel.transcript.add_notice(for_gui(text), level)

    def show_widget(self, widget: QtWidgets.QWidget) -> None:
        self.panel.add_helper_widget(widget)

    def prefill(self, text: str) -> None:
        self.panel.prefill(text)

    def step_changed(self, message: HistoryMessage) -> None:
        self.panel.transcript.refresh_message(message)
        problem = self.panel.session.save()
        if problem:
            self.panel.notices.add(problem)

    def window(self) -> Optional[QtWidgets.QWidget]:
        return self.panel


class OutcomeBar(QtWidgets.QFrame):
    """A failed apply, with "Ask to fix" (send the traceback back) and Dismiss: one line (the
    whole text in its tooltip; the transcript has it with the traceback)."""

    fixRequested = QtCore.Signal()

    def __init__(self, parent: Optional[QtWidgets.QWidget] = None) -> None:
        super().__init__(parent)
        self.setObjectName("assistOutcome")
        self.setStyleSheet(OUTCOME_STYLE)
        self.label = ElidedLabel("", self)
        self.label.setObjectName("assistOutcomeText")
        self.fix_button = QtWidgets.QPushButton("Ask to fix", self)
        self.fix_button.setObjectName("askFixButton")
        self.fix_button.setToolTip("Send the code and its traceback back to the assistant")
        self.dismiss_button = QtWidgets.QPushButton("Dismiss", self)
        self.dismiss_button.setObjectName("dismissOutcomeButton")
        for button in (self.fix_button, self.dismiss_button):
            button.setAutoDefault(False)
        layout = QtWidgets.QHBoxLayout(self)
        layout.setContentsMargins(6, 4, 6, 4)
        layout.addWidget(self.label, 1)
        layout.addWidget(self.fix_button)
        layout.addWidget(self.dismiss_button)
        self.fix_button.clicked.connect(self.fixRequested.emit)
        self.dismiss_button.clicked.connect(self.hide)
        self.hide()

    def show_failure(self, text: str, can_fix: bool) -> None:
        self.label.setText(text)
        self.fix_button.setVisible(can_fix)
        self.show()


class AssistController(QtCore.QObject):
    """Runs helper commands for one panel; install it with :func:`install`.

    Signals (for tests and status displays): ``actionProposed`` (an Action or NoAction),
    ``previewOpened`` (the dialog), ``outcomeReady`` (the Outcome of an Apply).
    """

    actionProposed = QtCore.Signal(object)
    previewOpened = QtCore.Signal(object)
    outcomeReady = QtCore.Signal(object)

    def __init__(self, port: PanelPort, host: Optional[Host] = None,
                 budget: int = DEFAULT_BUDGET, parent: Optional[QtCore.QObject] = None) -> None:
        super().__init__(parent)
        self.port = port
        self.budget = budget
        self._fallback_host = host
        self._last: Optional[Tuple[HelperRequest, Action, Outcome]] = None
        self.preview: Optional[ActionPreviewDialog] = None
        self.steps = StepWatch()
        self._step_timer = QtCore.QTimer(self)
        self._step_timer.setInterval(STEP_POLL_MS)
        self._step_timer.timeout.connect(self.check_steps)
        self.outcome_bar = OutcomeBar()
        self.outcome_bar.fixRequested.connect(self.ask_to_fix)
        port.show_widget(self.outcome_bar)
        port.session().on_turn_ended.add(self._on_turn_ended)

    # -- entry points ----------------------------------------------------------------------

    @property
    def host(self) -> Optional[Host]:
        host = self.port.host()
        return self._fallback_host if host is None else host

    @property
    def waiting(self) -> bool:
        """True while a helper's answer is streaming."""
        turn = self.port.session().turn
        return turn is not None and isinstance(turn.helper, HelperRequest)

    def handle(self, _panel: Any, text: str) -> bool:
        """ChatPanel's ``command_handler(panel, text)``: True when the command ran (the
        panel keeps the text in the prompt box otherwise)."""
        return self.run(text)

    def run(self, text: str) -> bool:
        """Run a slash command; False (with a notice saying why) when it cannot start."""
        try:
            command = parse_command(text)
        except CommandError as exc:
            self.port.notice(str(exc), "warning")
            return False
        if command.name == HELP:
            self.port.notice(help_text())
            return True
        host = self.host
        if host is None:
            self.port.notice("There is no node graph to work on here.", "error")
            return False
        try:
            request = build_request(command, host, self.budget)
        except CommandError as exc:
            self.port.notice(str(exc), "warning")
            return False
        except HostError as exc:
            self.port.notice(f"Could not read the node graph: {exc}", "error")
            return False
        return self._send(request)

    def menu_actions(self) -> List[Tuple[str, Callable[[], Any]]]:
        """Menu entries (label, callable), named like Nuke's AI Assistant menu, for a window
        that has no such menu (the standalone app): commands that need no more words run at
        once, the others wait in the prompt box for the artist to finish the sentence."""
        return [(helper.label.replace("...", "\u2026"),
                 partial(self.port.prefill, helper.command + " ") if helper.needs_words
                 else partial(self.run, helper.command))
                for helper in MENU_HELPERS]

    def ask_to_fix(self) -> bool:
        """Send the last failed script's code and traceback back to the model."""
        host = self.host
        if self._last is None or host is None:
            return False
        request, action, outcome = self._last
        if outcome.ok or not isinstance(action, RunPython):
            return False
        self.outcome_bar.hide()
        return self._send(follow_up(request, action, outcome, host))

    # -- the turn --------------------------------------------------------------------------

    def _send(self, request: HelperRequest) -> bool:
        if self.port.session().in_flight:
            self.port.notice("Still answering: press Stop (Esc) first.", "warning")
            return False
        self._close_preview()
        self.outcome_bar.hide()
        if not self.port.send_helper(request):
            return False
        if request.note:
            self.port.notice(request.note)
        if request.context_trimmed:
            self.port.notice("The selection was too big to send whole: long knob values were "
                             "summarised to fit the context budget.")
        return True

    def _on_turn_ended(self, turn: Turn) -> None:
        """A helper turn (a retried one too) that ended with an answer proposes its action."""
        request = turn.helper
        if not isinstance(request, HelperRequest) or request.expects == ANSWER_TEXT:
            return
        if turn.answer.status != COMPLETE:
            self.port.notice("The answer did not finish, so there is nothing to apply.",
                             "warning")
            return
        host = self.host
        if host is None:
            return
        proposal = self._propose(turn.answer.text, request, host)
        repair = repair_request(request, proposal) if proposal is not None else None
        if repair is not None:  # one automatic round before the artist sees the preview
            self._send(repair)
            return
        self.actionProposed.emit(proposal)
        if isinstance(proposal, NoAction):
            self.port.notice(proposal.message, "warning")
        elif proposal is not None:
            self._open_preview(request, proposal, turn.answer)

    def _propose(self, text: str, request: HelperRequest, host: Host) -> Any:
        config = self.port.config()
        allowed = bool(getattr(config, "allow_code_execution", True))
        note = CODE_OFF_NOTE
        if not allowed and config.is_locked("allow_code_execution"):
            note = STUDIO_CODE_OFF_NOTE
        action = action_from_answer(text, request, host, allowed, note)
        return ground(action, host)

    # -- preview and apply -----------------------------------------------------------------

    def _open_preview(self, request: HelperRequest, action: Action,
                      answer: HistoryMessage) -> None:
        self._close_preview()
        evaluate = None
        host = self.host
        if isinstance(action, SetExpression) and host is not None:
            evaluate = partial(preview_expression, host, action.node, action.knob)
        dialog = ActionPreviewDialog(action, self.port.window(), evaluate=evaluate)
        dialog.setModal(False)
        dialog.accepted.connect(partial(self._apply, request, dialog, answer))
        dialog.rejected.connect(partial(self.port.notice, "Cancelled: nothing was changed."))
        self.preview = dialog
        dialog.show()
        self.previewOpened.emit(dialog)

    def _close_preview(self) -> None:
        dialog, self.preview = self.preview, None
        if dialog is not None:
            dialog.blockSignals(True)
            dialog.close()
            dialog.deleteLater()

    def _apply(self, request: HelperRequest, dialog: ActionPreviewDialog,
               answer: HistoryMessage) -> None:
        host = self.host
        action = dialog.action()
        if self.preview is dialog:
            self.preview = None
        dialog.deleteLater()
        if host is None:
            return
        baseline = host.undo_names().count(action.title)
        outcome = apply(host, action)
        self._last = (request, action, outcome)
        if outcome.ok:
            step = AppliedStep(action.title, outcome.done_text())
            answer.steps.append(step)
            self.steps.track(step, answer, baseline)
            self.port.step_changed(answer)
            self.check_steps()
        self._report(action, outcome)
        self.outcomeReady.emit(outcome)

    # -- undone steps ----------------------------------------------------------------------

    def check_steps(self) -> List[HistoryMessage]:
        """Read the host's undo history and mark the applied steps undone (or live again);
        the transcript and history follow. Runs every second while there are steps to
        watch, and at once when the app undoes or redoes."""
        self.steps.keep_only(self.port.session().conversation.messages)
        host = self.host
        changed: List[HistoryMessage] = []
        if self.steps.active and host is not None:
            try:
                changed = self.steps.update(host.undo_names())
            except HostError:
                changed = []
            for message in changed:
                self.port.step_changed(message)
        if self.steps.active and not self._step_timer.isActive():
            self._step_timer.start()
        elif not self.steps.active:
            self._step_timer.stop()
        return changed

    def forget_steps(self) -> None:
        """Another comp is open: the steps applied to the last one are no longer watched."""
        self.steps.tracked.clear()
        self._step_timer.stop()

    def _report(self, action: Action, outcome: Outcome) -> None:
        if not outcome.ok:
            self.port.notice(outcome.summary(), "error")
        if outcome.output.strip():
            self.port.notice("Output:\n" + outcome.output.rstrip())
        if outcome.traceback:
            self.port.notice(outcome.traceback.rstrip(), "error")
        if not outcome.ok:
            can_fix = isinstance(action, RunPython) and bool(outcome.traceback)
            self.outcome_bar.show_failure(outcome.summary(), can_fix)


def standalone_host() -> ScriptHost:
    """The in-memory graph the standalone app works on: the example green-screen comp."""
    return ScriptHost.from_file(str(EXAMPLE_SCRIPT))


def install(panel: Any, host: Optional[Host] = None,
            budget: int = DEFAULT_BUDGET) -> AssistController:
    """Make ``panel`` run helper commands: sets its ``command_handler`` (and its ``host``
    when it has none: ``host`` or the standalone example script). Returns the controller,
    parented to the panel so it lives as long as the panel does."""
    if getattr(panel, "host", None) is None:
        panel.host = host or standalone_host()
    controller = AssistController(ChatPanelPort(panel), budget=budget, parent=panel)
    panel.command_handler = controller.handle
    return controller
