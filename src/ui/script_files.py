"""The standalone app's comp file: New, Open, Open Recent, Save, Save As, and the modified mark.

Like Nuke, the window says when the comp has unsaved changes (``*`` after its name in the title)
and asks before dropping them (Open, New script, closing the window): Save, Discard or Cancel.
"Modified" is decided from the host's undo state: every change is an undo step, so the comp is
as saved while its undo depth and script are those of the save; after undoing back to the save
depth the text (less the selection) is compared once, so undoing every change clears the mark
again. The shipped example comp is never overwritten: Save on it asks for a new file name.

While a turn is in flight (an agent turn may still apply approved changes, a helper's
answer is about this comp), switching comps is refused with a status line saying to press
Stop first, as the panel does for other actions mid-answer: stopping on the artist's behalf
would throw away changes they may be about to approve.
"""

from __future__ import annotations

import os
import re
from typing import Any, Callable, Optional, Tuple

from Qt import QtCore, QtWidgets

from nuke_ai_panel.graph.nkscript import NkParseError
from nuke_ai_panel.graph.script_host import ScriptHost
from nuke_ai_panel.recent_scripts import add_recent, clear_recent, load_recent, remove_recent

__all__ = ["ScriptFiles", "UNTITLED", "NK_FILTER"]

UNTITLED = "Untitled"
NK_FILTER = "Nuke scripts (*.nk *.gizmo);;All files (*)"
POLL_MS = 1000
"""How often the window looks for changes made to the comp by anything else (a tool call)."""
_SELECTED_LINE = re.compile(r"^[ \t]*selected[ \t]+\S+[ \t]*\n", re.M)


def _content(host: ScriptHost) -> str:
    """The comp as saved, minus the selection: selecting nodes is not a change (Nuke does
    not mark a script modified for it either)."""
    return _SELECTED_LINE.sub("", host.to_text())


