"""Render the README pictures from the real widgets talking to local protocol servers.

    python scripts/render_screenshots.py [--out docs/images] [--offscreen] [--only NAME]...

Without a display it runs itself again under ``xvfb-run -a`` (real X11, so fonts and styles
render as on a desktop); ``--offscreen`` uses Qt's offscreen platform instead. Everything is
local: an Ollama and an OpenAI protocol server on 127.0.0.1, a throw-away NUKE_AI_PANEL_HOME
pointing at them, and an in-memory keychain, so the developer's config and keys are never
read or touched.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any, Callable, Dict, List, Optional, Set

ROOT = Path(__file__).resolve().parent.parent
REEXEC_MARK = "NUKE_AI_PANEL_SCREENSHOT_CHILD"
WINDOW_SIZE = (900, 700)
DEMO_KEY = "demo-openai-key-for-screenshots"
# The protocol server answers with a code block when the model's base name is "code".
OLLAMA_MODELS = ["llama3.2:latest", "code:7b", "gemma3:4b"]
CODE_MODEL = "code:7b"
QUESTION = "How do I add a Blur node with size 4 from Python?"
FOLLOW_UP = "Can the size follow a slider on a NoOp instead?"
PICTURES = ("settings", "chat", "narrow", "graph", "agent")
GRAPH_SIZE = (1100, 720)
NARROW_SIZE = (380, 760)
"""A docked Nuke panel's width: the toolbar folds to icons, banners stay one line."""
AGENT_SIZE = (640, 900)
AGENT_MODEL = "agent-comp-edits"
AGENT_TASK = "Add a soft blur after the foreground grade, then lift the final grade a little."


def main(argv: Optional[List[str]] = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--out", type=Path, default=ROOT / "docs" / "images",
                        help="where the PNGs go (default: docs/images)")
    parser.add_argument("--offscreen", action="store_true",
                        help="use Qt's offscreen platform instead of Xvfb")
    parser.add_argument("--only", action="append", choices=PICTURES,
                        help="render only these pictures (repeatable; default: all)")
    args = parser.parse_args(argv)
    if args.offscreen:
        os.environ["QT_QPA_PLATFORM"] = "offscreen"
    elif not os.environ.get("DISPLAY") and not os.environ.get(REEXEC_MARK):
        return _rerun_under_xvfb()
    sys.path.insert(0, str(ROOT))
    with _isolated_environment():
        return _render(args.out.resolve(), set(args.only or PICTURES))


def _rerun_under_xvfb() -> int:
    xvfb = shutil.which("xvfb-run")
    if xvfb is None:
        sys.stderr.write("render_screenshots: no DISPLAY and no xvfb-run; install xvfb "
                         "(apt-get install xvfb xauth) or pass --offscreen.\n")
        return 2
    env = dict(os.environ, **{REEXEC_MARK: "1"})
    env.pop("QT_QPA_PLATFORM", None)
    command = [xvfb, "-a", "-s", "-screen 0 1600x1200x24 -dpi 96", sys.executable,
               os.path.abspath(__file__), *sys.argv[1:]]
    return subprocess.call(command, env=env)


class _isolated_environment:
    """A temporary user directory and no provider keys or URLs from the real environment."""

    def __enter__(self) -> Path:
        self._saved = dict(os.environ)
        self._dir = tempfile.TemporaryDirectory(prefix="nuke-ai-panel-shots-")
        for name in list(os.environ):
            if name.endswith(("_API_KEY", "_BASE_URL")) or name in (
                    "OLLAMA_HOST", "NUKE_AI_PANEL_STUDIO_CONFIG", "PYTHON_KEYRING_BACKEND"):
                del os.environ[name]
        os.environ["NUKE_AI_PANEL_HOME"] = self._dir.name
        os.environ.setdefault("QT_SCALE_FACTOR", "1")
        return Path(self._dir.name)

    def __exit__(self, *exc: Any) -> None:
        os.environ.clear()
        os.environ.update(self._saved)
        self._dir.cleanup()


def _memory_keyring() -> Any:
    """A keychain that lives in this process only: the demo key never reaches a real one."""
    from keyring.backend import KeyringBackend

    class MemoryKeyring(KeyringBackend):
        priority = 1  # type: ignore[assignment]

        def __init__(self) -> None:
            super().__init__()
            self._items: Dict[tuple, str] = {}

        def get_password(self, service: str, username: str) -> Optional[str]:
            return self._items.get((service, username))

        def set_password(self, service: str, username: str, password: str) -> None:
            self._items[(service, username)] = password

        def delete_password(self, service: str, username: str) -> None:
            self._items.pop((service, username), None)

    return MemoryKeyring()


