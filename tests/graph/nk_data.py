"""Where the node-graph test data lives, and a reader for it."""

from __future__ import annotations

from pathlib import Path

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
