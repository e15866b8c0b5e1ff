"""What the pixel probe costs on a 2K frame, measured against a bare pass side by side.

Run on demand (not part of the test suite): ``python benchmarks/bench_probe.py``.
Reports ratios against a baseline that only slices each channel out of the interleaved
floats and takes ``min``/``max``/``sum`` (the least any probe must do), over identical
data, medians of interleaved rounds; absolute times are printed for a rough idea only (the
machines are shared and noisy). Two frames: a clean one, and one with 1% of its red values
NaN and some inf (the slower path that filters non-finite values).
"""

from __future__ import annotations

import argparse
import random
import statistics
import sys
import time
from array import array
from pathlib import Path
from typing import Callable, List

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from nuke_ai_panel.images.probe import probe_pixels  # noqa: E402

WIDTH, HEIGHT, CHANNELS = 2048, 1080, 4
NAMES = ["red", "green", "blue", "alpha"]


def frame(specials: bool) -> array:
    rng = random.Random(7)
    row = array("f", [rng.uniform(-0.1, 1.4) for _ in range(WIDTH * CHANNELS)])
    pixels = row * HEIGHT
    if specials:
        for i in range(0, len(pixels), 400):
            pixels[i] = float("nan")
        pixels[4] = float("inf")
    return pixels


def baseline(pixels: array) -> None:
    for i in range(CHANNELS):
        channel = pixels[i::CHANNELS]
        min(channel), max(channel), sum(channel)


def probe(pixels: array) -> None:
    probe_pixels(pixels, WIDTH, HEIGHT, NAMES)


def timed(fn: Callable[[array], None], pixels: array) -> float:
    started = time.perf_counter()
    fn(pixels)
    return time.perf_counter() - started


def main(argv: List[str]) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=7)
    rounds = max(5, parser.parse_args(argv).rounds)
    print(f"Python {sys.version.split()[0]}, {WIDTH}x{HEIGHT} RGBA float32, {rounds} rounds")
    for label, specials in (("clean frame", False), ("1% NaN + inf", True)):
        pixels = frame(specials)
        base, ours = [], []
        for _ in range(rounds):
            base.append(timed(baseline, pixels))
            ours.append(timed(probe, pixels))
        b, o = statistics.median(base), statistics.median(ours)
        print(f"{label:>14}: probe {o * 1000:6.0f} ms, bare pass {b * 1000:5.0f} ms, ratio {o / b:4.1f}x")


if __name__ == "__main__":
    main(sys.argv[1:])
