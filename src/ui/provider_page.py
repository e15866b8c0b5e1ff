"""One provider's page in the settings dialog: its fields, key status and test result.

The page only holds and shows values; the dialog owns the config, the worker and the jobs.
It remembers what it loaded so Save writes only what the artist changed (no default gets
pinned into config.json) and a test uses the typed values without saving them.
"""

from __future__ import annotations

import copy
import dataclasses
from typing import Any, Dict, List, Optional, Sequence, Tuple

from Qt import QtCore, QtWidgets

from nuke_ai_panel.config import OPENAI_COMPATIBLE, Config, SettingError
from nuke_ai_panel.errors import CONFIG, ProviderError
from nuke_ai_panel.provider_info import PROVIDERS
from nuke_ai_panel.settings import ProviderSettings

from .key_field import KeyField
from .plain_words import for_gui
from .provider_widgets import STATE_COLOURS, ModelCombo, note_label, set_state_style

Qt = QtCore.Qt

LOCKED_TEXT = "Set by your studio"

_SECONDS_FIELDS: Tuple[Tuple[str, str, str], ...] = (
    ("connect_timeout", "connectSpin", "Connect"),
    ("first_token_timeout", "firstTokenSpin", "First token"),
    ("idle_timeout", "idleSpin", "Idle"),
    ("request_timeout", "requestSpin", "Request"),
)
_SECONDS_TIPS = {
    "connect_timeout": "TCP and TLS connection to the server.",
    "first_token_timeout": "From sending a question to the first word of the answer "
                           "(a local model may need minutes to load).",
    "idle_timeout": "Longest silence allowed once the answer is streaming.",
    "request_timeout": "Whole non-streaming calls: the model list and Test.",
}



