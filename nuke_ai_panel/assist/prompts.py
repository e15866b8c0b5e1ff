"""The request each helper command sends: a system prompt for the helper role, the graph
context from the host, and the artist's words.

The context is Nuke's own script text (what ``nuke.nodeCopy`` writes) cut to a character
budget by :mod:`nuke_ai_panel.graph.context`, so the model reads the comp the way Nuke
stores it. Each command asks for one answer shape (one ```nk block, one ```python block,
one ```tcl expression) because :mod:`.actions` turns exactly that shape into a preview.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import List, Optional

from ..graph.context import (
    DEFAULT_BUDGET,
    compact_script,
    error_context,
    selection_context,
    settings_text,
)
from ..graph.class_facts import check_knobs, classes_for
from ..graph.host import Host
from ..settings import Message
from .commands import BUILD, EXPLAIN, EXPR, FIX, HELP, SCRIPT, Command, CommandError, resolve_target

__all__ = [
    "DEFAULT_BUDGET",
    "ANSWER_NK",
    "ANSWER_PYTHON",
    "ANSWER_EXPRESSION",
    "ANSWER_TEXT",
    "HelperRequest",
    "build_request",
    "fix_code_request",
    "paste_target",
    "system_prompt",
    "undo_name",
]

ANSWER_TEXT, ANSWER_NK, ANSWER_PYTHON, ANSWER_EXPRESSION = "text", "nk", "python", "expression"

ROLE = (
    "You are an experienced Nuke compositor and pipeline TD, helping an artist from a panel "
    "inside Foundry Nuke. You are given the script's settings and nodes as Nuke script text "
    "(.nk, exactly as nuke.nodeCopy writes it). Long knob values may have been replaced by a "
    "summary in angle brackets such as <curve with 240 keys, frames 1-240>; never copy a "
    "summary back into an answer. Name node classes, nodes and knobs exactly as Nuke does, "
    "and say so plainly when you are not sure."
)

_PYTHON_RULES = (
    "The code runs in the artist's Nuke session as one undo step, with the nuke module "
    "imported. Use Nuke's Python API only. Do not open dialogs or panels (nuke.message, "
    "nuke.ask, nuke.getInput, nuke.Panel, showModalDialog): they would block Nuke, so they are "
    "answered automatically. Do not save, close or render the script, delete or move files, "
    "start programs or use the network unless the task asks for it. Print one short line "
    "saying what changed."
)

RULES = {
    EXPLAIN: (
        "Explain what these nodes do for a compositor: the purpose of each part, how the "
        "image flows between them, the settings that matter, and anything that looks wrong "
        "or risky (colour space mismatches, frame ranges, broken concatenation, expensive "
        "nodes). Be concise: short paragraphs or bullets, no code unless asked."
    ),
    BUILD: (
        "Answer with ONE ```nk fenced block of Nuke script text, written exactly as "
        "nuke.nodeCopy writes it, ready for nuke.nodePaste: node blocks such as "
        "`Blur {\\n size 4\\n name Blur_soften\\n}`, with `set`, `push` and `inputs N` lines "
        "for branches and multi-input nodes. Start the block with `set cut_paste_input "
        "[stack 0]` and `push $cut_paste_input` so the first node takes its input from the "
        "selected node. No Python, no Root block, no xpos/ypos. Give every node a descriptive "
        "name. Before the block, at most two sentences on what it does."
    ),
    SCRIPT: (
        "Answer with ONE ```python fenced block. " + _PYTHON_RULES
        + " Before the block, at most two sentences on what it does."
    ),
    FIX: (
        "For each node in error, say in one or two sentences what causes the error, from its "
        "knobs and connections. If the script itself can be fixed, then give ONE ```python "
        "fenced block that fixes it. " + _PYTHON_RULES + " If the fix needs the artist "
        "instead (a file missing on disk, a licence, a render), say what to do and give no code."
    ),
    EXPR: (
        "Answer with only the expression, in ONE ```tcl fenced block, in Nuke's expression "
        "syntax exactly as it would be typed into the knob's expression field (frame, "
        "sin(), NodeName.knob, parent.knob, [value ...]). No explanation."
    ),
}

EXPECTS = {EXPLAIN: ANSWER_TEXT, BUILD: ANSWER_NK, SCRIPT: ANSWER_PYTHON, FIX: ANSWER_PYTHON,
           EXPR: ANSWER_EXPRESSION}


def system_prompt(command_name: str) -> str:
    return f"{ROLE}\n\n{RULES[command_name]}"


@dataclass(frozen=True)
class HelperRequest:
    """Everything one helper turn needs. ``display`` is what the transcript shows (the typed
    command), ``user`` what the model gets. ``connect_to`` (build) and ``node``/``knob``
    (expr) are resolved when the request is made, so the preview matches what was asked."""

    command: Command
    system: str
    user: str
    display: str
    expects: str
    undo_name: str
    connect_to: Optional[str] = None
    node: Optional[str] = None
    knob: Optional[str] = None
    context_trimmed: bool = False
    note: str = ""
    repair_round: int = 0

    def messages(self) -> List[Message]:
        return [Message("user", self.user)]


def undo_name(command: Command) -> str:
    return f"AI: {command.label}"


def build_request(command: Command, host: Host, budget: int = DEFAULT_BUDGET) -> HelperRequest:
    """The request for ``command`` with context read from ``host`` (on the caller's thread:
    a ``NukeHost`` marshals to Nuke's main thread itself). Raises CommandError when the
    command cannot apply to this script (``/expr`` on a node that does not exist)."""
    if command.name == HELP:
        raise CommandError("/help needs no request")
    if command.name not in (EXPLAIN, BUILD, SCRIPT, FIX, EXPR):
        raise CommandError(f"/{command.name} runs in the chat panel, not as a helper request")
    builder = {EXPLAIN: _explain, BUILD: _build, SCRIPT: _script, FIX: _fix, EXPR: _expr}
    return builder[command.name](command, host, budget)


def _base(command: Command, user: str, connect_to: Optional[str] = None,
          node: Optional[str] = None, knob: Optional[str] = None,
          context_trimmed: bool = False, note: str = "") -> HelperRequest:
    return HelperRequest(
        command=command,
        system=system_prompt(command.name),
        user=user,
        display=command.text or f"/{command.name} {command.argument}".strip(),
        expects=EXPECTS[command.name],
        undo_name=undo_name(command),
        connect_to=connect_to,
        node=node,
        knob=knob,
        context_trimmed=context_trimmed,
        note=note,
    )


#: Said when a helper works on the whole script because nothing is selected.
WHOLE_SCRIPT = "Nothing is selected, so this is about the whole script."
NO_ERRORS = ("No node is in error, so there is nothing to fix; nothing was sent. "
             "Select nodes and use /explain to ask about them instead.")


def _scope_note(scope: str) -> str:
    return WHOLE_SCRIPT if scope == "script" else ""


def _explain(command: Command, host: Host, budget: int) -> HelperRequest:
    context = selection_context(host, budget)
    whole = context.scope == "script"
    ask = "Nothing is selected: explain the whole script." if whole else "Explain these nodes."
    if command.argument:
        ask += f" In particular: {command.argument}"
    return _base(command, f"{context.render()}\n\n{ask}", context_trimmed=context.trimmed,
                 note=_scope_note(context.scope))


def paste_target(host: Host) -> Optional[str]:
    """The node a pasted snippet wires to: the last selected top-level node, as Nuke's
    paste does with the selection (None when nothing at the top level is selected)."""
    chosen = [n.name for n in host.selected_nodes() if n.parent is None]
    return chosen[-1] if chosen else None


def _build(command: Command, host: Host, budget: int) -> HelperRequest:
    context = selection_context(host, budget)
    target = paste_target(host)
    if target:
        wiring = (f"The snippet will be pasted below {target}: its first node takes its "
                  f"input from {target}.")
    else:
        wiring = "Nothing is selected: the snippet will be pasted unconnected."
    user = f"{context.render()}\n\n{wiring}\n\nBuild: {command.argument}"
    return _base(command, user, connect_to=target, context_trimmed=context.trimmed)


def _script(command: Command, host: Host, budget: int) -> HelperRequest:
    context = selection_context(host, budget)
    user = f"{context.render()}\n\nWrite Python for Nuke that does this: {command.argument}"
    return _base(command, user, context_trimmed=context.trimmed)


def _fix(command: Command, host: Host, budget: int) -> HelperRequest:
    if not host.nodes_in_error():
        raise CommandError(NO_ERRORS)
    user = f"{error_context(host, budget)}\n\nWhy are these nodes in error, and how do I fix it?"
    if command.argument:
        user += f" Note from the artist: {command.argument}"
    return _base(command, user)


def _expr(command: Command, host: Host, budget: int) -> HelperRequest:
    infos = host.all_nodes()
    selected = [n.name for n in infos if n.selected]
    classes = classes_for(host)

    def is_knob(name: str, knob: str) -> Optional[bool]:
        problems, warnings = check_knobs(host, name, [knob], classes)
        return None if warnings else not problems

    node, knob = resolve_target(command.target, [n.name for n in infos],
                                selected[-1] if selected else None, is_knob)
    problems, _ = check_knobs(host, node, [knob.split(".")[0]], classes)
    if problems:
        raise CommandError(problems[0])
    node_class = next(n.node_class for n in infos if n.name == node)
    text = compact_script(host.node_script([node]), max(1000, budget - 600))
    user = (
        f"Script settings: {settings_text(host)}\n"
        f"The node {node} ({node_class}), as Nuke script text:\n```nk\n{text.strip()}\n```\n\n"
        f"Write an expression for the {knob} knob of {node}: {command.argument}"
    )
    return _base(command, user, node=node, knob=knob)


def fix_code_request(failed: HelperRequest, code: str, traceback: str, output: str,
                     host: Host) -> HelperRequest:
    """The "Ask to fix" follow-up: the code that failed, its traceback and output, and the
    original request, asking for one corrected ```python block."""
    last = traceback.strip().splitlines()[-1] if traceback.strip() else "the code failed"
    command = Command(SCRIPT, f"fix {failed.command.label}", text=f"Ask to fix: {last}")
    parts = [
        f"Script settings: {settings_text(host)}",
        f"The artist asked: {failed.display}",
        f"This Python, which you wrote, failed when it ran in Nuke; the graph was left as it "
        f"was before it ran.\n```python\n{code.rstrip()}\n```",
        f"Traceback:\n```\n{traceback.rstrip()}\n```",
    ]
    if output.strip():
        parts.append(f"What it printed before failing:\n```\n{output.rstrip()}\n```")
    parts.append("Fix the code. Answer with ONE corrected ```python block.")
    return HelperRequest(
        command=command,
        system=system_prompt(SCRIPT),
        user="\n\n".join(parts),
        display=command.text,
        expects=ANSWER_PYTHON,
        undo_name=failed.undo_name,
    )
