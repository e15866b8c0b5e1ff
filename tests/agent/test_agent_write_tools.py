"""Write tools propose without touching the comp, apply as exactly one named undo step
(undo restores the .nk text byte for byte), and refuse what cannot be done - on
ScriptHost and on NukeHost over the ``nuke`` stand-in."""

from __future__ import annotations

from collections import namedtuple

import pytest
from agent_hosts import Backend, make_backend
from fake_nuke import install
from nk_data import read

from nuke_ai_panel.agent import (
    REJECTED,
    ConnectInput,
    DeleteNodes,
    Proposal,
    SetKnobs,
    ToolRegistry,
    ToolResult,
)
from nuke_ai_panel.agent.write_tools import WriteContext, propose
from nuke_ai_panel.assist.actions import PASTE_BLOCKED, PasteNodes, RunPython
from nuke_ai_panel.graph.host import HostError
from nuke_ai_panel.graph.nuke_facade import FacadeNode
from nuke_ai_panel.graph.nuke_host import NukeHost

WRITES = {
    "create_nodes": ({"nk": "Blur {\n size 5\n name Blur_edge\n}\nGrade {\n gamma 1.1\n}\n",
                      "connect_to": "Grade_fg"}, "AI: create 2 nodes"),
    "set_knobs": ({"node": "Grade_fg", "values": {"white": [1, 1, 1, 1]},
                   "expressions": {"gamma": "parent.Blur_bgDefocus.size / 3"}},
                  "AI: set 2 knobs on Grade_fg"),
    "connect_nodes": ({"node": "Merge_over", "input": 1, "source": "Read_bg"},
                      "AI: connect Read_bg to Merge_over input 1"),
    "delete_nodes": ({"names": ["Blur_bgDefocus"]}, "AI: delete Blur_bgDefocus"),
    "run_python": ({"code": "import nuke\nnuke.toNode('Grade_fg')['gamma'].setValue(2)\n"
                            "nuke.nodes.Blur(name='Blur_py')\nprint('done', nuke.ask('sure?'))\n"},
                   "AI: run Python"),
}


def proposed(backend, name, args, **options):
    registry = ToolRegistry(backend.host, **options)
    before, steps = backend.text(), backend.undo_names()
    outcome = backend.run(registry.call, name, args)
    assert backend.text() == before and backend.undo_names() == steps
    return registry, outcome


def fails(backend, name, args, *needles, **options):
    _, result = proposed(backend, name, args, **options)
    assert isinstance(result, ToolResult) and not result.ok, result
    for needle in needles:
        assert needle in result.text, (needle, result.text)
    assert "Nothing was proposed; the comp is unchanged." in result.text
    return result


@pytest.mark.parametrize("tool", list(WRITES))
def test_each_write_proposes_then_applies_as_one_undo_step(backend, tool):
    args, title = WRITES[tool]
    before = backend.text()
    registry, proposal = proposed(backend, tool, args)
    assert isinstance(proposal, Proposal) and proposal.tool == tool and proposal.title == title
    assert proposal.allowed and proposal.describe() and "\n" not in proposal.summary
    result = backend.run(registry.apply, proposal)
    assert result.ok, result.text
    assert backend.undo_names() == [title]
    if backend.fake is not None:
        assert backend.fake.Undo.undoSize() == 1 and backend.fake.Undo.undoDescribe(0) == title
    assert backend.text() != before
    assert backend.run(backend.host.undo, title) == title
    assert backend.text() == before


def test_create_nodes_result_names_the_nodes_and_wiring(backend):
    registry, proposal = proposed(backend, "create_nodes", WRITES["create_nodes"][0])
    assert isinstance(proposal.action, PasteNodes)
    assert proposal.summary == "create Blur_edge, Grade1 after Grade_fg"
    assert "Grade_fg -> Blur_edge (input 0)" in proposal.describe()
    result = backend.run(registry.apply, proposal)
    assert result.details["created"] == ["Blur_edge", "Grade1"]
    assert "Blur_edge (Blur): input 0 <- Grade_fg" in result.text
    assert "Grade1 (Grade): input 0 <- Blur_edge" in result.text
    assert backend.inputs("Blur_edge") == ["Grade_fg"]


