"""One level of a script's node graph as Nuke's Node Graph (the DAG) draws it: tiles and wires.

Pure and Qt-free, so the standalone app's node-graph view only turns this into items and the
layout is tested without Qt. Coordinates are Nuke's DAG coordinates: ``xpos`` / ``ypos`` are a
tile's top-left corner, x to the right, y DOWN. A tile is 80 x 18 (wider for a long name,
taller with a label line), a Dot 12 x 12, a BackdropNode ``bdwidth`` x ``bdheight``.

Where a script gives no ``xpos`` / ``ypos`` (hand-written or model-written .nk), the node is
placed: a level with no positions at all gets a layered layout by depth from its outputs
(outputs at the bottom, inputs above, input 0 straight above like Nuke's B pipe, input 1 to
the left, a mask to the right); in a level with some positions, an unplaced node goes below
its input, and one with no placed input goes in a column to the right of the rest.
"""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass, field, replace
from typing import Dict, Iterable, List, Mapping, Optional, Sequence, Set, Tuple

from .nk_lexer import decode_value
from .nk_model import PASTE_INPUT, Node, Script, short_name
from .node_colours import tile_colour
from .snippets import INPUT_LABELS

__all__ = [
    "BACKDROP", "DOT", "NODE", "STICKY",
    "COLUMN", "ROW", "NODE_WIDTH", "NODE_HEIGHT", "DOT_SIZE",
    "Tile", "Wire", "DagLevel", "Placed",
    "build_level", "breadcrumb", "input_wires", "make_tile", "mask_start", "place",
    "route_wires",
]

NODE, DOT, BACKDROP, STICKY = "node", "dot", "backdrop", "sticky"
NODE_WIDTH, NODE_HEIGHT, DOT_SIZE, LABEL_LINE = 80.0, 18.0, 12.0, 12.0
BACKDROP_SIZE = (250.0, 150.0)
"""Nuke's default ``bdwidth`` / ``bdheight`` for a BackdropNode that does not set them."""
COLUMN, ROW, GAP = 120.0, 64.0, 16.0
"""The grid the layered layout uses: one column per branch, one row per depth; at least GAP
between two tiles side by side."""
MAX_SUBTITLE = 24
"""A label's first line is shown under the name when it is at most this many characters."""
EXTERNAL_STUB = 36.0


@dataclass(frozen=True)
class Tile:
    """One node as drawn. ``name`` is the full name; ``label`` is the line under the name
    (nodes), or the whole label (backdrops, sticky notes); ``positioned`` is False when the
    script gave no position and the layout chose one."""

    name: str
    node_class: str
    kind: str
    x: float
    y: float
    width: float
    height: float
    colour: int
    label: str = ""
    selected: bool = False
    is_group: bool = False
    disabled: bool = False
    positioned: bool = True
    font_size: float = 0.0

    @property
    def short(self) -> str:
        return short_name(self.name)

    @property
    def centre(self) -> Tuple[float, float]:
        return self.x + self.width / 2, self.y + self.height / 2

    def moved(self, dx: float, dy: float) -> "Tile":
        return replace(self, x=self.x + dx, y=self.y + dy)


@dataclass(frozen=True)
class Wire:
    """Input ``index`` of ``target``, fed by ``source`` (a tile of the same level) or, when
    ``source`` is None, by ``external`` (a node outside this level, named by full name).
    ``start`` / ``end`` are the arrow's ends in DAG coordinates; ``end`` touches the target."""

    target: str
    index: int
    source: Optional[str]
    external: str = ""
    label: str = ""
    mask: bool = False
    start: Tuple[float, float] = (0.0, 0.0)
    end: Tuple[float, float] = (0.0, 0.0)


@dataclass
class DagLevel:
    """The tiles (script order) and wires of one group level (``parent`` None: the root)."""

    parent: Optional[str]
    tiles: List[Tile] = field(default_factory=list)
    wires: List[Wire] = field(default_factory=list)

    def tile(self, name: str) -> Optional[Tile]:
        for tile in self.tiles:
            if tile.name == name:
                return tile
        return None

    def bounds(self) -> Optional[Tuple[float, float, float, float]]:
        """``(left, top, right, bottom)`` of every tile, or None for an empty level."""
        if not self.tiles:
            return None
        return (min(t.x for t in self.tiles), min(t.y for t in self.tiles),
                max(t.x + t.width for t in self.tiles), max(t.y + t.height for t in self.tiles))


Placed = Dict[str, Tile]


def _number(raw: Optional[str]) -> Optional[float]:
    if raw is None:
        return None
    try:
        return float(decode_value(raw))
    except ValueError:
        return None


