"""Build the prompt context for the node-graph helpers from any host.

The model sees the selection (or the whole script) as Nuke's own .nk text, trimmed to
a character budget: long knob values are replaced by a one-line summary
(``<curve with 240 keys, frames 1-240>``, ``<roto shapes: 3 shapes, ...>``,
``<python code, 40 lines ...>``), then layout knobs go, then trailing nodes, each step
only if still over budget. The Root's format, fps, frame range and colour settings
come first. ``/fix`` adds the nodes in error with their messages.
"""

from __future__ import annotations

import re
from dataclasses import replace
from typing import List, NamedTuple, Optional, Sequence

from .host import Host, NodeInfo
from .nk_lexer import NkParseError, decode_value, encode_value, is_braced, is_quoted, split_words
from .nk_model import PASTE_INPUT, ROOT_ANCHOR, Script
from .nk_root import describe_root
from .nk_writer import write_script
from .nkscript import parse_script

__all__ = [
    "DEFAULT_BUDGET",
    "GraphContext",
    "summarise_value",
    "compact_script",
    "settings_text",
    "selection_context",
    "error_context",
]

DEFAULT_BUDGET = 12000
MAX_KNOB_CHARS = 400
TIGHT_KNOB_CHARS = 120
MAX_CURVE_KEYS = 12
_LAYOUT_KNOBS = frozenset({
    "xpos", "ypos", "note_font", "note_font_size", "note_font_color", "tile_color", "gl_color",
    "bdwidth", "bdheight", "z_order", "dope_sheet", "postage_stamp", "hide_input",
})
_CURVE = re.compile(r"\{curve\b([^{}]*)\}")
_NUMBER = re.compile(r"^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$")
_SUMMARY = re.compile(r"^<[^\n]*>$")
_CODE_HINT = re.compile(r"(^|\n)\s*(import |from \S+ import |def |class |for |if |nuke\.)")


def _fmt(n: float) -> str:
    return str(int(n)) if float(n).is_integer() else f"{n:g}"


def _curve_stats(body: str) -> tuple:
    keys = 0
    frame: Optional[float] = None
    first: Optional[float] = None
    last: Optional[float] = None
    for tok in body.split():
        if tok[0] == "x" and _NUMBER.match(tok[1:]):
            frame = float(tok[1:])
            continue
        if not _NUMBER.match(tok):
            continue
        if frame is None:
            frame = last + 1 if last is not None else 1.0
        keys += 1
        first = frame if first is None else min(first, frame)
        last = frame if last is None else max(last, frame)
        frame += 1
    return keys, first, last


def _excerpt(text: str, size: int = 50) -> str:
    line = " ".join(text.split())
    return line if len(line) <= size else line[: size - 1] + "\u2026"


def summarise_value(knob: str, raw: str, limit: int = MAX_KNOB_CHARS) -> Optional[str]:
    """A one-line stand-in for an oversized knob value, or None to keep it as is."""
    if "{curvegroup" in raw or "{cubiccurve" in raw or (knob == "curves" and "{layer" in raw):
        if len(raw) <= 200:
            return None
        shapes, strokes, layers = raw.count("{curvegroup "), raw.count("{cubiccurve "), raw.count("{layer ")
        return (
            f"<roto shapes: {shapes} shape(s), {strokes} paint stroke(s), {layers} layer(s); "
            f"{len(raw) / 1024:.1f} KB of shape data>"
        )
    curves = _CURVE.findall(raw)
    if curves:
        stats = [_curve_stats(body) for body in curves]
        keys = sum(s[0] for s in stats)
        if keys <= MAX_CURVE_KEYS and len(raw) <= limit:
            return None
        firsts = [s[1] for s in stats if s[1] is not None]
        lasts = [s[2] for s in stats if s[2] is not None]
        span = f", frames {_fmt(min(firsts))}-{_fmt(max(lasts))}" if firsts else ""
        if len(stats) == 1:
            return f"<curve with {keys} keys{span}>"
        return f"<animated: {len(stats)} curves, {keys} keys{span}>"
    if len(raw) <= limit:
        return None
    text = decode_value(raw) if (is_quoted(raw) or is_braced(raw)) else raw
    lines = text.count("\n") + 1
    if _CODE_HINT.search(text):
        return f"<python code, {lines} lines, {len(text)} chars, starts: '{_excerpt(text)}'>"
    if lines > 1:
        return f"<text, {lines} lines, {len(text)} chars, starts: '{_excerpt(text)}'>"
    return f"<value of {len(text)} chars, starts: '{_excerpt(text)}'>"


