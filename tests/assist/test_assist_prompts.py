"""The request each command sends: helper system prompt, graph context within the budget,
the artist's words; /fix carries the errors, /expr the node and knob, Ask to fix the code."""

from __future__ import annotations

from pathlib import Path

import pytest

from nuke_ai_panel.assist.commands import CommandError, parse_command
from nuke_ai_panel.assist.prompts import (
    ANSWER_EXPRESSION,
    ANSWER_NK,
    ANSWER_PYTHON,
    ANSWER_TEXT,
    build_request,
    fix_code_request,
)
from nuke_ai_panel.graph.script_host import ScriptHost
from nuke_ai_panel.session import Target
from nuke_ai_panel.session import build_request as turn_request
from nuke_ai_panel.settings import ProviderSettings

NK_DATA = Path(__file__).resolve().parents[1] / "data" / "nk"

SETTINGS = "format 1920x1080 (HD_1080); fps 24; frame range 1001-1100"


def request(host, text, budget=12000):
    return build_request(parse_command(text), host, budget)


def test_explain_sends_the_selection_as_nk_text_with_the_script_settings(comp) -> None:
    comp.select(["Grade_fg", "Premult_fg"])
    req = request(comp, "/explain what does the grade do?")
    assert req.expects == ANSWER_TEXT
    assert req.display == "/explain what does the grade do?"
    assert "experienced Nuke compositor" in req.system
    assert SETTINGS in req.user and "workingSpaceLUT ACES - ACEScg" in req.user
    assert "Selected nodes (2)" in req.user
    assert "Grade {\n white {1.04 1 0.97 1}" in req.user
    assert "Premult_fg input 0 <- Copy_alpha" in req.user
    assert "Read_bg" not in req.user
    assert req.user.rstrip().endswith("In particular: what does the grade do?")
    assert [m.role for m in req.messages()] == ["user"]
    chat = turn_request([], Target(ProviderSettings("ollama", "http://x", model="llama3.2")), req)
    assert chat.system == req.system and chat.messages[0].content == req.user


def test_explain_without_a_selection_sends_the_whole_script(comp) -> None:
    req = request(comp, "/explain")
    assert "Whole script (nothing selected) (19)" in req.user
    assert "name Write_comp" in req.user


@pytest.mark.parametrize("budget", [2000, 4000, 8000])
def test_context_stays_within_the_budget(budget: int) -> None:
    host = ScriptHost.from_file(str(NK_DATA / "gamutcompress_toolset.nk"))
    host.select([])
    req = request(host, "/explain", budget)
    assert len(req.user) <= budget
    assert req.context_trimmed
    assert "# trimmed to fit the context" in req.user


def test_oversized_knobs_are_summarised(comp) -> None:
    comp.select(["Roto_garbage", "Transform_bgShake"])
    req = request(comp, "/explain", 3000)
    assert "<roto shapes: 1 shape(s)" in req.user
    assert "<animated: 2 curves, 60 keys, frames 1001-1030>" in req.user
    assert "curvegroup" not in req.user and "{curve x1001" not in req.user
    assert "never copy a summary back" in req.system


def test_build_asks_for_one_nk_block_wired_to_the_selection(comp) -> None:
    comp.select(["Grade_fg"])
    req = request(comp, "/build despill + edge blur")
    assert req.expects == ANSWER_NK
    assert req.connect_to == "Grade_fg"
    assert req.undo_name == "AI: build despill + edge blur"
    assert "ONE ```nk fenced block" in req.system and "No Python" in req.system
    assert "set cut_paste_input [stack 0]" in req.system
    assert "its first node takes its input from Grade_fg" in req.user
    assert req.user.endswith("Build: despill + edge blur")


def test_build_with_nothing_selected_pastes_unconnected(comp) -> None:
    req = request(comp, "/build a grade")
    assert req.connect_to is None
    assert "pasted unconnected" in req.user


def test_script_asks_for_python_without_dialogs(comp) -> None:
    req = request(comp, "/script rename the reads")
    assert req.expects == ANSWER_PYTHON
    assert "ONE ```python fenced block" in req.system
    assert "nuke.ask" in req.system and "Do not open dialogs" in req.system
    assert req.user.endswith("Write Python for Nuke that does this: rename the reads")


