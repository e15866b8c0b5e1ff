"""Render the active Viewer's current frame inside Nuke and leave the script as it was.

Runs on Nuke's main thread (``NukeHost.viewer_frame`` marshals it). Temporary nodes on the
Viewer's input render one frame to a temporary folder: a Write giving an 8-bit PNG through
the Viewer's display transform (what the artist sees), and a Write giving an uncompressed
32-bit float TIFF of the same input with no colour conversion (the numbers for the probe).
Everything happens between ``nuke.Undo.disable()`` and ``enable()``, so no undo step is
recorded; on every exit path the temporary nodes are deleted, the selection and the
script's modified flag are put back, and the folder is removed.

Nuke facts used (Nuke Python API reference, learn.foundry.com/nuke/developers/15x/
pythondevguide, and the node reference guide):

* ``nuke.activeViewer()`` -> the active ViewerWindow, or None; ``ViewerWindow.node()`` is
  the Viewer node, ``ViewerWindow.activeInput(secondary=False)`` the input it shows.
* ``nuke.frame()`` is the current frame; ``nuke.execute(node, first, last, incr=1)``
  renders a Write and raises RuntimeError when it cannot (no file, no input, an upstream
  error, the artist pressing Cancel).
* ``nuke.nodes.<Class>(inputs=[...])`` creates a node without connecting it to the
  selection; ``nuke.delete(node)``; ``nuke.root().modified()`` / ``setModified(bool)``.
* The Viewer's ``viewerProcess`` knob names its display transform: ``"<view> (<display>)"``
  for an OpenColorIO display/view (``"sRGB (default)"``, ``"ACES 1.0 - SDR Video (sRGB -
  Display)"``), else a Nuke LUT name (``"sRGB"``, ``"rec709"``) or ``"None"``. Its
  ``gain``/``gamma`` knobs are the Viewer's exposure and gamma sliders.
* OCIODisplay applies an OCIO display/view to its input (knobs ``display``, ``view``,
  ``gain`` before the transform, ``gamma`` after; the input colourspace defaults to the
  working space) (reference_guide/color_nodes/ociodisplay.html).
* Write knobs ``file``, ``file_type`` (``png``, ``tiff``), ``datatype`` (``8 bit``,
  ``32 bit float``), ``compression`` (``none``), ``channels`` (``rgb``, ``rgba``),
  ``colorspace`` (the output transform) and ``raw`` (write the data unconverted)
  (reference_guide/image_nodes/write.html).
"""

from __future__ import annotations

import contextlib
import os
import re
import shutil
import struct
import tempfile
from typing import Any, Callable, Dict, Iterator, List, NamedTuple, Optional, Tuple

from .host import HostError, ViewerFrame
from .nk_model import parent_of

__all__ = ["render_viewer_frame", "DisplayPlan", "display_plan", "NO_VIEWER"]

NO_VIEWER = "No Viewer is open in Nuke: open one (Ctrl+I) on the node to look at, then try again."
_OCIO_VIEW = re.compile(r"^(?P<view>.+) \((?P<display>[^()]+)\)$")


class DisplayPlan(NamedTuple):
    """How the display image reproduces the Viewer: ``ocio`` knobs for a temporary
    OCIODisplay node (None for none), ``write`` knobs for the display Write, a
    ``description`` for the artist and the model, and ``notes`` on what is not applied."""

    ocio: Optional[Dict[str, Any]]
    write: Dict[str, Any]
    description: str
    notes: Tuple[str, ...]


def _knob_value(node: Any, name: str) -> Any:
    try:
        knob = node.knob(name)
        return None if knob is None else knob.value()
    except Exception:
        return None


def display_plan(nuke: Any, viewer_node: Any) -> DisplayPlan:
    """Read the Viewer's display transform (see the module notes) into a plan."""
    process = str(_knob_value(viewer_node, "viewerProcess") or "").strip()
    gain = _knob_value(viewer_node, "gain")
    gamma = _knob_value(viewer_node, "gamma")
    gain = 1.0 if not isinstance(gain, (int, float)) else float(gain)
    gamma = 1.0 if not isinstance(gamma, (int, float)) else float(gamma)
    notes: List[str] = []
    match = _OCIO_VIEW.match(process)
    if process in ("", "None"):
        plan_ocio, write = None, {"raw": True}
        description = "no display transform (the Viewer's viewer process is None)"
    elif match:
        plan_ocio = {"display": match.group("display"), "view": match.group("view")}
        if gain != 1.0:
            plan_ocio["gain"] = gain
        if gamma != 1.0:
            plan_ocio["gamma"] = gamma
        write = {"raw": True}
        description = (f"OCIO display '{match.group('display')}', view '{match.group('view')}'"
                       + (f", Viewer gain {gain:g}" if gain != 1.0 else "")
                       + (f", gamma {gamma:g}" if gamma != 1.0 else ""))
    else:
        plan_ocio, write = None, {"colorspace": process}
        description = f"the Viewer LUT '{process}'"
        notes += [f"the Viewer's {name} {value:g} is not applied" for name, value in
                  (("gain", gain), ("gamma", gamma)) if value != 1.0]
    if _knob_value(nuke.root(), "proxy") is True:
        notes.append("proxy mode is on: the frame is rendered at proxy resolution")
    if _knob_value(viewer_node, "input_process") and nuke.toNode("VIEWER_INPUT") is not None:
        notes.append("the Viewer's input process (VIEWER_INPUT) is not applied")
    return DisplayPlan(plan_ocio, write, description, tuple(notes))


