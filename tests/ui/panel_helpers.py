"""Helpers shared by the chat panel tests and their fixtures (tests/ui/conftest.py)."""

from __future__ import annotations

import json
import os
import socket
from pathlib import Path
from typing import Any, Dict, Iterable, Optional

from nuke_ai_panel.provider_info import PROVIDER_IDS

WAIT_MS = 10_000
#: The error kinds of DESIGN section 4 (a contract).
CONTRACT_KINDS = ("connect", "connect_timeout", "first_token_timeout", "idle_timeout", "auth",
                  "rate_limit", "model_not_found", "bad_request", "server", "stream",
                  "truncated", "protocol", "cancelled", "config", "blocked", "empty")


def user_home() -> Path:
    return Path(os.environ["NUKE_AI_PANEL_HOME"])


def write_config(provider: str = "ollama", base_url: str = "",
                 app: Optional[Dict[str, Any]] = None, **fields: Any) -> Path:
    """A user config.json enabling only ``provider`` (at ``base_url``, with ``fields``), as
    the default; ``app``: top-level settings beside ``providers``."""
    providers: Dict[str, Dict[str, Any]] = {pid: {"enabled": pid == provider}
                                            for pid in PROVIDER_IDS}
    if base_url:
        providers[provider]["base_url"] = base_url
    providers[provider].update(fields)
    path = user_home() / "config.json"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps({"version": 1, "default_provider": provider,
                                "providers": providers, **(app or {})}), encoding="utf-8")
    return path


def show_panel(qtbot: Any, panel: Any, width: int = 640, height: int = 720) -> Any:
    """Hand ``panel`` to ``qtbot``, size it, show it and wait until it is on screen."""
    qtbot.addWidget(panel)
    panel.resize(width, height)
    panel.show()
    qtbot.waitExposed(panel)
    return panel


def shut_down_panels(qtbot: Any, panels: Iterable[Any], timeout_ms: int = WAIT_MS) -> None:
    """Shut each panel down and wait until the turn it had in flight has ended."""
    for panel in panels:
        panel.shutdown()
        if panel.streaming:
            qtbot.waitUntil(lambda p=panel: not p.streaming, timeout=timeout_ms)


def closed_port_url() -> str:
    """A URL on 127.0.0.1 where nothing listens (connection refused)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    return f"http://127.0.0.1:{port}"


def alive(obj: Any) -> bool:
    """Is the Qt object's C++ side still there (not deleted with deleteLater or a parent)?"""
    try:
        obj.objectName()
    except RuntimeError:
        return False
    return True
