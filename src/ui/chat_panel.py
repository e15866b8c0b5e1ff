"""The chat panel: a view of a chat session (:mod:`nuke_ai_panel.session`).

The session is the model: the conversation, the turn in flight, the request, the answer as
the stream fills it, history. The panel is the view and controller: it shows what the
session reports (the transcript, the status line, the error banner) and forwards what the
artist does (Send, Stop or Esc, Retry, New chat, a past conversation). Every network call
goes through the worker, and the session's events reach this thread through the Qt bridge,
so Nuke's UI never waits on the network. One answer streams at a time. In Ask or Agent
mode a prompt becomes an agent turn (:mod:`.agent_controller`).
"""

from __future__ import annotations

import time
from functools import partial
from pathlib import Path
from typing import Any, Callable, Dict, List, Optional

from Qt import QtCore, QtGui, QtWidgets

from nuke_ai_panel import history
from nuke_ai_panel.config import Config
from nuke_ai_panel.errors import CANCELLED
from nuke_ai_panel.logs import get_logger
from nuke_ai_panel.session import ChatSession, HelperPrompt, Target, Turn
from nuke_ai_panel.settings import ChatRequest
from nuke_ai_panel.worker import Worker, get_worker

from . import status
from .agent_controller import AgentController
from .attachments import install_attachments
from .binding_guard import protect_none_refcount
from .bridge import qt_dispatcher
from .conversation_bar import ConversationBar
from .look_command import LookCommand, is_look
from .model_picker import ModelPicker
from .panel_config import PanelConfig
from .panel_layout import build_panel

log = get_logger("ui")

CommandHandler = Callable[["ChatPanel", str], Any]
STATUS_INTERVAL = 0.25


