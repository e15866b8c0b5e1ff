"""A small ``nuke``-like module over a ``ScriptHost``, so model-written code runs without Nuke.

It covers the node-graph calls such code uses (toNode, allNodes, selectedNodes,
createNode, nodes.X(), nodeCopy/nodePaste, knob value/setValue/setExpression,
setInput/input, delete, root(), Undo) and makes the dialogs non-blocking:
``message`` is printed, ``ask`` answers No, ``getInput`` returns its default, each
with a note in the output. Knob values are the script's text; nothing is evaluated
or rendered. The facade is handed to the code in its own namespace only; it is
never put in ``sys.modules``.
"""

from __future__ import annotations

import builtins
from typing import Any, Dict, List, Optional, Sequence, TextIO

from .dialogs import non_blocking_dialogs
from .host import HostError
from .nk_lexer import NkParseError, decode_value, split_words
from .nk_model import PASTE_INPUT, parent_of
from .nk_values import expression_raw, from_raw, is_expression, list_items, to_raw

__all__ = ["NukeFacade", "FacadeNode", "FacadeKnob", "FacadeRoot", "NotAvailableError"]

CLIPBOARD = "%clipboard%"


class NotAvailableError(RuntimeError):
    """The call needs the real Nuke (rendering, UI, file dialogs)."""


NotAvailableError.__module__ = "nuke"  # tracebacks read "nuke.NotAvailableError"


class FacadeKnob:
    def __init__(self, facade: "NukeFacade", owner: "FacadeNode", name: str) -> None:
        self._facade = facade
        self._owner = owner
        self._name = name

    def __repr__(self) -> str:
        return f"<Knob {self._owner.name()}.{self._name}>"

    def name(self) -> str:
        return self._name

    def node(self) -> "FacadeNode":
        return self._owner

    def toScript(self) -> str:
        raw = self._owner._raw(self._name)
        return "" if raw is None else raw

    def fromScript(self, raw: str) -> bool:
        self._owner._set_raw(self._name, raw)
        return True

    def value(self, index: Optional[int] = None) -> Any:
        value = from_raw(self._owner._raw(self._name))
        if index is not None and isinstance(value, list):
            return value[index] if 0 <= index < len(value) else None
        return value

    getValue = value

    def getText(self) -> str:
        return decode_value(self._owner._raw(self._name))

    def evaluate(self) -> Any:
        return self.value()

    def setValue(self, value: Any, index: Optional[int] = None, *_: Any) -> bool:
        if index is None or index < 0:
            self._owner._set_raw(self._name, to_raw(value))
        else:
            self._set_item(index, to_raw(value))
        return True

    def setExpression(self, expression: str, channel: int = -1, *_: Any) -> bool:
        raw = expression_raw(expression)
        if channel is None or channel < 0:
            self._owner._set_raw(self._name, raw)
        else:
            self._set_item(channel, raw[1:-1])
        return True

    def _set_item(self, index: int, item_raw: str) -> None:
        current = self._owner._raw(self._name)
        if not current:
            items: List[str] = []
        elif current.startswith("{") and not is_expression(current):
            items = list_items(current)
        else:
            items = [current]
        while len(items) <= index:
            items.append("0")
        items[index] = item_raw
        self._owner._set_raw(self._name, "{" + " ".join(items) + "}")

    def hasExpression(self, *_: Any) -> bool:
        raw = self._owner._raw(self._name) or ""
        return is_expression(raw) and not raw.startswith("{{curve")

    def isAnimated(self, *_: Any) -> bool:
        return "curve" in (self._owner._raw(self._name) or "")

    def setFlag(self, *_: Any) -> None:
        return None

    clearFlag = setFlag


