"""Opening the panel never waits for the network engine (issue 10): aiohttp loads on the
worker's thread, the panel shows at once and says "connecting" until the engine is there."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import threading
from pathlib import Path
from typing import Any, Callable

import pytest

from nuke_ai_panel.worker import Worker
from src.ui import status
from tests.protocol_servers import ProtocolServer, build_scenario
from tests.ui.panel_helpers import WAIT_MS, write_config

ROOT = Path(__file__).resolve().parents[2]

CHILD = r"""
import json, sys, threading, time
engine = []


class Watch:
    def find_spec(self, name, path=None, target=None):
        if name.split(".")[0] in ("aiohttp", "yarl", "multidict"):
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
before = sorted({pkg for pkg, thread in engine if thread == main})
panel.prompt.setPlainText("hello")
sent = panel.send()
deadline = time.monotonic() + 20
while panel.streaming and time.monotonic() < deadline:
    app.processEvents(QtCore.QEventLoop.AllEvents, 10)
answer = panel.conversation.messages[-1]
print(json.dumps({"painted": bool(painted), "main_thread_before_request": before,
                  "threads": sorted({thread for _pkg, thread in engine}), "sent": sent,
                  "text": answer.text, "status": answer.status}), flush=True)
panel.close()
from nuke_ai_panel.worker import shutdown_default_worker
shutdown_default_worker()
"""


def test_a_fresh_panel_opens_without_aiohttp_on_the_main_thread_and_then_answers() -> None:
    with ProtocolServer("ollama", models=["echo"]) as server:
        write_config("ollama", server.base_url, model="echo", max_retries=0)
        env = {**os.environ, "QT_QPA_PLATFORM": "offscreen", "PYTHONPATH": str(ROOT)}
        done = subprocess.run([sys.executable, "-c", CHILD], cwd=str(ROOT), env=env,
                              capture_output=True, text=True, timeout=90)
    assert done.returncode == 0, done.stderr
    result = json.loads(done.stdout.strip().splitlines()[-1])
    assert result["painted"] and result["sent"]
    assert result["main_thread_before_request"] == [], "aiohttp was imported on the main thread"
    assert result["threads"] == ["nuke-ai-panel-loop"], result["threads"]
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