def _kind(node_class: str) -> str:
    if node_class == "Dot":
        return DOT
    if node_class == "BackdropNode":
        return BACKDROP
    if node_class == "StickyNote":
        return STICKY
    return NODE


def _subtitle(label: str) -> str:
    first = label.strip().splitlines()[0].strip() if label.strip() else ""
    return first if len(first) <= MAX_SUBTITLE else ""


def make_tile(node: Node, knobs: Mapping[str, str], name: Optional[str] = None) -> Tile:
    """The tile for ``node`` with its effective ``knobs`` (a clone's are its original's),
    at its own ``xpos`` / ``ypos`` (0, 0 and ``positioned`` False when it has none)."""
    kind = _kind(node.node_class)
    label = decode_value(knobs.get("label", ""))
    font_size = _number(knobs.get("note_font_size")) or 0.0
    full = name or node.full_name
    if kind == DOT:
        width = height = DOT_SIZE
        text = ""
    elif kind == BACKDROP:
        width = _number(knobs.get("bdwidth")) or BACKDROP_SIZE[0]
        height = _number(knobs.get("bdheight")) or BACKDROP_SIZE[1]
        text = label
    elif kind == STICKY:
        lines = label.splitlines() or [""]
        scale = max(font_size, 11.0) / 11.0
        width = max(NODE_WIDTH, 7.0 * scale * max(len(line) for line in lines) + 16)
        height = max(NODE_HEIGHT, 15.0 * scale * len(lines) + 8)
        text = label
    else:
        text = _subtitle(label)
        width = min(240.0, max(NODE_WIDTH, 6.5 * len(short_name(full)) + 16))
        height = NODE_HEIGHT + (LABEL_LINE if text else 0.0)
    x, y = _number(knobs.get("xpos")), _number(knobs.get("ypos"))
    disabled = decode_value(knobs.get("disable", "")).strip().lower() in ("true", "1")
    return Tile(full, node.node_class, kind, x or 0.0, y or 0.0, width, height,
                tile_colour(node.node_class, knobs), text, bool(node.selected), node.is_group,
                disabled, x is not None and y is not None, font_size)


def mask_start(node: Node) -> Optional[int]:
    """The first mask input index: from ``inputs N+M`` (N regular inputs, then M masks), else
    the class's own input names (Merge2's input 2 is its mask); None when it has no mask."""
    spec = getattr(node, "inputs_spec", None)
    if spec:
        parts = decode_value(spec).split("+")
        if len(parts) == 2 and parts[0].strip().isdigit():
            return int(parts[0])
    labels = INPUT_LABELS.get(node.node_class, ())
    return labels.index("mask") if "mask" in labels else None


def _input_label(node: Node, index: int, mask_from: Optional[int]) -> str:
    """The name on an input's arrow: the class's own (B, A, mask), ``mask`` past ``N`` of
    ``inputs N+M``, the input number on a node with several regular inputs, else nothing."""
    if mask_from is not None and index >= mask_from:
        return "mask"
    labels = INPUT_LABELS.get(node.node_class)
    if labels and index < len(labels):
        return labels[index]
    regular = len(node.inputs) if mask_from is None else min(mask_from, len(node.inputs))
    return str(index) if regular > 1 else ""


def build_level(script: Script, parent: Optional[str] = None) -> DagLevel:
    """The tiles and wires of the nodes whose parent group is ``parent`` (None: the root), in
    script order, with every node placed and every input drawn: an input from outside the
    level (a cross-group reference) becomes a wire with ``external`` set."""
    index = script.index()
    members = [n for n in script.nodes if n.parent == parent]
    tiles = [make_tile(n, script.effective_knobs(n, index)) for n in members]
    wires = input_wires(members, {t.name for t in tiles})
    placed = place(tiles, wires)
    ordered = [placed[t.name] for t in tiles]
    return DagLevel(parent, ordered, route_wires(wires, placed))


def input_wires(members: Sequence[Node], here: Set[str],
                rename: Optional[Mapping[str, str]] = None,
                paste_target: Optional[str] = None) -> List[Wire]:
    """One unrouted Wire per connected input of ``members``: ``source`` set when the input
    is one of ``here``, else ``external``. ``rename`` maps full names to the names shown
    (a paste's renames); ``PASTE_INPUT`` means ``paste_target`` (skipped when None)."""
    rename = rename or {}
    wires = []
    for node in members:
        target = rename.get(node.full_name, node.full_name)
        mask_from = mask_start(node)
        for i, ref in enumerate(node.inputs):
            # the paste target is a node of the comp: never one of the snippet's renames
            source = paste_target if ref == PASTE_INPUT else rename.get(ref, ref) if ref else None
            if not source:
                continue
            label = _input_label(node, i, mask_from)
            mask = label == "mask"
            if source in here:
                wires.append(Wire(target, i, source, "", label, mask))
            else:
                wires.append(Wire(target, i, None, source, label, mask))
    return wires


