"""Fixtures for the helper UI tests: an Ollama test server that knows the helper scenarios,
a private worker, and a chat panel on the example comp with the assist controller installed."""

from __future__ import annotations

from pathlib import Path
from typing import Any, Callable, Iterator, List, Optional

import pytest

from nuke_ai_panel.worker import Worker
from tests.protocol_servers import ProtocolServer
from tests.ui.panel_helpers import show_panel, shut_down_panels, write_config

WAIT_MS = 10_000
HELPER_MODELS = ["echo", "tokens-5", "nk-build", "py-ok", "py-raise", "py-ask", "expr",
                 "nk-invented", "nk-repaired"]


def write_user_config(base_url: str, **app: Any) -> Path:
    """config.json enabling only Ollama at ``base_url``, with extra app settings."""
    return write_config("ollama", base_url, max_retries=0, app=app)


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
        controller = install(panel)
        show_panel(qtbot, panel)
        qtbot.waitUntil(lambda: panel.model_combo.count() > 0, timeout=WAIT_MS)
        made.append((panel, controller))
        return panel, controller

    yield make
    for _panel, controller in made:
        if controller.preview is not None:
            controller.preview.reject()
    shut_down_panels(qtbot, [panel for panel, _controller in made])
