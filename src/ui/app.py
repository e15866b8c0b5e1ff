"""``python -m src.ui.app``: the chat panel in its own window, outside Nuke, on the same config.

Handy for trying providers and prompts without starting Nuke. It opens even when no provider
is reachable: the panel itself says how to start Ollama or where to add a key.
"""

from __future__ import annotations

import argparse
import sys
from typing import List, Optional, Sequence, Tuple

from Qt import QtCore, QtGui, QtWidgets

from nuke_ai_panel.provider_info import PROVIDER_IDS
from nuke_ai_panel.worker import Worker, get_worker

from .chat_panel import ChatPanel

TITLE = "Nuke AI Panel"


def parse_args(argv: Optional[Sequence[str]]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m src.ui.app", description=__doc__)
    parser.add_argument("--provider", "-p", choices=PROVIDER_IDS,
                        help="start with this provider selected")
    parser.add_argument("--model", "-m", help="start with this model selected")
    parser.add_argument("--base-url", help="use this base URL for the provider (this session only)")
    parser.add_argument("--light", action="store_true", help="keep the system colours")
    return parser.parse_args(list(argv) if argv is not None else None)


class MainWindow(QtWidgets.QMainWindow):
    """The panel plus a small menu; shutting the window cancels any answer in flight."""

    def __init__(self, panel: ChatPanel) -> None:
        super().__init__()
        self.setObjectName("nukeAiPanelWindow")
        self.setWindowTitle(TITLE)
        self.panel = panel
        self.setCentralWidget(panel)
        menu = self.menuBar().addMenu("&File")
        for text, slot, shortcut in (
                ("&New chat", panel.new_chat, "Ctrl+N"),
                ("&Export\u2026", panel._export_clicked, "Ctrl+E"),
                ("&Settings\u2026", panel.open_settings, "Ctrl+,"),
                ("&Quit", self.close, "Ctrl+Q")):
            action = menu.addAction(text)
            action.setShortcut(QtGui.QKeySequence(shortcut))
            action.triggered.connect(slot)
        self.resize(560, 760)

    def closeEvent(self, event: QtGui.QCloseEvent) -> None:
        self.panel.shutdown()
        super().closeEvent(event)


def dark_palette() -> QtGui.QPalette:
    """Close to Nuke's own colours, so answers look as they will inside Nuke."""
    palette = QtGui.QPalette()
    colours = {
        QtGui.QPalette.Window: "#323232", QtGui.QPalette.WindowText: "#d0d0d0",
        QtGui.QPalette.Base: "#262626", QtGui.QPalette.AlternateBase: "#2e2e2e",
        QtGui.QPalette.Text: "#d8d8d8", QtGui.QPalette.Button: "#3a3a3a",
        QtGui.QPalette.ButtonText: "#d8d8d8", QtGui.QPalette.Highlight: "#f7931e",
        QtGui.QPalette.HighlightedText: "#111111", QtGui.QPalette.Link: "#f0a860",
        QtGui.QPalette.ToolTipBase: "#3a3a3a", QtGui.QPalette.ToolTipText: "#d8d8d8",
        QtGui.QPalette.PlaceholderText: "#808080",
    }
    for role, colour in colours.items():
        palette.setColor(role, QtGui.QColor(colour))
    return palette


def build(args: argparse.Namespace, worker: Optional[Worker] = None
          ) -> Tuple[MainWindow, ChatPanel]:
    panel = ChatPanel(worker=worker, provider=args.provider, model=args.model,
                      base_url=args.base_url)
    return MainWindow(panel), panel


def main(argv: Optional[List[str]] = None) -> int:
    """Open the window and run until it closes; returns the exit code."""
    args = parse_args(argv)
    app = QtWidgets.QApplication.instance()
    owns_app = app is None
    if app is None:
        app = QtWidgets.QApplication(sys.argv[:1])
        app.setApplicationName(TITLE)
        if not args.light:
            app.setStyle("Fusion")
            app.setPalette(dark_palette())
    worker = get_worker()
    window, panel = build(args, worker)
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
