"""Read a node class's knobs from the running Nuke: the live side of the catalogue.

``read_class_live(nuke, "Blur")`` must run on Nuke's main thread. It creates one
throwaway node with ``nuke.nodes.<Class>()`` at the top level, reads its knobs and
inputs, and deletes it, leaving the artist's script as it was:

* ``nuke.nodes.X()`` neither connects the new node to the selection nor changes the
  selection, unlike ``nuke.createNode`` (Nuke Python API: ``nuke.nodes``);
* ``nuke.Undo.disable()``/``enable()`` around it keep the create and delete out of the
  undo history (``nuke.Undo``: "prevent recording undos until matching enable()");
* ``nuke.root().modified()`` is saved and restored with ``setModified`` so the script
  is not marked as changed;
* an unknown class makes Nuke raise RuntimeError ("X: unknown command"): the answer is
  None.

Knob types are Nuke's own knob classes (``knob.Class()``), defaults the knob's script
text on a fresh node (``knob.toScript()``, so the studio's ``knobDefault``s show), and
inputs come from ``node.maxInputs()`` / ``node.optionalInput()``. Nothing here imports
``nuke``: the module is passed in, so the same code runs against the test stand-in.
"""

from __future__ import annotations

from typing import Any, Callable, Dict, Optional

from .catalogue import Catalogue, ClassInfo, KnobInfo, catalogue, normalize_version

__all__ = ["read_class_live", "LiveClassReader", "live_catalogue", "nuke_version_of"]

# Above this many inputs Nuke's node takes "any number" (Merge2, Switch, Scene...).
_MANY_INPUTS = 64
# Knobs that are panel furniture, not settings (tabs, dividers, labels).
_FURNITURE = frozenset({"Tab_Knob", "Text_Knob", "BeginTabGroup_Knob", "EndTabGroup_Knob"})


def nuke_version_of(nuke: Any) -> str:
    """The catalogue version of the running Nuke (``NUKE_VERSION_MAJOR``)."""
    return f"{int(getattr(nuke, 'NUKE_VERSION_MAJOR', 15))}.0"


def read_class_live(nuke: Any, node_class: str) -> Optional[ClassInfo]:
    """Knobs and inputs of ``node_class`` as this Nuke has them, or None when Nuke has
    no such class. Main thread only; leaves no node, undo step or modified flag."""
    factory = getattr(nuke.nodes, node_class, None)
    if factory is None or not node_class.replace("_", "a").isalnum():
        return None
    root = nuke.root()
    was_modified = _modified(root)
    nuke.Undo.disable()
    try:
        root.begin()
        try:
            try:
                node = factory()
            except RuntimeError:
                return None
        finally:
            root.end()
        try:
            return _describe(nuke, node, node_class)
        finally:
            nuke.delete(node)
    finally:
        nuke.Undo.enable()
        if was_modified is not None:
            root.setModified(was_modified)


def _modified(root: Any) -> Optional[bool]:
    try:
        return bool(root.modified())
    except AttributeError:
        return None


def _describe(nuke: Any, node: Any, node_class: str) -> ClassInfo:
    knobs: Dict[str, KnobInfo] = {}
    for name, knob in sorted(node.knobs().items()):
        kclass = knob.Class()
        if kclass in _FURNITURE:
            continue
        default = knob.toScript() if name not in ("name", "xpos", "ypos") else None
        knobs[name] = KnobInfo(name, kclass, default)
    total = int(node.maxInputs())
    optional = int(node.optionalInput()) if hasattr(node, "optionalInput") else -1
    if total >= _MANY_INPUTS:
        max_inputs: Optional[int] = None
        masks = 0
    elif 0 <= optional < total:
        max_inputs, masks = optional, total - optional
    else:
        max_inputs, masks = total, 0
    return ClassInfo(
        name=node_class, version=nuke_version_of(nuke), knobs=knobs, inputs=[],
        max_inputs=max_inputs, masks=masks, complete=True, source="live",
    )


class LiveClassReader:
    """``reader("Blur") -> ClassInfo | None`` from any thread: ``run_on_main(fn)`` is the
    host adapter's marshalling (``nuke.executeInMainThreadWithResult`` off the main
    thread, a direct call on it)."""

    def __init__(self, nuke: Any, run_on_main: Callable[[Callable[[], Any]], Any]) -> None:
        self._nuke = nuke
        self._run = run_on_main

    def __call__(self, node_class: str) -> Optional[ClassInfo]:
        return self._run(lambda: read_class_live(self._nuke, node_class))


def live_catalogue(nuke: Any, run_on_main: Callable[[Callable[[], Any]], Any],
                   base: Optional[Catalogue] = None) -> Catalogue:
    """The catalogue the host adapter hands out inside Nuke: live answers for the running
    version, cached per session, the shipped data for everything else."""
    version = normalize_version(nuke_version_of(nuke)) if int(
        getattr(nuke, "NUKE_VERSION_MAJOR", 15)) in (14, 15, 16) else None
    base = base or catalogue()
    if version is None:
        return base
    return base.with_live(LiveClassReader(nuke, run_on_main), version)
