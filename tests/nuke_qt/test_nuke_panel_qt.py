"""The Qt side of the Nuke integration, offscreen, against tests/fake_nuke.

The widget string menu.py registers is evaluated the way nukescripts does it (inside
``__import__('nukescripts').panels.WidgetKnob(...)``, in a namespace that knows none of our
names) and must give a ChatPanel on a NukeHost; showing the panel finds or docks it; the menu
helpers, Settings, the log folder and the quit hook do what the menu promises.
"""

from __future__ import annotations

import builtins
from pathlib import Path
from typing import Any, Callable, Dict, Iterator, List, Optional, Tuple

import pytest

pytest.importorskip("Qt", reason="needs a Qt binding (PySide6 or PySide2)", exc_type=ImportError)

from Qt import QtCore, QtGui, QtWidgets  # noqa: E402

from nuke_ai_panel.graph.nuke_host import NukeHost  # noqa: E402
from nuke_ai_panel.worker import Worker  # noqa: E402
from tests import fake_nuke  # noqa: E402
from tests.fake_nuke import FakeNukescripts  # noqa: E402
from tests.ui.panel_helpers import WAIT_MS, closed_port_url, write_config  # noqa: E402

pytestmark = pytest.mark.qt

ROOT = Path(__file__).resolve().parents[2]
PANEL_ID = "uk.co.nukeaipanel.ChatPanel"


class WidgetKnob:
    """nukescripts.panels.WidgetKnob: keeps the widget factory; ``makeUI`` calls it."""

    def __init__(self, widget: Callable[[], Any]) -> None:
        self.factory = widget
        self.widget: Any = None

    def makeUI(self) -> Any:  # noqa: N802 - Nuke's name
        self.widget = self.factory()
        return self.widget


def build_like_nukescripts(widget: str) -> Any:
    """What PyCustom_Knob does with registerWidgetAsPanel's string, in a bare namespace."""
    knob = eval("__import__('nukescripts').panels.WidgetKnob(" + widget + ")",
                {"__builtins__": builtins})
    return knob.makeUI()


class PythonPanel:
    """What registerWidgetAsPanel(..., create=True) returns: addToPane builds and docks."""

    def __init__(self, widget: str, name: str, default_pane: QtWidgets.QTabWidget) -> None:
        self.widget, self.name, self.default_pane = widget, name, default_pane

    def addToPane(self, pane: Optional[QtWidgets.QTabWidget] = None) -> None:  # noqa: N802
        target = pane if pane is not None else self.default_pane
        target.setCurrentIndex(target.addTab(build_like_nukescripts(self.widget), self.name))


@pytest.fixture
def nuke_env(monkeypatch: pytest.MonkeyPatch, qtbot: Any) -> Iterator[Dict[str, Any]]:
    """A fake Nuke with two panes (Properties and a default one) and a main window."""
    nuke, scripts = fake_nuke.install(monkeypatch)
    main = QtWidgets.QMainWindow()
    qtbot.addWidget(main)
    properties, default = QtWidgets.QTabWidget(), QtWidgets.QTabWidget()
    properties.addTab(QtWidgets.QLabel("node properties"), "Properties")
    splitter = QtWidgets.QSplitter()
    splitter.addWidget(properties)
    splitter.addWidget(default)
    main.setCentralWidget(splitter)
    main.show()
    panes = {"Properties.1": properties}
    nuke.getPaneFor = panes.get
    registered: List[Tuple[str, str, str, bool]] = []

    def register(widget: str, name: str, id: str, create: bool = False) -> Any:
        registered.append((widget, name, id, create))
        return PythonPanel(widget, name, default) if create else None

    monkeypatch.setattr(scripts.panels, "registerWidgetAsPanel", register)
    monkeypatch.setattr(scripts.panels, "WidgetKnob", WidgetKnob, raising=False)
    yield {"nuke": nuke, "scripts": scripts, "main": main, "properties": properties,
           "default": default, "panes": panes, "registered": registered}


@pytest.fixture
def integration(nuke_env: Dict[str, Any], monkeypatch: pytest.MonkeyPatch, qtbot: Any
                ) -> Iterator[Any]:
    """src.ui.nuke_integration with fresh state, a private worker and a config whose provider
    refuses connections at once (nothing reaches the network)."""
    from src.ui import nuke_integration

    write_config("ollama", closed_port_url(), max_retries=0)
    worker = Worker(name="nuke-integration-test-loop")
    monkeypatch.setattr(nuke_integration, "_panels", [])
    monkeypatch.setattr(nuke_integration, "_dialogs", [])
    monkeypatch.setattr(nuke_integration, "_host", None)
    monkeypatch.setattr(nuke_integration, "_get_worker", lambda: worker)
    yield nuke_integration
    for panel in nuke_integration.live_panels():
        panel.shutdown()
        qtbot.waitUntil(lambda p=panel: not p.picker.jobs, timeout=WAIT_MS)
    for dialog in list(nuke_integration._dialogs):
        dialog.reject()
    worker.shutdown(2.0)


