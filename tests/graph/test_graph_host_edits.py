"""The host methods the agent tools use: node_knobs, set_input, delete_nodes, undo(expect),
undo_names - the same behaviour from ScriptHost and from NukeHost over the fake ``nuke``."""

from __future__ import annotations

import pytest
from fake_nuke import FakeNuke, FakeNukescripts
from nk_data import read

from nuke_ai_panel.graph.host import Host, HostError
from nuke_ai_panel.graph.nuke_host import NukeHost
from nuke_ai_panel.graph.script_host import ScriptHost


def both(name: str):
    """(ScriptHost, NukeHost, the fake) over the same file."""
    fake = FakeNuke(read(name))
    return ScriptHost.from_text(read(name)), NukeHost(fake, FakeNukescripts(fake)), fake


def test_both_hosts_still_satisfy_the_protocol():
    script, nuke, _ = both("greenscreen_comp.nk")
    assert isinstance(script, Host) and isinstance(nuke, Host)


def test_script_host_node_knobs_are_what_the_script_sets():
    host = ScriptHost.from_text(read("handwritten_edge_cases.nk"))
    group = host.node_knobs("Groupe_etalonnage")
    assert not group.complete and group.node_class == "Group" and group.max_inputs is None
    assert {"name", "knobChanged", "amount", "reglages", "reset"} <= set(group.names)
    assert group.values["amount"] == "1.2" and "reset" not in group.values  # declared, at its default
    clone = host.node_knobs("Blur1", ["size", "xpos", "filter"])
    assert clone.values == {"size": "{{parent.Read_plaque.first/10}}", "xpos": "150"}
    with pytest.raises(HostError, match="no node named Nope"):
        host.node_knobs("Nope")


def test_nuke_host_node_knobs_are_every_live_knob():
    _, host, fake = both("greenscreen_comp.nk")
    knobs = fake.run_in_worker(host.node_knobs, "Grade_fg", ["white", "missing"])
    assert knobs.complete and knobs.node_class == "Grade"
    assert knobs.values == {"white": "{1.04 1 0.97 1}"}
    assert {"name", "white", "gamma", "black_clamp"} <= set(knobs.names)


def test_script_host_undo_checks_the_name_it_expects():
    host = ScriptHost.from_text(read("greenscreen_comp.nk"))
    before = host.to_text()
    host.set_knob("Grade_fg", "gamma", 2)
    host.set_input("Merge_over", 1, "Read_bg")
    changed = host.to_text()
    with pytest.raises(HostError, match="the last undo step is 'Connect', not 'Set gamma'"):
        host.undo(expect="Set gamma")
    assert host.to_text() == changed
    assert host.undo(expect="Connect") == "Connect" and host.undo(expect="Set gamma") == "Set gamma"
    assert host.to_text() == before
    with pytest.raises(HostError, match="nothing to undo, not 'Connect'"):
        host.undo(expect="Connect")
    assert host.undo() is None


def test_set_input_and_delete_are_one_undo_step_each_on_both_hosts():
    script, nuke, fake = both("greenscreen_comp.nk")
    for host, run in ((script, lambda f, *a: f(*a)), (nuke, fake.run_in_worker)):
        run(host.set_input, "Merge_over", 1, "Read_bg")
        run(host.delete_nodes, ["Blur_bgDefocus", "Grade_final"])
        assert run(host.undo_names) == ["Connect", "Delete"]
        inputs = {n.name: n.inputs for n in run(host.all_nodes)}
        assert "Blur_bgDefocus" not in inputs and inputs["Merge_over"][:2] == [None, "Read_bg"]
        assert not any(inputs["Write_comp"])  # ScriptHost: [None]; Nuke lists connected inputs only
    assert script.to_text() == fake.host.to_text()


def test_deleting_a_group_with_one_of_its_members_named_too():
    script, nuke, fake = both("log2shaper_toolset.nk")
    member = next(n.name for n in script.all_nodes() if n.parent == "Log2Shaper")
    script.delete_nodes([member, "Log2Shaper"])
    fake.run_in_worker(nuke.delete_nodes, [member, "Log2Shaper"])
    assert script.all_nodes() == [] and fake.host.all_nodes() == []
    assert fake.Undo.undoSize() == 1


def test_paste_goes_into_the_group_of_connect_to_on_both_hosts():
    script, nuke, fake = both("handwritten_edge_cases.nk")
    target = "Groupe_etalonnage.Grade_inner"
    assert script.paste_script("Blur {\n size 2\n}\n", target) == ["Groupe_etalonnage.Blur1"]
    assert fake.run_in_worker(nuke.paste_script, "Blur {\n size 2\n}\n", target) == ["Groupe_etalonnage.Blur1"]
    for host in (script, fake.host):
        assert host.script.node("Groupe_etalonnage.Blur1").inputs == [target]
