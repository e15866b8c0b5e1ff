"""Answers become previewed actions; apply() runs one as ONE named undo group.

Uses the same answers the protocol servers send (``nk-build``, ``py-ok``, ``py-raise``,
``py-ask``, ``expr``), on the in-memory host and on NukeHost over the fake ``nuke``.
"""

from __future__ import annotations

import time

import pytest

from nuke_ai_panel.assist.actions import (
    CODE_OFF_NOTE,
    EXPRESSION_BLOCKED,
    PASTE_BLOCKED,
    NoAction,
    PasteNodes,
    RunPython,
    SetExpression,
    action_from_answer,
    apply,
    follow_up,
)
from nuke_ai_panel.assist.commands import parse_command
from nuke_ai_panel.assist.prompts import build_request
from nuke_ai_panel.graph.nuke_host import NukeHost
from nuke_ai_panel.graph.risk import DANGER, scan_code
from nuke_ai_panel.graph.snippets import preview_nk
from tests.protocol_servers.scenarios import HELPER_ANSWERS

BUILD = "/build despill + edge blur"
TITLE = "AI: build despill + edge blur"


def propose(host, command, answer, allow_code=True):
    request = build_request(parse_command(command), host)
    return request, action_from_answer(answer, request, host, allow_code)


def inputs_of(host, name):
    return next(n.inputs for n in host.all_nodes() if n.name == name)


# -- build: paste nodes --------------------------------------------------------------------


def test_nk_answer_becomes_a_paste_with_nodes_and_connections(comp) -> None:
    comp.select(["Grade_fg"])
    before = comp.to_text()
    _, action = propose(comp, BUILD, HELPER_ANSWERS["nk-build"])
    assert isinstance(action, PasteNodes)
    assert action.title == TITLE and action.connect_to == "Grade_fg"
    assert [(n.name, n.node_class) for n in action.preview.nodes] == [
        ("HueCorrect_despill", "HueCorrect"), ("Keyer_edgeMatte", "Keyer"),
        ("EdgeBlur_soften", "EdgeBlur")]
    assert action.preview.connections == [
        ("Grade_fg (selected)", "HueCorrect_despill", "input 0"),
        ("HueCorrect_despill", "Keyer_edgeMatte", "input 0"),
        ("HueCorrect_despill", "EdgeBlur_soften", "input 0"),
        ("Keyer_edgeMatte", "EdgeBlur_soften", "input 1")]
    assert "Nodes to be created (3)" in action.describe()
    assert comp.to_text() == before and comp.undo_names() == []


def test_paste_is_one_undo_step_and_undo_restores_the_graph_exactly(comp) -> None:
    comp.select(["Grade_fg"])
    before = comp.to_text()
    _, action = propose(comp, BUILD, HELPER_ANSWERS["nk-build"])
    outcome = apply(comp, action)
    assert outcome.ok, outcome
    assert outcome.created == ["HueCorrect_despill", "Keyer_edgeMatte", "EdgeBlur_soften"]
    assert comp.undo_names() == [TITLE]
    assert inputs_of(comp, "HueCorrect_despill") == ["Grade_fg"]
    assert inputs_of(comp, "Keyer_edgeMatte") == ["HueCorrect_despill"]
    assert inputs_of(comp, "EdgeBlur_soften") == ["HueCorrect_despill", "Keyer_edgeMatte"]
    after = comp.to_text()
    assert comp.undo() == TITLE
    assert comp.to_text() == before
    assert comp.redo() == TITLE
    assert comp.to_text() == after
    assert "created HueCorrect_despill, Keyer_edgeMatte, EdgeBlur_soften" in outcome.summary()


def test_pasting_twice_renames_like_nuke_and_the_preview_says_so(comp) -> None:
    comp.select(["Grade_fg"])
    _, action = propose(comp, BUILD, HELPER_ANSWERS["nk-build"])
    apply(comp, action)
    comp.select(["Grade_final"])
    _, again = propose(comp, BUILD, HELPER_ANSWERS["nk-build"])
    assert "HueCorrect_despill already exists; it will be pasted as HueCorrect_despill1" in \
        again.preview.warnings
    assert apply(comp, again).created == ["HueCorrect_despill1", "Keyer_edgeMatte1",
                                          "EdgeBlur_soften1"]
    assert inputs_of(comp, "HueCorrect_despill1") == ["Grade_final"]


