"""Nuke's node classes and their knobs: the shipped catalogue, or the running Nuke.

The data file ``catalogue/nuke_nodes.json`` is built by ``scripts/build_catalogue.py``
from public facts (Foundry's Nuke Reference Guide and Python API docs; the knobs Nuke
itself wrote in public .nk/.gizmo files) listed in ``catalogue/SOURCES.md``. It is read
lazily, once per process.

Inside Nuke the running application is the authority: a host adapter passes a
``live`` reader (``live_catalogue.LiveClassReader``) and classes are read from Nuke
itself, cached per session; the shipped file only fills in when no live reader is given
(standalone app, CLI, tests).

Versions: 14.0, 15.0 and 16.0. A class or knob with a ``since`` version is absent
before it; everything else is taken as present in all three (the sources rarely say
when a knob appeared). Qt-free; never imports ``nuke``.
"""

from __future__ import annotations

import json
import os
import re
import threading
from dataclasses import dataclass, field
from typing import Any, Callable, Dict, Iterable, List, Optional, Tuple

from .nk_model import GROUP_CLASSES

__all__ = [
    "SUPPORTED_VERSIONS",
    "DEFAULT_VERSION",
    "OPEN_CLASSES",
    "DYNAMIC_KNOB_CLASSES",
    "KnobInfo",
    "ClassInfo",
    "Catalogue",
    "catalogue",
    "normalize_version",
    "nearest",
    "near_miss",
]

DATA_PATH = os.path.join(os.path.dirname(os.path.abspath(__file__)), "catalogue", "nuke_nodes.json")
SUPPORTED_VERSIONS = ("14.0", "15.0", "16.0")
DEFAULT_VERSION = "15.0"
REFERENCE_URL = "https://learn.foundry.com/nuke/content/reference_guide/"

# Classes whose knobs are whatever the artist or the gizmo defines (the containers): never an
# unknown knob.
OPEN_CLASSES = GROUP_CLASSES

# Classes whose knob set changes with a setting (file format, paint tool, monitor output,
# kernel): only near misses of their known knobs are reported, as for partial classes.
DYNAMIC_KNOB_CLASSES = frozenset({
    "Read", "Write", "DeepRead", "DeepWrite", "ReadGeo", "ReadGeo2", "WriteGeo", "Roto",
    "RotoPaint", "SplineWarp3", "Viewer", "BlinkScript", "ParticleBlinkScript", "Primatte3",
    "OCIOFileTransform", "OCIODisplay", "Tracker4", "CameraTracker", "Text2",
})

# Knobs Nuke adds on the fly next to a colour knob (``gamma_panelDropped``) and to
# Python knobs; the stem must be a knob of the class.
_DYNAMIC_SUFFIX = re.compile(r"^(?P<stem>.+?)_panelDropped(_\d+)?$")

# Names models confuse, checked before edit distance (lower-cased left side).
_CONFUSIONS = {
    "merge": "Merge2", "shuffle2": "Shuffle2", "cornerpin": "CornerPin2D",
    "tracker": "Tracker4", "camera": "Camera3", "axis": "Axis3", "card": "Card2",
    "zdefocus": "ZDefocus2", "text": "Text2", "grain": "Grain2", "vectorblur": "VectorBlur2",
    "backdrop": "BackdropNode", "sticky": "StickyNote", "colourcorrect": "ColorCorrect",
    "huecorrect": "HueCorrect", "light": "Light2", "checkerboard": "CheckerBoard2",
    "colorspace": "Colorspace", "ocio": "OCIOColorSpace", "ocio_colorspace": "OCIOColorSpace",
}
# Per-channel knob spellings (``whitepoint_r``) fold to the knob (``whitepoint``).
_CHANNEL_SUFFIX = re.compile(r"^(?P<stem>.+?)[._](r|g|b|a|red|green|blue|alpha|x|y|z|w|h|u|v)$", re.I)


def normalize_version(version: Optional[str]) -> str:
    """``"15"``, ``"15.1"``, ``"15.1v3"`` -> ``"15.0"`` (catalogue versions are per major).

    Raises ValueError naming the supported versions for anything else."""
    if version is None or str(version).strip() == "":
        return DEFAULT_VERSION
    m = re.match(r"^\s*(\d+)(?:\.(\d+))?(?:v\d+)?\s*$", str(version))
    key = f"{m.group(1)}.0" if m else None
    if key not in SUPPORTED_VERSIONS:
        raise ValueError(
            f"Nuke version {version!r} is not in the catalogue (supported: "
            + ", ".join(v[:-2] for v in SUPPORTED_VERSIONS) + ")"
        )
    return key


def _vkey(v: str) -> Tuple[int, int]:
    major, _, minor = v.partition(".")
    return int(major), int(minor or 0)


def _present(since: Optional[str], version: str) -> bool:
    return since is None or _vkey(since) <= _vkey(version)


