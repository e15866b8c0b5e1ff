"""An in-memory stand-in for the ``nuke`` and ``nukescripts`` modules, for tests only.

It is strict where the real Nuke is unforgiving, so tests catch what would break in
the application:

* every node-graph call must come from the main thread (``FakeThreadError`` otherwise);
* ``executeInMainThreadWithResult`` runs the callable on the main thread (the test
  pumps it with ``process_events``/``run_in_worker``); if the callable raises, the
  exception is printed and swallowed and None comes back, as in Nuke; called *from*
  the main thread it raises ``MainThreadDeadlock`` where Nuke would hang;
* ``message``/``ask``/``getInput``... are modal in Nuke: calling one records it and
  raises ``BlockingDialogError`` unless the test allowed dialogs;
* ``Undo`` keeps a real history (``undoSize``, ``undo()``...); nothing done between
  ``Undo.disable()`` and ``Undo.enable()`` is recorded;
* any change marks the script modified (``root().modified()``/``setModified``);
* ``nodeCopy``/``nodePaste`` go through a file path or ``'%clipboard%'``;
* Viewer windows, ``frame()`` and ``execute()`` rendering real files: see ``viewer``.

The graph itself is a ``ScriptHost``, so it reads and writes real .nk text.
"""

from __future__ import annotations

import contextlib
import functools
import queue
import sys
import threading
import traceback
from typing import Any, Callable, Dict, Iterator, List, Optional, Tuple

from nuke_ai_panel.graph.dialogs import BLOCKING_DIALOGS
from nuke_ai_panel.graph.nk_lexer import decode_value
from nuke_ai_panel.graph.nuke_facade import FacadeKnob, FacadeNode, FacadeRoot, NukeFacade
from nuke_ai_panel.graph.script_host import ScriptHost

from .viewer import FakeViewerWindow, ViewerAPI

__all__ = [
    "FakeNuke",
    "FakeNukescripts",
    "FakeThreadError",
    "MainThreadDeadlock",
    "BlockingDialogError",
    "install",
    "FakeNodeClass",
    "FakeViewerWindow",
]


class FakeThreadError(AssertionError):
    """The Nuke API was used off the main thread (real Nuke may crash or corrupt state)."""


class MainThreadDeadlock(AssertionError):
    """``executeInMainThreadWithResult`` was called on the main thread: Nuke would hang."""


class BlockingDialogError(AssertionError):
    """A modal dialog was opened where it would block Nuke."""


def _on_main() -> bool:
    return threading.current_thread() is threading.main_thread()


class FakeFormat:
    def __init__(self, text: str) -> None:
        words = text.split()
        nums = []
        for w in words:
            try:
                nums.append(float(w))
            except ValueError:
                break
        self._w = int(nums[0]) if len(nums) > 0 else 0
        self._h = int(nums[1]) if len(nums) > 1 else 0
        self._pa = nums[6] if len(nums) >= 7 else (nums[2] if len(nums) == 3 else 1.0)
        self._name = " ".join(words[len(nums):])

    def width(self) -> int:
        return self._w

    def height(self) -> int:
        return self._h

    def pixelAspect(self) -> float:
        return self._pa

    def name(self) -> str:
        return self._name


class _FormatKnob(FacadeKnob):
    def value(self, index: Optional[int] = None) -> Any:
        return FakeFormat(decode_value(self._owner._raw(self._name) or ""))


class _FakeRoot(FacadeRoot):
    def knob(self, name: Any) -> FacadeKnob:
        self._live()
        if name == "format":
            return _FormatKnob(self._facade, self, "format")
        return FacadeKnob(self._facade, self, str(name))

    def knobs(self) -> Dict[str, FacadeKnob]:
        return {k: self.knob(k) for k in self._facade._host.script.root}

    def modified(self) -> bool:
        return self._facade.script_modified

    def setModified(self, modified: bool) -> None:
        self._facade.script_modified = bool(modified)


class FakeNodeClass:
    """What the fake Nuke knows of one node class, for code that inspects fresh nodes:
    its knobs as ``{name: (knob class, default script text)}`` and its inputs
    (``maxInputs()``, and ``optionalInput()``: the first mask input, -1 for none)."""

    def __init__(self, knobs: Dict[str, Tuple[str, str]], max_inputs: int = 1, optional_input: int = -1) -> None:
        self.knobs = dict(knobs)
        self.max_inputs = max_inputs
        self.optional_input = optional_input


# Nuke answers maxInputs() with a large number for classes that take any number of inputs.
_ANY_NUMBER_OF_INPUTS = 10000


