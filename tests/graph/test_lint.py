"""Lint: planted mistakes caught with the right suggestion; no false alarm on real files."""

from __future__ import annotations

import io
import json
import os
import subprocess
import sys
from argparse import Namespace
from pathlib import Path

import pytest

from nk_data import ALL_FILES, EXAMPLE, REAL_FILES, read

from nuke_ai_panel.cli.lint import run_lint
from nuke_ai_panel.graph.catalogue import Catalogue, ClassInfo, KnobInfo, catalogue
from nuke_ai_panel.graph.lint import lint_text

ACCEPTANCE = """\
Blurr {
 size 3
}
Grade {
 whitepoint_r 0.9
}
Blur {
 sizee 3
}
Blur {
 size {{Missing7.size}}
}
"""

CLEAN = """\
set cut_paste_input [stack 0]
version 15.1 v3
push $cut_paste_input
Blur {
 size 3
 name Blur1
}
Grade {
 inputs 1+1
 whitepoint 0.9
 white {{Blur1.size}}
 label "\\[value Blur1.size]"
 name Grade1
}
"""


def test_acceptance_snippet():
    findings = lint_text(ACCEPTANCE)
    assert [(f["kind"], f["name"], f["suggestion"]) for f in findings] == [
        ("unknown_class", "Blurr", "Blur"),
        ("unknown_knob", "whitepoint_r", "whitepoint"),
        ("unknown_knob", "sizee", "size"),
        ("dangling_reference", "Missing7.size", None),
    ]
    assert [f["node"] for f in findings] == ["Blurr1", "Grade1", "Blur1", "Blur2"]


def test_clean_snippet():
    assert lint_text(CLEAN) == []


@pytest.mark.parametrize("spec,bad", [("3", True), ("2", False), ("1+1", False), ("1+2", True), ("0", False)])
def test_bad_input_counts_the_mask_as_one_more_input(spec, bad):
    findings = lint_text(f"Blur {{\n inputs {spec}\n}}\n")
    assert [f["kind"] for f in findings] == (["bad_input"] if bad else [])
    if bad:
        assert findings[0]["name"] == f"inputs {spec}" and findings[0]["suggestion"].startswith("inputs 1+1")


def test_any_number_of_inputs_where_the_class_takes_them():
    assert lint_text("Merge2 {\n inputs 7+1\n}\nSwitch {\n inputs 5\n}\n") == []


@pytest.mark.parametrize("expr,name,suggestion", [
    ("{{Blur1.sizee}}", "Blur1.sizee", "Blur1.size"),
    ("{{this.sizee}}", "this.sizee", "this.size"),
    ("\"\\[value Missing7.size]\"", None, None),
    ("{{Blurx.size}}", "Blurx.size", "Blur1.size"),
    ("{{root.formatt}}", "root.formatt", "root.format"),
])
def test_dangling_references(expr, name, suggestion):
    text = f"Blur {{\n name Blur1\n}}\nBlur {{\n size 1\n label {expr}\n name Blur2\n}}\n"
    findings = [f for f in lint_text(text) if f["kind"] == "dangling_reference"]
    if name is None:  # an escaped bracket is literal text, not TCL
        assert findings == []
    else:
        assert [(f["name"], f["suggestion"]) for f in findings] == [(name, suggestion)]


def test_tcl_reference_in_a_label():
    findings = lint_text('Blur {\n label "[value Missing7.size]"\n}\n')
    assert [(f["kind"], f["name"]) for f in findings] == [("dangling_reference", "Missing7.size")]


def test_references_that_are_not_dangling():
    text = """\
Group {
 name G
 addUserKnob {20 User}
 addUserKnob {7 amount}
}
 Input {
  inputs 0
  name Input1
 }
 Blur {
  size {{parent.amount}}
  mix {{amount}}
  channels {rgba.red -rgba.green}
  label "[value input.name] [value this.size] [python nuke.thisNode().name()]"
  filter {{Input1.width > 100 ? 1 : 0}}
  quality {{size.w}}
  name Blur1
 }
 Expression {
  expr0 "rgba.red * Blur1.size"
  name Expression1
 }
 Output {
  name Output1
 }
end_group
Blur {
 size {{G.Blur1.size + G.amount + root.first_frame}}
 name Outside
}
"""
    assert lint_text(text) == []


