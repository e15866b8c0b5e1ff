"""Every smaller encoding the per-request size cap may ask of an image, made once, ahead.

:func:`~.request.fit_to_cap` shrinks the biggest images of a request when they add up to
more than the cap: at each side of ``SIDES`` in turn, an image over its share of the cap is
decoded, resized and encoded again at the best quality that fits. Done at send time that
is Pillow work (and reading history images from disk) on the thread that sends, which in
the panel is Qt's main thread: 9 images of 1024 px stalled it for about half a second.

So the work is done once per image, when it is prepared (the panel's image thread calls
:func:`prepare`), and kept per content digest: for each step of the shrinking, every
encoding it could pick (PNG, or JPEG at each of ``JPEG_QUALITIES``) with its size. Which
one is picked depends on the share only through those sizes, and what a step starts from
when the one before did not fit is the same whatever the share (the step's PNG, or its
lowest-quality JPEG), so a request's fitting becomes look-ups that give exactly the bytes
shrinking would have made (:meth:`Prepared.shrunk`). An image nobody prepared is fitted
the slow way, as before.

The cache holds at most ``MAX_PREPARED`` images (the least recently used go first) and is
safe to use from any thread.
"""

from __future__ import annotations

import copy
import threading
from collections import OrderedDict
from dataclasses import dataclass
from typing import Any, Dict, List, Mapping, Optional, Tuple

from .attachment import (
    MEDIA_TYPES,
    MAX_SIDE,
    PNG_KEY,
    JPEG_QUALITIES,
    SMALL_PNG_BYTES,
    EncodingKey,
    ImageAttachment,
    _decode,
    choose_encoding,
    encode_as,
    fitted_image,
)

__all__ = ["MAX_PREPARED", "SIDES", "Prepared", "attachment_for", "forget_all", "prepare",
           "prepared"]

SIDES = (MAX_SIDE, 768, 512, 384)
"""The long sides (px) the cap's shrinking steps through, largest first."""
MAX_PREPARED = 32
"""How many prepared images are kept (a few MB each at most)."""

_NO_FIT = -1  # a byte target nothing meets: choose_encoding's pick when nothing fits


@dataclass(frozen=True)
class _Step:
    """One shrinking step of one image: the size of every encoding it could pick, and the
    attachment for each one it can pick (a PNG too big to be chosen is not kept)."""

    png: bool
    rgba: bool
    graphic: bool
    sizes: Dict[EncodingKey, int]
    made: Dict[EncodingKey, ImageAttachment]

    def pick(self, target_bytes: int) -> ImageAttachment:
        return self.made[choose_encoding(self.sizes.__getitem__, target_bytes, self.png,
                                         self.rgba, self.graphic)]


def _step(source: ImageAttachment, side: int) -> _Step:
    """What ``source.shrunk(side, target)`` would make, for every target."""
    image, _size = _decode(source.data, source.label, side)
    image, graphic = fitted_image(image, side)
    png, rgba = source.media_type == "image/png", image.mode == "RGBA"
    keys: List[EncodingKey] = [PNG_KEY] if (png or rgba) else []
    if not rgba:
        keys += [("JPEG", quality) for quality in JPEG_QUALITIES]
    sizes: Dict[EncodingKey, int] = {}
    made: Dict[EncodingKey, ImageAttachment] = {}
    original = source.original_size or (source.width, source.height)
    for key in keys:
        data = encode_as(image, key)
        sizes[key] = len(data)
        if key != PNG_KEY or rgba or graphic or len(data) <= SMALL_PNG_BYTES:
            made[key] = ImageAttachment(data, MEDIA_TYPES[key[0]], image.width, image.height,
                                        source.label, source.source, original)
    return _Step(png, rgba, graphic, sizes, made)


@dataclass(frozen=True)
class Prepared:
    """An image and its shrinking steps, one per side of :data:`SIDES`."""

    attachment: ImageAttachment
    steps: Tuple[_Step, ...]

    def shrunk(self, step: int, target_bytes: int, like: ImageAttachment) -> ImageAttachment:
        """What step ``step`` of the cap's shrinking makes of the image for ``target_bytes``
        (the same bytes ``shrunk`` would make), labelled as ``like``."""
        return _labelled(self.steps[step].pick(target_bytes), like)


def _labelled(image: ImageAttachment, like: ImageAttachment) -> ImageAttachment:
    """``image`` with ``like``'s label and source."""
    return _relabelled(image, like.label, like.source)


def _relabelled(image: ImageAttachment, label: str, source: Optional[str]) -> ImageAttachment:
    """``image`` with another label and source; the bytes, so the digest, are the same (a
    copy, not a new attachment: nothing is hashed again)."""
    if (image.label, image.source) == (label, source):
        return image
    out = copy.copy(image)
    object.__setattr__(out, "label", label)
    object.__setattr__(out, "source", source)
    return out


_lock = threading.Lock()
_cache: "OrderedDict[str, Prepared]" = OrderedDict()


def prepare(attachment: ImageAttachment) -> Prepared:
    """Make (or find) ``attachment``'s shrinking steps. Pillow work of a few hundred ms for
    a 1024 px image: call it off the UI thread. ImageError only if the attachment's own
    bytes cannot be decoded."""
    found = prepared(attachment.digest)
    if found is not None:
        return found
    steps: List[_Step] = []
    current = attachment
    for side in SIDES:
        step = _step(current, min(side, max(current.width, current.height)))
        steps.append(step)
        current = step.pick(_NO_FIT)  # what the next step starts from, when this one misses
    made = Prepared(attachment, tuple(steps))
    with _lock:
        _cache[attachment.digest] = made
        while len(_cache) > MAX_PREPARED:
            _cache.popitem(last=False)
    return made


def prepared(digest: str) -> Optional[Prepared]:
    """The prepared image with this content digest, or None."""
    with _lock:
        found = _cache.get(digest)
        if found is not None:
            _cache.move_to_end(digest)
        return found


def attachment_for(ref: Mapping[str, Any]) -> Optional[ImageAttachment]:
    """The prepared attachment a history reference (``{"image": "<digest>.<ext>", ...}``)
    names, labelled as the reference says; None when it was not prepared (read it from the
    store then)."""
    found = prepared(str(ref.get("image") or "").partition(".")[0])
    if found is None:
        return None
    image = found.attachment
    return _relabelled(image, str(ref.get("label") or image.label), image.source)


def forget_all() -> None:
    """Drop every prepared image (their memory goes)."""
    with _lock:
        _cache.clear()