def test_create_nodes_without_connect_to_stays_unconnected(backend):
    backend.script.select(["Grade_fg"])  # the selection does not decide where the nodes go
    registry, proposal = proposed(backend, "create_nodes", {"nk": "Blur {\n size 2\n}\n"})
    assert "Blur1 is left unconnected (no connect_to given)" in proposal.describe()
    assert "selected" not in proposal.describe()
    assert backend.run(registry.apply, proposal).ok
    assert not any(backend.inputs("Blur1") or [])


def test_set_knobs_shows_old_and_new_values(backend):
    registry, proposal = proposed(backend, "set_knobs", WRITES["set_knobs"][0])
    assert isinstance(proposal.action, SetKnobs)
    preview = proposal.describe()
    assert "white: {1.04 1 0.97 1} -> {1 1 1 1}" in preview
    assert "gamma: 0.96 -> expression parent.Blur_bgDefocus.size / 3" in preview
    result = backend.run(registry.apply, proposal)
    assert "white: {1.04 1 0.97 1} -> {1 1 1 1}" in result.text
    assert 'gamma: 0.96 -> {{"parent.Blur_bgDefocus.size / 3"}}' in result.text
    node = backend.script.script.node("Grade_fg")
    assert node.knobs["gamma"] == '{{"parent.Blur_bgDefocus.size / 3"}}'


def test_set_knobs_can_rename_last(backend):
    registry, proposal = proposed(backend, "set_knobs",
                                  {"node": "Grade_fg", "values": {"name": "Grade_key", "gamma": 1.5}})
    assert [c.knob for c in proposal.action.changes] == ["gamma", "name"]
    result = backend.run(registry.apply, proposal)
    assert result.ok and "Set on Grade_key" in result.text and "name: Grade_fg -> Grade_key" in result.text
    assert backend.script.script.node("Grade_key").knobs["gamma"] == "1.5"


def test_connect_and_disconnect_report_the_new_inputs(backend):
    registry, proposal = proposed(backend, "connect_nodes", WRITES["connect_nodes"][0])
    assert isinstance(proposal.action, ConnectInput)
    assert proposal.describe() == "Merge_over input 1: Grade_fg -> Read_bg"
    result = backend.run(registry.apply, proposal)
    assert "Merge_over inputs now: 0: Blur_bgDefocus, 1: Read_bg." in result.text
    registry, proposal = proposed(backend, "connect_nodes", {"node": "Merge_over", "input": 0, "source": None})
    assert proposal.title == "AI: disconnect Merge_over input 0"
    backend.run(registry.apply, proposal)
    assert backend.inputs("Merge_over")[:2] == [None, "Read_bg"]


def test_delete_lists_what_loses_its_input(backend):
    registry, proposal = proposed(backend, "delete_nodes", {"names": ["Blur_bgDefocus", "Grade_final"]})
    assert isinstance(proposal.action, DeleteNodes)
    preview = proposal.describe()
    assert "Merge_over input 0 (was Blur_bgDefocus)" in preview and "Write_comp input 0 (was Grade_final)" in preview
    result = backend.run(registry.apply, proposal)
    assert "Merge_over input 0 (was Blur_bgDefocus) is now empty" in result.text
    assert result.details["deleted"] == ["Blur_bgDefocus", "Grade_final"]


def test_deleting_a_group_takes_its_members(monkeypatch):
    for kind in ("script", "nuke"):
        b = make_backend(kind, read("log2shaper_toolset.nk"), monkeypatch)
        registry, proposal = proposed(b, "delete_nodes", {"names": ["Log2Shaper"]})
        assert len(proposal.action.members) > 3 and "node(s) inside" in proposal.describe()
        before = b.text()
        assert b.run(registry.apply, proposal).ok
        assert not any(n.name.startswith("Log2Shaper") for n in b.script.all_nodes())
        b.run(b.host.undo, "AI: delete Log2Shaper")
        assert b.text() == before


def test_run_python_result_has_the_output(backend):
    registry, proposal = proposed(backend, "run_python", WRITES["run_python"][0])
    assert isinstance(proposal.action, RunPython) and proposal.action.risk.clean
    result = backend.run(registry.apply, proposal)
    assert "done False" in result.text and "[nuke.ask]" in result.text
    assert result.details["created"] == ["Blur_py"]


