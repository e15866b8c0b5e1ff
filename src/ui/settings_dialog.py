"""The settings dialog: providers, keys, models, deadlines, and connection tests.

Nothing here waits on the network. Tests and model lists run on the shared worker and come back
through a :class:`ResultBridge` on the main thread, so Nuke keeps painting while a server takes
its time; closing the dialog cancels whatever is still running. A test uses the values typed in
the dialog, saved or not, and a typed key is only stored (in the keychain, never on disk) when
the artist presses Save.
"""

from __future__ import annotations

import functools
import weakref
from typing import Any, Callable, Dict, List, Optional, Set, Tuple

from Qt import QtCompat, QtCore, QtWidgets

from nuke_ai_panel import secrets
from nuke_ai_panel.config import Config, NotSetUp, load_config, save_config
from nuke_ai_panel.errors import ProviderError
from nuke_ai_panel.provider_info import PROVIDER_IDS, PROVIDERS
from nuke_ai_panel.redact import redact

from .bridge import ResultBridge
from .general_settings import GeneralBox
from .plain_words import for_gui
from .provider_page import ProviderPage
from .provider_widgets import UNSET, describe_failure, format_check, set_state_style, state_icon

Qt = QtCore.Qt
TEST, MODELS = "test", "models"
JobKey = Tuple[str, str]

_in_flight: Set[ResultBridge] = set()


def _watch(handle: Any, owner: "SettingsDialog", key: JobKey) -> None:
    """Deliver ``handle``'s outcome to ``owner`` on the main thread, if it still exists.

    The bridge is kept alive here until the job ends, not by the dialog, so a job that
    finishes after the dialog was destroyed finds a live bridge and is simply dropped.
    """
    bridge = ResultBridge()
    _in_flight.add(bridge)
    ref = weakref.ref(owner)

    def deliver(outcome: str, value: Any = None) -> None:
        _in_flight.discard(bridge)
        bridge.deleteLater()
        dialog = ref()
        if dialog is not None and _alive(dialog):
            dialog._job_finished(key, handle, outcome, value)

    bridge.succeeded.connect(lambda value: deliver("ok", value))
    bridge.failed.connect(lambda exc: deliver("failed", exc))
    bridge.cancelled.connect(lambda: deliver("cancelled"))
    bridge.watch(handle)


def _cancel_handles(jobs: Dict[JobKey, Any], *_args: Any) -> None:
    """Cancel ``jobs``; connected to ``destroyed``, so it must not need the dialog itself."""
    for handle in list(jobs.values()):
        handle.cancel()
    jobs.clear()


def _alive(widget: QtWidgets.QWidget) -> bool:
    return bool(QtCompat.isValid(widget))


