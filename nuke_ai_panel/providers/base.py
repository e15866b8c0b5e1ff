"""The small interface every provider implements.

A provider only knows its wire format: how to build the HTTP request, how to read one decoded
event, how to read an error body, and where its model list lives. Connections, deadlines,
retries and the event contract live once, in ``nuke_ai_panel.client``.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from typing import Any, Dict, FrozenSet, List, Mapping, Optional, Tuple, Union

from .. import errors
from ..errors import InbandError
from ..provider_info import ProviderInfo, provider_info
from ..settings import ChatRequest, ProviderSettings
from ..streaming import ERROR_EVENT, SSEEvent, load_json
from ..tool_calls import CallPiece
from .template import TextTemplate, learn

SSE = "sse"
NDJSON = "ndjson"


@dataclass(frozen=True)
class HttpRequest:
    method: str
    url: str
    headers: Dict[str, str] = field(default_factory=dict, repr=False)
    json: Optional[Dict[str, Any]] = None
    params: Optional[Dict[str, str]] = None


@dataclass
class Parsed:
    """What one stream event (or one complete JSON answer) meant, in the wire format's words.

    It only reports; :mod:`nuke_ai_panel.outcome` decides what the turn's outcome is.
    ``block`` is a refusal or filter signal that is not a finish reason (Gemini
    ``promptFeedback.blockReason``, OpenAI ``delta.refusal``, an Azure filter result marked
    ``filtered``); ``stop_detail`` the provider's words on why the answer stopped (safety
    ratings, the refusal text, Gemini's ``finishMessage``, Anthropic's ``stop_details``).
    ``unrecognised`` marks an event the parser understood none of, so an empty
    answer can quote it. ``tool_calls``: what the event said of the answer's tool calls
    (pieces of them: see :mod:`nuke_ai_panel.tool_calls`).
    """

    text: str = ""
    reasoning: str = ""
    finish_reason: Optional[str] = None
    prompt_tokens: Optional[int] = None
    completion_tokens: Optional[int] = None
    terminal: bool = False
    error: Optional[InbandError] = None
    malformed: bool = False
    unrecognised: bool = False
    block: Optional[str] = None
    stop_detail: str = ""
    tool_calls: Tuple[CallPiece, ...] = ()


# What reading one event gives: a plain ``str`` is the common case of an event that carries
# answer text and nothing else (no per-token Parsed is built for it), else a Parsed.
Read = Union[str, Parsed]


@dataclass(frozen=True)
class ModelInfo:
    id: str
    label: str = ""
    details: Dict[str, Any] = field(default_factory=dict)


class Provider:
    """Base for the providers; subclasses fill in the wire format."""

    id = ""
    stream_format = SSE
    done_data = ""  # SSE data that ends the stream, if the format has such a marker
    # For :mod:`.template`: the raw key before a text-only event's text (empty: no templates)
    # and the raw keys of string values this provider never reads.
    text_key = ""
    ignored_keys: Tuple[str, ...] = ()

    def __init__(self, settings: ProviderSettings) -> None:
        self.settings = settings
        self.info: ProviderInfo = provider_info(self.id)
        self.base_url = settings.base_url.rstrip("/")
        self._template: Optional[TextTemplate] = None
        self._learning = _LEARN_BUDGET

    def key_hint(self) -> str:
        env = self.info.key_env
        where = f", or set {env}" if env else ""
        return f"Check the API key in Settings{where}."

    def auth_headers(self) -> Dict[str, str]:
        return {}

    def headers(self) -> Dict[str, str]:
        headers = {"Accept": "application/json"}
        headers.update(self.auth_headers())
        headers.update(self.settings.extra_headers)
        return headers

    def chat_request(self, request: ChatRequest) -> HttpRequest:
        raise NotImplementedError

    def begin_response(self) -> None:
        """Called before each response is read: forget what the previous one said."""
        self._template = None
        self._learning = _LEARN_BUDGET
        self.reset()

    def reset(self) -> None:
        """Forget what the previous response said (a subclass's own state)."""

    def parse_event(self, event: SSEEvent) -> Parsed:
        """Read one SSE event (see :meth:`read_event`)."""
        return _as_parsed(self.read_event(event.event, event.data))

    def parse_line(self, line: str) -> Parsed:
        """Read one NDJSON line (see :meth:`read_line`)."""
        return _as_parsed(self.read_line(line))

    def read_event(self, event_name: str, data: str) -> Read:
        """Read one SSE event's data; an ``error`` event (named so, or an error-shaped unknown
        field) is an in-band error whatever its data, and :attr:`done_data` (OpenAI's
        ``[DONE]``) is the terminal event."""
        template = self._template
        if template is not None and template.event_name == event_name:
            text = template.text(data)
            if text is not None:
                return text
        if event_name == ERROR_EVENT:
            return Parsed(error=errors.inband_error(_json_or_text(data)))
        if data[:1] != "{" and self.done_data and data.strip() == self.done_data:
            return Parsed(terminal=True)
        return self._read_object(data, event_name)

    def read_line(self, line: str) -> Read:
        """Read one NDJSON line."""
        return self.read_json(line, "message")

    def read_json(self, text: str, event_name: str) -> Read:
        """Read one JSON object, the data of an event named ``event_name``: malformed JSON and
        anything but an object are counted, not fatal."""
        template = self._template
        if template is not None and template.event_name == event_name:
            quick = template.text(text)
            if quick is not None:
                return quick
        return self._read_object(text, event_name)

    def _read_object(self, text: str, event_name: str) -> Read:
        try:
            data = load_json(text)
        except ValueError:
            return Parsed(malformed=True)
        if type(data) is not dict:
            return Parsed(unrecognised=True)
        quick = self.quick_text(event_name, data)
        if quick is None:
            return self.parse_json(event_name, data)
        if self.text_key:
            self._learn(text, quick, event_name)
        return quick

    def _learn(self, text: str, quick: str, event_name: str) -> None:
        """Learn a template from a text-only event, within the budget: each attempt costs one,
        and a template that served its share of events gives one back when it is replaced."""
        old = self._template
        if old is not None and old.hits >= _HITS_PER_REFUND:
            self._learning += 1
            old.hits = 0
        if self._learning <= 0:
            return
        self._learning -= 1
        self._template = learn(text, quick, event_name, self.text_key, self.ignored_keys,
                               lambda probe: self._quick_only(probe, event_name)) or old

    def _quick_only(self, text: str, event_name: str) -> Optional[str]:
        try:
            data = load_json(text)
        except ValueError:
            return None
        return self.quick_text(event_name, data) if type(data) is dict else None

    def quick_text(self, event_name: str, data: Dict[str, Any]) -> Optional[str]:
        """The answer text of an event that carries non-empty text and nothing else, or None
        to have :meth:`parse_json` read it. A cheap check of the one shape that comes once per
        token; it must say None for anything :meth:`parse_json` would read more from."""
        return None

    def parse_json(self, event_name: str, data: Dict[str, Any]) -> Parsed:
        """Read one decoded object: a stream chunk, or the provider's complete non-streaming
        answer (which also sets ``terminal``)."""
        raise NotImplementedError

    def models_request(self) -> HttpRequest:
        raise NotImplementedError

    def parse_models(self, data: Any) -> List[ModelInfo]:
        raise NotImplementedError

    def version_request(self) -> Optional[HttpRequest]:
        return None

    def capabilities_request(self, model: str) -> Optional[HttpRequest]:
        """A request that says what ``model`` can take (tools, images), or None when this
        API has no such call (then whether it can is learned from the answer)."""
        return None

    def parse_capabilities(self, data: Any) -> Optional[FrozenSet[str]]:
        """The capability words in the answer to :meth:`capabilities_request` (None when it
        names none)."""
        return None

    def parse_version(self, data: Any) -> Optional[str]:
        """``{"version": "..."}``, the shape Ollama, vLLM and llama.cpp servers answer with."""
        if isinstance(data, dict) and isinstance(data.get("version"), str):
            return data["version"]
        return None

    def http_error(self, status: int, headers: Mapping[str, str], body: bytes,
                   model: str) -> errors.ProviderError:
        """Turn an HTTP error response into an error that quotes the server."""
        data = errors.json_or_none(body)
        server_message = errors.error_message_from_json(data)
        if server_message is None and errors.looks_like_html(body):
            server_message = f"an HTML page: {errors.html_summary(body)}"
            if status == 404:
                return errors.ProviderError(
                    errors.CONFIG, f"HTTP 404 from {self.base_url}: {server_message}",
                    f"Check the base URL in Settings; {self.base_url} does not look like "
                    f"the {self.info.label} API.", status=status)
        if server_message is None:
            server_message = errors.body_excerpt(body) or "no details given"
        kind = errors.kind_for_status(status)
        message = f"HTTP {status}: {server_message}"
        hint = self.hint(kind, model, status)
        if kind == errors.BAD_REQUEST:
            hint = unsupported_input_hint(server_message, model) or hint
        return errors.ProviderError(kind, message, hint, status=status)

    def hint(self, kind: str, model: str = "", status: Optional[int] = None) -> str:
        host = self.base_url
        if kind == errors.CONNECT:
            return f"Check that the server at {host} is running and reachable (network, VPN, proxy)."
        if kind == errors.CONNECT_TIMEOUT:
            return f"{host} did not accept a connection in time: check the address, VPN or proxy."
        if kind == errors.FIRST_TOKEN_TIMEOUT:
            return ("The model sent nothing in time; it may be busy or still loading. Try again, "
                    "or raise the first-token deadline in Settings.")
        if kind == errors.IDLE_TIMEOUT:
            return ("The model stopped sending mid-answer. Try again, or raise the idle deadline "
                    "in Settings.")
        if kind == errors.AUTH:
            if status == 402:
                return "Check the account's credits or billing, and the API key in Settings."
            return self.key_hint()
        if kind == errors.RATE_LIMIT:
            return "The provider is rate limiting this key: wait a moment and try again."
        if kind == errors.MODEL_NOT_FOUND:
            return f"Model {model!r} is not available here: pick one from the refreshed model list."
        if kind == errors.BAD_REQUEST:
            return ("The provider refused the request; if the conversation is long, start a New "
                    "chat or pick a model with a larger context.")
        if kind == errors.SERVER:
            return "The provider is having trouble; try again in a moment."
        if kind == errors.STREAM:
            return "The provider reported an error while answering. Try again."
        if kind == errors.TRUNCATED:
            return "The connection ended before the answer was complete. Try again."
        if kind == errors.BLOCKED:
            return ("Rephrase the request or try another model; the same request is usually "
                    "blocked again.")
        if kind == errors.EMPTY:
            return (f"Try again or pick another model. If it keeps happening, check that {host} "
                    f"answers like the {self.info.label} API.")
        if kind == errors.PROTOCOL:
            return (f"{host} does not answer like the {self.info.label} API: check the base URL "
                    "and provider in Settings.")
        return ""


# A refusal that says the model cannot take tools or images: "does not support tools"
# (Ollama), "tools are not supported", "No endpoints found that support tool use"
# (OpenRouter), '"auto" tool choice requires --enable-auto-tool-choice' (vLLM), "image_url
# is only supported by certain models" (OpenAI), "this model is missing data required for
# image input" (Ollama)...
_TOOLS = r"(tools?|tool use|tool calling|tool[_ ]choice|function calling|function calls?)"
_IMAGES = r"(images?|image input|image_url|vision|multimodal input)"
_REFUSAL = (r"((not|n't|no|only)\b[^.;]{0,40}?\b(support|supported|available|enabled|allowed)"
            r"|missing data required for|requires? --enable)")


def _refuses(words: str) -> "re.Pattern[str]":
    return re.compile(rf"(\b{_REFUSAL}[^.;]{{0,30}}?\b{words}\b)|(\b{words}\b[^.;]{{0,40}}?"
                      rf"\b{_REFUSAL})", re.I)


_NAMES_TOOLS = _refuses(_TOOLS)
_NAMES_IMAGES = _refuses(_IMAGES)
NO_TOOLS_HINT = ("This model or server does not take tools, so agent mode cannot work with "
                 "it: pick a model that supports tool calling, or use the one-shot helpers "
                 "(/explain, /build, /expr), which need no tools.")
NO_IMAGES_HINT = ("This model takes no image input: send the question without the image, or "
                  "pick a model that can see images (a vision model).")


def unsupported_input_hint(server_message: str, model: str = "") -> str:
    """The hint for a refused request (400/422) whose message names tools or images: the
    model or server does not take them. "" when it names neither."""
    if _NAMES_TOOLS.search(server_message):
        return NO_TOOLS_HINT
    if _NAMES_IMAGES.search(server_message):
        return NO_IMAGES_HINT
    return ""


def content_parts(content: Any) -> Tuple[str, str]:
    """(answer text, reasoning text) of a message content given as typed parts, in order.

    ``text`` parts (and untyped parts with a ``text``) are answer text; ``thinking`` /
    ``reasoning`` parts are reasoning, whose ``thinking`` may itself be a string or a list of
    text parts (Mistral's Magistral models stream ``[{"type": "thinking", "thinking":
    [{"type": "text", "text": ...}]}]``). Other parts (images, references) carry no text.
    """
    if isinstance(content, str):
        return content, ""
    if isinstance(content, dict):
        content = [content]
    if not isinstance(content, list):
        return "", ""
    text: List[str] = []
    reasoning: List[str] = []
    for part in content:
        if isinstance(part, str):
            text.append(part)
        elif isinstance(part, dict):
            kind = part.get("type")
            if kind in ("thinking", "reasoning"):
                reasoning.append(_flat_text(
                    part.get("thinking") or part.get("reasoning") or part.get("text")))
            elif isinstance(part.get("text"), str):
                text.append(part["text"])
    return "".join(text), "".join(reasoning)


def _flat_text(value: Any) -> str:
    if isinstance(value, str):
        return value
    if isinstance(value, dict):
        return _flat_text(value.get("text"))
    if isinstance(value, list):
        return "".join(_flat_text(v) for v in value)
    return ""


# How many times one response may try to learn a template: a stream with no fixed parts stops
# paying for it, while one whose fixed parts change now and then (a server that stamps each
# chunk with the second) earns another try with every template that served.
_LEARN_BUDGET = 4
_HITS_PER_REFUND = 16


def _as_parsed(read: Read) -> Parsed:
    return Parsed(text=read) if isinstance(read, str) else read


def only_keys(data: Dict[str, Any], allowed: frozenset) -> bool:
    """True if every field of ``data`` outside ``allowed`` is empty (null, "", 0, {}, [])."""
    if data.keys() <= allowed:
        return True
    for key, value in data.items():
        if value and key not in allowed:
            return False
    return True


def _json_or_text(data: str) -> Any:
    try:
        return json.loads(data)
    except ValueError:
        return data


def int_or_none(value: Any) -> Optional[int]:
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, float):
        return int(value)
    return None