def test_run_python_failure_comes_back_with_the_traceback_and_changes_nothing(backend):
    before = backend.text()
    registry, proposal = proposed(backend, "run_python", {"code": "import nuke\nnuke.nodes.Blur()\nprint('half')\n1/0\n"})
    result = backend.run(registry.apply, proposal)
    assert not result.ok and "nothing was changed" in result.text
    assert "half" in result.text and "ZeroDivisionError" in result.text and 'line 4' in result.text
    assert backend.text() == before and backend.undo_names() == []
    assert registry.turn.steps == []


# -- refused before a proposal ---------------------------------------------------------------


def test_unknown_nodes_are_refused(backend):
    fails(backend, "set_knobs", {"node": "Grade_FG", "values": {"gamma": 1}}, "No node named 'Grade_FG' (did you mean Grade_fg?)")
    fails(backend, "connect_nodes", {"node": "Merge_over", "input": 0, "source": "Nope"}, "'Nope'")
    fails(backend, "delete_nodes", {"names": ["Grade_fg", "Ghost"]}, "No node named 'Ghost'")
    fails(backend, "create_nodes", {"nk": "Blur {}\n", "connect_to": "Grade9"}, "connect_to: No node named 'Grade9'")


def test_set_knobs_checks(backend):
    fails(backend, "set_knobs", {"node": "Grade_fg"}, "Nothing to set")
    fails(backend, "set_knobs", {"node": "Grade_fg", "values": {"gamma": 1}, "expressions": {"gamma": "2"}},
          "gamma: given in both")
    fails(backend, "set_knobs", {"node": "Grade_fg", "values": {"white.r": 1}}, "Not a knob name: 'white.r'")
    fails(backend, "set_knobs", {"node": "Grade_fg", "values": {"name": "Grade_final"}}, "already exists")
    fails(backend, "set_knobs", {"node": "Grade_fg", "values": {"name": "2 words"}}, "not a valid node name")
    fails(backend, "set_knobs", {"node": "Grade_fg", "expressions": {"name": "x"}}, "cannot follow an expression")


def test_unknown_knob_in_nuke_is_refused_with_the_nearest(monkeypatch):
    nuke = make_backend("nuke", read("greenscreen_comp.nk"), monkeypatch)
    fails(nuke, "set_knobs", {"node": "Grade_fg", "values": {"gama": 2}},
          "Grade_fg (Grade) has no knob named 'gama'. Did you mean gamma?")


class BlurCatalogue:
    """A complete class source, as the section 12 catalogue will be."""

    def class_info(self, name):
        if name == "Blur":
            return {"class": "Blur", "inputs": 2, "knobs": [{"name": n} for n in ("size", "filter", "mix")]}
        return None


def test_unknown_knob_in_the_script_host_depends_on_what_is_known(comp):
    script = Backend("script", comp, comp)
    fails(script, "set_knobs", {"node": "Blur_bgDefocus", "values": {"sizee": 3}},
          "Blur_bgDefocus (Blur) has no knob named 'sizee'. Did you mean size?", class_info=BlurCatalogue())
    _, listed = proposed(script, "set_knobs", {"node": "Blur_bgDefocus", "values": {"filter": "box"}},
                         class_info=BlurCatalogue())
    assert listed.action.warnings == ()
    _, seen = proposed(script, "set_knobs", {"node": "Grade_fg", "values": {"multiply": 2}})
    assert seen.action.warnings == ()  # Grade_final sets multiply, so a Grade has it
    _, catalogued = proposed(script, "set_knobs", {"node": "Grade_fg", "values": {"mix": 0.5}})
    assert catalogued.action.warnings == ()  # the catalogue lists every knob of a Grade
    fails(script, "set_knobs", {"node": "Grade_fg", "values": {"whitepoint_r": 0.9}},
          "Grade_fg (Grade) has no knob named 'whitepoint_r'. Did you mean whitepoint?")
    # A Read's knobs change with its file type: what the script does not set cannot be checked.
    _, unsure = proposed(script, "set_knobs", {"node": "Read_plate", "values": {"exr_prefix": 1}})
    assert isinstance(unsure, Proposal)
    assert "exr_prefix: not set on Read_plate in this script, so it cannot be checked here" \
        in unsure.describe()


