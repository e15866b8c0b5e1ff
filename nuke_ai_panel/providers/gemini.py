"""Google Gemini ``streamGenerateContent`` with ``alt=sse``: no [DONE], ends at EOF."""

from __future__ import annotations

from typing import Any, Dict, List, Mapping
from urllib.parse import quote

from .. import errors
from ..settings import ChatRequest
from .base import HttpRequest, ModelInfo, Parsed, Provider, int_or_none
from .gemini_wire import apply_tools, contents, read_part


class GeminiProvider(Provider):
    id = "gemini"
    _calls_seen = 0  # functionCall parts read in this response: each is one call

    def reset(self) -> None:
        self._calls_seen = 0

    def auth_headers(self) -> Dict[str, str]:
        key = self.settings.api_key
        return {"x-goog-api-key": key} if key else {}

    def chat_request(self, request: ChatRequest) -> HttpRequest:
        model = request.model[len("models/"):] if request.model.startswith("models/") else request.model
        body: Dict[str, Any] = {"contents": contents(request)}
        apply_tools(body, request)
        if request.system:
            body["systemInstruction"] = {"parts": [{"text": request.system}]}
        config: Dict[str, Any] = {}
        if request.temperature is not None:
            config["temperature"] = request.temperature
        if request.max_tokens is not None:
            config["maxOutputTokens"] = request.max_tokens
        if config:
            body["generationConfig"] = config
        headers = self.headers()
        headers["Accept"] = "text/event-stream"
        url = f"{self.base_url}/models/{quote(model, safe='-._')}:streamGenerateContent"
        return HttpRequest("POST", url, headers, body, params={"alt": "sse"})

    def http_error(self, status: int, headers: Mapping[str, str], body: bytes,
                   model: str) -> errors.ProviderError:
        """Gemini answers a bad key with 400 INVALID_ARGUMENT; the artist needs ``auth``."""
        error = super().http_error(status, headers, body, model)
        if status == 400 and (b"API_KEY_INVALID" in body or b"API key not valid" in body):
            return errors.ProviderError(errors.AUTH, error.message, self.hint(errors.AUTH),
                                        status=status)
        return error

    def parse_json(self, event_name: str, data: Dict[str, Any]) -> Parsed:
        """One GenerateContentResponse: a stream chunk, or (in a JSON array) a whole answer.

        A blocked prompt comes as ``promptFeedback.blockReason`` with no candidates; a blocked
        answer as a candidate whose ``finishReason`` names the filter, with ``safetyRatings``.
        """
        parsed = Parsed()
        if data.get("error"):
            parsed.error = errors.inband_error(data)
            return parsed
        usage = data.get("usageMetadata")
        if isinstance(usage, dict):
            parsed.prompt_tokens = int_or_none(usage.get("promptTokenCount"))
            parsed.completion_tokens = int_or_none(usage.get("candidatesTokenCount"))
        feedback = data.get("promptFeedback")
        if isinstance(feedback, dict) and feedback.get("blockReason"):
            parsed.block = str(feedback["blockReason"])
            parsed.stop_detail = _words(feedback.get("blockReasonMessage"),
                                         feedback.get("safetyRatings"))
        candidates = data.get("candidates")
        if not isinstance(candidates, list) or not candidates:
            parsed.unrecognised = not isinstance(usage, dict) and not isinstance(feedback, dict)
            return parsed
        candidate = next((c for c in candidates if isinstance(c, dict)), {})
        content = candidate.get("content")
        parts = content.get("parts") if isinstance(content, dict) else None
        calls = []
        for part in parts if isinstance(parts, list) else ():
            text = part.get("text") if isinstance(part, dict) else None
            if not isinstance(text, str):
                call = read_part(part, self._calls_seen) if isinstance(part, dict) else ()
                if call:
                    calls.extend(call)
                    self._calls_seen += 1
                else:
                    parsed.unrecognised = True  # code, an image...: no text read
                continue
            if part.get("thought"):
                parsed.reasoning += text
            else:
                parsed.text += text
        parsed.tool_calls = tuple(calls)
        finish = candidate.get("finishReason")
        if finish:
            parsed.finish_reason = str(finish)
            if finish not in ("STOP", "MAX_TOKENS"):
                parsed.stop_detail = _words(candidate.get("finishMessage"),
                                             candidate.get("safetyRatings"))
        return parsed

    def models_request(self) -> HttpRequest:
        return HttpRequest("GET", f"{self.base_url}/models", self.headers(),
                           params={"pageSize": "1000"})

    def parse_models(self, data: Any) -> List[ModelInfo]:
        items = data.get("models") if isinstance(data, dict) else None
        if not isinstance(items, list):
            raise ValueError("no 'models' list in the model list")
        models = []
        for item in items:
            if not isinstance(item, dict) or not item.get("name"):
                continue
            methods = item.get("supportedGenerationMethods")
            if isinstance(methods, list) and "generateContent" not in methods:
                continue
            name = str(item["name"])
            model_id = name[len("models/"):] if name.startswith("models/") else name
            models.append(ModelInfo(model_id, str(item.get("displayName") or model_id), item))
        return models


def _words(message: Any, ratings: Any) -> str:
    """The reason in Gemini's words: its message, then the safety ratings that blocked (or,
    if none says ``blocked``, those rated MEDIUM or HIGH)."""
    words = [message] if isinstance(message, str) and message else []
    if isinstance(ratings, list):
        rated = [r for r in ratings if isinstance(r, dict)]
        flagged = [r for r in rated if r.get("blocked") is True] or \
            [r for r in rated if r.get("probability") in ("MEDIUM", "HIGH")]
        words += [f"{r.get('category')} {r.get('probability')}".replace(" None", "")
                  for r in flagged]
    return ", ".join(words)
