"""Extract node-class facts from Nuke-written .nk/.gizmo files into a catalogue source file.

Usage (maintainers only; the build does not run this)::

    python scripts/extract_nk_facts.py --git MIRROR_GIT_DIR --repo owner/name \
        --licence "MIT" -o scripts/catalogue_sources/nk_owner_name.json

or ``--dir FOLDER`` for files on disk. It reads every ``*.nk``/``*.gizmo`` file (at the
mirror's HEAD), parses it with the project's own .nk reader and keeps only facts: for
each node class, which knob names Nuke wrote (user knobs excluded), in how many files,
the shape of their values (bool, number, array, text...), how many inputs and mask
inputs were wired, and which Nuke versions wrote the files. No text of the files is
kept. The output is sorted JSON so re-running it on the same commit gives the same
bytes.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import subprocess
import sys
from collections import Counter, defaultdict
from typing import Dict, Iterable, List, Optional, Set, Tuple

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

from nuke_ai_panel.graph.nk_lexer import NkParseError  # noqa: E402
from nuke_ai_panel.graph.nkscript import parse_script  # noqa: E402

_VERSION = re.compile(r"^\s*version\s+(\d+)\.(\d+)", re.M)
_NUMBER = re.compile(r"^-?(\d+\.?\d*|\.\d+)(e[-+]?\d+)?$", re.I)
_HEX = re.compile(r"^0x[0-9a-fA-F]+$")
_CLASS_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")


def value_shape(raw: str) -> str:
    """A coarse shape of a knob's written value: the facts used to infer a knob type."""
    text = raw.strip()
    if text.startswith("{{") or text.startswith("\"[") or text.startswith("["):
        return "expression"
    if text in ("true", "false"):
        return "bool"
    if _HEX.match(text):
        return "color_hex"
    if _NUMBER.match(text):
        return "int" if re.match(r"^-?\d+$", text) else "float"
    if text.startswith("{"):
        inner = text[1:-1].split()
        if inner and all(_NUMBER.match(w) for w in inner):
            return f"array{len(inner)}"
        if "curve" in text or "{" in text[1:]:
            return "animated_or_list"
        return "list"
    if text.startswith('"'):
        return "string"
    return "word"


def _files_from_git(git_dir: str) -> Iterable[Tuple[str, bytes]]:
    names = subprocess.run(
        ["git", "-C", git_dir, "ls-tree", "-r", "-z", "--name-only", "HEAD"],
        check=True, capture_output=True,
    ).stdout.decode("utf-8", "replace").split("\0")
    for name in sorted(n for n in names if n.lower().endswith((".nk", ".gizmo"))):
        data = subprocess.run(
            ["git", "-C", git_dir, "show", f"HEAD:{name}"], check=True, capture_output=True
        ).stdout
        yield name, data


def _files_from_dir(folder: str) -> Iterable[Tuple[str, bytes]]:
    for base, _dirs, files in sorted(os.walk(folder)):
        for f in sorted(files):
            if f.lower().endswith((".nk", ".gizmo")):
                path = os.path.join(base, f)
                with open(path, "rb") as fh:
                    yield os.path.relpath(path, folder), fh.read()


def _decode(data: bytes) -> str:
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        return data.decode("latin-1")


def _inputs(spec: Optional[str]) -> Tuple[int, int]:
    """``inputs 2+1`` -> (2, 1); absent -> (1, 0) as Nuke reads it."""
    if spec is None:
        return 1, 0
    parts = spec.strip('"').split("+")
    try:
        return int(parts[0]), sum(int(p) for p in parts[1:])
    except ValueError:
        return 1, 0


