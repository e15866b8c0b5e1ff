"""What an agent turn is given besides the tools: its instructions, the lint hook its writes
are checked with, and the repair request that sends findings back to the model.

DESIGN section 12: every agent write is linted before its preview; the findings go back to
the model for one automatic repair round before the artist sees the preview (where they
are shown if they remain).
"""

from __future__ import annotations

import logging
from typing import Any, Callable, Dict, List, Optional, Sequence

from ..graph.host import Host
from .proposals import Proposal
from .registry import ASK
from .results import ToolResult, failed

__all__ = ["AgentOptions", "agent_system_prompt", "lint_hook", "repair_result", "SUM_UP",
           "DEFAULT_MAX_STEPS"]

_log = logging.getLogger(__name__)
DEFAULT_MAX_STEPS = 12

_INSTRUCTIONS = (
    "You work on the artist's open Nuke script through the tools you are given. Look before "
    "you change anything: list_nodes, read_nodes, find_errors, get_script_info and "
    "node_class_info read the comp; their answers are facts, so use the exact node names, "
    "classes and knob names they give. {writes} Keep each change small and say in one "
    "sentence what it does. When the task is done, or cannot be done, answer in plain text "
    "without calling a tool: what you did and what is left.")
_WRITES = (
    "The write tools (create_nodes, set_knobs, connect_nodes, delete_nodes, run_python) only "
    "propose a change: the artist sees a preview and approves or rejects it, and a rejected "
    "change must not be proposed again unchanged. Prefer create_nodes, set_knobs and "
    "connect_nodes to run_python.")
_ASK = ("This turn is in Ask mode: you can read the comp but not change it; explain what the "
        "artist could do instead.")

SUM_UP = ("The step limit of this turn has been reached: no more tools can be called. Answer "
          "now in plain text: sum up what you did, what changed in the comp, and what is "
          "left to do.")


class AgentOptions:
    """An agent turn's settings: ``mode`` (``ask`` / ``agent``), ``max_steps`` (model
    calls whose tool calls are run before the summing-up call), ``budget`` (characters
    per tool result), the studio's ``writes_locked`` / ``python_locked``, and
    ``allow_code`` (the allow_code_execution setting)."""

    def __init__(self, mode: str = "agent", max_steps: int = DEFAULT_MAX_STEPS,
                 budget: Optional[int] = None, writes_locked: bool = False,
                 python_locked: bool = False, allow_code: bool = True) -> None:
        if max_steps < 1:
            raise ValueError("max_steps must be at least 1")
        self.mode = mode
        self.max_steps = int(max_steps)
        self.budget = budget
        self.writes_locked = writes_locked
        self.python_locked = python_locked
        self.allow_code = allow_code

    @classmethod
    def from_config(cls, config: Any, **overrides: Any) -> "AgentOptions":
        """Options from a :class:`~nuke_ai_panel.config.Config` (``agent.*`` settings and
        the studio's locks), with ``overrides`` (``mode``, ``max_steps``...) on top."""
        values: Dict[str, Any] = {
            "mode": config.get("agent.default_mode"),
            "max_steps": config.get("agent.max_steps"),
            "budget": config.get("agent.result_budget"),
            "writes_locked": not config.get("agent.allow_writes"),
            "python_locked": not config.get("agent.allow_run_python"),
            "allow_code": config.allow_code_execution,
        }
        values.update({k: v for k, v in overrides.items() if v is not None})
        return cls(**values)


def agent_system_prompt(base: str, mode: str) -> str:
    """The conversation's own system prompt, then the agent instructions for ``mode``."""
    instructions = _INSTRUCTIONS.format(writes=_ASK if mode == ASK else _WRITES)
    return f"{base.strip()}\n\n{instructions}" if base and base.strip() else instructions


def _external_names(host: Host) -> List[str]:
    names: List[str] = []
    for node in host.all_nodes():
        names.append(node.name)
        if "." in node.name:
            names.append(node.name.rsplit(".", 1)[1])
    return names


def lint_hook(host: Host) -> Callable[[str], Sequence[Dict[str, Optional[str]]]]:
    """``lint(nk_text) -> findings`` for the registry: the text checked against the class
    knowledge the host has (Nuke's live classes, or the catalogue for the script's Nuke
    version), with the comp's nodes known, so a snippet may refer to them. Text that cannot
    be read has no findings here (the write tool itself refuses it)."""
    from ..graph.class_facts import CatalogueClassInfo
    from ..graph.lint import LintError, lint_text

    def lint(text: str) -> Sequence[Dict[str, Optional[str]]]:
        source = host.class_source() if callable(getattr(host, "class_source", None)) else None
        cat = source.catalogue if isinstance(source, CatalogueClassInfo) else None
        version = source.version if isinstance(source, CatalogueClassInfo) else None
        try:
            return lint_text(text, nuke_version=version, cat=cat,
                             external_nodes=_external_names(host))
        except (LintError, ValueError) as exc:
            _log.info("lint skipped: %s", exc)
            return []

    return lint


def repair_result(proposal: Proposal, budget: int) -> ToolResult:
    """The failed result that sends a write's lint findings back to the model, once."""
    found = "; ".join(proposal.finding_lines())
    return failed(proposal.tool, (
        f"Not shown to the artist yet; the check found: {found}.\nFix this and call "
        f"{proposal.tool} again. If a finding is wrong (a plug-in's class or knob this "
        "check cannot know), call it again unchanged: the artist then decides, with the "
        "findings shown."), budget, {"repair": True})