def test_nothing_selected_pastes_unconnected(comp) -> None:
    _, action = propose(comp, BUILD, HELPER_ANSWERS["nk-build"])
    assert action.connect_to is None
    assert any("nothing is selected" in w for w in action.preview.warnings)
    assert inputs_of(comp, "Grade_fg") == ["Premult_fg"]
    assert apply(comp, action).ok
    assert inputs_of(comp, "HueCorrect_despill") == [None]


def test_a_target_deleted_before_apply_pastes_unconnected_and_says_so(comp) -> None:
    comp.select(["Grade_fg"])
    _, action = propose(comp, BUILD, HELPER_ANSWERS["nk-build"])
    comp.delete_nodes(["Grade_fg"])
    outcome = apply(comp, action)
    assert outcome.ok
    assert "Grade_fg no longer exists, so the nodes are unconnected" in outcome.summary()


# -- answers that cannot be used ---------------------------------------------------------


@pytest.mark.parametrize("answer, words", [
    ("", "The answer is empty"),
    ("   \n", "The answer is empty"),
    ("Use a HueCorrect and an EdgeBlur.", "The answer has no nodes to create"),
    ("```nk\nBlur {\n size 4\n name Blur_x\n", "could not be read"),
    ("```nk\nBlur {\n size {4\n}\n```\n", "could not be read"),
    ("```nk\n# just a comment\n```\n", "contains no nodes"),
    ("```json\n{\"nodes\": []}\n```\n", "no ```nk node snippet"),
])
def test_unusable_build_answers_are_a_message_not_a_crash(comp, answer, words) -> None:
    before = comp.to_text()
    _, action = propose(comp, BUILD, answer)
    assert isinstance(action, NoAction)
    assert words in action.message
    assert comp.to_text() == before


def test_explain_answers_propose_nothing(comp) -> None:
    _, action = propose(comp, "/explain", HELPER_ANSWERS["nk-build"])
    assert action is None


def test_a_build_answered_in_python_says_it_has_no_nodes(comp) -> None:
    """A /build answer with no nodes says so instead of opening a Python preview."""
    _, action = propose(comp, BUILD, HELPER_ANSWERS["py-ok"])
    assert isinstance(action, NoAction)
    assert action.message.startswith("The answer has no nodes to create")
    assert "/script" in action.message


# -- script: run python ------------------------------------------------------------------


def test_python_runs_as_one_undo_step(comp) -> None:
    comp.select(["Grade_fg"])
    before = comp.to_text()
    _, action = propose(comp, "/script add a grade", HELPER_ANSWERS["py-ok"])
    assert isinstance(action, RunPython) and action.allowed and action.risk.clean
    outcome = apply(comp, action)
    assert outcome.ok and outcome.created == ["Grade_ai"]
    assert outcome.output == "created Grade_ai\n"
    assert inputs_of(comp, "Grade_ai") == ["Grade_fg"]
    assert comp.undo_names() == ["AI: script add a grade"]
    comp.undo()
    assert comp.to_text() == before


def test_raising_python_leaves_the_graph_as_it_was_and_returns_the_traceback(comp) -> None:
    comp.select(["Grade_fg"])
    before = comp.to_text()
    request, action = propose(comp, "/script blur it", HELPER_ANSWERS["py-raise"])
    outcome = apply(comp, action)
    assert not outcome.ok
    assert comp.to_text() == before
    assert comp.undo_names() == []
    assert outcome.created == []
    assert outcome.output == "blur added\n"
    assert 'File "<model code>", line 6, in <module>' in outcome.traceback
    assert "TypeError: 'NoneType' object is not subscriptable" in outcome.traceback
    assert "script_host" not in outcome.traceback
    assert "failed, nothing was changed" in outcome.summary()
    fix = follow_up(request, action, outcome, comp)
    assert action.code.strip() in fix.user
    assert outcome.traceback.strip() in fix.user
    assert fix.display == "Ask to fix: TypeError: 'NoneType' object is not subscriptable"


def test_dialogs_in_generated_code_do_not_block(comp) -> None:
    comp.select(["Grade_fg"])
    _, action = propose(comp, "/script add a dot", HELPER_ANSWERS["py-ask"])
    started = time.monotonic()
    outcome = apply(comp, action)
    assert time.monotonic() - started < 5
    assert outcome.ok and outcome.created == ["Dot_ai"]
    assert "[nuke.ask] 'Add a backdrop too?' -> answered No automatically" in outcome.output
    assert "[nuke.getInput] 'Name for the dot' -> returned 'Dot_ai'" in outcome.output
    assert "[nuke.message] Added Dot_ai" in outcome.output