@functools.lru_cache(maxsize=None)
def _catalogue_class(node_class: str) -> Optional[FakeNodeClass]:
    """What a real Nuke knows of a built-in class, from the shipped catalogue (None for a
    class it does not list, which then behaves as before: one input, only set knobs)."""
    from nuke_ai_panel.graph.catalogue import catalogue

    info = catalogue().class_info(node_class)
    if info is None or not info.complete:
        return None
    knobs = {k.name: (k.type or "Unknown_Knob", k.default or "") for k in info.knobs.values()}
    limit = info.input_limit()
    optional = info.max_inputs if info.masks and info.max_inputs is not None else -1
    return FakeNodeClass(knobs, _ANY_NUMBER_OF_INPUTS if limit is None else limit, optional)


class _FakeKnob(FacadeKnob):
    def Class(self) -> str:
        spec = self._owner._class_spec()
        if spec is not None and self._name in spec.knobs:
            return spec.knobs[self._name][0]
        return "String_Knob" if self._name == "name" else "Unknown_Knob"

    def toScript(self) -> str:
        raw = self._owner._raw(self._name)
        if raw is None:
            spec = self._owner._class_spec()
            if spec is not None and self._name in spec.knobs:
                return spec.knobs[self._name][1]
            return ""
        return raw

    def getValueAt(self, time: float, index: int = 0, *_: Any) -> float:
        """The knob's value at ``time``, as Nuke's ``Array_Knob.getValueAt``: plain numbers,
        lists and expressions (the fake evaluates the common subset with the core's
        evaluator; what it cannot evaluate reads 0, as an expression in error does in Nuke)."""
        from nuke_ai_panel.graph.expr_eval import NotEvaluable, host_lookup, raw_value_at

        host = self._facade._host
        names = [n.full_name for n in host.script.nodes]
        try:
            return raw_value_at(self.toScript(), index, float(time), host_lookup(host, names),
                                self._owner.fullName())
        except NotEvaluable:
            return 0.0

    valueAt = getValueAt


class _FakeNode(FacadeNode):
    """A node handle that also knows its class's knobs and inputs (like Nuke, a fresh
    node lists every knob of its class, not only the ones set)."""

    def _class_spec(self) -> Optional[FakeNodeClass]:
        registry = getattr(self._facade, "node_classes", None)
        node_class = self._live().node_class
        if registry:
            return registry.get(node_class)
        return _catalogue_class(node_class)

    def knob(self, name: Any) -> FacadeKnob:
        self._live()
        return _FakeKnob(self._facade, self, str(name))

    def _set_raw(self, knob: str, raw: str) -> None:
        """Like Nuke: a knob change marks the script modified, and is not recorded for undo
        between ``Undo.disable()`` and ``enable()``."""
        with self._facade._undo_unless_disabled():
            super()._set_raw(knob, raw)
        self._facade.script_modified = True

    def channels(self) -> List[str]:
        return list(self._facade.channels_of(self))

    def knobs(self) -> Dict[str, FacadeKnob]:
        names = list(super().knobs())
        spec = self._class_spec()
        if spec is not None:
            names += [k for k in spec.knobs if k not in names]
        return {k: _FakeKnob(self._facade, self, k) for k in names}

    def maxInputs(self) -> int:
        spec = self._class_spec()
        return spec.max_inputs if spec is not None else 1

    def minInputs(self) -> int:
        return 0

    def optionalInput(self) -> int:
        spec = self._class_spec()
        return spec.optional_input if spec is not None else -1


class FakeMenu:
    def __init__(self, name: str) -> None:
        self.name = name
        self.items: List[Tuple[str, Any]] = []
        self.menus: Dict[str, "FakeMenu"] = {}

    def _submenu(self, path: str) -> Tuple["FakeMenu", str]:
        parts = path.split("/")
        menu = self
        for part in parts[:-1]:
            menu = menu.addMenu(part)
        return menu, parts[-1]

    def addMenu(self, name: str, icon: Optional[str] = None, index: int = -1, **_: Any) -> "FakeMenu":
        menu, leaf = self._submenu(name) if "/" in name else (self, name)
        if leaf not in menu.menus:
            sub = FakeMenu(leaf)
            menu.menus[leaf] = sub
            menu.items.append((leaf, sub))
        return menu.menus[leaf]

    def addCommand(self, name: str, command: Any = None, shortcut: str = "", icon: str = "",
                   tooltip: str = "", index: int = -1, **kwargs: Any) -> Dict[str, Any]:
        menu, leaf = self._submenu(name)
        item = {"name": leaf, "command": command, "shortcut": shortcut, "icon": icon,
                "tooltip": tooltip, "index": index, **kwargs}
        menu.items.append((leaf, item))
        return item

    def addSeparator(self, **_: Any) -> None:
        self.items.append(("-", None))

    def findItem(self, name: str) -> Any:
        menu: Any = self
        for part in name.split("/"):
            found = [obj for leaf, obj in getattr(menu, "items", []) if leaf == part]
            if not found:
                return None
            menu = found[-1]
        return menu

    def removeItem(self, name: str) -> None:
        self.items = [(leaf, obj) for leaf, obj in self.items if leaf != name]
        self.menus.pop(name, None)

    def command_names(self) -> List[str]:
        out = []
        for leaf, obj in self.items:
            if isinstance(obj, FakeMenu):
                out.extend(f"{leaf}/{n}" for n in obj.command_names())
            elif obj is not None:
                out.append(leaf)
        return out


