"""The .nk scan: everything in a snippet about to be pasted that would run code (callback
knobs, code-holding user knobs, TCL in any value, top-level commands)."""

from __future__ import annotations

import re
from typing import Iterable, List, Optional, Tuple

from ..nk_lexer import Command, NkParseError, Word, decode_value, is_braced, split_commands, split_words
from ..nk_reader import is_node_head
from ..nkscript import parse_script
from .python_scan import python_detail
from .report import DANGER, Finding, RiskReport
from .tcl import (CALLBACK_NAMES, CALLBACK_WHEN, CODE_KNOB_TYPES, TCL_COMMANDS, USER_KNOB,
                  excerpt_of, scan_tcl)

__all__ = ["scan_nk"]


# Commands are read as node blocks exactly as the .nk reader reads them (is_node_head), so
# findings can carry the names the parser gives (a mismatch falls back to the snippet's own).
_STACK_REF = re.compile(r"^\[\s*stack\s+\d+\s*\]$")


class _NkScan:
    def __init__(self, names: List[Tuple[str, str]]) -> None:
        self.names = names
        self.ordinal = 0
        self.findings: List[Finding] = []

    def add(self, line: int, severity: str, excerpt: str, reason: str, node: str, knob: str) -> None:
        finding = Finding(line, -1, severity, excerpt, reason, node, knob)
        if not any(f.node == node and f.knob == knob and f.reason == reason for f in self.findings):
            self.findings.append(finding)

    def run(self, commands: List[Command]) -> None:
        for cmd in commands:
            if cmd.comment:
                continue
            words = cmd.words
            head = words[0].raw
            body = words[-1] if len(words) >= 2 and is_braced(words[-1].raw) else None
            if head == "clone" and len(words) >= 3 and body is not None:
                label = self._label(None, body)
                self._header(words[1:-1], label)
                self._body(body, label)
            elif len(words) == 2 and body is not None and is_node_head(head):
                label = "Root" if head == "Root" else self._label(head, body)
                if head.lower() in TCL_COMMANDS:
                    severity, reason = TCL_COMMANDS[head.lower()]
                    self.add(cmd.line, severity, excerpt_of(cmd.text),
                             f"'{head} {{...}}' is the TCL command {head}, not a node: pasting "
                             f"runs it ({reason})", label, "")
                self._body(body, label)
            else:
                self._command(cmd)

    def _label(self, node_class: Optional[str], body: Word) -> str:
        if self.ordinal < len(self.names):
            full, cls = self.names[self.ordinal]
            self.ordinal += 1
            if node_class is None or cls == node_class:
                return full
        for key, value in _pairs(body):
            if key.raw == "name":
                return decode_value(value.raw) if value else node_class or "node"
        return node_class or "clone"

    def _header(self, words: List[Word], label: str) -> None:
        for word in words:
            for severity, reason, excerpt, _ in scan_tcl(word.raw):
                self.add(word.line, severity, excerpt, reason, label, "")

    def _command(self, cmd: Command) -> None:
        head = cmd.words[0].raw
        if head == "push" or head == "end_group" or head == "version":
            if "[" not in cmd.text:
                return
        if head == "set" and len(cmd.words) == 3 and _STACK_REF.match(cmd.words[2].raw):
            return
        for severity, reason, excerpt, offset in scan_tcl(cmd.text, script=True):
            self.add(cmd.line + cmd.text.count("\n", 0, offset), severity, excerpt,
                     reason + " (a top-level TCL command: pasting runs it)", "", "")
        if head == "in" and len(cmd.words) >= 3 and is_braced(cmd.words[-1].raw):
            inner = cmd.words[-1]
            try:
                nested = split_commands(inner.raw[1:-1], inner.line)
            except NkParseError:
                nested = []
            for sub in nested:
                if not sub.comment:
                    self._command(sub)

    def _body(self, body: Word, label: str) -> None:
        for key, value in _pairs(body):
            name = key.raw
            raw = value.raw if value else ""
            text = decode_value(raw)
            line = value.line if value else key.line
            for severity, reason, excerpt, _ in scan_tcl(name):
                self.add(key.line, severity, excerpt, reason, label, name)
            if name == "addUserKnob":
                self._user_knob(raw, line, label)
                continue
            when = CALLBACK_WHEN.get(name.lower())
            if when is not None:
                if text.strip():
                    self.add(line, DANGER, excerpt_of(text), when + python_detail(text), label, name)
                continue
            for source in (raw, text) if text != raw else (raw,):
                for severity, reason, excerpt, offset in scan_tcl(source):
                    at = line + (source.count("\n", 0, offset) if source is raw else 0)
                    self.add(at, severity, excerpt, reason + " when Nuke evaluates the value",
                             label, name)

    def _user_knob(self, raw: str, line: int, label: str) -> None:
        inner = raw[1:-1] if is_braced(raw) else decode_value(raw)
        try:
            words = split_words(inner, line)
        except NkParseError:
            words = []
        kind = words[0].raw if words else ""
        knob = decode_value(words[1].raw) if len(words) > 1 else "?"
        code = ""
        for i, word in enumerate(words[2:-1], start=2):
            if word.raw == "T":
                code = decode_value(words[i + 1].raw)
        if kind.isdigit() and int(kind) in CODE_KNOB_TYPES:
            detail = python_detail(code) if int(kind) in (22, 52) else ""
            self.add(line, DANGER, excerpt_of(code or inner), CODE_KNOB_TYPES[int(kind)] + detail,
                     label, knob)
        elif knob.lower() in CALLBACK_WHEN:
            self.add(line, DANGER, excerpt_of(inner), CALLBACK_WHEN[knob.lower()], label, knob)
        else:
            for severity, reason, excerpt, _ in scan_tcl(inner):
                self.add(line, severity, excerpt, reason + " when Nuke evaluates the knob",
                         label, knob)


