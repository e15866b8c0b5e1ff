"""What can go wrong with an image, told as a kind, a one-line message and a hint.

These are the artist's input errors, found before anything is sent, so they are not the
provider error kinds of DESIGN section 4. The panel and the CLI show ``message`` and
``hint``; ``kind`` lets them (and tests) tell the cases apart.
"""

from __future__ import annotations

__all__ = [
    "ImageError",
    "IMAGE_NOT_FOUND",
    "NOT_AN_IMAGE",
    "IMAGE_CORRUPT",
    "IMAGE_TOO_LARGE",
    "IMAGES_OVER_CAP",
    "IMAGE_LIBRARY_MISSING",
    "IMAGE_GONE",
    "IMAGE_KINDS",
]

IMAGE_NOT_FOUND = "image_not_found"        # no file at the path, or not readable
NOT_AN_IMAGE = "not_an_image"              # readable, but no image format recognised
IMAGE_CORRUPT = "image_corrupt"            # recognised, but truncated or damaged
IMAGE_TOO_LARGE = "image_too_large"        # dimensions over the decompression-bomb guard
IMAGES_OVER_CAP = "images_over_cap"        # a request's images cannot fit its size cap
IMAGE_LIBRARY_MISSING = "image_library_missing"  # Pillow is not installed
IMAGE_GONE = "image_gone"                  # history refers to an image no longer stored

IMAGE_KINDS = (
    IMAGE_NOT_FOUND, NOT_AN_IMAGE, IMAGE_CORRUPT, IMAGE_TOO_LARGE, IMAGES_OVER_CAP,
    IMAGE_LIBRARY_MISSING, IMAGE_GONE,
)


class ImageError(ValueError):
    """An image that cannot be used: ``kind`` (one of ``IMAGE_KINDS``), ``message`` (one
    line naming the image) and ``hint`` (what the artist can do)."""

    def __init__(self, kind: str, message: str, hint: str = "") -> None:
        self.kind = kind
        self.message = " ".join(str(message).split())
        self.hint = hint
        super().__init__(self.message)

    def __str__(self) -> str:
        return f"{self.message} {self.hint}".strip() if self.hint else self.message
