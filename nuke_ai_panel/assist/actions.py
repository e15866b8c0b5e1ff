"""Turn a finished helper answer into a proposed action with a preview, and apply it.

Three actions: :class:`PasteNodes` (a .nk snippet, previewed as the nodes and connections
it will create), :class:`RunPython` (code plus the risk scan) and :class:`SetExpression`.
Proposing never touches the graph; only :func:`apply` does, as ONE named undo group, so
the artist's confirm is the only way in and one Ctrl+Z is the way out. An answer that
cannot be used becomes a :class:`NoAction` with a plain message, never an exception.

A paste or an expression can run code too (``onCreate``, ``knobChanged``, ``[python ...]``
in a label or an expression, Python buttons...): every action carries a
:class:`~nuke_ai_panel.graph.risk.RiskReport`. When the settings turn code execution off,
an action that would run code is still proposed and previewed, flagged items and all, but
``allowed`` is False: the preview shows why and disables Apply, and :func:`apply` refuses
it. (Shown-but-blocked rather than a bare NoAction, so the artist sees exactly which knob
or call is the problem and can ask again or copy the harmless part.)
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Dict, List, Optional, Tuple, Union

from ..graph.host import Host, HostError
from ..graph.risk import RiskReport, scan_code, scan_expression, scan_nk
from ..fences import NUKE, PYTHON, code_blocks
from ..graph.snippets import NkPreview, extract_snippet, preview_nk
from .prompts import ANSWER_EXPRESSION, ANSWER_NK, ANSWER_TEXT, HelperRequest, fix_code_request

__all__ = [
    "CODE_OFF_NOTE",
    "EXPRESSION_BLOCKED",
    "NO_NODES",
    "PASTE_BLOCKED",
    "Action",
    "NoAction",
    "Outcome",
    "PasteNodes",
    "RunPython",
    "SetExpression",
    "action_from_answer",
    "apply",
    "follow_up",
]

CODE_OFF_NOTE = ("Running code from the assistant is turned off in the settings "
                 "(allow_code_execution). The code is shown so you can read or copy it.")
NO_NODES = ("The answer has no nodes to create (no ```nk node snippet), so there is nothing "
            "to preview. Ask again, or use /script if you want Python.")
PASTE_BLOCKED = ("These nodes carry code that Nuke would run (flagged in the preview), so "
                 "they cannot be pasted.")
EXPRESSION_BLOCKED = "This expression runs code (flagged in the preview), so it cannot be set."


@dataclass(frozen=True)
class PasteNodes:
    """Paste ``snippet``. ``code_allowed`` is the allow_code_execution setting at proposal
    time; ``allowed`` is whether Apply may run it (False when the snippet runs code and
    code execution is off)."""

    title: str
    snippet: str
    preview: NkPreview
    connect_to: Optional[str] = None
    code_allowed: bool = True
    code_off_note: str = CODE_OFF_NOTE
    findings: Tuple[Dict[str, Any], ...] = field(default=(), compare=False)
    kind: str = field(default="paste", init=False)

    @property
    def risk(self) -> RiskReport:
        return self.preview.risk

    @property
    def allowed(self) -> bool:
        return self.code_allowed or self.risk.clean

    @property
    def disabled_note(self) -> str:
        return "" if self.allowed else f"{PASTE_BLOCKED} {self.code_off_note}"

    def describe(self) -> str:
        text = self.preview.render()
        return f"{self.disabled_note}\n{text}" if self.disabled_note else text


@dataclass(frozen=True)
class RunPython:
    title: str
    code: str
    risk: RiskReport
    allowed: bool = True
    disabled_note: str = ""
    kind: str = field(default="python", init=False)

    def with_code(self, code: str) -> "RunPython":
        """The same action for code the artist edited in the preview (scanned again)."""
        return RunPython(self.title, code, scan_code(code), self.allowed, self.disabled_note)

    def describe(self) -> str:
        """The preview text for the code: the risk scan's findings, or why it won't run."""
        if self.risk.syntax_error:
            return f"The code has a syntax error ({self.risk.syntax_error}); it will not run."
        if self.risk.clean:
            return "No risky calls found."
        return "Check before running:\n" + "\n".join(f"  {line}" for line in self.risk.summary())


@dataclass(frozen=True)
class SetExpression:
    """Set ``expression`` on ``node.knob``. The expression is scanned on construction
    (``risk``), so an edited copy is always scanned again; ``allowed`` is False when it
    runs code and ``code_allowed`` (the setting) is off."""

    title: str
    node: str
    knob: str
    expression: str
    code_allowed: bool = True
    code_off_note: str = CODE_OFF_NOTE
    findings: Tuple[Dict[str, Any], ...] = field(default=(), compare=False)
    kind: str = field(default="expression", init=False)
    risk: RiskReport = field(init=False, compare=False, repr=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "risk", scan_expression(self.expression, self.node, self.knob))

    @property
    def allowed(self) -> bool:
        return self.code_allowed or self.risk.clean

    @property
    def disabled_note(self) -> str:
        return "" if self.allowed else f"{EXPRESSION_BLOCKED} {self.code_off_note}"

    def with_expression(self, expression: str) -> "SetExpression":
        """The same action for an expression the artist edited (scanned again)."""
        return SetExpression(self.title, self.node, self.knob, expression, self.code_allowed,
                             self.code_off_note)

    def describe(self) -> str:
        text = f"Set an expression on {self.node}.{self.knob}:\n  {self.expression}"
        if self.risk.findings:
            text += "\nCheck before applying:\n" + "\n".join(
                f"  {line}" for line in self.risk.summary())
        return f"{self.disabled_note}\n{text}" if self.disabled_note else text


@dataclass(frozen=True)
class NoAction:
    """The answer holds nothing to apply; ``message`` says why, for the transcript."""

    message: str


Action = Union[PasteNodes, RunPython, SetExpression]


@dataclass(frozen=True)
class Outcome:
    """What applying did. On failure the graph is as it was before Apply. ``recorded``:
    applying made a new undo step under its title (False when it changed nothing)."""

    ok: bool
    title: str
    created: List[str] = field(default_factory=list)
    deleted: List[str] = field(default_factory=list)
    output: str = ""
    traceback: str = ""
    message: str = ""
    recorded: bool = False

    def done_text(self) -> str:
        """What a successful apply did: ``created Blur1, Merge1; deleted Dot1``."""
        parts = []
        if self.created:
            parts.append(f"created {', '.join(self.created)}")
        if self.deleted:
            parts.append(f"deleted {', '.join(self.deleted)}")
        if self.message:
            parts.append(self.message)
        return "; ".join(parts) if parts else "done"

    def summary(self) -> str:
        if not self.ok:
            head = self.message or "failed"
            if self.traceback:
                last = self.traceback.strip().splitlines()[-1]
                head = f"{head}: {last}" if self.message else last
            return f"{self.title} failed, nothing was changed ({head})."
        return f"{self.title}: {self.done_text()}. One undo step (Ctrl+Z) takes it back."


def action_from_answer(answer: str, request: HelperRequest, host: Host,
                       allow_code: bool = True,
                       disabled_note: str = CODE_OFF_NOTE) -> Union[Action, NoAction, None]:
    """The action an answer proposes; None when the command only explains (``/explain``)."""
    if request.expects == ANSWER_TEXT:
        return None
    if not answer.strip():
        return NoAction("The answer is empty, so there is nothing to apply.")
    note = "" if allow_code else disabled_note
    if request.expects == ANSWER_EXPRESSION:
        return _expression(answer, request, allow_code, note)
    snippet = extract_snippet(answer)
    if request.expects == ANSWER_NK and (snippet is None or snippet.kind == "python"):
        return NoAction(NO_NODES)
    if snippet is None:
        return NoAction("The answer has no ```nk node snippet or ```python code block, so "
                        "there is nothing to apply. Ask again, or copy what you need by hand.")
    if snippet.kind == "python":
        return RunPython(request.undo_name, snippet.code, scan_code(snippet.code), allow_code, note)
    return _paste(snippet.code, request, host, allow_code, note)


def _paste(text: str, request: HelperRequest, host: Host, allow_code: bool,
           note: str) -> Union[PasteNodes, NoAction]:
    infos = host.all_nodes()
    target = request.connect_to if any(n.name == request.connect_to for n in infos) else None
    preview = preview_nk(text, [n.name for n in infos if n.parent is None], target)
    if not preview.ok:
        return NoAction(preview.error or "The node snippet contains no nodes. Nothing was changed.")
    return PasteNodes(request.undo_name, text, preview, target, allow_code, note or CODE_OFF_NOTE)


def _expression(answer: str, request: HelperRequest, allow_code: bool,
                note: str) -> Union[SetExpression, NoAction]:
    if not request.node or not request.knob:
        return NoAction("No knob was named for the expression.")
    blocks = code_blocks(answer)
    chosen = next((b.source for b in blocks if b.family == NUKE), None)
    if chosen is None:
        chosen = next((b.source for b in blocks if not b.language), None)
    if chosen is None and any(b.family == PYTHON for b in blocks):
        return NoAction("The answer is Python, not an expression; ask again with /script "
                        "if you want code that sets the knob.")
    if chosen is None:
        lines = [line for line in answer.strip().splitlines() if line.strip()]
        chosen = lines[0].strip().strip("`") if len(lines) == 1 else None
    expression = (chosen or "").strip()
    if not expression:
        return NoAction("The answer has no expression in a ```tcl block, so there is nothing "
                        "to apply.")
    if "\n" in expression:
        return NoAction("The answer has more than one line of expression; copy the part you "
                        "want into the knob by hand.")
    return SetExpression(request.undo_name, request.node, request.knob, expression, allow_code,
                         note or CODE_OFF_NOTE)


class _RunFailed(Exception):
    """Raised inside the undo group so the group is cancelled and the graph restored."""

    def __init__(self, output: str, traceback: str) -> None:
        super().__init__(traceback)
        self.output, self.traceback = output, traceback


def apply(host: Host, action: Action) -> Outcome:
    """Run ``action`` on ``host`` as one undo group named after it
    (``Host.in_undo_group``: nothing the artist does meanwhile can join it). Never raises
    for what the model wrote: a failure is an Outcome with the message or traceback, and
    the group is cancelled so the graph is exactly as it was. A paste previewed as
    unconnected clears the selection first, since Nuke's paste wires to whatever is
    selected. ``created``/``deleted`` are read inside the group, so they are this
    action's own."""
    refused = _refusal(action)
    if refused:
        return Outcome(False, action.title, message=refused)

    def run() -> Tuple[List[str], List[str], str, str]:
        before = _names(host)
        note = output = ""
        if isinstance(action, PasteNodes):
            target = action.connect_to if action.connect_to in before else None
            if action.connect_to and target is None:
                note = f"{action.connect_to} no longer exists, so the nodes are unconnected"
            if target is None:
                host.select([])
            host.paste_script(action.snippet, target)
        elif isinstance(action, RunPython):
            result = host.run_python(action.code)
            if not result.ok:
                raise _RunFailed(result.output, result.traceback)
            output = result.output
        else:
            host.set_knob(action.node, action.knob, action.expression, expression=True)
            note = f"{action.node}.{action.knob} now follows {action.expression}"
        after = _names(host)
        created = [n for n in after if n not in before]
        return created, [n for n in before if n not in after], output, note

    try:
        step = host.in_undo_group(action.title, run)
    except _RunFailed as failed:
        return Outcome(False, action.title, output=failed.output, traceback=failed.traceback,
                       message="the code raised an error")
    except HostError as exc:
        return Outcome(False, action.title, message=str(exc))
    except Exception as exc:
        return Outcome(False, action.title, message=f"{type(exc).__name__}: {exc}")
    created, deleted, output, note = step.value
    return Outcome(True, action.title, created, deleted, output=output, message=note,
                   recorded=step.recorded)


def _refusal(action: Action) -> str:
    """Why ``action`` may not run, or "". Scans the paste text again rather than trusting
    the preview it was built with: with code execution off, nothing that runs code gets in."""
    if isinstance(action, RunPython):
        return "" if action.allowed else (action.disabled_note or CODE_OFF_NOTE)
    if not action.allowed:
        return action.disabled_note
    if isinstance(action, PasteNodes) and not action.code_allowed and scan_nk(action.snippet).findings:
        return f"{PASTE_BLOCKED} {action.code_off_note}"
    return ""


def _names(host: Host) -> List[str]:
    return [n.name for n in host.all_nodes()]


def follow_up(request: HelperRequest, action: RunPython, outcome: Outcome,
              host: Host) -> HelperRequest:
    """The "Ask to fix" request after a RunPython failed: its code, traceback and output."""
    return fix_code_request(request, action.code, outcome.traceback or outcome.message,
                            outcome.output, host)

