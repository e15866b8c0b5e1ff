"""A selection of nodes as a stand-alone snippet, the way ``nuke.nodeCopy`` sees it."""

from __future__ import annotations

from typing import Dict, List, Optional, Sequence, Set

from .nk_model import PASTE_INPUT, ROOT_ANCHOR, Directive, Node, Script, unique_name

__all__ = ["extract_nodes"]


def extract_nodes(script: Script, names: Sequence[str]) -> Script:
    """The named nodes (groups with their contents) as a stand-alone snippet, the way
    ``nuke.nodeCopy`` sees a selection: top nodes selected and moved to root level, the
    first input from outside the selection becomes the paste input, others go empty,
    and a clone whose original is left out becomes a plain copy."""
    index = script.index()
    chosen = script.with_members(name for name in names if name in index)
    picked = [n for n in script.nodes if n.full_name in chosen]
    tops = [n for n in picked if n.parent not in chosen]
    top_names = {n.full_name for n in tops}
    mapping: Dict[str, str] = {}
    taken: Set[str] = set()
    for top in tops:
        new = unique_name(top.name, taken)
        taken.add(new)
        mapping[top.full_name] = new
    for n in picked:
        if n.full_name in mapping:
            continue
        parent = n.parent or ""
        while parent and parent not in mapping:
            parent = parent.rsplit(".", 1)[0] if "." in parent else ""
        rest = n.full_name[len(parent) + 1:]
        mapping[n.full_name] = f"{mapping[parent]}.{rest}"
    out: List[Node] = []
    paste_used = False
    for n in picked:
        copy = n.copy()
        new_full = mapping[n.full_name]
        copy.parent = new_full.rsplit(".", 1)[0] if "." in new_full else None
        copy.name = new_full.rsplit(".", 1)[-1]
        inputs: List[Optional[str]] = []
        for ref in n.inputs:
            if ref in mapping:
                inputs.append(mapping[ref])
            elif ref and not paste_used and n.full_name in top_names:
                inputs.append(PASTE_INPUT)
                paste_used = True
            else:
                inputs.append(None)
        copy.inputs = inputs
        if n.clone_of and n.clone_of not in mapping:
            copy.knobs = script.effective_knobs(n, index)
            copy.clone_of = None
            original = index.get(n.clone_of)
            if original is not None:
                copy.user_knobs = list(original.user_knobs)
                copy.name_pos = None
        elif n.clone_of:
            copy.clone_of = mapping[n.clone_of]
        if n.full_name in top_names:
            copy.selected = True
        out.append(copy)
    version = script.version()
    directives = [Directive(version, ROOT_ANCHOR)] if version else []
    return Script(nodes=out, directives=directives)
