"""Images on the next message: the attach button, paste, drag-and-drop, the Viewer frame,
and the tray of thumbnails above the prompt box (DESIGN sections 8 and 13).

Every way in ends in :meth:`AttachmentController.add_job`: the file, the clipboard's image
or the Viewer's frame is decoded, oriented, resized to at most 1024 px and encoded on the
image thread (:mod:`.image_jobs`), with its tray thumbnail, so the panel never stalls on a
big image; the main thread only adds the finished thumbnail. A file that cannot be used
(not an image, an EXR, damaged, gone) is told in the notice bar with what to do. Send takes
the tray's images with the text (:meth:`take`); until then each one can be removed.
Each image, and each stored image of a reopened conversation, is then also prepared for
the request size cap on the image thread (:mod:`nuke_ai_panel.images.fitting`), so a send
does no image work on the main thread.

"Attach Viewer frame" (``attachViewerButton``) is enabled inside Nuke while a Viewer is
open; the standalone app has no Viewer (its host cannot render), so there it stays disabled
with a tooltip saying why. ObjectNames: ``attachButton``, ``attachViewerButton``,
``attachmentTray``, and per thumbnail ``attachmentThumb`` with its ``removeAttachmentButton``.
"""

from __future__ import annotations

import os
from functools import partial
from typing import Any, Callable, List, Optional, Sequence, Set, Tuple

from Qt import QtCore, QtGui, QtWidgets

from nuke_ai_panel.graph.host import HostError
from nuke_ai_panel.images import ImageAttachment, ImageError, fitting, is_image_ref
from nuke_ai_panel.logs import get_logger

from .image_jobs import ImageJobs
from .thumbnails import TRAY_PX, thumbnail
from .widgets import push_button

__all__ = ["AttachmentController", "AttachmentTray", "FILE_FILTER", "IMAGE_SUFFIXES",
           "install_attachments"]

log = get_logger("ui")

#: What the file dialog offers; EXR is listed so that picking one says clearly why it
#: cannot be read (Pillow has no EXR reader) instead of hiding the file.
FILE_FILTER = ("Images (*.png *.jpg *.jpeg *.tif *.tiff *.webp *.bmp *.gif *.exr);;"
               "All files (*)")
IMAGE_SUFFIXES = (".png", ".jpg", ".jpeg", ".tif", ".tiff", ".webp", ".bmp", ".gif", ".exr")
VIEWER_POLL_MS = 1500
NO_RENDER_TIP = ("There is no Viewer outside Nuke: attach an image of the frame instead "
                 "(button, paste or drop).")


class AttachmentTray(QtWidgets.QWidget):
    """The pending images as thumbnails, each with a remove button; hidden when empty.
    ``removeRequested(index)`` when the artist removes one."""

    removeRequested = QtCore.Signal(int)

    def __init__(self, parent: Optional[QtWidgets.QWidget] = None) -> None:
        super().__init__(parent)
        self.setObjectName("attachmentTray")
        self._row = QtWidgets.QHBoxLayout(self)
        self._row.setContentsMargins(0, 0, 0, 0)
        self._row.setSpacing(4)
        self._row.addStretch(1)
        self._thumbs: List[QtWidgets.QWidget] = []
        self.setVisible(False)

    def count(self) -> int:
        return len(self._thumbs)

    def thumbs(self) -> List[QtWidgets.QWidget]:
        return list(self._thumbs)

    def add(self, image: Optional[QtGui.QImage], tip: str) -> None:
        """A thumbnail (``image`` None: a placeholder box) with ``tip`` as its tooltip."""
        thumb = QtWidgets.QFrame()
        thumb.setObjectName("attachmentThumb")
        thumb.setToolTip(tip)
        thumb.setFrameShape(QtWidgets.QFrame.StyledPanel)
        box = QtWidgets.QHBoxLayout(thumb)
        box.setContentsMargins(2, 2, 2, 2)
        box.setSpacing(2)
        picture = QtWidgets.QLabel()
        picture.setFixedSize(TRAY_PX, TRAY_PX)
        picture.setAlignment(QtCore.Qt.AlignCenter)
        if image is not None:
            picture.setPixmap(QtGui.QPixmap.fromImage(image))
        else:
            picture.setText("image")
        remove = QtWidgets.QToolButton()
        remove.setObjectName("removeAttachmentButton")
        remove.setText("\u00d7")
        remove.setToolTip("Remove this image from the message")
        remove.setAutoRaise(True)
        remove.clicked.connect(partial(self._remove_clicked, thumb))
        box.addWidget(picture)
        box.addWidget(remove, 0, QtCore.Qt.AlignTop)
        self._row.insertWidget(len(self._thumbs), thumb)
        self._thumbs.append(thumb)
        self.setVisible(True)

    def remove(self, index: int) -> None:
        thumb = self._thumbs.pop(index)
        self._row.removeWidget(thumb)
        thumb.deleteLater()
        self.setVisible(bool(self._thumbs))

    def clear(self) -> None:
        while self._thumbs:
            self.remove(len(self._thumbs) - 1)

    def _remove_clicked(self, thumb: QtWidgets.QWidget) -> None:
        if thumb in self._thumbs:
            self.removeRequested.emit(self._thumbs.index(thumb))


