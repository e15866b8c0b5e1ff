"""Lint .nk text against the node-class catalogue (DESIGN section 12, contract).

``lint_text(text)`` / ``lint_script(script)`` return findings
``[{"node", "kind", "name", "suggestion"}]`` in script order, kinds:

* ``unknown_class``: a class Nuke does not have, with the nearest known class. A class
  more than two edits from every known class (``CryptomatteMulti``, ``NST_Glow``) is
  taken for a gizmo or plug-in on the artist's plugin path and is not reported (its
  knobs are not checked either), unless
  ``strict_classes`` is set or a live catalogue (the running Nuke, which knows its
  gizmos) says it does not exist.
* ``unknown_knob``: a knob its class does not have, with the nearest knob of the class.
  User knobs (``addUserKnob``) and the knobs of groups and gizmos are never reported.
  Outside Nuke (the shipped catalogue) only a slip of a knob the class has is
  (``sizee``, ``whitepoint_r``, a case or one-letter slip: ``catalogue.near_miss``): no
  public source lists every knob Nuke writes, and a false alarm on one costs more than a
  missed invention. With the running Nuke's classes (live) every unknown knob is.
* ``bad_input``: more inputs (``inputs N`` or ``N+M``) than the class takes. A mask input
  counts as one more input after the main ones: a Blur takes 2 in all (``inputs 1+1``
  or ``inputs 2``), so ``inputs 3`` is reported.
* ``dangling_reference``: an expression (``{{Node.knob}}``, ``[value Node.knob]``,
  ``parent.x``, ``root.x``, ``this.x``) naming a node or knob that does not exist.
"""

from __future__ import annotations

import re
from typing import Any, Dict, Iterable, List, Optional

from .catalogue import Catalogue, ClassInfo, catalogue, near_miss, nearest, normalize_version
from .lint_refs import reference_checker, user_names
from .nk_lexer import NkParseError, decode_value
from .nk_model import Node, Script
from .nkscript import parse_script

__all__ = ["KINDS", "LintError", "lint_text", "lint_script", "lint_for_host", "format_finding",
           "describe_finding"]

KINDS = ("unknown_class", "unknown_knob", "bad_input", "dangling_reference")
_NOT_KNOBS = frozenset({"name", "selected", "inputs", "addUserKnob"})
# Only words that can be knob names are judged (a stray ``{22 ...}`` is a reader matter).
_KNOB_WORD = re.compile(r"^[A-Za-z_][\w.]*( [\w.]+)*$")


class LintError(ValueError):
    """The text is not readable as a .nk script (message carries the line)."""


def lint_text(text: str, *, nuke_version: Optional[str] = None, cat: Optional[Catalogue] = None,
              strict_classes: bool = False, external_nodes: Iterable[str] = ()) -> List[Dict[str, Optional[str]]]:
    """Findings for .nk text (a snippet or a whole script). ``external_nodes``: names of
    nodes the text may refer to that live outside it (the comp a snippet is pasted into).
    Raises LintError when the text cannot be parsed, ValueError for an unsupported
    ``nuke_version``."""
    version = normalize_version(nuke_version)
    try:
        script = parse_script(text, paste=True)
    except NkParseError as exc:
        raise LintError(str(exc)) from exc
    return lint_script(script, nuke_version=version, cat=cat, strict_classes=strict_classes,
                       external_nodes=external_nodes)


def lint_script(script: Script, *, nuke_version: Optional[str] = None, cat: Optional[Catalogue] = None,
                strict_classes: bool = False, external_nodes: Iterable[str] = ()) -> List[Dict[str, Optional[str]]]:
    """Findings for a parsed script (see the module docstring for the rules)."""
    version = normalize_version(nuke_version)
    cat = cat or catalogue()
    common = cat.common_knobs()
    index = script.index()
    infos: Dict[str, Optional[ClassInfo]] = {}

    def info_of(cls: str) -> Optional[ClassInfo]:
        if cls not in infos:
            infos[cls] = cat.class_info(cls, version)
        return infos[cls]

    references = reference_checker(script, index, info_of, common, external_nodes)
    findings: List[Dict[str, Optional[str]]] = []
    for node in script.nodes:
        info = info_of(node.node_class)
        if info is None:
            finding = _unknown_class(node, cat, version, strict_classes or cat.live is not None)
            if finding:
                findings.append(finding)
        else:
            if node.clone_of is None:
                findings.extend(_unknown_knobs(node, info, common, cat, version))
                bad = _bad_input(node, info)
                if bad:
                    findings.append(bad)
        findings.extend(references(node))
    root_info = info_of("Root")
    if script.has_root and root_info is not None:
        user = user_names(script.root_user_knobs)
        for knob in script.root:
            if knob not in user and not root_info.has_knob(knob, common):
                findings.extend(_knob_finding("Root", "Root", knob, root_info, common, cat, version))
    return findings


