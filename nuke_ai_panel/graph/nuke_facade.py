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
from .nk_model import parent_of
from .nk_values import to_raw
from .nuke_facade_nodes import FacadeKnob, FacadeNode, FacadeRoot, NotAvailableError

__all__ = ["NukeFacade", "FacadeNode", "FacadeKnob", "FacadeRoot", "NotAvailableError"]

CLIPBOARD = "%clipboard%"


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
