"""Build the node-class catalogue ``nuke_ai_panel/graph/catalogue/nuke_nodes.json``.

Offline and deterministic: it reads only the fact files in ``scripts/catalogue_sources/``
and writes the same bytes on every run.

* ``reference_classes.tsv`` / ``reference_knobs.tsv`` / ``reference_versions.tsv``: classes,
  inputs, knobs (Python knob class, default) and version facts curated from Foundry's Nuke
  Reference Guide and Python API docs. A class listed there is marked *complete* (its
  documented knobs plus the Nuke-written ones below); lint outside Nuke still reports
  only slips of its knobs, since no public source lists every knob Nuke writes.
* ``nk_*.json``: per public repository, the knob names Nuke itself wrote for each class
  (made by ``scripts/extract_nk_facts.py``). These are merged into every class, so a knob
  Nuke wrote is always known; a class seen only here is *partial*.
* ``builtin_classes.tsv``: names of further Nuke classes (Nodes toolbar, reference
  guide index) with no knob facts yet: known classes, partial.
* ``not_builtin.tsv``: gizmo / plug-in classes seen in those scripts, left out.

Usage: ``python scripts/build_catalogue.py [-o OUT.json]``.
"""

from __future__ import annotations

import argparse
import glob
import json
import os
import re
import sys
from typing import Any, Dict, List, Optional, Tuple

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
SOURCES = os.path.join(HERE, "catalogue_sources")
DEFAULT_OUT = os.path.join(ROOT, "nuke_ai_panel", "graph", "catalogue", "nuke_nodes.json")
VERSIONS = ["14.0", "15.0", "16.0"]
FORMAT = 1

# A knob name Nuke writes: a word, possibly with dots (``shadows.gamma``) or, rarely,
# spaces inside quotes (``"extra matrix"``).
_KNOB_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_.]*( [A-Za-z0-9_.]+)*$")

_SHAPE_TYPES = {
    "bool": "bool",
    "int": "int",
    "float": "float",
    "color_hex": "color",
    "string": "text",
    "word": "text",
    "list": "list",
    "animated_or_list": "animated",
    "expression": "expression",
}


def _rows(name: str) -> List[List[str]]:
    rows = []
    with open(os.path.join(SOURCES, name), encoding="utf-8") as fh:
        for line in fh:
            line = line.rstrip("\n")
            if not line or line.startswith("#"):
                continue
            rows.append(line.split("\t"))
    return rows


def _knob_name(raw: str) -> Optional[str]:
    name = raw[1:-1] if len(raw) > 1 and raw[0] == raw[-1] == '"' else raw
    return name if _KNOB_NAME.match(name) else None


def _shape_type(shape: str) -> str:
    if shape.startswith("array"):
        return "array"
    return _SHAPE_TYPES.get(shape, "text")


def _reference() -> Tuple[Dict[str, Dict[str, Any]], Dict[str, List[List[str]]]]:
    groups: Dict[str, List[List[str]]] = {}
    knob_rows: Dict[str, List[List[str]]] = {}
    for row in _rows("reference_knobs.tsv"):
        row = (row + ["", "", ""])[:4]
        owner, knob, ktype, default = row
        if owner.startswith("@"):
            groups.setdefault(owner[1:], []).append([knob, ktype, default])
        else:
            knob_rows.setdefault(owner, []).append([knob, ktype, default])
    classes: Dict[str, Dict[str, Any]] = {}
    for row in _rows("reference_classes.tsv"):
        cls, inputs, masks, since, page = (row + ["", "", "", "", ""])[:5]
        names = [n for n in inputs.split(",") if n] if inputs else []
        dynamic = "*" in names
        names = [n for n in names if n != "*"]
        classes[cls] = {
            "inputs": names,
            "max_inputs": None if dynamic else len(names),
            "masks": int(masks or 0),
            "since": since or None,
            "doc": page or None,
        }
    expanded: Dict[str, List[List[str]]] = {}
    for cls, rows in knob_rows.items():
        out: List[List[str]] = []
        for knob, ktype, default in rows:
            if knob.startswith("@"):
                out.extend(groups[knob[1:]])
            else:
                out.append([knob, ktype, default])
        expanded[cls] = out
    expanded["@node"] = groups["node"]
    return classes, expanded


