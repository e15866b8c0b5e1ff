"""Read and write Nuke's .nk script text, and the ``graph --json`` view of it.

``parse_script`` replays the text the way Nuke does (see ``nk_reader``), names the
nodes Nuke would name, and keeps the text so ``write_script`` gives it back byte
for byte where nothing was edited (see ``nk_writer``).

Names: a node named uniquely in its group keeps its name. A later node repeating
a name gets one used nowhere in the script (a warning says so), so expressions
that name the first node keep pointing at it. Unnamed nodes are numbered per
class the way Nuke does (``Blur1``, ``Blur2``...), skipping every name the script
uses, in linear time.
"""

from __future__ import annotations

import gc
from typing import Any, Dict, List, Optional, Set, Tuple, Union

from .nk_lexer import NkParseError
from .nk_model import PASTE_INPUT, ROOT_ANCHOR, Directive, Node, Script, name_base
from .nk_reader import PASTE, Reading, Rec, read
from .nk_root import root_info_from_knobs
from .nk_source import NkSource
from .nk_writer import script_bytes, write_script

__all__ = [
    "NkParseError",
    "Node",
    "Script",
    "Directive",
    "PASTE_INPUT",
    "parse_script",
    "load_script",
    "decode_script_bytes",
    "write_script",
    "script_bytes",
    "graph_json",
    "root_info",
]


def _next_free(base: str, taken: Set[str], counters: Dict[Any, int], key: Any) -> str:
    """The lowest ``<base>N`` not in ``taken``, counting on from the last one given
    for ``key`` (names are only ever added while reading, so none is skipped)."""
    n = counters.get(key, 1)
    while f"{base}{n}" in taken:
        n += 1
    counters[key] = n + 1
    return f"{base}{n}"


def _assign_names(recs: List[Rec], warn: List[Tuple[int, str]]) -> List[int]:
    """Give every record its name; returns the records the reader named."""
    taken: Dict[int, Set[str]] = {}
    everywhere: Set[str] = set()
    repeats: List[int] = []
    for i, rec in enumerate(recs):
        name = rec.name
        if name is None:
            continue
        names = taken.get(rec.parent)
        if names is None:
            names = taken[rec.parent] = set()
        if name in names:
            repeats.append(i)
        else:
            names.add(name)
            everywhere.add(name)
    counters: Dict[Any, int] = {}
    for i in repeats:
        rec = recs[i]
        base = name_base(rec.name or "")
        new = _next_free(base, everywhere, counters, ("repeat", base))
        warn.append((rec.start, f"duplicate node name {rec.name} renamed {new}"))
        everywhere.add(new)
        taken[rec.parent].add(new)
        rec.name = new
    named = list(repeats)
    bases: Dict[str, str] = {}
    for i, rec in enumerate(recs):
        if rec.name is not None:
            continue
        base = bases.get(rec.cls)
        if base is None:
            base = bases[rec.cls] = name_base(rec.cls)
        names = taken.get(rec.parent)
        if names is None:
            names = taken[rec.parent] = set()
        rec.name = _next_free(base, names, counters, (rec.parent, base))
        names.add(rec.name)
        named.append(i)
    return named


def _lines(text: str, warnings: List[Tuple[int, str]]) -> List[str]:
    """``line N: message`` for (offset, message) pairs, counting newlines once."""
    lines: Dict[int, int] = {}
    line, last = 1, 0
    for pos in sorted({p for p, _ in warnings}):
        line += text.count("\n", last, pos)
        lines[pos] = line
        last = pos
    return [f"line {lines[pos]}: {message}" for pos, message in warnings]


