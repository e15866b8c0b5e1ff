"""Where the node-graph test data lives, and a reader for it."""

from __future__ import annotations

from collections import defaultdict
from pathlib import Path
from typing import Any, Dict, List, Optional, Set, Tuple

TESTS = Path(__file__).resolve().parents[1]
ROOT = TESTS.parent
DATA = TESTS / "data" / "nk"
EXAMPLE = ROOT / "nuke_ai_panel" / "graph" / "examples" / "greenscreen_comp.nk"
REAL_FILES = (
    "cryptomatte_example.nk",
    "encryptomatte.gizmo",
    "gamutcompress_toolset.nk",
    "log2shaper_toolset.nk",
    "bm_camerashake.gizmo",
    "cloudtastic_toolset.nk",
)
ALL_FILES = REAL_FILES + ("handwritten_edge_cases.nk",)


def read(name: str) -> str:
    path = EXAMPLE if name == "greenscreen_comp.nk" else DATA / name
    return path.read_text(encoding="utf-8")


Edge = Tuple[str, int, str]


def levels_from_graph_json(nodes: List[Dict[str, Any]]) -> Dict[Optional[str], Tuple[Set[str], Set[Edge]]]:
    """Per group level of a ``graph --json`` document's nodes: the full names of the level's
    nodes and its input edges ``(target, input index, source)``, all by full name. The JSON
    names a sibling input by its short name and any other by its full name."""
    full = {id(n): f"{n['parent']}.{n['name']}" if n["parent"] else n["name"] for n in nodes}
    levels: Dict[Optional[str], Tuple[Set[str], Set[Edge]]] = defaultdict(lambda: (set(), set()))
    for node in nodes:
        levels[node["parent"]][0].add(full[id(node)])
    for node in nodes:
        parent = node["parent"]
        for index, ref in enumerate(node["inputs"]):
            if ref is None:
                continue
            sibling = f"{parent}.{ref}" if parent else ref
            source = sibling if sibling in levels[parent][0] else ref
            levels[parent][1].add((full[id(node)], index, source))
    return dict(levels)
