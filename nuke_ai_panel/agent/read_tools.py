"""The five read tools: they run at once over the host adapter and never change the comp.

Each takes the host, the validated arguments and the result budget (characters) and
returns a :class:`ToolResult` whose text fits the budget, saying what was cut and how to
ask for the rest. Host calls block (NukeHost marshals them to Nuke's main thread), so
these must not run on the asyncio loop thread.
"""

from __future__ import annotations

import difflib
import json
from collections import Counter
from typing import Any, Dict, List, Optional, Sequence

from ..graph.context import compact_script, error_context
from ..graph.host import Host, NodeInfo
from ..graph.catalogue import nearest as nearest_class
from ..graph.class_facts import classes_for, known_classes
from .results import ToolResult, failed, succeeded
from .specs import DEFAULT_LIST_LIMIT

__all__ = ["get_script_info", "list_nodes", "read_nodes", "find_errors", "node_class_info",
           "unknown_names", "nearest"]

TOP_CLASSES = 40
LIST_HEAD_CHARS = 220
"""Room kept for list_nodes' counts and its note on what was left out."""


def nearest(word: str, choices: Sequence[str], n: int = 3) -> List[str]:
    """The closest names to ``word`` (case-insensitive), for "did you mean"."""
    lowered = {c.lower(): c for c in choices}
    if word.lower() in lowered:  # only the case is wrong: that is the one
        return [lowered[word.lower()]]
    hits = difflib.get_close_matches(word.lower(), list(lowered), n=n, cutoff=0.6)
    return [lowered[h] for h in hits]


def unknown_names(names: Sequence[str], infos: Sequence[NodeInfo]) -> Optional[str]:
    """A message naming the nodes that do not exist (with suggestions), or None."""
    known = [i.name for i in infos]
    present = set(known)
    missing = [n for n in names if n not in present]
    if not missing:
        return None
    parts = []
    for name in missing:
        close = nearest(name, known)
        parts.append(f"'{name}'" + (f" (did you mean {', '.join(close)}?)" if close else ""))
    noun = "node" if len(missing) == 1 else "nodes"
    return (f"No {noun} named {'; '.join(parts)}. Names are case-sensitive full names "
            "(GROUP.NODE inside a group); list_nodes shows them.")


def get_script_info(host: Host, args: Dict[str, Any], budget: int) -> ToolResult:
    """Format, fps, frame range, colour management and node counts (JSON)."""
    info = host.root_info()
    nodes = host.all_nodes()
    classes = Counter(n.node_class for n in nodes)
    top = dict(classes.most_common(TOP_CLASSES))
    doc = {
        "script": info.get("name"),
        "format": {"name": info.get("format_name"), "width": info.get("width"),
                   "height": info.get("height"), "pixel_aspect": info.get("pixel_aspect")},
        "fps": info.get("fps"),
        "frame_range": [info.get("first_frame"), info.get("last_frame")],
        "colour_management": info.get("colour") or "not set in the script (Nuke's defaults)",
        "node_count": len(nodes),
        "top_level_nodes": sum(1 for n in nodes if n.parent is None),
        "selected": [n.name for n in nodes if n.selected][:50],
        "classes": top,
    }
    if len(classes) > len(top):
        doc["other_classes"] = len(classes) - len(top)
    return succeeded("get_script_info", _script_summary(info, len(nodes)),
                     json.dumps(doc, indent=1, ensure_ascii=False), budget,
                     "list_nodes filters by class or group.", {"node_count": len(nodes)})


def _script_summary(info: Dict[str, Any], count: int) -> str:
    """``1920x1080 HD_1080, 24 fps, frames 1001-1100, OCIO aces_1.2, 19 nodes``."""
    parts = []
    if info.get("width") and info.get("height"):
        parts.append(f"{info['width']}x{info['height']}"
                     + (f" {info['format_name']}" if info.get("format_name") else ""))
    if info.get("fps") is not None:
        parts.append(f"{info['fps']} fps")
    if info.get("first_frame") is not None or info.get("last_frame") is not None:
        first, last = (info.get(k) for k in ("first_frame", "last_frame"))
        parts.append(f"frames {'?' if first is None else first}-{'?' if last is None else last}")
    colour = info.get("colour") or {}
    managed = " ".join(str(colour[k]) for k in ("colorManagement", "OCIO_config") if colour.get(k))
    if managed:
        parts.append(managed)
    return ", ".join(parts + [f"{count} nodes"])


