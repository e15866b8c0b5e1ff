"""Opening the panel never waits for the network engine or the keychain (issue 10): aiohttp
loads on the worker's thread and keyring on a thread of its own, the panel shows at once and
says "connecting" until the engine is there."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import threading
from pathlib import Path
from typing import Any, Callable, List

import pytest

pytest.importorskip("Qt", reason="needs a Qt binding (PySide6 or PySide2)")

from Qt import QtWidgets  # noqa: E402

from nuke_ai_panel.worker import Worker  # noqa: E402
from src.ui import status  # noqa: E402
from tests.protocol_servers import ProtocolServer, build_scenario  # noqa: E402
from tests.ui.panel_helpers import WAIT_MS, user_home, write_config  # noqa: E402

ROOT = Path(__file__).resolve().parents[2]

CHILD = r"""
import json, sys, threading, time
engine = []


class Watch:
    def find_spec(self, name, path=None, target=None):
        if name.split(".")[0] in ("aiohttp", "yarl", "multidict", "keyring"):
            engine.append((name.split(".")[0], threading.current_thread().name))
        return None


sys.meta_path.insert(0, Watch())
from Qt import QtCore, QtWidgets
app = QtWidgets.QApplication([])
from src.ui.chat_panel import ChatPanel
panel = ChatPanel()
painted = []


class Spy(QtCore.QObject):
    def eventFilter(self, obj, event):
        if event.type() == QtCore.QEvent.Paint:
            painted.append(True)
        return False


spy = Spy()
panel.installEventFilter(spy)
panel.show()
deadline = time.monotonic() + 20
while not painted and time.monotonic() < deadline:
    app.processEvents(QtCore.QEventLoop.AllEvents, 10)
main = threading.main_thread().name
# the artist types after the panel shows: by then the keychain's first use has begun, on its
# own thread, right after the first paint
deadline = time.monotonic() + 20
while "keyring" not in {pkg for pkg, _t in engine} and time.monotonic() < deadline:
    app.processEvents(QtCore.QEventLoop.AllEvents, 10)
before = sorted({pkg for pkg, thread in engine if thread == main})
panel.prompt.setPlainText("hello")
sent = panel.send()
deadline = time.monotonic() + 20
while panel.streaming and time.monotonic() < deadline:
    app.processEvents(QtCore.QEventLoop.AllEvents, 10)
answer = panel.conversation.messages[-1]
threads = {pkg: sorted({t for p, t in engine if p == pkg}) for pkg, _t in engine}
print(json.dumps({"painted": bool(painted), "main_thread_before_request": before,
                  "threads": threads, "sent": sent,
                  "text": answer.text, "status": answer.status}), flush=True)
panel.close()
from nuke_ai_panel.worker import shutdown_default_worker
shutdown_default_worker()
"""


def test_a_fresh_panel_opens_without_aiohttp_or_keyring_on_the_main_thread_and_answers(
        ) -> None:
    with ProtocolServer("ollama", models=["echo"]) as server:
        write_config("ollama", server.base_url, model="echo", max_retries=0)
        env = {**os.environ, "QT_QPA_PLATFORM": "offscreen", "PYTHONPATH": str(ROOT)}
        done = subprocess.run([sys.executable, "-c", CHILD], cwd=str(ROOT), env=env,
                              capture_output=True, text=True, timeout=90)
    assert done.returncode == 0, done.stderr
    result = json.loads(done.stdout.strip().splitlines()[-1])
    assert result["painted"] and result["sent"]
    assert result["main_thread_before_request"] == [], "imported on the main thread"
    threads = result["threads"]
    for engine in ("aiohttp", "yarl", "multidict"):
        assert threads[engine] == ["nuke-ai-panel-loop"], threads
    # the keychain is first used off the main thread (Send may use it on the main thread
    # while that first use is still under way)
    assert "nuke-ai-panel-keychain" in threads["keyring"], threads
    assert (result["text"], result["status"]) == (
        build_scenario("ollama", "echo", "hello").text, "complete")


@pytest.fixture
def held_engine(monkeypatch: pytest.MonkeyPatch) -> Any:
    """Every worker's engine start waits for ``release`` (a slow first import of aiohttp)."""
    release = threading.Event()
    real = Worker._make_session

    async def held(worker: Worker) -> Any:
        release.wait(10)
        return await real(worker)

    monkeypatch.setattr(Worker, "_make_session", held)
    yield release
    release.set()


def test_a_request_before_the_engine_is_ready_says_connecting(
        held_engine: threading.Event, make_panel: Callable[..., Any], panel_worker: Worker,
        ollama_server: ProtocolServer, qtbot: Any) -> None:
    write_config("ollama", ollama_server.base_url, model="echo", max_retries=0)
    panel = make_panel()  # it lists the models at once: the worker starts, the engine loads
    assert panel.isVisible() and not panel_worker.ready
    panel.prompt.setPlainText("hello")
    assert panel.send() and panel.streaming
    assert panel.status_text() == status.connecting() == "connecting\u2026"
    held_engine.set()
    qtbot.waitUntil(lambda: not panel.streaming, timeout=WAIT_MS)
    answer = panel.conversation.messages[-1]
    assert (answer.text, answer.status) == (build_scenario("ollama", "echo", "hello").text,
                                            "complete")
    assert panel.status_text().startswith("done: ")