class ChatPanel(QtWidgets.QWidget):
    """The panel; see the module docstring. ``session`` is its :class:`ChatSession`;
    ``turnEnded`` carries each finished answer (a HistoryMessage)."""

    turnEnded = QtCore.Signal(object)

    def __init__(self, parent: Optional[QtWidgets.QWidget] = None, *,
                 worker: Optional[Worker] = None, host: Any = None,
                 command_handler: Optional[CommandHandler] = None,
                 provider: Optional[str] = None, model: Optional[str] = None,
                 base_url: Optional[str] = None) -> None:
        protect_none_refcount()
        super().__init__(parent)
        self.setObjectName("chatPanel")
        self.host = host
        self.command_handler = command_handler
        self._worker = worker or get_worker()
        self.settings = PanelConfig(self, self._worker)
        self._provider_banner = False
        self._replacing = False
        self._last_status = 0.0
        self.session = ChatSession(self._worker, qt_dispatcher,
                                   self.settings.config.history_enabled)
        self.session.on_turn_started.add(self._on_turn_started)
        self.session.on_event.add(self._on_event)
        self.session.on_turn_ended.add(self._on_turn_ended)
        self.picker = ModelPicker(self, self._worker, provider, model, base_url, parent=self)
        self.provider_combo = self.picker.provider_combo
        self.model_combo = self.picker.model_combo
        self.refresh_models_button = self.picker.refresh_button
        self.bar = ConversationBar(self)
        self.preset_combo, self.history_combo = self.bar.preset_combo, self.bar.history_combo
        self._build()
        self.destroyed.connect(partial(_on_destroyed, self.session, self.picker.jobs))
        for warning in self.config.warnings:
            self.notices.add(warning)
        self.picker.fill_providers()
        self.bar.fill_presets()
        self.refresh_history()
        self._update_buttons()
        self.picker.start()

    def _build(self) -> None:
        self.agent = AgentController(self)
        self.compact = build_panel(self)
        self.agent.attach()
        self.attachments = install_attachments(self)  # attach, paste, drop, Viewer frame
        self.look = LookCommand(self, self.attachments)
        self.settings_button.clicked.connect(self.open_settings)
        self.new_chat_button.clicked.connect(self.new_chat)
        self.errors.retryRequested.connect(self.retry)
        self.errors.settingsRequested.connect(self.open_settings)
        self.notices.settingsRequested.connect(self.open_settings)
        self.large_prompt.sendAnyway.connect(self.send)
        self.large_prompt.keepEditing.connect(self.prompt.setFocus)
        self.prompt.submitted.connect(self.send)
        self.prompt.cancelRequested.connect(self.stop)
        self.send_button.clicked.connect(self.send)
        self.stop_button.clicked.connect(self.stop)
        self.edit_last_button.clicked.connect(self.edit_last)
        self.transcript.codeCopied.connect(
            lambda index: self.set_status(f"copied code block {index + 1} to the clipboard"))

    # -- what the panel shows -------------------------------------------------------------------

    @property
    def conversation(self) -> Any:
        return self.session.conversation

    @property
    def config(self) -> Config:
        return self.settings.config

    @property
    def streaming(self) -> bool:
        """Is a turn in flight? (The session decides.)"""
        return self.session.in_flight

    @property
    def last_request(self) -> Optional[ChatRequest]:
        return self.session.last_request

    def current_provider(self) -> str:
        return self.picker.provider()

    def current_model(self) -> str:
        return self.picker.model()

    def set_provider(self, provider_id: str) -> bool:
        return self.picker.set_provider(provider_id)

    def set_model(self, model: str) -> None:
        self.picker.set_model(model)

    def set_status(self, text: str) -> None:
        self.status_label.setText(text)

    def status_text(self) -> str:
        return self.status_label.text()

    def show_error(self, kind: str, message: str, hint: str = "", retry: bool = False,
                   about_provider: bool = False) -> None:
        """The error banner (in plain words, with Open Settings when it names Settings);
        ``about_provider`` errors go away when the provider changes."""
        self._provider_banner = about_provider
        self.errors.show_error(kind, message, hint, retry=retry)

    def clear_provider_error(self) -> None:
        if self._provider_banner:
            self.errors.clear()

    def may_report_provider(self) -> bool:
        return not self.errors.kind or self._provider_banner

    def add_helper_widget(self, widget: QtWidgets.QWidget) -> None:
        """Place a helper's bar (the assist outcome bar) just below the transcript."""
        layout = self.layout()
        layout.insertWidget(layout.indexOf(self.transcript) + 1, widget)

    # -- what the artist does -------------------------------------------------------------------

    def send(self) -> bool:
        """Send the prompt box's text (or run a /command). Refused while an answer streams;
        whatever is not sent stays in the prompt box."""
        text = self.prompt.toPlainText()
        if not text.strip():
            return False
        if self.streaming:
            self.set_status("still answering: press Stop (Esc) first")
            return False
        if text.strip().startswith("/"):
            done = self.run_command(text.strip())
        else:
            window = self.picker.context_window(self.current_provider(), self.current_model())
            if self.large_prompt.holds_back(text, window, self.current_model()):
                return False
            done = self.send_message(text)
        if done:
            self.prompt.remember(text)
            self.prompt.clear()
        return done

    def run_command(self, text: str) -> bool:
        """Run a /command; False (the text stays in the prompt box) when it did not run."""
        handler = self.command_handler
        name = text.split()[0]
        if is_look(text):
            return self.look.run(text)
        if handler is None:
            self.transcript.add_notice(f"Unknown command {name}: no commands are available "
                                       "here. Type without a leading / to ask the assistant.",
                                       "warning")
            return False
        try:
            return handler(self, text) is not False
        except Exception as exc:
            log.exception("command %r failed", name)
            self.transcript.add_notice(f"{name} failed: {exc}", "error")
            return False

    def send_message(self, text: str, images: Optional[List[Any]] = None) -> bool:
        """Add a user turn and stream the answer (replacing the last one after Edit last),
        with ``images`` (default: the attachment tray's); in Ask or Agent mode an agent turn
        (an edited prompt is then sent as a new turn)."""
        target = None if self.streaming or not text.strip() else self._target()
        if target is None:
            return False
        if self.agent.agent_mode:
            self._replacing = False
            return self._started(self.attachments.send(
                lambda chosen: self.agent.send(text, target, chosen), images))
        return self._started(self.attachments.send(
            lambda chosen: self.session.send(text, target, replace_last=self._replacing,
                                             images=chosen), images))

    def send_helper(self, prompt: HelperPrompt) -> bool:
        """A helper turn (``/explain``, ``/build``...) on the current provider and model."""
        target = None if self.streaming else self._target()
        return target is not None and self._started(
            self.session.send_helper(prompt, target, replace_last=self._replacing))

    def edit_last(self) -> bool:
        """Put the last prompt back in the prompt box; Send then replaces it and its answer
        (Esc or New chat leaves them be). The text being typed goes into the prompt history."""
        last = None if self.streaming else self.session.last_prompt()
        if last is None:
            self.set_status("nothing to edit yet" if not self.streaming
                            else "still answering: press Stop (Esc) first")
            return False
        self.prompt.remember(self.prompt.toPlainText())
        self.prefill(last)
        self.attachments.restore_last(self.conversation.messages)
        self._replacing = True
        self.set_status(status.EDITING)
        return True

    def retry(self) -> bool:
        """Send the last user turn again, after an error (the failed answer stays, marked)."""
        if not self.session.can_retry():
            return False
        target = self._target()
        return target is not None and self._started(self.session.retry(target))

    def stop(self) -> None:
        """Cancel the answer in flight; the connection closes at once, the text so far stays.
        (Esc with nothing in flight leaves Edit last, keeping the text.)"""
        if self.session.stop():
            self.set_status("stopping\u2026")
        elif self._replacing:
            self._replacing = False
            self.set_status("")

    def prefill(self, text: str) -> None:
        """Put ``text`` in the prompt box with the cursor at its end (menu items use it)."""
        self.prompt.setPlainText(text)
        cursor = self.prompt.textCursor()
        cursor.movePosition(QtGui.QTextCursor.End)
        self.prompt.setTextCursor(cursor)
        self.prompt.setFocus()

    def _target(self) -> Optional[Target]:
        settings = self.picker.settings_for_turn()
        return None if settings is None else Target(settings, self.bar.system_prompt())

    def _started(self, turn: Optional[Turn]) -> bool:
        if turn is None:
            return False
        self._replacing = False
        self.settings.remember_choice(turn.provider, turn.model)
        return True

    # -- what the session reports (main thread) -------------------------------------------------

    def _on_turn_started(self, turn: Turn) -> None:
        self.errors.clear()
        if self._replacing:
            self.transcript.set_messages(self.conversation.messages[:-2])
        if turn.user is not None:
            self.transcript.add_user(turn.user)
        self.transcript.begin_answer(turn.answer)
        self._last_status = 0.0
        # the engine loads on the worker thread; until its first event, say so plainly
        ready = getattr(self._worker, "ready", True)
        self.set_status(status.waiting(turn.model, 0) if ready else status.connecting())
        self._update_buttons()

    def _on_event(self, turn: Turn, event: Any) -> None:
        kind = event.type
        if kind == "start" or (kind == "waiting" and turn.first_delta is None):
            self.set_status(status.waiting(turn.model, getattr(event, "seconds", 0)))
        elif kind == "retrying":
            self.set_status(status.retrying(event.delay, event.reason))
        elif kind == "notice":  # e.g. images withheld from a model that cannot see them
            self.transcript.add_notice(event.message, "warning")
        elif kind == "delta":
            self.transcript.update_answer()
            now = time.monotonic()
            if now - self._last_status >= STATUS_INTERVAL and turn.first_delta is not None:
                self._last_status = now
                self.set_status(status.streaming(turn.tokens, now - turn.first_delta))

    def _on_turn_ended(self, turn: Turn) -> None:
        answer = self.transcript.end_answer() or turn.answer
        if turn.finish is not None:
            self.set_status(status.done(answer.ttft, answer.tokens, answer.duration,
                                        turn.finish.finish_reason))
        elif turn.error is not None and turn.error.kind != CANCELLED:
            if not self.agent.explain_failure(turn):  # no tools: a notice, not a retry
                self.set_status(status.failed(turn.error.kind))
                self.show_error(turn.error.kind, turn.error.message, turn.error.hint,
                                retry=True)
        else:
            self.set_status(status.stopped(answer.tokens or 0, answer.duration or 0.0))
        self._update_buttons()
        if turn.save_error:
            self.notices.add(turn.save_error)
        elif turn.saved:
            self.refresh_history()
        self.turnEnded.emit(answer)

    def _update_buttons(self) -> None:
        busy = self.streaming
        self.stop_button.setEnabled(busy)
        for widget in (self.send_button, self.new_chat_button, self.history_combo,
                       self.bar.delete_button, self.errors.retry_button):
            widget.setEnabled(not busy)
        self.edit_last_button.setEnabled(not busy and self.session.last_prompt() is not None)

    # -- conversations --------------------------------------------------------------------------

    def refresh_history(self) -> None:
        """Fill the list of past conversations (titles and dates only: cheap)."""
        self.bar.refresh_history()

    def open_conversation(self, conv_id: str) -> bool:
        if self.streaming:
            return False
        conv, notice = self.session.open(conv_id)
        if notice:
            self.notices.add(notice)
        if conv is None:
            self.refresh_history()
            return False
        self.errors.clear()
        self._replacing = False
        self.agent.reset()
        self.transcript.set_messages(conv.messages)
        if conv.provider and self.set_provider(conv.provider) and conv.model:
            self.set_model(conv.model)
        self.set_status(f"opened \u201c{conv.title}\u201d")
        self.history_combo.setCurrentIndex(0)
        self._update_buttons()
        return True

    def new_chat(self) -> bool:
        if not self.session.new():
            return False
        self._show_new_chat()
        return True

    def _show_new_chat(self) -> None:
        self._replacing = False
        self.agent.reset()
        self.transcript.clear_transcript()
        self.errors.clear()
        self.set_status("")
        self._update_buttons()
        self.prompt.setFocus()

    def delete_conversation(self) -> bool:
        """Remove the current conversation's file and start a new chat."""
        if self.streaming:
            return False
        try:
            self.session.delete()
        except (OSError, ValueError) as exc:
            self.notices.add(f"Could not delete the conversation: {exc}")
            return False
        self._show_new_chat()
        self.refresh_history()
        return True

    def edit_presets(self) -> QtWidgets.QDialog:
        """Open the preset editor (non-blocking); saved to config when accepted."""
        return self.bar.edit_presets()

    def export_markdown(self, path: Any) -> Path:
        """Write the conversation as Markdown to ``path`` (what Export... does after its dialog)."""
        return history.export_markdown(self.conversation, Path(path))

    # -- config and settings --------------------------------------------------------------------

    def update_config(self, values: Dict[str, Any]) -> bool:
        """Save ``values`` ({dotted path: value}) to config (:meth:`PanelConfig.update`)."""
        return self.settings.update(values)

    def open_settings(self) -> Optional[QtWidgets.QDialog]:
        """Open the settings dialog (non-blocking); config is read again when it closes."""
        return self.settings.open_settings()

    def reload_config(self) -> None:
        """Read config again (after Settings): providers, presets, and model lists afresh."""
        self.settings.reload()

    # -- keys and shutdown ----------------------------------------------------------------------

    def keyPressEvent(self, event: Any) -> None:
        if event.key() == QtCore.Qt.Key_Escape and self.streaming:
            self.stop()
            event.accept()
            return
        super().keyPressEvent(event)

    def shutdown(self) -> None:
        """Cancel whatever is in flight; safe to call more than once."""
        self.session.stop()
        self.picker.cancel()

    def closeEvent(self, event: Any) -> None:
        self.shutdown()
        super().closeEvent(event)


def _on_destroyed(session: ChatSession, model_jobs: Dict[str, Any], *_args: Any) -> None:
    """On ``destroyed`` (a Nuke pane closed without a closeEvent): stop what still runs and
    silence the session, whose late events would reach a widget that is gone. Takes the
    session and the jobs, not the panel, whose C++ side is already gone."""
    session.close()
    for handle, _watcher in list(model_jobs.values()):
        handle.cancel()
