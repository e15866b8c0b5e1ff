"""``python -m src.ui.app``: the chat panel in its own window, outside Nuke, on the same config.

Handy for trying providers and prompts without starting Nuke. It opens even when no provider
is reachable: the panel itself says how to start Ollama or where to add a key. The helpers
(/explain, /build...) work on an in-memory comp: the shipped example, or any .nk opened with
``--script`` or File > Open, drawn as a node graph beside the chat (select nodes there, double-
click a group to go in), with Nuke-like undo, Save and a modified mark. A /build preview draws
its proposed nodes in the graph before Apply, and so does an agent turn's approval card.
"""

from __future__ import annotations

import argparse
import sys
from typing import Any, List, Optional, Sequence, Tuple

from Qt import QtCore, QtGui, QtWidgets

from nuke_ai_panel.assist.actions import PasteNodes
from nuke_ai_panel.graph.nkscript import NkParseError
from nuke_ai_panel.graph.script_host import ScriptHost
from nuke_ai_panel.logs import setup_file_logging
from nuke_ai_panel.provider_info import PROVIDER_IDS
from nuke_ai_panel.recent_scripts import add_recent
from nuke_ai_panel.worker import Worker, get_worker

from .assist_controller import EXAMPLE_SCRIPT, AssistController, install, standalone_host
from .chat_panel import ChatPanel
from .node_graph import NodeGraphPanel
from .script_files import ScriptFiles
from .theme import apply_dark_theme

TITLE = "Nuke AI Panel"