def test_user_knobs_groups_and_gizmos_are_known():
    text = """\
Blur {
 addUserKnob {20 User}
 addUserKnob {7 my_knob}
 my_knob 3
}
Group {
 whatever_the_artist_made 1
}
My_Studio_Gizmo_v3 {
 any_knob 1
}
"""
    assert lint_text(text) == []


def test_gizmo_like_class_near_a_builtin_is_still_reported():
    assert [f["kind"] for f in lint_text("Gradee {\n}\n")] == ["unknown_class"]
    assert [f["suggestion"] for f in lint_text("Gradee {\n}\n", strict_classes=True)] == ["Grade"]
    assert lint_text("Zqxwv_Tool {\n}\n", strict_classes=True)[0]["suggestion"] is None


def test_partial_class_reports_only_near_misses():
    # Glint is known from Nuke-written scripts only: an unseen knob is not judged...
    assert lint_text("Glint {\n some_real_knob_we_never_saw 1\n}\n") == []
    # ...but a one-letter slip of a knob it has is.
    info = catalogue().class_info("Glint")
    assert not info.complete
    knob = sorted(k for k in info.knobs if len(k) >= 5)[0]
    findings = lint_text(f"Glint {{\n {knob}x 1\n}}\n")
    assert [(f["kind"], f["suggestion"]) for f in findings] == [("unknown_knob", knob)]


def test_nuke_version_matters():
    assert lint_text("VariableSwitch {\n}\n", nuke_version="16") == []
    assert [f["kind"] for f in lint_text("VariableSwitch {\n}\n", nuke_version="15", strict_classes=True)] == ["unknown_class"]


def test_external_nodes_are_known_for_snippets():
    text = "Blur {\n size {{Read1.first}}\n}\n"
    assert [f["kind"] for f in lint_text(text)] == ["dangling_reference"]
    assert lint_text(text, external_nodes=["Read1"]) == []


def test_live_catalogue_is_the_authority():
    def live(name):
        if name == "Blur":
            return ClassInfo("Blur", "15.0", {"size": KnobInfo("size", "WH_Knob", "0"),
                                             "new_in_this_build": KnobInfo("new_in_this_build")},
                             max_inputs=1, masks=1, complete=True, source="live")
        return None

    cat = Catalogue(catalogue().data, live=live, live_version="15")
    assert lint_text("Blur {\n new_in_this_build 1\n}\n", cat=cat) == []
    # Nuke itself says the class does not exist: reported even when far from any class.
    assert [f["kind"] for f in lint_text("Zqxwv_Tool {\n}\n", cat=cat)] == ["unknown_class"]


@pytest.mark.parametrize("name", ALL_FILES + ("greenscreen_comp.nk",))
def test_real_files_have_no_unknown_knob_on_builtin_classes(name):
    text = EXAMPLE.read_text(encoding="utf-8") if name == "greenscreen_comp.nk" else read(name)
    findings = lint_text(text)
    assert [f for f in findings if f["kind"] in ("unknown_knob", "unknown_class", "bad_input")] == []
    if name in REAL_FILES:
        assert findings == []


def _run(tmp_path, text, *flags, version=None):
    path = tmp_path / "x.nk"
    path.write_text(text, encoding="utf-8")
    out, err = io.StringIO(), io.StringIO()
    code = run_lint(Namespace(file=str(path), nuke_version=version, json="--json" in flags), out, err)
    return code, out.getvalue(), err.getvalue()


def test_command_findings_exit_1(tmp_path):
    code, out, err = _run(tmp_path, ACCEPTANCE, "--json")
    assert code == 1 and err == ""
    assert [f["suggestion"] for f in json.loads(out)] == ["Blur", "whitepoint", "size", None]
    code, out, _ = _run(tmp_path, ACCEPTANCE)
    assert code == 1
    assert out.splitlines()[0] == "Blurr1: unknown_class Blurr (did you mean Blur?)"
    assert len(out.splitlines()) == 4


