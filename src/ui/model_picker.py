"""The chat panel's provider and model pickers, and the model lists fetched in the background.

The provider combo offers the enabled (and studio-allowed) providers; the model combo is
editable and fills from the provider's model list, fetched once per provider through the
worker (``↻`` fetches again). The model the artist picks is remembered per provider. Call
settings always come from :meth:`Config.resolve`; what goes wrong is reported to the panel
as a banner "about the provider", which goes away when the provider changes.

The panel's first resolve (at :meth:`ModelPicker.start`) runs on a background thread once the
panel has been painted: it is the process's first use of the keychain (importing ``keyring``
and finding its backend, a tenth of a second or more, holding the GIL much of that time),
which must neither hold Nuke's main thread nor compete with it while the panel opens. Its
outcome (the model list fetched, or the banner) arrives on the main thread.
"""

from __future__ import annotations

import concurrent.futures
import threading
from functools import partial
from typing import Any, Callable, Dict, List, Optional, Protocol, Tuple

from Qt import QtCompat, QtCore, QtWidgets

from nuke_ai_panel.config import Config
from nuke_ai_panel.errors import CONFIG, ProviderError
from nuke_ai_panel.model_facts import context_from_listing, ollama_context_window
from nuke_ai_panel.provider_info import PROVIDERS
from nuke_ai_panel.settings import ProviderSettings

from .bridge import ResultBridge
from .widgets import push_button

LISTING = "listing "
OLLAMA_START = ("Start Ollama with `ollama serve`, then get a model with "
                "`ollama pull llama3.2`; or add an API key for another provider in Settings.")
NO_PROVIDER = ("No provider is enabled.",
               "Enable a provider in Settings and add its key or server address.")
SHORT_COMBO = QtWidgets.QComboBox.AdjustToMinimumContentsLengthWithIcon
#: The first resolve waits this long for the panel's first paint (a panel built but not shown).
FIRST_PAINT_WAIT_MS = 500


class PickerOwner(Protocol):
    """What the picker needs from its panel."""

    config: Config
    streaming: bool

    def show_error(self, kind: str, message: str, hint: str = "", retry: bool = False,
                   about_provider: bool = False) -> None:
        ...

    def clear_provider_error(self) -> None:
        """Hide the banner if it is about the provider (no answer's error)."""

    def may_report_provider(self) -> bool:
        """May a model-list failure take the banner (nothing else is shown there)?"""

    def set_status(self, text: str) -> None:
        ...

    def status_text(self) -> str:
        ...


