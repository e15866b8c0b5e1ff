"""Agent mode: the tools the model calls over the host adapter (DESIGN section 11).

Qt-free and ``nuke``-free. :class:`ToolRegistry` offers the tools of a turn, checks every
call, runs read tools at once and turns write tools into a :class:`Proposal` that changes
the comp only through :func:`apply`, as one named undo group; :class:`TurnUndo` undoes a
whole turn.
"""

from __future__ import annotations

from .apply import AppliedStep, TurnUndo, UndoReport, apply, reject
from ..graph.class_facts import ChainedClassInfo, ClassInfoSource, HostClassInfo
from .proposals import ConnectInput, DeleteNodes, KnobChange, Proposal, SetKnobs
from .registry import AGENT, ASK, MODES, ToolRegistry
from .results import DEFAULT_RESULT_BUDGET, REJECTED, ToolResult
from .schema import check_schema, parse_arguments, validate
from .specs import READ, TOOL_NAMES, TOOLS, WRITE, ToolSpec

__all__ = [
    "AGENT", "ASK", "MODES", "READ", "WRITE", "DEFAULT_RESULT_BUDGET", "REJECTED",
    "TOOLS", "TOOL_NAMES", "ToolSpec", "ToolRegistry", "ToolResult", "Proposal",
    "KnobChange", "SetKnobs", "ConnectInput", "DeleteNodes", "AppliedStep", "TurnUndo",
    "UndoReport", "apply", "reject", "ClassInfoSource", "HostClassInfo", "ChainedClassInfo",
    "check_schema", "parse_arguments", "validate",
]