def _is_summary(raw: str) -> bool:
    return bool(_SUMMARY.match(decode_value(raw))) if is_quoted(raw) else False


def _compact_user_knob(definition: str, limit: int) -> str:
    if len(definition) <= limit or not is_braced(definition):
        return definition
    try:
        words = [w.raw for w in split_words(definition[1:-1])]
    except NkParseError:
        return definition
    for i, raw in enumerate(words):
        if len(raw) > limit // 2 and not _is_summary(raw):
            summary = summarise_value("", raw, limit // 2) or f"<{len(raw)} chars>"
            words[i] = encode_value(summary)
    return "{" + " ".join(words) + "}"


def _summarise_script(script: Script, limit: int, drop_layout: bool) -> int:
    changed = 0
    for node in script.nodes:
        node.selected = False
        for knob, raw in list(node.knobs.items()):
            if drop_layout and knob in _LAYOUT_KNOBS:
                del node.knobs[knob]
                continue
            summary = None if _is_summary(raw) else summarise_value(knob, raw, limit)
            if summary:
                node.knobs[knob] = encode_value(summary)
                changed += 1
        node.user_knobs = [_compact_user_knob(d, limit) for d in node.user_knobs]
    return changed


def _without_tail(script: Script, keep: int) -> Script:
    """The first ``keep`` nodes in script order (a group's members follow the group)."""
    head = script.nodes[:keep]
    kept = {n.full_name for n in head}
    nodes = [
        replace(n, inputs=[i if i in kept or i == PASTE_INPUT else None for i in n.inputs])
        for n in head
    ]
    directives = [d for d in script.directives if d.before == ROOT_ANCHOR or d.before in kept]
    return Script(nodes=nodes, directives=directives)


def _graph_directives_only(script: Script) -> None:
    """Keep ``version`` (first) and ``add_layer``; window layouts and comments are noise here."""
    kept = []
    for d in script.directives:
        if d.text.startswith("version "):
            d.before = ROOT_ANCHOR
            kept.insert(0, d)
        elif d.text.startswith("add_layer"):
            kept.append(d)
    script.directives = kept


def compact_script(text: str, budget: int = DEFAULT_BUDGET, max_knob_chars: int = MAX_KNOB_CHARS) -> str:
    """.nk text cut down to ``budget`` characters, still readable as a script."""
    if len(text) <= budget and max_knob_chars >= len(text):
        return text
    try:
        script = parse_script(text, paste=True)
    except NkParseError:
        return text if len(text) <= budget else text[: max(0, budget - 60)] + "\n# ... (cut: context budget)\n"
    notes: List[str] = []
    _graph_directives_only(script)
    summarised = _summarise_script(script, max_knob_chars, drop_layout=False)
    out = write_script(script, snippet=True)
    if summarised:
        notes.append(f"{summarised} long knob value(s) summarised")
    elif len(text) <= budget:
        return text
    if len(out) + 100 > budget:
        summarised = _summarise_script(script, TIGHT_KNOB_CHARS, drop_layout=True)
        out = write_script(script, snippet=True)
        notes.append("node positions and colours left out")
    total = len(script.nodes)

    def header(extra: List[str]) -> str:
        parts = notes + extra
        return f"# trimmed to fit the context: {'; '.join(parts)}\n" if parts else ""

    if len(header([])) + len(out) > budget:
        def fits(keep: int) -> bool:
            more = [f"{total - keep} more node(s) not shown"]
            return len(header(more)) + len(write_script(_without_tail(script, keep), snippet=True)) <= budget

        lo, hi = 0, total
        while lo < hi:
            mid = (lo + hi + 1) // 2
            if fits(mid):
                lo = mid
            else:
                hi = mid - 1
        out = write_script(_without_tail(script, lo), snippet=True)
        notes.append(f"{total - lo} more node(s) not shown")
    return header([]) + out


class GraphContext(NamedTuple):
    settings: str
    scope: str
    node_count: int
    script: str
    trimmed: bool
    outside: List[str] = []

    def render(self) -> str:
        what = {"selection": "Selected nodes", "script": "Whole script (nothing selected)"}.get(
            self.scope, self.scope
        )
        body = self.script.strip() or "(no nodes)"
        text = (
            f"Script settings: {self.settings}\n"
            f"{what} ({self.node_count}), as Nuke script text:\n```nk\n{body}\n```"
        )
        if self.outside:
            text += "\nInputs coming from outside the selection: " + "; ".join(self.outside) + "."
        return text


def settings_text(host: Host) -> str:
    return describe_root(host.root_info())


def _top_names(infos: Sequence[NodeInfo]) -> List[str]:
    chosen = {i.name for i in infos}
    tops = []
    for info in infos:
        parent = info.parent
        nested = False
        while parent:
            if parent in chosen:
                nested = True
                break
            parent = parent.rsplit(".", 1)[0] if "." in parent else None
        if not nested:
            tops.append(info.name)
    return tops


def selection_context(host: Host, budget: int = DEFAULT_BUDGET) -> GraphContext:
    """The selected nodes (or, with nothing selected, the top level of the script)."""
    settings = settings_text(host)
    infos = host.all_nodes()
    selected = [i for i in infos if i.selected]
    if selected:
        scope, names = "selection", _top_names(selected)
    else:
        scope, names = "script", [n.name for n in infos if n.parent is None]
    inside = _with_members(infos, names)
    text = host.node_script(names) if names else ""
    outside = _outside_inputs(infos, inside) if scope == "selection" else []
    room = max(1000, budget - len(settings) - 120 - sum(len(o) + 2 for o in outside))
    compact = compact_script(text, room) if text else ""
    return GraphContext(settings, scope, len(inside), compact, compact != text, outside)


def _with_members(infos: Sequence[NodeInfo], names: Sequence[str]) -> set:
    prefixes = tuple(n + "." for n in names)
    return set(names) | {i.name for i in infos if prefixes and i.name.startswith(prefixes)}


def _outside_inputs(infos: Sequence[NodeInfo], inside: set) -> List[str]:
    out = []
    for info in infos:
        if info.name not in inside:
            continue
        for index, source in enumerate(info.inputs):
            if source and source not in inside:
                out.append(f"{info.name} input {index} <- {source}")
    return out


def error_context(host: Host, budget: int = DEFAULT_BUDGET) -> str:
    """For /fix: the nodes in error with their messages, inputs and .nk text."""
    settings = settings_text(host)
    errors = host.nodes_in_error()
    if not errors:
        return f"Script settings: {settings}\nNo node reports an error."
    infos = {i.name: i for i in host.all_nodes()}
    lines = [f"Script settings: {settings}", f"Nodes in error ({len(errors)}):"]
    for err in errors:
        info = infos.get(err.name)
        wired = ""
        if info is not None:
            parts = [f"{i}: {src or '(not connected)'}" for i, src in enumerate(info.inputs)]
            wired = f"; inputs {', '.join(parts)}" if parts else "; no inputs"
        lines.append(f"- {err.name} ({err.node_class}): {err.error}{wired}")
    head = "\n".join(lines)
    text = host.node_script([e.name for e in errors])
    room = max(1000, budget - len(head) - 40)
    return f"{head}\nTheir knobs, as Nuke script text:\n```nk\n{compact_script(text, room).strip()}\n```"