class ModelPicker(QtCore.QObject):
    """Owns ``provider_combo`` (``providerCombo``), ``model_combo`` (``modelCombo``) and
    ``refresh_button``. ``models`` maps provider id -> listed model ids; ``jobs`` holds the
    listings in flight. ``provider``/``model``/``base_url`` are the command line's choices
    (the standalone app's ``--provider`` ...), used until the artist picks something else."""

    def __init__(self, owner: PickerOwner, worker: Any, provider: Optional[str] = None,
                 model: Optional[str] = None, base_url: Optional[str] = None,
                 parent: Optional[QtCore.QObject] = None) -> None:
        super().__init__(parent)
        self.owner = owner
        self.worker = worker
        self.models: Dict[str, List[str]] = {}
        self.jobs: Dict[str, Tuple[Any, ResultBridge]] = {}
        self.windows: Dict[Tuple[str, str], int] = {}
        self._window_jobs: Dict[Tuple[str, str], Any] = {}
        self._chosen: Dict[str, str] = {}
        self._override_provider = provider
        self._override_model = model
        self._override_base_url = base_url
        self._override_target = provider or owner.config.default_provider
        self._filling = False
        self._resolving: Optional[ResultBridge] = None  # the first resolve, off the main thread
        self.provider_combo = QtWidgets.QComboBox()
        self.provider_combo.setObjectName("providerCombo")
        self.model_combo = QtWidgets.QComboBox()
        self.model_combo.setObjectName("modelCombo")
        self.model_combo.setEditable(True)
        self.model_combo.setInsertPolicy(QtWidgets.QComboBox.NoInsert)
        self.model_combo.setSizeAdjustPolicy(SHORT_COMBO)
        self.model_combo.setMinimumContentsLength(14)
        self.refresh_button = push_button("refreshModelsButton", "\u21bb",
                                          "List this provider's models again")
        self.provider_combo.currentIndexChanged.connect(self.provider_changed)
        self.model_combo.currentTextChanged.connect(self._on_model_edited)
        self.refresh_button.clicked.connect(lambda: self.refresh(force=True))

    # -- what is chosen ---------------------------------------------------------------------------

    def provider(self) -> str:
        return self.provider_combo.currentData() or ""

    def model(self) -> str:
        return self.model_combo.currentText().strip()

    def set_provider(self, provider_id: str) -> bool:
        index = self.provider_combo.findData(provider_id)
        if index < 0:
            return False
        self.provider_combo.setCurrentIndex(index)
        return True

    def set_model(self, model: str) -> None:
        self.model_combo.setEditText(model)

    def resolve(self, provider_id: str, model: Optional[str] = None) -> ProviderSettings:
        """Call settings for ``provider_id``; raises :class:`ProviderError` (``config``)."""
        return self.owner.config.resolve(provider_id, model=model or None,
                                         base_url=self._base_url_for(provider_id))

    def _base_url_for(self, provider_id: str) -> Optional[str]:
        return self._override_base_url if provider_id == self._override_target else None

    def settings_for_turn(self) -> Optional[ProviderSettings]:
        """The settings for a new turn, or None after showing why there can be none."""
        pid, model = self.provider(), self.model()
        if not pid:
            self.owner.show_error(CONFIG, *NO_PROVIDER, about_provider=True)
            return None
        if not model:
            self.owner.show_error("model_not_found", "No model is selected.",
                                  "Pick a model from the list or type its name.",
                                  about_provider=True)
            return None
        try:
            return self.resolve(pid, model)
        except ProviderError as exc:
            self.owner.show_error(exc.kind, exc.message, exc.hint, about_provider=True)
            return None

    def _default_model(self, provider_id: str) -> str:
        if provider_id in self._chosen:
            return self._chosen[provider_id]
        if self._override_model and provider_id == self._override_target:
            return self._override_model
        try:
            return self.owner.config.provider(provider_id).model
        except KeyError:
            return ""

    # -- filling ----------------------------------------------------------------------------------

    def fill_providers(self) -> None:
        """List the enabled providers again (after config changed), keeping the choice."""
        config = self.owner.config
        wanted = self.provider() or self._override_provider or config.default_provider
        self._filling = True
        try:
            self.provider_combo.clear()
            ids = [p.id for p in config.providers(enabled_only=True)]
            extra = self._override_provider
            if extra and extra not in ids and config.is_allowed(extra):
                ids.append(extra)
            for pid in ids:
                self.provider_combo.addItem(PROVIDERS[pid].label, pid)
            self.provider_combo.setCurrentIndex(max(0, self.provider_combo.findData(wanted)))
        finally:
            self._filling = False

    def reset(self) -> None:
        """Config changed: forget the model lists, cancel listings, fill everything again."""
        self.models.clear()
        self.cancel()
        self.fill_providers()
        self.provider_changed()

    def start(self) -> None:
        """The panel opens: show the provider's model, and once the panel has been painted,
        resolve its settings (the keychain's first use) on a background thread, then list
        its models."""
        pid = self._show_provider()
        if not pid:
            return
        config, base_url = self.owner.config, self._base_url_for(pid)
        watcher = ResultBridge()
        watcher.succeeded.connect(partial(self._on_resolved, pid, watcher))
        watcher.failed.connect(partial(self._on_resolved, pid, watcher))
        self._resolving = watcher

        def resolve() -> None:
            if watcher is self._resolving:  # else the provider changed meanwhile
                watcher.watch(_in_thread(lambda: config.resolve(pid, base_url=base_url)))

        _AfterFirstPaint(self.owner, resolve)

    @property
    def starting(self) -> bool:
        """Is the first resolve (:meth:`start`) still running?"""
        return self._resolving is not None

    def provider_changed(self, *_args: Any) -> None:
        if self._filling:
            return
        self._resolving = None  # a first resolve still running is out of date
        pid = self._show_provider()
        if not pid:
            return
        try:
            settings = self.resolve(pid)
        except ProviderError as exc:
            self._not_set_up(pid, exc)
            return
        if pid not in self.models:
            self.refresh(settings=settings)

    def _show_provider(self) -> str:
        """The current provider's model list and model; the banner when there is none."""
        pid = self.provider()
        self.owner.clear_provider_error()
        self._fill_models(pid, self._default_model(pid))
        if not pid:
            self.owner.show_error(CONFIG, *NO_PROVIDER, about_provider=True)
        return pid

    def _on_resolved(self, pid: str, watcher: ResultBridge, outcome: Any) -> None:
        if watcher is not self._resolving or not QtCompat.isValid(self.provider_combo):
            return  # the provider changed, the panel closed, or it is gone
        self._resolving = None
        if isinstance(outcome, ProviderError):
            self._not_set_up(pid, outcome)
        elif isinstance(outcome, BaseException):
            self._not_set_up(pid, ProviderError(CONFIG, f"Could not read the settings: {outcome}"))
        elif pid not in self.models:
            self.refresh(settings=outcome)

    def _not_set_up(self, pid: str, exc: ProviderError) -> None:
        self.owner.show_error(exc.kind, exc.message, exc.hint, about_provider=True)
        self.owner.set_status(f"{PROVIDERS[pid].label} is not set up")

    def _fill_models(self, provider_id: str, text: str) -> None:
        self._filling = True
        try:
            self.model_combo.clear()
            self.model_combo.addItems(self.models.get(provider_id, []))
            self.model_combo.setEditText(text)
        finally:
            self._filling = False

    def _on_model_edited(self, text: str) -> None:
        if not self._filling and self.provider():
            self._chosen[self.provider()] = text.strip()
            self._ask_window(self.provider(), text.strip())

    # -- context windows --------------------------------------------------------------------------

    def context_window(self, provider_id: str, model: str) -> Optional[int]:
        """The model's context window in tokens, when its server has said (None: unknown)."""
        return self.windows.get((provider_id, model)) or \
            self.windows.get((provider_id, f"{model}:latest"))

    def _ask_window(self, pid: str, model: str) -> None:
        """Ollama says a listed model's window only when asked (``/api/show``): ask once."""
        key = (pid, model)
        if pid != "ollama" or model not in self.models.get(pid, []) or \
                key in self.windows or key in self._window_jobs:
            return
        try:
            settings = self.resolve(pid)
        except ProviderError:
            return
        watcher = ResultBridge()
        watcher.succeeded.connect(partial(self._on_window, key))
        self._window_jobs[key] = watcher.watch(self.worker.submit(
            lambda session: ollama_context_window(session, settings, model), name="show:ollama"))

    def _on_window(self, key: Tuple[str, str], window: Any) -> None:
        if window:
            self.windows[key] = int(window)

    # -- model lists ------------------------------------------------------------------------------

    def refresh(self, force: bool = False, settings: Optional[ProviderSettings] = None) -> None:
        """List the current provider's models in the background; the combo fills when they
        come. ``settings`` saves a second keychain read when the caller has just resolved them."""
        pid = self.provider()
        if not pid or (pid in self.jobs and not force):
            return
        try:
            settings = settings or self.resolve(pid)
        except ProviderError as exc:
            self.owner.show_error(exc.kind, exc.message, exc.hint, about_provider=True)
            return
        if pid in self.jobs:
            self.jobs.pop(pid)[0].cancel()
        watcher = ResultBridge()
        watcher.succeeded.connect(partial(self._on_models, pid, watcher))
        watcher.failed.connect(partial(self._on_failed, pid, watcher))
        watcher.cancelled.connect(partial(self._forget, pid, watcher))
        handle = watcher.watch(self.worker.list_models(settings))
        self.jobs[pid] = (handle, watcher)
        if not self.owner.streaming:
            self.owner.set_status(f"{LISTING}{PROVIDERS[pid].label} models\u2026")

    def cancel(self) -> None:
        """Cancel every listing in flight; safe to call more than once."""
        self._resolving = None
        for handle, _watcher in list(self.jobs.values()):
            handle.cancel()
        self.jobs.clear()
        for handle in self._window_jobs.values():
            handle.cancel()
        self._window_jobs.clear()

    def _listing_status(self) -> bool:
        """May a model list result take the status line (nothing newer is shown there)?"""
        return not self.owner.streaming and self.owner.status_text().startswith(LISTING)

    def _forget(self, pid: str, watcher: ResultBridge, *_args: Any) -> bool:
        job = self.jobs.get(pid)
        if job is None or job[1] is not watcher:
            return False
        del self.jobs[pid]
        return True

    def _on_models(self, pid: str, watcher: ResultBridge, models: Any) -> None:
        if not self._forget(pid, watcher):
            return
        self.models[pid] = [m.id for m in models]
        for model in models:
            window = context_from_listing(model.details)
            if window:
                self.windows[(pid, model.id)] = window
        if pid != self.provider():
            return
        listed = self.models[pid]
        self._fill_models(pid, self.model() or self._default_model(pid) or
                          (listed[0] if listed else ""))
        if not self.owner.streaming:
            self.owner.clear_provider_error()
        self._ask_window(pid, self.model())
        if self._listing_status():
            count = len(listed)
            self.owner.set_status(f"{PROVIDERS[pid].label}: {count} model"
                                  f"{'s' if count != 1 else ''}")
        if not listed and pid == "ollama":
            self.owner.show_error("model_not_found", "Ollama is running but has no models yet.",
                                  "Run `ollama pull llama3.2` to download one, then press \u21bb.",
                                  about_provider=True)

    def _on_failed(self, pid: str, watcher: ResultBridge, exc: Any) -> None:
        if not self._forget(pid, watcher) or pid != self.provider():
            return
        if isinstance(exc, ProviderError):
            kind, message, hint = exc.kind, exc.message, exc.hint
        else:
            kind, message, hint = "protocol", f"Could not list models: {exc}", ""
        if pid == "ollama" and kind in ("connect", "connect_timeout"):
            hint = OLLAMA_START
        elif kind in ("connect", "connect_timeout"):
            hint = (hint + " Or pick another provider, or check it in Settings.").strip()
        if not self.owner.streaming and self.owner.may_report_provider():
            self.owner.show_error(kind, message, hint, about_provider=True)
        if self._listing_status():
            self.owner.set_status(f"{PROVIDERS[pid].label} is not reachable")


