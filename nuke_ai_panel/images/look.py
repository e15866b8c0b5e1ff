"""What ``/look`` sends: the Viewer frame as an image, its pixel probe, the upstream chain.

Phase-2 callers (the session's ``/look``, the panel's "Attach Viewer frame") take a
``Look`` from ``viewer_look(host)`` inside Nuke, or from ``image_look(host, attachment)``
for an attached image (the standalone app), and put ``attachment`` on the turn and
``text()`` in the prompt.
"""

from __future__ import annotations

import io
from array import array
from typing import NamedTuple, Optional

from ..graph.context import DEFAULT_BUDGET
from ..graph.host import Host, HostError, ViewerFrame
from ..graph.upstream import upstream_script
from .attachment import ImageAttachment, load_pillow
from .float_tiff import TiffError, channel_names
from .probe import PixelProbe, probe_float_tiff, probe_pixels

__all__ = ["Look", "viewer_look", "image_look", "image_probe"]

_LEVELS = [i / 255.0 for i in range(256)]


class Look(NamedTuple):
    """``attachment`` (what the artist sees), the ``probe`` of the same frame (None when
    there are no float pixels), the upstream ``chain`` as .nk text, and the ``frame``
    rendered (None for an attached image)."""

    attachment: ImageAttachment
    probe: Optional[PixelProbe]
    chain: str
    frame: Optional[ViewerFrame] = None

    def text(self) -> str:
        """The prompt text that goes with the image."""
        parts = []
        if self.frame is None:
            parts.append(f"The attached image is {self.attachment.describe()}.")
        else:
            f = self.frame
            parts.append(f"The attached image is {f.viewer}'s view of {f.node} at frame "
                         f"{f.frame}, {f.width}x{f.height}, through {f.display}.")
            if f.notes:
                parts.append("Not reproduced in the image: " + "; ".join(f.notes) + ".")
        if self.probe is not None:
            parts.append(self.probe.render())
        if self.chain:
            parts.append(self.chain)
        return "\n\n".join(parts)


def viewer_look(host: Host, budget: int = DEFAULT_BUDGET) -> Look:
    """Render the active Viewer's frame through ``host`` and gather image, probe and chain.
    HostError when there is no Viewer (always in the standalone app) or the render fails;
    ImageError when the rendered image cannot be used (Pillow missing...)."""
    frame = host.viewer_frame(pixels=True)
    label = f"{frame.viewer}: {frame.node} at frame {frame.frame}"
    attachment = ImageAttachment.from_bytes(frame.image, label=label)
    probe = None
    if frame.pixels is not None:
        try:
            probe = probe_float_tiff(frame.pixels, f"{frame.node} ({frame.viewer} input "
                                     f"{frame.input_index})", frame.frame)
        except TiffError as exc:
            raise HostError(f"The float frame Nuke rendered for the pixel probe could not be "
                            f"read: {exc}") from exc
    return Look(attachment, probe, upstream_script(host, frame.node, budget), frame)


def image_probe(image: ImageAttachment) -> PixelProbe:
    """The probe of an attached image's own 8-bit pixels, as 0..1 values (display-referred:
    no NaN, inf or values over 1 can survive in such a file). Needs Pillow."""
    Image, _ = load_pillow()
    with Image.open(io.BytesIO(image.data)) as opened:
        rgb = opened.convert("RGBA" if "A" in opened.getbands() else "RGB")
    samples = array("f", map(_LEVELS.__getitem__, rgb.tobytes()))
    return probe_pixels(samples, rgb.width, rgb.height, channel_names(len(rgb.getbands())),
                        f"{image.label} (8-bit file values, after any display transform)")


def image_look(host: Host, image: ImageAttachment, node: Optional[str] = None,
               budget: int = DEFAULT_BUDGET) -> Look:
    """``/look`` with an attached image: its probe, and the chain upstream of ``node`` (or
    of the last selected node; none when nothing is selected)."""
    if node is None:
        selected = host.selected_nodes()
        node = selected[-1].name if selected else None
    chain = upstream_script(host, node, budget) if node else ""
    return Look(image, image_probe(image), chain, None)
