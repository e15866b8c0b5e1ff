"""Google Gemini ``streamGenerateContent`` with ``alt=sse``: no [DONE], ends at EOF."""

from __future__ import annotations

from typing import Any, Dict, List, Mapping
from urllib.parse import quote

from .. import errors
from ..settings import ChatRequest
from .base import HttpRequest, ModelInfo, Parsed, Provider, int_or_none


class GeminiProvider(Provider):
    id = "gemini"

    def auth_headers(self) -> Dict[str, str]:
        key = self.settings.api_key
        return {"x-goog-api-key": key} if key else {}

    def chat_request(self, request: ChatRequest) -> HttpRequest:
        model = request.model[len("models/"):] if request.model.startswith("models/") else request.model
        contents = [
            {"role": "model" if m.role == "assistant" else "user", "parts": [{"text": m.content}]}
            for m in request.messages
        ]
        body: Dict[str, Any] = {"contents": contents}
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
        parsed = Parsed()
        error = data.get("error")
        if error:
            if isinstance(error, dict):
                parsed.error = str(error.get("message") or error.get("status") or error)
            else:
                parsed.error = str(error)
            return parsed
        usage = data.get("usageMetadata")
        if isinstance(usage, dict):
            parsed.prompt_tokens = int_or_none(usage.get("promptTokenCount"))
            parsed.completion_tokens = int_or_none(usage.get("candidatesTokenCount"))
        candidates = data.get("candidates")
        if not isinstance(candidates, list) or not candidates:
            return parsed
        candidate = candidates[0] if isinstance(candidates[0], dict) else {}
        parts = (candidate.get("content") or {}).get("parts") or []
        for part in parts:
            if not isinstance(part, dict) or not isinstance(part.get("text"), str):
                continue
            if part.get("thought"):
                parsed.reasoning += part["text"]
            else:
                parsed.text += part["text"]
        if candidate.get("finishReason"):
            parsed.finish_reason = str(candidate["finishReason"])
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