def _input_offset(wire: Wire) -> float:
    """Where an input's node sits across from its consumer (x offset): input 0 (B) straight
    above, input 1 (Merge's A) to the left, a mask to the right, further inputs to the right."""
    if wire.mask:
        return COLUMN
    if wire.index == 0:
        return 0.0
    if wire.index == 1:
        return -COLUMN
    return COLUMN * (wire.index - 1)


def place(tiles: Sequence[Tile], wires: Sequence[Wire]) -> Placed:
    """Every tile by name, the unplaced ones (``positioned`` False) given a position: a
    layered layout when none has one, else below a placed input or right of the rest."""
    placed: Placed = {t.name: t for t in tiles if t.positioned}
    todo = [t for t in tiles if not t.positioned]
    if not todo:
        return placed
    if not placed:
        placed.update(_layered(todo, wires))
        return placed
    _anchor(todo, wires, placed)
    return placed


def _inputs_by_target(wires: Iterable[Wire]) -> Dict[str, List[Wire]]:
    by_target: Dict[str, List[Wire]] = {}
    for wire in wires:
        if wire.source is not None:
            by_target.setdefault(wire.target, []).append(wire)
    return by_target


def _depths(names: Sequence[str], wires: Sequence[Wire]) -> Dict[str, int]:
    """Depth from the outputs (0: nothing here consumes it) by longest path, iteratively (a
    chain of thousands of nodes must not recurse); nodes on a loop get the deepest depth."""
    members = set(names)
    consumers: Dict[str, int] = {n: 0 for n in names}
    inputs: Dict[str, List[str]] = {n: [] for n in names}
    for wire in wires:
        if wire.source in members and wire.target in members:
            consumers[wire.source] += 1
            inputs[wire.target].append(wire.source)
    depth = {n: 0 for n in names}
    ready = deque(n for n in names if consumers[n] == 0)
    done: Set[str] = set()
    while ready:
        name = ready.popleft()
        done.add(name)
        for source in inputs[name]:
            depth[source] = max(depth[source], depth[name] + 1)
            consumers[source] -= 1
            if consumers[source] == 0:
                ready.append(source)
    deepest = max(depth.values(), default=0)
    for name in names:
        if name not in done:
            depth[name] = deepest + 1
    return depth


def _layered(tiles: Sequence[Tile], wires: Sequence[Wire]) -> Placed:
    names = [t.name for t in tiles]
    by_name = {t.name: t for t in tiles}
    depth = _depths(names, wires)
    deepest = max(depth.values(), default=0)
    consumers_of: Dict[str, List[Wire]] = {}
    for wire in wires:
        if wire.source in by_name and wire.target in by_name:
            consumers_of.setdefault(wire.source, []).append(wire)
    layers: Dict[int, List[str]] = {}
    for name in names:
        layers.setdefault(depth[name], []).append(name)
    centre_x: Dict[str, float] = {}
    for level in sorted(layers):
        wanted = []
        for order, name in enumerate(layers[level]):
            desires = [centre_x[w.target] + _input_offset(w)
                       for w in consumers_of.get(name, []) if w.target in centre_x]
            wanted.append((sum(desires) / len(desires) if desires else order * COLUMN, order, name))
        last: Optional[float] = None
        last_half = 0.0
        for desire, _order, name in sorted(wanted):
            half = by_name[name].width / 2
            # a column apart, or further when long names make the tiles wider than that
            gap = max(COLUMN, last_half + half + GAP)
            x = desire if last is None else max(desire, last + gap)
            centre_x[name], last, last_half = x, x, half
    placed: Placed = {}
    for name in names:
        tile = by_name[name]
        row_y = (deepest - depth[name]) * ROW
        placed[name] = replace(tile, x=centre_x[name] - tile.width / 2,
                                y=row_y + (NODE_HEIGHT - tile.height) / 2)
    return placed


def _cell(x: float, y: float) -> Tuple[int, int]:
    return int(round(x / COLUMN)), int(round(y / (ROW / 2)))


