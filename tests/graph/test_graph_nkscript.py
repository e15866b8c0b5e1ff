"""Parsing and writing .nk text: real scripts written by Nuke, and the format's corners."""

from __future__ import annotations

import json

import pytest
from nk_data import ALL_FILES, DATA, read

from nuke_ai_panel.graph.nk_lexer import NkParseError, decode_value, encode_value, split_commands
from nuke_ai_panel.graph.nkscript import (
    PASTE_INPUT,
    graph_json,
    load_script,
    parse_script,
    write_script,
)


def _graph(script):
    return json.dumps(graph_json(script), sort_keys=True)


def _identity(script):
    return [
        (n.full_name, n.node_class, n.knobs, n.inputs, n.parent, n.user_knobs, n.clone_of, n.selected)
        for n in script.nodes
    ]


@pytest.mark.parametrize("name", ALL_FILES + ("greenscreen_comp.nk",))
def test_round_trip_is_stable(name):
    first = parse_script(read(name))
    text = write_script(first)
    second = parse_script(text)
    assert _identity(second) == _identity(first)
    assert second.root == first.root
    assert _graph(second) == _graph(first)
    assert write_script(second) == text
    assert not first.warnings


def test_cryptomatte_example_reads_header_root_and_nodes():
    script = load_script(str(DATA / "cryptomatte_example.nk"))
    assert [n.name for n in script.nodes] == [
        "Read3", "Read1", "Read4", "CryptomatteMulti2", "PostageStamp1",
        "Read2", "CryptomatteMulti1", "PostageStamp2", "Viewer1",
    ]
    index = script.index()
    assert index["CryptomatteMulti2"].inputs == ["Read4"]
    assert index["PostageStamp1"].inputs == ["CryptomatteMulti2"]
    assert index["CryptomatteMulti1"].inputs == ["Read2"]
    assert index["Viewer1"].inputs == ["PostageStamp2"]
    assert index["Read3"].inputs == []
    assert index["PostageStamp2"].selected and not index["PostageStamp1"].selected
    assert decode_value(index["Read1"].knobs["file"]) == "[file dirname [value root.name]]/bunny_CryptoAsset.exr"
    texts = [d.text for d in script.directives]
    assert texts[0].startswith("#! C:/Temp")
    assert texts[1] == "version 7.0 v10"
    assert texts[2].startswith("define_window_layout_xml {<?xml") and texts[2].endswith("</layout>\n}")
    assert sum(t.startswith("add_layer") for t in texts) == 4
    info = graph_json(script)["root"]
    assert (info["width"], info["height"], info["format_name"]) == (2048, 1556, "2K_Super_35(full-ap)")


def test_gizmo_with_clones_masks_and_stack_variables():
    script = load_script(str(DATA / "encryptomatte.gizmo"))
    index = script.index()
    gizmo = script.nodes[0]
    assert (gizmo.name, gizmo.node_class, gizmo.inputs) == ("Gizmo1", "Gizmo", [None, None])
    assert len(gizmo.user_knobs) == 44 and gizmo.knobs == {
        "help": '"Composites new mattes to be added to a set of Cryptomatte-encoded mattes."',
        "previewColor": "{0 0 0}",
        "cryptoLayers": "3",
    }
    assert all(n.parent == "Gizmo1" for n in script.nodes[1:])
    g = "Gizmo1."
    assert index[g + "Merge_AB"].inputs == [g + "Shuffle_previewChannel", g + "Premult1"]
    assert index[g + "Multiply1"].inputs_spec == "1+1"
    assert index[g + "Multiply1"].inputs == [g + "Shuffle_06", g + "Dot28"]
    assert index[g + "Switch_ResetMetadata"].inputs == [g + "Dot50", g + "ModifyMetaData1"]
    assert index[g + "Switch_SetupLayers"].inputs == [g + "Dot47", g + "Dot49"]
    clones = [n for n in script.nodes if n.clone_of]
    assert len(clones) == 30
    merge_ab_clone = next(n for n in clones if n.clone_of == g + "Merge_AB")
    assert merge_ab_clone.inputs == [g + "Premult2", g + "Premult3"]
    assert merge_ab_clone.knobs == {"xpos": "455", "ypos": "-478"}
    shared = graph_json(script)["nodes"][script.nodes.index(merge_ab_clone)]
    assert shared["knobs"]["operation"].startswith('{{"\\[python nuke.thisKnob()')
    assert shared["class"] == "Merge2" and shared["parent"] == "Gizmo1"
    selected_clone = next(n for n in clones if n.selected)
    assert selected_clone.clone_of == g + "Merge_Background"
    assert selected_clone.inputs == [g + "Shuffle_Background", merge_ab_clone.full_name]
    metadata = index[g + "ModifyMetaData1"].knobs["metadata"]
    assert metadata.count("\n") == 5 and '"\\{\\}"' in metadata


