"""The tool registry: which tools a turn offers, and the one entry point for every call.

One :class:`ToolRegistry` per agent turn, over one host::

    registry = ToolRegistry(host, mode="agent", allow_code=settings.allow_code_execution,
                            writes_locked=studio.lock_writes, python_locked=studio.lock_python,
                            class_info=catalogue_source, lint=lint_hook)
    tools = registry.tool_specs()          # [{name, description, parameters}] for the provider
    outcome = registry.call(name, arguments)
    if isinstance(outcome, Proposal):      # a write: show outcome.describe(), ask the artist
        result = registry.apply(outcome) if approved else registry.reject(outcome, reason)
    else:
        result = outcome                   # a read result, or a failed call
    # send result.text to the model; emit tool_result {id, ok: result.ok, summary: result.summary}
    registry.undo_turn()                   # "Undo this turn"

``call`` never raises for what the model sent: invalid JSON, arguments that do not match
the schema, an unknown tool or one not offered in this mode all come back as failed
results naming what was wrong. Calls block on the host (NukeHost marshals to Nuke's main
thread): run them off the asyncio loop thread. Propose each write only after the previous
one was applied or rejected, so it is checked against the comp as it then is. A proposal
whose ``allowed`` is False (it would run code while code execution is off) can be answered
with ``apply`` at once: it is refused without touching the comp.
"""

from __future__ import annotations

import logging
from typing import Any, Callable, Dict, List, Optional, Sequence, Union

from ..graph.host import Host, HostError
from . import read_tools, write_tools
from .apply import TurnUndo, UndoReport, apply, reject
from .proposals import Proposal
from .read_tools import nearest
from .results import DEFAULT_RESULT_BUDGET, MIN_RESULT_BUDGET, ToolResult, failed
from .schema import ArgumentsError, check_schema, parse_arguments, validate
from .specs import READ, TOOLS, WRITE, ToolSpec, spec

__all__ = ["ASK", "AGENT", "MODES", "ToolRegistry"]

ASK = "ask"
AGENT = "agent"
MODES = (ASK, AGENT)
MAX_PROBLEMS = 8

_log = logging.getLogger(__name__)

for _tool in TOOLS:  # a schema keyword the validator does not check would be a silent gap
    check_schema(_tool.parameters, _tool.name)

_READERS: Dict[str, Callable[..., ToolResult]] = {
    "get_script_info": read_tools.get_script_info,
    "list_nodes": read_tools.list_nodes,
    "read_nodes": read_tools.read_nodes,
    "find_errors": read_tools.find_errors,
}


