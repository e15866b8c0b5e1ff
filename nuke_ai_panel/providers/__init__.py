"""One module per provider API, all behind :class:`~.base.Provider`."""

from __future__ import annotations

from typing import Dict, Type

from ..settings import ProviderSettings
from .anthropic import AnthropicProvider
from .base import ModelInfo, Provider
from .gemini import GeminiProvider
from .mistral import MistralProvider
from .ollama import OllamaProvider
from .openai import OpenAIProvider
from .openai_compatible import OpenAICompatibleProvider
from .openrouter import OpenRouterProvider

PROVIDER_CLASSES: Dict[str, Type[Provider]] = {
    cls.id: cls
    for cls in (OllamaProvider, OpenAIProvider, OpenAICompatibleProvider, AnthropicProvider,
                OpenRouterProvider, GeminiProvider, MistralProvider)
}


def make_provider(settings: ProviderSettings) -> Provider:
    try:
        cls = PROVIDER_CLASSES[settings.provider_id]
    except KeyError:
        known = ", ".join(PROVIDER_CLASSES)
        raise KeyError(f"unknown provider {settings.provider_id!r}; known: {known}") from None
    return cls(settings)


__all__ = ["ModelInfo", "Provider", "PROVIDER_CLASSES", "make_provider"]
