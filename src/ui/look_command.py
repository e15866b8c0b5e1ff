"""``/look QUESTION``: show the model the frame, its pixel numbers and the nodes behind it.

Inside Nuke the frame is the active Viewer's, rendered through its display transform by
``Host.viewer_frame`` (temporary nodes, removed after; the script's text and undo history
are left as they were), with the pixel probe of the same frame in float. In the standalone
app, which has no Viewer, it is the last image in the attachment tray, probed from its own
8-bit values. Either way the upstream chain goes along as .nk text
(:mod:`nuke_ai_panel.images.look`). The render and the probe run on the image thread
(:mod:`.image_jobs`); the turn is sent when they are ready, with the question, the probe
and the chain as its text and the frame (plus any other images in the tray) as its images.
If the look cannot be made, the notice bar says why and the command goes back into the
empty prompt box, so nothing typed is lost.
"""

from __future__ import annotations

from functools import partial
from typing import Any, Optional

from nuke_ai_panel.graph.host import HostError
from nuke_ai_panel.images import ImageAttachment, ImageError
from nuke_ai_panel.logs import get_logger

__all__ = ["DEFAULT_QUESTION", "LookCommand", "is_look"]

log = get_logger("ui")

DEFAULT_QUESTION = "What do you see in this frame? Point out anything that looks wrong."
NO_IMAGE = ("/look needs a frame: the standalone app has no Viewer, so attach an image of the "
            "frame first (Attach\u2026, paste or drop), then run /look again.")


def is_look(text: str) -> bool:
    """Is ``text`` a ``/look`` command?"""
    words = text.strip().split(None, 1)
    return bool(words) and words[0].lower() == "/look"


class LookCommand:
    """``/look`` for one panel and its :class:`~.attachments.AttachmentController`."""

    def __init__(self, panel: Any, attachments: Any) -> None:
        self.panel = panel
        self.attachments = attachments

    def run(self, text: str) -> bool:
        """Start gathering the look; True when it started (the prompt box is cleared),
        False with a notice when it cannot."""
        panel, attachments = self.panel, self.attachments
        words = text.strip().split(None, 1)
        question = words[1].strip() if len(words) > 1 else DEFAULT_QUESTION
        if panel.streaming:
            panel.set_status("still answering: press Stop (Esc) first")
            return False
        if attachments.busy:
            panel.set_status("an image is still being prepared: try again in a moment")
            return False
        from nuke_ai_panel.images.look import image_look, viewer_look
        host = panel.host
        used: Optional[ImageAttachment] = None
        if attachments.can_render():
            job = partial(viewer_look, host)
            panel.set_status("rendering the Viewer frame\u2026")
        elif attachments.pending:
            used = attachments.pending[-1]
            job = partial(image_look, host, used) if host is not None else \
                partial(_look_without_graph, used)
            panel.set_status("reading the attached image\u2026")
        else:
            panel.notices.add(NO_IMAGE)
            return False
        return attachments.jobs.submit(job, partial(self._ready, text.strip(), question, used))

    def _ready(self, command: str, question: str, used: Optional[ImageAttachment], look: Any,
               error: Optional[BaseException]) -> None:
        panel = self.panel
        if error is not None:
            if isinstance(error, (HostError, ImageError)):
                text = f"/look could not read the frame: {error}"
            else:
                log.error("/look failed", exc_info=error)
                text = f"/look failed: {error}"
            self._give_back(command, text)
            return
        images = [look.attachment] + [a for a in self.attachments.pending if a is not used]
        if not panel.send_message(f"{question}\n\n{look.text()}", images=images):
            self._give_back(command, "")

    def _give_back(self, command: str, notice: str) -> None:
        panel = self.panel
        if notice:
            panel.notices.add(notice)
            panel.set_status("")
        if not panel.prompt.toPlainText().strip():
            panel.prefill(command)


def _look_without_graph(image: ImageAttachment) -> Any:
    """A look at ``image`` alone, for a panel with no node graph."""
    from nuke_ai_panel.images.look import Look, image_probe
    return Look(image, image_probe(image), "", None)
