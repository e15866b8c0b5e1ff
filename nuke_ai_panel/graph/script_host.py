"""``ScriptHost``: the host interface over an in-memory graph read from .nk text.

Used by the standalone app (no Nuke) and by tests. Every change happens inside an
undo group; a group snapshots the graph when it opens, so cancelling it or undoing
it later restores the graph exactly. Model-written Python runs against a small
``nuke``-like facade over this graph (``nuke_facade``), visible only to that code.
"""

from __future__ import annotations

import contextlib
import io
import threading
from typing import Any, Callable, Dict, Iterator, List, Optional, Sequence, Tuple

from ..atomic import atomic_write_bytes
from .host import HostError, NodeError, NodeInfo, NodeKnobs, RunResult, UndoStep, ViewerFrame
from .nk_lexer import NkParseError, decode_value
from .nk_model import PASTE_INPUT, Node, Script, parent_of, unique_name
from .nk_paste import paste_into
from .nk_root import root_info_from_knobs
from .nk_values import expression_raw, to_raw
from .nk_writer import extract_nodes, script_bytes, write_script
from .nkscript import load_script, parse_script
from .run_code import MODEL_CODE_FILENAME, model_traceback, run_in_undo

__all__ = ["ScriptHost", "MODEL_CODE_FILENAME", "model_traceback"]

CLONE_OWN_KNOBS = frozenset({"xpos", "ypos"})
_READ_CLASSES = frozenset({"Read", "DeepRead", "ReadGeo", "ReadGeo2"})