@pytest.fixture
def held_keychain(monkeypatch: pytest.MonkeyPatch) -> Any:
    """Resolving settings off the main thread waits for ``release`` (a slow first use of the
    keychain); ``threads`` names the thread of every resolve."""
    from nuke_ai_panel.config import Config

    release = threading.Event()
    threads: List[str] = []
    real = Config.resolve

    def resolve(config: Any, provider_id: str, *args: Any, **kwargs: Any) -> Any:
        threads.append(threading.current_thread().name)
        if threading.current_thread() is not threading.main_thread():
            release.wait(10)
        return real(config, provider_id, *args, **kwargs)

    monkeypatch.setattr(Config, "resolve", resolve)
    yield release, threads
    release.set()


def keychain_threads_done(qtbot: Any) -> None:
    qtbot.waitUntil(lambda: not any(t.name == "nuke-ai-panel-keychain"
                                    for t in threading.enumerate()), timeout=WAIT_MS)
    for _ in range(5):
        QtWidgets.QApplication.processEvents()


def shown_panel(qtbot: Any, worker: Worker) -> Any:
    from src.ui.chat_panel import ChatPanel

    panel = ChatPanel(worker=worker)
    qtbot.addWidget(panel)
    panel.show()
    qtbot.waitExposed(panel)
    return panel


def test_the_first_resolve_runs_off_the_main_thread_after_the_first_paint_then_lists_models(
        held_keychain: Any, panel_worker: Worker, ollama_server: ProtocolServer,
        qtbot: Any) -> None:
    from Qt import QtCore

    from src.ui.chat_panel import ChatPanel

    release, threads = held_keychain
    write_config("ollama", ollama_server.base_url, model="echo")
    painted: List[int] = []

    class PaintSpy(QtCore.QObject):
        def eventFilter(self, watched: Any, event: Any) -> bool:
            if event.type() == QtCore.QEvent.Paint:
                painted.append(len(threads))  # how many resolves had started by then
            return False

    panel = ChatPanel(worker=panel_worker)
    qtbot.addWidget(panel)
    spy = PaintSpy()
    panel.installEventFilter(spy)
    assert threads == [] and panel.picker.starting  # nothing before the panel is painted
    panel.show()
    qtbot.waitUntil(lambda: bool(threads), timeout=WAIT_MS)
    assert painted and painted[0] == 0, "the keychain was used before the first paint"
    assert threads == ["nuke-ai-panel-keychain"], "the panel showed without waiting for it"
    assert panel.picker.starting and panel.current_model() == "echo"
    assert not panel.picker.jobs and not panel.errors.isVisible()
    release.set()
    qtbot.waitUntil(lambda: "ollama" in panel.picker.models, timeout=WAIT_MS)
    assert not panel.picker.starting and panel.status_text() == "Ollama: 3 models"
    panel.shutdown()


def test_a_first_resolve_overtaken_by_a_provider_change_is_dropped(
        held_keychain: Any, panel_worker: Worker, ollama_server: ProtocolServer,
        openai_server: ProtocolServer, qtbot: Any) -> None:
    release, threads = held_keychain
    write_config("ollama", ollama_server.base_url)
    config = json.loads((user_home() / "config.json").read_text(encoding="utf-8"))
    config["providers"]["openai-compatible"] = {"enabled": True,
                                                "base_url": openai_server.base_url}
    (user_home() / "config.json").write_text(json.dumps(config), encoding="utf-8")
    panel = shown_panel(qtbot, panel_worker)
    assert panel.set_provider("openai-compatible")  # resolved at once, on the main thread
    qtbot.waitUntil(lambda: "openai-compatible" in panel.picker.models, timeout=WAIT_MS)
    release.set()
    keychain_threads_done(qtbot)
    assert "ollama" not in panel.picker.jobs and "ollama" not in panel.picker.models
    assert panel.current_provider() == "openai-compatible" and not panel.picker.starting
    panel.shutdown()


def test_a_panel_closed_during_its_first_resolve_starts_nothing(
        held_keychain: Any, panel_worker: Worker, ollama_server: ProtocolServer,
        qtbot: Any) -> None:
    release, _threads = held_keychain
    write_config("ollama", ollama_server.base_url)
    panel = shown_panel(qtbot, panel_worker)
    tags = ollama_server.count("/api/tags")
    panel.close()
    release.set()
    keychain_threads_done(qtbot)
    assert not panel.picker.jobs and ollama_server.count("/api/tags") == tags
