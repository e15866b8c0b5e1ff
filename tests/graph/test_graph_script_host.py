"""ScriptHost: the in-memory host on real scripts (paste, undo, knobs, running Python)."""

from __future__ import annotations

import json
import sys
import threading

import pytest
from nk_data import DATA, EXAMPLE, read

from nuke_ai_panel.graph.host import Host, HostError
from nuke_ai_panel.graph.nkscript import graph_json, parse_script
from nuke_ai_panel.graph.script_host import ScriptHost


def state(host: ScriptHost) -> str:
    return json.dumps(graph_json(host.script), sort_keys=True) + host.to_text()


@pytest.fixture
def comp() -> ScriptHost:
    return ScriptHost.from_file(str(EXAMPLE))


def test_is_a_host_and_reads_the_example(comp):
    assert isinstance(comp, Host)
    info = comp.root_info()
    assert (info["first_frame"], info["last_frame"], info["fps"]) == (1001, 1100, 24)
    assert info["colour"]["OCIO_config"] == "aces_1.2"
    names = [n.name for n in comp.all_nodes()]
    assert names[:3] == ["Backdrop_key", "Note_key", "Read_plate"]
    by_name = {n.name: n for n in comp.all_nodes()}
    assert by_name["Merge_over"].inputs == ["Blur_bgDefocus", "Grade_fg"]
    assert by_name["Copy_alpha"].inputs == ["Despill_green", "Merge_garbage"]
    assert by_name["Merge_garbage"].inputs == ["IBKGizmo_key", "Roto_garbage"]
    assert by_name["IBKGizmo_key"].inputs == ["Read_plate", "IBKColour_screen"]
    assert comp.selected_nodes() == []


def test_paste_renames_clashes_and_wires_to_the_selection(comp):
    comp.select(["Grade_fg"])
    created = comp.paste_script("Blur {\n size 3\n name Blur_bgDefocus\n}\nGrade {\n name Grade_fg\n}\n")
    assert created == ["Blur_bgDefocus1", "Grade_fg1"]
    assert comp.node("Blur_bgDefocus1").inputs == ["Grade_fg"]
    assert comp.node("Grade_fg1").inputs == ["Blur_bgDefocus1"]
    assert [n.name for n in comp.selected_nodes()] == created
    assert comp.undo_names() == ["Paste nodes"]


def test_paste_uses_nuke_numbering_for_numbered_names(comp):
    comp.create_node("Blur", name="Blur1")
    comp.create_node("Blur", name="Blur2")
    created = comp.paste_script("Blur { name Blur1 }\nBlur {}\n", connect_to="Read_bg")
    assert created == ["Blur3", "Blur4"]
    assert comp.node("Blur3").inputs == ["Read_bg"]


def test_paste_of_copied_nodes_keeps_internal_wiring(comp):
    text = comp.node_script(["Despill_green", "Copy_alpha", "Premult_fg"])
    assert text.startswith("set cut_paste_input [stack 0]\nversion 15.1 v1\n")
    snippet = parse_script(text, paste=True)
    assert snippet.node("Despill_green").inputs == ["$cut_paste_input"]
    assert snippet.node("Copy_alpha").inputs == ["Despill_green", None]
    comp.select([])
    created = comp.paste_script(text, connect_to="Read_bg")
    assert created == ["Despill_green1", "Copy_alpha1", "Premult_fg1"]
    assert comp.node("Despill_green1").inputs == ["Read_bg"]
    assert comp.node("Copy_alpha1").inputs == ["Despill_green1", None]
    assert comp.node("Premult_fg1").inputs == ["Copy_alpha1"]
    assert comp.node("Despill_green1").user_knobs == comp.node("Despill_green").user_knobs


def test_paste_a_group_with_clones_from_a_gizmo():
    host = ScriptHost.from_file(str(DATA / "encryptomatte.gizmo"))
    text = host.node_script(["Gizmo1"])
    target = ScriptHost.from_text(read("gamutcompress_toolset.nk"))
    created = target.paste_script(text)
    assert created[0] == "Gizmo1" and len(created) == 147
    clone = target.node("Gizmo1.Merge1")
    assert clone.clone_of == "Gizmo1.Merge_AB"
    assert target.script.effective_knobs(clone)["operation"] == host.script.effective_knobs(
        host.node("Gizmo1.Merge1")
    )["operation"]