def _set_knobs(node: Any, values: Dict[str, Any], notes: List[str]) -> None:
    for name, value in values.items():
        knob = node.knob(name)  # None when the node has no such knob
        try:
            if knob is None:
                raise KeyError(name)
            knob.setValue(value)
        except Exception as exc:
            notes.append(f"could not set {node.Class()}.{name} to {value!r} ({exc})")


def _has_alpha(node: Any) -> bool:
    try:
        return any(str(c).endswith(".alpha") for c in node.channels())
    except Exception:
        return True


def _png_size(data: bytes) -> Tuple[int, int]:
    """Width and height from a PNG's IHDR chunk (PNG specification, section 11.2.2)."""
    if data[:8] != b"\x89PNG\r\n\x1a\n" or data[12:16] != b"IHDR":
        raise HostError("Nuke wrote something that is not a PNG file for the Viewer frame")
    return struct.unpack(">II", data[16:24])


@contextlib.contextmanager
def _in_group_of(nuke: Any, node: Any) -> Iterator[None]:
    """Create nodes beside ``node`` (inside its group), since inputs cannot cross groups."""
    parent = parent_of(node.fullName())
    group = nuke.root() if parent is None else nuke.toNode(parent)
    with group:
        yield


class _Render:
    """The temporary nodes and files of one grab, and their cleanup."""

    def __init__(self, nuke: Any, source: Any, frame: int) -> None:
        self.nuke = nuke
        self.source = source
        self.frame = frame
        self.folder = tempfile.mkdtemp(prefix="nuke_ai_viewer_")
        self.made: List[Any] = []
        self.notes: List[str] = []

    def node(self, node_class: str, source: Any, knobs: Dict[str, Any]) -> Any:
        node = getattr(self.nuke.nodes, node_class)(inputs=[source])
        self.made.append(node)
        _set_knobs(node, knobs, self.notes)
        return node

    def write(self, source: Any, file_name: str, knobs: Dict[str, Any]) -> bytes:
        path = os.path.join(self.folder, file_name).replace("\\", "/")
        write = self.node("Write", source, {"file": path})
        _set_knobs(write, knobs, self.notes)
        self.nuke.execute(write, self.frame, self.frame, 1)
        try:
            with open(path, "rb") as fh:
                return fh.read()
        except OSError as exc:
            raise HostError(f"Nuke rendered no file for the Viewer frame ({exc.strerror or exc})") from exc

    def close(self) -> None:
        for node in reversed(self.made):
            with contextlib.suppress(Exception):
                self.nuke.delete(node)
        shutil.rmtree(self.folder, ignore_errors=True)


def render_viewer_frame(nuke: Any, clear_selection: Callable[[], None],
                        frame: Optional[int] = None, pixels: bool = True) -> ViewerFrame:
    """Render the active Viewer's frame (main thread only); see ``Host.viewer_frame``."""
    window = nuke.activeViewer()
    viewer = window.node() if window is not None else None
    if viewer is None:
        raise HostError(NO_VIEWER)
    index = window.activeInput()
    source = viewer.input(index) if isinstance(index, int) and index >= 0 else None
    if source is None:
        raise HostError(f"{viewer.fullName()} shows nothing: connect it to a node "
                        "(select the node and press 1), then try again.")
    at = int(nuke.frame() if frame is None else frame)
    plan = display_plan(nuke, viewer)
    channels = "rgba" if _has_alpha(source) else "rgb"
    root = nuke.root()
    was_modified = bool(root.modified())
    selected = [n for n in nuke.allNodes(recurseGroups=True) if n.isSelected()]
    render = _Render(nuke, source, at)
    nuke.Undo.disable()
    try:
        with _in_group_of(nuke, source):
            shown = render.node("OCIODisplay", source, plan.ocio) if plan.ocio else source
            image = render.write(shown, "display.png", dict(
                {"file_type": "png", "datatype": "8 bit", "channels": "rgb"}, **plan.write))
            floats = render.write(source, "pixels.tif", {
                "file_type": "tiff", "datatype": "32 bit float", "compression": "none",
                "channels": channels, "raw": True}) if pixels else None
    except HostError:
        raise
    except Exception as exc:  # Nuke's RuntimeError from execute, a knob it refused...
        raise HostError(f"Nuke could not render {source.fullName()} at frame {at} for the "
                        f"Viewer frame: {exc}") from exc
    finally:
        render.close()
        with contextlib.suppress(Exception):
            clear_selection()
            for node in selected:
                node.setSelected(True)
        nuke.Undo.enable()
        with contextlib.suppress(Exception):
            root.setModified(was_modified)
    width, height = _png_size(image)
    return ViewerFrame(viewer.fullName(), source.fullName(), index, at, width, height,
                       plan.description, image, floats, channels,
                       plan.notes + tuple(render.notes))
