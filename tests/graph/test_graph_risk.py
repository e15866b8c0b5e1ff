"""The risk scan of model-written Python."""

from __future__ import annotations

import pytest

from nuke_ai_panel.graph.risk import DANGER, WARNING, scan_code


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
