"""OpenAI chat completions: the wire format most servers speak (PROTOCOLS.md)."""

from __future__ import annotations

from typing import Any, Dict, List, Mapping, Optional

from .. import errors
from ..settings import ChatRequest, ProviderSettings
from .base import HttpRequest, ModelInfo, Parsed, Provider, content_parts, int_or_none, only_keys
from .openai_wire import CallReader, apply_tools, chat_messages

# The fields of a chunk, its choice and its delta that a text-only chunk may carry (others
# must be empty; ``usage``, ``object`` and ``finish_reason`` are checked on their own):
# anything else goes through the full parse.
_CHUNK_FIELDS = frozenset(("id", "object", "created", "model", "system_fingerprint", "choices",
                           "service_tier", "provider", "obfuscation", "usage"))
_CHOICE_FIELDS = frozenset(("index", "delta", "logprobs", "finish_reason"))
_DELTA_FIELDS = frozenset(("role", "content"))


class OpenAIProvider(Provider):
    id = "openai"
    done_data = "[DONE]"
    include_usage = True
    max_tokens_field = "max_completion_tokens"
    _choice: Optional[int] = None
    text_key = '"content":'
    ignored_keys = ('"obfuscation":',)  # random padding OpenAI adds to each chunk
    image_style = "openai"

    def __init__(self, settings: ProviderSettings) -> None:
        super().__init__(settings)
        self._calls = CallReader()

    def wire_messages(self, request: ChatRequest) -> List[Dict[str, Any]]:
        """The request's messages in this API's shape (see :mod:`.openai_wire`)."""
        return chat_messages(request, self.image_style)

    def auth_headers(self) -> Dict[str, str]:
        key = self.settings.api_key
        return {"Authorization": f"Bearer {key}"} if key else {}

    def chat_request(self, request: ChatRequest) -> HttpRequest:
        body: Dict[str, Any] = {"model": request.model, "messages": self.wire_messages(request),
                                "stream": True}
        apply_tools(body, request)
        if self.include_usage:
            body["stream_options"] = {"include_usage": True}
        if request.temperature is not None:
            body["temperature"] = request.temperature
        if request.max_tokens is not None:
            body[self.max_tokens_field] = request.max_tokens
        headers = self.headers()
        headers["Accept"] = "text/event-stream"
        return HttpRequest("POST", f"{self.base_url}/chat/completions", headers, body)

    def reset(self) -> None:
        self._choice: Optional[int] = None
        self._calls = CallReader()

    def quick_text(self, event_name: str, data: Dict[str, Any]) -> Optional[str]:
        """A ``chat.completion.chunk`` whose one choice (the one this turn shows) has a delta
        of text alone: no finish reason, reasoning, refusal, tool call, usage or filter."""
        want = self._choice
        choices = data.get("choices")
        if want is None or type(choices) is not list or len(choices) != 1:
            return None
        choice = choices[0]
        if type(choice) is not dict or choice.get("index", want) != want or \
                choice.get("finish_reason"):
            return None
        delta = choice.get("delta")
        if type(delta) is not dict:
            return None
        text = delta.get("content")
        if type(text) is not str or not text or data.get("usage") or \
                data.get("object") in _NOT_CHUNKS:
            return None
        if only_keys(delta, _DELTA_FIELDS) and only_keys(choice, _CHOICE_FIELDS) and \
                only_keys(data, _CHUNK_FIELDS):
            return text
        return None

    def parse_json(self, event_name: str, data: Dict[str, Any]) -> Parsed:
        """A ``chat.completion.chunk`` (``choices[].delta``) or a whole ``chat.completion``
        (``choices[].message``, which ends the answer)."""
        parsed = Parsed()
        if data.get("error") or data.get("object") == "error":
            parsed.error = errors.inband_error(data)
            return parsed
        usage = data.get("usage")
        if isinstance(usage, dict):
            parsed.prompt_tokens = int_or_none(usage.get("prompt_tokens"))
            parsed.completion_tokens = int_or_none(usage.get("completion_tokens"))
        prompt_filter = data.get("prompt_filter_results") or data.get("prompt_annotations")
        if prompt_filter:
            _filter_results(prompt_filter, parsed)
        choices = data.get("choices")
        if not isinstance(choices, list):
            parsed.unrecognised = not isinstance(usage, dict) and not prompt_filter
            return parsed
        choice = self._pick(choices)
        if choice is None:
            return parsed
        message = choice.get("delta")
        whole = not isinstance(message, dict)
        if whole:
            message = choice.get("message")
        if isinstance(message, dict):
            _read_message(message, parsed)
            calls = message.get("tool_calls")
            if calls:
                parsed.tool_calls = self._calls.read(calls, whole)
        elif isinstance(choice.get("text"), str):  # the completions shape some servers send
            parsed.text = choice["text"]
        finish = choice.get("finish_reason") or choice.get("finishReason")
        if isinstance(finish, dict):  # sglang's native shape: {"type": "abort", ...}
            finish = finish.get("type")
        native = choice.get("native_finish_reason")
        if native in ("error", "network_error"):  # OpenRouter: the upstream failed
            finish = native
        if isinstance(finish, str) and finish:
            parsed.finish_reason = finish
        filters = choice.get("content_filter_results")
        if filters:
            _filter_results([{"content_filter_results": filters}], parsed)
        if data.get("object") == "chat.completion" or (whole and parsed.finish_reason
                                                       and isinstance(message, dict)):
            parsed.terminal = True
        return parsed

    def _pick(self, choices: List[Any]) -> Optional[Dict[str, Any]]:
        """The choice this turn shows: the lowest index of the first chunk that has choices
        (not always 0: some servers number a single choice otherwise), then that index."""
        want = self._choice
        if want is None:
            indexes = [c.get("index", 0) for c in choices if isinstance(c, dict)]
            if not indexes:
                return None
            numbers = [i for i in indexes if isinstance(i, int) and not isinstance(i, bool)]
            want = self._choice = min(numbers) if numbers else 0
        for choice in choices:
            if isinstance(choice, dict):
                index = choice.get("index", want)
                if index == want or not isinstance(index, int):
                    return choice
        return None

    def http_error(self, status: int, headers: Mapping[str, str], body: bytes,
                   model: str) -> errors.ProviderError:
        """Azure OpenAI refuses a prompt its content filter blocks with 400 and code
        ``content_filter``: that is ``blocked``, not a bad request."""
        error = super().http_error(status, headers, body, model)
        data = errors.json_or_none(body)
        detail = data.get("error") if isinstance(data, dict) else None
        if isinstance(detail, dict):
            inner = detail.get("innererror")
            inner_code = inner.get("code") if isinstance(inner, dict) else None
            if detail.get("code") == "content_filter" or \
                    inner_code == "ResponsibleAIPolicyViolation":
                return errors.ProviderError(
                    errors.BLOCKED, f"Blocked by the provider's content filter: {error.message}",
                    self.hint(errors.BLOCKED), status=status)
        return error

    def models_request(self) -> HttpRequest:
        return HttpRequest("GET", f"{self.base_url}/models", self.headers())

    def parse_models(self, data: Any) -> List[ModelInfo]:
        items = data.get("data") if isinstance(data, dict) else None
        if not isinstance(items, list):
            raise ValueError("no 'data' list in the model list")
        models = [ModelInfo(str(m["id"]), str(m.get("name") or m["id"]), m)
                  for m in items if isinstance(m, dict) and m.get("id")]
        return sorted(models, key=lambda m: m.id)