def test_toolset_group_switch_order_and_escaped_braces():
    script = load_script(str(DATA / "log2shaper_toolset.nk"))
    index = script.index()
    group = index["Log2Shaper"]
    assert group.inputs == [None] and group.knobs["direction"] == "inverse"
    assert '"knobs this \\{mid_grey 0.18' in group.user_knobs[1]
    p = "Log2Shaper."
    assert index[p + "switch_negatives1"].inputs == [
        p + "lin_to_log_clamp", p + "lin_to_log_extension", p + "lin_to_log_reflect"
    ]
    assert index[p + "switch_direction"].inputs == [p + "switch_negatives", p + "switch_negatives1"]
    assert index[p + "Output"].inputs == [p + "switch_direction"]


def test_toolset_with_two_inputs_and_no_trailing_newline():
    text = read("gamutcompress_toolset.nk")
    assert not text.endswith("\n")
    script = parse_script(text)
    index = script.index()
    p = "GamutCompress."
    assert index[p + "GamutUncompress_orig_simple"].inputs == [p + "Dot2", p + "Dot8"]
    assert index[p + "switch_orig_input1"].inputs == [p + "switch_direction", p + "Dot6"]
    assert index[p + "Inputorig"].knobs["number"] == "1"
    assert decode_value(index["GamutCompress"].knobs["label"]) == "[value method]: [value direction]"


def test_paste_parse_marks_the_dangling_input():
    script = parse_script(read("gamutcompress_toolset.nk"), paste=True)
    assert script.node("GamutCompress").inputs == [PASTE_INPUT]
    assert parse_script("Blur {}\n", paste=True).nodes[0].inputs == [PASTE_INPUT]
    assert parse_script("Blur {}\n").nodes[0].inputs == [None]


def test_edge_cases_groups_clones_roto_and_non_ascii():
    script = load_script(str(DATA / "handwritten_edge_cases.nk"))
    index = script.index()
    assert decode_value(script.root["name"]) == "/projets/démo/plan_010/comp_été.nk"
    assert script.root_user_knobs == ["{20 Studio}", '{1 shot_code l "Shot"}']
    assert decode_value(index["Read_plaque"].knobs["label"]) == "プレート — take 2"
    src = index["Blur_clone_src"]
    assert src.clone_header == "node7f3a2c01d400|Blur|41233"
    assert src.inputs == ["Roto_cache", None]
    assert index["Blur1"].clone_of == "Blur_clone_src" and index["Blur1"].inputs == ["Read_plaque"]
    group = index["Groupe_etalonnage"]
    assert group.inputs == ["Read_plaque", None, "Blur1"]
    assert "\\n" in group.knobs["knobChanged"]
    nested = index["Groupe_etalonnage.Nested"]
    assert nested.parent == "Groupe_etalonnage" and nested.inputs == ["Groupe_etalonnage.Grade_inner"]
    assert index["Groupe_etalonnage.Nested.Blur1"].inputs == ["Groupe_etalonnage.Nested.Input1"]
    assert index["Groupe_etalonnage.Merge_inner"].inputs == [
        "Read_plaque", "Groupe_etalonnage.extra", "Groupe_etalonnage.mask"
    ]
    gizmo = index["MyStudioGizmo_v3_1"]
    assert gizmo.node_class == "MyStudioGizmo_v3" and gizmo.inputs == ["Groupe_etalonnage"]
    assert index["Write_out"].inputs == ["MyStudioGizmo_v3_1"]
    roto = index["Roto_cache"].knobs["curves"]
    assert roto.startswith("{{{v x3f99999a}") and "{curvegroup Bezier_ebauche" in roto
    assert any(d.text == "# a comment between nodes is kept" and d.before == "Read_plaque" for d in script.directives)


