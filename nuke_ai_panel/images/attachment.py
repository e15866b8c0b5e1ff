"""An image attached to a turn: decoded, oriented, resized and encoded once, ready to send.

Pillow (https://pillow.readthedocs.io) does the decoding and encoding. It is imported only
when an image is made or shrunk, so the rest of the core starts without it; an attachment
read back from history needs no Pillow at all.

Decisions:

* Any format Pillow opens is accepted (PNG, JPEG, WebP, TIFF, BMP, GIF and more); a
  multi-frame file gives its first frame.
* EXIF orientation is applied (``ImageOps.exif_transpose``), so a phone photo is upright.
* Colour: everything becomes 8-bit RGB, or RGBA when the alpha is not fully opaque.
  16-bit images are scaled to 8 bits; float images (mode ``F``) are taken as 0..1 and
  clipped. Alpha is left as the file stores it: PNG and most files hold straight
  (unpremultiplied) alpha, which is also what the model expects, so nothing is
  premultiplied or unpremultiplied. Pillow's resize premultiplies internally, so
  transparent pixels do not bleed into the edges.
* Size: the long side is at most ``MAX_SIDE`` (1024 px); smaller images are never upscaled.
* Encoding: PNG when there is alpha, when the image is graphic (few colours: UI, node
  graphs, diagrams) or when its PNG is small anyway; otherwise JPEG, at the highest of
  ``JPEG_QUALITIES`` that fits ``target_bytes``.
* Guard: more than ``MAX_PIXELS`` pixels is refused before decoding (a decompression bomb,
  or a plate far too big to be useful at 1024 px).
"""

from __future__ import annotations

import base64
import hashlib
import io
import os
import warnings
from dataclasses import dataclass, field
from typing import Any, Callable, Dict, Optional, Tuple

from .errors import (
    IMAGE_CORRUPT,
    IMAGE_LIBRARY_MISSING,
    IMAGE_NOT_FOUND,
    IMAGE_TOO_LARGE,
    NOT_AN_IMAGE,
    ImageError,
)

__all__ = [
    "ImageAttachment",
    "MAX_SIDE",
    "MAX_PIXELS",
    "TARGET_BYTES",
    "JPEG_QUALITIES",
    "load_pillow",
]

MAX_SIDE = 1024
MAX_PIXELS = 100_000_000
TARGET_BYTES = 1_000_000
JPEG_QUALITIES = (90, 85, 75, 65, 50, 35)
SMALL_PNG_BYTES = 200_000
GRAPHIC_COLOURS = 256
MEDIA_TYPES = {"PNG": "image/png", "JPEG": "image/jpeg"}
_EXTENSIONS = {"image/png": "png", "image/jpeg": "jpg"}
EXR_MAGIC = b"v/1\x01"  # OpenEXR's magic number, 20000630 little-endian


def load_pillow() -> Tuple[Any, Any]:
    """``(PIL.Image, PIL.ImageOps)``; ImageError(image_library_missing) without Pillow."""
    try:
        from PIL import Image, ImageOps
    except ImportError as exc:
        raise ImageError(
            IMAGE_LIBRARY_MISSING,
            "Images need the Pillow library, which is not installed in this Python.",
            "Run scripts/install_nuke.py again to install the panel's requirements into Nuke, "
            "or `pip install -r requirements.txt` for the standalone app.",
        ) from exc
    return Image, ImageOps