class _AfterFirstPaint(QtCore.QObject):
    """Runs ``call`` once, on the main thread, right after ``widget``'s first paint (or after
    :data:`FIRST_PAINT_WAIT_MS` when it is not painted by then); never once the widget is
    gone (this object is its child)."""

    def __init__(self, widget: QtWidgets.QWidget, call: Callable[[], None]) -> None:
        super().__init__(widget)
        self._call: Optional[Callable[[], None]] = call
        self._timer = QtCore.QTimer(self)
        self._timer.setSingleShot(True)
        self._timer.timeout.connect(self._run)
        self._timer.start(FIRST_PAINT_WAIT_MS)
        widget.installEventFilter(self)

    def eventFilter(self, watched: Any, event: Any) -> bool:
        if event.type() == QtCore.QEvent.Paint and self._call is not None:
            self._timer.start(0)  # once this paint is drawn
        return False

    def _run(self) -> None:
        call, self._call = self._call, None
        self.parent().removeEventFilter(self)
        self.deleteLater()
        if call is not None:
            call()


def _in_thread(call: Callable[[], Any]) -> "concurrent.futures.Future[Any]":
    """``call()`` on a daemon thread of its own; its outcome in the returned future (a
    keychain that hangs never holds Nuke's exit)."""
    future: "concurrent.futures.Future[Any]" = concurrent.futures.Future()

    def run() -> None:
        try:
            future.set_result(call())
        except BaseException as exc:  # noqa: B902 - handed to the main thread as it is
            future.set_exception(exc)

    threading.Thread(target=run, name="nuke-ai-panel-keychain", daemon=True).start()
    return future
