"""Parse the helpers' slash commands (``/explain``, ``/build``, ``/fix``, ``/script``,
``/expr``, ``/look``, ``/help``) typed into the chat prompt or sent by a menu item.

Parsing is pure text work: whether a node or knob exists is checked later, against the
host, when the request is built. A command that cannot be understood raises
:class:`CommandError` whose message is the usage line, so the panel can show it as is.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable, Dict, Optional, Sequence, Tuple

from ..graph.catalogue import nearest

__all__ = [
    "COMMANDS",
    "Command",
    "CommandError",
    "USAGE",
    "help_text",
    "parse_command",
    "resolve_target",
    "suggest",
]

EXPLAIN, BUILD, FIX, SCRIPT, EXPR, HELP = "explain", "build", "fix", "script", "expr", "help"
LOOK = "look"  # run by the panel's image side (src/ui/look_command.py), not a helper request
COMMANDS: Tuple[str, ...] = (EXPLAIN, BUILD, FIX, SCRIPT, EXPR, LOOK, HELP)

USAGE: Dict[str, str] = {
    EXPLAIN: "/explain [QUESTION]  explain the selected nodes (or the whole script)",
    BUILD: "/build DESCRIPTION  build nodes from a description, wired to the selection",
    FIX: "/fix [NOTE]  find out why nodes are in error and propose a fix",
    SCRIPT: "/script TASK  write Python for Nuke that does the task",
    EXPR: "/expr [NODE.]KNOB DESCRIPTION  write an expression for a knob",
    LOOK: "/look [QUESTION]  show the model the Viewer frame (or the attached image), its "
          "pixel values and the nodes upstream",
    HELP: "/help  list these commands",
}

_ALIASES = {"explain": EXPLAIN, "build": BUILD, "fix": FIX, "script": SCRIPT, "python": SCRIPT,
            "py": SCRIPT, "expr": EXPR, "expression": EXPR, "look": LOOK, "help": HELP, "?": HELP}


class CommandError(ValueError):
    """The text is not a usable command; the message says how to write it."""


@dataclass(frozen=True)
class Command:
    """One parsed command. ``argument`` is the free text (description, task, question);
    for ``/expr``, ``target`` is the knob as typed (``Blur1.size`` or ``size``)."""

    name: str
    argument: str = ""
    target: str = ""
    text: str = ""

    @property
    def label(self) -> str:
        """A short title for undo steps and the transcript: ``build despill + edge blur``."""
        words = [self.name]
        if self.target:
            words.append(self.target)
        if self.argument:
            words.append(self.argument)
        return _shorten(" ".join(" ".join(words).split()), 60)


def _shorten(text: str, size: int) -> str:
    return text if len(text) <= size else text[: size - 1].rstrip() + "\u2026"


def help_text() -> str:
    lines = ["Helper commands (each shows a preview; nothing changes until you press Apply):"]
    lines.extend(f"  {USAGE[name]}" for name in COMMANDS)
    return "\n".join(lines)


def parse_command(text: str) -> Command:
    """``"/build despill and edge blur"`` -> ``Command("build", "despill and edge blur")``."""
    stripped = text.strip()
    if not stripped.startswith("/"):
        raise CommandError("Commands start with /. " + _known())
    words = stripped[1:].split(None, 1)
    head = words[0] if words else ""
    rest = words[1].strip() if len(words) > 1 else ""
    name = _ALIASES.get(head.lower())
    if name is None:
        shown = f"/{head}" if head else "/"
        close = suggest(head)
        guess = f" Did you mean {close}?" if close else ""
        raise CommandError(f"Unknown command {shown}.{guess} " + _known())
    if name in (BUILD, SCRIPT) and not rest:
        what = "what to build" if name == BUILD else "the task"
        raise CommandError(f"Say {what}: {USAGE[name].split('  ')[0]}")
    if name == HELP:
        return Command(HELP, text=stripped)
    if name == EXPR:
        target, description = _split_expr(rest)
        return Command(EXPR, description, target, stripped)
    return Command(name, rest, "", stripped)


def suggest(word: str) -> Optional[str]:
    """The command a mistyped one most likely meant (``bulid`` -> ``/build``), or None."""
    words = [alias for alias in _ALIASES if alias.isalpha()]
    found = nearest(word.lower(), words, max_ratio=0.5) if len(word) > 1 else None
    return f"/{_ALIASES[found]}" if found else None


def _split_expr(rest: str) -> Tuple[str, str]:
    words = rest.split(None, 1)
    target = words[0].rstrip(":") if words else ""
    description = words[1].strip() if len(words) > 1 else ""
    if not target or not description:
        raise CommandError(
            "Name the knob and say what it should do: /expr [NODE.]KNOB DESCRIPTION "
            "(for example /expr Blur1.size grow from 0 to 10 over the shot)")
    if target.startswith(".") or target.endswith(".") or ".." in target:
        raise CommandError(f"{target!r} is not a knob name: write KNOB or NODE.KNOB")
    return target, description


def _known() -> str:
    return "Known commands: " + ", ".join(f"/{name}" for name in COMMANDS) + "."


def resolve_target(target: str, node_names: Sequence[str], selected: Optional[str],
                   is_knob: Callable[[str, str], Optional[bool]]) -> Tuple[str, str]:
    """Split ``/expr``'s ``[NODE.]KNOB`` against the script's node names.

    The longest dotted prefix naming a node is the node (``Group1.Blur1.size``). Otherwise
    the whole text is a knob of the selected node, but a dotted one only when its first
    part is a knob of that node (``translate.x``: ``is_knob(node, knob)`` says so; None,
    "cannot tell", counts as no), so a mistyped node name (``NoSuchNode.size``) is refused
    rather than read as a knob of the selection. Raises CommandError when neither works."""
    names = set(node_names)
    parts = target.split(".")
    for cut in range(len(parts) - 1, 0, -1):
        node = ".".join(parts[:cut])
        if node in names:
            return node, ".".join(parts[cut:])
    if len(parts) > 1 and not (selected and is_knob(selected, parts[0])):
        missing = ".".join(parts[:-1])
        close = nearest(missing, sorted(names))
        hint = f" Did you mean {close}.{parts[-1]}?" if close else ""
        raise CommandError(f"There is no node named {missing} in the script.{hint}")
    if selected:
        return selected, target
    raise CommandError(f"Select the node whose {target} knob needs the expression, "
                       f"or write NODE.{target}.")


@dataclass(frozen=True)
class MenuHelper:
    """One helper as the AI Assistant menus offer it (Nuke's menu, the standalone app's)."""

    key: str
    label: str
    command: str
    needs_words: bool
    tip: str


#: The one table the Nuke menu, its integration and the standalone app's menu are built from.
#: Helpers that ``needs_words`` wait in the prompt box for the artist to finish the sentence.
MENU_HELPERS: Tuple[MenuHelper, ...] = (
    MenuHelper("explain", "Explain Selected", "/explain", False, "Explain the selected nodes"),
    MenuHelper("build", "Build Nodes...", "/build", True,
               "Describe nodes for the assistant to build"),
    MenuHelper("fix", "Fix Errors", "/fix", False, "Ask the assistant about the nodes in error"),
    MenuHelper("script", "Write Script...", "/script", True,
               "Describe a Python script for the assistant"),
    MenuHelper("expression", "Write Expression...", "/expr", True,
               "Describe an expression to write"),
)