def _build(reading: Reading, original: str, bom: bool, encoding: str) -> Script:
    recs = reading.recs
    warnings = list(reading.warnings)
    named = _assign_names(recs, warnings)
    full: List[str] = []
    for rec in recs:
        full.append(rec.name if rec.parent < 0 else f"{full[rec.parent]}.{rec.name}")
    text = reading.text
    source = NkSource(reading, original if original != text else None, bom, encoding,
                      full, named)
    forced = reading.force_container
    leaves = reading.force_leaf
    nodes = []
    for i, rec in enumerate(recs):
        inputs = [full[j] if j >= 0 else (PASTE_INPUT if j == PASTE else None)
                  for j in rec.inputs]
        container = True if rec.start in forced else False if rec.start in leaves else None
        nodes.append(Node(rec.name or "", rec.cls, rec.knobs, inputs,
                          full[rec.parent] if rec.parent >= 0 else None, rec.selected,
                          rec.user, rec.spec,
                          full[rec.clone_of] if rec.clone_of >= 0 else None,
                          rec.clone_header, None, container, source, i))
    directives = []
    for entry in reading.directives:
        body, anchor, owner, cmd = entry
        if anchor == "":
            before: Optional[str] = ROOT_ANCHOR
        elif anchor is None:
            before = None
        else:
            before = full[anchor]
        directives.append(Directive(body, before, full[owner] if owner >= 0 else None,
                                    source, cmd))
    return Script(
        root=reading.root,
        nodes=nodes,
        directives=directives,
        root_user_knobs=reading.root_user,
        has_root=reading.has_root,
        warnings=_lines(text, warnings),
        source=source,
    )


def parse_script(text: str, *, paste: bool = False, encoding: str = "utf-8") -> Script:
    """Parse .nk text. With ``paste``, the stack starts with the paste target, so
    dangling inputs come back as ``PASTE_INPUT`` (what ``nodePaste`` wires to the
    selected node). ``encoding`` is the one the text was decoded with (the writer
    encodes with it). Raises ``NkParseError`` (with a 1-based line) on unbalanced text.

    The collector is paused while reading: a parse allocates many small objects
    that all live on, so collections during it would only cost time."""
    bom = text.startswith("\ufeff")
    original = text[1:] if bom else text
    body = original.replace("\r\n", "\n") if "\r" in original else original
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        return _build(read(body, paste), original, bom, encoding)
    finally:
        if was_enabled:
            gc.enable()


def decode_script_bytes(data: bytes) -> Tuple[str, str]:
    """``(text, encoding)`` of a .nk file's bytes: UTF-8, or Latin-1 for older files."""
    try:
        return data.decode("utf-8"), "utf-8"
    except UnicodeDecodeError:
        return data.decode("latin-1"), "latin-1"


def load_script(path: str) -> Script:
    """Read a .nk/.gizmo file (UTF-8; Latin-1 bytes are tolerated) and parse it."""
    with open(path, "rb") as fh:
        text, encoding = decode_script_bytes(fh.read())
    return parse_script(text, encoding=encoding)


def root_info(script: Script) -> Dict[str, Any]:
    return root_info_from_knobs(script.root)


def _ref_for_json(ref: Optional[str], parent: Optional[str]) -> Optional[str]:
    """Sibling inputs by short name (the usual case), anything else by full name."""
    if ref and parent and ref.startswith(parent + ".") and "." not in ref[len(parent) + 1:]:
        return ref[len(parent) + 1:]
    return ref


def graph_json(script: Script) -> Dict[str, Union[Dict[str, Any], List[Dict[str, Any]]]]:
    """The ``graph --json`` document (DESIGN section 7): root settings, then every node
    in script order with its class, inputs (sibling names or null), raw knob text
    keyed by knob name, and parent group. A clone reports the knobs it shares with
    its original."""
    nodes = []
    index = script.index()
    for n in script.nodes:
        nodes.append(
            {
                "name": n.name,
                "class": n.node_class,
                "inputs": [_ref_for_json(i, n.parent) for i in n.inputs],
                "knobs": script.effective_knobs(n, index),
                "parent": n.parent,
            }
        )
    return {"root": root_info(script), "nodes": nodes}

