"""The one interface every node-graph helper talks to, so helpers never touch ``nuke``.

Two implementations: ``NukeHost`` (the real application, calls marshalled to Nuke's
main thread) and ``ScriptHost`` (an in-memory graph read from .nk text, for the
standalone app and tests). Node names are Nuke full names (``"Group1.Blur1"``).
"""

from __future__ import annotations

from typing import (
    Any,
    ContextManager,
    Dict,
    List,
    NamedTuple,
    Optional,
    Protocol,
    Sequence,
    runtime_checkable,
)

__all__ = ["Host", "HostError", "NodeInfo", "NodeError", "RunResult"]


class HostError(RuntimeError):
    """A host operation could not be done (unknown node, bad knob, Nuke refused)."""


class NodeInfo(NamedTuple):
    name: str
    node_class: str
    parent: Optional[str]
    inputs: List[Optional[str]]
    selected: bool


class NodeError(NamedTuple):
    name: str
    node_class: str
    error: str


class RunResult(NamedTuple):
    """What running model-written code gave: unpacks as ``ok, output, traceback``."""

    ok: bool
    output: str
    traceback: str


@runtime_checkable
class Host(Protocol):
    def root_info(self) -> Dict[str, Any]:
        """Format, fps, frame range and colour settings (see ``nk_root``)."""

    def all_nodes(self) -> List[NodeInfo]:
        """Every node, groups' contents included, in script order."""

    def selected_nodes(self) -> List[NodeInfo]:
        ...

    def node_script(self, names: Sequence[str]) -> str:
        """The named nodes as .nk text, as ``nuke.nodeCopy`` writes them."""

    def paste_script(self, text: str, connect_to: Optional[str] = None) -> List[str]:
        """Paste .nk text (``nuke.nodePaste``); its dangling input wires to ``connect_to``
        (or the selected node). Returns the created nodes' full names."""

    def set_knob(self, node: str, knob: str, value: Any, expression: bool = False) -> None:
        ...

    def nodes_in_error(self) -> List[NodeError]:
        ...

    def undo_group(self, name: str) -> ContextManager[None]:
        """One named undo step around the block; cancelled if the block raises."""

    def run_python(self, code: str) -> RunResult:
        """Run model-written code with nuke.message/ask/getInput made non-blocking."""

    def select(self, names: Sequence[str]) -> None:
        """Make exactly these nodes the selection."""