def test_graph_json_shape():
    doc = graph_json(load_script(str(DATA / "handwritten_edge_cases.nk")))
    assert set(doc) == {"root", "nodes"}
    root = doc["root"]
    assert (root["fps"], root["first_frame"], root["last_frame"]) == (23.976, 1, 240)
    assert (root["width"], root["height"], root["format_name"]) == (1920, 1080, "HD_1080")
    assert root["colour"]["colorManagement"] == "Nuke" and root["colour"]["floatLut"] == "linear"
    assert all(set(n) == {"name", "class", "inputs", "knobs", "parent"} for n in doc["nodes"])
    merge = [n for n in doc["nodes"] if n["name"] == "Merge_inner"][0]
    assert merge == {
        "name": "Merge_inner",
        "class": "Merge2",
        "inputs": ["Read_plaque", "extra", "mask"],
        "knobs": {"operation": "plus"},
        "parent": "Groupe_etalonnage",
    }
    clone = [n for n in doc["nodes"] if n["name"] == "Blur1" and n["parent"] is None][0]
    assert clone["knobs"]["size"] == "{{parent.Read_plaque.first/10}}"
    assert clone["inputs"] == ["Read_plaque"]
    json.dumps(doc, ensure_ascii=False)


def test_inputs_default_to_one_whatever_the_class():
    script = parse_script("Read {\n inputs 0\n name A\n}\nRead {\n inputs 0\n name B\n}\nMerge2 {\n name M\n}\n")
    assert script.node("M").inputs == ["B"]
    script = parse_script("Read { inputs 0 name A }\nRead { inputs 0 name B }\nMerge2 { inputs 2 name M }\n")
    assert script.node("M").inputs == ["B", "A"]


def test_unnamed_nodes_get_nuke_style_names_avoiding_explicit_ones():
    script = parse_script("Blur {}\nBlur { name Blur1 }\nMerge2 { inputs 2 }\nOFXuk.co.thefoundry.keylight.keylight_v201 {}\n")
    assert [n.name for n in script.nodes] == ["Blur2", "Blur1", "Merge1", "Keylight1"]


def test_duplicate_names_are_renamed_with_a_warning():
    script = parse_script("Blur { name B }\nBlur { name B }\n")
    assert [n.name for n in script.nodes] == ["B", "B1"]
    assert "duplicate node name B" in script.warnings[0]


def test_single_line_blocks_and_stack_underflow():
    script = parse_script("push 0\nMerge2 { inputs 3 operation over name M }\n")
    assert script.node("M").inputs == [None, None, None]
    assert script.node("M").knobs == {"operation": "over"}


def test_undefined_variable_and_stray_end_group_are_tolerated():
    script = parse_script("push $Nmissing\nBlur { name B }\nend_group\n")
    assert script.node("B").inputs == [None]
    assert any("undefined variable" in w for w in script.warnings)
    assert any("end_group without" in w for w in script.warnings)


@pytest.mark.parametrize(
    "text, line",
    [
        ("Read {\n inputs 0\n name A\n}\nBlur {\n size 2\n", 5),
        ('Blur {\n label "open\n}\n', 2),
        ("Blur {\n size [value x\n}\n", 2),
        ("clone $Cnope {\n xpos 1\n}\n", 1),
    ],
)
def test_unbalanced_text_raises_with_a_line_number(text, line):
    with pytest.raises(NkParseError) as info:
        parse_script(text)
    assert info.value.line == line
    assert str(info.value).startswith(f"line {line}:")


