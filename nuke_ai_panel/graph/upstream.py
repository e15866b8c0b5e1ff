"""The chain upstream of a node, as .nk text: what ``/look`` sends beside the Viewer frame.

The node and everything that feeds it (inputs followed recursively, nearest first, at most
``MAX_CHAIN_NODES``), written in script order as Nuke's own script text (``node_script``)
and trimmed to a character budget with ``context.compact_script``.
"""

from __future__ import annotations

from collections import deque
from typing import Dict, List, Tuple

from .context import DEFAULT_BUDGET, compact_script, settings_text
from .host import Host, HostError, NodeInfo

__all__ = ["MAX_CHAIN_NODES", "upstream_nodes", "upstream_script"]

MAX_CHAIN_NODES = 80


def upstream_nodes(host: Host, node: str, limit: int = MAX_CHAIN_NODES) -> Tuple[List[str], bool]:
    """``node`` and the nodes upstream of it, in script order, and whether ``limit`` cut
    the walk short (the nearest nodes are kept). HostError for an unknown node."""
    infos: Dict[str, NodeInfo] = {i.name: i for i in host.all_nodes()}
    if node not in infos:
        raise HostError(f"no node named {node}")
    seen = {node}
    queue = deque([node])
    cut = False
    while queue:
        for source in infos[queue.popleft()].inputs:
            if not source or source in seen or source not in infos:
                continue
            if len(seen) >= limit:
                cut = True
                break
            seen.add(source)
            queue.append(source)
    return [name for name in infos if name in seen], cut


def upstream_script(host: Host, node: str, budget: int = DEFAULT_BUDGET,
                    limit: int = MAX_CHAIN_NODES) -> str:
    """A header line, the script settings, and the chain's .nk text within ``budget``."""
    names, cut = upstream_nodes(host, node, limit)
    more = f" (the nearest {limit}; the chain goes on further up)" if cut else ""
    head = (f"{node} and the {len(names) - 1} node(s) upstream of it{more}.\n"
            f"Script settings: {settings_text(host)}\n")
    text = host.node_script(names)
    return head + "```nk\n" + compact_script(text, max(1000, budget - len(head))).strip() + "\n```"
