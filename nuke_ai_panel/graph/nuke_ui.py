"""``NukeUi``: the few pieces of Nuke's own UI the panel uses, behind one named adapter.

The Qt layer never imports ``nuke`` or ``nukescripts`` (tests/ui/test_layers.py): the node
graph goes through :class:`~.nuke_host.NukeHost`, and Nuke's window furniture through this
class: where Nuke is installed, its panes, and registering the chat panel as a dockable
panel. Both modules are imported on each use, never at module level, so this imports
cleanly outside Nuke and always sees the ``nuke`` in ``sys.modules``.

Sources: Nuke Python API reference (``nuke.env``, ``nuke.getPaneFor``) and the
``nukescripts.panels.registerWidgetAsPanel(widget, name, id, create)`` helper, which returns
a ``PythonPanel`` whose ``addToPane(pane=None)`` builds and docks the widget.
"""

from __future__ import annotations

import importlib
import os
from typing import Any, Optional

__all__ = ["NukeUi"]


class NukeUi:
    """Nuke's UI: ``nuke_module`` / ``nukescripts_module`` stand in for the real ones (tests)."""

    def __init__(self, nuke_module: Any = None, nukescripts_module: Any = None) -> None:
        self._nuke = nuke_module
        self._nukescripts = nukescripts_module

    @property
    def nuke(self) -> Any:
        return self._nuke if self._nuke is not None else importlib.import_module("nuke")

    @property
    def nukescripts(self) -> Any:
        if self._nukescripts is not None:
            return self._nukescripts
        return importlib.import_module("nukescripts")

    def install_dir(self) -> str:
        """The running Nuke's install folder (the one holding the executable, or the folder
        around ``Nuke15.1v1.app`` on macOS); "" outside Nuke or when Nuke does not say."""
        try:
            executable = str(self.nuke.env.get("ExecutablePath") or "")
        except Exception:
            return ""
        if not executable:
            return ""
        folder = os.path.dirname(executable)
        marker = folder.find(".app" + os.sep)
        return os.path.dirname(folder[:marker]) if marker >= 0 else folder

    def register_panel(self, widget_factory: str, title: str, panel_id: str) -> Any:
        """Register a dockable panel built by ``widget_factory`` (an expression Nuke
        evaluates when it builds the pane) and return its ``PythonPanel``."""
        return self.nukescripts.panels.registerWidgetAsPanel(widget_factory, title, panel_id,
                                                             True)

    def pane(self, *names: str) -> Optional[Any]:
        """The first of the named panes (``"Properties.1"``...) Nuke has, else None."""
        for name in names:
            try:
                pane = self.nuke.getPaneFor(name)
            except Exception:
                pane = None
            if pane is not None:
                return pane
        return None
