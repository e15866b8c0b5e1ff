"""Fixtures and helpers for the settings dialog tests (imported by test_settings_dialog.py)."""

from __future__ import annotations

import json
import os
import socket
from pathlib import Path
from typing import Any, Callable, Dict, Iterator, List

import pytest

from nuke_ai_panel.worker import Worker

WAIT_MS = 10_000


@pytest.fixture
def worker() -> Iterator[Worker]:
    """A private worker, shut down after the test so no loop or session leaks."""
    w = Worker(name="settings-dialog-test-loop")
    yield w
    w.shutdown(2.0)


@pytest.fixture
def make_dialog(qtbot: Any, worker: Worker) -> Iterator[Callable[..., Any]]:
    """Build and show a SettingsDialog on the test worker; closed at teardown."""
    from src.ui.settings_dialog import SettingsDialog

    made: List[Any] = []

    def make(**kwargs: Any) -> SettingsDialog:
        dialog = SettingsDialog(worker=worker, **kwargs)
        qtbot.addWidget(dialog)
        dialog.show()
        qtbot.waitExposed(dialog)
        made.append(dialog)
        return dialog

    yield make
    for dialog in made:
        if dialog.isVisible():
            dialog.discard()


def home() -> Path:
    return Path(os.environ["NUKE_AI_PANEL_HOME"])


def write_user_config(providers: Dict[str, Dict[str, Any]]) -> Path:
    path = home() / "config.json"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps({"version": 1, "providers": providers}), encoding="utf-8")
    return path


def only_enabled(*provider_ids: str, **urls: str) -> Dict[str, Dict[str, Any]]:
    """A providers section enabling just ``provider_ids``, with base URLs by id."""
    from nuke_ai_panel.provider_info import PROVIDER_IDS

    out: Dict[str, Dict[str, Any]] = {}
    for pid in PROVIDER_IDS:
        out[pid] = {"enabled": pid in provider_ids}
        url = urls.get(pid.replace("-", "_"))
        if url:
            out[pid]["base_url"] = url
    return out


def closed_port_url() -> str:
    """A URL on 127.0.0.1 where nothing listens (connection refused)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    return f"http://127.0.0.1:{port}"


def files_under(root: Path) -> List[Path]:
    return [p for p in root.rglob("*") if p.is_file()] if root.exists() else []
