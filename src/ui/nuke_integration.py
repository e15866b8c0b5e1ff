"""The Qt side of the Nuke menus: create, find and show the docked chat panel, open Settings,
start the node-graph helpers, the About text and the log folder.

menu.py imports this module at Nuke's start-up for its constants, so the module level is
standard library only: Qt, the chat panel and aiohttp are imported inside the functions, on
first use. That also lets a panel restored from a saved workspace explain how to install the
dependencies when they are missing, instead of leaving a traceback in an empty pane.

``nuke`` and ``nukescripts`` are reached only through the core's adapters, as everywhere
else in the Qt layer: the node graph through ``NukeHost``, Nuke's panes and panel
registration through ``NukeUi`` (:mod:`nuke_ai_panel.graph.nuke_ui`).
"""

from __future__ import annotations

import os
import sys
from pathlib import Path
from typing import Any, Dict, List, Optional, Tuple

from nuke_ai_panel.assist.commands import MENU_HELPERS, MenuHelper
from nuke_ai_panel.logs import get_logger

log = get_logger("ui")

PANEL_ID = "uk.co.nukeaipanel.ChatPanel"
PANEL_TITLE = "AI Assistant"
#: What ``nukescripts.panels.registerWidgetAsPanel`` gets: an expression Nuke evaluates only
#: when it builds the pane, importing this module then (never at start-up).
WIDGET_FACTORY = "__import__('src.ui.nuke_integration', fromlist=['create_panel']).create_panel"
#: Modules the panel needs that Nuke does not ship; scripts/install_nuke.py installs them.
REQUIRED_MODULES = ("aiohttp", "keyring", "Qt")
#: Menu helper key -> the helper (the table lives in the core, shared with every menu).
HELPERS: Dict[str, MenuHelper] = {helper.key: helper for helper in MENU_HELPERS}
ICON_SIZES = (16, 24, 32)

_panels: List[Any] = []
_dialogs: List[Any] = []
_quit_hooked = False
_host: Any = None


# -- paths, dependencies -----------------------------------------------------------------------


def plugin_dir() -> Path:
    """The folder holding init.py, menu.py and this package (what NUKE_PATH points at)."""
    return Path(__file__).resolve().parents[2]


def icon_path(size: int = 32) -> str:
    """The PNG icon closest to ``size`` pixels (Nuke's menus take a file path)."""
    best = min(ICON_SIZES, key=lambda s: (abs(s - size), -s))
    return str(plugin_dir() / "icons" / f"nuke_ai_panel_{best}.png")


def deps_dir() -> Path:
    """Where init.py looks for this Python's dependencies."""
    root = os.environ.get("NUKE_AI_PANEL_DEPS", "").strip()
    base = Path(os.path.expanduser(root)) if root else plugin_dir() / "deps"
    return base / "py{}.{}".format(*sys.version_info[:2])


def missing_dependencies() -> List[str]:
    """The required modules this Python cannot find (found, not imported: it stays cheap)."""
    import importlib.util

    missing = []
    for name in REQUIRED_MODULES:
        try:
            found = importlib.util.find_spec(name) is not None
        except (ImportError, ValueError):
            found = False
        if not found:
            missing.append(name)
    return missing


def nuke_install_dir() -> str:
    """The running Nuke's install folder, for the installer command; "" outside Nuke."""
    try:
        return nuke_ui().install_dir()
    except ImportError:
        return ""


def install_hint(missing: Optional[List[str]] = None) -> str:
    """What to tell an artist whose Nuke lacks the dependencies: the exact command to run."""
    missing = missing_dependencies() if missing is None else missing
    script = plugin_dir() / "scripts" / "install_nuke.py"
    nuke_dir = nuke_install_dir() or "/path/to/Nuke15.1v1"
    version = "{}.{}".format(*sys.version_info[:2])
    python = "python" if os.name == "nt" else "python3"
    return (f"Nuke AI Panel needs {', '.join(missing) or 'its dependencies'}, not installed "
            f"for this Nuke's Python {version} (looked in {deps_dir()}).\n"
            f"Close Nuke and run, in a terminal:\n"
            f'    {python} "{script}" --nuke "{nuke_dir}"\n'
            f"then start Nuke again. See docs/nuke_install.md.")


