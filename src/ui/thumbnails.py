"""Thumbnails of images: bounded decoding, and the transcript's pictures of a user message.

Decoding is bounded so the main thread never stalls on a big image: a thumbnail is read
with ``QImageReader``, which gives the image's size from its header before decoding, and
anything over :data:`MAX_DECODE_SIDE` px is not decoded here (the attached images this
module sees are already at most 1024 px: :mod:`nuke_ai_panel.images.attachment` sized them
off the main thread, and the history store keeps only those). ``QImage`` is safe to use on
any thread (Qt's "Reentrancy and Thread-Safety" docs), so the tray makes its thumbnails on
the image thread with :func:`thumbnail`; only ``QPixmap`` is main-thread only.

In the transcript a user message's images are drawn as ``<img src="thumb:DIGEST">`` whose
pixels are a document resource (``QTextDocument.addResource``). An image whose stored file
is gone, unreadable or changed shows a placeholder line saying so, never an error.
"""

from __future__ import annotations

import html
from typing import Any, Iterable, List, Optional, Tuple

from Qt import QtCore, QtGui

from nuke_ai_panel.images import ImageError, ImageStore, is_image_ref

from .theme import DIM, WARN

__all__ = ["MAX_DECODE_SIDE", "TRANSCRIPT_PX", "TRAY_PX", "images_html", "thumbnail",
           "thumbnail_url"]

TRAY_PX = 56
TRANSCRIPT_PX = 120
MAX_DECODE_SIDE = 4096
_IMAGE_RESOURCE = getattr(QtGui.QTextDocument, "ImageResource", None) or \
    QtGui.QTextDocument.ResourceType.ImageResource


def thumbnail(data: bytes, side: int) -> Optional[QtGui.QImage]:
    """``data`` (image file bytes) decoded to at most ``side`` px on its long side; None
    when it cannot be read or is larger than :data:`MAX_DECODE_SIDE` (not decoded)."""
    array = QtCore.QByteArray(bytes(data))
    buffer = QtCore.QBuffer(array)
    buffer.open(QtCore.QIODevice.ReadOnly)
    try:
        reader = QtGui.QImageReader(buffer)
        size = reader.size()
        if not size.isValid() or max(size.width(), size.height()) > MAX_DECODE_SIDE:
            return None
        if max(size.width(), size.height()) > side:
            reader.setScaledSize(size.scaled(side, side, QtCore.Qt.KeepAspectRatio))
        image = reader.read()
    finally:
        buffer.close()
    return None if image.isNull() else image


def thumbnail_url(digest: str) -> QtCore.QUrl:
    """The document resource name of an image's transcript thumbnail."""
    return QtCore.QUrl(f"thumb:{digest}")


def _resolve(image: Any) -> Tuple[Optional[Any], str, str]:
    """``(attachment or None, label, why it is missing)`` for an attachment or a history
    reference."""
    if not is_image_ref(image):
        if hasattr(image, "data") and hasattr(image, "digest"):
            return image, str(getattr(image, "label", "image")), ""
        return None, "image", "This image could not be read back from history."
    label = str(image.get("label") or image.get("image"))
    try:
        return ImageStore().load(image), label, ""
    except (ImageError, ValueError) as exc:
        return None, label, getattr(exc, "message", str(exc))


def _register(document: QtGui.QTextDocument, attachment: Any) -> Optional[Tuple[int, int]]:
    """Add ``attachment``'s thumbnail to ``document`` (once); its drawn size, or None when
    it cannot be decoded."""
    url = thumbnail_url(attachment.digest)
    found = document.resource(_IMAGE_RESOURCE, url)
    image = found if isinstance(found, QtGui.QImage) and not found.isNull() else None
    if image is None:
        image = thumbnail(attachment.data, TRANSCRIPT_PX)
        if image is None:
            return None
        document.addResource(_IMAGE_RESOURCE, url, image)
    return image.width(), image.height()


def images_html(document: QtGui.QTextDocument, images: Iterable[Any]) -> str:
    """The HTML for a user message's images (attachments or history references), their
    thumbnails registered in ``document``; "" for none."""
    images = list(images)
    pictures: List[str] = []
    missing: List[str] = []
    for image in images:
        attachment, label, why = _resolve(image)
        size = _register(document, attachment) if attachment is not None else None
        if attachment is not None and size is None:
            why = "The stored image could not be decoded."
        if size is None:
            missing.append(f'<p style="color:{WARN};"><i>[image not available: '
                           f'{html.escape(label)}] {html.escape(why)}</i></p>')
            continue
        title = html.escape(attachment.describe() if hasattr(attachment, "describe") else label,
                            quote=True)
        pictures.append(f'<img src="{thumbnail_url(attachment.digest).toString()}" '
                        f'width="{size[0]}" height="{size[1]}" title="{title}"/>&nbsp;')
    out = ""
    if pictures:
        labels = ", ".join(html.escape(_resolve_label(i)) for i in images if _shown(i, document))
        out += "<p>" + "".join(pictures) + "</p>"
        out += f'<p style="color:{DIM};"><small>{labels}</small></p>' if labels else ""
    return out + "".join(missing)


def _resolve_label(image: Any) -> str:
    if is_image_ref(image):
        return str(image.get("label") or image.get("image"))
    return str(getattr(image, "label", "image"))


def _shown(image: Any, document: QtGui.QTextDocument) -> bool:
    """Is ``image``'s thumbnail in ``document`` (was it drawn)?"""
    digest = image["image"].split(".")[0] if is_image_ref(image) else getattr(image, "digest", "")
    found = document.resource(_IMAGE_RESOURCE, thumbnail_url(digest)) if digest else None
    return isinstance(found, QtGui.QImage) and not found.isNull()