class ToolRegistry:
    """The tools of one agent turn over ``host``.

    ``mode``: ``"ask"`` offers the read tools only, ``"agent"`` reads and writes.
    ``writes_locked`` / ``python_locked``: the studio file turns all writes, or
    ``run_python``, off. ``allow_code``: the allow_code_execution setting; off, code-running
    content is blocked like in the helpers and ``run_python`` is not offered (it could
    never run). ``class_info``: a source with ``class_info(name) -> dict | None`` (the
    catalogue); the host's own nodes answer after it. ``lint``: ``lint(nk_text) ->
    findings`` run on every create/set proposal. ``budget``: characters per result.
    """

    def __init__(self, host: Host, mode: str = AGENT, *, writes_locked: bool = False,
                 python_locked: bool = False, allow_code: bool = True, class_info: Any = None,
                 lint: Optional[Callable[[str], Sequence[Any]]] = None,
                 budget: int = DEFAULT_RESULT_BUDGET) -> None:
        if mode not in MODES:
            raise ValueError(f"mode must be one of {MODES}, not {mode!r}")
        self.host = host
        self.mode = mode
        self.writes_locked = writes_locked
        self.python_locked = python_locked
        self.allow_code = allow_code
        self.class_info = class_info
        self.budget = max(MIN_RESULT_BUDGET, int(budget))
        self.turn = TurnUndo()
        self._settled: Dict[int, Proposal] = {}  # by id; holding them keeps the ids unique
        self._writes = write_tools.WriteContext(host, allow_code, class_info, lint, self.budget)

    # -- what is offered -----------------------------------------------------------------

    def _refusal(self, spec: ToolSpec) -> str:
        """Why ``spec`` is not offered in this turn ("" when it is)."""
        if spec.kind == READ:
            return ""
        if self.mode == ASK:
            return (f"{spec.name} changes the comp, and this turn is in Ask mode (read-only "
                    "tools). Answer in text, or suggest the artist switches to Agent mode.")
        if self.writes_locked:
            return f"{spec.name} is not available: the studio settings turn changes to the comp off."
        if spec.name == "run_python" and self.python_locked:
            return "run_python is not available: the studio settings turn it off."
        if spec.name == "run_python" and not self.allow_code:
            return ("run_python is not available: running code from the assistant is turned "
                    "off in the settings (allow_code_execution).")
        return ""

    def offered(self) -> List[ToolSpec]:
        """The tools this turn offers, in the contract's order."""
        return [t for t in TOOLS if not self._refusal(t)]

    def tool_specs(self) -> List[Dict[str, Any]]:
        """The offered tools, provider-neutral: ``[{name, description, parameters}]``."""
        return [t.as_dict() for t in self.offered()]

    # -- calling -------------------------------------------------------------------------

    def check(self, name: str, arguments: Any) -> Union[Dict[str, Any], ToolResult]:
        """The arguments as a dict when ``name`` is offered and they match its schema; else
        a failed result naming what was wrong. ``arguments``: JSON text, a mapping or None."""
        spec = next((t for t in TOOLS if t.name == name), None)
        if spec is None:
            offered = [t.name for t in self.offered()]
            close = nearest(str(name), offered, 1)
            hint = f" Did you mean {close[0]}?" if close else ""
            return failed(str(name), f"There is no tool called '{name}'.{hint} The tools are: "
                          f"{', '.join(offered)}.", self.budget)
        refusal = self._refusal(spec)
        if refusal:
            return failed(name, f"Not run: {refusal}", self.budget)
        try:
            args = parse_arguments(arguments)
        except ArgumentsError as exc:
            return failed(name, f"Invalid arguments for {name}: {exc}. Nothing was run; call "
                          "it again with a JSON object.", self.budget)
        problems = validate(spec.parameters, args)
        if problems:
            shown = problems[:MAX_PROBLEMS]
            more = f" (and {len(problems) - len(shown)} more)" if len(problems) > len(shown) else ""
            return failed(name, f"Invalid arguments for {name}: " + "; ".join(shown) + more
                          + ". Nothing was run; fix the arguments and call it again.", self.budget)
        required = set(spec.parameters.get("required", ()))
        # null for an optional argument means "not given"; a required null (source) is meant
        return {k: v for k, v in args.items() if v is not None or k in required}

    def call(self, name: str, arguments: Any = None) -> Union[ToolResult, Proposal]:
        """Run a read tool now (its result), or check a write tool's call against the comp
        (a :class:`Proposal` awaiting the artist, or a failed result). Never raises for
        what the model sent; a host failure is a failed result too."""
        args = self.check(name, arguments)
        if isinstance(args, ToolResult):
            return args
        try:
            if name == "node_class_info":
                return read_tools.node_class_info(self.host, args, self.budget, self.class_info)
            if name in _READERS:
                return _READERS[name](self.host, args, self.budget)
            return write_tools.propose(self._writes, name, args)
        except HostError as exc:
            return failed(name, f"{name} could not be done: {exc}", self.budget)
        except Exception as exc:  # a bug must not end the turn; the model and the log hear of it
            _log.exception("tool %s failed", name)
            return failed(name, f"{name} failed inside the panel ({type(exc).__name__}: {exc}). "
                          "Nothing was changed.", self.budget)

    def is_write(self, name: str) -> bool:
        """True for a write tool's name (its call returns a Proposal when valid)."""
        return any(t.name == name and t.kind == WRITE for t in TOOLS)

    # -- approving, rejecting, undoing ---------------------------------------------------

    def _settle(self, proposal: Proposal) -> Optional[ToolResult]:
        """None the first time; a failed result when ``proposal`` was already applied or
        rejected (a double click must not paste the nodes twice)."""
        if id(proposal) in self._settled:
            return failed(proposal.tool, f"{proposal.title}: this change was already applied "
                          "or rejected; nothing more was done.", self.budget)
        self._settled[id(proposal)] = proposal
        return None

    def apply(self, proposal: Proposal) -> ToolResult:
        """Apply an approved proposal as one undo group, recorded for "Undo this turn"."""
        refusal = self._refusal(spec(proposal.tool))
        if refusal:
            return failed(proposal.tool, f"Not applied: {refusal}", self.budget)
        return self._settle(proposal) or apply(proposal, self.host, self.turn, self.budget)

    def reject(self, proposal: Proposal, reason: str = "") -> ToolResult:
        """The result telling the model the artist rejected ``proposal``."""
        return self._settle(proposal) or reject(proposal, reason, self.budget)

    def undo_turn(self) -> UndoReport:
        """Undo every step applied in this turn, last first (see ``TurnUndo.undo``)."""
        return self.turn.undo(self.host)