class ScriptHost:
    """An in-memory Nuke script with undo, selection and a ``nuke`` facade for code."""

    def __init__(self, script: Optional[Script] = None, path: Optional[str] = None) -> None:
        self._script = script if script is not None else Script()
        self.path = path
        self.clipboard = ""
        self._lock = threading.RLock()
        self._undo: List[Tuple[str, Script]] = []
        self._redo: List[Tuple[str, Script]] = []
        self._open: List[Tuple[str, Script, int]] = []
        self._revision = 0
        self._errors: Dict[str, str] = {}
        self._cache_key: tuple = ()
        self._by_name: Dict[str, Node] = {}
        self._alive: set = set()

    @classmethod
    def from_text(cls, text: str, path: Optional[str] = None) -> "ScriptHost":
        return cls(parse_script(text), path)

    @classmethod
    def from_file(cls, path: str) -> "ScriptHost":
        return cls(load_script(path), path)

    @property
    def script(self) -> Script:
        return self._script

    @property
    def lock(self) -> threading.RLock:
        return self._lock

    # -- undo -------------------------------------------------------------------------

    def begin_undo(self, name: str) -> None:
        with self._lock:
            self._open.append((name, self._script.copy(), self._revision))

    def name_undo(self, name: str) -> None:
        """Rename the innermost open undo group (``nuke.Undo.name``)."""
        with self._lock:
            if not self._open:
                raise HostError("no undo group is open")
            _, before, revision = self._open[-1]
            self._open[-1] = (name, before, revision)

    def end_undo(self) -> None:
        with self._lock:
            if not self._open:
                raise HostError("no undo group is open")
            name, before, revision = self._open.pop()
            if not self._open and revision != self._revision:
                self._undo.append((name, before))
                self._redo.clear()

    def cancel_undo(self) -> None:
        with self._lock:
            if not self._open:
                raise HostError("no undo group is open")
            _, before, revision = self._open.pop()
            self._script = before
            self._revision = revision

    @contextlib.contextmanager
    def undo_group(self, name: str) -> Iterator[None]:
        with self._lock:
            self.begin_undo(name)
            try:
                yield
            except BaseException:
                self.cancel_undo()
                raise
            self.end_undo()

    def in_undo_group(self, name: str, fn: Callable[[], Any]) -> UndoStep:
        """See ``Host.in_undo_group``: the host's lock is held from begin to end, so no
        other thread's edit can land inside the group."""
        with self._lock:
            steps = len(self._undo)
            with self.undo_group(name):
                value = fn()
            return UndoStep(value, len(self._undo) > steps)

    def undo(self, expect: Optional[str] = None) -> Optional[str]:
        """Undo the last step; with ``expect``, only if it has that name (see ``Host.undo``)."""
        with self._lock:
            if self._open:
                raise HostError("cannot undo while an undo group is open")
            if expect is not None and not self._undo:
                raise HostError(f"nothing to undo, not {expect!r}")
            if expect is not None and self._undo[-1][0] != expect:
                raise HostError(f"the last undo step is {self._undo[-1][0]!r}, not {expect!r}")
            if not self._undo:
                return None
            name, before = self._undo.pop()
            self._redo.append((name, self._script))
            self._script = before
            self._revision += 1
            return name

    def redo(self) -> Optional[str]:
        with self._lock:
            if self._open:
                raise HostError("cannot redo while an undo group is open")
            if not self._redo:
                return None
            name, after = self._redo.pop()
            self._undo.append((name, self._script))
            self._script = after
            self._revision += 1
            return name

    def undo_names(self) -> List[str]:
        return [name for name, _ in self._undo]

    def redo_names(self) -> List[str]:
        return [name for name, _ in self._redo]

    def touch(self) -> None:
        """Mark the graph changed (so the enclosing undo group is recorded)."""
        self._revision += 1

    # -- reading ------------------------------------------------------------------------

    def _refresh(self) -> None:
        key = (id(self._script), self._revision, len(self._script.nodes))
        if key != self._cache_key:
            self._by_name = self._script.index()
            self._alive = {id(n) for n in self._script.nodes}
            self._cache_key = key

    def node(self, name: str) -> Node:
        with self._lock:
            self._refresh()
            node = self._by_name.get(name)
        if node is None:
            raise HostError(f"no node named {name}")
        return node

    def contains(self, node: Node) -> bool:
        """True while ``node`` (the object) is part of the current graph."""
        with self._lock:
            self._refresh()
            return id(node) in self._alive

    def _info(self, n: Node) -> NodeInfo:
        inputs = [None if i in (None, PASTE_INPUT) else i for i in n.inputs]
        return NodeInfo(n.full_name, n.node_class, n.parent, inputs, n.selected)

    def root_info(self) -> Dict[str, Any]:
        with self._lock:
            return root_info_from_knobs(self._script.root)

    def all_nodes(self) -> List[NodeInfo]:
        with self._lock:
            return [self._info(n) for n in self._script.nodes]

    def selected_nodes(self) -> List[NodeInfo]:
        with self._lock:
            return [self._info(n) for n in self._script.nodes if n.selected]

    def node_knobs(self, name: str, knobs: Optional[Sequence[str]] = None) -> NodeKnobs:
        """The knobs the script sets on the node (a clone's come from its original), plus
        ``name`` and its user knobs: not every knob the class has (``complete`` False)."""
        with self._lock:
            n = self.node(name)
            raw = {"name": n.name}
            raw.update(self._script.effective_knobs(n))
            names = list(raw) + [k for k in n.user_knob_names() if k not in raw]
            wanted = raw if knobs is None else {k: raw[k] for k in knobs if k in raw}
            return NodeKnobs(n.node_class, names, dict(wanted), False)

    def evaluate_expression(self, node: str, knob: str, expression: str,
                            frames: Sequence[float]) -> List[float]:
        """See ``Host.evaluate_expression``: the common subset of Nuke's expressions
        (:mod:`.expr_eval`); anything else is a HostError saying it needs Nuke."""
        from .expr_eval import NotEvaluable, evaluate_frames, host_lookup

        with self._lock:
            self.node(node)
            names = [n.full_name for n in self._script.nodes]
            try:
                return evaluate_frames(expression, frames, host_lookup(self, names), node)
            except NotEvaluable as exc:
                raise HostError(str(exc)) from None

    def class_source(self) -> Any:
        """The shipped catalogue for the Nuke version that wrote the script (the default
        version when it names none, or one the catalogue does not have)."""
        from .catalogue import catalogue, normalize_version
        from .class_facts import CatalogueClassInfo

        written = (self._script.version() or "").split()
        try:
            version = normalize_version(written[1] if len(written) > 1 else None)
        except ValueError:
            version = None
        return CatalogueClassInfo(catalogue(), version)

    def node_script(self, names: Sequence[str]) -> str:
        with self._lock:
            for name in names:
                self.node(name)
            return write_script(extract_nodes(self._script, names), snippet=True)

    def to_text(self) -> str:
        """The script as .nk text: the text it was read from wherever nothing changed."""
        with self._lock:
            return write_script(self._script)

    def to_bytes(self) -> bytes:
        """``to_text`` encoded the way the file was (UTF-8, or Latin-1 for old files)."""
        with self._lock:
            return script_bytes(self._script)

    def save(self, path: Optional[str] = None) -> str:
        """Write the script as .nk, atomically (temp file then rename). A new file gets
        the user's normal permissions (umask), so the farm and team-mates can read it; a
        file being overwritten keeps its own. Raises HostError or OSError."""
        target = path or self.path
        if not target:
            raise HostError("no file name to save to")
        atomic_write_bytes(target, self.to_bytes(), private=False)
        self.path = target
        return target

    def set_node_error(self, name: str, error: Optional[str]) -> None:
        """Mark a node as failing (the in-memory graph cannot render to find out)."""
        with self._lock:
            self.node(name)
            if error:
                self._errors[name] = error
            else:
                self._errors.pop(name, None)

    def node_error(self, name: str) -> Optional[str]:
        with self._lock:
            return self._node_error(self.node(name))

    def _node_error(self, n: Node) -> Optional[str]:
        explicit = self._errors.get(n.full_name)
        if explicit:
            return explicit
        if n.node_class in _READ_CLASSES:
            if not decode_value(self._script.effective_knobs(n).get("file", "")).strip():
                return "no file name given (the file knob is empty)"
        return None

    def nodes_in_error(self) -> List[NodeError]:
        with self._lock:
            out = []
            for n in self._script.nodes:
                err = self._node_error(n)
                if err:
                    out.append(NodeError(n.full_name, n.node_class, err))
            return out

    # -- editing ------------------------------------------------------------------------

    @contextlib.contextmanager
    def _step(self, name: str) -> Iterator[None]:
        with self._lock:
            if self._open:
                yield
            else:
                with self.undo_group(name):
                    yield

    def select(self, names: Sequence[str]) -> None:
        with self._lock:
            wanted = set(names)
            for name in wanted:
                self.node(name)
            for n in self._script.nodes:
                n.selected = n.full_name in wanted

    def set_selected(self, name: str, selected: bool) -> None:
        with self._lock:
            self.node(name).selected = bool(selected)

    def set_knob(self, node: str, knob: str, value: Any, expression: bool = False) -> None:
        raw = expression_raw(str(value)) if expression else to_raw(value)
        self.set_knob_raw(node, knob, raw)

    def set_knob_raw(self, node: str, knob: str, raw: str) -> None:
        with self._step(f"Set {knob}"):
            n = self.node(node)
            if knob == "name":
                self.rename(node, decode_value(raw))
                return
            if knob == "selected":
                n.selected = decode_value(raw).lower() in ("true", "1")
                return
            target = n
            if n.clone_of and knob not in CLONE_OWN_KNOBS and knob not in n.knobs:
                target = self.node(n.clone_of)
            target.knobs[knob] = raw
            self.touch()

    def set_root_knob_raw(self, knob: str, raw: str) -> None:
        with self._step(f"Set root {knob}"):
            self._script.root[knob] = raw
            self._script.has_root = True
            self.touch()

    def rename(self, name: str, new_short: str) -> str:
        with self._step("Rename"):
            node = self.node(name)
            if new_short == node.name:
                return name
            taken = self._script.names_in(node.parent) - {node.name}
            new = unique_name(new_short, taken)
            new_full = self._script.rename(name, new)
            if name in self._errors:
                self._errors[new_full] = self._errors.pop(name)
            self.touch()
            return new_full

    def create_node(
        self,
        node_class: str,
        knobs: Optional[Dict[str, str]] = None,
        inputs: Sequence[Optional[str]] = (),
        name: Optional[str] = None,
        parent: Optional[str] = None,
    ) -> str:
        """Add a node (raw knob text); returns its full name (made unique like Nuke)."""
        with self._step(f"Create {node_class}"):
            if parent is not None and not self.node(parent).is_group:
                raise HostError(f"{parent} is not a group")
            for ref in inputs:
                if ref is not None:
                    self.node(ref)
            taken = self._script.names_in(parent)
            short = unique_name(name, taken) if name else unique_name(node_class, taken, from_class=True)
            node = Node(short, node_class, dict(knobs or {}), list(inputs), parent)
            self._script.add_node(node)
            self.touch()
            return node.full_name

    def delete_nodes(self, names: Sequence[str]) -> None:
        with self._step("Delete"):
            for name in names:
                self.node(name)
            self._script.remove(names)
            for name in list(self._errors):
                if self._script.node(name) is None:
                    del self._errors[name]
            self.touch()

    def set_input(self, node: str, index: int, source: Optional[str]) -> None:
        with self._step("Connect"):
            n = self.node(node)
            if index < 0:
                raise HostError("input index must be >= 0")
            if source is not None:
                src = self.node(source)
                if src.parent != n.parent:
                    raise HostError(f"{source} and {node} are in different groups")
                if self._reaches(source, node):
                    raise HostError(f"connecting {source} to {node} would make a loop")
            while len(n.inputs) <= index:
                n.inputs.append(None)
            n.inputs[index] = source
            while n.inputs and n.inputs[-1] is None and len(n.inputs) > 1:
                n.inputs.pop()
            self.touch()

    def _reaches(self, start: str, target: str) -> bool:
        """Whether ``start`` depends on ``target``: through inputs, or through a clone
        original (written before its clones, so it cannot take input from them)."""
        index = self._script.index()
        seen = set()
        todo = [start]
        while todo:
            name = todo.pop()
            if name == target:
                return True
            if name in seen or name not in index:
                continue
            seen.add(name)
            node = index[name]
            todo.extend(i for i in node.inputs if i and i != PASTE_INPUT)
            if node.clone_of:
                todo.append(node.clone_of)
        return False

    def paste_script(
        self, text: str, connect_to: Optional[str] = None, parent: Optional[str] = None
    ) -> List[str]:
        """Paste .nk text like ``nuke.nodePaste``: clashing names are renumbered (Blur1 ->
        Blur2), the snippet's dangling input wires to ``connect_to`` (default: the selected
        node), and the pasted nodes become the selection. Like ``NukeHost``, the nodes go
        into ``connect_to``'s group unless ``parent`` says otherwise."""
        if parent is None and connect_to is not None:
            parent = parent_of(connect_to)
        try:
            snippet = parse_script(text, paste=True)
        except NkParseError as exc:
            raise HostError(f"could not read the node snippet: {exc}") from exc
        with self._step("Paste nodes"):
            if parent is not None and not self.node(parent).is_group:
                raise HostError(f"{parent} is not a group")
            if connect_to is not None:
                self.node(connect_to)
            target = connect_to if connect_to is not None else self._paste_target(parent)
            if target is not None and parent_of(target) != parent:
                target = None
            created = paste_into(self._script, snippet, target, parent)
            self.touch()
            return created

    def _paste_target(self, parent: Optional[str]) -> Optional[str]:
        chosen = [n.full_name for n in self._script.nodes if n.selected and n.parent == parent]
        return chosen[-1] if chosen else None

    # -- running code -----------------------------------------------------------------

    def viewer_frame(self, frame: Optional[int] = None, pixels: bool = True) -> ViewerFrame:
        """Always HostError: a script read from a file has no Viewer and nothing renders."""
        raise HostError("There is no Viewer in the standalone app (nothing renders outside "
                        "Nuke): attach an image of the frame instead, or run the panel inside Nuke.")

    def run_python(self, code: str) -> RunResult:
        """Run model-written code against the ``nuke`` facade. Output is captured; on an
        exception the graph is put back as it was and the traceback is returned."""
        from .nuke_facade import NukeFacade

        out = io.StringIO()
        namespace = NukeFacade(self, out).exec_namespace()
        with self._lock:
            return run_in_undo(code, namespace, out, lambda: self.begin_undo("Run Python"),
                               self.end_undo, self.cancel_undo)