def _read_message(message: Dict[str, Any], parsed: Parsed) -> None:
    """Text, reasoning and refusal of a ``delta`` or ``message``; content may be a string or a
    list of typed parts (Mistral, some OpenAI-compatible servers)."""
    content = message.get("content")
    if isinstance(content, str):
        parsed.text = content
    elif content:
        parsed.text, parsed.reasoning = content_parts(content)
    elif isinstance(message.get("text"), str):  # a server that names the field "text"
        parsed.text = message["text"]
    reasoning = message.get("reasoning_content") or message.get("reasoning")
    if isinstance(reasoning, str):
        parsed.reasoning += reasoning
    elif isinstance(message.get("reasoning_details"), list):
        parsed.reasoning += content_parts(message["reasoning_details"])[0]
    refusal = message.get("refusal")
    refusal = (refusal if isinstance(refusal, str) else "") + _refusal_parts(content)
    if refusal:
        parsed.block = "refusal"
        parsed.stop_detail = refusal
    elif not (parsed.text or parsed.reasoning):
        # nothing read: remember a delta that carried something else (or content parts with
        # no text), so "empty" can quote it
        parsed.unrecognised = isinstance(content, list) and bool(content) or any(
            value and key not in _KNOWN_FIELDS for key, value in message.items())


def _refusal_parts(content: Any) -> str:
    """The text of ``{"type": "refusal", "refusal": ...}`` parts in a list-shaped content (the
    chat-completions content part for a refusal), joined in order; "" for other content."""
    if not isinstance(content, list):
        return ""
    return "".join(part["refusal"] for part in content
                   if isinstance(part, dict) and part.get("type") == "refusal"
                   and isinstance(part.get("refusal"), str))


_NOT_CHUNKS = ("error", "chat.completion")

# Message fields that carry no answer text, or that are read above.
_KNOWN_FIELDS = frozenset((
    "role", "content", "refusal", "reasoning", "reasoning_content", "reasoning_details",
    "tool_calls", "function_call", "audio", "annotations", "name", "text"))


def _filter_results(results: Any, parsed: Parsed) -> None:
    """Azure OpenAI's content filter annotations: a category marked ``filtered`` is a block."""
    if not isinstance(results, list):
        return
    hit = []
    for result in results:
        categories = result.get("content_filter_results") if isinstance(result, dict) else None
        if not isinstance(categories, dict):
            continue
        for name, verdict in categories.items():
            if isinstance(verdict, dict) and verdict.get("filtered") is True:
                severity = verdict.get("severity")
                hit.append(f"{name} {severity}" if isinstance(severity, str) else str(name))
    if hit:
        parsed.block = "content_filter"
        parsed.stop_detail = ", ".join(hit)
