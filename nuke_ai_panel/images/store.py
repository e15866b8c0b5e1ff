"""History keeps images by reference: one file per image in the user's ``images/`` folder.

A conversation's JSON stores ``{"image": "<sha256>.png", "width", "height", "media_type",
"label"}`` per image; the bytes live once in ``<user dir>/images/<sha256>.<png|jpg>``
(``paths.images_dir``, relocated by ``NUKE_AI_PANEL_HOME``), written atomically. The same
image attached twice is stored once. Reading back needs no Pillow. An image whose file was
deleted, or whose bytes no longer match their name, is reported (ImageError image_gone)
so the conversation still opens, without it.
"""

from __future__ import annotations

import hashlib
import re
from pathlib import Path
from typing import Any, Dict, Mapping, Optional

from .. import paths
from ..atomic import atomic_write_bytes
from .attachment import ImageAttachment
from .errors import IMAGE_GONE, ImageError

__all__ = ["ImageStore", "is_image_ref"]

_NAME = re.compile(r"^([0-9a-f]{64})\.(png|jpg)$")
_MEDIA = {"png": "image/png", "jpg": "image/jpeg"}


def is_image_ref(value: Any) -> bool:
    """True for a history entry that refers to a stored image (has a well-formed name)."""
    return isinstance(value, Mapping) and isinstance(value.get("image"), str) and bool(
        _NAME.match(value["image"]))


class ImageStore:
    """The image folder; ``root`` defaults to ``paths.images_dir()`` (resolved per call, so
    a relocated user folder is followed)."""

    def __init__(self, root: Optional[Path] = None) -> None:
        self._root = Path(root) if root is not None else None

    @property
    def root(self) -> Path:
        return self._root if self._root is not None else paths.images_dir(create=False)

    def put(self, image: ImageAttachment) -> Dict[str, Any]:
        """Store the image (once per content) and return its history reference."""
        name = f"{image.digest}.{image.extension}"
        target = self.root / name
        if not (target.is_file() and target.stat().st_size == image.byte_size):
            atomic_write_bytes(target, image.data)
        return {"image": name, "width": image.width, "height": image.height,
                "media_type": image.media_type, "label": image.label}

    def path_for(self, ref: Mapping[str, Any]) -> Path:
        """Where ``ref``'s file lives; ValueError for a malformed reference (no path ever
        leaves the folder)."""
        if not is_image_ref(ref):
            raise ValueError(f"not an image reference: {dict(ref)!r}" if isinstance(ref, Mapping)
                             else f"not an image reference: {ref!r}")
        return self.root / str(ref["image"])

    def load(self, ref: Mapping[str, Any]) -> ImageAttachment:
        """The attachment ``ref`` names. ImageError image_gone when its file is missing,
        unreadable or altered; ValueError for a malformed reference."""
        path = self.path_for(ref)
        match = _NAME.match(path.name)
        assert match is not None
        label = str(ref.get("label") or path.name)
        hint = "The conversation is shown without it; attach the image again if it is needed."
        try:
            data = path.read_bytes()
        except FileNotFoundError as exc:
            raise ImageError(IMAGE_GONE, f"The image '{label}' is no longer in {self.root} "
                             f"({path.name} was deleted or moved).", hint) from exc
        except OSError as exc:
            raise ImageError(IMAGE_GONE, f"The image '{label}' could not be read from {path}: "
                             f"{exc.strerror or exc}.", hint) from exc
        if hashlib.sha256(data).hexdigest() != match.group(1):
            raise ImageError(IMAGE_GONE, f"The image '{label}' in {path} was changed after it "
                             "was saved.", hint)
        return ImageAttachment(data, _MEDIA[match.group(2)], int(ref.get("width") or 0),
                               int(ref.get("height") or 0), label)