def extract(files: Iterable[Tuple[str, bytes]]) -> Dict[str, object]:
    knob_files: Dict[str, Dict[str, Set[str]]] = defaultdict(lambda: defaultdict(set))
    shapes: Dict[str, Dict[str, Counter]] = defaultdict(lambda: defaultdict(Counter))
    max_inputs: Dict[str, int] = defaultdict(int)
    max_masks: Dict[str, int] = defaultdict(int)
    class_files: Dict[str, Set[str]] = defaultdict(set)
    class_versions: Dict[str, Set[str]] = defaultdict(set)
    with_user_knobs: Dict[str, int] = defaultdict(int)
    versions: Counter = Counter()
    read = failed = 0
    for name, data in files:
        text = _decode(data)
        try:
            script = parse_script(text)
        except (NkParseError, RecursionError, IndexError, ValueError):
            failed += 1
            continue
        read += 1
        m = _VERSION.search(text)
        version = f"{m.group(1)}.{m.group(2)}" if m else None
        versions[version or "unknown"] += 1
        root_knobs = set(script.root) if script.has_root else set()
        if script.has_root:
            class_files["Root"].add(name)
            for k in root_knobs - {_user for _user in _root_user_names(script)}:
                knob_files["Root"][k].add(name)
                shapes["Root"][k][value_shape(script.root[k])] += 1
        for node in script.nodes:
            cls = node.node_class
            if not _CLASS_NAME.match(cls):
                continue
            class_files[cls].add(name)
            if version:
                class_versions[cls].add(version)
            user = set(node.user_knob_names())
            if user:
                with_user_knobs[cls] += 1
            for k, raw in node.knobs.items():
                if k in user:
                    continue
                knob_files[cls][k].add(name)
                shapes[cls][k][value_shape(raw)] += 1
            if node.selected:
                knob_files[cls]["selected"].add(name)
            if node.clone_of is None:
                main, masks = _inputs(node.inputs_spec)
                max_inputs[cls] = max(max_inputs[cls], main)
                max_masks[cls] = max(max_masks[cls], masks)
    classes: Dict[str, object] = {}
    for cls in sorted(class_files):
        knobs = {}
        for k in sorted(knob_files[cls]):
            counted = shapes[cls][k]
            shape = sorted(counted.items(), key=lambda kv: (-kv[1], kv[0]))[0][0] if counted else "word"
            knobs[k] = {"files": len(knob_files[cls][k]), "shape": shape}
        classes[cls] = {
            "files": len(class_files[cls]),
            "knobs": knobs,
            "max_inputs_seen": max_inputs.get(cls, 0),
            "max_masks_seen": max_masks.get(cls, 0),
            "nodes_with_user_knobs": with_user_knobs.get(cls, 0),
            "versions": sorted(class_versions[cls], key=_version_key),
        }
    return {
        "files_read": read,
        "files_unreadable": failed,
        "nuke_versions": {v: versions[v] for v in sorted(versions, key=_version_key)},
        "classes": classes,
    }


def _root_user_names(script: object) -> List[str]:
    from nuke_ai_panel.graph.nk_model import user_knob_name

    return [n for n in (user_knob_name(d) for d in getattr(script, "root_user_knobs", [])) if n]


def _version_key(v: str) -> Tuple[int, int]:
    try:
        major, minor = v.split(".")
        return int(major), int(minor)
    except ValueError:
        return 9999, 0


def main(argv: Optional[List[str]] = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    src = ap.add_mutually_exclusive_group(required=True)
    src.add_argument("--git", help="a git directory (bare mirror); files are read at HEAD")
    src.add_argument("--dir", help="a folder of .nk/.gizmo files")
    ap.add_argument("--repo", required=True, help="owner/name, or a label for --dir")
    ap.add_argument("--licence", required=True)
    ap.add_argument("--commit", help="commit to record (default: the mirror's HEAD)")
    ap.add_argument("-o", "--output", required=True)
    args = ap.parse_args(argv)
    if args.git:
        commit = args.commit or subprocess.run(
            ["git", "-C", args.git, "rev-parse", "HEAD"], check=True, capture_output=True, text=True
        ).stdout.strip()
        facts = extract(_files_from_git(args.git))
    else:
        commit = args.commit or ""
        facts = extract(_files_from_dir(args.dir))
    doc = {"source": {"repository": args.repo, "commit": commit, "licence": args.licence,
                      "kind": "nuke-written scripts"}}
    doc.update(facts)
    with open(args.output, "w", encoding="utf-8", newline="\n") as fh:
        json.dump(doc, fh, indent=1, sort_keys=True)
        fh.write("\n")
    print(f"{args.repo}: {facts['files_read']} files, {len(facts['classes'])} classes", file=sys.stderr)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