class ProviderPage(QtWidgets.QScrollArea):
    """The widgets of one provider; objectNames follow DESIGN section 8."""

    testRequested = QtCore.Signal(str)
    modelsRequested = QtCore.Signal(str, bool)
    stateChanged = QtCore.Signal(str)

    def __init__(self, config: Config, provider_id: str, keychain: Tuple[bool, str],
                 parent: Optional[QtWidgets.QWidget] = None) -> None:
        super().__init__(parent)
        self.provider_id = provider_id
        self.info = PROVIDERS[provider_id]
        self.setObjectName(f"providerPage_{provider_id}")
        self.setWidgetResizable(True)
        self.setFrameShape(QtWidgets.QFrame.Shape.NoFrame)
        self._config = config
        self._keychain = keychain
        self._loaded: Dict[str, Any] = {}
        self._lock_labels: List[QtWidgets.QLabel] = []
        self.models_tried = False
        self.test_state = ""
        self._build()
        self.load(config)

    # ----- building ----------------------------------------------------------------------------

    def _build(self) -> None:
        pid = self.provider_id
        body = QtWidgets.QWidget()
        body.setObjectName(f"providerBody_{pid}")
        outer = QtWidgets.QVBoxLayout(body)
        outer.setContentsMargins(16, 12, 16, 12)

        title = QtWidgets.QLabel(self.info.label)
        font = title.font()
        font.setPointSizeF(font.pointSizeF() * 1.3)
        font.setBold(True)
        title.setFont(font)
        outer.addWidget(title)
        self.notAllowedLabel = self._note("notAllowedLabel")
        outer.addWidget(self.notAllowedLabel)

        self._form_box = QtWidgets.QWidget()
        form = QtWidgets.QFormLayout(self._form_box)
        form.setContentsMargins(0, 8, 0, 0)
        form.setFieldGrowthPolicy(QtWidgets.QFormLayout.FieldGrowthPolicy.AllNonFixedFieldsGrow)
        form.setLabelAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        outer.addWidget(self._form_box)

        self.enabledCheck = QtWidgets.QCheckBox("Offer this provider in the chat panel")
        self.enabledCheck.setObjectName(f"enabledCheck_{pid}")
        self.enabledCheck.toggled.connect(lambda _on: self.stateChanged.emit(pid))
        form.addRow("Enabled", self._with_lock(self.enabledCheck, "enabled"))

        self.baseUrlEdit = QtWidgets.QLineEdit()
        self.baseUrlEdit.setObjectName(f"baseUrlEdit_{pid}")
        self.baseUrlEdit.setPlaceholderText(self.info.default_base_url or
                                            "http://localhost:1234/v1")
        self.baseUrlNote = self._note("baseUrlNote")
        form.addRow("Base URL", self._stack(self._with_lock(self.baseUrlEdit, "base_url"),
                                            self.baseUrlNote))

        self.key_field = KeyField(pid, self._keychain, lambda: self.key_env_var)
        form.addRow("API key", self.key_field)
        if pid == OPENAI_COMPATIBLE:
            self.apiKeyEnvEdit: Optional[QtWidgets.QLineEdit] = QtWidgets.QLineEdit()
            self.apiKeyEnvEdit.setObjectName(f"apiKeyEnvEdit_{pid}")
            self.apiKeyEnvEdit.setPlaceholderText("e.g. LMSTUDIO_API_KEY (optional)")
            self.apiKeyEnvEdit.setToolTip("The environment variable that holds this server's "
                                          "key, used when no key is in the keychain.")
            self.apiKeyEnvEdit.textChanged.connect(lambda _t: self.key_field.refresh())
            form.addRow("Key variable", self._with_lock(self.apiKeyEnvEdit, "api_key_env"))
        else:
            self.apiKeyEnvEdit = None

        self.modelCombo = ModelCombo()
        self.modelCombo.setObjectName(f"modelCombo_{pid}")
        self.modelCombo.setEditable(True)
        self.modelCombo.setInsertPolicy(QtWidgets.QComboBox.InsertPolicy.NoInsert)
        self.modelCombo.setSizePolicy(QtWidgets.QSizePolicy.Policy.Expanding,
                                      QtWidgets.QSizePolicy.Policy.Fixed)
        self.modelCombo.popupRequested.connect(self._on_popup)
        self.modelRefreshButton = QtWidgets.QPushButton("Refresh list")
        self.modelRefreshButton.setObjectName(f"modelRefreshButton_{pid}")
        self.modelRefreshButton.setToolTip("Fetch the models this server offers.")
        self.modelRefreshButton.clicked.connect(lambda: self.modelsRequested.emit(pid, True))
        model_row = self._with_lock(self.modelCombo, "model")
        model_row.layout().addWidget(self.modelRefreshButton)
        self.modelNote = self._note("modelNote")
        form.addRow("Model", self._stack(model_row, self.modelNote))

        form.addRow("Deadlines", self._deadlines())

        self.testButton = QtWidgets.QPushButton("Test")
        self.testButton.setObjectName(f"testButton_{pid}")
        self.testButton.setToolTip("Check the connection with the values typed here "
                                   "(nothing is saved).")
        self.testButton.clicked.connect(lambda: self.testRequested.emit(pid))
        self.testResult = QtWidgets.QLabel("")
        self.testResult.setObjectName(f"testResult_{pid}")
        self.testResult.setWordWrap(True)
        self.testResult.setTextFormat(Qt.TextFormat.PlainText)
        self.testResult.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.testResult.setSizePolicy(QtWidgets.QSizePolicy.Policy.Expanding,
                                      QtWidgets.QSizePolicy.Policy.Preferred)
        test_row = QtWidgets.QHBoxLayout()
        test_row.setContentsMargins(0, 0, 0, 0)
        test_row.addWidget(self.testButton, 0, Qt.AlignmentFlag.AlignTop)
        test_row.addWidget(self.testResult, 1)
        form.addRow("Connection", test_row)
        outer.addStretch(1)
        self.setWidget(body)

    def _deadlines(self) -> QtWidgets.QWidget:
        box = QtWidgets.QWidget()
        grid = QtWidgets.QGridLayout(box)
        grid.setContentsMargins(0, 0, 0, 0)
        self.spins: Dict[str, QtWidgets.QDoubleSpinBox] = {}
        for index, (field, name, label) in enumerate(_SECONDS_FIELDS):
            spin = QtWidgets.QDoubleSpinBox()
            spin.setObjectName(f"{name}_{self.provider_id}")
            spin.setRange(0.1, 86400.0)
            spin.setDecimals(1)
            spin.setSuffix(" s")
            spin.setToolTip(_SECONDS_TIPS[field])
            self.spins[field] = spin
            caption = QtWidgets.QLabel(label)
            caption.setToolTip(_SECONDS_TIPS[field])
            row, col = divmod(index, 2)
            grid.addWidget(caption, row, col * 2)
            grid.addWidget(self._with_lock(spin, field), row, col * 2 + 1)
        self.retriesSpin = QtWidgets.QSpinBox()
        self.retriesSpin.setObjectName(f"retriesSpin_{self.provider_id}")
        self.retriesSpin.setRange(0, 10)
        self.retriesSpin.setToolTip("Retries before the first word of an answer "
                                    "(connection errors, 429, 5xx).")
        grid.addWidget(QtWidgets.QLabel("Retries"), 2, 0)
        grid.addWidget(self._with_lock(self.retriesSpin, "max_retries"), 2, 1)
        grid.setColumnStretch(1, 1)
        grid.setColumnStretch(3, 1)
        return box

    def _note(self, name: str, visible: bool = False) -> QtWidgets.QLabel:
        return note_label(f"{name}_{self.provider_id}", visible)

    def _with_lock(self, widget: QtWidgets.QWidget, field: str) -> QtWidgets.QWidget:
        """``widget`` with a "Set by your studio" label beside it, shown when ``field`` is locked."""
        row = QtWidgets.QWidget()
        layout = QtWidgets.QHBoxLayout(row)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(widget, 1)
        lock = QtWidgets.QLabel(LOCKED_TEXT)
        lock.setObjectName(f"lockLabel_{field}_{self.provider_id}")
        lock.setProperty("field", field)
        lock.setVisible(False)
        lock.setStyleSheet(f"color: {STATE_COLOURS['warning']};")
        layout.addWidget(lock)
        widget.setProperty("settingField", field)
        self._lock_labels.append(lock)
        return row

    @staticmethod
    def _stack(*widgets: QtWidgets.QWidget) -> QtWidgets.QWidget:
        box = QtWidgets.QWidget()
        layout = QtWidgets.QVBoxLayout(box)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(2)
        for widget in widgets:
            layout.addWidget(widget)
        return box

    # ----- loading -----------------------------------------------------------------------------

    def path(self, field: str) -> str:
        return f"providers.{self.provider_id}.{field}"

    def load(self, config: Config) -> None:
        """Show ``config``'s effective values, locks and env overrides."""
        self._config = config
        current = config.provider(self.provider_id)
        self._loaded = dataclasses.asdict(current)
        self.enabledCheck.setChecked(current.enabled)
        self.baseUrlEdit.setText(current.base_url)
        if self.apiKeyEnvEdit is not None:
            self.apiKeyEnvEdit.setText(current.api_key_env)
        self.modelCombo.setEditText(current.model)
        for field, spin in self.spins.items():
            spin.setValue(float(getattr(current, field)))
            self._loaded[field] = spin.value()
        self.retriesSpin.setValue(current.max_retries)
        self.key_field.reset()
        self._apply_locks(config)
        env_var = config.env_var_for(self.path("base_url"))
        self.baseUrlNote.setText(f"Set by ${env_var}; unset it to use a URL typed here."
                                 if env_var else "")
        self.baseUrlNote.setVisible(bool(env_var))
        if env_var:
            self.baseUrlEdit.setReadOnly(True)
            self.baseUrlEdit.setToolTip(f"${env_var} overrides this setting.")
        self.refresh_key_status()

    def _apply_locks(self, config: Config) -> None:
        allowed = config.is_allowed(self.provider_id)
        note = config.lock_note or "This setting is managed by your studio."
        for lock in self._lock_labels:
            field = lock.property("field")
            locked = config.is_locked(self.path(field))
            lock.setVisible(locked)
            lock.setToolTip(note if locked else "")
            widget = self.findChild(QtWidgets.QWidget, self._field_widget_name(field))
            if widget is not None:
                self._set_read_only(widget, locked, note)
        self.notAllowedLabel.setText("" if allowed else
                                     f"Not allowed by your studio. {note}")
        self.notAllowedLabel.setVisible(not allowed)
        set_state_style(self.notAllowedLabel, "" if allowed else "warning")
        self._form_box.setEnabled(allowed)

    def _field_widget_name(self, field: str) -> str:
        names = {"enabled": "enabledCheck", "base_url": "baseUrlEdit", "model": "modelCombo",
                 "api_key_env": "apiKeyEnvEdit", "max_retries": "retriesSpin"}
        names.update({f: n for f, n, _ in _SECONDS_FIELDS})
        return f"{names[field]}_{self.provider_id}"

    @staticmethod
    def _set_read_only(widget: QtWidgets.QWidget, locked: bool, note: str) -> None:
        if isinstance(widget, QtWidgets.QLineEdit):
            widget.setReadOnly(locked)
        elif isinstance(widget, QtWidgets.QAbstractSpinBox):
            widget.setReadOnly(locked)
            widget.setButtonSymbols(QtWidgets.QAbstractSpinBox.ButtonSymbols.NoButtons if locked
                                    else QtWidgets.QAbstractSpinBox.ButtonSymbols.UpDownArrows)
        else:
            widget.setEnabled(not locked)
        widget.setProperty("locked", locked)
        widget.setToolTip(note if locked else widget.toolTip())

    # ----- keys --------------------------------------------------------------------------------

    @property
    def typed_key(self) -> str:
        return self.key_field.typed_key

    @property
    def key_env_var(self) -> Optional[str]:
        typed = self.apiKeyEnvEdit.text().strip() if self.apiKeyEnvEdit is not None else ""
        return typed or self.info.key_env

    @property
    def remove_key_pending(self) -> bool:
        return self.key_field.remove_pending

    def set_keychain(self, keychain: Tuple[bool, str]) -> None:
        self._keychain = keychain
        self.key_field.set_keychain(keychain)

    def refresh_key_status(self, problem: str = "") -> None:
        """Say where the key in use comes from, or why a save failed (``problem``)."""
        self.key_field.refresh(problem)

    # ----- the values typed in the dialog ------------------------------------------------------

    def values(self) -> Dict[str, Any]:
        out: Dict[str, Any] = {
            "enabled": self.enabledCheck.isChecked(),
            "base_url": self.baseUrlEdit.text().strip(),
            "model": self.modelCombo.currentText().strip(),
            "max_retries": self.retriesSpin.value(),
        }
        out.update({field: spin.value() for field, spin in self.spins.items()})
        if self.apiKeyEnvEdit is not None:
            out["api_key_env"] = self.apiKeyEnvEdit.text().strip()
        return out

    def changed(self) -> Dict[str, Any]:
        """The fields the artist edited since the page was loaded."""
        loaded = self._loaded
        return {k: v for k, v in self.values().items() if v != loaded.get(k)}

    @property
    def enabled(self) -> bool:
        return self.enabledCheck.isChecked()

    @property
    def allowed(self) -> bool:
        return self._config.is_allowed(self.provider_id)

    def has_edits(self) -> bool:
        """Is anything on this page not saved (a value, a typed key, Remove key)?"""
        return bool(self.changed()) or bool(self.typed_key) or self.remove_key_pending

    def settings_for_call(self, config: Config) -> ProviderSettings:
        """What is on screen, as call settings: every value on the page is applied to a
        copy of ``config`` that is never saved, and :meth:`Config.resolve` judges it (an
        empty field means its default, as its placeholder shows; a typed key is used, a
        pending "Remove key" resolves without the keychain). Raises :class:`ProviderError`."""
        trial = copy.deepcopy(config)
        problems = self.apply_to(trial, every=True)
        if problems:
            raise ProviderError(CONFIG, problems[0], "Correct the value above.")
        return trial.resolve(self.provider_id, api_key=self.typed_key or None,
                             use_keychain=not self.remove_key_pending)

    def apply_to(self, config: Config, every: bool = False) -> List[str]:
        """Copy the edited fields (``every``: all fields on screen) into ``config``; returns
        one message per rejected value. Locked fields and a base URL an environment
        variable sets are left alone."""
        problems = []
        values = self.values() if every else self.changed()
        for field, value in values.items():
            path = self.path(field)
            if config.is_locked(path) or (field == "base_url" and config.env_var_for(path)):
                continue
            try:
                config.set(path, value)
            except SettingError as exc:
                problems.append(for_gui(f"{self.info.label}: {exc}", inside_settings=True))
        return problems

    # ----- models and results ------------------------------------------------------------------

    def _on_popup(self) -> None:
        if not self.models_tried and self.allowed:
            self.modelsRequested.emit(self.provider_id, False)

    def set_models_loading(self) -> None:
        self.modelNote.setVisible(True)
        set_state_style(self.modelNote, "")
        self.modelNote.setText("Fetching the model list\u2026")

    def set_models(self, model_ids: Sequence[str]) -> None:
        """Fill the list; the model typed or configured stays the current text."""
        current = self.modelCombo.currentText()
        self.modelCombo.blockSignals(True)
        try:
            self.modelCombo.clear()
            self.modelCombo.addItems(list(model_ids))
            index = self.modelCombo.findText(current)
            if index >= 0:
                self.modelCombo.setCurrentIndex(index)
            else:
                self.modelCombo.setEditText(current)
        finally:
            self.modelCombo.blockSignals(False)
        self.models_tried = True
        count = len(model_ids)
        missing = bool(current) and not ({current, f"{current}:latest"} & set(model_ids))
        text = f"{count} model{'' if count == 1 else 's'} on the server."
        if missing:
            text += f" {current!r} is not among them."
        self.modelNote.setText(text)
        set_state_style(self.modelNote, "warning" if missing else "")
        self.modelNote.setVisible(True)

    def set_models_failed(self, text: str) -> None:
        self.models_tried = True
        unset = text.startswith("Not set up: ")
        self.modelNote.setText(text if unset else f"Could not list the models: {text}")
        set_state_style(self.modelNote, "" if unset else "error")
        self.modelNote.setVisible(True)

    def set_testing(self) -> None:
        self.test_state = "running"
        self.testButton.setText("Stop")
        self.testButton.setToolTip("Stop this test.")
        self.testResult.setText("Testing\u2026")
        set_state_style(self.testResult, "running")

    def set_result(self, text: str, state: str) -> None:
        self.test_state = state
        self.testButton.setText("Test")
        self.testButton.setToolTip("Check the connection with the values typed here "
                                   "(nothing is saved).")
        self.testResult.setText(text)
        set_state_style(self.testResult, state)
