"""The pixel probe: the numbers of a frame that a model cannot read off a JPEG.

Per channel: min, max and mean of the finite values, how many values are NaN, +inf and
-inf, how many are negative and how many are above 1.0; the alpha range; the resolution
and frame. Rendered as a compact text block for the prompt (``PixelProbe.render``).

Pure Python (Nuke may not ship numpy), kept at C speed by working on whole channels:
a channel is an extended slice of the interleaved ``array('f')``; ``min``/``max``/
``math.fsum`` run over it directly; a NaN or inf can only exist where a value's exponent
byte is all ones, so one ``in`` test over the high bytes skips the filtering pass for the
usual frame that has none. ``benchmarks/bench_probe.py`` measures a 2K frame.
"""

from __future__ import annotations

import math
import sys
from array import array
from typing import List, NamedTuple, Optional, Sequence

from .float_tiff import channel_names, read_float_tiff

__all__ = ["ChannelStats", "PixelProbe", "probe_pixels", "probe_float_tiff"]

_INF = float("inf")


class ChannelStats(NamedTuple):
    """One channel. ``minimum``/``maximum``/``mean`` are over the finite values (None
    when there is none); the counts are of values (one per pixel)."""

    name: str
    finite: int
    minimum: Optional[float]
    maximum: Optional[float]
    mean: Optional[float]
    nan: int
    pos_inf: int
    neg_inf: int
    negative: int
    above_one: int


def _high_bytes(values: array) -> bytes:
    """The byte holding each float32's sign and top of its exponent."""
    raw = values.tobytes()
    return raw[3::4] if sys.byteorder == "little" else raw[0::4]


def _channel(name: str, values: array) -> ChannelStats:
    total = len(values)
    high = _high_bytes(values)
    if b"\x7f" in high or b"\xff" in high:  # an all-ones exponent is possible: look closer
        pos_inf, neg_inf = values.count(_INF), values.count(-_INF)
        finite = array("f", [v for v in values if v - v == 0.0])  # false for NaN and inf
        nan = total - len(finite) - pos_inf - neg_inf
    else:
        finite, nan, pos_inf, neg_inf = values, 0, 0, 0
    count = len(finite)
    if not count:
        return ChannelStats(name, 0, None, None, None, nan, pos_inf, neg_inf, 0, 0)
    negative = len([1 for v in finite if v < 0.0])
    above = len([1 for v in finite if v > 1.0])
    return ChannelStats(name, count, min(finite), max(finite), math.fsum(finite) / count, nan,
                        pos_inf, neg_inf, negative, above)


class PixelProbe(NamedTuple):
    """The probe of one frame: its size, ``channels`` (in file order), and where it came
    from (``label``: "Grade_final (Viewer1 input 0)"), ``frame`` and ``format_name``."""

    width: int
    height: int
    channels: List[ChannelStats]
    label: str = ""
    frame: Optional[int] = None
    format_name: str = ""

    def channel(self, name: str) -> Optional[ChannelStats]:
        return next((c for c in self.channels if c.name == name), None)

    def problems(self) -> List[str]:
        """One line per thing worth the model's attention (NaN, inf, negative values,
        alpha outside 0..1)."""
        out = []
        for c in self.channels:
            bad = [f"{n} {what}" for n, what in ((c.nan, "NaN"), (c.pos_inf, "+inf"),
                                                 (c.neg_inf, "-inf")) if n]
            if bad:
                out.append(f"{c.name} has {', '.join(bad)} value(s)")
            if c.name == "alpha" and c.finite and (c.minimum < 0.0 or c.maximum > 1.0):
                out.append(f"alpha goes outside 0..1 ({_num(c.minimum)} to {_num(c.maximum)})")
            elif c.negative and c.name != "alpha":
                out.append(f"{c.name} has {c.negative} negative value(s)")
        return out

    def render(self) -> str:
        """The compact text block for the prompt."""
        pixels = self.width * self.height
        where = f" of {self.label}" if self.label else ""
        at = f", frame {self.frame}" if self.frame is not None else ""
        fmt = f" ({self.format_name})" if self.format_name else ""
        lines = [f"Pixel probe{where}{at}: {self.width}x{self.height}{fmt}, {pixels} pixels, "
                 "values before the display transform.",
                 f"{'channel':<10}{'min':>11}{'max':>11}{'mean':>11}{'NaN':>7}{'+inf':>6}"
                 f"{'-inf':>6}  {'<0':<16}{'>1':<16}"]
        for c in self.channels:
            lines.append(
                f"{c.name:<10}{_num(c.minimum):>11}{_num(c.maximum):>11}{_num(c.mean):>11}"
                f"{c.nan:>7}{c.pos_inf:>6}{c.neg_inf:>6}  {_share(c.negative, pixels):<16}"
                f"{_share(c.above_one, pixels):<16}".rstrip())
        alpha = self.channel("alpha")
        if alpha is not None:
            lines.append(f"alpha range: {_num(alpha.minimum)} to {_num(alpha.maximum)}")
        else:
            lines.append("alpha: none (the frame has no alpha channel)")
        problems = self.problems()
        lines.append("Check: " + "; ".join(problems) + "." if problems else
                     "No NaN or inf values.")
        return "\n".join(lines)


def _num(value: Optional[float]) -> str:
    return "-" if value is None else f"{value:.4g}"


def _share(count: int, total: int) -> str:
    return "0" if not count else f"{count} ({100.0 * count / max(total, 1):.2g}%)"


def probe_pixels(samples: array, width: int, height: int, names: Sequence[str],
                 label: str = "", frame: Optional[int] = None, format_name: str = "") -> PixelProbe:
    """Probe interleaved float32 samples (``array('f')``, ``width * height * len(names)``
    values, any pixel order). ValueError when the sizes disagree."""
    channels = len(names)
    if channels <= 0 or len(samples) != width * height * channels:
        raise ValueError(f"{len(samples)} samples do not make {width}x{height} pixels of "
                         f"{channels} channel(s)")
    if samples.typecode != "f":
        samples = array("f", samples)
    stats = [_channel(name, samples[i::channels]) for i, name in enumerate(names)]
    return PixelProbe(width, height, stats, label, frame, format_name)


def probe_float_tiff(data: bytes, label: str = "", frame: Optional[int] = None,
                     format_name: str = "") -> PixelProbe:
    """Probe an uncompressed float TIFF's bytes (``float_tiff.read_float_tiff``); TiffError
    when the file is not one."""
    image = read_float_tiff(data)
    return probe_pixels(image.samples, image.width, image.height, channel_names(image.channels),
                        label, frame, format_name)