def list_nodes(host: Host, args: Dict[str, Any], budget: int) -> ToolResult:
    """Nodes as JSON rows ``{name, class, inputs, selected, error}``, filtered, at most
    ``limit`` and within the budget."""
    nodes = host.all_nodes()
    errors = {e.name: e.error for e in host.nodes_in_error()}
    wanted_class = args.get("class")
    group = args.get("group")
    if group is not None and group.lower() != "root":
        if not any(n.name == group for n in nodes):
            return failed("list_nodes", unknown_names([group], nodes) or "", budget)
        if not any(n.parent == group for n in nodes):
            return failed("list_nodes", f"{group} is not a group, or it is empty: no node is "
                          "inside it.", budget)
    chosen = [
        n for n in nodes
        if (wanted_class is None or n.node_class.lower() == wanted_class.lower())
        and (group is None or n.parent == (None if group.lower() == "root" else group))
        and (not args.get("selected_only") or n.selected)
        and (not args.get("errors_only") or n.name in errors)
    ]
    limit = args.get("limit") or DEFAULT_LIST_LIMIT
    rows: List[str] = []
    shown: List[str] = []
    used = LIST_HEAD_CHARS
    for n in chosen[: int(limit)]:
        row = json.dumps({"name": n.name, "class": n.node_class, "inputs": list(n.inputs),
                          "selected": n.selected, "error": errors.get(n.name)},
                         ensure_ascii=False)
        if used + len(row) + 2 > budget and rows:
            break
        rows.append(row)
        shown.append(n.name)
        used += len(row) + 2
    head: Dict[str, Any] = {"matching": len(chosen), "shown": len(rows)}
    if len(rows) < len(chosen):
        why = "the limit" if len(rows) == int(limit) else "the result size budget"
        head["more"] = (f"{len(chosen) - len(rows)} more not shown ({why}); narrow the search "
                        "with class or group, or raise limit")
    if not chosen and wanted_class is not None:
        present = sorted({n.node_class for n in nodes})
        close = nearest(wanted_class, present)
        head["note"] = (f"no {wanted_class} node here" +
                        (f"; similar classes present: {', '.join(close)}" if close else ""))
    text = json.dumps(head, ensure_ascii=False)[:-1] + ', "nodes": [\n' + ",\n".join(rows) + "\n]}"
    what = f"{wanted_class} " if wanted_class else ""
    summary = f"{len(chosen)} {what}node(s)" + (f", {len(rows)} shown" if len(rows) < len(chosen) else "")
    return succeeded("list_nodes", summary, text, budget, "Narrow with class or group.",
                     {"names": shown})


def read_nodes(host: Host, args: Dict[str, Any], budget: int) -> ToolResult:
    """The nodes as Nuke's own .nk text (``nuke.nodeCopy``), trimmed to the budget."""
    names = list(dict.fromkeys(args["names"]))
    nodes = host.all_nodes()
    missing = unknown_names(names, nodes)
    if missing:
        return failed("read_nodes", missing, budget)
    text = host.node_script(names)
    head = f"{len(names)} node(s) as Nuke script text:\n```nk\n"
    tail = "\n```"
    room = max(200, budget - len(head) - len(tail))
    body = (text if len(text) <= room else compact_script(text, room)).strip("\n")
    trimmed = body != text.strip("\n")
    if trimmed:
        tail += "\nSome of it was trimmed to fit; call read_nodes with fewer names to see more."
    summary = f"read {', '.join(names[:5])}" + (f" and {len(names) - 5} more" if len(names) > 5 else "")
    result = succeeded("read_nodes", summary, head + body + tail, budget,
                       "Call read_nodes with fewer names.", {"names": names})
    if trimmed and not result.cut:
        return ToolResult(result.name, True, result.summary, result.text, True, result.details)
    return result


def find_errors(host: Host, args: Dict[str, Any], budget: int) -> ToolResult:
    """The nodes in error with their messages, inputs and .nk text."""
    errors = host.nodes_in_error()
    text = error_context(host, budget)
    if errors:
        summary = f"{len(errors)} node(s) in error: " + ", ".join(e.name for e in errors[:5])
    else:
        summary = "no node reports an error"
    return succeeded("find_errors", summary, text, budget, "read_nodes shows one node in full.",
                     {"names": [e.name for e in errors]})


def node_class_info(host: Host, args: Dict[str, Any], budget: int, source: Any = None) -> ToolResult:
    """What the class has, from ``source``, the host's catalogue (live inside Nuke), then the
    host's own nodes, as JSON."""
    wanted = args["class"]
    chain = classes_for(host, source)
    info = chain.class_info(wanted)
    if info is None:
        same = [c for c in known_classes(chain) if c.lower() == wanted.lower()]
        if len(same) == 1:
            info = chain.class_info(same[0])
    if info is None:
        close = nearest_class(wanted, known_classes(chain))
        hint = f" Did you mean {close}?" if close else ""
        return failed("node_class_info",
                      f"Nothing is known about a node class called '{wanted}': no node of that "
                      f"class is in the script and no catalogue knows it.{hint} Class names are "
                      "case-sensitive (Merge2, not merge).", budget)
    knobs = info.get("knobs") or []
    doc = {k: v for k, v in info.items() if k != "knobs"}
    rows = [json.dumps(k, ensure_ascii=False, default=str) for k in knobs]
    text = (json.dumps(doc, ensure_ascii=False, default=str)[:-1] + ', "knobs": [\n'
            + ",\n".join(rows) + "\n]}")
    label = " (partial)" if info.get("partial") else ""
    return succeeded("node_class_info", f"{info.get('class', wanted)}: {len(knobs)} knobs{label}",
                     text, budget, "The knob list was cut.", {"class": info.get("class", wanted)})
