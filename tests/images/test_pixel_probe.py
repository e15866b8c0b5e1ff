"""The pixel probe's numbers on planted data, and the float TIFF reader it relies on."""

from __future__ import annotations

import math
from array import array

import pytest
from fake_nuke.tiff import tiff_bytes

from nuke_ai_panel.images import probe_float_tiff, probe_pixels
from nuke_ai_panel.images.float_tiff import TiffError, read_float_tiff

NAN, INF = float("nan"), float("inf")


def planted() -> array:
    """4x2 RGBA: NaN, +inf and -inf in red; negatives and values over 1 in green; -0.0 and
    a huge finite value in blue; alpha from -0.5 to 1.5."""
    red = [0.5, NAN, INF, -INF, 2.0, -1.0, 0.25, NAN]
    green = [0.0, 1.0, 1.0001, -0.001, 3.0, 0.5, 0.5, 0.5]
    blue = [-0.0, 3.0e38, 0.1, 0.2, 0.3, 0.4, 0.5, 0.6]
    alpha = [-0.5, 0.0, 0.25, 0.5, 0.75, 1.0, 1.0, 1.5]
    return array("f", [v for px in zip(red, green, blue, alpha) for v in px])


def test_planted_values_are_counted_and_ignored_for_min_max_mean():
    probe = probe_pixels(planted(), 4, 2, ["red", "green", "blue", "alpha"], "Grade1", 1001, "tiny")
    red, green, blue, alpha = probe.channels
    assert (red.nan, red.pos_inf, red.neg_inf, red.finite) == (2, 1, 1, 4)
    assert (red.minimum, red.maximum) == (-1.0, 2.0)
    assert red.mean == pytest.approx((0.5 + 2.0 - 1.0 + 0.25) / 4)
    assert (red.negative, red.above_one) == (1, 1)
    assert (green.negative, green.above_one, green.nan) == (1, 2, 0)
    assert green.mean == pytest.approx(sum([0.0, 1.0, 1.0001, -0.001, 3.0, 0.5, 0.5, 0.5]) / 8, rel=1e-6)
    assert (blue.nan, blue.pos_inf, blue.negative, blue.finite) == (0, 0, 0, 8)  # -0.0 is not negative
    assert blue.maximum == pytest.approx(3.0e38, rel=1e-6)
    assert (alpha.minimum, alpha.maximum) == (-0.5, 1.5)
    text = probe.render()
    assert text.splitlines()[0] == ("Pixel probe of Grade1, frame 1001: 4x2 (tiny), 8 pixels, "
                                    "values before the display transform.")
    assert "alpha range: -0.5 to 1.5" in text
    assert "red has 2 NaN, 1 +inf, 1 -inf value(s)" in text
    assert "alpha goes outside 0..1 (-0.5 to 1.5)" in text
    assert "green has 1 negative value(s)" in text


def test_a_channel_with_no_finite_value():
    probe = probe_pixels(array("f", [NAN, 1.0, NAN, 1.0]), 2, 1, ["luminance", "alpha"])
    lum = probe.channel("luminance")
    assert (lum.finite, lum.minimum, lum.maximum, lum.mean, lum.nan) == (0, None, None, None, 2)
    row = next(line for line in probe.render().splitlines() if line.startswith("luminance"))
    assert row.split() == ["luminance", "-", "-", "-", "2", "0", "0", "0", "0"]
    assert probe.channel("nope") is None


def test_a_clean_frame_says_so_and_has_no_alpha_line():
    probe = probe_pixels(array("f", [0.1, 0.2, 0.3] * 6), 3, 2, ["red", "green", "blue"])
    assert probe.problems() == []
    text = probe.render()
    assert "No NaN or inf values." in text and "alpha: none" in text


def test_sizes_must_agree():
    with pytest.raises(ValueError, match="do not make 3x3 pixels"):
        probe_pixels(array("f", [0.0] * 8), 3, 3, ["luminance"])


@pytest.mark.parametrize("big_endian, rows_per_strip", [(False, 0), (True, 0), (False, 1), (True, 3)])
def test_float_tiff_round_trip(big_endian, rows_per_strip):
    data = tiff_bytes(4, 2, 4, planted(), big_endian=big_endian, rows_per_strip=rows_per_strip)
    image = read_float_tiff(data)
    assert (image.width, image.height, image.channels) == (4, 2, 4)
    for got, want in zip(image.samples, planted()):
        assert (math.isnan(got) and math.isnan(want)) or got == want
    probe = probe_float_tiff(data, "Write1", 7)
    assert [c.name for c in probe.channels] == ["red", "green", "blue", "alpha"]
    assert probe.channel("red").nan == 2 and probe.frame == 7


def test_eight_and_sixteen_bit_tiffs_read_as_zero_to_one():
    assert list(read_float_tiff(tiff_bytes(2, 1, 1, [0, 255], bits=8)).samples) == [0.0, 1.0]
    assert list(read_float_tiff(tiff_bytes(1, 1, 3, [0, 65535, 0], bits=16)).samples) == [0.0, 1.0, 0.0]


def test_tiffs_the_reader_refuses():
    good = tiff_bytes(2, 2, 3, [0.5] * 12)
    with pytest.raises(TiffError, match="not a TIFF"):
        read_float_tiff(b"\x89PNG\r\n\x1a\n" + good)
    with pytest.raises(TiffError, match="cut short"):
        read_float_tiff(good[:-5])
    compressed = good.replace(b"\x03\x01\x03\x00\x01\x00\x00\x00\x01\x00", b"\x03\x01\x03\x00\x01\x00\x00\x00\x05\x00")
    assert compressed != good
    with pytest.raises(TiffError, match="compressed"):
        read_float_tiff(compressed)
    with pytest.raises(TiffError, match="directory is cut short"):
        read_float_tiff(good[:12])