def edit_distance(a: str, b: str, limit: int = 99) -> int:
    """Damerau-Levenshtein (adjacent swaps count 1); stops early past ``limit``."""
    if abs(len(a) - len(b)) > limit:
        return limit + 1
    prev2: List[int] = []
    prev = list(range(len(b) + 1))
    for i, ca in enumerate(a, 1):
        cur = [i] + [0] * len(b)
        for j, cb in enumerate(b, 1):
            cost = 0 if ca == cb else 1
            cur[j] = min(prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + cost)
            if i > 1 and j > 1 and ca == b[j - 2] and a[i - 2] == cb:
                cur[j] = min(cur[j], prev2[j - 2] + 1)
        if min(cur) > limit:
            return limit + 1
        prev2, prev = prev, cur
    return prev[-1]


def near_miss(word: str, suggestion: Optional[str]) -> bool:
    """``word`` is a slip for ``suggestion``: the same but for case, a per-channel spelling
    of it (``whitepoint_r``), or one edit away in a name of five letters or more."""
    if suggestion is None:
        return False
    if word.lower() == suggestion.lower():
        return True
    m = _CHANNEL_SUFFIX.match(word)
    if m and m.group("stem").lower() == suggestion.lower():
        return True
    a, b = word.lower(), suggestion.lower()
    if len(word) < 5 or edit_distance(a, b, 1) > 1:
        return False
    return not _sibling(a, b)


def _sibling(a: str, b: str) -> bool:
    """Nuke names related knobs by one letter at the start of a word part (``N_channel`` /
    ``P_channel``) or a number at the end (``color`` / ``color0``): not a slip."""
    if a.rstrip("0123456789") == b.rstrip("0123456789"):
        return True
    if len(a) != len(b):
        return False
    diff = [i for i, (x, y) in enumerate(zip(a, b)) if x != y]
    return len(diff) == 1 and (diff[0] == 0 or a[diff[0] - 1] in "_.")


def nearest(word: str, candidates: Iterable[str], *, max_ratio: float = 0.34) -> Optional[str]:
    """The candidate closest to ``word``: exact case-insensitive match first, then the
    per-channel stem (``whitepoint_r`` -> ``whitepoint``), then the smallest edit distance
    within ``max_ratio`` of the word's length (at least 1; ties: a name the word
    begins, then the shortest, then by name)."""
    pool = sorted(set(candidates))
    if not pool or not word:
        return None
    lower = {c.lower(): c for c in pool}
    if word.lower() in lower:
        return lower[word.lower()]
    m = _CHANNEL_SUFFIX.match(word)
    if m and m.group("stem").lower() in lower:
        return lower[m.group("stem").lower()]
    limit = max(1, int(len(word) * max_ratio))
    best: Optional[Tuple[int, bool, int, str]] = None
    for c in pool:
        d = edit_distance(word.lower(), c.lower(), limit)
        key = (d, not c.lower().startswith(word.lower()), len(c), c)
        if d <= limit and (best is None or key < best):
            best = key
    return best[3] if best else None


@dataclass(frozen=True)
class KnobInfo:
    """One knob: ``type`` is Nuke's Python knob class where Foundry's docs give it
    (``Double_Knob``...), else the value shape seen in Nuke-written scripts (``bool``,
    ``int``, ``float``, ``array``, ``color``, ``text``...); ``default`` is Nuke script
    text or None when the sources do not state it."""

    name: str
    type: str = ""
    default: Optional[str] = None
    since: Optional[str] = None


@dataclass
class ClassInfo:
    """A node class in one Nuke version.

    ``max_inputs`` counts the main inputs (None: any number, e.g. Merge2, Switch);
    ``masks`` the optional mask inputs after them. ``complete`` says the knob list is
    the class's whole list (curated from Foundry's reference, or read live); a partial
    list holds only knobs seen in Nuke-written scripts. ``source`` is ``"catalogue"`` or
    ``"live"``."""

    name: str
    version: str
    knobs: Dict[str, KnobInfo] = field(default_factory=dict)
    inputs: List[str] = field(default_factory=list)
    max_inputs: Optional[int] = None
    masks: int = 0
    complete: bool = False
    since: Optional[str] = None
    doc: Optional[str] = None
    source: str = "catalogue"

    @property
    def knobs_vary(self) -> bool:
        """True unless the running Nuke gave the list: lint then reports only near misses of
        known knobs (``sizee``, ``whitepoint_r``). Even a class curated from Foundry's
        reference may have knobs no public source shows (hidden ones Nuke still writes),
        and a false alarm on a knob Nuke wrote costs more trust than a missed invention."""
        return self.source != "live"

    @property
    def is_open(self) -> bool:
        """Groups and gizmos: their knobs are the artist's, so any knob name is fine."""
        return self.name in OPEN_CLASSES

    def has_knob(self, knob: str, common: Optional[Dict[str, KnobInfo]] = None) -> bool:
        if knob in self.knobs or (common is not None and knob in common):
            return True
        m = _DYNAMIC_SUFFIX.match(knob)
        return bool(m and self.has_knob(m.group("stem"), common))

    def input_limit(self) -> Optional[int]:
        """How many inputs Nuke accepts in all (main + masks), or None for any number."""
        return None if self.max_inputs is None else self.max_inputs + self.masks

    def to_dict(self, common: Optional[Dict[str, KnobInfo]] = None) -> Dict[str, Any]:
        """The ``node_class_info`` answer: knobs (name, type, default), inputs, source."""
        knobs = dict(common or {})
        knobs.update(self.knobs)
        return {
            "class": self.name,
            "nuke_version": self.version,
            "source": self.source,
            "complete": self.complete,
            "knobs": [
                {"name": k.name, "type": k.type or None, "default": k.default}
                for k in sorted(knobs.values(), key=lambda k: k.name.lower())
            ],
            "inputs": {"names": list(self.inputs), "max": self.max_inputs, "masks": self.masks},
            "doc": (REFERENCE_URL + self.doc) if self.doc else None,
        }


