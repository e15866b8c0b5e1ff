"""The five write tools: each checks its arguments against the current comp and returns a
:class:`~.proposals.Proposal` (nothing changes), or a failed :class:`ToolResult` saying
exactly what is wrong (unknown node or knob, an input the node does not have, a loop...).

Only :func:`~.apply.apply` changes the comp, after the artist approved. A write proposed
after another is checked against the comp as it is then, so the loop proposes each write
once the previous one was applied or rejected.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any, Callable, Dict, List, Optional, Sequence, Union

from ..assist.actions import CODE_OFF_NOTE, PasteNodes, RunPython
from ..graph.class_facts import ChainedClassInfo, check_knobs, classes_for, max_inputs
from ..graph.host import Host, NodeInfo
from ..graph.nk_model import parent_of, short_name
from ..graph.nk_values import expression_raw, to_raw
from ..graph.risk import scan_code
from ..graph.snippets import preview_nk
from .proposals import ConnectInput, DeleteNodes, KnobChange, Proposal, SetKnobs
from .read_tools import unknown_names
from .results import DEFAULT_RESULT_BUDGET, ToolResult, failed

__all__ = ["WriteContext", "propose"]

_KNOB_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")

Lint = Callable[[str], Sequence[Any]]


@dataclass(frozen=True)
class WriteContext:
    """What the write tools need besides the arguments: the host, the
    allow_code_execution setting, a class-info source (``class_info(name)``, may be None)
    and a lint hook (``lint(nk_text) -> findings``, may be None)."""

    host: Host
    allow_code: bool = True
    class_info: Any = None
    lint: Optional[Lint] = None
    budget: int = DEFAULT_RESULT_BUDGET

    def classes(self) -> ChainedClassInfo:
        return classes_for(self.host, self.class_info)

    def findings(self, nk_text: str) -> tuple:
        return tuple(self.lint(nk_text)) if self.lint is not None else ()


def _fail(ctx: WriteContext, tool: str, message: str) -> ToolResult:
    return failed(tool, f"{message} Nothing was proposed; the comp is unchanged.", ctx.budget)


def _plural(count: int, noun: str) -> str:
    return f"{count} {noun}" + ("" if count == 1 else "s")


def create_nodes(ctx: WriteContext, args: Dict[str, Any]) -> Union[Proposal, ToolResult]:
    nodes = ctx.host.all_nodes()
    target = args.get("connect_to")
    if target is not None:
        missing = unknown_names([target], nodes)
        if missing:
            return _fail(ctx, "create_nodes", f"connect_to: {missing}")
    group = parent_of(target) if target else None
    existing = [short_name(n.name) for n in nodes if n.parent == group]
    preview = preview_nk(args["nk"], existing, target)
    if not preview.ok:
        return _fail(ctx, "create_nodes", (preview.error or "The snippet has no nodes.")
                     .replace(" Nothing was changed.", ""))
    preview = _without_selection_words(preview, target)
    tops = [n.name for n in preview.nodes if n.parent is None]
    title = f"AI: create {tops[0]}" if len(tops) == 1 else f"AI: create {len(tops)} nodes"
    action = PasteNodes(title, args["nk"], preview, target, ctx.allow_code)
    summary = f"create {', '.join(tops[:6])}" + (f" after {target}" if target else "")
    return Proposal("create_nodes", args, action, summary, ctx.findings(args["nk"]))


_NOTHING_SELECTED = " expects an input from the selected node, but nothing is selected"


def _without_selection_words(preview: Any, target: Optional[str]) -> Any:
    """The helpers' preview speaks of the selection; here ``connect_to`` says where."""
    shown = f"{target} (selected)"
    return preview._replace(
        connections=[(target if src == shown else src, dst, label)
                     for src, dst, label in preview.connections],
        warnings=[w.replace(_NOTHING_SELECTED, " is left unconnected (no connect_to given)")
                  for w in preview.warnings])