def test_writer_reorders_inputs_after_edits_and_keeps_user_knob_order():
    script = parse_script("Blur { name B }\nRead { inputs 0 name R }\n")
    script.node("B").inputs = ["R"]
    again = parse_script(write_script(script))
    assert [n.name for n in again.nodes] == ["R", "B"]
    assert again.node("B").inputs == ["R"]
    text = write_script(load_script(str(DATA / "log2shaper_toolset.nk")))
    assert "addUserKnob {7 mid_grey l \"mid grey\" R 0.1 0.2}\n mid_grey 0.18\n" in text


def test_lexer_keeps_raw_words_and_values_decode():
    cmds = split_commands('Blur { size {{curve x1 0 x50 1}} label "a \\"b\\" \\[value size]" }\n')
    assert [w.raw for w in cmds[0].words][0] == "Blur"
    assert decode_value('"a \\"b\\" \\[value size]"') == 'a "b" [value size]'
    assert decode_value("{{curve x1 0}}") == "{curve x1 0}"
    assert encode_value("plain_word") == "plain_word"
    assert encode_value("two words [x] $y {z}") == '"two words \\[x\\] \\$y \\{z\\}"'
    assert decode_value(encode_value('line1\nline2 "q"')) == 'line1\nline2 "q"'


def test_crlf_and_bom_are_accepted():
    script = parse_script("\ufeffBlur {\r\n size 2\r\n name B\r\n}\r\n")
    assert script.node("B").knobs == {"size": "2"}


def test_writer_handles_long_reversed_chains_and_loops():
    from nuke_ai_panel.graph.nk_model import Node, Script

    chain = Script(nodes=[Node(f"B{i}", "Blur", {}, [f"B{i + 1}"] if i < 2999 else []) for i in range(3000)])
    again = parse_script(write_script(chain))
    assert again.nodes[0].name == "B2999" and again.node("B0").inputs == ["B1"]
    loop = Script(nodes=[Node("A", "Blur", {}, ["B"]), Node("B", "Blur", {}, ["A"])])
    again = parse_script(write_script(loop))
    assert again.node("A").inputs == ["B"] and again.node("B").inputs == [None]


# -- containers (issue 7, class 6) ------------------------------------------------------


@pytest.mark.parametrize("cls", ["LiveGroup", "VariableGroup", "Group", "Gizmo"])
def test_containers_hold_their_members_up_to_end_group(cls):
    text = (f"{cls} {{ name {cls}1 }}\nInput {{}}\nGrade {{}}\nOutput {{}}\nend_group\n"
            "Blur { name After }\n")
    script = parse_script(text)
    index = script.index()
    assert index[f"{cls}1.Grade1"].parent == f"{cls}1"
    assert index[f"{cls}1.Grade1"].inputs == [f"{cls}1.Input1"]
    assert index["After"].inputs == [f"{cls}1"] and index["After"].parent is None
    assert not script.warnings
    assert write_script(script) == text
    script.node("After").knobs["size"] = "3"
    again = parse_script(write_script(script))
    assert [n.full_name for n in again.nodes] == [n.full_name for n in script.nodes]
    assert "end_group" in write_script(script)


def test_one_list_of_container_classes_serves_reader_writer_and_lint():
    from nuke_ai_panel.graph.catalogue import OPEN_CLASSES
    from nuke_ai_panel.graph.lint import lint_text
    from nuke_ai_panel.graph.nk_model import GROUP_CLASSES
    from nuke_ai_panel.graph.nk_reader import CONTAINER_CLASSES

    assert CONTAINER_CLASSES is GROUP_CLASSES and OPEN_CLASSES is GROUP_CLASSES
    for cls in sorted(GROUP_CLASSES):
        text = (f"{cls} {{\n studio_knob 1\n name C1\n}}\n Input {{\n  inputs 0\n  name Input1\n }}\n"
                " Output {\n  name Output1\n }\nend_group\n")
        script = parse_script(text)
        assert script.node("C1").is_group and script.node("C1.Output1").parent == "C1", cls
        assert write_script(script) == text, cls
        assert lint_text(text) == [], cls


