"""``NukeHost``: the host interface over the running Nuke (``nuke`` imported lazily).

Nuke's API may only be used from its main thread. Each call therefore runs directly
when already on the main thread, and otherwise through
``nuke.executeInMainThreadWithResult`` with the work wrapped so its exception is
caught inside and re-raised here: Nuke itself would print it and hand back None.
Calling ``executeInMainThreadWithResult`` from the main thread would hang Nuke, so
that path is never taken there. Between two such calls Nuke's event loop runs the
artist's own edits; an undo group is therefore never left open across calls
(``in_undo_group`` runs the whole group in one).
"""

from __future__ import annotations

import contextlib
import io
import os
import tempfile
import threading
from typing import Any, Callable, Dict, List, Optional, Sequence

from .dialogs import non_blocking_dialogs
from .host import HostError, NodeError, NodeInfo, NodeKnobs, RunResult, UndoStep, ViewerFrame
from .nk_lexer import encode_value
from .nk_model import parent_of
from .nk_root import COLOUR_KNOBS, root_info_from_knobs
from .run_code import run_in_undo

__all__ = ["NukeHost"]

_ROOT_TEXT_KNOBS = ("name", "fps", "first_frame", "last_frame", "proxy") + COLOUR_KNOBS


def _ancestors(full_name: str) -> List[str]:
    """``"A.B.C"`` -> ``["A.B", "A"]``: the groups that hold the node."""
    parts = full_name.split(".")[:-1]
    return [".".join(parts[:i]) for i in range(len(parts), 0, -1)]


def _on_main_thread() -> bool:
    return threading.current_thread() is threading.main_thread()


