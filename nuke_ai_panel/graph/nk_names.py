"""How a reader names nodes: the one rule the reader follows and the writer checks.

A node named uniquely in its group keeps its name. A later node repeating a name
gets one used nowhere in the script, so expressions that name the first node keep
pointing at it. Unnamed nodes (clones are written without a name) are numbered per
class, the way Nuke numbers them (``Blur1``, ``Blur2``...), skipping every name the
script uses. Counters only move forward, so naming is linear in the node count.
"""

from __future__ import annotations

from typing import Any, Dict, Hashable, List, Optional, Sequence, Set, Tuple

from .nk_model import name_base

__all__ = ["assign_names"]


def _next_free(base: str, taken: Set[str], counters: Dict[Any, int], key: Any) -> str:
    """The lowest ``<base>N`` not in ``taken``, counting on from the last one given
    for ``key`` (names are only ever added while naming, so none is skipped)."""
    n = counters.get(key, 1)
    while f"{base}{n}" in taken:
        n += 1
    counters[key] = n + 1
    return f"{base}{n}"


def assign_names(names: List[Optional[str]], parents: Sequence[Hashable],
                 classes: Sequence[str]) -> Tuple[List[int], List[Tuple[int, str, str]]]:
    """Fill in ``names`` (one per node, in script order; None: the text gives none)
    for nodes whose group is ``parents[i]`` and class ``classes[i]``.

    Returns (the indexes given a name here, [(index, repeated name, new name)])."""
    taken: Dict[Hashable, Set[str]] = {}
    everywhere: Set[str] = set()
    repeats: List[int] = []
    for i, name in enumerate(names):
        if name is None:
            continue
        group = taken.get(parents[i])
        if group is None:
            group = taken[parents[i]] = set()
        if name in group:
            repeats.append(i)
        else:
            group.add(name)
            everywhere.add(name)
    counters: Dict[Any, int] = {}
    renamed: List[Tuple[int, str, str]] = []
    for i in repeats:
        old = names[i] or ""
        base = name_base(old)
        new = _next_free(base, everywhere, counters, ("repeat", base))
        everywhere.add(new)
        taken[parents[i]].add(new)
        names[i] = new
        renamed.append((i, old, new))
    named = list(repeats)
    bases: Dict[str, str] = {}
    for i, name in enumerate(names):
        if name is not None:
            continue
        cls = classes[i]
        base = bases.get(cls)
        if base is None:
            base = bases[cls] = name_base(cls)
        group = taken.get(parents[i])
        if group is None:
            group = taken[parents[i]] = set()
        names[i] = new = _next_free(base, group, counters, (parents[i], base))
        group.add(new)
        named.append(i)
    return named, renamed
