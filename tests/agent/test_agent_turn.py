"""A multi-step turn: each applied write one undo step, "Undo this turn" restores the .nk
text byte for byte (undo groups counted in the ``nuke`` stand-in), and never undoes what
the artist did since. Plus the issue's acceptance example, "Add a blur after the grade"."""

from __future__ import annotations

import json

from agent_hosts import make_backend

from nuke_ai_panel.agent import Proposal, ToolRegistry
from nuke_ai_panel.graph.nkscript import parse_script
from nuke_ai_panel.graph.script_host import ScriptHost

STEPS = [
    ("create_nodes", {"nk": "Blur {\n size 4\n}\n", "connect_to": "Grade_fg"}),
    ("set_knobs", {"node": "Blur1", "values": {"size": 8}}),
    ("connect_nodes", {"node": "Merge_over", "input": 1, "source": "Blur1"}),
    ("run_python", {"code": "print('nothing changed')\n"}),
    ("delete_nodes", {"names": ["Transform_bgShake"]}),
    ("run_python", {"code": "import nuke\nnuke.toNode('Grade_final')['gamma'].setValue(1.2)\n"}),
]
TITLES = ["AI: create Blur1", "AI: set Blur1.size", "AI: connect Blur1 to Merge_over input 1",
          "AI: delete Transform_bgShake", "AI: run Python"]


def run_turn(backend, registry, rejected=()):
    results = []
    for index, (name, args) in enumerate(STEPS):
        proposal = backend.run(registry.call, name, args)
        assert isinstance(proposal, Proposal), proposal
        if index in rejected:
            results.append(registry.reject(proposal))
        else:
            results.append(backend.run(registry.apply, proposal))
    return results


def test_undo_this_turn_restores_the_text_byte_for_byte(backend):
    before = backend.text()
    registry = ToolRegistry(backend.host)
    results = run_turn(backend, registry)
    assert all(r.ok for r in results), [r.text for r in results]
    assert backend.undo_names() == TITLES  # the print-only run left no undo step
    assert [s.recorded for s in registry.turn.steps] == [True, True, True, False, True, True]
    if backend.fake is not None:
        assert backend.fake.Undo.undoSize() == len(TITLES)
    assert backend.inputs("Merge_over") == ["Blur_bgDefocus", "Blur1"]
    report = backend.run(registry.undo_turn)
    assert report.ok and report.undone == list(reversed(TITLES)) and report.left == []
    assert backend.text() == before
    assert backend.undo_names() == [] and registry.turn.steps == []
    if backend.fake is not None:
        assert backend.fake.Undo.undoSize() == 0 and backend.fake.Undo.redoSize() == len(TITLES)
    assert backend.run(registry.undo_turn).message == "Nothing to undo in this turn."


def test_rejected_steps_are_not_undone_because_they_never_happened(backend):
    registry = ToolRegistry(backend.host)
    before = backend.text()
    results = run_turn(backend, registry, rejected={2, 4})
    assert [r.ok for r in results] == [True, True, False, True, False, True]
    assert results[2].text == "the user rejected this change"
    assert backend.undo_names() == ["AI: create Blur1", "AI: set Blur1.size", "AI: run Python"]
    assert backend.run(registry.undo_turn).ok
    assert backend.text() == before


def test_undo_this_turn_stops_at_a_change_the_artist_made(backend):
    registry = ToolRegistry(backend.host)
    run_turn(backend, registry)
    backend.script.set_knob("Grade_fg", "gamma", 3)  # the artist, between the turn and the undo
    after_artist = backend.text()
    report = backend.run(registry.undo_turn)
    assert not report.ok and report.undone == []
    assert "Stopped before 'AI: run Python'" in report.message
    assert "the last undo step is 'Set gamma'" in report.message
    assert report.left == TITLES
    assert backend.text() == after_artist  # the artist's change is kept
    backend.run(backend.host.undo, "Set gamma")  # once the artist undoes it, the turn can go
    assert backend.run(registry.undo_turn).ok


def test_a_turn_partly_undone_by_hand_undoes_the_rest(backend):
    registry = ToolRegistry(backend.host)
    before = backend.text()
    for name, args in STEPS[:2]:
        backend.run(registry.apply, backend.run(registry.call, name, args))
    backend.run(backend.host.undo)  # Ctrl+Z on "AI: set Blur1.size"
    report = backend.run(registry.undo_turn)
    assert not report.ok and "Stopped before 'AI: set Blur1.size'" in report.message
    assert backend.text() != before


def test_a_forgotten_turn_undoes_nothing(backend):
    """Another comp replaced this one: "Undo this turn" leaves the old comp alone."""
    registry = ToolRegistry(backend.host)
    run_turn(backend, registry)
    after = backend.text()
    registry.turn.forget()
    report = backend.run(registry.undo_turn)
    assert report.ok and report.undone == [] and report.message == "Nothing to undo in this turn."
    assert backend.text() == after and backend.undo_names() == TITLES


ACCEPTANCE = "Add a blur after the grade"


def test_add_a_blur_after_the_grade(small, tmp_path):
    """The model lists the Grade nodes, then creates a Blur connected to Grade1."""
    registry = ToolRegistry(small.host)
    found = json.loads(small.run(registry.call, "list_nodes", {"class": "Grade"}).text)
    assert [n["name"] for n in found["nodes"]] == ["Grade1"]
    proposal = small.run(registry.call, "create_nodes",
                         '{"nk": "Blur {\\n size 3\\n}\\n", "connect_to": "Grade1"}')
    assert isinstance(proposal, Proposal) and proposal.title == "AI: create Blur1"
    assert small.inputs("Blur1") is None  # nothing before approval
    result = small.run(registry.apply, proposal)
    assert result.ok and "Blur1 (Blur): input 0 <- Grade1" in result.text
    assert small.undo_names() == ["AI: create Blur1"]
    out = tmp_path / "out.nk"
    out.write_text(small.text(), encoding="utf-8")
    saved = parse_script(out.read_text(encoding="utf-8"))
    blur = saved.node("Blur1")
    assert blur is not None and blur.node_class == "Blur" and blur.inputs == ["Grade1"]
    assert ScriptHost.from_file(str(out)).script.node("Blur1").knobs["size"] == "3"


def test_ask_mode_applies_nothing_even_if_the_model_calls_a_write(monkeypatch):
    for kind in ("script", "nuke"):
        b = make_backend(kind, ScriptHost.from_text(
            "Grade {\n name Grade1\n}\n").to_text(), monkeypatch)
        before = b.text()
        registry = ToolRegistry(b.host, "ask")
        result = b.run(registry.call, "create_nodes", {"nk": "Blur {}\n", "connect_to": "Grade1"})
        assert not result.ok and "Ask mode" in result.text
        assert b.text() == before and b.undo_names() == []