def parse_args(argv: Optional[Sequence[str]]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m src.ui.app", description=__doc__)
    parser.add_argument("--provider", "-p", choices=PROVIDER_IDS,
                        help="start with this provider selected")
    parser.add_argument("--model", "-m", help="start with this model selected")
    parser.add_argument("--base-url", help="use this base URL for the provider (this session only)")
    parser.add_argument("--script", metavar="FILE.nk",
                        help="the comp the helpers work on (default: the shipped example)")
    parser.add_argument("--light", action="store_true", help="keep the system colours")
    return parser.parse_args(list(argv) if argv is not None else None)


class MainWindow(QtWidgets.QMainWindow):
    """The chat panel, the comp as a node graph beside it, and menus; closing asks about
    unsaved changes to the comp and cancels any answer in flight."""

    def __init__(self, panel: ChatPanel, controller: AssistController) -> None:
        super().__init__()
        self.setObjectName("nukeAiPanelWindow")
        self.panel = panel
        self.controller = controller
        self.setCentralWidget(panel)
        self.files = ScriptFiles(self, panel.host, TITLE, read_only=str(EXAMPLE_SCRIPT),
                                 busy=self._busy)
        self.graph = NodeGraphPanel(panel.host)
        dock = QtWidgets.QDockWidget("Node Graph", self)
        dock.setObjectName("nodeGraphDock")
        dock.setWidget(self.graph)
        self.addDockWidget(QtCore.Qt.LeftDockWidgetArea, dock)
        self.files.hostChanged.connect(self._host_changed)
        self.files.refused.connect(panel.set_status)
        self.files.changed.connect(self._redraw)
        controller.previewOpened.connect(self._preview_opened)
        controller.outcomeReady.connect(self._applied)
        panel.agent.compChanged.connect(self._agent_changed)
        panel.agent.cardShown.connect(self._card_shown)
        self._build_menus()
        self._update_title()
        self.resize(1500, 820)
        self.resizeDocks([dock], [860], QtCore.Qt.Horizontal)

    def _build_menus(self) -> None:
        panel = self.panel
        files = self.files
        file_menu = self.menuBar().addMenu("&File")
        self._add(file_menu, "&New chat", panel.new_chat, "Ctrl+N")
        self._add(file_menu, "New &script", files.new_script, "Ctrl+Shift+N")
        self._add(file_menu, "&Open script\u2026", files.open_dialog, "Ctrl+O")
        self.recent_menu = file_menu.addMenu("Open &Recent")
        self.recent_menu.setObjectName("recentScriptsMenu")
        self.recent_menu.aboutToShow.connect(
            lambda: files.fill_recent_menu(self.recent_menu))
        self._add(file_menu, "&Save script", files.save, "Ctrl+S")
        self._add(file_menu, "Save script &as\u2026", files.save_as, "Ctrl+Shift+S")
        file_menu.addSeparator()
        self._add(file_menu, "&Export chat\u2026", panel.bar.export_clicked, "Ctrl+E")
        self._add(file_menu, "Se&ttings\u2026", panel.open_settings, "Ctrl+,")
        file_menu.addSeparator()
        self._add(file_menu, "&Quit", self.close, "Ctrl+Q")
        edit_menu = self.menuBar().addMenu("&Edit")
        for text, slot, shortcut in (("&Undo", self.undo, "Ctrl+Z"),
                                     ("&Redo", self.redo, "Ctrl+Shift+Z")):
            action = self._add(edit_menu, text, slot, shortcut)
            action.setShortcutContext(QtCore.Qt.WidgetWithChildrenShortcut)
            self.graph.addAction(action)
        helpers = self.menuBar().addMenu("&AI Assistant")
        for text, slot in self.controller.menu_actions():
            self._add(helpers, text, slot)

    def _add(self, menu: QtWidgets.QMenu, text: str, slot: Any,
             shortcut: str = "") -> Any:
        action = menu.addAction(text)
        if shortcut:
            action.setShortcut(QtGui.QKeySequence(shortcut))
        action.triggered.connect(lambda *_args: slot())
        return action

    @property
    def host(self) -> ScriptHost:
        return self.panel.host

    def undo(self) -> Optional[str]:
        """Undo the last applied step on the in-memory comp, as Edit > Undo does in Nuke."""
        name = self.host.undo()
        self._comp_changed()
        self.controller.check_steps()
        self.panel.set_status(f"undid \u201c{name}\u201d" if name else "nothing to undo")
        return name

    def redo(self) -> Optional[str]:
        name = self.host.redo()
        self._comp_changed()
        self.controller.check_steps()
        self.panel.set_status(f"redid \u201c{name}\u201d" if name else "nothing to redo")
        return name

    def open_script(self, path: str) -> bool:
        """Switch the helpers to another .nk (asking first about unsaved changes); a file
        that cannot be read leaves things as they were."""
        if not self.files.open(path):
            return False
        self.panel.set_status(f"opened {path}")
        return True

    def save_script(self) -> bool:
        return self.files.save()

    def _busy(self) -> str:
        """Why the comp cannot be switched now ("" when it can): a turn in flight works on
        this comp (an agent turn would apply approved changes to the one left behind)."""
        return "still answering: press Stop (Esc) first" if self.panel.streaming else ""

    def _host_changed(self, host: ScriptHost) -> None:
        """Another comp replaced the old one (never mid-turn: ``_busy``). What pointed at
        the old comp goes: the helpers' applied steps, and the agent's "Undo this turn"
        (its steps were undo steps of the old comp)."""
        self.controller.forget_steps()
        agent = self.panel.agent
        if agent.undo_turn is not None and agent.undo_turn.registry is not None:
            agent.undo_turn.registry.turn.forget()  # the session falls back on that turn
        agent.undo_turn = None
        agent.undo_button.setEnabled(False)
        self.panel.host = host
        self.graph.set_host(host)
        self._update_title()

    def _comp_changed(self) -> None:
        """After an edit, undo or redo made here: redraw and retitle (once)."""
        if not self.files.sync():
            self._redraw()

    def _redraw(self) -> None:
        self.graph.refresh()
        self._update_title()

    def _applied(self, _outcome: Any) -> None:
        self.graph.view.clear_proposal()
        self._comp_changed()

    def _agent_changed(self) -> None:
        """An agent turn applied or undid a write: redraw the comp."""
        self.graph.view.clear_proposal()
        self._comp_changed()
        self.controller.check_steps()

    def _card_shown(self, card: Any) -> None:
        """Draw the nodes an approval card proposes as ghosts until it is decided."""
        action = card.approval.proposal.action
        if not isinstance(action, PasteNodes):
            self.graph.view.clear_proposal()
            return
        self.graph.view.show_proposal(action.snippet, action.connect_to)
        card.decided.connect(lambda _card: self.graph.view.clear_proposal())

    def _preview_opened(self, dialog: QtWidgets.QDialog) -> None:
        """Draw a proposed paste in the graph while its preview is open; Apply redraws the
        comp with the real nodes, Cancel (or another command) takes the ghosts away."""
        action = dialog.action()
        if not isinstance(action, PasteNodes):
            self.graph.view.clear_proposal()
            return
        self.graph.view.show_proposal(action.snippet, action.connect_to)
        dialog.finished.connect(self.graph.view.clear_proposal)
        dialog.destroyed.connect(self.graph.view.clear_proposal)

    def _update_title(self) -> None:
        self.setWindowTitle(self.files.title())

    def closeEvent(self, event: QtGui.QCloseEvent) -> None:
        if not self.files.maybe_discard("closing"):
            event.ignore()
            return
        self.panel.shutdown()
        super().closeEvent(event)


def build(args: argparse.Namespace, worker: Optional[Worker] = None,
          host: Optional[ScriptHost] = None) -> Tuple[MainWindow, ChatPanel]:
    if host is None:
        host = ScriptHost.from_file(args.script) if args.script else standalone_host()
    panel = ChatPanel(worker=worker, host=host, provider=args.provider, model=args.model,
                      base_url=args.base_url)
    controller = install(panel, host)
    return MainWindow(panel, controller), panel


def main(argv: Optional[List[str]] = None) -> int:
    """Open the window and run until it closes; returns the exit code."""
    args = parse_args(argv)
    setup_file_logging()
    app = QtWidgets.QApplication.instance()
    owns_app = app is None
    if app is None:
        app = QtWidgets.QApplication(sys.argv[:1])
        app.setApplicationName(TITLE)
        if not args.light:
            apply_dark_theme(app)
    host = None
    if args.script:
        try:
            host = ScriptHost.from_file(args.script)
        except (OSError, UnicodeError, NkParseError) as exc:
            print(f"error: config: cannot open {args.script}: {exc}", file=sys.stderr)
            print("Check the path; it should be a Nuke script (.nk).", file=sys.stderr)
            return 2
        add_recent(args.script)
    worker = get_worker()
    window, panel = build(args, worker, host)
    window.show()
    panel.prompt.setFocus(QtCore.Qt.OtherFocusReason)
    try:
        code = run_event_loop(app)
    finally:
        panel.shutdown()
        worker.shutdown()
        if owns_app:
            window.deleteLater()
    return code


def run_event_loop(app: QtWidgets.QApplication) -> int:
    """Qt's main loop until the last window closes (``exec`` in Qt 6, ``exec_`` in Qt 5)."""
    run = getattr(app, "exec", None) or app.exec_
    return int(run() or 0)


if __name__ == "__main__":
    sys.exit(main())