def test_paste_bad_text_raises_and_changes_nothing(comp):
    before = state(comp)
    with pytest.raises(HostError, match="line 1"):
        comp.paste_script("Blur {\n size 2\n")
    assert state(comp) == before and comp.undo_names() == []


def test_undo_restores_exactly_and_redo_reapplies(comp):
    original = state(comp)
    with comp.undo_group("Build despill"):
        comp.paste_script("Grade { white 2 }\n", connect_to="Read_plate")
        comp.set_knob("Grade1", "gamma", 0.8)
        comp.set_knob("Grade_fg", "mix", "parent.Grade1.white", expression=True)
        comp.delete_nodes(["Blur_bgDefocus"])
    after = state(comp)
    assert comp.undo_names() == ["Build despill"]
    assert comp.node("Merge_over").inputs == [None, "Grade_fg"]
    assert comp.node("Grade_fg").knobs["mix"] == "{{parent.Grade1.white}}"
    assert comp.undo() == "Build despill"
    assert state(comp) == original
    assert comp.redo() == "Build despill"
    assert state(comp) == after


def test_failed_undo_group_is_cancelled(comp):
    original = state(comp)
    with pytest.raises(RuntimeError):
        with comp.undo_group("Broken"):
            comp.set_knob("Grade_fg", "gamma", 2)
            raise RuntimeError("boom")
    assert state(comp) == original and comp.undo_names() == []


def test_in_undo_group_keeps_other_threads_out_until_it_ends(comp):
    """The standalone app applies on a worker while the artist may edit on the UI thread:
    the artist's edit waits for the group to end and stays its own step."""
    def artist():
        with comp.undo_group("Artist"):
            comp.set_knob("Grade_fg", "mix", 0.5)

    def ai():
        comp.set_knob("Grade_fg", "gamma", 2)
        other = threading.Thread(target=artist, daemon=True)
        other.start()
        other.join(0.2)
        return other, other.is_alive()

    step = comp.in_undo_group("AI: grade", ai)
    other, waited = step.value
    other.join(10)
    assert waited and step.recorded and not other.is_alive()
    assert comp.undo_names() == ["AI: grade", "Artist"]
    assert comp.undo("Artist") == "Artist" and comp.node("Grade_fg").knobs["gamma"] == "2"
    assert comp.in_undo_group("AI: nothing", lambda: 7) == (7, False)

    def broken():
        comp.set_knob("Grade_fg", "mix", 1)
        raise RuntimeError("model was wrong")

    before = state(comp)
    with pytest.raises(RuntimeError, match="model was wrong"):
        comp.in_undo_group("AI: broken", broken)
    assert state(comp) == before and comp.undo_names() == ["AI: grade"]


def test_each_edit_outside_a_group_is_its_own_step(comp):
    comp.set_knob("Blur_bgDefocus", "size", 5)
    comp.set_knob("Grade_final", "multiply", 1.1)
    assert comp.undo_names() == ["Set size", "Set multiply"]
    comp.undo()
    assert comp.node("Blur_bgDefocus").knobs["size"] == "5"
    assert comp.node("Grade_final").knobs["multiply"] == "1.02"


def test_selection_changes_are_not_undo_steps(comp):
    comp.select(["Read_plate"])
    assert comp.undo_names() == []
    with pytest.raises(HostError):
        comp.select(["NoSuchNode"])


def test_rename_and_delete_update_references(comp):
    comp.rename("Grade_fg", "Grade_hero")
    assert comp.node("Merge_over").inputs == ["Blur_bgDefocus", "Grade_hero"]
    comp.delete_nodes(["Premult_fg"])
    assert comp.node("Grade_hero").inputs == [None]
    again = parse_script(comp.to_text())
    assert again.node("Merge_over").inputs == ["Blur_bgDefocus", "Grade_hero"]


