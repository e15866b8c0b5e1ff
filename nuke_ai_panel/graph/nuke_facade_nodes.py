"""The node, knob and Root handles of the in-memory ``nuke`` facade (``nuke_facade``; each
handle holds the ``NukeFacade`` that made it, typed ``Any`` to keep the import one-way).

Each handle reads and writes the ``ScriptHost`` graph through its facade; knob values are
the script's raw text, converted the way Nuke's ``value()`` / ``setValue()`` would.
"""

from __future__ import annotations

from typing import Any, Dict, List, Optional

from .nk_lexer import decode_value
from .nk_model import PASTE_INPUT
from .nk_values import expression_raw, from_raw, is_expression, list_items, to_raw

__all__ = ["FacadeKnob", "FacadeNode", "FacadeRoot", "NotAvailableError"]


class NotAvailableError(RuntimeError):
    """The call needs the real Nuke (rendering, UI, file dialogs)."""


NotAvailableError.__module__ = "nuke"  # tracebacks read "nuke.NotAvailableError"


class FacadeKnob:
    def __init__(self, facade: Any, owner: "FacadeNode", name: str) -> None:
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

    def __init__(self, facade: Any, node: Any) -> None:
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

    def __init__(self, facade: Any) -> None:
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
