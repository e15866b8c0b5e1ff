"""The colour Nuke's Node Graph paints a node tile, from its class and its ``tile_color`` knob.

Nuke colours an uncoloured node by its class: Preferences > Panels > Node Graph > Node Colors
holds a list of rules (``NodeColourClassNN``, lower-case words matched inside the class name,
with ``NodeColourNNColor``), grouped like the toolbar's menus: Color, Filter, Merge, Channel,
Transform, Keyer, Draw, Time, 3D, Deep. A node's own ``tile_color`` knob (``0xRRGGBBAA``, or
the same number in decimal; 0 means "not set") wins over the rule. Nuke ignores the alpha byte
when it draws a tile (backdrops are commonly saved with ``00`` alpha and still show their colour).

The palette below follows the look of Nuke's default preferences per menu category; the exact
shades vary a little between Nuke versions and with "shade nodes". Colours are ``0xRRGGBBAA``.
"""

from __future__ import annotations

from typing import Dict, Mapping, Optional, Tuple

from .nk_lexer import decode_value

__all__ = [
    "CATEGORY_COLOURS",
    "DEFAULT_COLOUR",
    "category_of",
    "class_colour",
    "knob_colour",
    "tile_colour",
    "rgb",
]

DEFAULT_COLOUR = 0xA3A3A3FF
"""An uncategorised node (Group, Input, Output, NoOp, an unknown gizmo): Nuke's plain grey."""

CATEGORY_COLOURS: Dict[str, int] = {
    "image": 0xB5B5B5FF,
    "write": 0xC8C732FF,
    "viewer": 0xD8D8D8FF,
    "draw": 0x5FA35AFF,
    "time": 0xB8AB5FFF,
    "channel": 0xA33966FF,
    "color": 0x7AA9FFFF,
    "filter": 0xCC804EFF,
    "keyer": 0x6CC16CFF,
    "merge": 0x4B5EC6FF,
    "transform": 0xA57AAAFF,
    "3d": 0x3A8A3AFF,
    "deep": 0x1F6F7AFF,
    "dot": 0xA3A3A3FF,
    "backdrop": 0x8E8E8EFF,
    "sticky": 0xE6DE8CFF,
}

# Classes whose category their name does not give away (Nuke's menus decide).
_CLASS_CATEGORY: Dict[str, str] = {
    "Read": "image", "Constant": "image", "CheckerBoard2": "image", "ColorBars": "image",
    "ColorWheel": "image", "CheckerBoard": "image", "Write": "write", "Viewer": "viewer",
    "Dot": "dot", "BackdropNode": "backdrop", "StickyNote": "sticky",
    "Roto": "draw", "RotoPaint": "draw", "Rectangle": "draw", "Radial": "draw", "Ramp": "draw",
    "Text": "draw", "Text2": "draw", "Noise": "draw", "Grain2": "draw", "Grid": "draw",
    "FrameHold": "time", "TimeOffset": "time", "Retime": "time", "FrameRange": "time",
    "TimeClip": "time", "TimeEcho": "time", "TimeBlur": "time", "Kronos": "time",
    "OFlow2": "time", "FrameBlend": "time", "AppendClip": "time",
    "Shuffle": "channel", "Shuffle2": "channel", "ShuffleCopy": "channel", "Copy": "channel",
    "ChannelMerge": "channel", "Remove": "channel", "AddChannels": "channel",
    "Grade": "color", "ColorCorrect": "color", "HueCorrect": "color", "Saturation": "color",
    "Exposure": "color", "Multiply": "color", "Add": "color", "Gamma": "color",
    "Clamp": "color", "Invert": "color", "Expression": "color", "ColorLookup": "color",
    "ColorMatrix": "color", "OCIOColorSpace": "color", "OCIODisplay": "color",
    "OCIOFileTransform": "color", "OCIOCDLTransform": "color", "Colorspace": "color",
    "Log2Lin": "color", "HueShift": "color", "Histogram": "color", "Posterize": "color",
    "Blur": "filter", "Defocus": "filter", "ZDefocus2": "filter", "EdgeBlur": "filter",
    "Erode": "filter", "FilterErode": "filter", "Dilate": "filter", "Sharpen": "filter",
    "Soften": "filter", "Median": "filter", "Convolve2": "filter", "EdgeDetectWrapper": "filter",
    "Glow2": "filter", "DirBlurWrapper": "filter", "MotionBlur": "filter", "VectorBlur2": "filter",
    "Denoise2": "filter", "Laplacian": "filter", "Emboss": "filter", "Bilateral2": "filter",
    "Keylight": "keyer", "OFXuk.co.thefoundry.keylight.keylight_v201": "keyer",
    "Primatte3": "keyer", "IBKColourV3": "keyer", "IBKGizmoV3": "keyer", "Keyer": "keyer",
    "HueKeyer": "keyer", "Difference": "keyer", "ChromaKeyer": "keyer", "Cryptomatte": "keyer",
    "Merge2": "merge", "Merge": "merge", "Keymix": "merge", "Dissolve": "merge",
    "Switch": "merge", "AddMix": "merge", "ZMerge": "merge", "MergeExpression": "merge",
    "Premult": "merge", "Unpremult": "merge", "ContactSheet": "merge", "CopyBBox": "merge",
    "CopyRectangle": "merge", "Blend": "merge", "TimeDissolve": "merge",
    "Transform": "transform", "Reformat": "transform", "Crop": "transform",
    "CornerPin2D": "transform", "Tracker4": "transform", "LensDistortion2": "transform",
    "STMap": "transform", "IDistort": "transform", "Mirror2": "transform",
    "Position": "transform", "TransformMasked": "transform", "SplineWarp3": "transform",
    "GridWarp3": "transform", "AdjBBox": "transform", "BlackOutside": "transform",
    "Scene": "3d", "ScanlineRender": "3d", "ScanlineRender2": "3d", "Camera2": "3d",
    "Camera3": "3d", "Camera4": "3d", "Card2": "3d", "Card3D": "3d", "Axis2": "3d",
    "Axis3": "3d", "Axis4": "3d", "ReadGeo2": "3d", "WriteGeo": "3d", "Sphere": "3d",
    "Cube": "3d", "Cylinder": "3d", "Light2": "3d", "Project3D2": "3d", "TransformGeo": "3d",
    "GeoScene": "3d", "RayRender": "3d", "DepthToPoints": "3d",
}

