"""The node graph as drawn, without Qt: tiles, colours, wires, layout and proposals."""

from __future__ import annotations

from typing import List, Set

import pytest
from nk_data import ALL_FILES, Edge, levels_from_graph_json, read

from nuke_ai_panel.graph.dag_layout import (
    BACKDROP,
    COLUMN,
    DOT,
    DOT_SIZE,
    NODE,
    STICKY,
    DagLevel,
    Tile,
    breadcrumb,
    build_level,
)
from nuke_ai_panel.graph.dag_proposal import proposal_level
from nuke_ai_panel.graph.nk_lexer import NkParseError
from nuke_ai_panel.graph.nkscript import graph_json, parse_script
from nuke_ai_panel.graph.node_colours import (
    CATEGORY_COLOURS,
    DEFAULT_COLOUR,
    class_colour,
    knob_colour,
    tile_colour,
)
from nuke_ai_panel.graph.snippets import preview_nk

FILES = ("greenscreen_comp.nk",) + ALL_FILES


def drawn_edges(level: DagLevel) -> Set[Edge]:
    return {(w.target, w.index, w.source or w.external) for w in level.wires}


@pytest.mark.parametrize("name", FILES)
def test_every_node_and_input_of_every_level_is_drawn(name: str) -> None:
    text = read(name)
    script = parse_script(text)
    document = graph_json(script)
    for parent, (names, edges) in levels_from_graph_json(document["nodes"]).items():
        level = build_level(script, parent)
        assert [t.name for t in level.tiles] == [n.full_name for n in script.nodes
                                                  if n.parent == parent]
        assert {t.name for t in level.tiles} == names
        assert drawn_edges(level) == edges, parent
        assert len(level.wires) == len(edges)
        for wire in level.wires:
            assert wire.source in names if wire.source else wire.external not in names
            assert wire.start != wire.end


def test_a_cross_group_input_is_drawn_as_a_wire_from_outside() -> None:
    level = build_level(parse_script(read("handwritten_edge_cases.nk")), "Groupe_etalonnage")
    outside = [w for w in level.wires if w.source is None]
    assert [(w.target, w.index, w.external, w.label) for w in outside] == [
        ("Groupe_etalonnage.Merge_inner", 0, "Read_plaque", "B")]


def test_tiles_sit_at_their_xpos_ypos_with_nuke_sizes() -> None:
    level = build_level(parse_script(read("greenscreen_comp.nk")))
    read_plate = level.tile("Read_plate")
    assert read_plate is not None and (read_plate.x, read_plate.y) == (-380, -420)
    assert read_plate.kind == NODE and read_plate.positioned
    backdrop = level.tile("Backdrop_key")
    assert backdrop is not None and backdrop.kind == BACKDROP
    assert (backdrop.x, backdrop.y, backdrop.width, backdrop.height) == (-520, -470, 620, 560)
    assert backdrop.label == "KEY \u2014 plate A, take 3" and backdrop.font_size == 42
    note = level.tile("Note_key")
    assert note is not None and note.kind == STICKY and note.label.startswith("Screen is uneven")
    transform = level.tile("Transform_bgShake")
    assert transform is not None and transform.label == "handheld match"
    assert transform.height > read_plate.height
    dots = [t for t in build_level(parse_script(read("gamutcompress_toolset.nk")),
                                   "GamutCompress").tiles if t.kind == DOT]
    assert dots and all(t.width == t.height == DOT_SIZE for t in dots)


def test_a_long_label_is_not_squeezed_under_the_name() -> None:
    script = parse_script('Grade {\n name G1\n label "a label far too long to fit in a tile"\n'
                          ' xpos 0\n ypos 0\n}\n')
    assert build_level(script).tiles[0].label == ""