def test_input_out_of_range_is_refused(backend):
    fails(backend, "connect_nodes", {"node": "Blur_bgDefocus", "input": 5, "source": "Read_bg"},
          "Blur_bgDefocus (Blur) has inputs 0-1; there is no input 5.", class_info=BlurCatalogue())
    if backend.fake is not None:  # Nuke itself knows: a Grade's maxInputs() is 2 (source, mask)
        fails(backend, "connect_nodes", {"node": "Grade_final", "input": 3, "source": "Read_bg"},
              "Grade_final (Grade) has inputs 0-1; there is no input 3.")


def test_loops_self_connections_and_no_ops_are_refused(backend):
    fails(backend, "connect_nodes", {"node": "Merge_over", "input": 0, "source": "Grade_final"},
          "would make a loop: Merge_over already feeds Grade_final (Merge_over -> Grade_final)")
    # Nuke itself knows a Read takes no input at all; the in-memory host sees the loop.
    fails(backend, "connect_nodes", {"node": "Read_plate", "input": 0, "source": "Write_comp"},
          "Read_plate already feeds Write_comp" if backend.fake is None
          else "Read_plate (Read) has no inputs; there is no input 0.")
    fails(backend, "connect_nodes", {"node": "Merge_over", "input": 2, "source": "Merge_over"}, "its own output")
    fails(backend, "connect_nodes", {"node": "Merge_over", "input": 1, "source": "Grade_fg"},
          "Input 1 of Merge_over is already connected to Grade_fg; nothing to change.")
    fails(backend, "connect_nodes", {"node": "Read_bg", "input": 0, "source": None},
          "already empty" if backend.fake is None else "Read_bg (Read) has no inputs")


def test_nodes_in_different_groups_are_not_connected(monkeypatch):
    for kind in ("script", "nuke"):
        b = make_backend(kind, read("log2shaper_toolset.nk"), monkeypatch)
        member = next(n.name for n in b.script.all_nodes() if n.name.startswith("Log2Shaper."))
        fails(b, "connect_nodes", {"node": member, "input": 0, "source": "Log2Shaper"}, "different groups")


def test_unreadable_or_empty_snippets_and_bad_code_are_refused(backend):
    fails(backend, "create_nodes", {"nk": "Blur {\n size 3\n"}, "could not be read")
    fails(backend, "create_nodes", {"nk": "# nothing here\n"}, "no nodes")
    fails(backend, "run_python", {"code": "def broken(:\n"}, "syntax error")


# -- blocked, rejected, stale --------------------------------------------------------------------


def test_code_running_content_is_blocked_when_code_execution_is_off(backend):
    snippet = "Blur {\n size 2\n onCreate \"import os; os.system('touch /tmp/x')\"\n}\n"
    before = backend.text()
    registry, proposal = proposed(backend, "create_nodes", {"nk": snippet}, allow_code=False)
    assert not proposal.allowed and PASTE_BLOCKED in proposal.describe()
    result = backend.run(registry.apply, proposal)
    assert not result.ok and result.text.startswith("Blocked, nothing was changed")
    registry, expr = proposed(backend, "set_knobs", {"node": "Grade_fg", "expressions": {"gamma": "[python 2]"}},
                              allow_code=False)
    assert not expr.allowed and "run code" in expr.describe()
    assert not backend.run(registry.apply, expr).ok
    python = backend.run(propose, WriteContext(backend.host, allow_code=False), "run_python",
                         {"code": "print(1)\n"})
    assert not python.allowed and "allow_code_execution" in python.describe()
    assert not backend.run(registry.apply, python).ok
    assert backend.text() == before and backend.undo_names() == [] and registry.turn.steps == []
    registry, flagged = proposed(backend, "create_nodes", {"nk": snippet})
    assert flagged.allowed and flagged.risk.findings  # code allowed: flagged, not blocked


def test_rejection_tells_the_model_and_changes_nothing(backend):
    registry, proposal = proposed(backend, "set_knobs", WRITES["set_knobs"][0])
    before = backend.text()
    plain = registry.reject(proposal)
    assert not plain.ok and plain.text == REJECTED and plain.details == {"rejected": True}
    again = backend.run(registry.apply, proposal)
    assert not again.ok and "already applied or rejected" in again.text
    other = backend.run(registry.call, "set_knobs", WRITES["set_knobs"][0])
    reasoned = registry.reject(other, "  too strong, keep gamma  ")
    assert reasoned.text == "the user rejected this change: too strong, keep gamma"
    assert backend.text() == before and registry.turn.steps == []


