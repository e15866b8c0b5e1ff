"""Proposed changes from the agent's write tools, previewed before anything runs.

``create_nodes`` and ``run_python`` reuse the helpers' actions (``PasteNodes`` with its
``NkPreview``, ``RunPython`` with its risk scan, see ``assist.actions``); this module adds
the three the helpers do not have, with the same shape (``title`` = the undo group name,
``kind``, ``risk``, ``allowed``, ``disabled_note``, ``describe()``):

* :class:`SetKnobs` - old -> new value per knob, expressions too;
* :class:`ConnectInput` - one input's old -> new source;
* :class:`DeleteNodes` - the nodes going (group contents too) and what loses an input.

:class:`Proposal` wraps any of them with the tool call it came from and the lint findings
to show beside the preview.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Dict, Mapping, Optional, Tuple, Union

from ..assist.actions import CODE_OFF_NOTE, PasteNodes, RunPython, SetExpression
from ..graph.context import summarise_value
from ..graph.nk_lexer import decode_value, is_quoted
from ..graph.risk import RiskReport, scan_expression

__all__ = ["KnobChange", "SetKnobs", "ConnectInput", "DeleteNodes", "Proposal",
           "ProposedAction", "KNOBS_BLOCKED", "show_raw"]

KNOBS_BLOCKED = "These knob values run code (flagged in the preview), so they cannot be set."
SHOWN_CHARS = 60
_NO_LIMIT = 1 << 62


def show_raw(raw: Optional[str]) -> str:
    """A knob's .nk text as one short line; None (not set in the script) as "(default)"."""
    if raw is None:
        return "(default)"
    summary = summarise_value("", raw, SHOWN_CHARS)
    text = summary or " ".join(raw.split())
    return text if len(text) <= SHOWN_CHARS else text[: SHOWN_CHARS - 1] + "\u2026"


def _show_new(value: Any, expression: bool) -> str:
    if expression:
        return f"expression {value}"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (list, tuple)):
        return "{" + " ".join(_show_new(v, False) for v in value) + "}"
    if isinstance(value, str):
        return value if value else '""'
    return str(value)


@dataclass(frozen=True)
class KnobChange:
    """One knob: ``old`` is its current .nk text (None: not set, i.e. at its default);
    ``new`` the value (number, text, bool, list) or, with ``expression``, the expression."""

    knob: str
    old: Optional[str]
    new: Any
    expression: bool = False

    def describe(self) -> str:
        return f"{self.knob}: {show_raw(self.old)} -> {_show_new(self.new, self.expression)}"

    def cells(self) -> Tuple[str, str]:
        """``(now, new)`` exactly, for a preview table: the text the knob holds now (a
        quoted .nk string decoded, so quotes, newlines and " -> " come through as they are;
        "(default)" when not set; only animation or shape data too big to read is
        summarised) and the new value as :meth:`describe` writes it, untrimmed."""
        if self.old is None:
            now = "(default)"
        else:
            # no length limit: text is never cut; many-key curves and roto shapes are
            now = summarise_value(self.knob, self.old, _NO_LIMIT) or (
                decode_value(self.old) if is_quoted(self.old) else self.old)
        return now, _show_new(self.new, self.expression)


@dataclass(frozen=True)
class SetKnobs:
    """Set knobs on one node. ``risk`` covers expressions and text values (``[python ...]``
    runs when Nuke evaluates it; a callback knob holds code); with ``code_allowed`` off a
    change that runs code is shown but not ``allowed``. ``warnings``: what could not be
    checked (a knob the in-memory host cannot confirm)."""

    title: str
    node: str
    changes: Tuple[KnobChange, ...]
    warnings: Tuple[str, ...] = ()
    code_allowed: bool = True
    code_off_note: str = CODE_OFF_NOTE
    kind: str = field(default="knobs", init=False)
    risk: RiskReport = field(init=False, compare=False, repr=False)

    def __post_init__(self) -> None:
        findings = []
        for change in self.changes:
            values = change.new if isinstance(change.new, (list, tuple)) else [change.new]
            for value in values:
                if isinstance(value, str) or change.expression:
                    findings.extend(scan_expression(str(value), self.node, change.knob).findings)
        object.__setattr__(self, "risk", RiskReport(findings))

    @property
    def allowed(self) -> bool:
        return self.code_allowed or self.risk.clean

    @property
    def disabled_note(self) -> str:
        return "" if self.allowed else f"{KNOBS_BLOCKED} {self.code_off_note}"

    def describe(self) -> str:
        lines = [f"Set on {self.node}:"] + [f"  {c.describe()}" for c in self.changes]
        if self.risk.findings:
            lines.append("Check before applying:")
            lines.extend(f"  {line}" for line in self.risk.summary())
        if self.warnings:
            lines.append("Warnings:")
            lines.extend(f"  {w}" for w in self.warnings)
        text = "\n".join(lines)
        return f"{self.disabled_note}\n{text}" if self.disabled_note else text


