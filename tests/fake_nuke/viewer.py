"""The stand-in's Viewer windows, current frame and rendering (``nuke.execute``).

Signatures follow the Nuke Python API reference (learn.foundry.com/nuke/developers/15x/
pythondevguide): ``nuke.activeViewer()`` -> ViewerWindow or None (the UI element, not the
node); ``ViewerWindow.node()``, ``.activeInput(secondary=False)``, ``.activateInput(input,
secondary=False)`` (ValueError for an unconnected input); ``nuke.frame(frame=None)``;
``nuke.execute(nameOrNode, start, end, incr, views, continueOnError=False)``.

As in Nuke with its GUI up, every Viewer node of the loaded script has a window (the last
one active), and a window closes when its node is deleted. ``execute`` refuses like Nuke: a
node that cannot be executed, a Write without a file name or without an input, or an
upstream node in error each raise RuntimeError naming the node (the wording is the
stand-in's). Otherwise the Write "renders" a deterministic synthetic frame at the root
format to its file, in its ``file_type``: PNG/JPEG/8-bit TIFF through Pillow, a 32-bit
float TIFF (``datatype "32 bit float"``) through ``tiff.tiff_bytes``. Values: red a ramp
from -0.25 to 1.25 across the frame, green from the frame number, blue from the viewed
node's name, alpha a ramp 0..1; ``planted_pixels`` overrides single pixels (NaN, inf...).
Each render is logged in ``renders``.
"""

from __future__ import annotations

import io
import math
import zlib
from array import array
from typing import Any, Dict, List, Optional, Tuple

from .tiff import tiff_bytes

RGBA_CHANNELS = ("rgba.red", "rgba.green", "rgba.blue", "rgba.alpha")


class FakeViewerWindow:
    """``nuke.ViewerWindow`` for one Viewer node."""

    def __init__(self, fake: Any, name: str, active_input: Optional[int] = 0) -> None:
        self._fake = fake
        self.name = name
        self.input = active_input

    def node(self) -> Any:
        self._fake._guard("ViewerWindow.node")
        return self._fake.toNode(self.name)

    def activeInput(self, secondary: bool = False) -> Optional[int]:
        self._fake._guard("ViewerWindow.activeInput")
        return None if secondary else self.input

    def activateInput(self, input: int, secondary: bool = False) -> None:
        self._fake._guard("ViewerWindow.activateInput")
        if self.node().input(input) is None:
            raise ValueError(f"input {input} of {self.name} is not connected")
        if not secondary:
            self.input = input

    def view(self) -> str:
        return "main"


