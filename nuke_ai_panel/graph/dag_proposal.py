"""Where a proposed paste would land in the node graph: "ghost" tiles and wires before Apply.

A /build or agent preview proposes a .nk snippet. :func:`proposal_level` lays out what pasting
it would create, the way :meth:`ScriptHost.paste_script` (``nuke.nodePaste``) would: the
snippet's top-level nodes, named as the paste will rename them (``Blur1`` -> ``Blur2`` when
taken), their wires among themselves, and the snippet's dangling input (``PASTE_INPUT``)
wired to the node it connects to. Nothing is read from or written to a host: the result is
drawn over the level the paste goes into and dropped on Reject.
"""

from __future__ import annotations

from typing import List, Optional, Tuple

from .dag_layout import (BACKDROP, COLUMN, NODE_HEIGHT, ROW, STICKY, DagLevel, Tile, input_wires,
                         make_tile, place, route_wires)
from .nk_model import unique_name
from .nkscript import parse_script

__all__ = ["proposal_level", "MAX_NUDGES"]

MAX_NUDGES = 20
"""How many columns a proposal is moved right, at most, to keep clear of existing tiles."""


def proposal_level(text: str, base: DagLevel, connect_to: Optional[str] = None) -> DagLevel:
    """The ghost tiles and wires for pasting ``text`` into ``base`` (a root level built by
    :func:`~.dag_layout.build_level`), wired to ``connect_to`` when it is a tile of ``base``.
    Wires from a ghost to ``connect_to`` have ``source`` set to it. Raises ``NkParseError``
    for text that is not .nk; nodes inside a pasted group stay inside its ghost tile."""
    snippet = parse_script(text, paste=True)
    top = [n for n in snippet.nodes if n.parent is None]
    taken = {t.name for t in base.tiles}
    rename = {}
    for node in top:
        new = unique_name(node.name, taken)
        taken.add(new)
        rename[node.full_name] = new
    anchor = base.tile(connect_to) if connect_to else None
    index = snippet.index()
    tiles = [make_tile(n, snippet.effective_knobs(n, index), rename[n.full_name]) for n in top]
    here = set(rename.values()) | ({anchor.name} if anchor else set())
    wires = [w for w in input_wires(top, here, rename, anchor.name if anchor else None)
             if w.source is not None]
    placed = place(tiles, wires)
    ghosts = _beside(base, [placed[t.name] for t in tiles], anchor)
    lookup = {t.name: t for t in ghosts}
    if anchor is not None:
        lookup[anchor.name] = anchor
    return DagLevel(base.parent, ghosts, route_wires(wires, lookup))


def _box(tiles: List[Tile]) -> Tuple[float, float, float, float]:
    return (min(t.x for t in tiles), min(t.y for t in tiles),
            max(t.x + t.width for t in tiles), max(t.y + t.height for t in tiles))


def _beside(base: DagLevel, ghosts: List[Tile], anchor: Optional[Tile]) -> List[Tile]:
    """Move the ghost block below ``anchor`` (Nuke pastes under the selected node), or to the
    right of everything when nothing is selected, then right until it covers no tile."""
    if not ghosts:
        return ghosts
    left, top, right, _bottom = _box(ghosts)
    bounds = base.bounds()
    if anchor is not None:
        dx = anchor.centre[0] - (left + right) / 2
        dy = anchor.y + anchor.height + ROW - NODE_HEIGHT - top
    elif bounds is not None:
        dx, dy = bounds[2] + COLUMN - left, bounds[1] - top
    else:
        dx, dy = -left, -top
    solid = [t for t in base.tiles if t.kind not in (BACKDROP, STICKY)]
    for _ in range(MAX_NUDGES):
        moved = [t.moved(dx, dy) for t in ghosts]
        if not any(_overlaps(_box(moved), t) for t in solid):
            return moved
        dx += COLUMN
    return [t.moved(dx, dy) for t in ghosts]


def _overlaps(box: Tuple[float, float, float, float], tile: Tile) -> bool:
    return not (tile.x >= box[2] or tile.x + tile.width <= box[0]
                or tile.y >= box[3] or tile.y + tile.height <= box[1])