def _prepared(make: Callable[[], ImageAttachment]) -> Tuple[ImageAttachment, Any]:
    """On the image thread: the attachment and its tray thumbnail (a QImage or None)."""
    attachment = make()
    return attachment, thumbnail(attachment.data, TRAY_PX)


def _prepare_stored(refs: Sequence[Any]) -> int:
    """On the image thread: read each history reference from the store and prepare it for
    the size cap; one that is gone is skipped (the send leaves it out and logs why).
    Returns how many were prepared."""
    from nuke_ai_panel.images import ImageStore
    done = 0
    for ref in refs:
        try:
            fitting.prepare(ImageStore().load(ref))
        except (ImageError, ValueError) as exc:
            log.debug("history image not prepared: %s", exc)
            continue
        done += 1
    return done


def _ignored(_result: Any, error: Optional[BaseException]) -> None:
    """A preparation for the size cap that failed only costs speed: the send fits the image
    itself."""
    if error is not None:
        log.debug("preparing an image for the size cap failed: %s", error)


def _qimage_bytes(image: QtGui.QImage) -> bytes:
    """On the image thread: a clipboard image as PNG file bytes (fast, uncompressed: it is
    re-encoded right after)."""
    array = QtCore.QByteArray()
    buffer = QtCore.QBuffer(array)
    buffer.open(QtCore.QIODevice.WriteOnly)
    if not image.save(buffer, "PNG", 100):
        raise ImageError("not_an_image", "The pasted image could not be read.",
                         "Copy the image again, or save it and attach the file.")
    buffer.close()
    return bytes(array.data())


def mime_image_paths(mime: QtCore.QMimeData) -> List[str]:
    """The local image files among ``mime``'s URLs (by suffix; the decoder has the last
    word)."""
    if not mime.hasUrls():
        return []
    paths = [url.toLocalFile() for url in mime.urls() if url.isLocalFile()]
    return [p for p in paths if p.lower().endswith(IMAGE_SUFFIXES)]


