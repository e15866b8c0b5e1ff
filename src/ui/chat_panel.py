"""The chat panel: provider and model pickers, transcript, prompt, status, history, presets.

Every network call goes through the worker and comes back through a bridge as a signal, so
the main thread (Nuke's UI) never waits on the network. One answer streams at a time: Send is
disabled while it does, and Stop or Esc cancels it at once; what arrived so far is kept and
marked. Each finished turn is saved to history.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path
from typing import Any, Callable, Dict, List, Optional, Tuple

from Qt import QtCore, QtGui, QtWidgets

from nuke_ai_panel import history
from nuke_ai_panel.config import Config, SettingError, load_config, save_config
from nuke_ai_panel.errors import CONFIG, ProviderError
from nuke_ai_panel.events import DoneEvent, ErrorEvent, RetryingEvent, StreamEvent
from nuke_ai_panel.history import COMPLETE, STOPPED, Conversation, HistoryMessage
from nuke_ai_panel.provider_info import PROVIDERS
from nuke_ai_panel.settings import ChatRequest, Message, ProviderSettings
from nuke_ai_panel.worker import Worker, get_worker

from . import status
from .banner import ErrorBanner, NoticeBar
from .binding_guard import protect_none_refcount
from .bridge import ResultBridge, StreamBridge
from .prompt_edit import PromptEdit
from .transcript import TranscriptView
from nuke_ai_panel.logs import get_logger

log = get_logger("ui")

CommandHandler = Callable[["ChatPanel", str], Any]
STATUS_INTERVAL = 0.25
SETTINGS_KINDS = ("config", "auth", "connect", "connect_timeout", "protocol")
OLLAMA_START = ("Start Ollama with `ollama serve`, then get a model with "
                "`ollama pull llama3.2`; or add an API key for another provider in Settings.")
HISTORY_PLACEHOLDER = "Past conversations\u2026"
LISTING = "listing "
SHORT_COMBO = QtWidgets.QComboBox.AdjustToMinimumContentsLengthWithIcon


@dataclass
class _Turn:
    """One answer in flight."""

    answer: HistoryMessage
    model: str
    bridge: StreamBridge
    started: float = field(default_factory=time.monotonic)
    handle: Any = None
    watcher: Optional[ResultBridge] = None
    tokens: int = 0
    first_delta: Optional[float] = None
    last_status: float = 0.0
    ended: bool = False


def _button(name: str, text: str, tip: str = "") -> QtWidgets.QPushButton:
    button = QtWidgets.QPushButton(text)
    button.setObjectName(name)
    button.setAutoDefault(False)
    if tip:
        button.setToolTip(tip)
    return button


class ChatPanel(QtWidgets.QWidget):
    """The panel; see the module docstring. ``turnEnded`` carries the finished answer."""

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
        self._override_provider = provider
        self._override_model = model
        self._override_base_url = base_url
        self._config: Config = load_config()
        self._override_target = provider or self._config.default_provider
        self._models: Dict[str, List[str]] = {}
        self._model_jobs: Dict[str, Tuple[Any, ResultBridge]] = {}
        self._chosen_model: Dict[str, str] = {}
        self._filling = False
        self._turn: Optional[_Turn] = None
        self._in_flight: List[Any] = []
        self._override: Optional[Tuple[List[Message], Optional[str]]] = None
        self.last_request: Optional[ChatRequest] = None
        self._provider_banner = False
        self._conversation = Conversation()
        self._build()
        self.destroyed.connect(partial(_cancel_in_flight, self._model_jobs, self._in_flight))
        for warning in self._config.warnings:
            self.notices.add(warning)
        self._fill_providers()
        self._fill_presets()
        self.refresh_history()
        self._update_buttons()
        self._on_provider_changed()

    # -- layout -------------------------------------------------------------------------------

    def _build(self) -> None:
        self.provider_combo = QtWidgets.QComboBox()
        self.provider_combo.setObjectName("providerCombo")
        self.model_combo = QtWidgets.QComboBox()
        self.model_combo.setObjectName("modelCombo")
        self.model_combo.setEditable(True)
        self.model_combo.setInsertPolicy(QtWidgets.QComboBox.NoInsert)
        self.model_combo.setSizeAdjustPolicy(SHORT_COMBO)
        self.model_combo.setMinimumContentsLength(14)
        self.refresh_models_button = _button("refreshModelsButton", "\u21bb",
                                             "List this provider's models again")
        self.settings_button = _button("settingsButton", "Settings")
        self.preset_combo = QtWidgets.QComboBox()
        self.preset_combo.setObjectName("presetCombo")
        self.preset_combo.setToolTip("System prompt preset")
        self.edit_presets_button = _button("editPresetsButton", "Edit\u2026",
                                           "Edit the system prompt presets")
        self.history_combo = QtWidgets.QComboBox()
        self.history_combo.setObjectName("historyCombo")
        self.history_combo.setSizeAdjustPolicy(SHORT_COMBO)
        self.history_combo.setMinimumContentsLength(16)
        self.new_chat_button = _button("newChatButton", "New chat")
        self.export_button = _button("exportButton", "Export\u2026",
                                     "Save this conversation as Markdown")
        self.delete_chat_button = _button("deleteChatButton", "Delete",
                                          "Delete this conversation from history")
        self.errors = ErrorBanner()
        self.notices = NoticeBar()
        self.transcript = TranscriptView()
        self.prompt = PromptEdit()
        self.status_label = QtWidgets.QLabel()
        self.status_label.setObjectName("statusLabel")
        self.status_label.setTextFormat(QtCore.Qt.PlainText)
        self.stop_button = _button("stopButton", "Stop", "Stop the answer (Esc)")
        self.send_button = _button("sendButton", "Send", "Send (Enter)")

        top = QtWidgets.QHBoxLayout()
        top.addWidget(self.provider_combo)
        top.addWidget(self.model_combo, 1)
        top.addWidget(self.refresh_models_button)
        top.addWidget(self.settings_button)
        second = QtWidgets.QHBoxLayout()
        second.addWidget(self.preset_combo)
        second.addWidget(self.edit_presets_button)
        second.addWidget(self.history_combo, 1)
        second.addWidget(self.new_chat_button)
        second.addWidget(self.export_button)
        second.addWidget(self.delete_chat_button)
        bottom = QtWidgets.QHBoxLayout()
        bottom.addWidget(self.status_label, 1)
        bottom.addWidget(self.stop_button)
        bottom.addWidget(self.send_button)
        layout = QtWidgets.QVBoxLayout(self)
        layout.setContentsMargins(4, 4, 4, 4)
        layout.addLayout(top)
        layout.addLayout(second)
        layout.addWidget(self.notices)
        layout.addWidget(self.errors)
        layout.addWidget(self.transcript, 1)
        layout.addWidget(self.prompt)
        layout.addLayout(bottom)

        self.provider_combo.currentIndexChanged.connect(self._on_provider_changed)
        self.model_combo.currentTextChanged.connect(self._on_model_edited)
        self.refresh_models_button.clicked.connect(lambda: self.refresh_models(force=True))
        self.settings_button.clicked.connect(self.open_settings)
        self.preset_combo.currentIndexChanged.connect(self._on_preset_changed)
        self.edit_presets_button.clicked.connect(self.edit_presets)
        self.history_combo.activated.connect(self._on_history_activated)
        self.new_chat_button.clicked.connect(self.new_chat)
        self.export_button.clicked.connect(self._export_clicked)
        self.delete_chat_button.clicked.connect(self._delete_clicked)
        self.errors.retryRequested.connect(self.retry)
        self.errors.settingsRequested.connect(self.open_settings)
        self.prompt.submitted.connect(self.send)
        self.prompt.cancelRequested.connect(self.stop)
        self.send_button.clicked.connect(self.send)
        self.stop_button.clicked.connect(self.stop)
        self.transcript.codeCopied.connect(
            lambda index: self.set_status(f"copied code block {index + 1} to the clipboard"))

    # -- small accessors ----------------------------------------------------------------------

    @property
    def conversation(self) -> Conversation:
        return self._conversation

    @property
    def config(self) -> Config:
        return self._config

    @property
    def streaming(self) -> bool:
        return self._turn is not None

    def current_provider(self) -> str:
        return self.provider_combo.currentData() or ""

    def current_model(self) -> str:
        return self.model_combo.currentText().strip()

    def set_provider(self, provider_id: str) -> bool:
        index = self.provider_combo.findData(provider_id)
        if index < 0:
            return False
        self.provider_combo.setCurrentIndex(index)
        return True

    def set_model(self, model: str) -> None:
        self.model_combo.setEditText(model)

    def set_status(self, text: str) -> None:
        self.status_label.setText(text)

    def show_error(self, kind: str, message: str, hint: str = "", retry: bool = False,
                   about_provider: bool = False) -> None:
        """The error banner; ``about_provider`` errors go away when the provider changes."""
        self._provider_banner = about_provider
        self.errors.show_error(kind, message, hint, retry=retry,
                               settings=kind in SETTINGS_KINDS)

    # -- providers and models -----------------------------------------------------------------

    def _fill_providers(self) -> None:
        wanted = self.current_provider() or self._override_provider or \
            self._config.default_provider
        self._filling = True
        try:
            self.provider_combo.clear()
            ids = [p.id for p in self._config.providers(enabled_only=True)]
            extra = self._override_provider
            if extra and extra not in ids and self._config.is_allowed(extra):
                ids.append(extra)
            for pid in ids:
                self.provider_combo.addItem(PROVIDERS[pid].label, pid)
            index = self.provider_combo.findData(wanted)
            self.provider_combo.setCurrentIndex(max(0, index))
        finally:
            self._filling = False

    def _resolve(self, provider_id: str, model: Optional[str] = None) -> ProviderSettings:
        base_url = self._override_base_url if provider_id == self._override_target else None
        return self._config.resolve(provider_id, model=model or None, base_url=base_url)

    def _default_model(self, provider_id: str) -> str:
        if provider_id in self._chosen_model:
            return self._chosen_model[provider_id]
        if self._override_model and provider_id == self._override_target:
            return self._override_model
        try:
            return self._config.provider(provider_id).model
        except KeyError:
            return ""

    def _on_provider_changed(self, *_args: Any) -> None:
        if self._filling:
            return
        pid = self.current_provider()
        if self._provider_banner:
            self.errors.clear()
        self._fill_models(pid, self._default_model(pid))
        if not pid:
            self.show_error(CONFIG, "No provider is enabled.",
                            "Enable a provider in Settings and add its key or server address.",
                            about_provider=True)
            return
        try:
            settings = self._resolve(pid)
        except ProviderError as exc:
            self.show_error(exc.kind, exc.message, exc.hint, about_provider=True)
            self.set_status(f"{PROVIDERS[pid].label} is not set up")
            return
        if pid not in self._models:
            self.refresh_models(settings=settings)

    def _fill_models(self, provider_id: str, text: str) -> None:
        self._filling = True
        try:
            self.model_combo.clear()
            self.model_combo.addItems(self._models.get(provider_id, []))
            self.model_combo.setEditText(text)
        finally:
            self._filling = False

    def _on_model_edited(self, text: str) -> None:
        if not self._filling and self.current_provider():
            self._chosen_model[self.current_provider()] = text.strip()

    def refresh_models(self, force: bool = False,
                       settings: Optional[ProviderSettings] = None) -> None:
        """List the current provider's models in the background; the combo fills when they come.

        ``settings`` saves a second keychain read when the caller has just resolved them."""
        pid = self.current_provider()
        if not pid or (pid in self._model_jobs and not force):
            return
        try:
            settings = settings or self._resolve(pid)
        except ProviderError as exc:
            self.show_error(exc.kind, exc.message, exc.hint, about_provider=True)
            return
        if pid in self._model_jobs:
            self._model_jobs.pop(pid)[0].cancel()
        watcher = ResultBridge()
        watcher.succeeded.connect(partial(self._on_models, pid, watcher))
        watcher.failed.connect(partial(self._on_models_failed, pid, watcher))
        watcher.cancelled.connect(partial(self._forget_models_job, pid, watcher))
        handle = watcher.watch(self._worker.list_models(settings))
        self._model_jobs[pid] = (handle, watcher)
        if not self.streaming:
            self.set_status(f"{LISTING}{PROVIDERS[pid].label} models\u2026")

    def _listing_status(self) -> bool:
        """May a model list result take the status line (nothing newer is shown there)?"""
        return not self.streaming and self.status_label.text().startswith(LISTING)

    def _forget_models_job(self, pid: str, watcher: ResultBridge, *_args: Any) -> bool:
        job = self._model_jobs.get(pid)
        if job is None or job[1] is not watcher:
            return False
        del self._model_jobs[pid]
        return True

    def _on_models(self, pid: str, watcher: ResultBridge, models: Any) -> None:
        if not self._forget_models_job(pid, watcher):
            return
        self._models[pid] = [m.id for m in models]
        if pid != self.current_provider():
            return
        self._fill_models(pid, self.current_model() or self._default_model(pid) or
                          (self._models[pid][0] if self._models[pid] else ""))
        if self._provider_banner and not self.streaming:
            self.errors.clear()
        if self._listing_status():
            count = len(self._models[pid])
            self.set_status(f"{PROVIDERS[pid].label}: {count} model{'s' if count != 1 else ''}")
        if not self._models[pid] and pid == "ollama":
            self.show_error("model_not_found", "Ollama is running but has no models yet.",
                            "Run `ollama pull llama3.2` to download one, then press \u21bb.",
                            about_provider=True)

    def _on_models_failed(self, pid: str, watcher: ResultBridge, exc: Any) -> None:
        if not self._forget_models_job(pid, watcher) or pid != self.current_provider():
            return
        if isinstance(exc, ProviderError):
            kind, message, hint = exc.kind, exc.message, exc.hint
        else:
            kind, message, hint = "protocol", f"Could not list models: {exc}", ""
        if pid == "ollama" and kind in ("connect", "connect_timeout"):
            hint = OLLAMA_START
        elif kind in ("connect", "connect_timeout"):
            hint = (hint + " Or pick another provider, or check it in Settings.").strip()
        if not self.streaming and (not self.errors.kind or self._provider_banner):
            self.show_error(kind, message, hint, about_provider=True)
        if self._listing_status():
            self.set_status(f"{PROVIDERS[pid].label} is not reachable")

    # -- sending ------------------------------------------------------------------------------

    def send(self) -> bool:
        """Send the prompt box's text (or run a /command). Refused while an answer streams."""
        text = self.prompt.toPlainText()
        if not text.strip():
            return False
        if self.streaming:
            self.set_status("still answering: press Stop (Esc) first")
            return False
        if text.strip().startswith("/"):
            self.prompt.clear()
            self.run_command(text.strip())
            return True
        if self.send_message(text):
            self.prompt.clear()
            return True
        return False

    def run_command(self, text: str) -> None:
        handler = self.command_handler
        if handler is None:
            name = text.split()[0]
            self.transcript.add_notice(f"Unknown command {name}: no commands are available "
                                       "here. Type without a leading / to ask the assistant.",
                                       "warning")
            return
        try:
            handler(self, text)
        except Exception as exc:
            log.exception("command %r failed", text.split()[0])
            self.transcript.add_notice(f"{text.split()[0]} failed: {exc}", "error")

    def send_message(self, text: str) -> bool:
        """Add a user turn and stream the answer. Also the entry point for /command helpers."""
        if self.streaming or not text.strip():
            return False
        settings = self._start_checks()
        if settings is None:
            return False
        user = self.transcript.add_user(text)
        self._conversation.add(user)
        self._override = None
        return self._start_turn(settings)

    def send_request(self, display_text: str, messages: List[Message],
                     system: Optional[str]) -> bool:
        """A helper turn: the transcript shows ``display_text``, the model gets ``messages``.

        The /explain, /build... helpers send the node graph as context the artist need not
        read; Retry after a failed helper turn resends the same messages and system prompt.
        """
        settings = None if self.streaming else self._start_checks()
        if settings is None:
            return False
        user = self.transcript.add_user(display_text)
        self._conversation.add(user)
        self._override = (list(messages), system)
        return self._start_turn(settings)

    def prefill(self, text: str) -> None:
        """Put ``text`` in the prompt box with the cursor at its end (menu items use it)."""
        self.prompt.setPlainText(text)
        cursor = self.prompt.textCursor()
        cursor.movePosition(QtGui.QTextCursor.End)
        self.prompt.setTextCursor(cursor)
        self.prompt.setFocus()

    def retry(self) -> bool:
        """Send the last user turn again, after an error (the failed answer stays, marked)."""
        if self.streaming or not any(m.role == "user" for m in self._conversation.messages):
            return False
        settings = self._start_checks()
        return settings is not None and self._start_turn(settings)

    def _start_checks(self) -> Optional[ProviderSettings]:
        """The settings for a new turn, or None after showing why there can be none."""
        pid, model = self.current_provider(), self.current_model()
        if not pid:
            self.show_error(CONFIG, "No provider is enabled.",
                            "Enable a provider in Settings and add its key or server address.",
                            about_provider=True)
            return None
        if not model:
            self.show_error("model_not_found", "No model is selected.",
                            "Pick a model from the list or type its name.", about_provider=True)
            return None
        try:
            return self._resolve(pid, model)
        except ProviderError as exc:
            self.show_error(exc.kind, exc.message, exc.hint, about_provider=True)
            return None

    def _start_turn(self, settings: ProviderSettings) -> bool:
        pid, model = self.current_provider(), self.current_model()
        self.errors.clear()
        conv = self._conversation
        conv.provider, conv.model = pid, model
        conv.system_prompt = self._system_prompt()
        if self._override is not None:
            messages, system = self._override
            request = ChatRequest(model=model, messages=messages, system=system)
        else:
            request = ChatRequest(model=model, messages=request_messages(conv.messages),
                                  system=conv.system_prompt or None)
        self.last_request = request
        answer = self.transcript.begin_answer(model)
        conv.messages.append(answer)
        bridge = StreamBridge()
        turn = _Turn(answer=answer, model=model, bridge=bridge)
        bridge.started.connect(partial(self._on_started, turn))
        bridge.waiting.connect(partial(self._on_waiting, turn))
        bridge.retrying.connect(partial(self._on_retrying, turn))
        bridge.delta.connect(partial(self._on_delta, turn))
        bridge.finished.connect(partial(self._on_finished, turn))
        bridge.failed.connect(partial(self._on_failed, turn))

        def sink(event: StreamEvent) -> None:
            if event.type == "delta" and event.text:
                turn.tokens += 1
            bridge.sink(event)

        self._turn = turn
        turn.handle = self._worker.stream_chat(settings, request, sink)
        self._in_flight[:] = [turn.handle]
        turn.watcher = ResultBridge()
        turn.watcher.succeeded.connect(partial(self._on_job_ended, turn))
        turn.watcher.failed.connect(partial(self._on_job_ended, turn))
        turn.watcher.cancelled.connect(partial(self._on_job_ended, turn))
        turn.watcher.watch(turn.handle)
        self.set_status(status.waiting(model, 0))
        self._update_buttons()
        self._remember_choice(pid, model)
        return True

    def stop(self) -> None:
        """Cancel the answer in flight; the connection closes at once, the text so far stays."""
        turn = self._turn
        if turn is not None and turn.handle is not None:
            turn.handle.cancel()
            self.set_status("stopping\u2026")

    # -- stream events (main thread) ------------------------------------------------------------

    def _on_started(self, turn: _Turn, _event: Any) -> None:
        if turn is self._turn:
            self.set_status(status.waiting(turn.model, 0))

    def _on_waiting(self, turn: _Turn, seconds: float) -> None:
        if turn is self._turn and turn.first_delta is None:
            self.set_status(status.waiting(turn.model, seconds))

    def _on_retrying(self, turn: _Turn, event: RetryingEvent) -> None:
        if turn is self._turn:
            self.set_status(status.retrying(event.delay, event.reason))

    def _on_delta(self, turn: _Turn, text: str, reasoning: str) -> None:
        if turn is not self._turn:
            return
        now = time.monotonic()
        if turn.first_delta is None:
            turn.first_delta = now
        self.transcript.append_delta(text, reasoning)
        if now - turn.last_status >= STATUS_INTERVAL:
            turn.last_status = now
            self.set_status(status.streaming(turn.tokens, now - turn.first_delta))

    def _on_finished(self, turn: _Turn, event: DoneEvent) -> None:
        if turn is not self._turn:
            return
        if event.text and event.text != turn.answer.text:
            log.warning("the streamed text and the final text differ; using the final text")
            turn.answer.text = event.text
        tokens = event.usage.completion_tokens or turn.tokens
        self.transcript.end_answer(COMPLETE, ttft=event.time_to_first_token, tokens=tokens,
                                   duration=event.duration)
        self.set_status(status.done(event.time_to_first_token, tokens, event.duration,
                                    event.finish_reason))
        self._end_turn(turn)

    def _on_failed(self, turn: _Turn, event: ErrorEvent) -> None:
        if turn is not self._turn:
            return
        if len(event.partial) > len(turn.answer.text):
            turn.answer.text = event.partial
        duration = time.monotonic() - turn.started
        ttft = None if turn.first_delta is None else turn.first_delta - turn.started
        if event.kind == "cancelled":
            self.transcript.end_answer(STOPPED, ttft=ttft, tokens=turn.tokens,
                                       duration=duration)
            self.set_status(status.stopped(turn.tokens, duration))
        else:
            self.transcript.end_answer(history.cut_off_status(event.kind), event.message,
                                       ttft=ttft, tokens=turn.tokens, duration=duration)
            self.set_status(status.failed(event.kind))
            self.show_error(event.kind, event.message, event.hint, retry=True)
        self._end_turn(turn)

    def _on_job_ended(self, turn: _Turn, *_args: Any) -> None:
        """The job is over: the loop thread can no longer reach the stream's bridge, so it
        goes now; if no terminal event came (the worker shut down), the turn ends here."""
        turn.bridge.deleteLater()
        if turn is not self._turn or turn.ended:
            return
        duration = time.monotonic() - turn.started
        self.transcript.end_answer(STOPPED, duration=duration, tokens=turn.tokens)
        self.set_status(status.stopped(turn.tokens, duration))
        self._end_turn(turn)

    def _end_turn(self, turn: _Turn) -> None:
        turn.ended = True
        self._turn = None
        self._update_buttons()
        self.save_history()
        self.turnEnded.emit(turn.answer)

    def _update_buttons(self) -> None:
        busy = self.streaming
        self.send_button.setEnabled(not busy)
        self.stop_button.setEnabled(busy)
        for widget in (self.new_chat_button, self.history_combo, self.delete_chat_button,
                       self.errors.retry_button):
            widget.setEnabled(not busy)

    # -- conversations --------------------------------------------------------------------------

    def save_history(self) -> None:
        if not self._config.history_enabled or not self._conversation.messages:
            return
        try:
            history.save(self._conversation)
        except (OSError, ValueError) as exc:
            self.notices.add(f"Could not save the conversation: {exc}")
            return
        self.refresh_history()

    def refresh_history(self) -> None:
        """Fill the list of past conversations (titles and dates only: cheap)."""
        summaries, notices = history.list_conversations()
        for notice in notices:
            self.notices.add(notice)
        combo = self.history_combo
        combo.blockSignals(True)
        try:
            combo.clear()
            combo.addItem(HISTORY_PLACEHOLDER, None)
            for summary in summaries:
                stamp = time.strftime("%d %b %H:%M", time.localtime(summary.updated))
                combo.addItem(f"{summary.title}  \u00b7  {stamp}", summary.id)
            combo.setCurrentIndex(0)
        finally:
            combo.blockSignals(False)

    def _on_history_activated(self, index: int) -> None:
        conv_id = self.history_combo.itemData(index)
        if conv_id:
            self.open_conversation(conv_id)

    def open_conversation(self, conv_id: str) -> bool:
        if self.streaming:
            return False
        conv, notice = history.load(conv_id)
        if notice:
            self.notices.add(notice)
        if conv is None:
            self.refresh_history()
            return False
        self._conversation = conv
        self._override = None
        self.errors.clear()
        self.transcript.set_messages(conv.messages)
        if conv.provider and self.set_provider(conv.provider) and conv.model:
            self.set_model(conv.model)
        self.set_status(f"opened \u201c{conv.title}\u201d")
        self.history_combo.setCurrentIndex(0)
        return True

    def new_chat(self) -> bool:
        if self.streaming:
            return False
        self._conversation = Conversation()
        self._override = None
        self.transcript.clear_transcript()
        self.errors.clear()
        self.set_status("")
        self.prompt.setFocus()
        return True

    def delete_conversation(self) -> bool:
        """Remove the current conversation's file and start a new chat."""
        if self.streaming:
            return False
        try:
            history.delete(self._conversation.id)
        except (OSError, ValueError) as exc:
            self.notices.add(f"Could not delete the conversation: {exc}")
            return False
        self.new_chat()
        self.refresh_history()
        return True

    def _delete_clicked(self) -> None:
        if not self._conversation.messages:
            return
        answer = QtWidgets.QMessageBox.question(
            self, "Delete conversation",
            f"Delete \u201c{self._conversation.title}\u201d from history?")
        if answer == QtWidgets.QMessageBox.Yes:
            self.delete_conversation()

    def export_markdown(self, path: Any) -> Path:
        """Write the conversation as Markdown to ``path`` (what Export... does after its dialog)."""
        return history.export_markdown(self._conversation, Path(path))

    def _export_clicked(self) -> None:
        if not self._conversation.messages:
            self.set_status("nothing to export yet")
            return
        name = "".join(c if c.isalnum() or c in "-_ " else "_"
                       for c in self._conversation.title).strip() or "conversation"
        path, _filter = QtWidgets.QFileDialog.getSaveFileName(
            self, "Export conversation", str(Path.home() / f"{name[:40]}.md"),
            "Markdown (*.md);;All files (*)")
        if not path:
            return
        try:
            written = self.export_markdown(path)
        except OSError as exc:
            self.show_error("config", f"Could not export: {exc}")
            return
        self.set_status(f"exported to {written}")

    # -- presets and settings -------------------------------------------------------------------

    def _system_prompt(self) -> str:
        name = self.preset_combo.currentData()
        for preset in self._config.system_prompts:
            if preset["name"] == name:
                return preset["text"]
        return self._config.system_prompt()

    def _fill_presets(self) -> None:
        combo = self.preset_combo
        combo.blockSignals(True)
        try:
            combo.clear()
            for preset in self._config.system_prompts:
                combo.addItem(preset["name"], preset["name"])
            combo.setCurrentIndex(max(0, combo.findData(self._config.selected_prompt)))
        finally:
            combo.blockSignals(False)
        combo.setEnabled(not self._config.is_locked("selected_prompt"))
        self.edit_presets_button.setEnabled(not self._config.is_locked("system_prompts"))

    def _on_preset_changed(self, _index: int) -> None:
        name = self.preset_combo.currentData()
        if name:
            self.update_config({"selected_prompt": name})

    def edit_presets(self) -> "QtWidgets.QDialog":
        """Open the preset editor (non-blocking); saved to config when accepted."""
        from .preset_dialog import PresetDialog

        dialog = PresetDialog(self._config.system_prompts, self.preset_combo.currentData() or "",
                              self)
        dialog.accepted.connect(partial(self._presets_edited, dialog))
        dialog.open()
        return dialog

    def _presets_edited(self, dialog: Any) -> None:
        self.update_config({"system_prompts": dialog.presets(),
                            "selected_prompt": dialog.selected()})
        self._fill_presets()

    def update_config(self, values: Dict[str, Any]) -> bool:
        """Apply ``values`` to a freshly read config and save it, so nothing newer is lost."""
        cfg = load_config()
        try:
            for path, value in values.items():
                cfg.set(path, value)
            save_config(cfg)
        except (SettingError, OSError) as exc:
            self.notices.add(f"Could not save the setting: {exc}")
            return False
        self._config = cfg
        return True

    def _remember_choice(self, provider_id: str, model: str) -> None:
        changes: Dict[str, Any] = {}
        if self._config.get("default_provider") != provider_id and \
                not self._config.is_locked("default_provider"):
            changes["default_provider"] = provider_id
        path = f"providers.{provider_id}.model"
        if self._config.get(path) != model and not self._config.is_locked(path):
            changes[path] = model
        if changes:
            self.update_config(changes)

    def open_settings(self) -> Optional[QtWidgets.QDialog]:
        """Open the settings dialog (non-blocking); config is read again when it closes."""
        try:
            from src.ui.settings_dialog import SettingsDialog
        except ImportError:
            self.notices.add("The settings dialog is not available in this installation; "
                             "edit config.json in the user folder instead.")
            return None
        try:
            try:
                dialog = SettingsDialog(self, worker=self._worker)
            except TypeError:
                dialog = SettingsDialog(self)
        except Exception as exc:
            log.exception("the settings dialog failed to open")
            self.notices.add(f"The settings dialog failed to open: {exc}")
            return None
        saved = getattr(dialog, "settingsSaved", None)
        if saved is not None:
            saved.connect(self.reload_config)
        dialog.finished.connect(lambda _result: self.reload_config())
        dialog.open()
        return dialog

    def reload_config(self) -> None:
        """Read config again (after Settings): providers, presets, and model lists afresh."""
        self._config = load_config()
        for warning in self._config.warnings:
            self.notices.add(warning)
        self._models.clear()
        for handle, _watcher in list(self._model_jobs.values()):
            handle.cancel()
        self._model_jobs.clear()
        self._fill_providers()
        self._fill_presets()
        self._on_provider_changed()

    # -- keys and shutdown ----------------------------------------------------------------------

    def keyPressEvent(self, event: Any) -> None:
        if event.key() == QtCore.Qt.Key_Escape and self.streaming:
            self.stop()
            event.accept()
            return
        super().keyPressEvent(event)

    def shutdown(self) -> None:
        """Cancel whatever is in flight; safe to call more than once."""
        if self._turn is not None and self._turn.handle is not None:
            self._turn.handle.cancel()
        for handle, _watcher in list(self._model_jobs.values()):
            handle.cancel()
        self._model_jobs.clear()

    def closeEvent(self, event: Any) -> None:
        self.shutdown()
        super().closeEvent(event)


def _cancel_in_flight(model_jobs: Dict[str, Tuple[Any, Any]], streams: List[Any],
                      *_args: Any) -> None:
    """On ``destroyed`` (a Nuke pane closed without a closeEvent): stop what still runs.

    Takes the containers, not the panel, because the panel's C++ side is already gone.
    """
    for handle in streams:
        handle.cancel()
    for handle, _watcher in list(model_jobs.values()):
        handle.cancel()


def request_messages(messages: List[HistoryMessage]) -> List[Message]:
    """What the model sees of a conversation.

    Everything up to the last user message (a retry resends that turn); empty answers are
    left out, a retried answer replaces the failed one before it, and consecutive user
    messages are joined, since some APIs insist on alternating roles.
    """
    last_user = max((i for i, m in enumerate(messages) if m.role == "user"), default=-1)
    out: List[Message] = []
    for message in messages[:last_user + 1]:
        if not message.text.strip():
            continue
        if out and out[-1].role == message.role:
            if message.role == "user":
                out[-1] = Message("user", out[-1].content + "\n\n" + message.text)
            else:
                out[-1] = Message("assistant", message.text)
            continue
        out.append(Message(message.role, message.text))
    return out
