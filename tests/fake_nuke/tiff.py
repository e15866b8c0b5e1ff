"""Write a baseline, uncompressed TIFF of float32 (or 8/16-bit) samples, as Nuke's Write
node does with ``file_type tiff``, ``compression none``: for the stand-in's renders and the
reader's tests (TIFF 6.0: header, one IFD, pixel strips)."""

from __future__ import annotations

import struct
from array import array
from typing import List, Sequence, Tuple


def tiff_bytes(width: int, height: int, channels: int, samples: Sequence[float],
               bits: int = 32, big_endian: bool = False, rows_per_strip: int = 0) -> bytes:
    """``samples``: ``width * height * channels`` values, interleaved, top row first."""
    order = ">" if big_endian else "<"
    code, fmt = {32: ("f", 3), 16: ("H", 1), 8: ("B", 1)}[bits]
    pixels = samples if isinstance(samples, array) and samples.typecode == code else array(code, samples)
    if big_endian and pixels.itemsize > 1:
        pixels = array(code, pixels)
        pixels.byteswap()
    raw = pixels.tobytes()
    rows = rows_per_strip or height
    row_bytes = width * channels * bits // 8
    strips = [raw[y * row_bytes:min(height, y + rows) * row_bytes] for y in range(0, height, rows)]
    entries: List[Tuple[int, int, List[int]]] = [
        (256, 4, [width]), (257, 4, [height]), (258, 3, [bits] * channels), (259, 3, [1]),
        (262, 3, [2 if channels >= 3 else 1]), (273, 4, [0] * len(strips)),
        (277, 3, [channels]), (278, 4, [rows]), (279, 4, [len(s) for s in strips]),
        (284, 3, [1]), (339, 3, [fmt] * channels)]
    if channels in (2, 4):
        entries.append((338, 3, [1]))  # associated (premultiplied) alpha, as Nuke writes
    entries.sort()
    ifd_at = 8
    extra_at = ifd_at + 2 + 12 * len(entries) + 4
    extra = b""
    blobs = {}
    for tag, kind, values in entries:
        size = (2 if kind == 3 else 4) * len(values)
        if size > 4:
            blobs[tag] = extra_at + len(extra)
            extra += b"\0" * size
    data_at = extra_at + len(extra)
    offsets, at = [], data_at
    for strip in strips:
        offsets.append(at)
        at += len(strip)
    head = bytearray(b"MM\0*" if big_endian else b"II*\0") + struct.pack(order + "I", ifd_at)
    body = bytearray(struct.pack(order + "H", len(entries)))
    extra_buf = bytearray(extra)
    for tag, kind, values in entries:
        if tag == 273:
            values = offsets
        packed = struct.pack(f"{order}{len(values)}{'H' if kind == 3 else 'I'}", *values)
        if tag in blobs:
            start = blobs[tag] - extra_at
            extra_buf[start:start + len(packed)] = packed
            field = struct.pack(order + "I", blobs[tag])
        else:
            field = packed.ljust(4, b"\0")
        body += struct.pack(order + "HHI", tag, kind, len(values)) + field
    body += struct.pack(order + "I", 0)
    return bytes(head + body + extra_buf) + b"".join(strips)
