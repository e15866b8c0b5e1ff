"""Check a helper's proposal against the node classes Nuke has before the artist sees it
(DESIGN section 12): a /build snippet and an /expr expression are linted against the
host's classes (Nuke's own inside Nuke, else the catalogue); the findings go back to the
model for ONE automatic repair round, and whatever is left is shown in the preview.

The agent's writes get the same check through the tool registry's lint hook.
"""

from __future__ import annotations

import dataclasses
from typing import Any, Dict, List, Optional, Tuple

from ..graph.host import Host, HostError
from ..graph.lint import LintError, describe_finding, lint_for_host
from ..graph.nk_model import short_name
from .actions import Action, PasteNodes, SetExpression
from .prompts import ANSWER_EXPRESSION, HelperRequest

__all__ = ["ground", "repair_request", "MAX_REPAIR_ROUNDS"]

MAX_REPAIR_ROUNDS = 1
Findings = Tuple[Dict[str, Any], ...]


def ground(action: Any, host: Host) -> Any:
    """``action`` with its lint findings attached (a paste or an expression; anything else
    is returned as it is). A snippet the linter cannot read is left to the preview, which
    already says so."""
    if isinstance(action, PasteNodes):
        found = _lint(host, action.snippet)
    elif isinstance(action, SetExpression):
        found = _lint(host, _expression_node(host, action))
    else:
        return action
    return dataclasses.replace(action, findings=found) if found else action


def _lint(host: Host, text: str) -> Findings:
    try:
        return tuple(lint_for_host(host, text))
    except (LintError, HostError, ValueError):
        return ()


def _expression_node(host: Host, action: SetExpression) -> str:
    """The target node as a .nk block carrying the new expression, so the linter resolves
    its references exactly as Nuke would on that node."""
    node_class = next((n.node_class for n in host.all_nodes() if n.name == action.node), "NoOp")
    return (f"{node_class} {{\n name {short_name(action.node)}\n"
            f" {action.knob} {{{{{action.expression}}}}}\n}}\n")


def repair_request(request: HelperRequest, action: Action) -> Optional[HelperRequest]:
    """The one follow-up that asks the model to fix ``action``'s findings, or None when
    there is nothing to fix or the repair round was already spent."""
    findings = getattr(action, "findings", ())
    if not findings or request.repair_round >= MAX_REPAIR_ROUNDS:
        return None
    problems = "\n".join(f"- {describe_finding(f)}" for f in findings)
    if isinstance(action, SetExpression) or request.expects == ANSWER_EXPRESSION:
        answered = f"```tcl\n{getattr(action, 'expression', '')}\n```"
        form = "ONE ```tcl block with the corrected expression"
    else:
        answered = f"```nk\n{getattr(action, 'snippet', '').rstrip()}\n```"
        form = "ONE corrected ```nk block (the whole snippet)"
    user = (f"{request.user}\n\nYou answered:\n{answered}\n\nChecked against the node classes "
            f"and knobs Nuke really has, it has these problems:\n{problems}\n\n"
            f"Fix them and answer again with {form}. Use only classes and knobs Nuke has.")
    return dataclasses.replace(request, user=user, repair_round=request.repair_round + 1,
                               display=f"Fix what Nuke does not have: {describe_finding(findings[0])}"
                               + (f" (+{len(findings) - 1} more)" if len(findings) > 1 else ""),
                               note=_note(findings))


def _note(findings: Findings) -> str:
    count = len(findings)
    first: List[str] = [describe_finding(f) for f in findings[:2]]
    more = f" and {count - 2} more" if count > 2 else ""
    return (f"Checked against Nuke's node classes: {'; '.join(first)}{more}. Asked the model "
            "to fix {} once before showing the preview.".format("it" if count == 1 else "them"))