def test_with_code_execution_off_python_is_show_only(comp, monkeypatch) -> None:
    before = comp.to_text()
    _, action = propose(comp, "/script add a grade", HELPER_ANSWERS["py-ok"], allow_code=False)
    assert isinstance(action, RunPython) and not action.allowed
    assert action.disabled_note == CODE_OFF_NOTE

    def forbidden(code):
        raise AssertionError("code ran although code execution is off")

    monkeypatch.setattr(comp, "run_python", forbidden)
    outcome = apply(comp, action)
    assert not outcome.ok and outcome.message == CODE_OFF_NOTE
    assert comp.to_text() == before and comp.undo_names() == []


def test_code_execution_off_does_not_stop_nk_pastes(comp) -> None:
    _, action = propose(comp, BUILD, HELPER_ANSWERS["nk-build"], allow_code=False)
    assert isinstance(action, PasteNodes)
    assert apply(comp, action).ok


def test_risky_calls_are_flagged_with_lines(comp) -> None:
    answer = "```python\nimport os\nimport nuke\nos.remove('/tmp/x.exr')\nnuke.scriptSave()\n```\n"
    _, action = propose(comp, "/script clean up", answer)
    assert action.risk.has_danger
    assert [(f.line, f.call) for f in action.risk.findings] == [(3, "os.remove"),
                                                                (4, "nuke.scriptSave")]
    assert "line 3: os.remove - deletes files or folders" in action.describe()
    edited = action.with_code("import nuke\nprint(1)\n")
    assert edited.risk.clean and edited.title == action.title


def test_a_syntax_error_is_returned_as_a_traceback(comp) -> None:
    before = comp.to_text()
    _, action = propose(comp, "/script x", "```python\nnuke.createNode('Blur'\n```\n")
    assert "syntax error" in action.describe()
    outcome = apply(comp, action)
    assert not outcome.ok and "SyntaxError" in outcome.traceback
    assert comp.to_text() == before


def test_run_python_describe_is_the_code_preview() -> None:
    risky = RunPython("t", "import shutil\nshutil.rmtree('/jobs/show')\n",
                      scan_code("import shutil\nshutil.rmtree('/jobs/show')\n"))
    assert risky.risk.has_danger
    assert risky.describe() == ("Check before running:\n"
                                "  danger: line 2: shutil.rmtree - deletes files or folders")
    clean = risky.with_code("import nuke\nnuke.createNode('Blur')\n")
    assert clean.describe() == "No risky calls found."
    assert "syntax error" in clean.with_code("def (:\n").describe()


# -- pastes and expressions that run code --------------------------------------------------

RISKY_NK = ("```nk\nset cut_paste_input [stack 0]\npush $cut_paste_input\nGrade {\n white 1.1\n"
            " onCreate \"import os\\nos.system('id')\"\n name Grade_cb\n}\n```\n")
RISKY_EXPR = "```tcl\n[python {__import__('os').system('id')}] + frame\n```"


def test_with_code_execution_off_a_paste_that_runs_code_is_shown_but_blocked(
        comp, monkeypatch) -> None:
    before = comp.to_text()
    _, action = propose(comp, BUILD, RISKY_NK, allow_code=False)
    assert isinstance(action, PasteNodes) and not action.code_allowed
    assert not action.allowed
    assert action.disabled_note == f"{PASTE_BLOCKED} {CODE_OFF_NOTE}"
    assert [(f.line, f.severity, f.node, f.knob) for f in action.risk.findings] == [
        (5, DANGER, "Grade_cb", "onCreate")]
    assert action.describe().startswith(PASTE_BLOCKED)
    assert "danger: onCreate (line 5) - runs Python as soon as the node is created" in \
        action.describe()

    def forbidden(*args, **kwargs):
        raise AssertionError("pasted although code execution is off")

    monkeypatch.setattr(comp, "paste_script", forbidden)
    outcome = apply(comp, action)
    assert not outcome.ok and outcome.message == action.disabled_note
    assert comp.to_text() == before and comp.undo_names() == []