class NukeHost:
    """The host interface over the live Nuke session."""

    def __init__(
        self,
        nuke_module: Any = None,
        nukescripts_module: Any = None,
        is_main_thread: Callable[[], bool] = _on_main_thread,
    ) -> None:
        self._nuke = nuke_module
        self._nukescripts = nukescripts_module
        self._is_main = is_main_thread
        self._undo_depth = 0
        self._undo: Any = None
        self._doomed = False
        self._classes: Any = None

    @property
    def nuke(self) -> Any:
        if self._nuke is None:
            import nuke  # noqa: WPS433 - only importable inside Nuke

            self._nuke = nuke
        return self._nuke

    def _scripts(self) -> Any:
        if self._nukescripts is None:
            try:
                import nukescripts  # noqa: WPS433
            except ImportError:
                return None
            self._nukescripts = nukescripts
        return self._nukescripts

    # -- main-thread marshalling -----------------------------------------------------------

    def _call(self, fn: Callable[..., Any], *args: Any) -> Any:
        if self._is_main():
            return fn(*args)
        box: Dict[str, Any] = {}

        def job() -> None:
            try:
                box["value"] = fn(*args)
            except BaseException as exc:  # handed back to the calling thread below
                box["error"] = exc

        self.nuke.executeInMainThreadWithResult(job)
        if "error" in box:
            raise box["error"]
        if "value" not in box:
            raise HostError("Nuke did not run the request on its main thread")
        return box["value"]

    # -- undo (main thread only) ---------------------------------------------------------

    def _begin_undo(self, name: str) -> None:
        if self._undo_depth == 0:
            undo = self.nuke.Undo()
            try:
                undo.begin(name)
            except TypeError:
                undo.begin()
                undo.name(name)
            self._undo = undo
        self._undo_depth += 1

    def _end_undo(self) -> None:
        self._undo_depth -= 1
        if self._undo_depth == 0 and self._undo is not None:
            undo, self._undo = self._undo, None
            if self._doomed:
                self._doomed = False
                undo.cancel()
            else:
                undo.end()

    def _cancel_undo(self) -> None:
        """Nuke cannot roll back part of an open group: a failure inside an outer group
        dooms the whole group, which is then cancelled instead of ended."""
        self._undo_depth -= 1
        if self._undo_depth > 0:
            self._doomed = True
        elif self._undo is not None:
            undo, self._undo = self._undo, None
            self._doomed = False
            undo.cancel()

    def _in_undo(self, name: str, fn: Callable[[], Any]) -> Any:
        self._begin_undo(name)
        try:
            result = fn()
        except BaseException:
            self._cancel_undo()
            raise
        self._end_undo()
        return result

    def in_undo_group(self, name: str, fn: Callable[[], Any]) -> UndoStep:
        """See ``Host.in_undo_group``: begin, ``fn`` and end (or cancel) are one
        ``executeInMainThreadWithResult`` call, so Nuke's event loop cannot run the
        artist's edits between them (they would join the open group)."""
        return self._call(self._group, name, fn)

    def _group(self, name: str, fn: Callable[[], Any]) -> UndoStep:
        before = self._undo_names()
        value = self._in_undo(name, fn)
        after = self._undo_names()
        return UndoStep(value, after != before and bool(after) and after[-1] == name)

    def undo(self, expect: Optional[str] = None) -> Optional[str]:
        """Undo Nuke's last undo step (``nuke.Undo.undo()``), checking its name with
        ``nuke.Undo.undoDescribe(0)`` first when ``expect`` is given (see ``Host.undo``)."""
        return self._call(self._undo_last, expect)

    def _undo_last(self, expect: Optional[str]) -> Optional[str]:
        if self._undo_depth:
            raise HostError("cannot undo while an undo group is open")
        undo = self.nuke.Undo()
        last = undo.undoDescribe(0) if undo.undoSize() > 0 else None
        if expect is not None and last != expect:
            raise HostError(f"the last undo step is {last!r}, not {expect!r}"
                            if last is not None else f"nothing to undo, not {expect!r}")
        if last is None:
            return None
        undo.undo()
        return last

    def undo_names(self) -> List[str]:
        """Nuke's undo steps (``undoDescribe(n)``, n = 0 the latest), oldest first."""
        return self._call(self._undo_names)

    def _undo_names(self) -> List[str]:
        undo = self.nuke.Undo()
        return [str(undo.undoDescribe(n)) for n in range(undo.undoSize() - 1, -1, -1)]

    # -- helpers (main thread only) ------------------------------------------------------

    def _node(self, name: str) -> Any:
        node = self.nuke.toNode(name)
        if node is None:
            raise HostError(f"no node named {name}")
        return node

    def _context(self, parent: Optional[str]) -> Any:
        return self.nuke.root() if parent is None else self._node(parent)

    def _clear_selection(self) -> None:
        scripts = self._scripts()
        clear = getattr(scripts, "clear_selection_recursive", None) if scripts else None
        if clear is not None:
            clear()
            return
        for n in self.nuke.allNodes(recurseGroups=True):
            n.setSelected(False)

    def _info(self, n: Any) -> NodeInfo:
        full = n.fullName()
        inputs = []
        for i in range(n.inputs()):
            source = n.input(i)
            inputs.append(source.fullName() if source is not None else None)
        return NodeInfo(full, n.Class(), parent_of(full), inputs, bool(n.isSelected()))

    # -- the interface -------------------------------------------------------------------

    def root_info(self) -> Dict[str, Any]:
        return self._call(self._root_info)

    def _root_info(self) -> Dict[str, Any]:
        root = self.nuke.root()
        knobs = root.knobs()
        raw: Dict[str, str] = {}
        if "format" in knobs:
            fmt = knobs["format"].value()
            try:
                w, h = fmt.width(), fmt.height()
                text = f"{w} {h} 0 0 {w} {h} {fmt.pixelAspect():g} {fmt.name() or ''}"
            except AttributeError:
                text = str(fmt)
            raw["format"] = encode_value(text.strip())
        names = list(_ROOT_TEXT_KNOBS) + [
            k for k in knobs if any(s in k.lower() for s in ("lut", "ocio", "colorspace"))
        ]
        for name in names:
            if name in knobs and name not in raw:
                value = knobs[name].value()
                raw[name] = encode_value("" if value is None else str(value))
        return root_info_from_knobs(raw)

    def all_nodes(self) -> List[NodeInfo]:
        return self._call(lambda: [self._info(n) for n in self.nuke.allNodes(recurseGroups=True)])

    def selected_nodes(self) -> List[NodeInfo]:
        return self._call(
            lambda: [self._info(n) for n in self.nuke.allNodes(recurseGroups=True) if n.isSelected()]
        )

    def select(self, names: Sequence[str]) -> None:
        self._call(self._select, list(names))

    def _select(self, names: List[str]) -> None:
        nodes = [self._node(n) for n in names]
        self._clear_selection()
        for n in nodes:
            n.setSelected(True)

    def node_script(self, names: Sequence[str]) -> str:
        return self._call(self._node_script, list(names))

    def _node_script(self, names: List[str]) -> str:
        nodes = [self._node(n) for n in names]
        previous = [n for n in self.nuke.allNodes(recurseGroups=True) if n.isSelected()]
        by_parent: Dict[Optional[str], List[Any]] = {}
        for node in nodes:
            by_parent.setdefault(parent_of(node.fullName()), []).append(node)
        fd, path = tempfile.mkstemp(prefix="nuke_ai_copy_", suffix=".nk")
        os.close(fd)
        path = path.replace("\\", "/")
        texts = []
        try:
            for parent, members in by_parent.items():
                self._clear_selection()
                for n in members:
                    n.setSelected(True)
                with self._context(parent):
                    self.nuke.nodeCopy(path)
                with open(path, "r", encoding="utf-8", errors="replace") as fh:
                    texts.append(fh.read())
        finally:
            self._clear_selection()
            for n in previous:
                with contextlib.suppress(Exception):
                    n.setSelected(True)
            with contextlib.suppress(OSError):
                os.unlink(path)
        return "\n".join(texts)

    def paste_script(self, text: str, connect_to: Optional[str] = None) -> List[str]:
        return self._call(self._paste_script, text, connect_to)

    def _paste_script(self, text: str, connect_to: Optional[str]) -> List[str]:
        target = self._node(connect_to) if connect_to else None
        before = {n.fullName() for n in self.nuke.allNodes(recurseGroups=True)}
        fd, path = tempfile.mkstemp(prefix="nuke_ai_paste_", suffix=".nk")
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            fh.write(text)
        path = path.replace("\\", "/")

        def paste() -> None:
            if target is not None:
                self._clear_selection()
                target.setSelected(True)
            with self._context(parent_of(connect_to) if connect_to else None):
                self.nuke.nodePaste(path)

        try:
            self._in_undo("Paste nodes", paste)
        finally:
            with contextlib.suppress(OSError):
                os.unlink(path)
        return [n.fullName() for n in self.nuke.allNodes(recurseGroups=True) if n.fullName() not in before]

    def set_knob(self, node: str, knob: str, value: Any, expression: bool = False) -> None:
        self._call(self._set_knob, node, knob, value, expression)

    def _set_knob(self, node: str, knob: str, value: Any, expression: bool) -> None:
        k = self._node(node).knob(knob)
        if k is None:
            raise HostError(f"{node} has no knob named {knob}")
        if expression:
            self._in_undo(f"Set {knob}", lambda: k.setExpression(str(value)))
        else:
            self._in_undo(f"Set {knob}", lambda: k.setValue(value))

    def evaluate_expression(self, node: str, knob: str, expression: str,
                            frames: Sequence[float]) -> List[float]:
        """Nuke itself evaluates: the expression is set on the knob with undo recording off
        (``nuke.Undo.disable()``), read with ``Array_Knob.getValueAt(frame, channel)`` and
        the knob put back from its saved script text (``toScript``/``fromScript``); the
        script's modified flag is restored too, so nothing is left behind."""
        return self._call(self._evaluate_expression, node, knob, expression, list(frames))

    def _evaluate_expression(self, node: str, knob: str, expression: str,
                             frames: List[float]) -> List[float]:
        from .expr_eval import channel_index

        base, _, channel_name = knob.partition(".")
        channel = channel_index(channel_name) if channel_name else None
        k = self._node(node).knobs().get(base)
        if k is None or not callable(getattr(k, "getValueAt", None)):
            raise HostError(f"{node}.{base} does not hold a number that can be previewed")
        root = self.nuke.root()
        saved, modified = k.toScript(), root.modified()
        undo = self.nuke.Undo()
        undo.disable()
        try:
            if k.setExpression(expression, -1 if channel is None else channel) is False:
                raise HostError("Nuke did not accept the expression")
            return [float(k.getValueAt(frame, channel or 0)) for frame in frames]
        finally:
            k.fromScript(saved)
            undo.enable()
            root.setModified(modified)

    def class_source(self) -> Any:
        """Nuke's own classes, read live on the main thread and cached for the session
        (``live_catalogue``); the shipped catalogue answers only what Nuke cannot."""
        if self._classes is None:
            from .class_facts import CatalogueClassInfo
            from .live_catalogue import live_catalogue

            cat = live_catalogue(self.nuke, self._call)
            self._classes = CatalogueClassInfo(cat, cat.live_version)
        return self._classes

    def node_knobs(self, name: str, knobs: Optional[Sequence[str]] = None) -> NodeKnobs:
        """Every knob of the live node (``node.knobs()``), values by ``knob.toScript()``."""
        return self._call(self._node_knobs, name, None if knobs is None else list(knobs))

    def _node_knobs(self, name: str, wanted: Optional[List[str]]) -> NodeKnobs:
        node = self._node(name)
        table = node.knobs()
        values: Dict[str, str] = {}
        for knob in (list(table) if wanted is None else [k for k in wanted if k in table]):
            with contextlib.suppress(Exception):
                values[knob] = str(table[knob].toScript())
        types = {k: str(v.Class()) for k, v in table.items() if callable(getattr(v, "Class", None))}
        limit = getattr(node, "maxInputs", None)
        return NodeKnobs(node.Class(), list(table), values, True,
                         int(limit()) if callable(limit) else None, types)

    def set_input(self, node: str, index: int, source: Optional[str]) -> None:
        self._call(self._set_input, node, index, source)

    def _set_input(self, node: str, index: int, source: Optional[str]) -> None:
        target = self._node(node)
        src = self._node(source) if source is not None else None

        def connect() -> None:
            if target.setInput(index, src) is False:  # Nuke's answer to a loop or a missing input
                raise HostError(f"Nuke refused to connect {source} to input {index} of {node}")

        self._in_undo("Connect", connect)

    def delete_nodes(self, names: Sequence[str]) -> None:
        self._call(self._delete_nodes, list(names))

    def _delete_nodes(self, names: List[str]) -> None:
        for name in names:
            self._node(name)
        chosen = set(names)
        # a group's members go with it: deleting one after its group would touch a dead node
        tops = [n for n in names if not any(p in chosen for p in _ancestors(n))]

        def delete() -> None:
            for name in tops:
                self.nuke.delete(self._node(name))

        self._in_undo("Delete", delete)

    def nodes_in_error(self) -> List[NodeError]:
        return self._call(self._nodes_in_error)

    def _nodes_in_error(self) -> List[NodeError]:
        out = []
        for n in self.nuke.allNodes(recurseGroups=True):
            check = getattr(n, "hasError", None) or getattr(n, "error", None)
            try:
                failing = bool(check()) if check else False
            except Exception:
                continue
            if failing:
                out.append(NodeError(n.fullName(), n.Class(), self._error_text(n)))
        return out

    def _error_text(self, n: Any) -> str:
        knobs = n.knobs()
        if "file" in knobs:
            try:
                path = knobs["file"].evaluate()
            except Exception:
                path = knobs["file"].value()
            if not path:
                return "no file name given (the file knob is empty)"
            if isinstance(path, str) and not os.path.exists(path):
                return f"file not found: {path}"
        return "Nuke reports an error on this node (its message is shown in the node graph)"

    def viewer_frame(self, frame: Optional[int] = None, pixels: bool = True) -> ViewerFrame:
        """The active Viewer's frame, rendered on the main thread by temporary nodes that
        leave no trace in the script or its undo history (``viewer_frame``)."""
        from .viewer_frame import render_viewer_frame

        return self._call(render_viewer_frame, self.nuke, self._clear_selection, frame, pixels)

    def active_viewer(self) -> Optional[str]:
        """The active Viewer node's full name, or None when no Viewer is open (a cheap
        check for "Attach Viewer frame"; ``nuke.activeViewer()``, Nuke's Python API)."""
        return self._call(self._active_viewer)

    def _active_viewer(self) -> Optional[str]:
        window = self.nuke.activeViewer()
        node = window.node() if window is not None else None
        return None if node is None else str(node.fullName())

    def run_python(self, code: str) -> RunResult:
        return self._call(self._run_python, code)

    def _run_python(self, code: str) -> RunResult:
        nuke = self.nuke
        out = io.StringIO()
        replacements = non_blocking_dialogs(lambda text: out.write(text + "\n"))
        saved = {name: getattr(nuke, name) for name in replacements if hasattr(nuke, name)}
        for name, fn in replacements.items():
            setattr(nuke, name, fn)
        try:
            return run_in_undo(code, {"__name__": "__main__", "nuke": nuke}, out,
                               lambda: self._begin_undo("Run Python"), self._end_undo,
                               self._cancel_undo)
        finally:
            for name in replacements:
                if name in saved:
                    setattr(nuke, name, saved[name])
                else:
                    with contextlib.suppress(AttributeError):
                        delattr(nuke, name)
