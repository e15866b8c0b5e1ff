"""Images on a turn (DESIGN section 13): attachments, the per-request size cap (with the
images prepared for it ahead, ``fitting``) and wire forms, the history store, the pixel
probe, and the Viewer frame's ``/look`` bundle.

Pillow is imported lazily by ``attachment``; importing this package never needs it.
"""

from __future__ import annotations

from .attachment import MAX_PIXELS, MAX_SIDE, ImageAttachment
from .errors import IMAGE_KINDS, ImageError
from .fitting import prepare
from .probe import ChannelStats, PixelProbe, probe_float_tiff, probe_pixels
from .request import DEFAULT_REQUEST_CAP, WIRE_STYLES, WireImage, fit_to_cap, image_part, wire_image
from .store import ImageStore, is_image_ref

__all__ = [
    "ChannelStats",
    "DEFAULT_REQUEST_CAP",
    "IMAGE_KINDS",
    "ImageAttachment",
    "ImageError",
    "ImageStore",
    "MAX_PIXELS",
    "MAX_SIDE",
    "PixelProbe",
    "WIRE_STYLES",
    "WireImage",
    "fit_to_cap",
    "image_part",
    "is_image_ref",
    "prepare",
    "probe_float_tiff",
    "probe_pixels",
    "wire_image",
]
