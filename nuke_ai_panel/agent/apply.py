"""Apply or reject a proposed change, and undo a whole agent turn.

:func:`apply` is the only way a write tool changes the comp: ONE named undo group per
proposal (its ``title``: "AI: create 3 nodes", "AI: set Blur1.size"), run by
``Host.in_undo_group`` in one main-thread call so the artist's edits never join it; all
or nothing: on any failure the group is cancelled and the comp is as it was. The result
text tells the model what happened (names created, old/new values, new inputs, names deleted, output and
traceback). A proposal that would run code while code execution is off is refused, exactly
like the helpers. :class:`TurnUndo` records each applied step so "Undo this turn" can undo
them in reverse, each only if it is still the last undo step (what the artist did since is
never undone by mistake).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Dict, List, Optional, Tuple

from ..assist import actions
from ..graph.host import Host, HostError
from .proposals import ConnectInput, DeleteNodes, Proposal, SetKnobs, show_raw
from .results import DEFAULT_RESULT_BUDGET, REJECTED, ToolResult, failed, succeeded

__all__ = ["AppliedStep", "TurnUndo", "UndoReport", "apply", "reject"]


@dataclass(frozen=True)
class AppliedStep:
    """One applied write: its undo group ``title``; ``recorded`` is False when it changed
    nothing, so no undo step exists for it (code that only printed)."""

    tool: str
    title: str
    summary: str
    recorded: bool = True


@dataclass(frozen=True)
class UndoReport:
    """What "Undo this turn" did: ``undone`` step titles (last first), ``left`` the ones
    still applied, and ``message`` for the artist."""

    ok: bool
    undone: List[str]
    left: List[str]
    message: str


@dataclass
class TurnUndo:
    """The applied steps of one agent turn, in order."""

    steps: List[AppliedStep] = field(default_factory=list)

    def record(self, step: AppliedStep) -> None:
        self.steps.append(step)

    @property
    def applied(self) -> int:
        return len(self.steps)

    def forget(self) -> None:
        """Drop every step without undoing it: the comp it was applied to was replaced
        (the standalone app opened another script), so "Undo this turn" has nothing left
        to undo and must not report undoing changes in a comp no longer shown."""
        self.steps.clear()

    def undo(self, host: Host) -> UndoReport:
        """Undo every recorded step in reverse through ``host.undo(expect=title)``. Stops at
        the first step that is no longer the last undo step (the artist changed the comp or
        undid it by hand since); those left are reported, nothing else is touched."""
        undone: List[str] = []
        while self.steps:
            step = self.steps[-1]
            if step.recorded:
                try:
                    host.undo(expect=step.title)
                except HostError as exc:
                    left = [s.title for s in self.steps if s.recorded]
                    return UndoReport(False, undone, left, f"Stopped before '{step.title}': "
                                      f"{exc}. Something changed the comp after it; use "
                                      "Edit > Undo to go further back.")
                undone.append(step.title)
            self.steps.pop()
        message = (f"Undid {len(undone)} step(s) of this turn." if undone
                   else "Nothing to undo in this turn.")
        return UndoReport(True, undone, [], message)


def reject(proposal: Proposal, reason: str = "", budget: int = DEFAULT_RESULT_BUDGET) -> ToolResult:
    """The result when the artist rejects ``proposal`` (or Stop ends the wait)."""
    text = REJECTED + (f": {reason.strip()}" if reason.strip() else "")
    return failed(proposal.tool, text, budget, {"rejected": True})


def apply(proposal: Proposal, host: Host, turn: Optional[TurnUndo] = None,
          budget: int = DEFAULT_RESULT_BUDGET) -> ToolResult:
    """Apply an approved ``proposal`` on ``host`` as one undo group; record it in ``turn``.
    Never raises for what the model wrote: a refusal or failure is a failed result and the
    comp is unchanged. Blocks on host calls (not for the asyncio loop thread)."""
    tool = proposal.tool
    if not proposal.allowed:
        return failed(tool, f"Blocked, nothing was changed: {proposal.disabled_note}", budget)
    action = proposal.action
    if isinstance(action, (SetKnobs, ConnectInput, DeleteNodes)):
        result, recorded = _apply_own(proposal, host, budget)
    else:
        outcome = actions.apply(host, action)
        result, recorded = _from_outcome(proposal, host, outcome, budget), outcome.recorded
    if result.ok and turn is not None:  # a run that changed nothing leaves no undo step
        turn.record(AppliedStep(tool, proposal.title, result.summary, recorded))
    return result


def _apply_own(proposal: Proposal, host: Host, budget: int) -> Tuple[ToolResult, bool]:
    """Apply a knob, connection or delete proposal as ONE ``Host.in_undo_group`` call;
    returns the result and whether it made an undo step."""
    action = proposal.action

    def edit() -> None:
        if isinstance(action, SetKnobs):
            for change in action.changes:
                host.set_knob(action.node, change.knob, change.new, change.expression)
        elif isinstance(action, ConnectInput):
            host.set_input(action.node, action.input, action.new)
        else:
            host.delete_nodes(list(action.names))

    try:
        recorded = host.in_undo_group(action.title, edit).recorded
    except HostError as exc:
        return failed(proposal.tool, f"{action.title} failed, nothing was changed: {exc}",
                      budget), False
    except Exception as exc:  # a host refusing in an unforeseen way still leaves the comp as it was
        return failed(proposal.tool, f"{action.title} failed, nothing was changed: "
                      f"{type(exc).__name__}: {exc}", budget), False
    return _own_result(proposal, host, budget), recorded


def _own_result(proposal: Proposal, host: Host, budget: int) -> ToolResult:
    action = proposal.action
    step = f" (one undo step: '{action.title}')"
    if isinstance(action, SetKnobs):
        return _knobs_result(proposal, action, host, step, budget)
    if isinstance(action, ConnectInput):
        inputs = _inputs_of(host, action.node)
        shown = ", ".join(f"{i}: {s or '(empty)'}" for i, s in enumerate(inputs)) or "none connected"
        text = f"{action.describe()}{step}. {action.node} inputs now: {shown}."
        return succeeded(proposal.tool, action.title[4:], text, budget,
                         details={"node": action.node, "inputs": inputs})
    return _delete_result(proposal, action, host, step, budget)


def _knobs_result(proposal: Proposal, action: SetKnobs, host: Host, step: str,
                  budget: int) -> ToolResult:
    renamed = next((c.new for c in action.changes if c.knob == "name"), None)
    node = action.node
    if renamed:
        node = f"{node.rsplit('.', 1)[0]}.{renamed}" if "." in node else str(renamed)
    knobs = [c.knob for c in action.changes if c.knob != "name"]
    now = host.node_knobs(node, knobs).values if knobs else {}
    lines = [f"Set on {node}{step}:"]
    for c in action.changes:
        current = renamed if c.knob == "name" else show_raw(now.get(c.knob))
        lines.append(f"  {c.knob}: {show_raw(c.old)} -> {current}")
    return succeeded(proposal.tool, action.title[4:], "\n".join(lines), budget,
                     details={"node": node, "values": dict(now)})


def _delete_result(proposal: Proposal, action: DeleteNodes, host: Host, step: str,
                   budget: int) -> ToolResult:
    gone = list(action.names) + list(action.members)
    text = f"Deleted {', '.join(action.names)}{step}."
    if action.members:
        text += f" With them went the {len(action.members)} node(s) inside."
    if action.orphans:
        inputs = {n.name: n.inputs for n in host.all_nodes()}
        parts = []
        for node, index, source in action.orphans:
            now = inputs.get(node, [])
            current = now[index] if index < len(now) else None
            parts.append(f"{node} input {index} (was {source}) is now {current or 'empty'}")
        text += " " + "; ".join(parts) + "."
    return succeeded(proposal.tool, action.title[4:], text, budget, details={"deleted": gone})


def _inputs_of(host: Host, name: str) -> List[Optional[str]]:
    return next((list(n.inputs) for n in host.all_nodes() if n.name == name), [])


def _from_outcome(proposal: Proposal, host: Host, outcome: actions.Outcome,
                  budget: int) -> ToolResult:
    """The result text for a paste or Python run applied by the helpers' ``apply``."""
    tool = proposal.tool
    details: Dict[str, Any] = {"created": outcome.created, "deleted": outcome.deleted}
    step = f"one undo step: '{proposal.title}'"
    if not outcome.ok:
        text = f"{proposal.title} failed, nothing was changed"
        if outcome.message:
            text += f": {outcome.message}"
        if outcome.output:
            text += f"\nOutput:\n{outcome.output.rstrip()}"
        if outcome.traceback:
            text += f"\n{outcome.traceback.rstrip()}"
        return failed(tool, text, budget, details)
    if tool == "create_nodes":
        inputs = {n.name: n for n in host.all_nodes()}
        rows = []
        for name in outcome.created:
            info = inputs.get(name)
            wired = ", ".join(f"input {i} <- {s}" for i, s in enumerate(info.inputs) if s) if info else ""
            rows.append(f"  {name} ({info.node_class if info else '?'})" + (f": {wired}" if wired else ""))
        text = f"Created {len(outcome.created)} node(s) ({step}):\n" + "\n".join(rows)
        if outcome.message:
            text += f"\nNote: {outcome.message}."
        summary = f"created {', '.join(outcome.created[:6])}"
        return succeeded(tool, summary, text, budget, "The node list was cut.", details)
    text = f"The code ran ({step})."
    if outcome.created or outcome.deleted:
        text += "".join([f" Created: {', '.join(outcome.created)}." if outcome.created else "",
                         f" Deleted: {', '.join(outcome.deleted)}." if outcome.deleted else ""])
    text += f"\nOutput:\n{outcome.output.rstrip()}" if outcome.output.strip() else "\nNo output."
    return succeeded(tool, "the code ran", text, budget, "The output was cut.", details)
