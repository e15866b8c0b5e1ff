"""What a turn sends: the target (provider settings and system prompt) and the request built
from the conversation or from a helper's prompt.

This is the one place a :class:`~nuke_ai_panel.settings.ChatRequest` is made for a turn, so
images and tool definitions (DESIGN sections 11 and 13) get added here, once, for the panel,
the helpers, the agent loop and the command line alike.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, List, Optional, Protocol, Sequence

from ..history import HistoryMessage
from ..logs import get_logger
from ..settings import ChatRequest, Message, ProviderSettings

log = get_logger(__name__)

__all__ = ["HelperPrompt", "Target", "build_request", "images_refused", "request_messages"]


@dataclass(frozen=True)
class Target:
    """Where and how a turn is sent: ``settings`` as :meth:`Config.resolve` gave them (key,
    URL, model, deadlines, retries), the conversation's system prompt ("" for none), and the
    optional sampling settings."""

    settings: ProviderSettings
    system_prompt: str = ""
    temperature: Optional[float] = None
    max_tokens: Optional[int] = None

    @property
    def provider(self) -> str:
        return self.settings.provider_id

    @property
    def model(self) -> str:
        return self.settings.model


class HelperPrompt(Protocol):
    """A helper turn (``/explain``, ``/build``...): the transcript shows ``display``, the
    model gets ``messages()`` under the helper's own ``system`` prompt, without the rest of
    the conversation. :class:`nuke_ai_panel.assist.prompts.HelperRequest` is one."""

    display: str
    system: str

    def messages(self) -> List[Message]:
        ...


def request_messages(messages: Sequence[HistoryMessage]) -> List[Message]:
    """What the model sees of a conversation.

    Everything up to the last user message (a retry resends that turn); empty answers are
    left out, a retried answer replaces the failed one before it, and consecutive user
    messages are joined, since some APIs insist on alternating roles. A user message's
    images come along (read back from the history's image folder when they were saved;
    one that is gone is left out, with a warning in the log).
    """
    last_user = max((i for i, m in enumerate(messages) if m.role == "user"), default=-1)
    out: List[Message] = []
    for message in messages[:last_user + 1]:
        images = _attachments(message.images) if message.role == "user" else ()
        if not message.text.strip() and not images:
            continue
        if out and out[-1].role == message.role:
            if message.role == "user":
                joined = "\n\n".join(t for t in (out[-1].content, message.text) if t)
                out[-1] = Message("user", joined, out[-1].images + images)
            else:
                out[-1] = Message("assistant", message.text)
            continue
        out.append(Message(message.role, message.text, images))
    return out


def _attachments(images: Sequence[Any]) -> tuple:
    """A message's images as attachments: a history reference is looked up among the
    prepared images (:mod:`~nuke_ai_panel.images.fitting`: no disk read, no hashing), else
    read from the store."""
    if not images:
        return ()
    from ..images import ImageError, ImageStore, is_image_ref
    from ..images.fitting import attachment_for
    store = ImageStore()
    out = []
    for image in images:
        if not is_image_ref(image):
            out.append(image)
            continue
        try:
            out.append(attachment_for(image) or store.load(image))
        except (ImageError, ValueError) as exc:
            log.warning("an image of the conversation is left out: %s", exc)
    return tuple(out)


def build_request(history: Sequence[HistoryMessage], target: Target,
                  helper: Optional[HelperPrompt] = None,
                  system: Optional[str] = None) -> ChatRequest:
    """The request for the next answer: the conversation so far under the target's system
    prompt (or ``system``), or, for a helper turn, the helper's own messages and system
    prompt. Its images are fitted to the per-request size cap
    (:func:`~nuke_ai_panel.images.fit_to_cap`): ImageError ``images_over_cap`` when they
    cannot fit, before anything is sent. When the studio file keeps images from the
    target's provider (``settings.images_allowed`` False) the request carries none: this is
    the one place that decides it, for every front end (see :func:`images_refused`)."""
    if helper is not None:
        messages, prompt = list(helper.messages()), helper.system
    else:
        messages, prompt = request_messages(history), target.system_prompt or None
    if system is not None:
        prompt = system
    if any(m.images for m in messages) and not target.settings.images_allowed:
        messages = [Message(m.role, m.content, (), m.tool_calls, m.tool_results)
                    for m in messages]
    if any(m.images for m in messages):
        messages = _fitted(messages)
    return ChatRequest(model=target.model, messages=messages, system=prompt,
                       temperature=target.temperature, max_tokens=target.max_tokens)


def images_refused(history: Sequence[HistoryMessage], target: Target,
                   helper: Optional[HelperPrompt] = None) -> str:
    """The artist's one-line reason when the conversation has images that the studio file
    keeps from ``target``'s provider (they are left out of the request), else ""."""
    if target.settings.images_allowed:
        return ""
    messages = list(helper.messages()) if helper is not None else request_messages(history)
    images = [image for m in messages for image in m.images]
    if not images:
        return ""
    labels = ", ".join(str(getattr(i, "label", "image")) for i in images)
    return (f"The studio configuration does not allow images to be sent to "
            f"{target.provider} (image_providers), so the text went without them: {labels}.")


def _fitted(messages: List[Message]) -> List[Message]:
    from ..images import request as image_request
    fitted = iter(image_request.fit_to_cap([image for m in messages for image in m.images],
                                           image_request.DEFAULT_REQUEST_CAP))
    return [Message(m.role, m.content, tuple(next(fitted) for _ in m.images), m.tool_calls,
                    m.tool_results) for m in messages]