_CALLBACK_KINDS = (
    "OnCreate", "OnUserCreate", "OnDestroy", "OnScriptLoad", "OnScriptSave",
    "OnScriptClose", "KnobChanged", "Autolabel", "UpdateUI",
)


class FakeNuke(ViewerAPI, NukeFacade):
    """The fake ``nuke`` module. Build one per test: ``fake = FakeNuke(nk_text)``."""

    NUKE_VERSION_MAJOR = 15
    NUKE_VERSION_MINOR = 1
    NUKE_VERSION_RELEASE = 1
    NUKE_VERSION_STRING = "15.1v1"
    GUI = True

    def __init__(self, text: str = "", call_timeout: float = 10.0) -> None:
        self.dialog_calls: List[Tuple[str, tuple]] = []
        self._dialog_answers: Dict[str, Any] = {}
        super().__init__(ScriptHost.from_text(text))
        self.env = {
            "gui": True, "NukeVersionMajor": 15, "NukeVersionMinor": 1, "NukeVersionRelease": 1,
            "NukeVersionString": "15.1v1", "nukex": False, "studio": False, "indie": False,
            "ple": False, "ExecutablePath": "/fake/Nuke15.1", "LINUX": True, "WIN32": False,
            "MACOS": False,
        }
        self.call_timeout = call_timeout
        self._queue: "queue.Queue[tuple]" = queue.Queue()
        self.swallowed: List[BaseException] = []
        self.main_thread_calls = 0
        self.menus: Dict[str, FakeMenu] = {}
        self.callbacks: Dict[str, List[tuple]] = {k: [] for k in _CALLBACK_KINDS}
        self.plugin_paths: List[str] = []
        self.closed: List[str] = []
        self.Undo = self._fake_undo_class()
        # Node classes the fake knows (None: any class name creates a node, as before);
        # with a registry, an unknown class raises like Nuke ("X: unknown command").
        self.node_classes: Optional[Dict[str, FakeNodeClass]] = None
        self.undo_enabled = True
        self.script_modified = False
        self.created: List[Tuple[str, bool]] = []
        self._undo_paused: Optional[Tuple[list, list]] = None
        self._init_viewers()

    @property
    def host(self) -> ScriptHost:
        return self._host

    def __getattr__(self, name: str) -> Any:
        if name.startswith("__"):
            raise AttributeError(name)
        if name.startswith(("addOn", "removeOn", "addKnob", "removeKnob", "addAuto", "removeAuto",
                            "addUpdate", "removeUpdate")):
            return self._callback_api(name)
        raise AttributeError(f"the fake nuke has no {name} (add it to tests/fake_nuke if NukeHost needs it)")

    def _guard(self, what: str) -> None:
        if not _on_main():
            raise FakeThreadError(
                f"nuke.{what} called from thread {threading.current_thread().name!r}; "
                "Nuke's API may only be used on the main thread"
            )

    # -- blocking dialogs ----------------------------------------------------------------

    def _install_dialogs(self) -> None:
        for name in BLOCKING_DIALOGS:
            setattr(self, name, self._blocking(name))

    def _blocking(self, name: str) -> Callable[..., Any]:
        def dialog(*args: Any, **kwargs: Any) -> Any:
            self.dialog_calls.append((name, args))
            if name in self._dialog_answers:
                return self._dialog_answers[name]
            raise BlockingDialogError(f"nuke.{name}{args!r} would open a modal dialog and block Nuke")

        return dialog

    @contextlib.contextmanager
    def allow_dialogs(self, **answers: Any) -> Iterator[None]:
        """Let dialogs return these answers (``message=None, ask=True``) inside the block."""
        saved = dict(self._dialog_answers)
        self._dialog_answers.update(answers)
        try:
            yield
        finally:
            self._dialog_answers = saved

    # -- main thread -------------------------------------------------------------------

    def executeInMainThreadWithResult(self, call: Callable[..., Any], args: Any = (), kwargs: Any = None) -> Any:
        if _on_main():
            raise MainThreadDeadlock(
                "executeInMainThreadWithResult was called from the main thread; Nuke would hang"
            )
        if not isinstance(args, tuple):
            args = (args,)
        done = threading.Event()
        box: Dict[str, Any] = {}
        self._queue.put((call, args, dict(kwargs or {}), done, box))
        if not done.wait(self.call_timeout):
            raise TimeoutError("the main thread never ran the call (pump fake.process_events())")
        if "error" in box:
            return None
        return box.get("value")

    def executeInMainThread(self, call: Callable[..., Any], args: Any = (), kwargs: Any = None) -> None:
        if not isinstance(args, tuple):
            args = (args,)
        self._queue.put((call, args, dict(kwargs or {}), None, {}))

    def process_events(self, limit: Optional[int] = None) -> int:
        """Run queued main-thread calls (main thread only), at most ``limit`` of them.
        Returns how many ran. Between two calls is where Nuke's event loop handles the
        artist's own clicks, so a test can act there."""
        if not _on_main():
            raise FakeThreadError("process_events must run on the main thread")
        count = 0
        while limit is None or count < limit:
            try:
                call, args, kwargs, done, box = self._queue.get_nowait()
            except queue.Empty:
                return count
            count += 1
            self.main_thread_calls += 1
            try:
                box["value"] = call(*args, **kwargs)
            except BaseException as exc:
                box["error"] = exc
                self.swallowed.append(exc)
                traceback.print_exception(type(exc), exc, exc.__traceback__, file=sys.stderr)
            finally:
                if done is not None:
                    done.set()
        return count

    def run_in_worker(self, fn: Callable[..., Any], *args: Any, timeout: float = 10.0) -> Any:
        """Call ``fn`` on a worker thread while this (main) thread serves Nuke calls."""
        box: Dict[str, Any] = {}

        def work() -> None:
            try:
                box["value"] = fn(*args)
            except BaseException as exc:
                box["error"] = exc

        worker = threading.Thread(target=work, name="fake-nuke-worker", daemon=True)
        worker.start()
        deadline = threading.Event()
        timer = threading.Timer(timeout, deadline.set)
        timer.start()
        try:
            while worker.is_alive():
                if deadline.is_set():
                    raise TimeoutError(f"worker did not finish within {timeout} s")
                self.process_events()
                worker.join(0.005)
            self.process_events()
        finally:
            timer.cancel()
        if "error" in box:
            raise box["error"]
        return box.get("value")

    # -- undo with history ---------------------------------------------------------------

    def _fake_undo_class(self) -> type:
        fake = self

        class Undo:
            def __init__(self, *_: Any) -> None:
                fake._guard("Undo")

            def __enter__(self) -> "Undo":
                Undo.begin()
                return self

            def __exit__(self, exc_type: Any, *_: Any) -> None:
                if exc_type is None:
                    Undo.end()
                else:
                    Undo.cancel()

            @staticmethod
            def begin(name: Optional[str] = None) -> None:
                fake._guard("Undo.begin")
                fake._host.begin_undo(name or "")

            @staticmethod
            def name(name: str) -> None:
                fake._guard("Undo.name")
                fake._host.name_undo(name)

            @staticmethod
            def end() -> None:
                fake._guard("Undo.end")
                fake._host.end_undo()

            @staticmethod
            def cancel() -> None:
                fake._guard("Undo.cancel")
                fake._host.cancel_undo()

            @staticmethod
            def undo() -> None:
                fake._guard("Undo.undo")
                fake._host.undo()

            @staticmethod
            def redo() -> None:
                fake._guard("Undo.redo")
                fake._host.redo()

            @staticmethod
            def undoSize() -> int:
                return len(fake._host.undo_names())

            @staticmethod
            def redoSize() -> int:
                return len(fake._host.redo_names())

            @staticmethod
            def undoDescribe(n: int = 0) -> str:
                names = fake._host.undo_names()
                return names[-1 - n] if 0 <= n < len(names) else ""

            @staticmethod
            def disable() -> None:
                fake._guard("Undo.disable")
                if fake.undo_enabled:
                    fake._undo_paused = (list(fake._host._undo), list(fake._host._redo))
                fake.undo_enabled = False

            @staticmethod
            def enable() -> None:
                fake._guard("Undo.enable")
                if not fake.undo_enabled and fake._undo_paused is not None:
                    fake._host._undo[:], fake._host._redo[:] = fake._undo_paused
                    fake._undo_paused = None
                fake.undo_enabled = True

        return Undo

    # -- graph extras ----------------------------------------------------------------------

    def root(self) -> FacadeRoot:
        self._guard("root")
        return _FakeRoot(self)

    def _wrap(self, full_name: str) -> FacadeNode:
        return _FakeNode(self, self._host.node(full_name))

    def _make(self, node_class: str, knob_values: Dict[str, Any], inputs: Any) -> FacadeNode:
        self._guard("createNode")
        if self.node_classes is not None and node_class not in self.node_classes:
            raise RuntimeError(f"{node_class}: unknown command")
        self.created.append((node_class, self.undo_enabled))
        self.script_modified = True
        with self._undo_unless_disabled():
            return super()._make(node_class, knob_values, inputs)

    def delete(self, node: FacadeNode) -> None:
        with self._undo_unless_disabled():
            super().delete(node)
        self.script_modified = True

    @contextlib.contextmanager
    def _undo_unless_disabled(self) -> Iterator[None]:
        """Like Nuke, nothing done between ``Undo.disable()`` and ``enable()`` is recorded."""
        steps = len(self._host.undo_names())
        yield
        if not self.undo_enabled:
            del self._host._undo[steps:]

    def set_error(self, name: str, error: Optional[str]) -> None:
        """Test helper: make ``node.hasError()`` true with this message."""
        self._host.set_node_error(name, error)

    def scriptName(self) -> str:
        return decode_value(self._host.script.root.get("name", "")) or "Root"

    def scriptClose(self, *_: Any) -> None:
        self._guard("scriptClose")
        self.closed.append("scriptClose")

    def scriptClear(self, *_: Any) -> None:
        self._guard("scriptClear")
        self.closed.append("scriptClear")

    def scriptExit(self, *_: Any) -> None:
        self._guard("scriptExit")
        self.closed.append("scriptExit")

    # -- start-up API (menu.py / init.py) ---------------------------------------------

    def menu(self, name: str) -> FakeMenu:
        return self.menus.setdefault(name, FakeMenu(name))

    def toolbar(self, name: str, *_: Any) -> FakeMenu:
        return self.menus.setdefault(f"toolbar:{name}", FakeMenu(name))

    def pluginAddPath(self, path: str, addToSysPath: bool = True) -> None:
        self.plugin_paths.append(path)

    def pluginPath(self) -> List[str]:
        return list(self.plugin_paths)

    def _callback_api(self, name: str) -> Callable[..., None]:
        kind = name[3:] if name.startswith("add") else name[6:]

        def register(call: Callable[..., Any], args: tuple = (), kwargs: Optional[dict] = None,
                     nodeClass: str = "*") -> None:
            entries = self.callbacks.setdefault(kind, [])
            if name.startswith("add"):
                entries.append((call, args, kwargs or {}, nodeClass))
            else:
                self.callbacks[kind] = [e for e in entries if e[0] is not call]

        return register

    def fire(self, kind: str) -> None:
        """Run the callbacks registered for ``kind`` (``"OnScriptClose"``...)."""
        for call, args, kwargs, _ in list(self.callbacks.get(kind, [])):
            call(*args, **kwargs)


