"""Static facts about each provider: ids, default URLs, env vars, default models.

One table shared by the config loader, the provider clients, the CLI and the settings dialog.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Dict, Optional, Tuple

from .settings import Deadlines


@dataclass(frozen=True)
class ProviderInfo:
    id: str
    label: str
    default_base_url: str
    key_env: Optional[str]
    base_url_env: Optional[str]
    default_model: str
    needs_key: bool
    deadlines: Deadlines = Deadlines()
    key_url: str = ""


PROVIDERS: Dict[str, ProviderInfo] = {
    p.id: p
    for p in (
        ProviderInfo("ollama", "Ollama", "http://localhost:11434", None, "OLLAMA_HOST",
                     "llama3.2", False, Deadlines(first_token=300.0)),
        ProviderInfo("openai", "OpenAI", "https://api.openai.com/v1", "OPENAI_API_KEY",
                     "OPENAI_BASE_URL", "gpt-4o-mini", True,
                     key_url="https://platform.openai.com/api-keys"),
        ProviderInfo("anthropic", "Anthropic", "https://api.anthropic.com", "ANTHROPIC_API_KEY",
                     "ANTHROPIC_BASE_URL", "claude-sonnet-4-5", True,
                     key_url="https://console.anthropic.com/settings/keys"),
        ProviderInfo("openrouter", "OpenRouter", "https://openrouter.ai/api/v1",
                     "OPENROUTER_API_KEY", None, "openai/gpt-4o-mini", True,
                     key_url="https://openrouter.ai/keys"),
        ProviderInfo("gemini", "Google Gemini", "https://generativelanguage.googleapis.com/v1beta",
                     "GEMINI_API_KEY", None, "gemini-2.5-flash", True,
                     key_url="https://aistudio.google.com/apikey"),
        ProviderInfo("mistral", "Mistral", "https://api.mistral.ai/v1", "MISTRAL_API_KEY", None,
                     "mistral-small-latest", True,
                     key_url="https://console.mistral.ai/api-keys"),
        ProviderInfo("openai-compatible", "OpenAI-compatible server", "", None, None, "",
                     False),
    )
}

PROVIDER_IDS: Tuple[str, ...] = tuple(PROVIDERS)


def provider_info(provider_id: str) -> ProviderInfo:
    try:
        return PROVIDERS[provider_id]
    except KeyError:
        known = ", ".join(PROVIDER_IDS)
        raise KeyError(f"unknown provider {provider_id!r}; known providers: {known}") from None