# -- Qt and nuke, on demand ----------------------------------------------------------------------


def _qt() -> Tuple[Any, Any, Any]:
    """(QtCore, QtGui, QtWidgets) through Qt.py, or the binding Nuke ships when Qt.py is not
    installed yet (only the notice about missing dependencies is built then)."""
    try:
        from Qt import QtCore, QtGui, QtWidgets
    except ImportError:
        try:
            from PySide6 import QtCore, QtGui, QtWidgets
        except ImportError:
            from PySide2 import QtCore, QtGui, QtWidgets
    return QtCore, QtGui, QtWidgets


def host() -> Any:
    """The one ``NukeHost`` the panels share."""
    global _host
    if _host is None:
        from nuke_ai_panel.graph.nuke_host import NukeHost

        _host = NukeHost()
    return _host


def nuke_ui() -> Any:
    """Nuke's panes and panel registration (``NukeUi``; imported on first use)."""
    from nuke_ai_panel.graph.nuke_ui import NukeUi

    return NukeUi()


def main_window() -> Any:
    """Nuke's main window (the top-level QMainWindow), else the active window, else None."""
    _core, _gui, widgets = _qt()
    app = widgets.QApplication.instance()
    if app is None:
        return None
    for widget in app.topLevelWidgets():
        if isinstance(widget, widgets.QMainWindow) and widget.isVisible():
            return widget
    return app.activeWindow()


# -- the panel -----------------------------------------------------------------------------------


def _alive(widget: Any) -> bool:
    try:
        from Qt import QtCompat

        return bool(QtCompat.isValid(widget))
    except Exception:
        return False


def live_panels() -> List[Any]:
    """The chat panels Nuke still shows (closed panes drop out)."""
    _panels[:] = [p for p in _panels if _alive(p)]
    return list(_panels)


def _install_helpers(panel: Any) -> None:
    """Give the panel the node-graph helpers (/explain, /build, /fix...) on its NukeHost."""
    try:
        from .assist_controller import install
    except ImportError:
        log.warning("the node-graph helpers are not available", exc_info=True)
        return
    install(panel, panel.host)


def _get_worker() -> Any:
    from nuke_ai_panel.worker import get_worker

    return get_worker()


def create_panel(worker: Any = None) -> Any:
    """The widget for Nuke's pane: a ChatPanel on a NukeHost, or, when the dependencies are
    missing or the panel fails to build, a notice that says what to do."""
    _start_file_logging()
    missing = missing_dependencies()
    if missing:
        return _notice_widget(install_hint(missing))
    try:
        from .chat_panel import ChatPanel

        _core, gui, _widgets = _qt()
        panel = ChatPanel(worker=worker or _get_worker(), host=host())
        _install_helpers(panel)
        panel.setWindowTitle(PANEL_TITLE)
        panel.setWindowIcon(gui.QIcon(icon_path(32)))
    except Exception as exc:
        log.exception("the chat panel could not be created")
        return _notice_widget(f"The AI Assistant panel could not start: {exc}\n"
                              "See the log folder (AI Assistant > Open Log Folder).")
    _panels.append(panel)
    _hook_quit()
    return panel


def _start_file_logging() -> None:
    """The log folder the menu opens, and the hints point to, gets a file from first use on."""
    try:
        from nuke_ai_panel.logs import setup_file_logging
        setup_file_logging()
    except Exception as exc:
        print(f"Nuke AI Panel: file logging is off: {exc}", file=sys.stderr)


def _notice_widget(text: str) -> Any:
    core, _gui, widgets = _qt()
    label = widgets.QLabel(text)
    label.setObjectName("nukeAiPanelNotice")
    label.setWordWrap(True)
    label.setTextFormat(core.Qt.PlainText)
    label.setTextInteractionFlags(core.Qt.TextSelectableByMouse)
    label.setAlignment(core.Qt.AlignTop | core.Qt.AlignLeft)
    label.setMargin(12)
    return label


def _hook_quit() -> None:
    """Connect QApplication.aboutToQuit once, when the first panel exists: Qt and the loop
    thread are still alive then, which is not certain at interpreter exit."""
    global _quit_hooked
    if _quit_hooked:
        return
    _core, _gui, widgets = _qt()
    app = widgets.QApplication.instance()
    if app is not None:
        app.aboutToQuit.connect(on_quit)
        _quit_hooked = True