def set_knobs(ctx: WriteContext, args: Dict[str, Any]) -> Union[Proposal, ToolResult]:
    node = args["node"]
    values: Dict[str, Any] = args.get("values") or {}
    exprs: Dict[str, str] = args.get("expressions") or {}
    if not values and not exprs:
        return _fail(ctx, "set_knobs", "Nothing to set: give values and/or expressions "
                     "(knob name -> value).")
    both = sorted(set(values) & set(exprs))
    if both:
        return _fail(ctx, "set_knobs", f"{', '.join(both)}: given in both values and "
                     "expressions; give each knob once.")
    nodes = ctx.host.all_nodes()
    missing = unknown_names([node], nodes)
    if missing:
        return _fail(ctx, "set_knobs", missing)
    knobs = list(values) + list(exprs)
    bad = [k for k in knobs if not _KNOB_NAME.match(k)]
    if bad:
        return _fail(ctx, "set_knobs", f"Not a knob name: {', '.join(map(repr, bad))} (knob "
                     "names are letters, digits and _; a channel is set with a list value).")
    problem = _name_problem(node, values, exprs, nodes)
    if problem:
        return _fail(ctx, "set_knobs", problem)
    state = ctx.host.node_knobs(node, knobs)
    problems, warnings = check_knobs(ctx.host, node, knobs, ctx.classes(), state)
    if problems:
        return _fail(ctx, "set_knobs", " ".join(problems))
    changes = [KnobChange(k, state.values.get(k), v) for k, v in values.items() if k != "name"]
    changes += [KnobChange(k, state.values.get(k), e, True) for k, e in exprs.items()]
    if "name" in values:  # renaming goes last, so the other knobs are set on the old name
        changes.append(KnobChange("name", short_name(node), values["name"]))
    only = changes[0].knob if len(changes) == 1 else None
    title = f"AI: set {node}.{only}" if only else f"AI: set {len(changes)} knobs on {node}"
    action = SetKnobs(title, node, tuple(changes), tuple(warnings), ctx.allow_code)
    summary = f"set {node}: " + ", ".join(c.knob for c in changes)
    return Proposal("set_knobs", args, action, summary,
                    ctx.findings(_knob_snippet(state.node_class, node, changes)))


def _name_problem(node: str, values: Dict[str, Any], exprs: Dict[str, str],
                  nodes: Sequence[NodeInfo]) -> Optional[str]:
    if "name" in exprs:
        return "The name knob cannot follow an expression."
    if "name" not in values:
        return None
    new = values["name"]
    if not isinstance(new, str) or not _KNOB_NAME.match(new):
        return f"name: {new!r} is not a valid node name (letters, digits and _)."
    group = parent_of(node)
    taken = {short_name(n.name) for n in nodes if n.parent == group and n.name != node}
    if new in taken:
        return f"name: a node named {new} already exists there."
    return None


def _knob_snippet(node_class: str, node: str, changes: Sequence[KnobChange]) -> str:
    """The node as .nk text with the new values, for the lint hook."""
    lines = [f"{node_class} {{", f" name {short_name(node)}"]
    for c in changes:
        if c.knob != "name":
            raw = expression_raw(str(c.new)) if c.expression else to_raw(c.new)
            lines.append(f" {c.knob} {raw}")
    return "\n".join(lines + ["}", ""])