def test_with_code_execution_on_a_paste_that_runs_code_is_flagged_and_applies(comp) -> None:
    _, action = propose(comp, BUILD, RISKY_NK)
    assert isinstance(action, PasteNodes) and action.allowed and action.disabled_note == ""
    assert action.risk.has_danger
    assert action.describe().startswith("Check before pasting: this snippet runs code in Nuke")
    outcome = apply(comp, action)
    assert outcome.ok and outcome.created == ["Grade_cb"]


def test_apply_rescans_a_paste_rather_than_trusting_its_preview(comp, monkeypatch) -> None:
    monkeypatch.setattr(comp, "paste_script", lambda *a, **k: pytest.fail("pasted"))
    snippet = RISKY_NK.split("\n", 1)[1].rsplit("```", 1)[0]
    clean_preview = preview_nk("Blur {\n size 2\n}\n")
    action = PasteNodes("AI: build", snippet, clean_preview, None, code_allowed=False)
    assert action.allowed
    outcome = apply(comp, action)
    assert not outcome.ok and outcome.message.startswith(PASTE_BLOCKED)


def test_with_code_execution_off_an_expression_that_runs_code_is_blocked(
        comp, monkeypatch) -> None:
    before = comp.to_text()
    _, action = propose(comp, "/expr Blur_bgDefocus.size x", RISKY_EXPR, allow_code=False)
    assert isinstance(action, SetExpression) and not action.allowed
    assert action.disabled_note == f"{EXPRESSION_BLOCKED} {CODE_OFF_NOTE}"
    assert [(f.node, f.knob, f.severity) for f in action.risk.findings] == [
        ("Blur_bgDefocus", "size", DANGER)]
    assert "runs Python when Nuke evaluates it" in action.describe()
    monkeypatch.setattr(comp, "set_knob", lambda *a, **k: pytest.fail("set although blocked"))
    outcome = apply(comp, action)
    assert not outcome.ok and outcome.message == action.disabled_note
    assert comp.to_text() == before and comp.undo_names() == []
    edited = action.with_expression("frame * 2")
    assert edited.risk.clean and edited.allowed and not edited.code_allowed


def test_expressions_are_rescanned_whenever_they_change(comp) -> None:
    _, action = propose(comp, "/expr Blur_bgDefocus.size x", HELPER_ANSWERS["expr"])
    assert action.allowed and action.risk.clean
    risky = action.with_expression("[python {1}]")
    assert risky.allowed and risky.risk.has_danger
    blocked = SetExpression("t", "Blur_bgDefocus", "size", "[exec ls]", code_allowed=False)
    assert not blocked.allowed and blocked.risk.findings[0].reason.startswith("starts another")
    _, allowed = propose(comp, "/expr Blur_bgDefocus.size x", RISKY_EXPR)
    assert allowed.allowed and apply(comp, allowed).ok


def test_code_execution_off_does_not_stop_clean_expressions(comp) -> None:
    _, action = propose(comp, "/expr Blur_bgDefocus.size x", HELPER_ANSWERS["expr"],
                        allow_code=False)
    assert isinstance(action, SetExpression) and action.allowed and action.disabled_note == ""
    assert apply(comp, action).ok


# -- expressions ------------------------------------------------------------------------


def test_expression_answer_sets_the_knob_as_one_undo_step(comp) -> None:
    before = comp.to_text()
    _, action = propose(comp, "/expr Blur_bgDefocus.size breathe", HELPER_ANSWERS["expr"])
    assert action == SetExpression("AI: expr Blur_bgDefocus.size breathe", "Blur_bgDefocus",
                                   "size", "sin(frame / 8) * 4 + 6")
    outcome = apply(comp, action)
    assert outcome.ok and outcome.created == []
    assert "Blur_bgDefocus.size now follows sin(frame / 8) * 4 + 6" in outcome.summary()
    assert ' size {{"sin(frame / 8) * 4 + 6"}}' in comp.node_script(["Blur_bgDefocus"])
    assert comp.undo_names() == ["AI: expr Blur_bgDefocus.size breathe"]
    comp.undo()
    assert comp.to_text() == before


@pytest.mark.parametrize("answer, expected", [
    ("```\nframe * 2\n```", "frame * 2"),
    ("`frame * 2`", "frame * 2"),
    ("frame * 2", "frame * 2"),
    ("Use this:\n```expr\n parent.size / 2 \n```\nIt halves it.", "parent.size / 2"),
])
def test_expression_answer_shapes(comp, answer, expected) -> None:
    _, action = propose(comp, "/expr Blur_bgDefocus.size half", answer)
    assert isinstance(action, SetExpression) and action.expression == expected