@dataclass(frozen=True)
class ImageAttachment:
    """One encoded image: ``data`` (PNG or JPEG file bytes), ``media_type``
    (``image/png`` / ``image/jpeg``), ``width`` x ``height`` in pixels, a ``label`` for the
    artist (file name, "pasted image", "Viewer1 at frame 1001"), the ``source`` path when it
    came from a file, and ``original_size`` before resizing. ``digest`` is the SHA-256 of
    ``data`` (hex): the history store's key.
    """

    data: bytes = field(repr=False)
    media_type: str
    width: int
    height: int
    label: str
    source: Optional[str] = None
    original_size: Optional[Tuple[int, int]] = None
    digest: str = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        if self.media_type not in _EXTENSIONS:
            raise ValueError(f"unsupported media type {self.media_type!r}")
        object.__setattr__(self, "digest", hashlib.sha256(self.data).hexdigest())

    # -- made from ------------------------------------------------------------------------

    @classmethod
    def from_path(cls, path: str, label: Optional[str] = None, max_side: int = MAX_SIDE,
                  target_bytes: int = TARGET_BYTES) -> "ImageAttachment":
        """Read an image file. ImageError: image_not_found (no such file, a folder, not
        readable), not_an_image, image_corrupt (truncated, damaged), image_too_large,
        image_library_missing."""
        shown = os.path.basename(path) or path
        if not os.path.exists(path):
            raise ImageError(IMAGE_NOT_FOUND, f"No image file at {path}.",
                             "Check the path; drag the file onto the panel to be sure of it.")
        if os.path.isdir(path):
            raise ImageError(IMAGE_NOT_FOUND, f"{path} is a folder, not an image file.",
                             "Pick one image file inside it.")
        try:
            with open(path, "rb") as fh:
                data = fh.read()
        except OSError as exc:
            raise ImageError(IMAGE_NOT_FOUND, f"Could not read {path}: {exc.strerror or exc}.",
                             "Check the file's permissions.") from exc
        return cls._from_data(data, label or shown, path, max_side, target_bytes)

    @classmethod
    def from_bytes(cls, data: bytes, label: str = "pasted image", max_side: int = MAX_SIDE,
                   target_bytes: int = TARGET_BYTES) -> "ImageAttachment":
        """Image file bytes (paste, drag-and-drop, a rendered frame); errors as ``from_path``."""
        return cls._from_data(bytes(data), label, None, max_side, target_bytes)

    @classmethod
    def from_image(cls, image: Any, label: str = "image", max_side: int = MAX_SIDE,
                   target_bytes: int = TARGET_BYTES) -> "ImageAttachment":
        """A ``PIL.Image.Image`` (left unchanged); errors as ``from_path``."""
        _guard_size(image.size, label)
        return _encoded(image.copy(), image.size, label, None, max_side, target_bytes)

    @classmethod
    def _from_data(cls, data: bytes, label: str, source: Optional[str], max_side: int,
                   target_bytes: int) -> "ImageAttachment":
        if not data:
            raise ImageError(NOT_AN_IMAGE, f"{label} is empty (0 bytes).",
                             "Attach the image file itself, not an empty copy.")
        image, size = _decode(data, label, max_side)
        return _encoded(image, size, label, source, max_side, target_bytes)

    # -- derived --------------------------------------------------------------------------

    @property
    def byte_size(self) -> int:
        return len(self.data)

    @property
    def extension(self) -> str:
        """``png`` or ``jpg``."""
        return _EXTENSIONS[self.media_type]

    def base64(self) -> str:
        return base64.b64encode(self.data).decode("ascii")

    def data_url(self) -> str:
        return f"data:{self.media_type};base64,{self.base64()}"

    def shrunk(self, max_side: int, target_bytes: int) -> "ImageAttachment":
        """This image re-encoded with a smaller long side and/or byte target (never larger
        than it is); label, source and original size are kept."""
        image, size = _decode(self.data, self.label, max_side)
        out = _encoded(image, size, self.label, self.source, max_side, target_bytes,
                       png=self.media_type == "image/png")
        return ImageAttachment(out.data, out.media_type, out.width, out.height, self.label,
                               self.source, self.original_size or (self.width, self.height))

    def describe(self) -> str:
        """``"plate.jpg, 1024x768 JPEG, 183 KB (resized from 4000x3000)"``."""
        kind = "PNG" if self.media_type == "image/png" else "JPEG"
        text = f"{self.label}, {self.width}x{self.height} {kind}, {_kb(self.byte_size)}"
        if self.original_size and self.original_size != (self.width, self.height):
            text += f" (resized from {self.original_size[0]}x{self.original_size[1]})"
        return text


def _kb(size: int) -> str:
    return f"{size / 1024:.0f} KB" if size < 1024 * 1024 else f"{size / 1048576:.1f} MB"


def _guard_size(size: Tuple[int, int], label: str) -> None:
    width, height = size
    if width <= 0 or height <= 0:
        raise ImageError(IMAGE_CORRUPT, f"{label} says it is {width}x{height} pixels.",
                         "The file is damaged; export it again.")
    if width * height > MAX_PIXELS:
        raise ImageError(
            IMAGE_TOO_LARGE,
            f"{label} is {width}x{height} ({width * height / 1e6:.0f} megapixels); images over "
            f"{MAX_PIXELS / 1e6:.0f} megapixels are not opened.",
            "Attach a smaller version (a crop or a proxy); the model sees at most "
            f"{MAX_SIDE} px on the long side anyway.",
        )


def _decode(data: bytes, label: str, max_side: int) -> Tuple[Any, Tuple[int, int]]:
    """Open, guard, load the first frame and orient: a loaded ``PIL.Image`` and the size the
    file says it has (the image itself may be smaller: a JPEG decodes at a reduced scale)."""
    Image, ImageOps = load_pillow()
    corrupt_hint = "The file is truncated or damaged; export or copy it again."
    with warnings.catch_warnings():
        # Pillow's own bomb warning: ``_guard_size`` applies the panel's limit instead
        warnings.simplefilter("ignore", Image.DecompressionBombWarning)
        try:
            image = Image.open(io.BytesIO(data))
        except Image.DecompressionBombError as exc:
            raise ImageError(IMAGE_TOO_LARGE, f"{label} is too large to open safely: {exc}",
                             "Attach a smaller version (a crop or a proxy).") from exc
        except Exception as exc:  # UnidentifiedImageError and plugins' own errors
            if isinstance(exc, getattr(Image, "UnidentifiedImageError", ())):
                if data[:4] == EXR_MAGIC:
                    raise ImageError(
                        NOT_AN_IMAGE, f"{label} is an OpenEXR file, which Pillow cannot read.",
                        "Inside Nuke use Attach Viewer frame (it renders the frame and adds "
                        "the float values as a pixel probe); elsewhere export a PNG, JPEG or "
                        "TIFF of it.") from exc
                raise ImageError(NOT_AN_IMAGE, f"{label} is not an image Pillow can read.",
                                 "Attach a PNG, JPEG, WebP, TIFF, BMP or GIF file.") from exc
            raise ImageError(IMAGE_CORRUPT, f"{label} could not be read: {exc}",
                             corrupt_hint) from exc
        _guard_size(image.size, label)
        size = image.size
        try:
            if image.format == "JPEG":
                image.draft("RGB", (max_side, max_side))  # decode at a reduced scale
            image.load()
            turned = ImageOps.exif_transpose(image)
        except Exception as exc:  # OSError "image file is truncated", SyntaxError, ...
            raise ImageError(IMAGE_CORRUPT, f"{label} could not be decoded: {exc}",
                             corrupt_hint) from exc
    if turned is not None and turned.size != image.size:
        size = (size[1], size[0])
    return (turned if turned is not None else image), size


