"""Writing a script back: unedited scripts byte for byte, edits touching only their lines."""

from __future__ import annotations

import difflib
import random
from typing import Any, List

import pytest
from nk_data import ALL_FILES, DATA, EXAMPLE, read

from nuke_ai_panel.graph import nk_body, nk_reader
from nuke_ai_panel.graph.nk_model import Node, Script
from nuke_ai_panel.graph.nk_writer import _Writer
from nuke_ai_panel.graph.nkscript import graph_json, parse_script, script_bytes, write_script
from nuke_ai_panel.graph.script_host import ScriptHost

FILES = ALL_FILES + ("greenscreen_comp.nk",)


def _path(name: str):
    return EXAMPLE if name == "greenscreen_comp.nk" else DATA / name


def _changed(before: str, after: str) -> List[str]:
    """The lines removed or added between two texts."""
    return [line for line in difflib.unified_diff(before.splitlines(), after.splitlines(),
                                                  lineterm="", n=0)
            if line[:1] in "+-" and not line.startswith(("+++", "---"))]


# -- unedited scripts -------------------------------------------------------------------


@pytest.mark.parametrize("name", FILES)
def test_unedited_script_is_written_back_byte_for_byte(name):
    data = _path(name).read_bytes()
    host = ScriptHost.from_file(str(_path(name)))
    assert host.to_bytes() == data


@pytest.mark.parametrize("name", FILES)
@pytest.mark.parametrize("variant", ["crlf", "mixed", "bom", "no final newline"])
def test_line_ends_bom_and_missing_final_newline_stay(name, variant):
    text = read(name).replace("\r\n", "\n")
    lines = text.split("\n")
    if variant == "crlf":
        text = text.replace("\n", "\r\n")
    elif variant == "mixed":
        text = "".join(line + ("\r\n" if i % 3 else "\n") for i, line in enumerate(lines[:-1]))
        text += lines[-1]
    elif variant == "bom":
        text = "\ufeff" + text
    else:
        text = text.rstrip("\n")
    script = parse_script(text)
    assert write_script(script) == text
    assert script_bytes(script) == text.encode("utf-8")


def test_crlf_script_stays_crlf_after_an_edit():
    text = read("greenscreen_comp.nk").replace("\n", "\r\n")
    host = ScriptHost.from_text(text)
    host.set_knob("Grade_fg", "gamma", 0.8)
    host.create_node("Dot", inputs=["Grade_fg"])
    out = host.to_text()
    assert "\n" not in out.replace("\r\n", "")
    assert parse_script(out).node("Grade_fg").knobs["gamma"] == "0.8"


def test_latin1_script_is_written_back_in_latin1(tmp_path):
    data = read("greenscreen_comp.nk").replace("KEY — plate A", "cl\u00e9").encode("latin-1")
    path = tmp_path / "old.nk"
    path.write_bytes(data)
    host = ScriptHost.from_file(str(path))
    assert host.to_bytes() == data
    host.set_knob("Grade_fg", "gamma", 0.8)
    assert host.to_bytes().decode("latin-1").count("cl\u00e9") == 1


def test_handwritten_edge_cases_keep_what_nuke_reads():
    """The faults issue 7 names: Root knob order, stack variable and clone id names,
    ``selected false``: unedited, and next to an unrelated edit."""
    text = read("handwritten_edge_cases.nk")
    host = ScriptHost.from_text(text)
    assert host.to_text() == text
    host.set_knob("Write_out", "file_type", "dpx")
    out = host.to_text()
    assert _changed(text, out) == ["- file_type exr", "+ file_type dpx"]
    assert 'addUserKnob {1 shot_code l "Shot"}\n shot_code "PLN_010"\n}' in out
    assert "set Nread [stack 0]\n" in out and "push $Nread\n" in out
    assert "set C7f3a2c01d400 [stack 0]\npush $Nread\nclone $C7f3a2c01d400 {" in out
    assert " selected false\n" in out


# -- edits -----------------------------------------------------------------------------


def test_a_knob_edit_changes_only_its_line():
    text = read("greenscreen_comp.nk")
    host = ScriptHost.from_text(text)
    host.set_knob("Grade_fg", "gamma", 0.8)
    old = [line for line in text.splitlines() if line.startswith(" gamma")]
    assert len(_changed(text, host.to_text())) == 2 and old
    host.set_knob("Grade_fg", "mix_luminance", 0.3)
    added = _changed(text, host.to_text())
    assert "+ mix_luminance 0.3" in added and len(added) == 3