class FacadeNode:
    """A handle on one node; it goes stale (ValueError) once the node is deleted."""

    def __init__(self, facade: "NukeFacade", node: Any) -> None:
        self._facade = facade
        self._node = node

    def __repr__(self) -> str:
        return f"<{self._node.node_class} {self._node.full_name}>"

    def __eq__(self, other: object) -> bool:
        return isinstance(other, FacadeNode) and other._node is self._node

    def __hash__(self) -> int:
        return id(self._node)

    def __getitem__(self, knob: str) -> FacadeKnob:
        return self.knob(knob)

    def __enter__(self) -> "FacadeNode":
        self.begin()
        return self

    def __exit__(self, *exc: Any) -> None:
        self.end()

    def _live(self) -> Any:
        self._facade._guard("Node")
        node = self._node
        if not self._facade._host.contains(node):
            raise ValueError("A PythonObject is not attached to a node")
        return node

    def _raw(self, knob: str) -> Optional[str]:
        node = self._live()
        if knob == "name":
            return node.name
        if knob == "selected":
            return "true" if node.selected else "false"
        return self._facade._host.script.effective_knobs(node).get(knob)

    def _set_raw(self, knob: str, raw: str) -> None:
        node = self._live()
        self._facade._host.set_knob_raw(node.full_name, knob, raw)

    def name(self) -> str:
        return self._live().name

    def fullName(self) -> str:
        return self._live().full_name

    def Class(self) -> str:
        return self._live().node_class

    def knob(self, name: Any) -> FacadeKnob:
        self._live()
        return FacadeKnob(self._facade, self, str(name))

    def knobs(self) -> Dict[str, FacadeKnob]:
        node = self._live()
        names = ["name"] + list(self._facade._host.script.effective_knobs(node))
        return {k: FacadeKnob(self._facade, self, k) for k in names}

    def setName(self, name: str, uncollide: bool = True, updateExpressions: bool = False) -> None:
        node = self._live()
        self._facade._host.rename(node.full_name, name)

    def input(self, index: int) -> Optional["FacadeNode"]:
        node = self._live()
        if 0 <= index < len(node.inputs):
            ref = node.inputs[index]
            if ref and ref != PASTE_INPUT:
                return self._facade._wrap(ref)
        return None

    def inputs(self) -> int:
        node = self._live()
        connected = [i for i, ref in enumerate(node.inputs) if ref and ref != PASTE_INPUT]
        return connected[-1] + 1 if connected else 0

    def setInput(self, index: int, other: Optional["FacadeNode"]) -> bool:
        node = self._live()
        source = other._live().full_name if other is not None else None
        self._facade._host.set_input(node.full_name, index, source)
        return True

    def connectInput(self, index: int, other: "FacadeNode") -> bool:
        node = self._live()
        i = index
        while i < len(node.inputs) and node.inputs[i]:
            i += 1
        return self.setInput(i, other)

    def dependencies(self, *_: Any) -> List["FacadeNode"]:
        return [n for n in (self.input(i) for i in range(len(self._live().inputs))) if n is not None]

    def dependent(self, *_: Any) -> List["FacadeNode"]:
        node = self._live()
        me = node.full_name
        return [FacadeNode(self._facade, n) for n in self._facade._host.script.nodes if me in n.inputs]

    def setSelected(self, selected: bool) -> None:
        self._facade._host.set_selected(self._live().full_name, selected)

    def isSelected(self) -> bool:
        return self._live().selected

    def selectOnly(self) -> None:
        self._facade._host.select([self._live().full_name])

    def xpos(self) -> int:
        return int(float(decode_value(self._raw("xpos") or "0")))

    def ypos(self) -> int:
        return int(float(decode_value(self._raw("ypos") or "0")))

    def setXpos(self, x: int) -> None:
        self._set_raw("xpos", str(int(x)))

    def setYpos(self, y: int) -> None:
        self._set_raw("ypos", str(int(y)))

    def setXYpos(self, x: int, y: int) -> None:
        self.setXpos(x)
        self.setYpos(y)

    def autoplace(self) -> None:
        return None

    def hasError(self) -> bool:
        return self._facade._host.node_error(self._live().full_name) is not None

    error = hasError

    def treeHasError(self) -> bool:
        seen = set()
        todo = [self]
        while todo:
            n = todo.pop()
            if n.fullName() in seen:
                continue
            seen.add(n.fullName())
            if n.hasError():
                return True
            todo.extend(n.dependencies())
        return False

    def clones(self) -> int:
        node = self._live()
        return sum(1 for n in self._facade._host.script.nodes if n.clone_of == node.full_name)

    def parent(self) -> "FacadeNode":
        node = self._live()
        return self._facade._wrap(node.parent) if node.parent else self._facade.root()

    def nodes(self) -> List["FacadeNode"]:
        node = self._live()
        return [FacadeNode(self._facade, n) for n in self._facade._host.script.children(node.full_name)]

    def begin(self) -> None:
        node = self._live()
        if not node.is_group:
            raise ValueError(f"{node.full_name} is not a group")
        self._facade._context.append(node.full_name)

    def end(self) -> None:
        if self._facade._context:
            self._facade._context.pop()

    def metadata(self, *_: Any, **__: Any) -> Dict[str, Any]:
        return {}


