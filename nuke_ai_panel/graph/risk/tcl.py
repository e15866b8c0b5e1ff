"""The TCL scan: commands in knob values, expressions and top-level script lines that run
code when Nuke evaluates them."""

from __future__ import annotations

import re
from typing import List, Set, Tuple

from .report import DANGER, WARNING, Finding, RiskReport

__all__ = ["CALLBACK_KNOBS", "CODE_KNOB_TYPES", "scan_expression", "scan_tcl"]

CALLBACK_WHEN = {
    "oncreate": "runs Python as soon as the node is created (at once, on paste)",
    "ondestroy": "runs Python when the node is deleted",
    "knobchanged": "runs Python whenever a knob on the node changes",
    "updateui": "runs Python whenever Nuke redraws the node",
    "autolabel": "runs Python every time the node's label is drawn",
    "beforerender": "runs Python when the node renders",
    "afterrender": "runs Python when the node renders",
    "beforeframerender": "runs Python when the node renders",
    "afterframerender": "runs Python when the node renders",
    "renderprogress": "runs Python when the node renders",
    "beforebackgroundrender": "runs Python when the node renders",
    "afterbackgroundrender": "runs Python when the node renders",
    "afterbackgroundframerender": "runs Python when the node renders",
    "onscriptload": "runs Python when the script is opened",
    "onscriptsave": "runs Python when the script is saved",
    "onscriptclose": "runs Python when the script is closed",
    "onusercreate": "runs Python when the node is created",
}
CALLBACK_KNOBS = frozenset(CALLBACK_WHEN)
"""Knob names (lower case) whose value is Python that Nuke runs by itself."""

CODE_KNOB_TYPES = {
    22: "a Python button (PyScript_Knob) that runs Python when clicked",
    32: "a TCL button (Script_Knob) that runs TCL, which can run Python, when clicked",
    35: "a menu (Pulldown_Knob) whose items run Python",
    47: "a Python menu knob whose items run Python",
    52: "a Python custom knob (PyCustom_Knob) that runs Python when its panel is built",
    58: "a Python plug-in knob that runs Python",
}
"""``addUserKnob {TYPE ...}`` numbers of knobs that hold code (22 PyScript_Knob, 32
Script_Knob, 35 Pulldown_Knob, 52 PyCustom_Knob, which Nuke reports as PythonCustomKnob)."""

TCL_COMMANDS = {
    "python": (DANGER, "runs Python"),
    "exec": (DANGER, "starts another program"),
    "open": (DANGER, "opens a file or starts a program"),
    "socket": (DANGER, "uses the network"),
    "source": (DANGER, "runs a TCL file"),
    "load": (DANGER, "loads native code"),
    "exit": (DANGER, "quits Nuke"),
    "quit": (DANGER, "quits Nuke"),
    "script_close": (DANGER, "closes the script"),
    "script_clear": (DANGER, "closes the script"),
    "script_exit": (DANGER, "closes the script"),
    "eval": (WARNING, "runs TCL built from text, which can hide other commands"),
    "uplevel": (WARNING, "runs TCL built from text, which can hide other commands"),
    "subst": (WARNING, "runs TCL built from text, which can hide other commands"),
    "interp": (WARNING, "runs TCL built from text, which can hide other commands"),
    "apply": (WARNING, "runs TCL built from text, which can hide other commands"),
    "namespace": (WARNING, "runs TCL built from text, which can hide other commands"),
    "proc": (WARNING, "defines a TCL command"),
    "rename": (WARNING, "redefines a TCL command"),
    "trace": (WARNING, "runs TCL when a variable or command is used"),
    "after": (WARNING, "runs TCL later"),
    "package": (WARNING, "loads a TCL package"),
    "script_save": (WARNING, "saves the script"),
    "script_load": (WARNING, "loads another script"),
    "execute": (WARNING, "renders frames (writes files to disk)"),
    "render": (WARNING, "renders frames (writes files to disk)"),
}
TCL_FILE_WRITES = {"delete": DANGER, "rename": WARNING, "copy": WARNING, "mkdir": WARNING,
                   "link": WARNING, "attributes": WARNING}
