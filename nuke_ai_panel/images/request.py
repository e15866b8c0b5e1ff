"""The images of one request: the per-request size cap, and each provider's wire form.

The cap counts the image bytes of one request (before base64, which adds a third). The
default, 4 MiB (about 5.6 MB as base64), keeps a request inside every provider's limits:
Anthropic takes at most 5 MB per image and 32 MB per request, Gemini's inline data shares a
20 MB request, OpenAI 20 MB per image; Ollama has none. Over the cap, the biggest images are
re-encoded (JPEG at lower quality where there is no alpha) and then made smaller, down to
``SMALLEST_SIDE``; if they still do not fit, the request is refused with a message saying
what to do, never sent half-empty.

The wire forms are the ones in PROTOCOLS "Images" (each provider's own API reference):
OpenAI-compatible ``image_url`` parts with a data URL, Mistral's plain-string ``image_url``,
Anthropic ``image`` blocks with a base64 ``source``, Gemini ``inline_data`` parts, Ollama's
``images`` list of bare base64 strings.
"""

from __future__ import annotations

from typing import Any, Dict, List, NamedTuple, Sequence

from . import fitting
from .attachment import ImageAttachment
from .errors import IMAGES_OVER_CAP, ImageError

__all__ = [
    "DEFAULT_REQUEST_CAP",
    "SMALLEST_SIDE",
    "WIRE_STYLES",
    "WireImage",
    "fit_to_cap",
    "image_part",
    "wire_image",
]

DEFAULT_REQUEST_CAP = 4 * 1024 * 1024
SMALLEST_SIDE = fitting.SIDES[-1]
WIRE_STYLES = ("openai", "mistral", "anthropic", "gemini", "ollama")


def _mb(size: int) -> str:
    return f"{size / 1048576:.1f} MB"


def fit_to_cap(images: Sequence[ImageAttachment], cap: int = DEFAULT_REQUEST_CAP) -> List[ImageAttachment]:
    """The images, shrunk where needed so their bytes add up to at most ``cap``.

    Images already within an even share of the cap are left alone. ImageError
    (images_over_cap) when even ``SMALLEST_SIDE`` px does not fit; needs Pillow only when
    something must be shrunk that was not prepared (:mod:`.fitting`): a prepared image's
    smaller encodings are looked up, not made.
    """
    out = list(images)
    total = sum(a.byte_size for a in out)
    if total <= cap:
        return out
    share = cap // len(out)
    ready = [fitting.prepared(a.digest) for a in out]
    for step, side in enumerate(fitting.SIDES):
        out = [a if a.byte_size <= share else
               made.shrunk(step, share, a) if made is not None else
               a.shrunk(min(side, max(a.width, a.height)), share)
               for a, made in zip(out, ready)]
        if sum(a.byte_size for a in out) <= cap:
            return out
    count = len(out)
    raise ImageError(
        IMAGES_OVER_CAP,
        f"{count} image{'s' if count != 1 else ''} come to {_mb(total)}; one request carries at "
        f"most {_mb(cap)} of images, and they do not fit even at {SMALLEST_SIDE} px.",
        "Remove some of the images from this message (send them in separate turns), "
        "or crop them to the part that matters.",
    )


class WireImage(NamedTuple):
    """What every wire form is made of: ``media_type``, ``base64`` (no prefix) and the
    ``data_url`` (``data:<media type>;base64,<data>``)."""

    media_type: str
    base64: str
    data_url: str


def wire_image(image: ImageAttachment) -> WireImage:
    data = image.base64()
    return WireImage(image.media_type, data, f"data:{image.media_type};base64,{data}")


def image_part(image: ImageAttachment, style: str) -> Any:
    """The image as ``style``'s API takes it in a user message (PROTOCOLS "Images"):

    * ``openai`` (OpenAI, OpenRouter, compatible servers): a content part
      ``{"type": "image_url", "image_url": {"url": DATA_URL}}``;
    * ``mistral``: ``{"type": "image_url", "image_url": DATA_URL}``;
    * ``anthropic``: ``{"type": "image", "source": {"type": "base64", "media_type", "data"}}``;
    * ``gemini``: a part ``{"inline_data": {"mime_type", "data"}}``;
    * ``ollama``: the bare base64 string, for the message's ``images`` list.

    ValueError for another style.
    """
    wire = wire_image(image)
    if style == "openai":
        return {"type": "image_url", "image_url": {"url": wire.data_url}}
    if style == "mistral":
        return {"type": "image_url", "image_url": wire.data_url}
    if style == "anthropic":
        source: Dict[str, str] = {"type": "base64", "media_type": wire.media_type,
                                  "data": wire.base64}
        return {"type": "image", "source": source}
    if style == "gemini":
        return {"inline_data": {"mime_type": wire.media_type, "data": wire.base64}}
    if style == "ollama":
        return wire.base64
    raise ValueError(f"unknown image wire style {style!r} (one of {', '.join(WIRE_STYLES)})")
