"""Read and write Nuke's .nk script text, and the ``graph --json`` view of it.

``parse_script`` replays the text the way Nuke does (see ``nk_reader``), names the
nodes Nuke would name, and keeps the text so ``write_script`` gives it back byte
for byte where nothing was edited (see ``nk_writer``).

Names follow ``nk_names``: a uniquely named node keeps its name, a repeated name
is replaced by one used nowhere in the script (with a warning), unnamed nodes are
numbered per class in linear time.
"""

from __future__ import annotations

import gc
from typing import Any, Dict, List, Optional, Tuple, Union

from .nk_lexer import NkParseError
from .nk_model import PASTE_INPUT, ROOT_ANCHOR, Directive, Node, Script
from .nk_names import assign_names
from .nk_reader import PASTE, Reading, read
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


def _assign_names(reading: Reading, warn: List[Tuple[int, str]]
                  ) -> Tuple[List[Optional[str]], List[Optional[str]], List[int]]:
    """Names for the records (``nk_names``): (the names, the names the text gave, None
    where it gave none, the records the reader named)."""
    written = reading.names
    names = list(written)
    named, renamed = assign_names(names, reading.parents, reading.classes)
    for i, old, new in renamed:
        warn.append((reading.recs[i].start, f"duplicate node name {old} renamed {new}"))
    return names, written, named


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
    names, written, named = _assign_names(reading, warnings)
    text = reading.text
    source = NkSource(reading, original if original != text else None, bom, encoding,
                      names, written, named)
    forced = reading.force_container
    leaves = reading.force_leaf
    full: List[str] = []
    nodes = []
    for i, rec in enumerate(recs):
        # Inputs, parents and clone originals always come earlier in the text.
        parent = rec.parent
        name = names[i] or ""
        full.append(name if parent < 0 else f"{full[parent]}.{name}")
        # The record's list of input indexes becomes the node's list of names.
        inputs = rec.inputs
        for k, j in enumerate(inputs):
            inputs[k] = full[j] if j >= 0 else (PASTE_INPUT if j == PASTE else None)
        container = None
        if forced or leaves:
            container = True if rec.start in forced else False if rec.start in leaves else None
        nodes.append(Node(name, rec.cls, rec.knobs, inputs,
                          full[parent] if parent >= 0 else None, rec.selected,
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

