"""The Root settings a helper needs (format, frame range, fps, colour management).

Both hosts feed raw knob text in here (the in-memory host from the file, the Nuke
host from ``knob.toScript()``) so the two report the same shape. A knob the script
does not set is None: Nuke's default depends on the user's preferences.
"""

from __future__ import annotations

import re
from typing import Any, Dict, Mapping, Optional, Union

from .nk_lexer import decode_value

__all__ = ["COLOUR_KNOBS", "KNOWN_FORMATS", "root_info_from_knobs", "describe_root"]

COLOUR_KNOBS = (
    "colorManagement",
    "OCIO_config",
    "customOCIOConfigPath",
    "workingSpaceLUT",
    "monitorLut",
    "monitorOutLUT",
    "int8Lut",
    "int16Lut",
    "logLut",
    "floatLut",
    "viewerProcess",
    "defaultViewerLUT",
)

KNOWN_FORMATS = {
    "HD_1080": (1920, 1080, 1.0),
    "HD_720": (1280, 720, 1.0),
    "UHD_4K": (3840, 2160, 1.0),
    "4K_DCP": (4096, 2160, 1.0),
    "2K_DCP": (2048, 1080, 1.0),
    "2K_Super_35(full-ap)": (2048, 1556, 1.0),
    "4K_Super_35(full-ap)": (4096, 3112, 1.0),
    "square_1K": (1024, 1024, 1.0),
    "square_2K": (2048, 2048, 1.0),
    "PAL": (720, 576, 1.09),
    "NTSC": (720, 486, 0.91),
}

Number = Union[int, float]


def _number(text: Optional[str]) -> Optional[Number]:
    if text is None:
        return None
    try:
        value = float(text)
    except ValueError:
        return None
    return int(value) if value.is_integer() else value


def _parse_format(text: str) -> Dict[str, Any]:
    words = text.split()
    info: Dict[str, Any] = {"format_name": None, "width": None, "height": None, "pixel_aspect": None}
    nums = []
    for w in words:
        n = _number(w)
        if n is None:
            break
        nums.append(n)
    rest = " ".join(words[len(nums):]) or None
    if len(nums) >= 2:
        info["width"], info["height"] = int(nums[0]), int(nums[1])
        if len(nums) in (3, 7):
            info["pixel_aspect"] = nums[-1]
        elif len(nums) >= 7:
            info["pixel_aspect"] = nums[6]
        else:
            info["pixel_aspect"] = 1
        info["format_name"] = rest
    elif rest:
        info["format_name"] = rest
        known = KNOWN_FORMATS.get(rest)
        if known:
            info["width"], info["height"], info["pixel_aspect"] = known
    return info


def root_info_from_knobs(knobs: Mapping[str, str]) -> Dict[str, Any]:
    """Structured Root settings from raw knob text (missing knobs are None)."""
    def text(name: str) -> Optional[str]:
        raw = knobs.get(name)
        return None if raw is None else decode_value(raw)

    fmt = text("format")
    info: Dict[str, Any] = {"name": text("name"), "format": fmt}
    info.update(_parse_format(fmt) if fmt else
                {"format_name": None, "width": None, "height": None, "pixel_aspect": None})
    fps = text("fps")
    info["fps"] = _number(fps) if fps is not None and _number(fps) is not None else fps
    for key in ("first_frame", "last_frame"):
        value = text(key)
        num = _number(value)
        info[key] = int(num) if num is not None else value
    info["proxy"] = text("proxy")
    info["colour"] = {k: text(k) for k in COLOUR_KNOBS if k in knobs}
    for k in knobs:
        if k not in info["colour"] and re.search(r"(?i)lut|ocio|colou?rspace", k):
            info["colour"][k] = text(k)
    return info


def describe_root(info: Mapping[str, Any]) -> str:
    """One short paragraph of the script settings for a prompt."""
    parts = []
    if info.get("width") and info.get("height"):
        fmt = f"{info['width']}x{info['height']}"
        if info.get("format_name"):
            fmt += f" ({info['format_name']})"
        if info.get("pixel_aspect") not in (None, 1, 1.0):
            fmt += f", pixel aspect {info['pixel_aspect']}"
        parts.append(f"format {fmt}")
    elif info.get("format"):
        parts.append(f"format {info['format']}")
    else:
        parts.append("format not set in the script (Nuke default)")
    parts.append(f"fps {info['fps']}" if info.get("fps") is not None else "fps not set (Nuke default)")
    first, last = info.get("first_frame"), info.get("last_frame")
    if first is not None or last is not None:
        parts.append(f"frame range {first if first is not None else '?'}-{last if last is not None else '?'}")
    else:
        parts.append("frame range not set (Nuke default)")
    colour = info.get("colour") or {}
    if colour:
        parts.append("colour: " + ", ".join(f"{k} {v}" for k, v in colour.items()))
    else:
        parts.append("colour management not set in the script (Nuke default)")
    return "; ".join(parts) + "."