def test_a_published_livegroup_without_members_is_a_plain_node():
    text = ("Read {\n inputs 0\n name R\n}\nLiveGroup {\n file /shots/lg.nk\n published true\n"
            " name LG\n}\nBlur {\n name After\n}\n")
    script = parse_script(text)
    assert [(n.full_name, n.inputs, n.is_group) for n in script.nodes] == [
        ("R", [], False), ("LG", ["R"], False), ("After", ["LG"], False)]
    assert script.warnings == [
        "line 5: LiveGroup LG has no end_group and no indented members: read as a node "
        "without members"]
    assert write_script(script) == text


def test_end_group_closing_an_unknown_container_class_is_recovered_by_indentation():
    text = ("Read {\n inputs 0\n name R\n}\nStudioContainer {\n name C1\n}\n Input {\n  inputs 0\n"
            "  name Input1\n }\n Blur {\n  name Inner\n }\n Output {\n  name Output1\n }\n"
            "end_group\nGrade {\n name After\n}\n")
    script = parse_script(text)
    index = script.index()
    assert index["C1"].is_group and index["C1.Inner"].inputs == ["C1.Input1"]
    assert index["After"].inputs == ["C1"]
    assert script.warnings == [
        "line 5: end_group on line 18 closes StudioContainer C1, a class not known as a "
        "container: its members were read inside it"]
    assert write_script(script) == text
    nested = text.replace("Read {", "Group {\n name Outer\n}\n Read {", 1)
    nested = "".join((" " + line if line and i > 2 else line) + "\n"
                     for i, line in enumerate(nested.split("\n")[:-1])) + "end_group\n"
    inner = parse_script(nested)
    assert inner.node("Outer.C1.Inner").parent == "Outer.C1"
    assert inner.node("Outer.After").inputs == ["Outer.C1"]


# -- names (issue 7, class 6) -------------------------------------------------------------


def test_a_duplicate_name_never_takes_a_name_used_later_in_the_script():
    text = ("StickyNote { name StickyNote3 }\nStickyNote { name StickyNote3 }\n"
            "StickyNote { name StickyNote1 size 7 }\nBlur { size {{StickyNote1.size}} }\n")
    script = parse_script(text)
    assert [n.name for n in script.nodes] == ["StickyNote3", "StickyNote2", "StickyNote1", "Blur1"]
    assert script.node("StickyNote1").knobs == {"size": "7"}
    assert script.warnings == ["line 2: duplicate node name StickyNote3 renamed StickyNote2"]
    assert write_script(script) == text


def test_unnamed_nodes_are_named_linearly_and_skip_names_used_anywhere():
    count = 20000
    text = "Blur {\n inputs 0\n name Blur1\n}\nset Csrc [stack 0]\n" + "clone $Csrc {\n}\n" * count
    text += "Blur {\n name Blur5\n}\n"
    names = [n.name for n in parse_script(text).nodes]
    assert names[:5] == ["Blur1", "Blur2", "Blur3", "Blur4", "Blur6"]
    assert names[-2] == f"Blur{count + 2}" and names[-1] == "Blur5"
    assert len(set(names)) == len(names) == count + 2


# -- knob names -----------------------------------------------------------------------


def test_knob_names_with_spaces_are_decoded_and_written_back_as_read():
    text = ('OFXuk.co.thefoundry.keylight.keylight_v201 {\n "Screen Matte" 1\n'
            ' "screen colour" {0 1 0}\n name Keylight1\n}\n')
    script = parse_script(text)
    assert graph_json(script)["nodes"][0]["knobs"] == {"Screen Matte": "1",
                                                       "screen colour": "{0 1 0}"}
    assert write_script(script) == text
    script.node("Keylight1").knobs["Screen Matte"] = "0"
    script.node("Keylight1").knobs["despill bias"] = "{0.5 0.5 0.5}"
    out = write_script(script)
    assert ' "Screen Matte" 0\n' in out and ' "despill bias" {0.5 0.5 0.5}\n' in out
    assert parse_script(out).node("Keylight1").knobs["Screen Matte"] == "0"