@pytest.mark.parametrize("answer, words", [
    ("```python\nnuke.toNode('Blur1')['size'].setExpression('frame')\n```", "is Python"),
    ("You could use frame.\nOr frame * 2.", "no expression"),
    ("```tcl\nframe\nframe * 2\n```", "more than one line"),
])
def test_unusable_expression_answers(comp, answer, words) -> None:
    _, action = propose(comp, "/expr Blur_bgDefocus.size x", answer)
    assert isinstance(action, NoAction) and words in action.message


def test_an_unknown_knob_fails_cleanly_on_apply(comp) -> None:
    before = comp.to_text()
    action = SetExpression("AI: expr", "Gone_node", "size", "frame")
    outcome = apply(comp, action)
    assert not outcome.ok and "no node named Gone_node" in outcome.message
    assert comp.to_text() == before and comp.undo_names() == []


# -- NukeHost over the fake nuke -----------------------------------------------------------


def test_nuke_host_paste_is_one_named_undo_group(fake_nuke_comp) -> None:
    fake, _ = fake_nuke_comp
    fake.host.select(["Grade_fg"])
    host = NukeHost()
    before = fake.host.to_text()
    _, action = propose(host, BUILD, HELPER_ANSWERS["nk-build"])
    assert fake.host.to_text() == before
    outcome = apply(host, action)
    assert outcome.ok and outcome.created == ["HueCorrect_despill", "Keyer_edgeMatte",
                                              "EdgeBlur_soften"]
    assert fake.Undo.undoSize() == 1
    assert fake.Undo.undoDescribe() == TITLE
    assert inputs_of(host, "HueCorrect_despill") == ["Grade_fg"]
    fake.Undo.undo()
    assert fake.host.to_text() == before


def test_nuke_host_apply_from_a_worker_thread_is_marshalled(fake_nuke_comp) -> None:
    fake, _ = fake_nuke_comp
    fake.host.select(["Grade_fg"])
    host = NukeHost()
    before = fake.host.to_text()
    _, action = propose(host, BUILD, HELPER_ANSWERS["nk-build"])
    outcome = fake.run_in_worker(apply, host, action)
    assert outcome.ok and fake.main_thread_calls > 0 and fake.swallowed == []
    assert fake.Undo.undoSize() == 1
    fake.Undo.undo()
    assert fake.host.to_text() == before


def test_nuke_host_raising_python_cancels_the_group(fake_nuke_comp) -> None:
    fake, _ = fake_nuke_comp
    fake.host.select(["Grade_fg"])
    host = NukeHost()
    before = fake.host.to_text()
    _, action = propose(host, "/script blur", HELPER_ANSWERS["py-raise"])
    outcome = apply(host, action)
    assert not outcome.ok and "TypeError" in outcome.traceback
    assert fake.host.to_text() == before
    assert fake.Undo.undoSize() == 0


def test_nuke_host_dialogs_in_generated_code_do_not_block(fake_nuke_comp) -> None:
    fake, _ = fake_nuke_comp
    fake.host.select(["Grade_fg"])
    host = NukeHost()
    _, action = propose(host, "/script dot", HELPER_ANSWERS["py-ask"])
    outcome = apply(host, action)
    assert outcome.ok, outcome.traceback
    assert fake.dialog_calls == []
    assert "[nuke.ask] 'Add a backdrop too?' -> answered No automatically" in outcome.output
    assert outcome.created == ["Dot_ai"]
    assert fake.Undo.undoSize() == 1
    with pytest.raises(AssertionError, match="would open a modal dialog"):
        fake.ask("still modal outside generated code?")


def test_nuke_host_never_pastes_code_when_code_execution_is_off(fake_nuke_comp,
                                                                monkeypatch) -> None:
    fake, _ = fake_nuke_comp
    host = NukeHost()
    before = fake.host.to_text()
    _, action = propose(host, BUILD, RISKY_NK, allow_code=False)
    monkeypatch.setattr(fake, "nodePaste", lambda *a: pytest.fail("nodePaste called"))
    outcome = apply(host, action)
    assert not outcome.ok and outcome.message.startswith(PASTE_BLOCKED)
    assert fake.host.to_text() == before and fake.Undo.undoSize() == 0
