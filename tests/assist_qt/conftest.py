"""Fixtures for the helper UI tests: an Ollama test server that knows the helper scenarios,
a private worker, and a chat panel on the example comp with the assist controller installed."""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any, Callable, Iterator, List, Optional

import pytest

from nuke_ai_panel.provider_info import PROVIDER_IDS
from nuke_ai_panel.worker import Worker
from tests.protocol_servers import ProtocolServer

WAIT_MS = 10_000
HELPER_MODELS = ["echo", "tokens-5", "nk-build", "py-ok", "py-raise", "py-ask", "expr",
                 "nk-invented", "nk-repaired"]


def write_user_config(base_url: str, **app: Any) -> Path:
    """config.json enabling only Ollama at ``base_url``, with extra app settings."""
    providers = {pid: {"enabled": pid == "ollama"} for pid in PROVIDER_IDS}
    providers["ollama"].update({"base_url": base_url, "max_retries": 0})
    path = Path(os.environ["NUKE_AI_PANEL_HOME"]) / "config.json"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps({"version": 1, "default_provider": "ollama",
                                "providers": providers, **app}), encoding="utf-8")
    return path


@pytest.fixture(scope="module")
def helper_server() -> Iterator[ProtocolServer]:
    with ProtocolServer("ollama", models=HELPER_MODELS) as server:
        yield server


@pytest.fixture
def helper_worker(private_worker: Worker) -> Worker:
    return private_worker


@pytest.fixture
def make_assist_panel(qtbot: Any, helper_worker: Worker, helper_server: ProtocolServer
                      ) -> Iterator[Callable[..., Any]]:
    """``make(host=None, **config)``: a shown ChatPanel with the controller installed.
    Returns (panel, controller); in-flight answers are cancelled afterwards."""
    from src.ui.assist_controller import install
    from src.ui.chat_panel import ChatPanel

    made: List[Any] = []

    def make(host: Optional[Any] = None, **app: Any) -> Any:
        write_user_config(helper_server.base_url, **app)
        panel = ChatPanel(worker=helper_worker, host=host)
        qtbot.addWidget(panel)
        panel.resize(640, 720)
        controller = install(panel)
        panel.show()
        qtbot.waitExposed(panel)
        qtbot.waitUntil(lambda: panel.model_combo.count() > 0, timeout=WAIT_MS)
        made.append((panel, controller))
        return panel, controller

    yield make
    for panel, controller in made:
        if controller.preview is not None:
            controller.preview.reject()
        panel.shutdown()
        if panel.streaming:
            qtbot.waitUntil(lambda p=panel: not p.streaming, timeout=WAIT_MS)
