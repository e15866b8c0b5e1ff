"""Parsing the slash commands: each command, its arguments, and clear usage errors."""

from __future__ import annotations

import pytest

from nuke_ai_panel.assist.commands import (
    COMMANDS,
    Command,
    CommandError,
    help_text,
    parse_command,
    resolve_target,
)


@pytest.mark.parametrize("text, expected", [
    ("/explain", Command("explain", "", "", "/explain")),
    ("  /explain   why is this slow? ", Command("explain", "why is this slow?", "",
                                                 "/explain   why is this slow?")),
    ("/build despill + edge blur", Command("build", "despill + edge blur", "",
                                           "/build despill + edge blur")),
    ("/BUILD a grade", Command("build", "a grade", "", "/BUILD a grade")),
    ("/fix", Command("fix", "", "", "/fix")),
    ("/fix the read went red after the move", Command(
        "fix", "the read went red after the move", "", "/fix the read went red after the move")),
    ("/script rename all Reads by shot", Command("script", "rename all Reads by shot", "",
                                                 "/script rename all Reads by shot")),
    ("/python list the reads", Command("script", "list the reads", "", "/python list the reads")),
    ("/expr Blur1.size grow over the shot", Command("expr", "grow over the shot", "Blur1.size",
                                                    "/expr Blur1.size grow over the shot")),
    ("/expr size: wobble", Command("expr", "wobble", "size", "/expr size: wobble")),
    ("/help", Command("help", "", "", "/help")),
    ("/build\ndespill\nand blur", Command("build", "despill\nand blur", "",
                                          "/build\ndespill\nand blur")),
])
def test_commands_parse(text: str, expected: Command) -> None:
    assert parse_command(text) == expected


@pytest.mark.parametrize("text, words", [
    ("/build", "Say what to build: /build DESCRIPTION"),
    ("/build    ", "Say what to build"),
    ("/script", "Say the task: /script TASK"),
    ("/expr", "Name the knob and say what it should do"),
    ("/expr Blur1.size", "Name the knob and say what it should do"),
    ("/expr Blur1. grow", "is not a knob name"),
    ("/expr .size grow", "is not a knob name"),
    ("/frobnicate the comp", "Unknown command /frobnicate. Known commands: /explain, /build"),
    ("/", "Unknown command /."),
    ("explain this", "Commands start with /."),
])
def test_command_usage_errors_say_how_to_write_it(text: str, words: str) -> None:
    with pytest.raises(CommandError) as caught:
        parse_command(text)
    assert words in str(caught.value)


def test_help_lists_every_command() -> None:
    text = help_text()
    for name in COMMANDS:
        assert f"/{name}" in text
    assert "nothing changes until you press Apply" in text


def test_labels_are_short_titles() -> None:
    assert parse_command("/build despill + edge blur").label == "build despill + edge blur"
    assert parse_command("/expr Blur1.size grow").label == "expr Blur1.size grow"
    long = parse_command("/script " + "word " * 40).label
    assert len(long) <= 60 and long.endswith("\u2026")


KNOBS = {"Blur1": {"size", "filter"}, "Group1.Blur1": {"size"},
         "Transform1": {"translate", "rotate"}}


def is_knob(node, knob):
    return knob in KNOBS.get(node, ())


@pytest.mark.parametrize("target, selected, expected", [
    ("Blur1.size", None, ("Blur1", "size")),
    ("Group1.Blur1.size", None, ("Group1.Blur1", "size")),
    ("Transform1.translate.x", None, ("Transform1", "translate.x")),
    ("translate.x", "Transform1", ("Transform1", "translate.x")),
    ("size", "Blur1", ("Blur1", "size")),
    ("Blur1.size", "Transform1", ("Blur1", "size")),
])
def test_expr_targets_resolve_against_node_names(target, selected, expected) -> None:
    names = ["Blur1", "Group1", "Group1.Blur1", "Transform1"]
    assert resolve_target(target, names, selected, is_knob) == expected


def test_expr_target_errors() -> None:
    with pytest.raises(CommandError, match="no node named Nope"):
        resolve_target("Nope.size", ["Blur1"], None, is_knob)
    with pytest.raises(CommandError, match="Select the node whose size knob"):
        resolve_target("size", ["Blur1"], None, is_knob)


@pytest.mark.parametrize("selected", ["Blur1", "Transform1"])
def test_a_named_node_that_does_not_exist_never_falls_back_to_the_selection(selected) -> None:
    with pytest.raises(CommandError, match="There is no node named NoSuchNode in the script"):
        resolve_target("NoSuchNode.size", ["Blur1", "Transform1"], selected, is_knob)
    with pytest.raises(CommandError, match="no node named Blurr in the script. Did you mean Blur1.size"):
        resolve_target("Blurr.size", ["Blur1", "Transform1"], selected, is_knob)


def test_a_dotted_knob_the_host_cannot_confirm_is_not_read_as_the_selections() -> None:
    with pytest.raises(CommandError, match="no node named Gizmo7"):
        resolve_target("Gizmo7.size", ["MyGizmo1"], "MyGizmo1", lambda node, knob: None)


@pytest.mark.parametrize("typed, meant", [
    ("/bulid despill", "/build"), ("/expalin", "/explain"), ("/fxi", "/fix"),
    ("/scirpt add a grade", "/script"), ("/hepl", "/help"), ("/exrp size frame", "/expr"),
])
def test_a_mistyped_command_suggests_the_nearest(typed: str, meant: str) -> None:
    with pytest.raises(CommandError) as caught:
        parse_command(typed)
    assert f"Did you mean {meant}?" in str(caught.value)


def test_no_suggestion_for_words_that_are_not_close() -> None:
    for typed in ("/frobnicate", "/b"):
        with pytest.raises(CommandError) as caught:
            parse_command(typed)
        assert "Did you mean" not in str(caught.value)