def test_clone_knobs_are_shared_and_promoted_on_delete():
    host = ScriptHost.from_file(str(DATA / "handwritten_edge_cases.nk"))
    host.set_knob("Blur1", "channels", "rgba")
    assert host.node("Blur_clone_src").knobs["channels"] == "rgba"
    host.set_knob("Blur1", "xpos", 300)
    assert host.node("Blur1").knobs["xpos"] == "300"
    host.delete_nodes(["Blur_clone_src"])
    promoted = host.node("Blur1")
    assert promoted.clone_of is None and promoted.knobs["channels"] == "rgba"
    assert promoted.knobs["size"] == "{{parent.Read_plaque.first/10}}"


def test_set_input_refuses_loops_and_cross_group_wires():
    host = ScriptHost.from_file(str(DATA / "log2shaper_toolset.nk"))
    with pytest.raises(HostError, match="loop"):
        host.set_input("Log2Shaper.Dot", 0, "Log2Shaper.switch_direction")
    with pytest.raises(HostError, match="different groups"):
        host.set_input("Log2Shaper.Dot", 0, "Log2Shaper")


def test_node_script_of_a_group_member_is_pasteable():
    host = ScriptHost.from_file(str(DATA / "log2shaper_toolset.nk"))
    text = host.node_script(["Log2Shaper.switch_negatives1"])
    snippet = parse_script(text, paste=True)
    assert [n.name for n in snippet.nodes] == ["switch_negatives1"]
    assert snippet.nodes[0].inputs == ["$cut_paste_input", None, None]


def test_nodes_in_error_static_and_reported(comp):
    assert comp.nodes_in_error() == []
    comp.set_knob("Read_bg", "file", "")
    comp.set_node_error("Merge_over", "A input: channel count mismatch")
    errors = {e.name: e for e in comp.nodes_in_error()}
    assert errors["Read_bg"].error.startswith("no file name")
    assert errors["Merge_over"].error == "A input: channel count mismatch"


def test_save_writes_the_script(tmp_path, comp):
    comp.set_knob("Grade_fg", "gamma", 0.9)
    target = comp.save(str(tmp_path / "out.nk"))
    again = ScriptHost.from_file(target)
    assert again.node("Grade_fg").knobs["gamma"] == "0.9"
    assert again.to_text() == comp.to_text()


# -- run_python ---------------------------------------------------------------------------


def test_run_python_builds_nodes_and_captures_output(comp):
    had_nuke = "nuke" in sys.modules
    code = (
        "import nuke\n"
        "from nuke import toNode\n"
        "plate = toNode('Read_plate')\n"
        "print(plate.Class(), plate['first'].value())\n"
        "for n in nuke.allNodes('Grade'):\n"
        "    n['mix'].setValue(0.5)\n"
        "plate.setSelected(True)\n"
        "d = nuke.createNode('Dot')\n"
        "b = nuke.nodes.Blur(size=4, inputs=[d])\n"
        "b['size'].setExpression('parent.Grade_fg.gamma * 2')\n"
        "print(d.input(0).name(), b.input(0).name(), b['size'].toScript())\n"
    )
    ok, output, tb = comp.run_python(code)
    assert ok and tb == ""
    assert output.splitlines() == ["Read 1001", "Read_plate Dot1 {{\"parent.Grade_fg.gamma * 2\"}}"]
    assert comp.node("Grade_final").knobs["mix"] == "0.5"
    assert comp.node("Blur1").inputs == ["Dot1"]
    assert comp.undo_names() == ["Run Python"]
    assert ("nuke" in sys.modules) == had_nuke


def test_failed_code_inside_an_outer_group_restores_only_its_own_changes(comp):
    with comp.undo_group("AI: apply"):
        comp.set_knob("Grade_fg", "gamma", 2)
        ok, _, _ = comp.run_python("import nuke\nnuke.nodes.Blur()\n1/0\n")
    assert not ok and comp.script.node("Blur1") is None
    assert comp.node("Grade_fg").knobs["gamma"] == "2" and comp.undo_names() == ["AI: apply"]


def test_run_python_error_restores_the_graph_and_returns_the_traceback(comp):
    before = state(comp)
    code = "import nuke\nnuke.nodes.Blur()\nnuke.toNode('Grade_fg')['gamma'].setValue(3)\n\nnuke.toNode('Nope').name()\n"
    ok, output, tb = comp.run_python(code)
    assert not ok
    assert 'File "<model code>", line 5' in tb and "nuke.toNode('Nope').name()" in tb
    assert tb.rstrip().endswith("AttributeError: 'NoneType' object has no attribute 'name'")
    assert "script_host.py" not in tb
    assert state(comp) == before and comp.undo_names() == []


