"""The abstract script a protocol server plays, independent of any wire format.

Stream steps (text, reasoning, finish, in-band error, keep-alive, malformed chunk) are encoded
by each protocol's encoder; pacing and fault actions (pause, stall, drop) are carried out by the
server; a :class:`Scenario` adds the faults around the body (an HTTP error, an HTML page,
stalled or late headers, odd line endings, one-byte writes).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import List, Optional, Tuple, Union


@dataclass(frozen=True)
class Text:
    text: str
    index: int = 0  # the choice index (OpenAI n > 1)


@dataclass(frozen=True)
class Reasoning:
    text: str


@dataclass(frozen=True)
class Finish:
    # "stop" | "length" | "tool_calls"; each encoder maps it to its own word
    reason: str = "stop"


@dataclass(frozen=True)
class ToolCallStep:
    """One tool call in the answer, in the protocol's own shape: ``arguments`` is the JSON
    text; ``id`` "" sends none (where the protocol allows it); ``fragments`` > 1 splits the
    arguments over that many chunks (protocols that stream them); ``signature`` is Gemini's
    thoughtSignature on the part; ``whole_with_null`` sends OpenAI's call in one chunk with
    ``content: null`` beside it (Mistral, llama.cpp, vLLM)."""

    name: str
    arguments: str = "{}"
    id: str = ""
    fragments: int = 1
    signature: str = ""
    whole_with_null: bool = False


@dataclass(frozen=True)
class InbandError:
    message: str
    variant: str = ""  # "vllm": {"object": "error", ...} instead of {"error": {...}}


@dataclass(frozen=True)
class KeepAlive:
    pass


@dataclass(frozen=True)
class Malformed:
    pass


@dataclass(frozen=True)
class Pause:
    seconds: float


@dataclass(frozen=True)
class Stall:
    """Send nothing more, forever; with ``ping_every``, only keep-alives."""

    ping_every: Optional[float] = None


@dataclass(frozen=True)
class Drop:
    """Close the TCP connection abruptly, without finishing the chunked body."""


Step = Union[Text, Reasoning, Finish, ToolCallStep, InbandError, KeepAlive, Malformed, Pause,
             Stall, Drop]


@dataclass(frozen=True)
class HttpError:
    status: int
    # invalid_request | auth | permission | not_found | rate_limit | server | unavailable |
    # overloaded: each encoder maps it to its own error type / status word
    category: str
    message: str
    headers: Tuple[Tuple[str, str], ...] = ()
    reason: Optional[str] = None  # Gemini's ErrorInfo reason, e.g. API_KEY_INVALID


@dataclass(frozen=True)
class HtmlPage:
    status: int
    html: str


@dataclass
class Scenario:
    name: str
    steps: List[Step] = field(default_factory=list)
    http_error: Optional[HttpError] = None
    html: Optional[HtmlPage] = None
    stall_headers: bool = False
    header_delay: float = 0.0
    prelude: bool = True  # the protocol's opening bytes (role chunk, message_start...)
    newline: Optional[str] = None  # None: the protocol's own line ending
    bytewise: bool = False
    choices: int = 1

    @property
    def text(self) -> str:
        """The answer text a client shows (choice 0)."""
        return "".join(s.text for s in self.steps if isinstance(s, Text) and s.index == 0)

    @property
    def reasoning(self) -> str:
        return "".join(s.text for s in self.steps if isinstance(s, Reasoning))

    @property
    def error_message(self) -> Optional[str]:
        """The server's own words a client should quote, if the scenario fails."""
        if self.http_error is not None:
            return self.http_error.message
        for step in self.steps:
            if isinstance(step, InbandError):
                return step.message
        return None