def _anchor(todo: Sequence[Tile], wires: Sequence[Wire], placed: Placed) -> None:
    """Place ``todo`` (sources first) below a placed input, or right of everything placed."""
    occupied = {_cell(*t.centre) for t in placed.values() if t.kind not in (BACKDROP, STICKY)}
    inputs = _inputs_by_target(wires)
    depth = _depths([t.name for t in todo], wires)
    right = max(t.x + t.width for t in placed.values())
    top = min(t.y for t in placed.values())
    spare_row = 0
    for tile in sorted(todo, key=lambda t: -depth[t.name]):
        anchor = None
        for wire in sorted(inputs.get(tile.name, []), key=lambda w: w.index):
            source = placed.get(wire.source or "")
            if source is not None:
                anchor = (source, wire)
                break
        if anchor is None:
            cx, cy = right + COLUMN, top + spare_row * ROW
            spare_row += 1
        else:
            source, wire = anchor
            cx = source.centre[0] - _input_offset(wire)
            cy = source.y + source.height + ROW - NODE_HEIGHT / 2
        for _ in range(1000):
            if _cell(cx, cy) not in occupied:
                break
            cy += ROW / 2
        occupied.add(_cell(cx, cy))
        placed[tile.name] = replace(tile, x=cx - tile.width / 2, y=cy - tile.height / 2)


def _border_point(tile: Tile, towards: Tuple[float, float]) -> Tuple[float, float]:
    """Where the line from the tile's centre to ``towards`` leaves the tile."""
    cx, cy = tile.centre
    dx, dy = towards[0] - cx, towards[1] - cy
    if dx == 0 and dy == 0:
        return cx, cy
    scales = []
    if dx:
        scales.append(abs(tile.width / 2 / dx))
    if dy:
        scales.append(abs(tile.height / 2 / dy))
    scale = min(min(scales), 1.0)
    return cx + dx * scale, cy + dy * scale


def _port(tile: Tile, wire: Wire, regular: int) -> Tuple[float, float]:
    """The point input ``wire.index`` of ``tile`` aims at, as in Nuke: with one or two regular
    inputs, input 0 (B) at the top and input 1 (A) at the left; with more, spread along the
    top; a mask at the right."""
    cx, cy = tile.centre
    if wire.mask:
        return tile.x + tile.width, cy
    if regular <= 2:
        return (cx, tile.y) if wire.index == 0 else (tile.x, cy)
    return tile.x + tile.width * (wire.index + 1) / (regular + 1), tile.y


def _entry(tile: Tile, start: Tuple[float, float], aim: Tuple[float, float]) -> Tuple[float, float]:
    """Where the segment from ``start`` to ``aim`` (on the tile's border) first enters the
    tile (Liang-Barsky clipping), so the arrow head is never hidden under the tile."""
    dx, dy = aim[0] - start[0], aim[1] - start[1]
    entering = 0.0
    for p, q in ((-dx, start[0] - tile.x), (dx, tile.x + tile.width - start[0]),
                 (-dy, start[1] - tile.y), (dy, tile.y + tile.height - start[1])):
        if p < 0:
            entering = max(entering, q / p)
        elif p == 0 and q < 0:
            return aim
    if entering <= 0.0 or entering > 1.0:
        return aim
    return start[0] + dx * entering, start[1] + dy * entering


def _stub(end: Tuple[float, float], wire: Wire) -> Tuple[float, float]:
    """The loose end of a wire from outside the level, pointing the way its input faces."""
    if wire.mask:
        return end[0] + EXTERNAL_STUB, end[1]
    return end[0], end[1] - EXTERNAL_STUB


def route_wires(wires: Sequence[Wire], tiles: Mapping[str, Tile]) -> List[Wire]:
    """``wires`` with their ``start`` / ``end`` points from the placed ``tiles``; a Dot is
    reached at its rim, on the line from its input."""
    regular: Dict[str, int] = {}
    for wire in wires:
        if not wire.mask:
            regular[wire.target] = max(regular.get(wire.target, 0), wire.index + 1)
    routed = []
    for wire in wires:
        target = tiles.get(wire.target)
        if target is None:
            continue
        source = tiles.get(wire.source) if wire.source else None
        if target.kind == DOT:
            far = source.centre if source is not None else (target.centre[0],
                                                             target.y - EXTERNAL_STUB)
            end = _border_point(target, far)
            start = _stub(end, wire) if source is None else _border_point(source, end)
        else:
            aim = _port(target, wire, regular.get(wire.target, 1))
            if source is None:
                end = aim
                start = _stub(end, wire)
            else:
                start = _border_point(source, aim)
                end = _entry(target, start, aim)
        routed.append(replace(wire, start=start, end=end))
    return routed


def breadcrumb(parent: Optional[str]) -> List[Tuple[str, Optional[str]]]:
    """``[(text, group full name or None for the root), ...]`` from the root down to
    ``parent``: ``"A.B"`` -> ``[("Root", None), ("A", "A"), ("B", "A.B")]``."""
    trail: List[Tuple[str, Optional[str]]] = [("Root", None)]
    if parent:
        parts = parent.split(".")
        for i, part in enumerate(parts):
            trail.append((part, ".".join(parts[: i + 1])))
    return trail
