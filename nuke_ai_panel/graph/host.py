"""The one interface every node-graph helper talks to, so helpers never touch ``nuke``.

Two implementations: ``NukeHost`` (the real application, calls marshalled to Nuke's
main thread) and ``ScriptHost`` (an in-memory graph read from .nk text, for the
standalone app and tests). Node names are Nuke full names (``"Group1.Blur1"``).
"""

from __future__ import annotations

from typing import (
    Any,
    Callable,
    Dict,
    List,
    NamedTuple,
    Optional,
    Protocol,
    Sequence,
    Tuple,
    runtime_checkable,
)

__all__ = ["Host", "HostError", "NodeInfo", "NodeError", "NodeKnobs", "RunResult", "UndoStep",
           "ViewerFrame"]


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


class NodeKnobs(NamedTuple):
    """A node's knobs as the host knows them (``Host.node_knobs``).

    ``names``: every knob the host knows the node has. ``complete`` says whether that is
    all of them: True in Nuke (``node.knobs()``), False for the in-memory host, which only
    knows the knobs the script sets (plus ``name`` and user knobs); a knob left at its
    default is absent there. ``values``: the requested knobs' current values as .nk text
    (``knob.toScript()``); a knob at its default in the in-memory host has no entry.
    ``max_inputs``: how many inputs the node takes, when the host knows (Nuke's
    ``node.maxInputs()``), else None. ``types``: knob class names where known
    (``"WH_Knob"``).
    """

    node_class: str
    names: List[str]
    values: Dict[str, str]
    complete: bool
    max_inputs: Optional[int] = None
    types: Optional[Dict[str, str]] = None


class RunResult(NamedTuple):
    """What running model-written code gave: unpacks as ``ok, output, traceback``."""

    ok: bool
    output: str
    traceback: str


class UndoStep(NamedTuple):
    """What ``Host.in_undo_group`` did: ``value`` is what the callable returned;
    ``recorded`` is True when the group became a new undo step under its name, False when
    the callable changed nothing (so Ctrl+Z has nothing of it to undo)."""

    value: Any
    recorded: bool


class ViewerFrame(NamedTuple):
    """The active Viewer's current frame, rendered by ``Host.viewer_frame``.

    ``viewer``: the Viewer node; ``node``: the node it shows (its active input
    ``input_index``); ``frame``; ``width`` x ``height`` of the render. ``image``: PNG file
    bytes, 8-bit RGB, through the display transform the artist sees (``display`` says
    which). ``pixels``: the same frame before the display transform, as uncompressed 32-bit
    float TIFF file bytes with ``channels`` (``"rgba"`` or ``"rgb"``), or None when not
    asked for. ``notes``: what the image does not reproduce (Viewer gain, proxy mode...).
    """

    viewer: str
    node: str
    input_index: int
    frame: int
    width: int
    height: int
    display: str
    image: bytes
    pixels: Optional[bytes]
    channels: str
    notes: Tuple[str, ...] = ()


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

    def node_knobs(self, name: str, knobs: Optional[Sequence[str]] = None) -> NodeKnobs:
        """The node's knob names, and the values of ``knobs`` (all when None).
        HostError for an unknown node."""

    def set_input(self, node: str, index: int, source: Optional[str]) -> None:
        """Connect input ``index`` of ``node`` to ``source`` (None disconnects).
        HostError for an unknown node or a connection Nuke refuses (a loop)."""

    def delete_nodes(self, names: Sequence[str]) -> None:
        """Delete the nodes (a group takes its members). HostError for an unknown node."""

    def nodes_in_error(self) -> List[NodeError]:
        ...

    def in_undo_group(self, name: str, fn: Callable[[], Any]) -> UndoStep:
        """Call ``fn()`` as ONE undo step named ``name``: the group's begin, everything
        ``fn`` does through this host, and its end run in one uninterrupted call on the
        host's owner thread (Nuke's main thread), so nothing else (the artist's edits,
        another caller) can land inside the group. If ``fn`` raises, the group is cancelled,
        the graph is left as it was, and the exception propagates. Calls nest: an inner
        group joins the outer one."""

    def undo(self, expect: Optional[str] = None) -> Optional[str]:
        """Undo the last undo step (Ctrl+Z) and return its name; None when there is none.
        With ``expect``, only if the last step has that name: HostError otherwise, and
        nothing is undone (so something the artist did since is never undone by mistake)."""

    def undo_names(self) -> List[str]:
        """The names of the undo steps, oldest first (the last is what Ctrl+Z undoes)."""

    def evaluate_expression(self, node: str, knob: str, expression: str,
                            frames: Sequence[float]) -> List[float]:
        """The values ``expression`` would give ``node.knob`` (``knob`` may name a channel:
        ``translate.x``) at each of ``frames``, leaving the script, its undo history and its
        modified flag exactly as they were. HostError, saying why in plain words, when it
        cannot be evaluated here (the in-memory host knows only a common subset)."""

    def run_python(self, code: str) -> RunResult:
        """Run model-written code with nuke.message/ask/getInput made non-blocking."""

    def select(self, names: Sequence[str]) -> None:
        """Make exactly these nodes the selection."""

    def class_source(self) -> Any:
        """What this host knows of node classes, as a class-info source
        (``graph.class_facts``): Nuke's live classes inside Nuke, else the shipped catalogue
        for the script's Nuke version."""

    def viewer_frame(self, frame: Optional[int] = None, pixels: bool = True) -> ViewerFrame:
        """Render the active Viewer's frame (``frame``, default the current one) without
        changing the script or its undo history; with ``pixels``, also the float frame for
        the pixel probe. HostError when there is no Viewer (always, outside Nuke), it shows
        nothing, or the render fails."""