def _pairs(body: Word) -> List[Tuple[Word, Optional[Word]]]:
    words = split_words(body.raw[1:-1], body.line)
    return [(words[i], words[i + 1] if i + 1 < len(words) else None)
            for i in range(0, len(words), 2)]


_RAW_CALLBACK = re.compile(r"(?i)(?:^|[\s{])(" + CALLBACK_NAMES + r")\s+(?!\"\"|\{\})\S")


def _raw_scan(text: str) -> List[Finding]:
    """For text the lexer cannot split: look for the same things line by line."""
    findings = []
    for m in _RAW_CALLBACK.finditer(text):
        line = text.count("\n", 0, m.start(1)) + 1
        findings.append(Finding(line, -1, DANGER, excerpt_of(text, m.start(1)),
                                CALLBACK_WHEN[m.group(1).lower()], "", m.group(1)))
    for m in USER_KNOB.finditer(text):
        if int(m.group(1)) in CODE_KNOB_TYPES:
            line = text.count("\n", 0, m.start()) + 1
            findings.append(Finding(line, -1, DANGER, excerpt_of(text, m.start()),
                                    CODE_KNOB_TYPES[int(m.group(1))], "", ""))
    for severity, reason, excerpt, offset in scan_tcl(text, script=True):
        findings.append(Finding(text.count("\n", 0, offset) + 1, -1, severity, excerpt, reason,
                                "", ""))
    return findings


def scan_nk(text: str, names: Optional[Iterable[Tuple[str, str]]] = None) -> RiskReport:
    """Scan ``.nk`` text about to be pasted for everything that would run code.

    ``names`` - (full name, class) of the nodes in script order, as ``parse_script``
    gives them - lets findings use the parser's names; by default they are worked out
    here. Findings carry the snippet's line numbers."""
    if text.startswith("\ufeff"):
        text = text[1:]
    text = text.replace("\r\n", "\n")
    try:
        commands = split_commands(text)
    except NkParseError:
        findings = _raw_scan(text)
        return RiskReport(sorted(findings, key=lambda f: f.line))
    if names is None:
        try:
            names = [(n.full_name, n.node_class) for n in parse_script(text, paste=True).nodes]
        except NkParseError:
            names = []
    scan = _NkScan(list(names))
    scan.run(commands)
    return RiskReport(sorted(scan.findings, key=lambda f: f.line))