def on_quit() -> None:
    """Cancel what the panels have in flight and stop the network thread (about 1 s at most)."""
    for panel in live_panels():
        try:
            panel.shutdown()
        except Exception:
            log.exception("a chat panel did not shut down cleanly")
    if "nuke_ai_panel.worker" in sys.modules:
        from nuke_ai_panel.worker import shutdown_default_worker

        shutdown_default_worker(1.0)


def _raise_panel(panel: Any) -> None:
    """Make the panel's tab current in its pane and bring its window forward."""
    _core, _gui, widgets = _qt()
    child, parent = panel, panel.parentWidget()
    while parent is not None:
        if isinstance(parent, widgets.QStackedWidget):
            tabs = parent.parentWidget()
            if isinstance(tabs, widgets.QTabWidget):
                tabs.setCurrentWidget(child)
            else:
                parent.setCurrentWidget(child)
        child, parent = parent, parent.parentWidget()
    panel.show()
    window = panel.window()
    window.raise_()
    window.activateWindow()


def show_panel() -> Any:
    """The chat panel, docked and in front: the open one, else a new one next to the
    Properties pane (where Nuke docks tool panels), else wherever Nuke puts it."""
    for panel in reversed(live_panels()):
        if panel.parentWidget() is not None:
            _raise_panel(panel)
            return panel
    if missing_dependencies():
        raise MissingDependencies(install_hint())
    before = len(live_panels())
    ui = nuke_ui()
    python_panel = ui.register_panel(WIDGET_FACTORY, PANEL_TITLE, PANEL_ID)
    pane = ui.pane("Properties.1", "DAG.1")
    if pane is not None:
        python_panel.addToPane(pane)
    else:
        python_panel.addToPane()
    panels = live_panels()
    if len(panels) <= before:
        raise RuntimeError("Nuke did not create the AI Assistant panel; see the Script Editor "
                           "for the error.")
    panel = panels[-1]
    _raise_panel(panel)
    return panel


class MissingDependencies(RuntimeError):
    """The dependencies are not installed for this Nuke; the message says how to fix it."""


# -- menu actions --------------------------------------------------------------------------------


def open_settings() -> Any:
    """The settings dialog, non-modal, over Nuke's main window; open panels re-read the config
    when it closes."""
    if missing_dependencies():
        raise MissingDependencies(install_hint())
    from .settings_dialog import SettingsDialog

    dialog = SettingsDialog(main_window(), _get_worker())
    _dialogs.append(dialog)

    def closed(*_args: Any) -> None:
        if dialog in _dialogs:
            _dialogs.remove(dialog)
        for panel in live_panels():
            panel.reload_config()

    dialog.finished.connect(closed)
    dialog.open()
    return dialog


def run_helper(name: str) -> Any:
    """Open the panel and start a node-graph helper: commands that need no more words run at
    once; the others wait in the prompt box for the artist to finish the sentence."""
    helper = HELPERS[name]
    command = helper.command
    panel = show_panel()
    if helper.needs_words or panel.streaming:
        panel.prefill(command + " ")
        if panel.streaming:
            panel.set_status(f"still answering: press Send for {command} when it is done")
        return panel
    panel.run_command(command)
    return panel


def about_text() -> str:
    from nuke_ai_panel import __version__
    from nuke_ai_panel.paths import user_dir

    return (f"Nuke AI Panel {__version__}\n"
            f"Python {sys.version.split()[0]}\n"
            f"Plugin folder: {plugin_dir()}\n"
            f"Dependencies: {deps_dir()}\n"
            f"User folder (config, history, logs): {user_dir()}")


def open_log_folder() -> Path:
    """Show the log folder in the file browser (created if it is not there yet)."""
    from nuke_ai_panel.paths import logs_dir

    folder = logs_dir(create=True)
    core, gui, _widgets = _qt()
    if not gui.QDesktopServices.openUrl(core.QUrl.fromLocalFile(str(folder))):
        raise RuntimeError(f"could not open {folder} in the file browser")
    return folder