def _to_display_mode(image: Any) -> Any:
    """8-bit RGB, or RGBA when some pixel is not opaque (see the module notes)."""
    mode = image.mode
    if mode.startswith("I;16") or mode == "I":
        low, high = image.getextrema()
        scale = 255.0 / 65535.0 if high > 255 else 1.0
        image = image.convert("I").point(lambda v: v * scale).convert("L")
    elif mode == "F":
        image = image.point(lambda v: v * 255.0).convert("L")
    elif mode in ("P", "PA"):
        alpha = mode == "PA" or "transparency" in image.info
        image = image.convert("RGBA" if alpha else "RGB")
    elif mode in ("LA", "La", "RGBa"):
        image = image.convert("RGBA")
    if image.mode == "RGBA":
        if image.getchannel("A").getextrema() == (255, 255):
            image = image.convert("RGB")
        return image
    return image if image.mode == "RGB" else image.convert("RGB")


def _save(image: Any, fmt: str, **options: Any) -> bytes:
    out = io.BytesIO()
    image.save(out, fmt, **options)
    return out.getvalue()


def fitted_image(image: Any, max_side: int) -> Tuple[Any, bool]:
    """``(image, graphic)``: ``image`` in display mode (module notes), at most ``max_side``
    px on its long side, and whether it had few colours before resampling (a graphic)."""
    Image, _ = load_pillow()
    image = _to_display_mode(image)
    graphic = image.getcolors(GRAPHIC_COLOURS) is not None  # before resampling adds colours
    resampling = getattr(Image, "Resampling", Image)
    image.thumbnail((max_side, max_side), resampling.LANCZOS)
    return image, graphic


def _encoded(image: Any, original: Tuple[int, int], label: str, source: Optional[str],
             max_side: int, target_bytes: int, png: bool = True) -> ImageAttachment:
    image, graphic = fitted_image(image, max_side)
    data, fmt = _encode(image, target_bytes, png, graphic)
    return ImageAttachment(data, MEDIA_TYPES[fmt], image.width, image.height, label, source,
                           original)


#: An encoding: ``("PNG", 0)`` or ``("JPEG", quality)``.
EncodingKey = Tuple[str, int]
PNG_KEY: EncodingKey = ("PNG", 0)


def encode_as(image: Any, key: EncodingKey) -> bytes:
    """``image`` encoded as ``key`` says (JPEG optimised)."""
    if key[0] == "PNG":
        return _save(image, "PNG")
    return _save(image, "JPEG", quality=key[1], optimize=True)


def choose_encoding(size: Callable[[EncodingKey], int], target_bytes: int, png: bool,
                    rgba: bool, graphic: bool) -> EncodingKey:
    """The one rule for which encoding an image gets (module notes), given ``size(key)``,
    the byte size of each encoding: PNG when there is alpha, when the PNG is small or, for
    a graphic, when it fits ``target_bytes``; otherwise the best JPEG quality that fits, or
    the lowest. ``png`` False skips trying PNG for an opaque image (re-encoding a JPEG)."""
    if png or rgba:
        png_size = size(PNG_KEY)
        if rgba or png_size <= SMALL_PNG_BYTES or (graphic and png_size <= target_bytes):
            return PNG_KEY
    for quality in JPEG_QUALITIES:
        if size(("JPEG", quality)) <= target_bytes:
            return ("JPEG", quality)
    return ("JPEG", JPEG_QUALITIES[-1])


def _encode(image: Any, target_bytes: int, png: bool, graphic: bool) -> Tuple[bytes, str]:
    """PNG or JPEG bytes and the format, by :func:`choose_encoding` (each encoding made at
    most once)."""
    made: Dict[EncodingKey, bytes] = {}

    def encoding(key: EncodingKey) -> bytes:
        if key not in made:
            made[key] = encode_as(image, key)
        return made[key]

    key = choose_encoding(lambda k: len(encoding(k)), target_bytes, png,
                          image.mode == "RGBA", graphic)
    return encoding(key), key[0]
