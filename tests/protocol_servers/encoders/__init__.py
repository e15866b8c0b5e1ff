"""One encoder per protocol, looked up by protocol name."""

from __future__ import annotations

from typing import Dict, Type

from .anthropic import AnthropicEncoder
from .base import Encoder
from .gemini import GeminiEncoder
from .ollama import OllamaEncoder
from .openai import OpenAIEncoder, OpenRouterEncoder

ENCODERS: Dict[str, Type[Encoder]] = {
    "ollama": OllamaEncoder,
    "openai": OpenAIEncoder,
    "openrouter": OpenRouterEncoder,
    "anthropic": AnthropicEncoder,
    "gemini": GeminiEncoder,
}

__all__ = ["ENCODERS", "Encoder"]
