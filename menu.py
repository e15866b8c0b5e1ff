# Nuke GUI start-up for Nuke AI Panel: the "AI Assistant" menu, a toolbar button, and the
# dockable panel registered so saved workspaces bring it back.
#
# Start-up stays cheap and can never stop Nuke from starting: the only import is
# ``src.ui.nuke_integration``, whose module level is standard library only; Qt widgets, aiohttp
# and the network thread load when the artist first uses the panel. A failure here is one line
# on stderr; a failing menu action also tells the artist, with ``nuke.message``, what to do.
#
# The shortcut for "Open Panel" is Ctrl+Alt+Shift+A (Ctrl+Alt+A is Nuke's "select connected
# nodes"); set ``NUKE_AI_PANEL_HOTKEY`` to another key, or to nothing for none.
#
# Comments, not a docstring: Nuke runs this file in a namespace it shares with other
# start-up files, and a docstring would overwrite that namespace's __doc__.


def _nuke_ai_panel_menu() -> None:
    import atexit
    import importlib
    import os
    import sys
    import traceback
    from typing import Any, Callable

    import nuke

    try:
        gui = bool(nuke.env["gui"])
    except Exception:
        gui = bool(getattr(nuke, "GUI", False))
    if not gui:
        return
    if sys.version_info < (3, 9):
        sys.stderr.write("Nuke AI Panel needs Nuke 14 or later (Python 3.9+); not loaded.\n")
        return

    integration_name = "src.ui.nuke_integration"
    hotkey = os.environ.get("NUKE_AI_PANEL_HOTKEY", "ctrl+alt+shift+a").strip()
    here = ""
    for name in (sys._getframe(0).f_code.co_filename, globals().get("__file__")):
        if name and os.path.isfile(name):
            here = os.path.dirname(os.path.abspath(name))
            break
    icon = os.path.join(here, "icons", "nuke_ai_panel_32.png") if here else ""

    def report(what: str, exc: BaseException, tell_user: bool) -> None:
        sys.stderr.write("Nuke AI Panel: %s failed: %s\n" % (what, exc))
        traceback.print_exception(type(exc), exc, exc.__traceback__, file=sys.stderr)
        if tell_user:
            try:
                nuke.message("Nuke AI Panel: %s failed:\n%s" % (what, exc))
            except Exception:
                pass

    def action(what: str, call: Callable[[Any], Any], needs_deps: bool = True
               ) -> Callable[[], None]:
        """A menu callback: imports the integration on use, checks the dependencies, and
        reports any failure instead of raising into Nuke."""

        def run() -> None:
            try:
                module = importlib.import_module(integration_name)
                missing = module.missing_dependencies() if needs_deps else []
                if missing:
                    nuke.message(module.install_hint(missing))
                    return
                call(module)
            except Exception as exc:
                report(what, exc, tell_user=True)

        run.__name__ = "nuke_ai_panel_" + what.replace(" ", "_")
        return run

    def shutdown_worker() -> None:
        """At exit, stop the network thread if it ever started (never imports it)."""
        worker = sys.modules.get("nuke_ai_panel.worker")
        if worker is not None:
            try:
                worker.shutdown_default_worker(1.0)
            except Exception as exc:
                sys.stderr.write("Nuke AI Panel: worker shutdown failed: %s\n" % (exc,))

    def build_menu() -> None:
        open_panel = action("opening the panel", lambda m: m.show_panel())
        menu = nuke.menu("Nuke").addMenu("AI Assistant", icon=icon)
        menu.addCommand("Open Panel", open_panel, hotkey, icon=icon,
                        tooltip="Show the AI Assistant panel")
        menu.addCommand("Settings...", action("opening Settings", lambda m: m.open_settings()))
        menu.addSeparator()
        from nuke_ai_panel.assist.commands import MENU_HELPERS

        for helper in MENU_HELPERS:
            menu.addCommand(helper.label, action(helper.label.rstrip(".").lower(),
                                                 lambda m, h=helper.key: m.run_helper(h)),
                            tooltip=helper.tip)
        menu.addSeparator()
        menu.addCommand("Open Log Folder", action("opening the log folder",
                                                  lambda m: m.open_log_folder(), False))
        menu.addCommand("About", action("About", lambda m: nuke.message(m.about_text()), False))
        nuke.toolbar("Nodes").addCommand("AI Assistant", open_panel, icon=icon,
                                         tooltip="Show the AI Assistant panel")

    def register_panel() -> None:
        module = importlib.import_module(integration_name)
        from nukescripts import panels

        panels.registerWidgetAsPanel(module.WIDGET_FACTORY, module.PANEL_TITLE, module.PANEL_ID)

    steps = (("building the menu", build_menu),
             ("registering the panel", register_panel),
             ("registering the exit hook", lambda: atexit.register(shutdown_worker)))
    for what, step in steps:
        try:
            step()
        except Exception as exc:
            report(what, exc, tell_user=False)


try:
    _nuke_ai_panel_menu()
except Exception as _nuke_ai_panel_error:
    import sys as _nuke_ai_panel_sys

    _nuke_ai_panel_sys.stderr.write(
        "Nuke AI Panel: menu.py failed (%s); the AI Assistant menu is not available. "
        "See docs/nuke_install.md.\n" % (_nuke_ai_panel_error,))
    del _nuke_ai_panel_sys
finally:
    del _nuke_ai_panel_menu