def test_a_proposal_is_applied_at_most_once(backend):
    registry, proposal = proposed(backend, "create_nodes", {"nk": "Blur {}\n", "connect_to": "Grade_fg"})
    assert backend.run(registry.apply, proposal).ok
    twice = backend.run(registry.apply, proposal)
    assert not twice.ok and "already applied" in twice.text
    assert backend.undo_names() == ["AI: create Blur1"] and len(registry.turn.steps) == 1


def test_a_stale_proposal_fails_without_changing_anything(backend):
    registry, proposal = proposed(backend, "set_knobs", WRITES["set_knobs"][0])
    backend.script.delete_nodes(["Grade_fg"])
    before, steps = backend.text(), backend.undo_names()
    result = backend.run(registry.apply, proposal)
    assert not result.ok and "no node named Grade_fg" in result.text and "nothing was changed" in result.text
    assert backend.text() == before and backend.undo_names() == steps


def test_a_failure_half_way_cancels_the_whole_step(backend, monkeypatch):
    registry, proposal = proposed(backend, "set_knobs", {"node": "Grade_fg", "values": {"gamma": 2, "white": 3}})
    before = backend.text()
    real = type(backend.host).set_knob

    def flaky(self, node, knob, value, expression=False):
        if knob == "white":
            raise HostError("Nuke refused white")
        return real(self, node, knob, value, expression)

    monkeypatch.setattr(type(backend.host), "set_knob", flaky)
    result = backend.run(registry.apply, proposal)
    assert not result.ok and "Nuke refused white" in result.text
    assert backend.text() == before and backend.undo_names() == []


Finding = namedtuple("Finding", "node kind name suggestion")


def test_lint_findings_join_the_preview(comp, monkeypatch):
    seen = []

    def lint(text):
        seen.append(text)
        return [Finding("Blur1", "unknown_knob", "sizee", "size")] if "sizee" in text else []

    registry = ToolRegistry(comp, lint=lint)
    proposal = registry.call("create_nodes", {"nk": "Blur {\n sizee 3\n}\n", "connect_to": "Grade_fg"})
    assert proposal.findings and "Blur1: unknown knob sizee (did you mean size?)" in proposal.describe()
    knobs = registry.call("set_knobs", {"node": "Blur_bgDefocus", "values": {"size": 4}})
    assert knobs.findings == () and seen[-1] == "Blur {\n name Blur_bgDefocus\n size 4\n}\n"


def test_nuke_host_new_methods_from_a_worker(monkeypatch):
    fake, scripts = install(monkeypatch, read("greenscreen_comp.nk"))
    host = NukeHost(fake, scripts)
    knobs = fake.run_in_worker(host.node_knobs, "Grade_fg", ["gamma", "nope"])
    assert knobs.complete and knobs.values == {"gamma": "0.96"} and "white" in knobs.names
    fake.run_in_worker(host.set_input, "Merge_over", 1, "Read_bg")
    fake.run_in_worker(host.delete_nodes, ["Blur_bgDefocus"])
    assert fake.run_in_worker(host.undo_names) == ["Connect", "Delete"]
    with pytest.raises(HostError, match="the last undo step is 'Delete', not 'Connect'"):
        fake.run_in_worker(host.undo, "Connect")
    assert fake.run_in_worker(host.undo, "Delete") == "Delete" and fake.Undo.undoSize() == 1
    assert fake.run_in_worker(host.undo) == "Connect" and fake.run_in_worker(host.undo) is None
    with pytest.raises(HostError, match="nothing to undo"):
        fake.run_in_worker(host.undo, "Connect")
    monkeypatch.setattr(FacadeNode, "setInput", lambda self, i, other: False)
    with pytest.raises(HostError, match="Nuke refused to connect Read_bg to input 1 of Merge_over"):
        fake.run_in_worker(host.set_input, "Merge_over", 1, "Read_bg")
    assert fake.Undo.undoSize() == 0 and fake.Undo.redoSize() == 2  # the refused step left nothing