class ViewerAPI:
    """Mixed into ``FakeNuke``: Viewer windows, ``frame`` and ``execute``."""

    def _init_viewers(self) -> None:
        self.current_frame: Optional[int] = None
        self.planted_pixels: Dict[Tuple[int, int], Tuple[float, ...]] = {}
        self.node_channels: Dict[str, Tuple[str, ...]] = {}
        self.renders: List[Dict[str, Any]] = []
        self.viewer_windows = [FakeViewerWindow(self, n.name) for n in self._host.all_nodes()
                               if n.node_class == "Viewer"]

    # -- Viewer windows ----------------------------------------------------------------

    def activeViewer(self) -> Optional[FakeViewerWindow]:
        self._guard("activeViewer")
        alive = {n.name for n in self._host.all_nodes()}
        self.viewer_windows = [w for w in self.viewer_windows if w.name in alive]
        return self.viewer_windows[-1] if self.viewer_windows else None

    def open_viewer(self, name: str, active_input: Optional[int] = 0) -> FakeViewerWindow:
        """Test helper: open (or raise) the window of Viewer node ``name``; it becomes active."""
        self.viewer_windows = [w for w in self.viewer_windows if w.name != name]
        window = FakeViewerWindow(self, name, active_input)
        self.viewer_windows.append(window)
        return window

    def close_viewers(self) -> None:
        """Test helper: close every Viewer window (``activeViewer()`` is then None)."""
        self.viewer_windows = []

    def frame(self, frame: Optional[int] = None) -> int:
        self._guard("frame")
        if frame is not None:
            self.current_frame = int(frame)
        return self.current_frame if self.current_frame is not None else self.root().firstFrame()

    # -- rendering ---------------------------------------------------------------------

    def execute(self, nameOrNode: Any, start: Optional[int] = None, end: Optional[int] = None,
                incr: int = 1, views: Any = None, continueOnError: bool = False) -> None:
        self._guard("execute")
        node = self.toNode(nameOrNode) if isinstance(nameOrNode, str) else nameOrNode
        if node is None:
            raise ValueError(f"{nameOrNode}: no such node")
        name = node.fullName()
        if node.Class() != "Write":
            raise RuntimeError(f"{name} cannot be executed")
        path = node.knob("file").value()
        if not path:
            raise RuntimeError(f"{name}: no file name specified")
        source = node.input(0)
        if source is None:
            raise RuntimeError(f"{name}: nothing is connected to its input")
        failing = self._upstream_error(source)
        if failing:
            raise RuntimeError(failing)
        root = self.root()
        first = root.firstFrame() if start is None else int(start)
        last = root.lastFrame() if end is None else int(end)
        for frame in range(first, last + 1, max(1, int(incr))):
            self._render(node, source, frame, str(path).replace("####", f"{frame:04d}"))

    def _upstream_error(self, node: Any) -> Optional[str]:
        todo, seen = [node], set()
        while todo:
            n = todo.pop()
            if n.fullName() in seen:
                continue
            seen.add(n.fullName())
            message = self._host.node_error(n.fullName())
            if message:
                return f"{n.fullName()}: {message}"
            todo.extend(n.dependencies())
        return None

    def channels_of(self, node: Any) -> Tuple[str, ...]:
        """What ``node.channels()`` answers: ``node_channels`` for it or the nearest node
        upstream that has an entry, else RGBA."""
        todo = [node]
        while todo:
            n = todo.pop(0)
            if n.fullName() in self.node_channels:
                return self.node_channels[n.fullName()]
            todo.extend(n.dependencies())
        return RGBA_CHANNELS

    def _render(self, write: Any, source: Any, frame: int, path: str) -> None:
        knobs = {k: write.knob(k).value() for k in ("file_type", "datatype", "channels",
                                                      "colorspace", "raw", "compression")}
        file_type = str(knobs["file_type"] or path.rsplit(".", 1)[-1]).lower()
        viewed, transform = source, "output transform of the Write"
        if source.Class() == "OCIODisplay":
            viewed = source.input(0)
            transform = "OCIODisplay " + ", ".join(
                f"{k}={source.knob(k).value()!r}" for k in ("display", "view", "gain", "gamma")
                if source.knob(k).value() is not None)
        elif knobs["raw"] is True:
            transform = "raw"
        elif knobs["colorspace"]:
            transform = f"colorspace {knobs['colorspace']!r}"
        count = 4 if knobs["channels"] in ("rgba", "all") else 3
        fmt = root_format(self)
        row = self._row(fmt[0], viewed.fullName(), frame, count)
        if file_type in ("tif", "tiff") and "float" in str(knobs["datatype"] or ""):
            if knobs["compression"] not in ("none", None):
                raise RuntimeError("the stand-in writes uncompressed float TIFFs only")
            pixels = row * fmt[1]
            for at, value in self._planted(fmt[0], count):
                pixels[at] = value
            data = tiff_bytes(fmt[0], fmt[1], count, pixels)
        elif file_type in ("png", "jpeg", "jpg", "tif", "tiff"):
            pixels8 = bytearray(bytes(_byte(v) for v in row) * fmt[1])
            for at, value in self._planted(fmt[0], count):
                pixels8[at] = _byte(value)
            data = _encode8(fmt, count, bytes(pixels8), file_type)
        else:
            raise RuntimeError(f"the stand-in cannot write {file_type} files")
        with open(path, "wb") as fh:
            fh.write(data)
        self.renders.append({"write": write.fullName(), "viewed": viewed.fullName(), "frame": frame,
                             "path": path, "file_type": file_type, "channels": knobs["channels"],
                             "datatype": knobs["datatype"], "transform": transform})

    def _row(self, width: int, name: str, frame: int, count: int) -> array:
        blue = (zlib.crc32(name.encode()) % 100) / 100.0
        green = (frame % 24) / 24.0
        row: List[float] = []
        for x in range(width):
            t = x / max(1, width - 1)
            row += [-0.25 + 1.5 * t, green, blue, t][:count]
        return array("f", row)

    def _planted(self, width: int, count: int) -> List[Tuple[int, float]]:
        return [((y * width + x) * count + i, value)
                for (x, y), values in self.planted_pixels.items()
                for i, value in enumerate(values[:count])]


def root_format(fake: Any) -> Tuple[int, int]:
    fmt = fake.root().knob("format").value()
    return (fmt.width() or 640, fmt.height() or 360)


def _byte(v: float) -> int:
    return 0 if math.isnan(v) or v <= 0.0 else 255 if v >= 1.0 else int(v * 255.0 + 0.5)


def _encode8(fmt: Tuple[int, int], count: int, data: bytes, file_type: str) -> bytes:
    from PIL import Image

    image = Image.frombytes("RGBA" if count == 4 else "RGB", fmt, data)
    out = io.BytesIO()
    image.save(out, {"png": "PNG", "jpeg": "JPEG", "jpg": "JPEG"}.get(file_type, "TIFF"))
    return out.getvalue()
