"""Adding a parsed .nk snippet to a script the way ``nuke.nodePaste`` does.

Nuke renumbers a pasted node whose name is taken in the target group (Blur1 -> Blur2),
wires the snippet's dangling input (``PASTE_INPUT``) to the node it pastes after, and
leaves exactly the pasted top-level nodes selected.
"""

from __future__ import annotations

from typing import Dict, List, Optional

from .nk_model import PASTE_INPUT, Directive, Script, full_name_of, parent_of, unique_name

__all__ = ["paste_into"]


def paste_into(script: Script, snippet: Script, target: Optional[str],
               parent: Optional[str]) -> List[str]:
    """Move ``snippet``'s nodes into ``script`` under group ``parent`` (None: the top
    level), wiring its dangling input to ``target`` (a full name in ``parent``, or None).
    Returns the created nodes' full names in snippet order. ``snippet`` is consumed."""
    taken = script.names_in(parent)
    mapping: Dict[str, str] = {}
    for n in snippet.nodes:
        if n.parent is None:
            new = unique_name(n.name, taken)
            taken.add(new)
            mapping[n.full_name] = full_name_of(new, parent)
        else:
            mapping[n.full_name] = f"{mapping[n.parent]}.{n.name}"
    for n in script.nodes:
        n.selected = False
    created: List[str] = []
    for n in snippet.nodes:
        new_full = mapping[n.full_name]
        n.parent = parent_of(new_full)
        n.name = new_full.rsplit(".", 1)[-1]
        n.inputs = [
            target if ref == PASTE_INPUT else mapping.get(ref) if ref else None
            for ref in n.inputs
        ]
        n.clone_of = mapping.get(n.clone_of) if n.clone_of else None
        n.selected = n.parent == parent
        script.add_node(n)
        created.append(new_full)
    first = created[0] if created else None
    for d in snippet.directives:
        if d.text.startswith("add_layer"):
            script.directives.append(Directive(d.text, mapping.get(d.before or "", first), parent))
    return created
