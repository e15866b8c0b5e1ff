"""What a turn sends: the target (provider settings and system prompt) and the request built
from the conversation or from a helper's prompt.

This is the one place a :class:`~nuke_ai_panel.settings.ChatRequest` is made for a turn, so
images and tool definitions (DESIGN sections 11 and 13) get added here, once, for the panel,
the helpers, the agent loop and the command line alike.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import List, Optional, Protocol, Sequence

from ..history import HistoryMessage
from ..settings import ChatRequest, Message, ProviderSettings

__all__ = ["HelperPrompt", "Target", "build_request", "request_messages"]


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
    messages are joined, since some APIs insist on alternating roles.
    """
    last_user = max((i for i, m in enumerate(messages) if m.role == "user"), default=-1)
    out: List[Message] = []
    for message in messages[:last_user + 1]:
        if not message.text.strip():
            continue
        if out and out[-1].role == message.role:
            if message.role == "user":
                out[-1] = Message("user", out[-1].content + "\n\n" + message.text)
            else:
                out[-1] = Message("assistant", message.text)
            continue
        out.append(Message(message.role, message.text))
    return out


def build_request(history: Sequence[HistoryMessage], target: Target,
                  helper: Optional[HelperPrompt] = None) -> ChatRequest:
    """The request for the next answer: the conversation so far under the target's system
    prompt, or, for a helper turn, the helper's own messages and system prompt."""
    if helper is not None:
        messages, system = list(helper.messages()), helper.system
    else:
        messages, system = request_messages(history), target.system_prompt or None
    return ChatRequest(model=target.model, messages=messages, system=system,
                       temperature=target.temperature, max_tokens=target.max_tokens)