LiveReader = Callable[[str], Optional[ClassInfo]]


class Catalogue:
    """Node classes for each supported Nuke version, from a catalogue document and,
    when given, a live reader (``live(class_name) -> ClassInfo | None``, already
    marshalled to Nuke's main thread by the host adapter). Thread-safe; live answers
    are cached for the catalogue's lifetime (one Nuke session)."""

    def __init__(self, data: Optional[Dict[str, Any]] = None, *, path: str = DATA_PATH,
                 live: Optional[LiveReader] = None, live_version: Optional[str] = None) -> None:
        self._data = data
        self._path = path
        self._lock = threading.Lock()
        self.live = live
        self.live_version = normalize_version(live_version) if live_version else None
        self._live_cache: Dict[str, Optional[ClassInfo]] = {}

    def with_live(self, live: LiveReader, nuke_version: str) -> "Catalogue":
        """A catalogue sharing this one's data that asks the running Nuke first."""
        return Catalogue(self.data, path=self._path, live=live, live_version=nuke_version)

    @property
    def data(self) -> Dict[str, Any]:
        with self._lock:
            if self._data is None:
                with open(self._path, "r", encoding="utf-8") as fh:
                    self._data = json.load(fh)
            return self._data

    def common_knobs(self) -> Dict[str, KnobInfo]:
        """Knobs every node has (name, xpos, ypos, selected, label, tile_color...)."""
        return {k: KnobInfo(k, v.get("type") or "", v.get("default"))
                for k, v in self.data["common_knobs"].items()}

    def classes(self, version: Optional[str] = None) -> List[str]:
        """Class names known in ``version`` (sorted)."""
        v = normalize_version(version)
        return sorted(c for c, e in self.data["classes"].items() if _present(e.get("since"), v))

    def class_info(self, name: str, version: Optional[str] = None) -> Optional[ClassInfo]:
        """The class in ``version``, or None when it is unknown there. With a live
        reader and the live Nuke's version, Nuke's own answer wins (cached)."""
        v = normalize_version(version)
        if self.live is not None and v == (self.live_version or v):
            with self._lock:
                cached = name in self._live_cache
                info = self._live_cache.get(name)
            if not cached:
                info = self.live(name)
                with self._lock:
                    self._live_cache[name] = info
            if info is not None:
                return info
        entry = self.data["classes"].get(name)
        if entry is None or not _present(entry.get("since"), v):
            return None
        knobs = {}
        for k, fact in entry["knobs"].items():
            since = fact[2] if len(fact) > 2 else None
            if _present(since, v):
                knobs[k] = KnobInfo(k, fact[0], fact[1] if len(fact) > 1 else None, since)
        return ClassInfo(
            name=name, version=v, knobs=knobs, inputs=list(entry.get("inputs") or []),
            max_inputs=entry.get("max_inputs"), masks=int(entry.get("masks") or 0),
            complete=bool(entry.get("complete")), since=entry.get("since"), doc=entry.get("doc"),
        )

    def nearest_class(self, name: str, version: Optional[str] = None) -> Optional[str]:
        """The known class a misspelt one most likely meant (``Blurr`` -> ``Blur``)."""
        known = self.classes(version)
        hit = _CONFUSIONS.get(name.lower())
        if hit in known:
            return hit
        return nearest(name, known)

    def nearest_knob(self, node_class: str, knob: str, version: Optional[str] = None) -> Optional[str]:
        """The knob of ``node_class`` a wrong name most likely meant (``sizee`` -> ``size``,
        ``whitepoint_r`` -> ``whitepoint``); common knobs count too."""
        info = self.class_info(node_class, version)
        names = list(self.common_knobs()) + (list(info.knobs) if info else [])
        return nearest(knob, names)


_DEFAULT: Optional[Catalogue] = None
_DEFAULT_LOCK = threading.Lock()


def catalogue() -> Catalogue:
    """The shipped catalogue (loaded on first use, shared by the process)."""
    global _DEFAULT
    with _DEFAULT_LOCK:
        if _DEFAULT is None:
            _DEFAULT = Catalogue()
        return _DEFAULT