def test_a_new_knob_goes_before_name_and_a_user_knob_value_after_its_definition():
    text = "Group {\n size 1\n name G\n xpos 0\n addUserKnob {20 User}\n addUserKnob {7 amount}\n}\nend_group\n"
    host = ScriptHost.from_text(text)
    host.set_knob("G", "amount", 2)
    host.set_knob("G", "label", "hi")
    out = host.to_text()
    assert out == ("Group {\n size 1\n label hi\n name G\n xpos 0\n addUserKnob {20 User}\n"
                   " addUserKnob {7 amount}\n amount 2\n}\nend_group\n")


def test_root_user_knob_value_stays_after_its_definition_when_edited():
    host = ScriptHost.from_text(read("handwritten_edge_cases.nk"))
    host.set_root_knob_raw("shot_code", '"PLN_020"')
    host.set_root_knob_raw("fps", "25")
    out = host.to_text()
    assert 'addUserKnob {1 shot_code l "Shot"}\n shot_code "PLN_020"\n}' in out
    assert " fps 25\n" in out and out.index(" fps 25") < out.index("addUserKnob {20 Studio}")


def test_a_root_written_from_scratch_puts_user_knob_values_after_their_definitions():
    script = Script(root={"fps": "24", "shot": "A"}, root_user_knobs=["{20 S}", "{1 shot}"],
                    has_root=True)
    assert write_script(script) == (
        "Root {\n inputs 0\n fps 24\n addUserKnob {20 S}\n addUserKnob {1 shot}\n shot A\n}\n")


def test_rename_delete_and_rewire_touch_only_the_lines_they_need():
    text = read("greenscreen_comp.nk")
    host = ScriptHost.from_text(text)
    host.rename("Grade_fg", "Grade_hero")
    assert _changed(text, host.to_text()) == ["- name Grade_fg", "+ name Grade_hero"]
    host = ScriptHost.from_text(text)
    host.delete_nodes(["Note_key"])
    assert _changed(text, host.to_text()) == [
        "-StickyNote {", "- inputs 0", "- name Note_key",
        '- label "Screen is uneven at frame left; garbage matte keeps the rig out.\\nDespill'
        ' before the grade."', "- xpos -500", "- ypos -520", "-}"]
    host = ScriptHost.from_text(text)
    host.set_input("Merge_over", 0, "Read_bg")
    changed = _changed(text, host.to_text())
    assert changed and all(line[1:].startswith(("push ", "set ")) for line in changed), changed
    assert parse_script(host.to_text()).node("Merge_over").inputs == ["Read_bg", "Grade_fg"]
    host = ScriptHost.from_text(text)
    host.select(["Read_plate"])
    host.paste_script("Grade { white 2 }\n")
    assert _changed(text, host.to_text()) == [
        "+push $Nplate", "+Grade {", "+ white 2", "+ name Grade1", "+ selected true", "+}"]


def test_a_container_read_to_the_end_of_the_text_gets_end_group_only_when_needed():
    text = "Group {\n name G\n}\n Blur {\n  name B\n }\n"
    host = ScriptHost.from_text(text)
    assert host.script.warnings == ["line 1: group G has no end_group"]
    assert host.to_text() == text
    host.create_node("Dot", inputs=["G"])
    again = parse_script(host.to_text())
    assert again.node("Dot1").inputs == ["G"] and again.node("G.B").parent == "G"


def test_undo_gives_back_the_exact_text():
    text = read("handwritten_edge_cases.nk")
    host = ScriptHost.from_text(text)
    with host.undo_group("Edits"):
        host.set_knob("Groupe_etalonnage.Grade_inner", "multiply", 3)
        host.delete_nodes(["Roto_cache"])
        host.paste_script("Blur { size 4 }\n", connect_to="Read_plaque")
        host.rename("Blur_clone_src", "Source")
    edited = host.to_text()
    assert edited != text
    host.undo()
    assert host.to_text() == text
    host.redo()
    assert host.to_text() == edited


def _signature(script: Script, order: List[Node]) -> List[Any]:
    """Each node by its place in ``order``: class, group, inputs, knobs, selection, user
    knobs, and name (clones are named by the reader, so theirs is left out)."""
    place = {n.full_name: i for i, n in enumerate(order)}
    index = script.index()

    def ref(name: Any) -> Any:
        return place.get(name, name)

    return [(n.node_class, ref(n.parent), [ref(i) for i in n.inputs],
             script.effective_knobs(n, index), n.selected, list(n.user_knobs), n.is_group,
             None if n.clone_of else n.name, ref(n.clone_of)) for n in order]