def build() -> Dict[str, Any]:
    """The catalogue document (see ``nuke_ai_panel.graph.catalogue`` for its shape)."""
    ref_classes, ref_knobs = _reference()
    excluded = {row[0] for row in _rows("not_builtin.tsv")}
    common = {k: {"type": t, "default": d or None} for k, t, d in ref_knobs.pop("@node")}
    classes: Dict[str, Dict[str, Any]] = {}

    def entry(cls: str) -> Dict[str, Any]:
        if cls not in classes:
            classes[cls] = {"knobs": {}, "inputs": None, "max_inputs": None, "masks": None,
                            "since": None, "complete": False, "doc": None, "files": 0,
                            "max_inputs_seen": 0, "masks_seen": 0}
        return classes[cls]

    for cls, info in ref_classes.items():
        e = entry(cls)
        e.update(inputs=info["inputs"], max_inputs=info["max_inputs"], masks=info["masks"],
                 since=info["since"], doc=info["doc"], complete=True)
    for cls, rows in ref_knobs.items():
        e = entry(cls)
        e["complete"] = True
        for knob, ktype, default in rows:
            if knob not in common or cls == "Root":
                e["knobs"][knob] = {"type": ktype, "default": default or None}
    for row in _rows("builtin_classes.tsv"):
        e = entry(row[0])
        if len(row) > 1 and row[1]:
            e["since"] = row[1]
    for row in _rows("reference_versions.tsv"):
        cls, knob, since = row[0], row[1], row[2]
        entry(cls)["knobs"].setdefault(knob, {"type": "", "default": None})["since"] = since

    sources = []
    for path in sorted(glob.glob(os.path.join(SOURCES, "nk_*.json"))):
        with open(path, encoding="utf-8") as fh:
            doc = json.load(fh)
        sources.append({"file": os.path.basename(path), **doc["source"],
                        "files_read": doc["files_read"], "nuke_versions": doc["nuke_versions"]})
        for cls, seen in sorted(doc["classes"].items()):
            if cls in excluded:
                continue
            e = entry(cls)
            e["files"] += seen["files"]
            e["max_inputs_seen"] = max(e["max_inputs_seen"], seen["max_inputs_seen"])
            e["masks_seen"] = max(e["masks_seen"], seen["max_masks_seen"])
            for raw, facts in sorted(seen["knobs"].items()):
                knob = _knob_name(raw)
                if knob is None or knob in common and cls != "Root":
                    continue
                known = e["knobs"].setdefault(knob, {"type": _shape_type(facts["shape"]), "default": None})
                known["seen"] = known.get("seen", 0) + facts["files"]
    for cls, e in classes.items():
        # Nuke-written scripts are facts: never declare fewer inputs than Nuke wrote.
        if e["max_inputs"] is not None:
            total_seen = e["max_inputs_seen"] + e["masks_seen"]
            if total_seen > e["max_inputs"] + (e["masks"] or 0):
                print(f"note: {cls}: scripts wire {total_seen} inputs; input limit lifted",
                      file=sys.stderr)
                e["max_inputs"] = max(e["max_inputs"], e["max_inputs_seen"])
                e["masks"] = max(e["masks"] or 0, e["masks_seen"])
    return {
        "format": FORMAT,
        "versions": VERSIONS,
        "common_knobs": common,
        "classes": {cls: _compact(classes[cls]) for cls in sorted(classes)},
        "sources": sources,
    }


def _compact(e: Dict[str, Any]) -> Dict[str, Any]:
    out: Dict[str, Any] = {"knobs": {k: _compact_knob(v) for k, v in sorted(e["knobs"].items())}}
    for key in ("inputs", "max_inputs", "masks", "since", "doc"):
        if e[key] is not None:
            out[key] = e[key]
    if e["complete"]:
        out["complete"] = True
    if e["files"]:
        out["files"] = e["files"]
        out["max_inputs_seen"] = e["max_inputs_seen"]
        out["masks_seen"] = e["masks_seen"]
    return out


def _compact_knob(v: Dict[str, Any]) -> List[Any]:
    """``[type, default, since]``, trailing nulls dropped."""
    out = [v.get("type") or "", v.get("default"), v.get("since")]
    while len(out) > 1 and out[-1] is None:
        out.pop()
    return out


def render(doc: Dict[str, Any]) -> bytes:
    return (json.dumps(doc, sort_keys=True, separators=(",", ":"), ensure_ascii=True) + "\n").encode("ascii")


def main(argv: Optional[List[str]] = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("-o", "--output", default=DEFAULT_OUT)
    args = ap.parse_args(argv)
    doc = build()
    os.makedirs(os.path.dirname(os.path.abspath(args.output)), exist_ok=True)
    with open(args.output, "wb") as fh:
        fh.write(render(doc))
    complete = sum(1 for c in doc["classes"].values() if c.get("complete"))
    print(f"{len(doc['classes'])} classes ({complete} complete) -> {args.output}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