class FacadeRoot(FacadeNode):
    """``nuke.root()``: the Root settings, and the top-level group context."""

    def __init__(self, facade: "NukeFacade") -> None:
        self._facade = facade
        self._node = None

    def __repr__(self) -> str:
        return "<Root>"

    def __eq__(self, other: object) -> bool:
        return isinstance(other, FacadeRoot)

    def __hash__(self) -> int:
        return hash("root")

    def _live(self) -> Any:
        self._facade._guard("Root")
        return None

    def _raw(self, knob: str) -> Optional[str]:
        self._live()
        return self._facade._host.script.root.get(knob)

    def _set_raw(self, knob: str, raw: str) -> None:
        self._live()
        self._facade._host.set_root_knob_raw(knob, raw)

    def name(self) -> str:
        return "root"

    def fullName(self) -> str:
        return "root"

    def Class(self) -> str:
        return "Root"

    def knobs(self) -> Dict[str, FacadeKnob]:
        return {k: FacadeKnob(self._facade, self, k) for k in self._facade._host.script.root}

    def firstFrame(self) -> int:
        return int(float(decode_value(self._raw("first_frame") or "1")))

    def lastFrame(self) -> int:
        return int(float(decode_value(self._raw("last_frame") or "100")))

    def fps(self) -> float:
        return float(decode_value(self._raw("fps") or "24"))

    def nodes(self) -> List[FacadeNode]:
        return [FacadeNode(self._facade, n) for n in self._facade._host.script.children(None)]

    def begin(self) -> None:
        self._facade._context.append(None)

    def input(self, index: int) -> None:
        return None

    def inputs(self) -> int:
        return 0

    def setInput(self, *_: Any) -> bool:
        raise ValueError("the Root node has no inputs")

    def hasError(self) -> bool:
        return False

    error = hasError


class _NodeFactory:
    """``nuke.nodes.Blur(size=10, inputs=[n])``: create a node without auto-connection."""

    def __init__(self, facade: "NukeFacade") -> None:
        self._facade = facade

    def __getattr__(self, node_class: str) -> Any:
        if node_class.startswith("_"):
            raise AttributeError(node_class)

        def make(**kwargs: Any) -> FacadeNode:
            inputs = kwargs.pop("inputs", ())
            return self._facade._make(node_class, kwargs, [i._live().full_name if i else None for i in inputs])

        return make


