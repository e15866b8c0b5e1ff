"""Read an uncompressed TIFF's pixels as floats, with no image library.

The pixel probe needs the frame's real values (negative, above 1, NaN, inf), which an 8-bit
PNG or JPEG cannot hold and Pillow cannot read as multi-channel float. Nuke's Write node
writes such a file with ``file_type tiff``, ``datatype "32 bit float"``, ``compression
none`` (the Write node reference, learn.foundry.com/nuke/content/reference_guide/
image_nodes/write.html). The layout is baseline TIFF 6.0 (Adobe, 1992): a header giving the
byte order (``II`` little, ``MM`` big) and the first IFD; the IFD's tags give the size
(256, 257), bits per sample (258), compression (259, 1 = none), strip offsets and byte
counts (273, 279), samples per pixel (277), planar configuration (284, 1 = interleaved),
sample format (339, 3 = IEEE float, 1 = unsigned int), predictor (317). 32-bit float and
8/16-bit unsigned samples are read; anything else raises ``TiffError``.
"""

from __future__ import annotations

import struct
import sys
from array import array
from typing import Dict, List, NamedTuple, Tuple

__all__ = ["FloatImage", "TiffError", "read_float_tiff", "channel_names"]


class TiffError(ValueError):
    """Not a TIFF this reader handles (the message says which part)."""


class FloatImage(NamedTuple):
    """``samples``: ``width * height * channels`` floats, interleaved, top row first."""

    width: int
    height: int
    channels: int
    samples: array


_TYPE_SIZES = {1: 1, 2: 1, 3: 2, 4: 4, 5: 8, 6: 1, 7: 1, 8: 2, 9: 4, 10: 8, 11: 4, 12: 8, 16: 8}
_TYPE_CODES = {1: "B", 3: "H", 4: "I", 16: "Q"}


def channel_names(count: int) -> List[str]:
    """Nuke's names for a file's channels: RGB, RGBA, or luminance (+ alpha)."""
    return {1: ["luminance"], 2: ["luminance", "alpha"], 3: ["red", "green", "blue"],
            4: ["red", "green", "blue", "alpha"]}.get(count, [f"channel {i}" for i in range(count)])


def _tags(data: bytes, order: str, offset: int) -> Dict[int, Tuple[int, ...]]:
    try:
        (count,) = struct.unpack_from(order + "H", data, offset)
        tags: Dict[int, Tuple[int, ...]] = {}
        for i in range(count):
            entry = offset + 2 + 12 * i
            tag, kind, n = struct.unpack_from(order + "HHI", data, entry)
            if kind not in _TYPE_CODES:
                continue
            # the value sits in the entry itself when it fits in 4 bytes, else at an offset
            where = entry + 8
            if _TYPE_SIZES[kind] * n > 4:
                where = struct.unpack_from(order + "I", data, where)[0]
            tags[tag] = struct.unpack_from(f"{order}{n}{_TYPE_CODES[kind]}", data, where)
        return tags
    except struct.error as exc:
        raise TiffError(f"the TIFF's directory is cut short ({exc})") from exc


def read_float_tiff(data: bytes) -> FloatImage:
    """The first image of a baseline, uncompressed TIFF, as floats (8/16-bit unsigned
    samples are scaled to 0..1). TiffError for anything else or a damaged file."""
    if data[:4] == b"II*\x00":
        order = "<"
    elif data[:4] == b"MM\x00*":
        order = ">"
    else:
        raise TiffError("not a TIFF file (no II*/MM* header)")
    tags = _tags(data, order, struct.unpack_from(order + "I", data, 4)[0])

    def one(tag: int, default: int = -1) -> int:
        return tags.get(tag, (default,))[0]

    width, height, channels = one(256), one(257), one(277, 1)
    bits, fmt = one(258, 1), one(339, 1)
    if width <= 0 or height <= 0:
        raise TiffError("the TIFF gives no image size")
    if one(259, 1) != 1:
        raise TiffError(f"the TIFF is compressed (compression {one(259)}); write it with compression none")
    if one(284, 1) != 1 or one(317, 1) != 1 or 322 in tags:
        raise TiffError("only interleaved, striped TIFFs without a predictor are read")
    if set(tags.get(258, (bits,))) != {bits} or (fmt, bits) not in ((3, 32), (1, 8), (1, 16)):
        raise TiffError(f"samples of {bits} bits, format {fmt}, are not read (32-bit float, 8 or 16-bit)")
    offsets, counts = tags.get(273, ()), tags.get(279, ())
    if len(offsets) != len(counts) or not offsets:
        raise TiffError("the TIFF's strip table is missing or inconsistent")
    raw = b"".join(data[o:o + c] for o, c in zip(offsets, counts))
    need = width * height * channels * bits // 8
    if len(raw) < need:
        raise TiffError(f"the TIFF's pixels are cut short ({len(raw)} of {need} bytes)")
    samples = array({32: "f", 16: "H", 8: "B"}[bits])
    samples.frombytes(raw[:need])
    if samples.itemsize > 1 and (order == "<") != (sys.byteorder == "little"):
        samples.byteswap()
    if bits != 32:
        scale = 1.0 / ((1 << bits) - 1)
        samples = array("f", [v * scale for v in samples])
    return FloatImage(width, height, channels, samples)