class _Panels:
    def __init__(self) -> None:
        self.registered: List[Dict[str, Any]] = []

    def registerWidgetAsPanel(self, widget: Any, name: str, id: str, create: bool = False) -> Any:
        entry = {"widget": widget, "name": name, "id": id, "create": create}
        self.registered.append(entry)
        return entry

    def restorePanel(self, id: str) -> Any:
        return next((e for e in self.registered if e["id"] == id), None)


class FakeNukescripts:
    """The few ``nukescripts`` pieces the panel uses."""

    def __init__(self, fake: FakeNuke) -> None:
        self._fake = fake
        self.panels = _Panels()

    def clear_selection_recursive(self, group: Any = None) -> None:
        self._fake._guard("nukescripts.clear_selection_recursive")
        self._fake.host.select([])


def install(monkeypatch: Any, text: str = "") -> Tuple[FakeNuke, FakeNukescripts]:
    """Put a fresh fake in ``sys.modules`` as ``nuke``/``nukescripts`` for one test."""
    fake = FakeNuke(text)
    scripts = FakeNukescripts(fake)
    monkeypatch.setitem(sys.modules, "nuke", fake)
    monkeypatch.setitem(sys.modules, "nukescripts", scripts)
    monkeypatch.setitem(sys.modules, "nukescripts.panels", scripts.panels)
    return fake, scripts