class NukeFacade:
    """The ``nuke`` module seen by model-written code in the standalone app."""

    NUKE_VERSION_MAJOR = 15
    NUKE_VERSION_MINOR = 0
    NUKE_VERSION_RELEASE = 0
    NUKE_VERSION_STRING = "15.0v0 (in-memory host)"
    GUI = False
    INPUTS = 2
    EXPRESSIONS = 1
    HIDDEN_INPUTS = 4

    def __init__(self, host: Any, out: Optional[TextIO] = None) -> None:
        self._host = host
        self._out = out
        self._context: List[Optional[str]] = []
        self.nodes = _NodeFactory(self)
        self.env: Dict[str, Any] = {"gui": False, "NukeVersionMajor": self.NUKE_VERSION_MAJOR}
        self.Undo = self._undo_class()
        self._install_dialogs()

    def __getattr__(self, name: str) -> Any:
        if name.startswith("__"):
            raise AttributeError(name)
        raise AttributeError(
            f"nuke.{name} is not available in the in-memory host (no Nuke running): "
            "only node graph calls are"
        )

    def _guard(self, what: str) -> None:
        """Hook for stricter stand-ins (the test fake checks the calling thread)."""

    def _note(self, text: str) -> None:
        target = self._out
        if target is None:
            print(text)
        else:
            target.write(text + "\n")

    def _group(self) -> Optional[str]:
        return self._context[-1] if self._context else None

    def _wrap(self, full_name: str) -> FacadeNode:
        return FacadeNode(self, self._host.node(full_name))

    def _make(self, node_class: str, knob_values: Dict[str, Any], inputs: Sequence[Optional[str]]) -> FacadeNode:
        self._guard("createNode")
        name = knob_values.pop("name", None)
        raws = {k: to_raw(v) for k, v in knob_values.items()}
        full = self._host.create_node(node_class, raws, list(inputs), name=name, parent=self._group())
        return self._wrap(full)

    def exec_namespace(self) -> Dict[str, Any]:
        """Globals for ``exec``: ``nuke`` is this facade, also for ``import nuke`` inside."""
        facade = self
        real_import = builtins.__import__

        def _import(name: str, globals: Any = None, locals: Any = None, fromlist: Any = (), level: int = 0) -> Any:
            if level == 0 and (name == "nuke" or name.startswith("nuke.")):
                return facade
            if level == 0 and name in ("nukescripts", "nukescripts.panels"):
                return facade.nukescripts
            return real_import(name, globals, locals, fromlist, level)

        scope_builtins = dict(vars(builtins))
        scope_builtins["__import__"] = _import
        return {"__name__": "__main__", "__builtins__": scope_builtins, "nuke": self}

    @property
    def nukescripts(self) -> Any:
        facade = self

        class _NukeScripts:
            def clear_selection_recursive(self, group: Any = None) -> None:
                facade._host.select([])

            def __getattr__(self, name: str) -> Any:
                raise AttributeError(f"nukescripts.{name} is not available in the in-memory host")

        return _NukeScripts()

    # -- dialogs: never block (see ``dialogs``) -------------------------------------------

    def _install_dialogs(self) -> None:
        for name, fn in non_blocking_dialogs(self._note).items():
            setattr(self, name, fn)

    # -- undo: the host already makes the whole run one undo step ----------------------

    def _undo_class(self) -> type:
        class Undo:
            def __init__(self, *_: Any) -> None:
                pass

            def __enter__(self) -> "Undo":
                return self

            def __exit__(self, *exc: Any) -> None:
                return None

            @staticmethod
            def begin(name: Optional[str] = None) -> None:
                return None

            @staticmethod
            def end() -> None:
                return None

            @staticmethod
            def cancel() -> None:
                return None

            @staticmethod
            def name(name: str) -> None:
                return None

            @staticmethod
            def disable() -> None:
                return None

            @staticmethod
            def enable() -> None:
                return None

        return Undo

    # -- the node graph ----------------------------------------------------------------

    def root(self) -> FacadeRoot:
        self._guard("root")
        return FacadeRoot(self)

    def toNode(self, name: str) -> Optional[FacadeNode]:
        self._guard("toNode")
        if name in ("root", "Root"):
            return self.root()
        group = self._group()
        for candidate in ([f"{group}.{name}"] if group else []) + [name]:
            try:
                return self._wrap(candidate)
            except HostError:
                continue
        return None

    def allNodes(self, filter: Optional[str] = None, group: Any = None, recurseGroups: bool = False) -> List[FacadeNode]:
        self._guard("allNodes")
        if group is None:
            where = self._group()
        elif isinstance(group, FacadeRoot):
            where = None
        else:
            where = group._live().full_name
        out = []
        for n in self._host.script.nodes:
            inside = n.parent == where or (
                recurseGroups and (where is None or (n.parent or "").startswith(where + "."))
            )
            if inside and (filter is None or n.node_class == filter):
                out.append(FacadeNode(self, n))
        return out

    def selectedNodes(self, filter: Optional[str] = None) -> List[FacadeNode]:
        self._guard("selectedNodes")
        where = self._group()
        return [
            FacadeNode(self, n)
            for n in self._host.script.nodes
            if n.selected and n.parent == where and (filter is None or n.node_class == filter)
        ]

    def selectedNode(self) -> FacadeNode:
        chosen = self.selectedNodes()
        if not chosen:
            raise ValueError("no node selected")
        return chosen[-1]

    def createNode(self, node: str, args: Optional[str] = None, inpanel: bool = True) -> FacadeNode:
        """Like Nuke: input 0 is the selected node, and the new node becomes the selection."""
        self._guard("createNode")
        selected = self.selectedNodes()
        raws: Dict[str, str] = {}
        if args:
            try:
                words = split_words(args)
            except NkParseError as exc:
                raise ValueError(f"unreadable knob arguments: {exc}") from exc
            for i in range(0, len(words) - 1, 2):
                raws[words[i].raw] = words[i + 1].raw
        name = decode_value(raws.pop("name")) if "name" in raws else None
        inputs = [selected[-1]._live().full_name] if selected else []
        created = self._make(node, {"name": name} if name else {}, inputs)
        for key, raw in raws.items():
            created._set_raw(key, raw)
        created.selectOnly()
        return created

    def delete(self, node: FacadeNode) -> None:
        self._guard("delete")
        self._host.delete_nodes([node._live().full_name])

    def nodeCopy(self, target: str) -> bool:
        self._guard("nodeCopy")
        chosen = [n.fullName() for n in self.selectedNodes()]
        if not chosen:
            return False
        text = self._host.node_script(chosen)
        if target == CLIPBOARD:
            self._host.clipboard = text
        else:
            with open(target, "w", encoding="utf-8") as fh:
                fh.write(text)
        return True

    def nodePaste(self, source: str) -> Optional[FacadeNode]:
        self._guard("nodePaste")
        if source == CLIPBOARD:
            text = self._host.clipboard
        else:
            with open(source, "r", encoding="utf-8") as fh:
                text = fh.read()
        try:
            created = self._host.paste_script(text, parent=self._group())
        except HostError as exc:
            raise RuntimeError(str(exc)) from exc
        tops = [c for c in created if parent_of(c) == self._group()]
        return self._wrap(tops[-1]) if tops else None

    def frame(self, *_: Any) -> int:
        return self.root().firstFrame()

    def thisNode(self) -> FacadeNode:
        raise NotAvailableError("nuke.thisNode() only means something inside a knob callback")

    def execute(self, *_: Any, **__: Any) -> None:
        raise NotAvailableError("rendering needs Nuke; the in-memory host cannot execute nodes")

    render = execute

    def scriptSave(self, *_: Any) -> None:
        raise NotAvailableError("saving the script is done by the app, not by generated code")

    scriptSaveAs = scriptSave

    def scriptClose(self, *_: Any) -> None:
        raise NotAvailableError("closing the script is not allowed from generated code")

    scriptClear = scriptExit = scriptClose

    def exists(self, name: str) -> bool:
        return self.toNode(name) is not None

    def tcl(self, *_: Any) -> None:
        raise NotAvailableError("TCL is not available in the in-memory host")