def test_fix_sends_the_nodes_in_error_with_their_messages_and_knobs(comp) -> None:
    comp.set_node_error("Grade_fg", "Grade_fg: channel rgba.beta does not exist")
    comp.set_knob("Read_bg", "file", "")
    req = request(comp, "/fix it broke after the update")
    assert req.expects == ANSWER_PYTHON
    assert "Nodes in error (2)" in req.user
    assert "- Grade_fg (Grade): Grade_fg: channel rgba.beta does not exist; inputs 0: Premult_fg" \
        in req.user
    assert "Read_bg (Read): no file name given" in req.user
    assert " gamma 0.96" in req.user
    assert "Note from the artist: it broke after the update" in req.user
    assert "Read_plate" not in req.user.split("Nodes in error")[1]


def test_fix_with_no_errors_says_so_and_sends_nothing(comp) -> None:
    comp.set_node_error("Read_plate", None)
    with pytest.raises(CommandError, match="No node is in error, so there is nothing to fix"):
        request(comp, "/fix")


def test_explain_with_nothing_selected_says_the_whole_script(comp) -> None:
    comp.select([])
    req = request(comp, "/explain")
    assert req.note == "Nothing is selected, so this is about the whole script."
    assert "explain the whole script" in req.user
    comp.select(["Grade_fg"])
    assert request(comp, "/explain").note == ""


def test_expr_names_the_node_and_knob(comp) -> None:
    req = request(comp, "/expr Blur_bgDefocus.size breathe with the shake")
    assert req.expects == ANSWER_EXPRESSION
    assert (req.node, req.knob) == ("Blur_bgDefocus", "size")
    assert "ONE ```tcl fenced block" in req.system
    assert "The node Blur_bgDefocus (Blur)" in req.user and " size 3" in req.user
    assert req.user.endswith("Write an expression for the size knob of Blur_bgDefocus: "
                             "breathe with the shake")


def test_expr_on_a_bare_knob_uses_the_selected_node(comp) -> None:
    comp.select(["Transform_bgShake"])
    req = request(comp, "/expr rotate wobble a little")
    assert (req.node, req.knob) == ("Transform_bgShake", "rotate")
    assert "<animated: 2 curves" in req.user


def test_expr_on_an_unknown_node_is_a_command_error(comp) -> None:
    with pytest.raises(CommandError, match="no node named Nope"):
        request(comp, "/expr Nope.size grow")
    with pytest.raises(CommandError, match="Select the node"):
        request(comp, "/expr size grow")


@pytest.mark.parametrize("selected", [[], ["Blur_bgDefocus"], ["Transform_bgShake"]])
def test_expr_on_a_missing_node_is_refused_whatever_is_selected(comp, selected) -> None:
    comp.select(selected)
    with pytest.raises(CommandError, match="There is no node named NoSuchNode in the script"):
        request(comp, "/expr NoSuchNode.size wiggle")


def test_expr_on_a_knob_the_node_does_not_have_is_refused(comp) -> None:
    with pytest.raises(CommandError, match="Blur_bgDefocus \\(Blur\\) has no knob named "
                                           "'sizee'. Did you mean size\\?"):
        request(comp, "/expr Blur_bgDefocus.sizee grow")
    comp.select(["Transform_bgShake"])
    with pytest.raises(CommandError, match="has no knob named 'rotatee'"):
        request(comp, "/expr rotatee wobble")
    # A knob left at its default is not in the .nk text, but the catalogue knows the class has it.
    assert request(comp, "/expr Blur_bgDefocus.filter pick one").knob == "filter"
    assert request(comp, "/expr translate.x drift").knob == "translate.x"


def test_help_has_no_request(comp) -> None:
    with pytest.raises(CommandError):
        request(comp, "/help")


def test_ask_to_fix_carries_the_code_and_the_traceback(comp) -> None:
    comp.select(["Grade_fg"])
    first = request(comp, "/script add a blur")
    code = "import nuke\nnuke.toNode('Nope')['size'].setValue(1)\n"
    tb = ("Traceback (most recent call last):\n  File \"<model code>\", line 2, in <module>\n"
          "TypeError: 'NoneType' object is not subscriptable\n")
    req = fix_code_request(first, code, tb, "partial output\n", comp)
    assert req.expects == ANSWER_PYTHON
    assert req.display == "Ask to fix: TypeError: 'NoneType' object is not subscriptable"
    assert req.undo_name == first.undo_name
    assert "```python\nimport nuke\nnuke.toNode('Nope')['size'].setValue(1)\n```" in req.user
    assert tb.rstrip() in req.user
    assert "partial output" in req.user
    assert "The artist asked: /script add a blur" in req.user
    assert "ONE corrected ```python block" in req.user
