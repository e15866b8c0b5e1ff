"""Pull the actionable part out of a model answer and preview it before anything changes.

A "build" answer carries a ```nk (or ```tcl) block of Nuke script text, or a ```python
block. The .nk preview parses the snippet the way a paste would and lists the nodes,
their key knobs and the connections to be made; a parse error becomes a plain message
instead. Pasting can run code (``onCreate`` at once, ``knobChanged``/``autolabel``/render
callbacks, ``[python ...]`` in any knob, Python buttons later), so the preview carries
:func:`~.risk.scan_nk`'s findings and lists every flagged knob with its reason, however
many knobs a node has. (Python answers are previewed by the action itself:
``RunPython.describe`` over :func:`~.risk.scan_code`.)
"""

from __future__ import annotations

import ast
import re
from typing import Iterable, List, NamedTuple, Optional, Tuple

from ..fences import NUKE, PYTHON, code_blocks
from .context import summarise_value
from .nk_lexer import NkParseError, decode_value
from .nk_model import PASTE_INPUT, unique_name
from .nkscript import parse_script
from .risk import Finding, RiskReport, scan_nk

__all__ = [
    "Snippet",
    "PreviewNode",
    "NkPreview",
    "MAX_PREVIEW_KNOBS",
    "INPUT_LABELS",
    "extract_snippet",
    "looks_like_nk",
    "preview_nk",
]

_NK_LINE = re.compile(r"^\s*(set cut_paste_input\b|push \$|[A-Z][A-Za-z0-9_.]*\s*\{)", re.M)
_HIDDEN_KNOBS = frozenset({
    "xpos", "ypos", "selected", "note_font", "note_font_size", "note_font_color", "tile_color",
    "gl_color", "dope_sheet", "postage_stamp",
})
INPUT_LABELS = {  # the names Nuke shows on a class's input arrows, by input index
    "Merge2": ("B", "A", "mask"),
    "Keymix": ("B", "A", "mask"),
    "Copy": ("B", "A", "mask"),
    "ChannelMerge": ("B", "A", "mask"),
    "MergeExpression": ("B", "A", "mask"),
    "ShuffleCopy": ("B", "A"),
    "Dissolve": ("0", "1", "mask"),
}
MULTI_INPUT_CLASSES = frozenset(
    set(INPUT_LABELS) | {"Switch", "AddMix", "Difference", "ZMerge", "IBKGizmoV3", "IBKColourV3", "Keylight"}
)
MAX_PREVIEW_KNOBS = 6
"""Ordinary knobs listed per node; knobs flagged as running code are listed on top of these."""


class Snippet(NamedTuple):
    kind: str
    code: str


def looks_like_nk(text: str) -> bool:
    """True when the text reads as node blocks (parses and has at least one node)."""
    if not _NK_LINE.search(text):
        return False
    try:
        return bool(parse_script(text, paste=True).nodes)
    except NkParseError:
        return False


def _is_python(code: str) -> bool:
    try:
        ast.parse(code)
    except SyntaxError:
        return False
    return True


def extract_snippet(answer: str) -> Optional[Snippet]:
    """The snippet to offer: a .nk block first (it needs no exec), else Python, else a
    bare answer that is itself node text. Fence tags are read with :mod:`..fences`."""
    blocks = [(block.family, block.language, block.source.strip("\n") + "\n")
              for block in code_blocks(answer)]
    for family, _language, code in blocks:
        if family == NUKE:
            return Snippet("nk", code)
    for family, _language, code in blocks:
        if family == PYTHON:
            return Snippet("python", code)
    for _family, language, code in blocks:
        if not language and looks_like_nk(code):
            return Snippet("nk", code)
    for _family, language, code in blocks:
        if not language and "nuke" in code and _is_python(code):
            return Snippet("python", code)
    if not blocks and looks_like_nk(answer):
        return Snippet("nk", answer.strip() + "\n")
    return None


class PreviewNode(NamedTuple):
    name: str
    node_class: str
    knobs: List[Tuple[str, str]]
    inputs: List[Optional[str]]
    parent: Optional[str]
    flagged: Tuple[Finding, ...] = ()
    """What on this node runs code (always listed; its knobs come first in ``knobs``)."""