def test_tile_colour_is_the_knob_then_the_class() -> None:
    assert tile_colour("BackdropNode", {"tile_color": "0x3d5a3dff"}) == 0x3D5A3DFF
    assert tile_colour("Blur", {"tile_color": "0x3d5a3d00"}) == 0x3D5A3DFF, "alpha is ignored"
    assert tile_colour("Blur", {"tile_color": "4278190335"}) == 0xFF0000FF, "decimal"
    assert tile_colour("Blur", {"tile_color": "0x000000ff"}) == 0x000000FF, "black is a colour"
    assert tile_colour("Blur", {"tile_color": "0"}) == CATEGORY_COLOURS["filter"], "0 is unset"
    assert tile_colour("Blur", {"tile_color": "{{parent.c}}"}) == CATEGORY_COLOURS["filter"]
    assert knob_colour(None) is None and knob_colour('""') is None
    assert class_colour("Grade") == CATEGORY_COLOURS["color"]
    assert class_colour("Merge2") == CATEGORY_COLOURS["merge"]
    assert class_colour("Transform") == CATEGORY_COLOURS["transform"]
    assert class_colour("Copy") == CATEGORY_COLOURS["channel"]
    assert class_colour("Write") == CATEGORY_COLOURS["write"]
    assert class_colour("DeepMerge") == CATEGORY_COLOURS["deep"]
    assert class_colour("ColorCorrect2") == CATEGORY_COLOURS["color"], "by the words in it"
    assert class_colour("MyStudioGizmo_v3") == DEFAULT_COLOUR
    assert len({class_colour(c) for c in ("Grade", "Blur", "Merge2", "Transform", "Copy")}) == 5


def test_a_level_without_positions_is_laid_out_in_layers_from_the_outputs() -> None:
    script = parse_script(
        "Read {\n inputs 0\n name Plate\n}\nGrade {\n name G\n}\nRead {\n inputs 0\n name Bg\n}\n"
        "Blur {\n name B\n}\nMerge2 {\n inputs 2+1\n name Over\n}\nWrite {\n name Out\n}\n")
    level = build_level(script)
    tiles = {t.name: t for t in level.tiles}
    assert not any(t.positioned for t in level.tiles)
    for wire in level.wires:
        source, target = tiles[wire.source], tiles[wire.target]
        assert source.y + source.height <= target.y, (wire.source, wire.target)
    assert tiles["Out"].y == max(t.y for t in level.tiles), "the output is at the bottom"
    # Merge2's input 0 (B: the Blur branch) straight above it, A (the Grade branch) to the left
    assert tiles["B"].centre[0] == pytest.approx(tiles["Over"].centre[0])
    assert tiles["G"].centre[0] < tiles["Over"].centre[0]
    assert_no_overlap(level.tiles)


def test_a_level_with_some_positions_places_the_rest_below_their_inputs() -> None:
    level = build_level(parse_script(read("handwritten_edge_cases.nk")))
    tiles = {t.name: t for t in level.tiles}
    gizmo, write = tiles["MyStudioGizmo_v3_1"], tiles["Write_out"]
    assert not gizmo.positioned and not write.positioned
    group = tiles["Groupe_etalonnage"]
    assert gizmo.y > group.y + group.height and gizmo.centre[0] == pytest.approx(group.centre[0])
    assert write.y > gizmo.y + gizmo.height
    assert_no_overlap(level.tiles)


def test_a_loop_and_a_very_long_chain_are_laid_out(tmp_path) -> None:
    chain = "Constant {\n inputs 0\n name C\n}\n" + "".join(
        f"Blur {{\n name B{i}\n}}\n" for i in range(3000))
    level = build_level(parse_script(chain))
    ys = [t.y for t in level.tiles]
    assert ys == sorted(ys) and len(set(ys)) == len(ys)
    from nuke_ai_panel.graph.nk_model import Node, Script
    looped = Script(nodes=[Node("A", "Blur", inputs=["B"]), Node("B", "Blur", inputs=["A"])])
    assert len(build_level(looped).tiles) == 2


def test_inputs_are_named_and_masks_marked() -> None:
    level = build_level(parse_script(read("handwritten_edge_cases.nk")), "Groupe_etalonnage")
    merge = level.tile("Groupe_etalonnage.Merge_inner")
    assert merge is not None
    by_index = {w.index: w for w in level.wires if w.target == merge.name}
    assert [(i, by_index[i].label, by_index[i].mask) for i in sorted(by_index)] == [
        (0, "B", False), (1, "A", False), (2, "mask", True)]
    assert by_index[0].end == pytest.approx((merge.centre[0], merge.y)), "B on top"
    assert by_index[2].end == pytest.approx((merge.x + merge.width, merge.centre[1])), "mask right"
    masked = parse_script("Constant {\n inputs 0\n name C\n xpos 0\n ypos 0\n}\n"
                          "set N1 [stack 0]\npush $N1\npush $N1\n"
                          "Blur {\n inputs 1+1\n name B\n xpos 0\n ypos 100\n}\n")
    wires = {w.index: w for w in build_level(masked).wires}
    assert (wires[0].label, wires[0].mask) == ("", False)
    assert (wires[1].label, wires[1].mask) == ("mask", True)