@pytest.mark.parametrize("name", FILES)
def test_edited_scripts_read_back_as_the_graph_in_memory(name):
    rnd = random.Random(name)
    host = ScriptHost.from_text(read(name))
    for _ in range(12):
        nodes = host.script.nodes
        node = rnd.choice(nodes)
        siblings = [n for n in nodes if n.parent == node.parent and n is not node]
        action = rnd.randrange(7)
        try:
            if action == 0 and node.knobs:
                host.set_knob_raw(node.full_name, rnd.choice(list(node.knobs)), "{{frame}}")
            elif action == 1:
                host.rename(node.full_name, node.name + "_x")
            elif action == 2 and len(nodes) > 3:
                host.delete_nodes([node.full_name])
            elif action == 3 and siblings:
                host.set_input(node.full_name, rnd.randrange(2), rnd.choice(siblings).full_name)
            elif action == 4:
                host.paste_script(host.node_script([node.full_name]), parent=node.parent)
            elif action == 5:
                host.create_node("Dot", inputs=[node.full_name], parent=node.parent)
            else:
                host.set_selected(node.full_name, not node.selected)
        except Exception as exc:  # refused edits (loops, cross-group wires) change nothing
            assert "loop" in str(exc) or "group" in str(exc), exc
        writer = _Writer(host.script, False)
        text = writer.write()
        again = parse_script(text)
        assert _signature(again, again.nodes) == _signature(host.script, writer.order)
        assert again.root == host.script.root


# -- the fast path reads what the word scanner reads ----------------------------------------


@pytest.mark.parametrize("name", FILES)
def test_fast_knob_reading_agrees_with_the_word_scanner(name, monkeypatch):
    fast = parse_script(read(name))
    never = type("Never", (), {"search": staticmethod(lambda text, pos: None),
                               "findall": staticmethod(lambda text, a, b: [("", "")])})
    monkeypatch.setattr(nk_reader, "_close_line", never.search)
    monkeypatch.setattr(nk_body, "CLOSE_LINE", never)
    monkeypatch.setattr(nk_body, "KNOB_PAIRS", never)
    slow = parse_script(read(name))
    assert graph_json(slow) == graph_json(fast)
    assert [n.user_knobs for n in slow.nodes] == [n.user_knobs for n in fast.nodes]
    assert write_script(slow) == read(name)


def test_names_the_reader_gave_are_written_only_when_a_reread_would_change_them():
    text = "Blur {\n}\nBlur {\n name Blur1\n}\nGrade {\n name G\n}\nBlur {\n name B\n}\nBlur {\n name B\n}\n"
    host = ScriptHost.from_text(text)
    assert [n.name for n in host.script.nodes] == ["Blur2", "Blur1", "G", "B", "B1"]
    host.set_knob("G", "white", 2)
    assert _changed(text, host.to_text()) == ["+ white 2"]
    host.rename("Blur1", "Blur_hero")
    out = host.to_text()
    assert _changed(text, out) == ["+ name Blur2", "- name Blur1", "+ name Blur_hero", "+ white 2"]
    assert [n.name for n in parse_script(out).nodes] == ["Blur2", "Blur_hero", "G", "B", "B1"]


def test_any_readable_text_is_written_back_as_it_was():
    """Random command soup: whatever the reader accepts comes back unchanged, and
    whatever it refuses is refused with a line number."""
    from nuke_ai_panel.graph.nk_lexer import NkParseError

    pieces = ["Blur {", "}", "\n", " ", "\r\n", "\\", "]", "{a b}", '"q r"', "[x]", "name B",
              "push $N1", "set N1 [stack 0]", "end_group", "Group {", "clone $N1 {", "inputs 2",
              "#c", "x", "$", "\t", "LiveGroup {", "  ", "Root {", "addUserKnob {20 U}",
              "\ufeff", "selected true", '"Screen Matte" 1', "{{curve}}", "version 15", "{", '"']
    rnd = random.Random(20240607)
    read_back = 0
    for _ in range(3000):
        text = "".join(rnd.choice(pieces) for _ in range(rnd.randrange(1, 30)))
        try:
            script = parse_script(text)
        except NkParseError as exc:
            assert exc.line >= 1
            continue
        assert write_script(script) == text
        read_back += 1
    assert read_back > 300