def adopt(qtbot: Any, widget: Any) -> Any:
    qtbot.addWidget(widget)
    return widget


def test_registered_widget_string_builds_a_chat_panel(nuke_env: Dict[str, Any], integration: Any,
                                                      qtbot: Any,
                                                      monkeypatch: pytest.MonkeyPatch) -> None:
    from src.ui.chat_panel import ChatPanel

    monkeypatch.setattr(integration, "_quit_hooked", False)
    real_scripts: FakeNukescripts = nuke_env["scripts"]
    recorded: List[Dict[str, Any]] = []
    monkeypatch.setattr(real_scripts.panels, "registerWidgetAsPanel",
                        lambda widget, name, id, create=False: recorded.append(
                            {"widget": widget, "name": name, "id": id}))
    namespace: Dict[str, Any] = {"__name__": "__main__"}
    exec(compile((ROOT / "menu.py").read_text(encoding="utf-8"), str(ROOT / "menu.py"), "exec"),
         namespace)
    [entry] = recorded
    assert entry["id"] == PANEL_ID

    panel = adopt(qtbot, build_like_nukescripts(entry["widget"]))
    assert isinstance(panel, ChatPanel)
    assert isinstance(panel.host, NukeHost) and panel.host.nuke is nuke_env["nuke"]
    assert panel.command_handler is not None
    assert panel.windowTitle() == "AI Assistant" and not panel.windowIcon().isNull()
    assert integration.live_panels() == [panel]
    assert integration._quit_hooked


def test_show_panel_docks_once_then_brings_it_forward(nuke_env: Dict[str, Any], integration: Any,
                                                      qtbot: Any) -> None:
    properties: QtWidgets.QTabWidget = nuke_env["properties"]
    panel = integration.show_panel()
    assert nuke_env["registered"] == [(integration.WIDGET_FACTORY, "AI Assistant", PANEL_ID, True)]
    assert properties.indexOf(panel) >= 0
    properties.setCurrentIndex(properties.addTab(QtWidgets.QLabel("other"), "Other"))
    assert integration.show_panel() is panel
    assert properties.tabBar().currentIndex() == properties.indexOf(panel)
    assert len(nuke_env["registered"]) == 1 and integration.live_panels() == [panel]


def test_show_panel_without_a_properties_pane(nuke_env: Dict[str, Any], integration: Any) -> None:
    nuke_env["panes"].clear()
    panel = integration.show_panel()
    assert nuke_env["default"].indexOf(panel) >= 0