class ScriptFiles(QtCore.QObject):
    """Owns which ScriptHost the window works on and whether it is saved.

    ``hostChanged(host)`` fires when another comp is opened or created; ``changed()`` when the
    comp was edited, undone or redone, by anything (the graph redraws), or saved (the title).
    ``read_only`` names a file that Save must not overwrite (the shipped example). ``busy``
    says whether another comp may be opened now: "" when it may, else what the artist must
    do first (e.g. "still answering: press Stop (Esc) first"); a refused New or Open
    changes nothing and emits ``refused(status text)``.
    """

    hostChanged = QtCore.Signal(object)
    changed = QtCore.Signal()
    refused = QtCore.Signal(str)

    def __init__(self, window: QtWidgets.QWidget, host: ScriptHost, title: str,
                 read_only: Optional[str] = None,
                 busy: Optional[Callable[[], str]] = None) -> None:
        super().__init__(window)
        self.window = window
        self.host = host
        self.busy = busy
        self.app_title = title
        self.read_only = os.path.abspath(read_only) if read_only else None
        self._clean: Tuple[Any, int, str] = (None, 0, "")
        self._verdict: Tuple[Any, bool] = (None, False)
        self._seen: Tuple[Any, ...] = ()
        self.mark_clean()
        self._timer = QtCore.QTimer(self)
        self._timer.setInterval(POLL_MS)
        self._timer.timeout.connect(self.sync)
        self._timer.start()

    # -- state --------------------------------------------------------------------------------

    def _token(self) -> Tuple[Any, ...]:
        host = self.host
        return (id(host), id(host.script), len(host.undo_names()), len(host.redo_names()))

    def mark_clean(self) -> None:
        """The comp as it is now is the saved one."""
        host = self.host
        self._clean = (host.script, len(host.undo_names()), _content(host))
        self._verdict = (None, False)
        self._seen = self._token()

    def is_modified(self) -> bool:
        """True when the comp differs from the last open or save."""
        script, depth, text = self._clean
        host = self.host
        if len(host.undo_names()) != depth:
            return True
        if host.script is script:
            return False
        key = (id(host.script), depth)
        if self._verdict[0] != key:
            self._verdict = (key, _content(host) != text)
        return self._verdict[1]

    def display_name(self) -> str:
        path = self.host.path
        return os.path.basename(path) if path else UNTITLED

    def title(self) -> str:
        """``Nuke AI Panel — comp.nk`` with ``*`` after the name when there are unsaved changes."""
        return f"{self.app_title} \u2014 {self.display_name()}{'*' if self.is_modified() else ''}"

    def sync(self) -> bool:
        """Emit ``changed`` when the comp changed since last looked at; True if it did."""
        token = self._token()
        if token == self._seen:
            return False
        self._seen = token
        self.changed.emit()
        return True

    # -- asking before losing changes ------------------------------------------------------------

    def maybe_discard(self, doing: str) -> bool:
        """True when it is fine to drop the comp: saved, or the artist chose Save (and it
        saved) or Discard. ``doing`` completes "Save the changes to comp.nk before ...?"."""
        if not self.is_modified():
            return True
        box = QtWidgets.QMessageBox
        answer = box.question(
            self.window, self.app_title,
            f"Save the changes to {self.display_name()} before {doing}?\n"
            "Your changes will be lost if you don't save them.",
            box.Save | box.Discard | box.Cancel, box.Save)
        if answer == box.Save:
            return self.save()
        return answer == box.Discard

    # -- opening -------------------------------------------------------------------------------

    def may_switch(self, doing: str) -> bool:
        """Whether the comp may be replaced now (the one check for New, Open and Open
        Recent); when not, ``refused`` says why and what to do, ending "then ``doing``"."""
        reason = self.busy() if self.busy is not None else ""
        if reason:
            self.refused.emit(f"{reason}, then {doing}")
        return not reason

    def _switch(self, host: ScriptHost) -> None:
        self.host = host
        self.mark_clean()
        self.hostChanged.emit(host)

    def open(self, path: str, ask: bool = True) -> bool:
        """Open ``path``; False (and nothing changes) when the artist cancels or the file
        cannot be read (a message says why and it leaves the recent list)."""
        if not self.may_switch("open the script"):
            return False
        if ask and not self.maybe_discard("opening another script"):
            return False
        try:
            host = ScriptHost.from_file(path)
        except (OSError, UnicodeError, NkParseError) as exc:
            QtWidgets.QMessageBox.warning(self.window, self.app_title,
                                          f"Could not open {path}:\n{exc}")
            remove_recent(path)
            return False
        self._switch(host)
        add_recent(path)
        return True

    def open_dialog(self) -> bool:
        if not self.may_switch("open the script"):
            return False
        if not self.maybe_discard("opening another script"):
            return False
        path, _filter = QtWidgets.QFileDialog.getOpenFileName(
            self.window, "Open Nuke script", self._folder(), NK_FILTER)
        return self.open(path, ask=False) if path else False

    def new_script(self) -> bool:
        """An empty comp (untitled), after asking about unsaved changes."""
        if not self.may_switch("start a new script"):
            return False
        if not self.maybe_discard("starting a new script"):
            return False
        self._switch(ScriptHost())
        return True

    def _folder(self) -> str:
        path = self.host.path
        return os.path.dirname(path) if path and not self._is_read_only(path) else ""

    def _is_read_only(self, path: str) -> bool:
        return self.read_only is not None and os.path.abspath(path) == self.read_only

    # -- saving --------------------------------------------------------------------------------

    def save(self) -> bool:
        """Save to the comp's file, or ask for one (untitled, or the shipped example)."""
        path = self.host.path
        if not path or self._is_read_only(path):
            return self.save_as()
        return self._save_to(path)

    def save_as(self) -> bool:
        suggested = self.display_name() if self.host.path else "comp.nk"
        path, _filter = QtWidgets.QFileDialog.getSaveFileName(
            self.window, "Save Nuke script", os.path.join(self._folder(), suggested),
            "Nuke scripts (*.nk)")
        if not path:
            return False
        if self._is_read_only(path):
            QtWidgets.QMessageBox.warning(self.window, self.app_title,
                                          "The example comp ships with the app and is not "
                                          "overwritten; choose another file name.")
            return False
        return self._save_to(path)

    def _save_to(self, path: str) -> bool:
        try:
            self.host.save(path)
        except OSError as exc:
            QtWidgets.QMessageBox.warning(self.window, self.app_title,
                                          f"Could not save {path}:\n{exc.strerror or exc}")
            return False
        self.mark_clean()
        add_recent(path)
        self.changed.emit()
        return True

    # -- Open Recent ------------------------------------------------------------------------------

    def fill_recent_menu(self, menu: QtWidgets.QMenu,
                         opener: Optional[Callable[[str], Any]] = None) -> None:
        """Rebuild File > Open Recent: newest first, then "Clear recent scripts"."""
        menu.clear()
        recent = load_recent()
        for path in recent:
            action = menu.addAction(f"{os.path.basename(path)} \u2014 {os.path.dirname(path)}")
            action.setToolTip(path)
            action.setData(path)
            action.triggered.connect(lambda *_args, p=path: (opener or self.open)(p))
        if not recent:
            menu.addAction("No recent scripts").setEnabled(False)
        menu.addSeparator()
        clear = menu.addAction("Clear recent scripts")
        clear.setEnabled(bool(recent))
        clear.triggered.connect(lambda *_args: clear_recent())
