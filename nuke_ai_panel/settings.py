"""Plain value types shared by the engine, the config layer and the UI.

Kept free of I/O so the config loader builds them, the worker carries them across threads and
tests construct them directly.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from typing import Any, Dict, List, Mapping, Optional, Sequence, Tuple

from .tool_calls import ToolCall, ToolOutput


@dataclass(frozen=True)
class Deadlines:
    """DESIGN section 3: each wait has its own deadline, in seconds."""

    connect: float = 10.0
    first_token: float = 120.0
    idle: float = 60.0
    request: float = 30.0


@dataclass(frozen=True)
class RetryPolicy:
    """Retries before the first content only (DESIGN section 4)."""

    max_retries: int = 2
    base_delay: float = 0.5
    max_delay: float = 8.0
    max_retry_after: float = 60.0


@dataclass(frozen=True)
class ProviderSettings:
    """Everything a provider client needs for one call, resolved from config, env and keychain."""

    provider_id: str
    base_url: str
    api_key: Optional[str] = None
    model: str = ""
    deadlines: Deadlines = field(default_factory=Deadlines)
    retry: RetryPolicy = field(default_factory=RetryPolicy)
    extra_headers: Dict[str, str] = field(default_factory=dict)
    # False when the studio file keeps images from this provider (``image_providers``):
    # the request is then built without them (session.request.build_request).
    images_allowed: bool = True

    def __repr__(self) -> str:
        key = "set" if self.api_key else "none"
        return f"ProviderSettings({self.provider_id!r}, {self.base_url!r}, api_key={key}, model={self.model!r})"


@dataclass(frozen=True)
class Message:
    """One message of a request, provider-neutral; each provider writes its own shape.

    ``role``: ``user``, ``assistant`` or ``tool``. ``content``: the text. ``images``: the
    user's attachments (:class:`~nuke_ai_panel.images.ImageAttachment`), sized and capped
    already. ``tool_calls``: an assistant message's calls (:class:`ToolCall`). A ``tool``
    message carries the results of the previous assistant message's calls in
    ``tool_results`` (:class:`ToolOutput`), in the calls' order.
    """

    role: str
    content: str
    images: Tuple[Any, ...] = ()
    tool_calls: Tuple[ToolCall, ...] = ()
    tool_results: Tuple[ToolOutput, ...] = ()


AUTO = "auto"
NONE = "none"


@dataclass(frozen=True)
class ChatRequest:
    """One model call. ``tools``: the tools offered, provider-neutral
    ``{"name", "description", "parameters": JSON Schema}``; ``tool_choice``: ``auto``, or
    ``none`` for a last call that may not use them (the tools are still declared where the
    API needs them to read the calls already in the conversation)."""

    model: str
    messages: List[Message]
    system: Optional[str] = None
    temperature: Optional[float] = None
    max_tokens: Optional[int] = None
    request_id: str = field(default_factory=lambda: uuid.uuid4().hex[:12])
    tools: Sequence[Mapping[str, Any]] = ()
    tool_choice: str = AUTO

    @property
    def images(self) -> List[Any]:
        """Every image the request carries, in order."""
        return [image for m in self.messages for image in m.images]

    @property
    def offers_tools(self) -> bool:
        return bool(self.tools) and self.tool_choice != NONE