def _unknown_class(node: Node, cat: Catalogue, version: str, strict: bool) -> Optional[Dict[str, Optional[str]]]:
    suggestion = cat.nearest_class(node.node_class, version)
    if not strict and not _likely_typo(node.node_class, suggestion):
        return None
    return _finding(node.full_name, "unknown_class", node.node_class, suggestion)


def _likely_typo(name: str, suggestion: Optional[str]) -> bool:
    """A misspelt built-in class (``Blurr``, ``grade``, ``Merge``) rather than a gizmo
    named after one (``CryptomatteMulti``): at most two edits away."""
    from .catalogue import _CONFUSIONS, edit_distance

    if suggestion is None:
        return False
    if name.lower() == suggestion.lower() or _CONFUSIONS.get(name.lower()) == suggestion:
        return True
    return edit_distance(name.lower(), suggestion.lower(), 2) <= 2


def _unknown_knobs(node: Node, info: ClassInfo, common: Dict[str, Any], cat: Catalogue,
                   version: str) -> List[Dict[str, Optional[str]]]:
    if info.is_open:
        return []
    user = {decode_value(n) for n in node.user_knob_names()}
    out: List[Dict[str, Optional[str]]] = []
    for raw in node.knobs:
        knob = decode_value(raw) if raw.startswith('"') else raw
        if knob in _NOT_KNOBS or knob in user or not _KNOB_WORD.match(knob) or info.has_knob(knob, common):
            continue
        out.extend(_knob_finding(node.full_name, node.node_class, knob, info, common, cat, version))
    return out


def _knob_finding(node_name: str, node_class: str, knob: str, info: ClassInfo, common: Dict[str, Any],
                  cat: Catalogue, version: str) -> List[Dict[str, Optional[str]]]:
    suggestion = nearest(knob, [k for k in list(info.knobs) + list(common) if k not in _NOT_KNOBS])
    if info.knobs_vary and not near_miss(knob, suggestion):
        return []
    return [_finding(node_name, "unknown_knob", knob, suggestion)]


_INPUTS = re.compile(r"^\s*(\d+)\s*(?:\+\s*(\d+))?\s*$")


def _bad_input(node: Node, info: ClassInfo) -> Optional[Dict[str, Optional[str]]]:
    limit = info.input_limit()
    if limit is None or node.inputs_spec is None:
        return None
    m = _INPUTS.match(decode_value(node.inputs_spec))
    if not m:
        return _finding(node.full_name, "bad_input", node.inputs_spec, f"a number of inputs up to {limit}")
    main, masks = int(m.group(1)), int(m.group(2) or 0)
    if main + masks <= limit:
        return None
    parts = [f"{info.max_inputs} input{'s' if info.max_inputs != 1 else ''}"]
    if info.masks:
        parts.append(f"{info.masks} mask")
    spec = f"{info.max_inputs}+{info.masks}" if info.masks else str(info.max_inputs)
    return _finding(node.full_name, "bad_input", f"inputs {decode_value(node.inputs_spec)}",
                    f"inputs {spec} ({info.name} takes {' + '.join(parts)})")


def _finding(node: str, kind: str, name: str, suggestion: Optional[str]) -> Dict[str, Optional[str]]:
    return {"node": node, "kind": kind, "name": name, "suggestion": suggestion}


def format_finding(f: Dict[str, Any]) -> str:
    """One human line: ``Blurr1: unknown_class Blurr (did you mean Blur?)``."""
    tail = f" (did you mean {f['suggestion']}?)" if f.get("suggestion") else ""
    return f"{f['node']}: {f['kind']} {f['name']}{tail}"


def lint_for_host(host: Any, text: str) -> List[Dict[str, Optional[str]]]:
    """Findings for a snippet about to go into ``host``'s comp: checked against the classes
    the host knows (Nuke's own inside Nuke, else the catalogue for the script's version),
    with the comp's node names as what the snippet may refer to. Raises LintError."""
    source = host.class_source()
    cat = getattr(source, "catalogue", None)
    version = getattr(source, "version", None)
    names = [n.name for n in host.all_nodes()]
    return lint_text(text, nuke_version=version, cat=cat, external_nodes=names)


_PLAIN = {
    "unknown_class": "Nuke has no node class {name}",
    "unknown_knob": "this node has no knob named {name}",
    "bad_input": "{name} is more inputs than the node takes",
    "dangling_reference": "an expression refers to {name}, which does not exist",
}


def describe_finding(f: Dict[str, Any]) -> str:
    """The finding in plain words, for previews and for the model's repair round:
    ``Grade1: this node has no knob named whitepoint_r (did you mean whitepoint?)``."""
    text = _PLAIN.get(str(f.get("kind")), "{name}").format(name=f.get("name"))
    tail = f" (did you mean {f['suggestion']}?)" if f.get("suggestion") else ""
    return f"{f['node']}: {text}{tail}"
