# Nuke start-up for Nuke AI Panel (GUI and terminal mode, ``nuke -t``).
#
# Nuke runs every init.py on its plugin path before anything else, render farm included, so this
# one only puts the dependency folder for the running Python (``<plugin>/deps/py3.10`` for
# Nuke 15; ``$NUKE_AI_PANEL_DEPS/py3.10`` when a studio keeps them elsewhere) at the END of
# ``sys.path``, if it exists: appended, not prepended, so packages Nuke or the studio pipeline
# already provide keep winning in every Nuke process (farm included) and ours only fill what is
# missing. No Qt, no UI, no network, no menus (menu.py does those, GUI only), and it never
# raises: a problem is one line on stderr.
#
# Comments, not a docstring: Nuke runs this file in a namespace it shares with other
# start-up files, and a docstring would overwrite that namespace's __doc__.


def _nuke_ai_panel_add_deps(this_file: str) -> None:
    import os
    import sys

    root = os.environ.get("NUKE_AI_PANEL_DEPS", "").strip()
    if not root:
        if not this_file:
            return
        root = os.path.join(os.path.dirname(os.path.abspath(this_file)), "deps")
    folder = os.path.join(os.path.expanduser(root), "py%d.%d" % sys.version_info[:2])
    if not os.path.isdir(folder):
        return
    if folder not in sys.path:
        sys.path.append(folder)


def _nuke_ai_panel_this_file() -> str:
    """This file's path: the compiled file name (right however Nuke runs us), else ``__file__``
    (which a shared namespace may have set for another file)."""
    import os
    import sys

    for name in (sys._getframe(0).f_code.co_filename, globals().get("__file__")):
        if name and os.path.isfile(name):
            return name
    return ""


try:
    _nuke_ai_panel_add_deps(_nuke_ai_panel_this_file())
except Exception as _nuke_ai_panel_error:
    import sys as _nuke_ai_panel_sys

    _nuke_ai_panel_sys.stderr.write(
        "Nuke AI Panel: init.py could not add its dependency folder (%s); check "
        "NUKE_AI_PANEL_DEPS, or run scripts/install_nuke.py again.\n" % (_nuke_ai_panel_error,))
    del _nuke_ai_panel_sys
finally:
    del _nuke_ai_panel_add_deps, _nuke_ai_panel_this_file