class AttachmentController(QtCore.QObject):
    """The images of the next message for one chat panel; see the module docstring.

    ``changed`` fires when the tray's images change; ``failed(text)`` when an image could
    not be attached (the notice bar says the same)."""

    changed = QtCore.Signal()
    failed = QtCore.Signal(str)

    def __init__(self, panel: Any) -> None:
        super().__init__(panel)
        self.panel = panel
        self.pending: List[ImageAttachment] = []
        self._asked: Set[str] = set()  # digests of stored images sent to be prepared
        self.jobs = ImageJobs(self)
        self.tray = AttachmentTray()
        self.tray.removeRequested.connect(self.remove)
        self.attach_button = push_button(
            "attachButton", "Attach\u2026",
            "Attach images to the next message (PNG, JPEG, TIFF, WebP...); you can also "
            "paste an image or drop image files on the panel")
        self.viewer_button = push_button(
            "attachViewerButton", "Viewer frame",
            "Attach the active Viewer's current frame as you see it, with its pixel values")
        self.attach_button.clicked.connect(self.choose_files)
        self.viewer_button.clicked.connect(self.attach_viewer_frame)
        row = QtWidgets.QHBoxLayout()
        row.setSpacing(4)
        row.addWidget(self.attach_button)
        row.addWidget(self.viewer_button)
        row.addWidget(self.tray, 1)
        layout = panel.layout()
        layout.insertLayout(layout.indexOf(panel.prompt), row)
        panel.prompt.image_sink = self
        panel.setAcceptDrops(True)
        panel.installEventFilter(self)
        self._timer = QtCore.QTimer(self)
        self._timer.setInterval(VIEWER_POLL_MS)
        self._timer.timeout.connect(self._poll)
        self._timer.start()
        panel.destroyed.connect(self.jobs.closer())
        self.update_viewer_button()

    # -- state ---------------------------------------------------------------------------

    @property
    def busy(self) -> bool:
        """Is an image still being prepared?"""
        return self.jobs.pending > 0

    def can_render(self) -> bool:
        """Does the panel's host render Viewer frames (Nuke), as opposed to a script read
        from a file (the standalone app)?"""
        return hasattr(self.panel.host, "active_viewer")

    def _poll(self) -> None:
        if self.panel.isVisible():  # a hidden pane asks Nuke nothing
            self.update_viewer_button()
            self.prepare_history()

    def prepare_history(self) -> bool:
        """The conversation's stored images (a reopened one's) that are not prepared for
        the size cap yet are read and prepared on the image thread, so that a send only
        looks them up (:mod:`nuke_ai_panel.images.fitting`); each is asked for once.
        False when there is nothing to do."""
        todo = []
        for message in getattr(self.panel.conversation, "messages", ()):
            for image in message.images if message.role == "user" else ():
                digest = str(image["image"]).partition(".")[0] if is_image_ref(image) else ""
                if digest and digest not in self._asked and fitting.prepared(digest) is None:
                    self._asked.add(digest)
                    todo.append(image)
        todo = todo[-fitting.MAX_PREPARED:]  # the cache keeps no more than that
        return bool(todo) and self.jobs.submit(partial(_prepare_stored, todo), _ignored,
                                               counted=False)

    def update_viewer_button(self) -> None:
        """Enable "Viewer frame" only where a Viewer is open, with a tooltip saying why not."""
        button = self.viewer_button
        if not self.can_render():
            button.setEnabled(False)
            button.setToolTip(NO_RENDER_TIP)
            return
        try:
            viewer = self.panel.host.active_viewer()
        except Exception as exc:  # a host error must not break the panel's timer
            log.debug("active_viewer failed: %s", exc)
            viewer = None
        button.setEnabled(viewer is not None and not self.busy)
        button.setToolTip(
            f"Attach {viewer}'s current frame as you see it, with its pixel values"
            if viewer else "Open a Viewer in Nuke to attach its frame.")

    # -- adding --------------------------------------------------------------------------

    def choose_files(self) -> List[str]:
        """The attach button: a file dialog (several files at once), then attach them."""
        paths, _filter = QtWidgets.QFileDialog.getOpenFileNames(
            self.panel, "Attach images", "", FILE_FILTER)
        self.attach_files(paths)
        return list(paths)

    def attach_files(self, paths: Sequence[str]) -> int:
        """Prepare each file on the image thread; returns how many were started."""
        started = 0
        for path in paths:
            started += self.add_job(partial(ImageAttachment.from_path, path),
                                    os.path.basename(path))
        return started

    def attach_qimage(self, image: QtGui.QImage, label: str = "pasted image") -> bool:
        """A clipboard image (a copy is taken; encoding happens on the image thread)."""
        copy = QtGui.QImage(image)
        return self.add_job(lambda: ImageAttachment.from_bytes(_qimage_bytes(copy), label),
                            label)

    def attach_viewer_frame(self) -> bool:
        """The active Viewer's frame and its pixel probe: the probe's text goes into the
        prompt box, the image into the tray. Rendered on the image thread, through the
        host (which runs Nuke's part on Nuke's main thread)."""
        host = self.panel.host
        if not self.can_render():
            self._tell(NO_RENDER_TIP)
            return False
        from nuke_ai_panel.images.look import viewer_look
        self.panel.set_status("rendering the Viewer frame\u2026")
        self.viewer_button.setEnabled(False)
        return self.jobs.submit(partial(viewer_look, host), self._viewer_ready)

    def _viewer_ready(self, look: Any, error: Optional[BaseException]) -> None:
        self.update_viewer_button()
        if error is not None:
            self.panel.set_status("")
            self._failed("the Viewer frame", error)
            return
        self._added(look.attachment, thumbnail(look.attachment.data, TRAY_PX))
        if look.probe is not None:
            text = self.panel.prompt.toPlainText().rstrip()
            probe = look.probe.render()
            self.panel.prefill(f"{text}\n\n{probe}" if text else f"\n\n{probe}")
        self.panel.set_status(f"attached {look.attachment.label}")

    def add_job(self, make: Callable[[], ImageAttachment], label: str) -> bool:
        """Prepare an image on the image thread; it joins the tray when ready."""
        started = self.jobs.submit(partial(_prepared, make), partial(self._prepared, label))
        if started:
            self.panel.set_status(f"preparing {label}\u2026")
        return started

    def _prepared(self, label: str, result: Any, error: Optional[BaseException]) -> None:
        if error is not None:
            self._failed(label, error)
            return
        attachment, image = result
        self._added(attachment, image)
        self.panel.set_status(f"attached {attachment.describe()}")
        self.update_viewer_button()

    def _added(self, attachment: ImageAttachment, image: Any) -> None:
        self.pending.append(attachment)
        self.tray.add(image, attachment.describe())
        self.changed.emit()
        # its smaller encodings for the size cap, made once, ahead: a send only looks them
        # up (one sent before they are ready is fitted the slow way; nothing waits for them)
        if fitting.prepared(attachment.digest) is None:
            self.jobs.submit(partial(fitting.prepare, attachment), _ignored, counted=False)

    def _failed(self, label: str, error: BaseException) -> None:
        if isinstance(error, ImageError):
            text = str(error)
        elif isinstance(error, HostError):
            text = f"Could not attach {label}: {error}"
        else:
            log.error("preparing %s failed", label, exc_info=error)
            text = f"Could not attach {label}: {error}"
        self._tell(text)
        self.failed.emit(text)

    def _tell(self, text: str) -> None:
        self.panel.notices.add(text)

    # -- removing and taking ---------------------------------------------------------------

    def remove(self, index: int) -> None:
        if 0 <= index < len(self.pending):
            del self.pending[index]
            self.tray.remove(index)
            self.changed.emit()

    def clear(self) -> None:
        self.pending = []
        self.tray.clear()
        self.changed.emit()

    def send(self, start: Callable[[List[ImageAttachment]], Any],
             images: Optional[Sequence[ImageAttachment]] = None) -> Any:
        """Start a turn with ``images`` (default: the tray's) through ``start(images)``,
        which returns the turn or None. The tray empties once the turn has started and
        keeps its images otherwise. None while an image is still being prepared, or when
        they cannot fit one request (ImageError: the error banner says what to do)."""
        if images is None and self.busy:
            self.panel.set_status("an image is still being prepared: send again in a moment")
            return None
        chosen = list(self.pending if images is None else images)
        try:
            turn = start(chosen)
        except ImageError as exc:
            self.panel.show_error(exc.kind, exc.message, exc.hint)
            return None
        if turn is not None and self.pending:
            self.clear()
        return turn

    def restore_last(self, messages: Sequence[Any]) -> int:
        """Edit last: the last user message's images back in the tray, after any already
        there (one already in the tray is not added twice), so sending it again loses none;
        returns how many were added. Stored ones are read back from history (at most
        1024 px each: bounded); one that is gone is told in the notice bar."""
        last = next((m for m in reversed(messages) if m.role == "user"), None)
        if last is None or not last.images:
            return 0
        from nuke_ai_panel.images import ImageStore, is_image_ref
        have = {attachment.digest for attachment in self.pending}
        count = 0
        for image in last.images:
            stored = is_image_ref(image)
            # a stored image's name is its digest: one already in the tray is not read
            if (str(image["image"]).partition(".")[0] if stored else image.digest) in have:
                continue
            try:
                attachment = ImageStore().load(image) if stored else image
            except (ImageError, ValueError) as exc:
                self._tell(str(exc))
                continue
            have.add(attachment.digest)
            self._added(attachment, thumbnail(attachment.data, TRAY_PX))
            count += 1
        return count

    # -- paste (the prompt box asks) and drop (on the panel) -------------------------------

    def accepts(self, mime: QtCore.QMimeData) -> bool:
        return mime.hasImage() or bool(mime_image_paths(mime))

    def take_mime(self, mime: QtCore.QMimeData) -> bool:
        """Attach what ``mime`` holds (image files, or an image); False when it holds none
        (the prompt box then inserts its text as usual)."""
        paths = mime_image_paths(mime)
        if paths:
            return self.attach_files(paths) > 0
        if mime.hasImage():
            image = mime.imageData()
            if isinstance(image, QtGui.QPixmap):
                image = image.toImage()
            if isinstance(image, QtGui.QImage) and not image.isNull():
                return self.attach_qimage(image)
        return False

    def eventFilter(self, watched: Any, event: Any) -> bool:  # noqa: N802 - Qt's name
        kind = event.type()
        if watched is self.panel and kind in (QtCore.QEvent.DragEnter, QtCore.QEvent.DragMove):
            if self.accepts(event.mimeData()):
                event.acceptProposedAction()
                return True
        elif watched is self.panel and kind == QtCore.QEvent.Drop:
            if self.take_mime(event.mimeData()):
                event.acceptProposedAction()
                return True
        return super().eventFilter(watched, event)


def install_attachments(panel: Any) -> AttachmentController:
    """Give ``panel`` its attachment row above the prompt box; returns the controller,
    parented to the panel."""
    return AttachmentController(panel)