def test_command_clean_exit_0(tmp_path):
    assert _run(tmp_path, CLEAN, "--json") == (0, "[]\n", "")
    assert _run(tmp_path, CLEAN) == (0, "", "")


def test_command_usage_exit_2(tmp_path):
    out, err = io.StringIO(), io.StringIO()
    code = run_lint(Namespace(file=str(tmp_path / "missing.nk"), nuke_version=None, json=False), out, err)
    assert code == 2 and err.getvalue().startswith("error: config: cannot read ") and out.getvalue() == ""
    code, out_text, err_text = _run(tmp_path, CLEAN, version="12.2")
    assert code == 2 and err_text.startswith("error: config: Nuke version '12.2'")
    code, _, err_text = _run(tmp_path, "Blur {\n size 3\n")
    assert code == 2 and err_text.startswith("error: config: ") and "not a readable .nk script" in err_text


ROOT = Path(__file__).resolve().parents[2]


def _cli(tmp_path, *args, stdin=""):
    env = {**os.environ, "PYTHONPATH": str(ROOT), "NUKE_AI_PANEL_HOME": str(tmp_path / "home")}
    return subprocess.run([sys.executable, "-m", "nuke_ai_panel", "lint", *args], input=stdin,
                          env=env, capture_output=True, text=True, timeout=60, cwd=str(ROOT))


def test_the_lint_command_line(tmp_path):
    """``python -m nuke_ai_panel lint FILE.nk [--nuke-version X.Y] [--json]`` (DESIGN 7, 12)."""
    bad, clean = tmp_path / "bad.nk", tmp_path / "clean.nk"
    bad.write_text(ACCEPTANCE, encoding="utf-8")
    clean.write_text(CLEAN, encoding="utf-8")
    result = _cli(tmp_path, str(bad), "--json")
    assert result.returncode == 1 and result.stderr == ""
    assert [(f["kind"], f["suggestion"]) for f in json.loads(result.stdout)] == [
        ("unknown_class", "Blur"), ("unknown_knob", "whitepoint"), ("unknown_knob", "size"),
        ("dangling_reference", None)]
    result = _cli(tmp_path, str(clean), "--json", "--nuke-version", "14.0")
    assert (result.returncode, result.stdout, result.stderr) == (0, "[]\n", "")
    result = _cli(tmp_path, "-", stdin=ACCEPTANCE)
    assert result.returncode == 1
    assert result.stdout.splitlines()[0] == "Blurr1: unknown_class Blurr (did you mean Blur?)"
    result = _cli(tmp_path, str(clean), "--nuke-version", "9")
    assert result.returncode == 2 and result.stderr.startswith("error: config: ")
    binary = tmp_path / "image.nk"
    binary.write_bytes(b"\x89PNG\r\n\x1a\n\x00\x00")
    result = _cli(tmp_path, str(binary))
    assert result.returncode == 2 and "is not a text file" in result.stderr
    assert _cli(tmp_path).returncode == 2


@pytest.mark.parametrize("word, suggestion, slip", [
    ("sizee", "size", True), ("whitepoint_r", "whitepoint", True), ("Size", "size", True),
    ("mulitply", "multiply", True),  # two letters swapped: one edit
    ("N_channel", "P_channel", False), ("color0", "color", False), ("from1", "from0", False),
    ("tint", "int", False),  # too short to call a slip
])
def test_near_misses_are_slips_and_sibling_names_are_not(word, suggestion, slip):
    from nuke_ai_panel.graph.catalogue import near_miss

    assert near_miss(word, suggestion) is slip


def test_outside_nuke_a_knob_far_from_every_known_one_is_not_called_unknown():
    # The catalogue cannot prove a class has no other knob (hidden ones Nuke still writes):
    # only slips of known knobs are reported; the running Nuke reports everything.
    found = lint_text("EdgeBlur {\n tint {1 0 0}\n brightness 1.2\n name EdgeBlur1\n}\n")
    assert found == []
    assert lint_text("EdgeBlur {\n sizee 3\n name EdgeBlur1\n}\n") == [
        {"node": "EdgeBlur1", "kind": "unknown_knob", "name": "sizee", "suggestion": "size"}]
