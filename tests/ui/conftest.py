"""Fixtures for the chat panel tests: a private worker, protocol servers, a written config."""

from __future__ import annotations

from typing import Any, Callable, Iterator, List

import pytest

from nuke_ai_panel.worker import Worker
from tests.protocol_servers import ProtocolServer
from tests.ui.panel_helpers import WAIT_MS, show_panel, shut_down_panels, write_config


@pytest.fixture(scope="session", autouse=True)
def _sound_qt_binding() -> None:
    """Guard against bindings that drop a reference to None per call (src/ui/binding_guard)."""
    try:
        from src.ui.binding_guard import protect_none_refcount
    except ImportError:
        return
    try:
        protect_none_refcount()
    except ImportError:
        pass


@pytest.fixture(scope="module")
def ollama_server() -> Iterator[ProtocolServer]:
    with ProtocolServer("ollama", models=["llama3.2", "echo", "slow-30"]) as server:
        yield server


@pytest.fixture(scope="module")
def openai_server() -> Iterator[ProtocolServer]:
    with ProtocolServer("openai") as server:
        yield server


@pytest.fixture
def panel_worker(private_worker: Worker) -> Worker:
    return private_worker


@pytest.fixture
def make_panel(qtbot: Any, panel_worker: Worker) -> Iterator[Callable[..., Any]]:
    """Build and show a ChatPanel on the test worker, once its provider's settings have been
    resolved (off the main thread: the keychain's first use); in-flight work is cancelled
    afterwards."""
    from src.ui.chat_panel import ChatPanel

    made: List[Any] = []

    def make(**kwargs: Any) -> Any:
        panel = show_panel(qtbot, ChatPanel(worker=panel_worker, **kwargs))
        qtbot.waitUntil(lambda: not panel.picker.starting, timeout=WAIT_MS)
        made.append(panel)
        return panel

    yield make
    shut_down_panels(qtbot, made)


@pytest.fixture
def ollama_panel(make_panel: Callable[..., Any], ollama_server: ProtocolServer,
                 qtbot: Any) -> Any:
    """A panel on the Ollama test server, with its model list loaded."""
    write_config("ollama", ollama_server.base_url, max_retries=0)
    panel = make_panel()
    qtbot.waitUntil(lambda: "ollama" in panel.picker.models, timeout=WAIT_MS)
    return panel