@dataclass(frozen=True)
class ConnectInput:
    """Connect input ``input`` of ``node`` to ``new`` (None: disconnect); ``old`` is what
    it is connected to now."""

    title: str
    node: str
    input: int
    old: Optional[str]
    new: Optional[str]
    kind: str = field(default="connect", init=False)
    risk: RiskReport = field(default=RiskReport([]), init=False, compare=False, repr=False)
    allowed: bool = field(default=True, init=False)
    disabled_note: str = field(default="", init=False)

    def describe(self) -> str:
        return (f"{self.node} input {self.input}: {self.old or '(not connected)'} -> "
                f"{self.new or '(not connected)'}")


@dataclass(frozen=True)
class DeleteNodes:
    """Delete ``names``; ``members`` are the nodes inside deleted groups that go with them;
    ``orphans`` (node, input, deleted source) are the inputs left empty."""

    title: str
    names: Tuple[str, ...]
    members: Tuple[str, ...] = ()
    orphans: Tuple[Tuple[str, int, str], ...] = ()
    kind: str = field(default="delete", init=False)
    risk: RiskReport = field(default=RiskReport([]), init=False, compare=False, repr=False)
    allowed: bool = field(default=True, init=False)
    disabled_note: str = field(default="", init=False)

    def describe(self) -> str:
        lines = [f"Nodes to be deleted ({len(self.names)}): {', '.join(self.names)}"]
        if self.members:
            lines.append(f"  with the {len(self.members)} node(s) inside: "
                         + ", ".join(self.members[:20])
                         + (f", and {len(self.members) - 20} more" if len(self.members) > 20 else ""))
        if self.orphans:
            lines.append("Inputs left empty:")
            lines.extend(f"  {node} input {index} (was {source})" for node, index, source in self.orphans)
        return "\n".join(lines)


ProposedAction = Union[PasteNodes, RunPython, SetExpression, SetKnobs, ConnectInput, DeleteNodes]


def _finding_line(finding: Any) -> str:
    """One lint finding (the lint module's ``{"node", "kind", "name", "suggestion"}``, or
    an object with those attributes) as text."""
    if isinstance(finding, Mapping):
        node, kind, name, suggestion = (finding.get(a) or "" for a in
                                        ("node", "kind", "name", "suggestion"))
    else:
        node, kind, name = (getattr(finding, a, "") for a in ("node", "kind", "name"))
        suggestion = getattr(finding, "suggestion", None)
    where = f"{node}: " if node else ""
    hint = f" (did you mean {suggestion}?)" if suggestion else ""
    return f"{where}{str(kind).replace('_', ' ')} {name}{hint}".strip()


@dataclass(frozen=True)
class Proposal:
    """A write tool's proposed change, waiting for the artist.

    ``tool`` / ``arguments``: the call it answers. ``action``: what would run (its ``title``
    is the undo group name). ``summary``: one line for the transcript. ``findings``: lint
    findings (unknown class or knob...) shown in the preview; the loop may send them back to
    the model for a repair round before the artist sees the preview.
    """

    tool: str
    arguments: Dict[str, Any]
    action: ProposedAction
    summary: str
    findings: Tuple[Any, ...] = ()

    @property
    def title(self) -> str:
        return self.action.title

    @property
    def kind(self) -> str:
        return self.action.kind

    @property
    def allowed(self) -> bool:
        return bool(self.action.allowed)

    @property
    def disabled_note(self) -> str:
        note = getattr(self.action, "disabled_note", "")
        return note or ("" if self.allowed else CODE_OFF_NOTE)

    @property
    def risk(self) -> RiskReport:
        return self.action.risk

    def finding_lines(self) -> Tuple[str, ...]:
        return tuple(_finding_line(f) for f in self.findings)

    def describe(self) -> str:
        """The preview text: what will change, risk flags, warnings and lint findings."""
        action = self.action
        if isinstance(action, RunPython):
            text = f"Run this Python:\n{action.code.rstrip()}\n{action.describe()}"
            if not action.allowed:
                text = f"{self.disabled_note}\n{text}"
        else:
            text = action.describe()
        if self.findings:
            text += "\nProblems found by the check:\n" + "\n".join(
                f"  {line}" for line in self.finding_lines())
        return text