# Nuke's own rules match words inside the lower-cased class name; the same idea covers the
# classes not listed above. Order matters: the first word found decides ("DeepMerge" is deep).
_WORD_CATEGORY: Tuple[Tuple[str, str], ...] = (
    ("deep", "deep"), ("3d", "3d"), ("geo", "3d"), ("camera", "3d"), ("light", "3d"),
    ("read", "image"), ("write", "write"),
    ("key", "keyer"), ("matte", "keyer"),
    ("merge", "merge"), ("premult", "merge"),
    ("shuffle", "channel"), ("channel", "channel"),
    ("transform", "transform"), ("warp", "transform"), ("distort", "transform"),
    ("track", "transform"), ("reformat", "transform"), ("crop", "transform"),
    ("blur", "filter"), ("defocus", "filter"), ("erode", "filter"), ("sharpen", "filter"),
    ("glow", "filter"), ("filter", "filter"),
    ("grade", "color"), ("color", "color"), ("colour", "color"), ("ocio", "color"),
    ("lut", "color"), ("saturation", "color"), ("exposure", "color"),
    ("roto", "draw"), ("paint", "draw"), ("text", "draw"),
    ("time", "time"), ("frame", "time"), ("retime", "time"),
)


def category_of(node_class: str) -> Optional[str]:
    """The Node Colors category of a class (``"color"``, ``"filter"``...), or None."""
    known = _CLASS_CATEGORY.get(node_class)
    if known:
        return known
    lower = node_class.lower()
    for word, category in _WORD_CATEGORY:
        if word in lower:
            return category
    return None


def class_colour(node_class: str) -> int:
    """The default tile colour of ``node_class`` (``0xRRGGBBAA``)."""
    category = category_of(node_class)
    return CATEGORY_COLOURS[category] if category else DEFAULT_COLOUR


def knob_colour(raw: Optional[str]) -> Optional[int]:
    """A ``tile_color`` knob's raw text as ``0xRRGGBBAA``; None when unset (0), empty, or not
    a plain number (an expression or animation: Nuke would evaluate it; we cannot)."""
    text = decode_value(raw).strip() if raw else ""
    if not text:
        return None
    try:
        value = int(text, 0)
    except ValueError:
        try:
            value = int(float(text))
        except ValueError:
            return None
    value &= 0xFFFFFFFF
    if value == 0:
        return None
    return value | 0xFF


def tile_colour(node_class: str, knobs: Mapping[str, str]) -> int:
    """The colour a tile is painted: its own ``tile_color``, else its class's default."""
    own = knob_colour(knobs.get("tile_color"))
    return own if own is not None else class_colour(node_class)


def rgb(colour: int) -> Tuple[int, int, int]:
    """``(r, g, b)`` 0-255 of a ``0xRRGGBBAA`` colour."""
    return (colour >> 24) & 0xFF, (colour >> 16) & 0xFF, (colour >> 8) & 0xFF