def test_show_panel_when_nuke_builds_nothing(nuke_env: Dict[str, Any], integration: Any,
                                             monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(PythonPanel, "addToPane", lambda self, pane=None: None)
    with pytest.raises(RuntimeError, match="did not create the AI Assistant panel"):
        integration.show_panel()


def test_helpers_run_or_wait_for_words(nuke_env: Dict[str, Any], integration: Any) -> None:
    panel = integration.show_panel()
    calls: List[Tuple[Any, str]] = []
    panel.command_handler = lambda p, text: calls.append((p, text))
    assert integration.run_helper("explain") is panel
    integration.run_helper("fix")
    assert calls == [(panel, "/explain"), (panel, "/fix")]
    integration.run_helper("build")
    assert panel.prompt.toPlainText() == "/build "
    assert panel.prompt.textCursor().position() == len("/build ")
    integration.run_helper("expression")
    assert panel.prompt.toPlainText() == "/expr " and len(calls) == 2


def test_helper_commands_reach_the_assist_controller(nuke_env: Dict[str, Any], integration: Any,
                                                     qtbot: Any) -> None:
    """The real /explain: the graph is read through the NukeHost and sent as context."""
    panel = integration.show_panel()
    integration.run_helper("explain")
    assert panel.streaming
    assert panel.transcript.raw_texts()[0] == "/explain"
    assert "```nk" in panel.last_request.messages[-1].content
    qtbot.waitUntil(lambda: not panel.streaming, timeout=WAIT_MS)


def test_open_settings_over_the_main_window(nuke_env: Dict[str, Any], integration: Any,
                                            qtbot: Any) -> None:
    panel = integration.show_panel()
    reloads: List[int] = []
    panel.reload_config = lambda: reloads.append(1)
    dialog = integration.open_settings()
    assert dialog.parent() is nuke_env["main"] and dialog.isVisible()
    assert integration.main_window() is nuke_env["main"]
    dialog.reject()
    qtbot.waitUntil(lambda: reloads == [1], timeout=WAIT_MS)
    assert integration._dialogs == []


def test_missing_dependencies_give_a_notice_not_a_traceback(nuke_env: Dict[str, Any],
                                                            integration: Any, qtbot: Any,
                                                            monkeypatch: pytest.MonkeyPatch
                                                            ) -> None:
    monkeypatch.setattr(integration, "missing_dependencies", lambda: ["aiohttp", "keyring"])
    notice = adopt(qtbot, integration.create_panel())
    assert isinstance(notice, QtWidgets.QLabel)
    assert notice.objectName() == "nukeAiPanelNotice"
    assert "install_nuke.py" in notice.text() and "aiohttp, keyring" in notice.text()
    with pytest.raises(integration.MissingDependencies, match="install_nuke.py"):
        integration.show_panel()
    with pytest.raises(integration.MissingDependencies):
        integration.open_settings()
    assert integration.live_panels() == []


def test_a_panel_that_fails_to_build_is_a_notice(nuke_env: Dict[str, Any], integration: Any,
                                                 qtbot: Any, monkeypatch: pytest.MonkeyPatch
                                                 ) -> None:
    def broken(*_args: Any, **_kwargs: Any) -> None:
        raise ValueError("config exploded")

    monkeypatch.setattr("src.ui.chat_panel.ChatPanel", broken)
    notice = adopt(qtbot, integration.create_panel())
    assert "could not start: config exploded" in notice.text()


def test_quit_stops_panels_and_the_worker(nuke_env: Dict[str, Any], integration: Any,
                                          monkeypatch: pytest.MonkeyPatch) -> None:
    import nuke_ai_panel.worker as worker_module

    panel = integration.show_panel()
    stopped: List[str] = []
    real_shutdown = panel.shutdown
    monkeypatch.setattr(panel, "shutdown", lambda: (stopped.append("panel"), real_shutdown()))
    monkeypatch.setattr(worker_module, "shutdown_default_worker",
                        lambda timeout=1.0: stopped.append(f"worker {timeout}"))
    integration.on_quit()
    assert stopped == ["panel", "worker 1.0"]


class _UrlCatcher(QtCore.QObject):
    def __init__(self) -> None:
        super().__init__()
        self.urls: List[str] = []

    @QtCore.Slot(QtCore.QUrl)
    def open(self, url: QtCore.QUrl) -> None:
        self.urls.append(url.toLocalFile())


def test_open_log_folder(integration: Any, _isolated_user: Path) -> None:
    catcher = _UrlCatcher()
    QtGui.QDesktopServices.setUrlHandler("file", catcher, "open")
    try:
        folder = integration.open_log_folder()
    finally:
        QtGui.QDesktopServices.unsetUrlHandler("file")
    assert folder == _isolated_user / "logs" and folder.is_dir()
    assert [Path(u) for u in catcher.urls] == [folder]


def test_helpers_table_matches_the_menu() -> None:
    from src.ui import nuke_integration

    assert set(nuke_integration.HELPERS) == {"explain", "build", "fix", "script", "expression"}


def test_nukes_own_undo_marks_an_applied_step_undone(nuke_env: Dict[str, Any],
                                                     integration: Any, qtbot: Any) -> None:
    """Inside Nuke nothing announces Edit > Undo: the panel reads Nuke's undo names."""
    from tests.protocol_servers import ProtocolServer

    nuke = nuke_env["nuke"]
    with ProtocolServer("ollama", models=["nk-build"]) as server:
        write_config("ollama", server.base_url, max_retries=0, model="nk-build")
        panel = integration.show_panel()
        controller = panel.command_handler.__self__
        qtbot.waitUntil(lambda: panel.model_combo.count() > 0, timeout=WAIT_MS)
        panel.set_model("nk-build")
        panel.prompt.setPlainText("/build despill + edge blur")
        with qtbot.waitSignal(controller.previewOpened, timeout=WAIT_MS) as opened:
            assert panel.send()
        qtbot.waitUntil(lambda: not panel.streaming, timeout=WAIT_MS)
        with qtbot.waitSignal(controller.outcomeReady, timeout=WAIT_MS) as done:
            opened.args[0].apply_button.click()
        assert done.args[0].ok
        text = panel.transcript.toPlainText()
        assert "Applied as one undo step, \u201cAI: build despill + edge blur\u201d" in text
        assert "(undone)" not in text
        nuke.Undo.undo()
        qtbot.waitUntil(lambda: "(undone)" in panel.transcript.toPlainText(), timeout=WAIT_MS)
        nuke.Undo.redo()
        qtbot.waitUntil(lambda: "(undone)" not in panel.transcript.toPlainText(),
                        timeout=WAIT_MS)
        panel.shutdown()
