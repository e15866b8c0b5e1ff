"""Plain value types shared by the engine, the config layer and the UI.

Kept free of I/O so the config loader builds them, the worker carries them across threads and
tests construct them directly.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from typing import Dict, List, Optional


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

    def __repr__(self) -> str:
        key = "set" if self.api_key else "none"
        return f"ProviderSettings({self.provider_id!r}, {self.base_url!r}, api_key={key}, model={self.model!r})"


@dataclass(frozen=True)
class Message:
    role: str  # "user" | "assistant"
    content: str


@dataclass(frozen=True)
class ChatRequest:
    model: str
    messages: List[Message]
    system: Optional[str] = None
    temperature: Optional[float] = None
    max_tokens: Optional[int] = None
    request_id: str = field(default_factory=lambda: uuid.uuid4().hex[:12])
