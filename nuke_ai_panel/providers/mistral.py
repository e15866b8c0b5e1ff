"""Mistral: OpenAI-format chat completions; usage comes in the last chunk without asking."""

from __future__ import annotations

from .openai import OpenAIProvider


class MistralProvider(OpenAIProvider):
    id = "mistral"
    include_usage = False
    max_tokens_field = "max_tokens"