def test_breadcrumb_goes_from_the_root_down() -> None:
    assert breadcrumb(None) == [("Root", None)]
    assert breadcrumb("A.B") == [("Root", None), ("A", "A"), ("B", "A.B")]


SNIPPET = """set cut_paste_input [stack 0]
push $cut_paste_input
Expression {
 expr1 "g > (r+b)/2 ? (r+b)/2 : g"
 name Despill_green
}
Blur {
 size 2
 name Blur_edge
}
push $cut_paste_input
Merge2 {
 inputs 2
 name Merge_back
}
Group {
 name Inner_group
}
 Input {
  name Input1
 }
 Output {
  name Output1
 }
end_group
"""


def test_a_proposal_draws_exactly_what_the_paste_would_create() -> None:
    script = parse_script(read("greenscreen_comp.nk"))
    base = build_level(script)
    ghosts = proposal_level(SNIPPET, base, "Grade_fg")
    preview = preview_nk(SNIPPET, [t.name for t in base.tiles], "Grade_fg")
    assert [t.name for t in ghosts.tiles] == [n.name for n in preview.nodes if n.parent is None]
    assert "Despill_green1" in [t.name for t in ghosts.tiles], "renamed like the paste"
    wired = {(w.source, w.target, f"input {w.label or w.index}") for w in ghosts.wires}
    expected = {(src.replace(" (selected)", ""), dst, label)
                for src, dst, label in preview.connections if "." not in dst}
    assert wired == expected
    assert all(not t.positioned for t in ghosts.tiles)
    anchor = base.tile("Grade_fg")
    assert anchor is not None
    assert min(t.y for t in ghosts.tiles) > anchor.y + anchor.height
    solid = [t for t in base.tiles if t.kind not in (BACKDROP, STICKY)]
    for ghost in ghosts.tiles:
        assert not any(overlap(ghost, t) for t in solid), ghost.name


def test_a_proposal_with_nothing_to_connect_to_goes_right_of_the_comp() -> None:
    base = build_level(parse_script(read("greenscreen_comp.nk")))
    ghosts = proposal_level(SNIPPET, base, None)
    assert not any(w.source == "Grade_fg" for w in ghosts.wires)
    right = max(t.x + t.width for t in base.tiles)
    assert min(t.x for t in ghosts.tiles) > right
    assert proposal_level(SNIPPET, DagLevel(None), None).tiles


def test_a_proposal_that_is_not_nk_raises() -> None:
    with pytest.raises(NkParseError):
        proposal_level("Blur {\n name B\n", build_level(parse_script("")), None)


def overlap(a: Tile, b: Tile) -> bool:
    return not (a.x >= b.x + b.width or b.x >= a.x + a.width or
                a.y >= b.y + b.height or b.y >= a.y + a.height)


def assert_no_overlap(tiles: List[Tile]) -> None:
    solid = [t for t in tiles if t.kind not in (BACKDROP, STICKY)]
    for i, a in enumerate(solid):
        for b in solid[i + 1:]:
            assert not overlap(a, b), (a.name, b.name)
    assert COLUMN > 0


def test_a_proposed_node_named_like_the_target_does_not_rewire_the_target() -> None:
    base = build_level(parse_script(read("greenscreen_comp.nk")))
    snippet = "set cut_paste_input [stack 0]\npush $cut_paste_input\nGrade {\n name Grade_fg\n}\n"
    ghosts = proposal_level(snippet, base, "Grade_fg")
    assert [t.name for t in ghosts.tiles] == ["Grade_fg1"]
    assert [(w.source, w.target) for w in ghosts.wires] == [("Grade_fg", "Grade_fg1")]


def test_long_names_do_not_make_tiles_overlap_in_a_layer() -> None:
    reads = "".join(f"Read {{\n inputs 0\n name Read_{'very_long_plate_name_' * 2}{i}\n}}\n"
                    for i in range(4))
    script = parse_script(reads + "Merge2 {\n inputs 2\n name M1\n}\n"
                          "Merge2 {\n inputs 2\n name M2\n}\n")
    assert_no_overlap(build_level(script).tiles)