WORD = re.compile(r"[^\s;\]]*")
SPACES = re.compile(r"\s*")
USER_KNOB = re.compile(r"addUserKnob\s*\{\s*(\d+)")
CALLBACK_NAMES = "|".join(sorted(CALLBACK_WHEN, key=len, reverse=True))
CALLBACK_WORD = re.compile(r"(?i)\b(" + CALLBACK_NAMES + r")\b")


def excerpt_of(text: str, start: int = 0, limit: int = 70) -> str:
    text = " ".join(text[start:].split())
    return text if len(text) <= limit else text[:limit - 1] + "\u2026"


def _bracket_depths(text: str) -> List[int]:
    depth = 0
    out = []
    for ch in text:
        if ch == "[":
            depth += 1
        out.append(depth)
        if ch == "]" and depth:
            depth -= 1
    return out


def scan_tcl(text: str, script: bool = False) -> List[Tuple[str, str, str, int]]:
    """TCL commands in ``text`` that run code: (severity, reason, excerpt, offset).

    Every ``[command ...]`` is checked (Nuke evaluates brackets in labels, file paths and
    expressions); with ``script`` the text is a TCL script, so the start of each line and
    each ``;``/``{`` also begins a command. A command whose name is computed (``[$c ...]``,
    ``[py\\x74hon ...]``) is reported too: it can hide anything. Conservative by design:
    an escaped ``\\[python ...]`` is reported as well."""
    depths = _bracket_depths(text)
    starts: List[Tuple[int, bool]] = []
    for i, ch in enumerate(text):
        if ch == "[":
            starts.append((i + 1, True))
        elif ch in ";\n{" and (script or depths[i] > 0):
            starts.append((i + 1, False))
    if script:
        starts.append((0, False))
    hits: List[Tuple[str, str, str, int]] = []
    seen: Set[int] = set()
    starts.sort()
    for pos, bracket in starts:
        pos = SPACES.match(text, pos).end()  # type: ignore[union-attr]
        if pos in seen:
            continue
        seen.add(pos)
        raw = WORD.match(text, pos).group(0)  # type: ignore[union-attr]
        word = raw.strip('"{}')
        if word.startswith("::"):
            word = word[2:]
        if not word:
            continue
        if any(c in word for c in "$[\\"):
            if bracket:
                hits.append((WARNING, "runs a TCL command whose name is computed (it could be "
                             "[python ...])", excerpt_of(text, pos - 1), pos))
            continue
        name = word.lower()
        rest = text[pos + len(raw):]
        end = rest.find("]") if bracket else rest.find("\n")
        args = rest if end < 0 else rest[:end]
        if name in TCL_COMMANDS:
            severity, reason = TCL_COMMANDS[name]
            hits.append((severity, reason, excerpt_of(text, pos - (1 if bracket else 0)), pos))
        elif name == "file":
            sub = args.split()[0].lower() if args.split() else ""
            if sub in TCL_FILE_WRITES:
                hits.append((TCL_FILE_WRITES[sub], f"changes files on disk (file {sub})",
                             excerpt_of(text, pos - (1 if bracket else 0)), pos))
        elif name == "knob" and len(args.split()) >= 2 and CALLBACK_WORD.search(args.split()[0]):
            hits.append((DANGER, "puts Python in a callback knob, which runs it later",
                         excerpt_of(text, pos - (1 if bracket else 0)), pos))
        elif name == "adduserknob":
            m = USER_KNOB.match(text, pos)
            if m and int(m.group(1)) in CODE_KNOB_TYPES:
                hits.append((DANGER, "adds " + CODE_KNOB_TYPES[int(m.group(1))],
                             excerpt_of(text, pos), pos))
    return hits


def scan_expression(expression: str, node: str = "", knob: str = "") -> RiskReport:
    """Scan a knob expression: ``[python ...]``, ``[exec ...]`` and friends (and a
    callback knob as the target, whose value is Python)."""
    findings = []
    if not node and not knob:
        knob = "expression"
    if knob.lower() in CALLBACK_WHEN:
        findings.append(Finding(1, -1, DANGER, excerpt_of(expression), f"the {knob} knob "
                                + CALLBACK_WHEN[knob.lower()], node, knob))
    for severity, reason, excerpt, _ in scan_tcl(expression):
        findings.append(Finding(1, -1, severity, excerpt, reason + " when Nuke evaluates it",
                                node, knob))
    return RiskReport(findings)