def _closed_port_url() -> str:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    return f"http://127.0.0.1:{port}/v1"


def _write_config(home: Path, providers: Dict[str, Dict[str, Any]]) -> None:
    from nuke_ai_panel.provider_info import PROVIDER_IDS

    section = {pid: dict({"enabled": False}, **providers.get(pid, {})) for pid in PROVIDER_IDS}
    home.mkdir(parents=True, exist_ok=True)
    (home / "config.json").write_text(json.dumps({"version": 1, "providers": section},
                                                 indent=2), encoding="utf-8")


def _app() -> Any:
    """A QApplication dressed like Nuke: the app's own dark theme and a readable font."""
    from Qt import QtGui, QtWidgets

    from src.ui.theme import apply_dark_theme

    app = QtWidgets.QApplication.instance() or QtWidgets.QApplication(sys.argv[:1])
    apply_dark_theme(app)
    font = QtGui.QFont("DejaVu Sans")
    font.setPointSizeF(10.0)
    app.setFont(font)
    return app


def _wait(app: Any, done: Callable[[], bool], timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while not done():
        if time.monotonic() > deadline:
            raise TimeoutError(f"timed out waiting for {what}")
        app.processEvents()
        time.sleep(0.01)


def _settle(app: Any, seconds: float = 0.3) -> None:
    end = time.monotonic() + seconds
    while time.monotonic() < end:
        app.processEvents()
        time.sleep(0.01)


def _grab(app: Any, widget: Any, path: Path) -> None:
    _settle(app)
    path.parent.mkdir(parents=True, exist_ok=True)
    if not widget.grab().save(str(path)):
        raise RuntimeError(f"could not write {path}")
    print(f"wrote {path}")


def _render(out: Path, only: Set[str]) -> int:
    import keyring

    from nuke_ai_panel import secrets
    from nuke_ai_panel.worker import Worker
    from tests.protocol_servers import ProtocolServer

    keyring.set_keyring(_memory_keyring())
    home = Path(os.environ["NUKE_AI_PANEL_HOME"])
    app = _app()
    worker = Worker(name="screenshot-loop")
    status = 0
    with ProtocolServer("ollama", models=OLLAMA_MODELS) as ollama, \
            ProtocolServer("openai", api_key=DEMO_KEY) as openai:
        _write_config(home, {
            "ollama": {"enabled": True, "base_url": ollama.base_url, "model": "llama3.2"},
            "openai": {"enabled": True, "base_url": openai.base_url, "model": "gpt-4o-mini"},
            "openai-compatible": {"enabled": True, "base_url": _closed_port_url(),
                                  "model": "qwen2.5-coder-7b-instruct"},
            "anthropic": {"enabled": True},
        })
        secrets.set_key("openai", DEMO_KEY)
        try:
            if "settings" in only:
                _render_settings(app, worker, out)
            for name, size, path in (("chat", WINDOW_SIZE, "chat_panel.png"),
                                     ("narrow", NARROW_SIZE, "chat_panel_narrow.png")):
                if name not in only:
                    continue
                try:
                    status |= _render_chat(app, worker, out / path, ollama, size)
                except Exception as exc:
                    sys.stderr.write(f"render_screenshots: the chat panel failed: {exc!r}\n")
                    status = 1
            if "graph" in only:
                _render_graph(app, out / "node_graph.png")
            if "agent" in only:
                _render_agent(app, worker, home, out / "approval_card.png")
        finally:
            worker.shutdown(2.0)
    return status


def _render_settings(app: Any, worker: Any, out: Path) -> None:
    """After Test all: the Ollama page (ok) and the unreachable server's page (failed);
    Anthropic, enabled without a key, is listed as not set up."""
    from src.ui.settings_dialog import SettingsDialog
    from nuke_ai_panel.provider_info import PROVIDER_IDS

    dialog = SettingsDialog(worker=worker)
    dialog.resize(*WINDOW_SIZE)
    dialog.show()
    dialog.testAllButton.click()
    _wait(app, lambda: " ok, " in dialog.testAllSummary.text(), 20, "Test all")
    combo = dialog.pages["ollama"].modelCombo
    _wait(app, lambda: combo.count() > 0, 10, "the Ollama model list")
    dialog.providerList.setCurrentRow(PROVIDER_IDS.index("ollama"))
    _grab(app, dialog, out / "settings_dialog.png")
    dialog.providerList.setCurrentRow(PROVIDER_IDS.index("openai-compatible"))
    _grab(app, dialog, out / "settings_dialog_error.png")
    dialog.reject()


def _render_chat(app: Any, worker: Any, path: Path, server: Any,
                 size: Any = WINDOW_SIZE) -> int:
    """The chat panel mid-conversation with a code block, at ``size`` (a narrow dock folds
    its toolbar); skipped until the panel exists."""
    try:
        from src.ui.chat_panel import ChatPanel
    except ImportError as exc:
        sys.stderr.write(f"render_screenshots: chat panel not rendered yet ({exc}).\n")
        return 0
    from Qt import QtCore, QtWidgets

    panel = _make_panel(ChatPanel, worker)
    panel.resize(*size)
    panel.show()
    _settle(app)
    if not panel.set_provider("ollama"):
        raise RuntimeError("the chat panel does not offer Ollama")
    panel.set_model(CODE_MODEL)
    prompt = panel.findChild(QtWidgets.QWidget, "promptEdit")
    send = panel.findChild(QtWidgets.QAbstractButton, "sendButton")
    if prompt is None or send is None:
        sys.stderr.write("render_screenshots: the chat panel has no promptEdit/sendButton.\n")
        return 1
    _type(prompt, QUESTION)
    before = server.completed
    send.click()
    _wait(app, lambda: server.completed > before, 20, "the chat answer")
    stop = panel.findChild(QtWidgets.QAbstractButton, "stopButton")
    _wait(app, lambda: stop is None or not stop.isEnabled() or not stop.isVisible(), 10,
          "the answer to finish")
    _type(prompt, FOLLOW_UP)
    QtCore.QCoreApplication.processEvents()
    _grab(app, panel, path)
    panel.close()
    return 0


def _render_graph(app: Any, path: Path) -> None:
    """The standalone app's node graph on the example comp: Despill_green selected with its
    knobs beside it, and the test server's /build answer drawn as ghosts before Apply."""
    from nuke_ai_panel.graph.script_host import ScriptHost
    from nuke_ai_panel.graph.snippets import extract_snippet
    from src.ui.assist_controller import EXAMPLE_SCRIPT
    from src.ui.node_graph import NodeGraphPanel
    from tests.protocol_servers.scenarios import NK_BUILD_ANSWER

    host = ScriptHost.from_file(str(EXAMPLE_SCRIPT))
    host.select(["Despill_green"])
    panel = NodeGraphPanel(host)
    panel.resize(*GRAPH_SIZE)
    panel.show()
    _settle(app)
    snippet = extract_snippet(NK_BUILD_ANSWER)
    if snippet is None or panel.view.show_proposal(snippet.code, "Despill_green") is None:
        raise RuntimeError("the /build answer did not give a node snippet")
    panel.view.frame_all()
    _grab(app, panel, path)
    panel.close()


def _render_agent(app: Any, worker: Any, home: Path, path: Path) -> None:
    """Agent mode on the example comp: the scripted model has listed the grades and its
    first write (a Blur) was applied; its second, a knob change, waits on its approval card."""
    from Qt import QtWidgets

    from nuke_ai_panel.graph.script_host import ScriptHost
    from src.ui.assist_controller import EXAMPLE_SCRIPT
    from src.ui.chat_panel import ChatPanel
    from tests.protocol_servers import ProtocolServer

    config = home / "config.json"
    saved = config.read_text(encoding="utf-8")
    with ProtocolServer("ollama", models=[AGENT_MODEL]) as server:
        data = json.loads(saved)
        data["providers"]["ollama"].update({"base_url": server.base_url, "model": AGENT_MODEL})
        data["agent"] = {"panel_mode": "agent"}
        config.write_text(json.dumps(data, indent=2), encoding="utf-8")
        panel = ChatPanel(worker=worker, host=ScriptHost.from_file(str(EXAMPLE_SCRIPT)))
        try:
            panel.resize(*AGENT_SIZE)
            panel.show()
            _settle(app)
            panel.set_provider("ollama")
            panel.set_model(AGENT_MODEL)
            _type(panel.prompt, AGENT_TASK)
            panel.send_button.click()

            def card() -> Any:
                found = panel.findChildren(QtWidgets.QFrame, "approvalCard")
                return found[0] if found else None

            _wait(app, lambda: card() is not None, 20, "the first approval card")
            card().findChild(QtWidgets.QPushButton, "applyButton").click()
            _wait(app, lambda: card() is not None, 20, "the second approval card")
            _grab(app, panel, path)
            panel.stop()
            _wait(app, lambda: not panel.streaming, 10, "the turn to stop")
        finally:
            panel.close()
            config.write_text(saved, encoding="utf-8")


def _make_panel(cls: Any, worker: Any) -> Any:
    try:
        return cls(worker=worker)
    except TypeError:
        return cls()


def _type(widget: Any, text: str) -> None:
    if hasattr(widget, "setPlainText"):
        widget.setPlainText(text)
    else:
        widget.setText(text)


if __name__ == "__main__":
    sys.exit(main())