def test_run_python_dialogs_do_not_block(comp):
    code = (
        "import nuke\n"
        "if nuke.ask('Delete all Blur nodes?'):\n"
        "    [nuke.delete(n) for n in nuke.allNodes('Blur')]\n"
        "name = nuke.getInput('New name', 'Grade_x')\n"
        "nuke.toNode('Grade_fg').setName(name)\n"
        "nuke.message('done')\n"
    )
    ok, output, tb = comp.run_python(code)
    assert ok, tb
    assert "[nuke.ask] 'Delete all Blur nodes?' -> answered No" in output
    assert "[nuke.getInput] 'New name' -> returned 'Grade_x'" in output
    assert "[nuke.message] done" in output
    assert comp.node("Blur_bgDefocus") is not None and comp.node("Grade_x") is not None


def test_run_python_syntax_error_and_exit(comp):
    ok, output, tb = comp.run_python("for x in\n")
    assert not ok and "SyntaxError" in tb and "<model code>" in tb
    before = state(comp)
    ok, _, tb = comp.run_python("import nuke, sys\nnuke.nodes.Blur()\nsys.exit(2)\n")
    assert not ok and "SystemExit" in tb and state(comp) == before


def test_run_python_node_copy_and_paste_through_the_clipboard(comp, tmp_path):
    path = (tmp_path / "copy.nk").as_posix()
    code = (
        "import nuke\n"
        "for n in nuke.selectedNodes():\n    n.setSelected(False)\n"
        "nuke.toNode('Grade_fg').setSelected(True)\n"
        f"assert nuke.nodeCopy('{path}')\n"
        "nuke.nodeCopy('%clipboard%')\n"
        "pasted = nuke.nodePaste('%clipboard%')\n"
        f"again = nuke.nodePaste('{path}')\n"
        "print(pasted.name(), pasted.input(0).name(), again.name(), again.input(0).name())\n"
    )
    ok, output, tb = comp.run_python(code)
    assert ok, tb
    assert output.strip() == "Grade_fg1 Grade_fg Grade_fg2 Grade_fg1"


def test_run_python_group_context_and_root(comp):
    host = ScriptHost.from_file(str(DATA / "log2shaper_toolset.nk"))
    code = (
        "import nuke\n"
        "g = nuke.toNode('Log2Shaper')\n"
        "with g:\n"
        "    inner = [n.name() for n in nuke.allNodes('Switch')]\n"
        "    b = nuke.createNode('Blur')\n"
        "print(sorted(inner), b.fullName(), nuke.root().name())\n"
        "print(len(nuke.allNodes(recurseGroups=True)))\n"
    )
    ok, output, tb = host.run_python(code)
    assert ok, tb
    first, second = output.splitlines()
    assert first == "['switch_direction', 'switch_negatives', 'switch_negatives1'] Log2Shaper.Blur1 root"
    assert second == "16"


def test_run_python_unknown_api_is_a_clear_error(comp):
    ok, _, tb = comp.run_python("import nuke\nnuke.activeViewer()\n")
    assert not ok and "not available in the in-memory host" in tb


def test_run_python_knob_items_and_stale_handles(comp):
    code = (
        "import nuke\n"
        "g = nuke.toNode('Grade_fg')\n"
        "g['white'].setValue(2, 1)\n"
        "g['gamma'].setExpression('parent.x', 2)\n"
        "print(g['white'].value(), g['white'].value(1), g['gamma'].toScript())\n"
        "b = nuke.nodes.Blur()\n"
        "nuke.delete(b)\n"
        "try:\n    b.name()\nexcept ValueError as exc:\n    print('stale:', exc)\n"
    )
    ok, output, tb = comp.run_python(code)
    assert ok, tb
    assert output.splitlines() == [
        "[1.04, 2, 0.97, 1] 2 {0.96 0 {parent.x}}",
        "stale: A PythonObject is not attached to a node",
    ]
