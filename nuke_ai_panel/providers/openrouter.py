"""OpenRouter: OpenAI format, plus app-identifying headers and its own error shapes."""

from __future__ import annotations

from typing import Any, Dict, Mapping

from .. import errors
from .openai import OpenAIProvider

APP_URL = "https://github.com/nuke-ai-panel/nuke-ai-panel"
APP_TITLE = "Nuke AI Panel"


class OpenRouterProvider(OpenAIProvider):
    id = "openrouter"
    max_tokens_field = "max_tokens"

    def headers(self) -> Dict[str, str]:
        headers = super().headers()
        headers.setdefault("HTTP-Referer", APP_URL)
        headers.setdefault("X-Title", APP_TITLE)
        return headers

    def http_error(self, status: int, headers: Mapping[str, str], body: bytes,
                   model: str) -> errors.ProviderError:
        error = super().http_error(status, headers, body, model)
        raw = _upstream_message(errors.json_or_none(body))
        if raw and raw not in error.message:
            error = errors.ProviderError(error.kind, f"{error.message} ({raw})", error.hint,
                                         status=error.status)
        return error


def _upstream_message(data: Any) -> str:
    """OpenRouter puts the upstream provider's own words in error.metadata.raw."""
    if not isinstance(data, dict) or not isinstance(data.get("error"), dict):
        return ""
    metadata = data["error"].get("metadata")
    if isinstance(metadata, dict) and isinstance(metadata.get("raw"), str):
        return metadata["raw"][:200]
    return ""