class SettingsDialog(QtWidgets.QDialog):
    """Per-provider settings; objectNames per DESIGN section 8.

    ``worker`` defaults to the app-wide one (tests pass their own). ``settingsSaved`` fires
    after a successful save so the chat panel can reload the config.
    """

    settingsSaved = QtCore.Signal()

    def __init__(self, parent: Optional[QtWidgets.QWidget] = None, worker: Any = None) -> None:
        super().__init__(parent)
        self.setObjectName("settingsDialog")
        self.setWindowTitle("Nuke AI Panel Settings")
        self._worker = worker
        self._jobs: Dict[JobKey, Any] = {}
        self._test_all: Set[str] = set()
        self._test_all_done: Dict[str, str] = {}
        self.config: Config = load_config()
        self.keychain: Tuple[bool, str] = secrets.keychain_status()
        self.pages: Dict[str, ProviderPage] = {}
        self._question: Any = None
        self.destroyed.connect(functools.partial(_cancel_handles, self._jobs))
        self._build()
        self.resize(880, 640)

    # ----- building ----------------------------------------------------------------------------

    def _build(self) -> None:
        layout = QtWidgets.QVBoxLayout(self)
        self.warningsLabel = QtWidgets.QLabel("")
        self.warningsLabel.setObjectName("warningsLabel")
        self.warningsLabel.setWordWrap(True)
        self.warningsLabel.setTextFormat(Qt.TextFormat.PlainText)
        self.warningsLabel.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        set_state_style(self.warningsLabel, "warning")
        layout.addWidget(self.warningsLabel)
        self._show_warnings()

        self.keychainLabel = QtWidgets.QLabel("")
        self.keychainLabel.setObjectName("keychainLabel")
        self.keychainLabel.setWordWrap(True)
        self.keychainLabel.setTextFormat(Qt.TextFormat.PlainText)
        layout.addWidget(self.keychainLabel)
        self._show_keychain()
        self.general = GeneralBox(self.config)
        layout.addWidget(self.general)

        self.providerList = QtWidgets.QListWidget()
        self.providerList.setObjectName("providerList")
        self.providerList.setSizePolicy(QtWidgets.QSizePolicy.Policy.Fixed,
                                        QtWidgets.QSizePolicy.Policy.Expanding)
        self.providerPages = QtWidgets.QStackedWidget()
        self.providerPages.setObjectName("providerPages")
        for pid in PROVIDER_IDS:
            page = ProviderPage(self.config, pid, self.keychain)
            page.testRequested.connect(self._on_test_button)
            page.modelsRequested.connect(self.fetch_models)
            page.stateChanged.connect(self._refresh_item)
            self.pages[pid] = page
            self.providerPages.addWidget(page)
            item = QtWidgets.QListWidgetItem(PROVIDERS[pid].label)
            item.setData(Qt.ItemDataRole.UserRole, pid)
            self.providerList.addItem(item)
            self._refresh_item(pid)
        self.providerList.setFixedWidth(min(230, self.providerList.sizeHintForColumn(0) + 24))
        self.providerList.currentRowChanged.connect(self.providerPages.setCurrentIndex)
        first = next((i for i, pid in enumerate(PROVIDER_IDS) if self.config.is_allowed(pid)), 0)
        self.providerList.setCurrentRow(first)
        middle = QtWidgets.QHBoxLayout()
        middle.addWidget(self.providerList)
        middle.addWidget(self.providerPages, 1)
        layout.addLayout(middle, 1)

        bottom = QtWidgets.QHBoxLayout()
        self.testAllButton = QtWidgets.QPushButton("Test all")
        self.testAllButton.setObjectName("testAllButton")
        self.testAllButton.setToolTip("Test every enabled provider at once, with the values "
                                      "typed here.")
        self.testAllButton.clicked.connect(self.test_all)
        self.testAllSummary = QtWidgets.QLabel("")
        self.testAllSummary.setObjectName("testAllSummary")
        self.testAllSummary.setTextFormat(Qt.TextFormat.PlainText)
        bottom.addWidget(self.testAllButton)
        bottom.addWidget(self.testAllSummary, 1)
        layout.addLayout(bottom)

        self.saveStatusLabel = QtWidgets.QLabel("")
        self.saveStatusLabel.setObjectName("saveStatusLabel")
        self.saveStatusLabel.setWordWrap(True)
        self.saveStatusLabel.setTextFormat(Qt.TextFormat.PlainText)
        self.saveStatusLabel.setVisible(False)
        layout.addWidget(self.saveStatusLabel)

        buttons = QtWidgets.QDialogButtonBox.StandardButton
        self.buttonBox = QtWidgets.QDialogButtonBox(buttons.Save | buttons.Apply | buttons.Cancel)
        self.buttonBox.setObjectName("buttonBox")
        self.saveButton = self.buttonBox.button(buttons.Save)
        self.saveButton.setObjectName("saveButton")
        self.applyButton = self.buttonBox.button(buttons.Apply)
        self.applyButton.setObjectName("applyButton")
        self.cancelButton = self.buttonBox.button(buttons.Cancel)
        self.cancelButton.setObjectName("cancelButton")
        self.cancelButton.setToolTip("Close without saving: nothing typed here is kept")
        self.saveButton.clicked.connect(self._on_save)
        self.applyButton.clicked.connect(self.save)
        self.cancelButton.clicked.connect(self.discard)
        layout.addWidget(self.buttonBox)

    def _show_warnings(self) -> None:
        lines = [redact(line) for line in self.config.warnings]
        self.warningsLabel.setText("\n".join(lines))
        self.warningsLabel.setVisible(bool(lines))

    def _show_keychain(self) -> None:
        """Said once per dialog, only when there is no keychain (why, and what to do); the
        pages only name where each key comes from."""
        available, description = self.keychain
        self.keychainLabel.setText("" if available else (
            "No keychain on this system, so API keys cannot be saved here; set each "
            "provider's environment variable instead (named on its page). A key typed here "
            "is only used for Test, and keys are never written to disk."))
        self.keychainLabel.setToolTip("" if available else description)
        set_state_style(self.keychainLabel, "warning")
        self.keychainLabel.setVisible(not available)

    def _refresh_item(self, pid: str) -> None:
        item = self.providerList.item(PROVIDER_IDS.index(pid))
        page = self.pages[pid]
        label = PROVIDERS[pid].label
        if not page.allowed:
            item.setText(f"{label} (not allowed)")
        elif not page.enabled:
            item.setText(f"{label} (off)")
        elif page.test_state == UNSET:
            item.setText(f"{label} (not set up)")
        else:
            item.setText(label)
        item.setIcon(state_icon(page.test_state))
        item.setToolTip(page.testResult.text())

    # ----- the worker and its jobs -------------------------------------------------------------

    @property
    def worker(self) -> Any:
        if self._worker is None:
            from nuke_ai_panel.worker import get_worker
            self._worker = get_worker()
        return self._worker

    def _start(self, key: JobKey, submit: Callable[[], Any]) -> None:
        self._cancel(key)
        handle = submit()
        self._jobs[key] = handle
        _watch(handle, self, key)

    def _cancel(self, key: JobKey) -> None:
        handle = self._jobs.pop(key, None)
        if handle is not None:
            handle.cancel()

    def cancel_all(self) -> None:
        """Cancel every test and model list still running."""
        for key in list(self._jobs):
            self._cancel(key)
        self._test_all.clear()

    def running(self, pid: str, kind: str = TEST) -> bool:
        return (pid, kind) in self._jobs

    def _job_finished(self, key: JobKey, handle: Any, outcome: str, value: Any) -> None:
        if self._jobs.get(key) is not handle:
            return
        del self._jobs[key]
        pid, kind = key
        if kind == TEST:
            self._test_finished(pid, outcome, value)
        else:
            self._models_finished(pid, outcome, value)

    # ----- tests -------------------------------------------------------------------------------

    def _on_test_button(self, pid: str) -> None:
        if self.running(pid):
            self._cancel((pid, TEST))
            self.pages[pid].set_result("Stopped.", "")
            self._after_test(pid, "")
            return
        self.test(pid)

    def test(self, pid: str) -> None:
        """Check ``pid`` with the values typed in the dialog; the result shows inline."""
        page = self.pages[pid]
        try:
            settings = page.settings_for_call(self.config)
        except ProviderError as exc:
            self._cancel((pid, TEST))
            text, state = describe_failure(exc.kind, exc.message, exc.hint,
                                           isinstance(exc, NotSetUp))
            page.set_result(text, state)
            self._after_test(pid, state)
            return
        page.set_testing()
        self._refresh_item(pid)
        self._start((pid, TEST), lambda: self.worker.check_connection(settings))

    def test_all(self) -> None:
        """Test every enabled, allowed provider at once."""
        targets = [pid for pid, page in self.pages.items() if page.allowed and page.enabled]
        self._test_all = set(targets)
        self._test_all_done = {}
        if not targets:
            self.testAllSummary.setText("No provider is enabled.")
            return
        self.testAllSummary.setText(f"Testing {len(targets)} providers\u2026")
        for pid in targets:
            self.test(pid)

    def _test_finished(self, pid: str, outcome: str, value: Any) -> None:
        page = self.pages[pid]
        if outcome == "ok":
            text, state = format_check(value)
            page.set_result(text, state)
            if value.ok:
                self.fetch_models(pid)
        elif outcome == "failed":
            message = getattr(value, "message", None) or str(value) or type(value).__name__
            text, state = describe_failure(getattr(value, "kind", ""), redact(message),
                                           getattr(value, "hint", ""))
            page.set_result(text, state)
        else:
            page.set_result("Cancelled.", "")
            state = ""
        self._after_test(pid, state)

    def _after_test(self, pid: str, state: str) -> None:
        self._refresh_item(pid)
        if pid not in self._test_all:
            return
        self._test_all_done[pid] = state
        if len(self._test_all_done) < len(self._test_all):
            return
        states = list(self._test_all_done.values())
        ok, failed, unset = states.count("ok"), states.count("error"), states.count(UNSET)
        stopped = len(states) - ok - failed - unset
        text = f"{ok} ok, {failed} failed" + (f", {unset} not set up" if unset else "") + \
            (f", {stopped} stopped" if stopped else "")
        self.testAllSummary.setText(text)
        set_state_style(self.testAllSummary, "error" if failed else "ok" if ok else "")
        self._test_all = set()

    # ----- models ------------------------------------------------------------------------------

    def fetch_models(self, pid: str, force: bool = True) -> None:
        """Fill ``modelCombo_<pid>`` from the server, in the background.

        ``force=False`` (the combo dropping down) leaves a fetch already under way alone.
        """
        if not force and self.running(pid, MODELS):
            return
        page = self.pages[pid]
        try:
            settings = page.settings_for_call(self.config)
        except ProviderError as exc:
            page.set_models_failed(describe_failure(exc.kind, exc.message, exc.hint,
                                                    isinstance(exc, NotSetUp))[0])
            return
        page.set_models_loading()
        self._start((pid, MODELS), lambda: self.worker.list_models(settings))

    def _models_finished(self, pid: str, outcome: str, value: Any) -> None:
        page = self.pages[pid]
        if outcome == "ok":
            page.set_models(sorted(m.id for m in value))
        elif outcome == "failed":
            message = getattr(value, "message", None) or str(value) or type(value).__name__
            page.set_models_failed(describe_failure(getattr(value, "kind", ""), redact(message),
                                                    getattr(value, "hint", ""))[0])
        else:
            page.modelNote.setVisible(False)

    # ----- saving ------------------------------------------------------------------------------

    def save(self) -> bool:
        """Write config.json and the keychain; show problems inline. True when all went in."""
        problems: List[str] = []
        fresh = load_config()
        problems.extend(self.general.apply_to(fresh))
        for page in self.pages.values():
            problems.extend(page.apply_to(fresh))
        if problems:
            self._show_save_status(problems, "Nothing was saved: ")
            return False
        try:
            save_config(fresh)
        except OSError as exc:
            self._show_save_status([f"Could not write {fresh.user_path}: {exc}"], "")
            return False
        key_problems = self._save_keys()
        self.config = load_config()
        self.keychain = secrets.keychain_status()
        self._show_warnings()
        self._show_keychain()
        self.general.load(self.config)
        for pid, page in self.pages.items():
            page.load(self.config)
            page.set_keychain(self.keychain)
            if pid in key_problems:
                page.refresh_key_status(key_problems[pid])
            self._refresh_item(pid)
        if key_problems:
            self._show_save_status(list(key_problems.values()),
                                   "Settings saved, but not every key: ")
        else:
            self._show_save_status([], "")
        self.settingsSaved.emit()
        return not key_problems

    def _save_keys(self) -> Dict[str, str]:
        problems: Dict[str, str] = {}
        for pid, page in self.pages.items():
            try:
                if page.typed_key:
                    secrets.set_key(pid, page.typed_key)
                elif page.remove_key_pending:
                    secrets.delete_key(pid)
            except secrets.KeychainUnavailable as exc:
                problems[pid] = " ".join(part for part in (exc.message, exc.hint) if part)
        return problems

    def _show_save_status(self, problems: List[str], prefix: str) -> None:
        if not problems:
            self.saveStatusLabel.setText("Saved.")
            set_state_style(self.saveStatusLabel, "ok")
        else:
            self.saveStatusLabel.setText(prefix + "\n".join(
                for_gui(redact(p), inside_settings=True) for p in problems))
            set_state_style(self.saveStatusLabel, "error")
        self.saveStatusLabel.setVisible(True)

    def _on_save(self) -> None:
        if self.save():
            self.accept()

    # ----- closing -----------------------------------------------------------------------------

    def has_edits(self) -> bool:
        """Is anything on screen not saved yet (a value, a typed key, a pending removal)?"""
        return bool(self.general.changed()) or any(page.has_edits()
                                                   for page in self.pages.values())

    def discard(self) -> None:
        """Cancel: close and keep nothing typed here (no key reaches the keychain)."""
        super().reject()

    def reject(self) -> None:
        """Esc and the close box: with edits on screen, ask first; Cancel does not ask."""
        if not self.has_edits() or not self.isVisible():
            self.discard()
            return
        box = QtWidgets.QMessageBox(
            QtWidgets.QMessageBox.Icon.Question, "Discard your changes?",
            "Some settings were changed here but not saved. Close and discard them?",
            QtWidgets.QMessageBox.StandardButton.Discard
            | QtWidgets.QMessageBox.StandardButton.Cancel, self)
        box.setObjectName("discardQuestion")
        box.button(QtWidgets.QMessageBox.StandardButton.Cancel).setText("Keep editing")
        box.setDefaultButton(QtWidgets.QMessageBox.StandardButton.Cancel)
        box.finished.connect(functools.partial(self._discard_answered, box))
        self._question = box
        box.open()

    def _discard_answered(self, box: Any, _result: int) -> None:
        box.setObjectName("")
        box.deleteLater()
        self._question = None
        if box.clickedButton() is box.button(QtWidgets.QMessageBox.StandardButton.Discard):
            self.discard()

    def done(self, result: int) -> None:
        """Every way out (Save, Cancel, Esc, the close box) cancels the jobs still running."""
        self.cancel_all()
        super().done(result)