def connect_nodes(ctx: WriteContext, args: Dict[str, Any]) -> Union[Proposal, ToolResult]:
    node, index, source = args["node"], int(args["input"]), args["source"]
    nodes = ctx.host.all_nodes()
    missing = unknown_names([node] + ([source] if source is not None else []), nodes)
    if missing:
        return _fail(ctx, "connect_nodes", missing)
    by_name = {n.name: n for n in nodes}
    target = by_name[node]
    if source == node:
        return _fail(ctx, "connect_nodes", f"{node} cannot take its own output as an input.")
    if source is not None and by_name[source].parent != target.parent:
        return _fail(ctx, "connect_nodes", f"{source} and {node} are in different groups; "
                     "only nodes in the same group can be connected.")
    limit = ctx.host.node_knobs(node, ()).max_inputs
    if limit is None:
        info = ctx.classes().class_info(target.node_class)
        limit = max_inputs(info) if info and not info.get("partial") else None
    if limit is not None and index >= limit:
        have = f"inputs 0-{limit - 1}" if limit else "no inputs"
        return _fail(ctx, "connect_nodes", f"{node} ({target.node_class}) has {have}; there "
                     f"is no input {index}.")
    if source is not None:
        loop = _path(by_name, source, node)
        if loop:
            return _fail(ctx, "connect_nodes", f"Connecting {source} to {node} would make a "
                         f"loop: {node} already feeds {source} ({' -> '.join(reversed(loop))}).")
    old = target.inputs[index] if index < len(target.inputs) else None
    if old == source:
        state = f"connected to {source}" if source else "empty"
        return _fail(ctx, "connect_nodes", f"Input {index} of {node} is already {state}; "
                     "nothing to change.")
    title = (f"AI: connect {source} to {node} input {index}" if source
             else f"AI: disconnect {node} input {index}")
    action = ConnectInput(title, node, index, old, source)
    return Proposal("connect_nodes", args, action, title[4:])


def _path(by_name: Dict[str, NodeInfo], start: str, goal: str) -> List[str]:
    """The chain of inputs from ``start`` up to ``goal`` ([] when ``goal`` is not upstream)."""
    todo = [[start]]
    seen = set()
    while todo:
        chain = todo.pop()
        name = chain[-1]
        if name == goal:
            return chain
        if name in seen or name not in by_name:
            continue
        seen.add(name)
        todo.extend(chain + [i] for i in by_name[name].inputs if i)
    return []


def delete_nodes(ctx: WriteContext, args: Dict[str, Any]) -> Union[Proposal, ToolResult]:
    names = list(dict.fromkeys(args["names"]))
    nodes = ctx.host.all_nodes()
    missing = unknown_names(names, nodes)
    if missing:
        return _fail(ctx, "delete_nodes", missing)
    prefixes = tuple(n + "." for n in names)
    members = [n.name for n in nodes if n.name.startswith(prefixes) and n.name not in names]
    doomed = set(names) | set(members)
    orphans = [(n.name, i, src) for n in nodes if n.name not in doomed
               for i, src in enumerate(n.inputs) if src in doomed]
    title = f"AI: delete {names[0]}" if len(names) == 1 else f"AI: delete {len(names)} nodes"
    action = DeleteNodes(title, tuple(names), tuple(members), tuple(orphans))
    summary = f"delete {', '.join(names[:6])}" + (f" (+{_plural(len(members), 'node')} inside)"
                                                  if members else "")
    return Proposal("delete_nodes", args, action, summary)


def run_python(ctx: WriteContext, args: Dict[str, Any]) -> Union[Proposal, ToolResult]:
    code = args["code"]
    risk = scan_code(code)
    if risk.syntax_error:
        return _fail(ctx, "run_python", f"The code has a syntax error ({risk.syntax_error}).")
    note = "" if ctx.allow_code else CODE_OFF_NOTE
    action = RunPython("AI: run Python", code, risk, ctx.allow_code, note)
    lines = len(code.strip().splitlines())
    flagged = f", {len(risk.findings)} flagged" if risk.findings else ""
    return Proposal("run_python", args, action, f"run {_plural(lines, 'line')} of Python{flagged}")


_TOOLS = {"create_nodes": create_nodes, "set_knobs": set_knobs, "connect_nodes": connect_nodes,
          "delete_nodes": delete_nodes, "run_python": run_python}


def propose(ctx: WriteContext, name: str, args: Dict[str, Any]) -> Union[Proposal, ToolResult]:
    """The proposal for write tool ``name`` with validated ``args``, or a failed result."""
    return _TOOLS[name](ctx, args)
