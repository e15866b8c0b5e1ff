"""The chat panel's config: read once at start, saved a setting at a time, read again after
Settings, and the provider and model the artist last used remembered.

Each save starts from a fresh read of the file, so a setting written meanwhile by the
Settings dialog or another panel is not lost (``update``).
"""

from __future__ import annotations

from typing import Any, Dict, Optional

from Qt import QtWidgets

from nuke_ai_panel.config import Config, SettingError, load_config, save_config
from nuke_ai_panel.logs import get_logger

from .settings_dialog import SettingsDialog

log = get_logger("ui")

__all__ = ["PanelConfig"]


class PanelConfig:
    """``config`` is the panel's current :class:`Config`; ``panel`` the ChatPanel it serves
    (its notices, session, agent controller, pickers); ``worker`` the one Settings tests
    connections with."""

    def __init__(self, panel: Any, worker: Any) -> None:
        self.panel = panel
        self.worker = worker
        self.config: Config = load_config()

    def update(self, values: Dict[str, Any]) -> bool:
        """Apply ``values`` ({dotted path: value}) to a freshly read config and save it;
        False (and a notice) when a value is refused or the file cannot be written."""
        cfg = load_config()
        try:
            for path, value in values.items():
                cfg.set(path, value)
            save_config(cfg)
        except (SettingError, OSError) as exc:
            self.panel.notices.add(f"Could not save the setting: {exc}")
            return False
        self.use(cfg)
        return True

    def use(self, cfg: Config) -> None:
        """Make ``cfg`` the panel's config (history saving, agent mode follow it)."""
        self.config = cfg
        self.panel.session.save_history = cfg.history_enabled
        self.panel.agent.use_config(cfg)

    def remember_choice(self, provider_id: str, model: str) -> None:
        """Save the provider and model of a turn that started, unless the studio locks them."""
        changes: Dict[str, Any] = {}
        if self.config.get("default_provider") != provider_id and \
                not self.config.is_locked("default_provider"):
            changes["default_provider"] = provider_id
        path = f"providers.{provider_id}.model"
        if self.config.get(path) != model and not self.config.is_locked(path):
            changes[path] = model
        if changes:
            self.update(changes)

    def open_settings(self) -> Optional[QtWidgets.QDialog]:
        """Open the settings dialog (non-blocking); config is read again when it closes."""
        try:
            dialog = SettingsDialog(self.panel, worker=self.worker)
        except Exception as exc:
            log.exception("the settings dialog failed to open")
            self.panel.notices.add(f"The settings dialog failed to open: {exc}")
            return None
        dialog.settingsSaved.connect(self.panel.reload_config)
        dialog.finished.connect(lambda _result: self.panel.reload_config())
        dialog.open()
        return dialog

    def reload(self) -> None:
        """Read config again (after Settings): providers, presets, and model lists afresh."""
        panel = self.panel
        self.use(load_config())
        for warning in self.config.warnings:
            panel.notices.add(warning)
        panel.picker.models.clear()
        panel.picker.cancel()
        panel.picker.fill_providers()
        panel.bar.fill_presets()
        panel.picker.provider_changed()