class NkPreview(NamedTuple):
    nodes: List[PreviewNode]
    connections: List[Tuple[str, str, str]]
    warnings: List[str]
    error: Optional[str] = None
    risk: RiskReport = RiskReport([])
    """Everything in the snippet that runs code, with the names the nodes will be pasted as."""

    @property
    def ok(self) -> bool:
        return self.error is None and bool(self.nodes)

    @property
    def runs_code(self) -> bool:
        return bool(self.risk.findings)

    def unattached(self) -> List[Finding]:
        """Flagged items that belong to no listed node (top-level TCL commands, Root)."""
        names = {n.name for n in self.nodes}
        return [f for f in self.risk.findings if f.node not in names]

    def render(self) -> str:
        if self.error:
            return self.error
        lines = []
        if self.runs_code:
            lines.append(f"Check before pasting: this snippet runs code in Nuke "
                         f"({len(self.risk.findings)} flagged below).")
        lines.append(f"Nodes to be created ({len(self.nodes)}):")
        for n in self.nodes:
            where = f" in {n.parent}" if n.parent else ""
            knobs = ", ".join(f"{k} {v}" for k, v in n.knobs)
            lines.append(f"  {n.name} ({n.node_class}){where}" + (f": {knobs}" if knobs else ""))
            lines.extend(f"    {f.severity}: {f.knob or 'the node itself'} (line {f.line}) - "
                         f"{f.reason}" for f in n.flagged)
        other = self.unattached()
        if other:
            lines.append("Other code in the snippet:")
            lines.extend(f"  {f.severity}: {f.describe()}" for f in other)
        if self.connections:
            lines.append("Connections:")
            lines.extend(f"  {src} -> {dst} ({label})" for src, dst, label in self.connections)
        if self.warnings:
            lines.append("Warnings:")
            lines.extend(f"  {w}" for w in self.warnings)
        return "\n".join(lines)


def _short(raw: str, knob: str) -> str:
    summary = summarise_value(knob, raw, 60)
    if summary:
        return summary
    text = decode_value(raw) if raw.startswith('"') else raw
    text = " ".join(text.split())
    return text if len(text) <= 60 else text[:59] + "\u2026"


def _input_label(node_class: str, index: int) -> str:
    labels = INPUT_LABELS.get(node_class)
    if labels and index < len(labels):
        return f"input {labels[index]}"
    return f"input {index}"


def preview_nk(text: str, existing_names: Iterable[str] = (), target: Optional[str] = None) -> NkPreview:
    """What pasting ``text`` would create, given the names already in the script and the
    node its dangling input would be wired to (``target``, None for nothing selected)."""
    try:
        script = parse_script(text, paste=True)
    except NkParseError as exc:
        return NkPreview([], [], [], f"The node snippet could not be read ({exc}). Nothing was changed.")
    if not script.nodes:
        return NkPreview([], [], [], "The snippet contains no nodes. Nothing was changed.")
    warnings = list(script.warnings)
    taken = set(existing_names)
    renamed = {}
    for n in script.nodes:
        if n.parent is None:
            new = unique_name(n.name, taken)
            taken.add(new)
            if new != n.name:
                renamed[n.full_name] = new
                warnings.append(f"{n.name} already exists; it will be pasted as {new}")

    def shown(ref: str) -> str:
        head = ref.split(".", 1)[0]
        if head in renamed:
            return renamed[head] + ref[len(head):]
        return ref

    scanned = scan_nk(text, [(n.full_name, n.node_class) for n in script.nodes])
    risk = RiskReport([f._replace(node=shown(f.node)) if f.node else f for f in scanned.findings])
    nodes = []
    connections = []
    for n in script.nodes:
        name = shown(n.full_name)
        flagged = tuple(risk.for_node(name))
        flagged_knobs = {f.knob for f in flagged}
        values = script.effective_knobs(n)
        knobs = [(k, _short(v, k)) for k, v in values.items() if k in flagged_knobs] + [
            (k, _short(v, k))
            for k, v in values.items()
            if k not in _HIDDEN_KNOBS and k not in flagged_knobs
        ][:MAX_PREVIEW_KNOBS]
        nodes.append(PreviewNode(name, n.node_class, knobs, list(n.inputs), n.parent and shown(n.parent),
                                 flagged))
        for index, ref in enumerate(n.inputs):
            if ref == PASTE_INPUT:
                source = f"{target} (selected)" if target else None
                if source is None:
                    warnings.append(f"{name} expects an input from the selected node, but nothing is selected")
                    continue
            elif ref:
                source = shown(ref)
            else:
                continue
            connections.append((source, name, _input_label(n.node_class, index)))
        if n.node_class in MULTI_INPUT_CLASSES and n.inputs_spec is None and len(n.inputs) == 1:
            warnings.append(
                f"{name} ({n.node_class}) has no 'inputs' line, so Nuke connects only its first input"
            )
    return NkPreview(nodes, connections, warnings, None, risk)
