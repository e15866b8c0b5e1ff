"""Prompt context: settings, selection as .nk text, summarising and trimming to a budget."""

from __future__ import annotations

from nk_data import DATA, EXAMPLE, read

from nuke_ai_panel.graph.context import (
    compact_script,
    error_context,
    selection_context,
    settings_text,
    summarise_value,
)
from nuke_ai_panel.graph.nkscript import parse_script
from nuke_ai_panel.graph.script_host import ScriptHost


def test_curve_summaries():
    keys = " ".join(f"x{f} {f * 0.5:g}" for f in range(1, 241))
    assert summarise_value("translate", "{{curve " + keys + "}}") == "<curve with 240 keys, frames 1-240>"
    run = " ".join(str(i % 7) for i in range(30))
    assert summarise_value("t", "{{curve x1001 " + run + "} {curve x1001 " + run + "}}") == (
        "<animated: 2 curves, 60 keys, frames 1001-1030>"
    )
    assert summarise_value("size", "{{curve x1 0 x50 1 K}}") is None
    assert summarise_value("size", "{{parent.size}}") is None


def test_roto_code_and_long_text_summaries():
    host = ScriptHost.from_file(str(DATA / "handwritten_edge_cases.nk"))
    roto = host.node("Roto_cache").knobs["curves"]
    summary = summarise_value("curves", roto)
    assert summary.startswith("<roto shapes: 1 shape(s), 1 paint stroke(s), 1 layer(s);")
    code = host.node("Groupe_etalonnage").knobs["knobChanged"]
    assert summarise_value("knobChanged", code, 100).startswith("<python code, 8 lines, 207 chars, starts: 'n = nuke.thisNode() k = nuke.thisKnob()")
    assert summarise_value("label", '"' + "word " * 200 + '"').startswith("<value of 1000 chars")
    assert summarise_value("label", '"short"') is None


def test_settings_text_describes_root():
    host = ScriptHost.from_file(str(EXAMPLE))
    text = settings_text(host)
    assert text.startswith("format 1920x1080 (HD_1080); fps 24; frame range 1001-1100; colour: colorManagement OCIO")
    assert "Nuke default" in settings_text(ScriptHost.from_text("Blur {}\n"))


def test_selection_context_sends_selected_nodes_as_nk_text():
    host = ScriptHost.from_file(str(EXAMPLE))
    host.select(["Transform_bgShake", "Blur_bgDefocus"])
    ctx = selection_context(host, budget=6000)
    assert ctx.scope == "selection" and ctx.node_count == 2
    snippet = parse_script(ctx.script, paste=True)
    assert [n.name for n in snippet.nodes] == ["Transform_bgShake", "Blur_bgDefocus"]
    assert snippet.node("Blur_bgDefocus").inputs == ["Transform_bgShake"]
    assert "<animated: 2 curves, 60 keys, frames 1001-1030>" in ctx.script
    assert ctx.outside == ["Transform_bgShake input 0 <- Reformat_bg"]
    text = ctx.render()
    assert text.startswith("Script settings: format 1920x1080 (HD_1080)")
    assert "Selected nodes (2), as Nuke script text:\n```nk\n" in text
    assert text.endswith("Inputs coming from outside the selection: Transform_bgShake input 0 <- Reformat_bg.")


def test_whole_script_when_nothing_selected_and_budget_respected():
    host = ScriptHost.from_file(str(DATA / "encryptomatte.gizmo"))
    host.select([])
    ctx = selection_context(host, budget=5000)
    assert ctx.scope == "script" and ctx.node_count == 147 and ctx.trimmed
    assert len(ctx.render()) <= 5000
    assert ctx.script.startswith("# trimmed to fit the context:")
    assert "more node(s) not shown" in ctx.script
    trimmed = parse_script(ctx.script, paste=True)
    assert trimmed.nodes[0].name == "Gizmo1" and 10 < len(trimmed.nodes) < 147


def test_compact_script_keeps_small_text_untouched_and_summarises_big_values():
    small = "Blur {\n size 2\n name Blur1\n}\n"
    assert compact_script(small, 1000) == small
    host = ScriptHost.from_file(str(DATA / "handwritten_edge_cases.nk"))
    text = host.node_script(["Roto_cache", "Transform_shake", "Groupe_etalonnage"])
    out = compact_script(text, 8000)
    assert len(out) <= 8000 and out.startswith("# trimmed to fit the context: ")
    assert "<curve with 240 keys, frames 1-240>" in out
    assert "<roto shapes: 1 shape(s)" in out
    again = parse_script(out, paste=True)
    assert [n.name for n in again.nodes][:3] == ["Transform_shake", "Roto_cache", "Groupe_etalonnage"]
    assert again.node("Roto_cache").inputs == ["Transform_shake"]


def test_compact_script_tight_budget_drops_layout_then_nodes():
    text = read("gamutcompress_toolset.nk")
    out = compact_script(text, 2500)
    assert len(out) <= 2500
    assert "xpos" not in out and "note_font" not in out
    assert "more node(s) not shown" in out
    parse_script(out)


def test_error_context_for_fix():
    host = ScriptHost.from_file(str(EXAMPLE))
    assert error_context(host).endswith("No node reports an error.")
    host.set_knob("Read_bg", "file", "")
    host.set_node_error("Copy_alpha", "rgba.alpha: channel does not exist in A input")
    text = error_context(host, budget=4000)
    assert "Nodes in error (2):" in text
    assert "- Read_bg (Read): no file name given (the file knob is empty); no inputs" in text
    assert "- Copy_alpha (Copy): rgba.alpha: channel does not exist in A input; inputs 0: Despill_green, 1: Merge_garbage" in text
    assert "```nk\n" in text and "name Copy_alpha" in text and "from0 rgba.alpha" in text
