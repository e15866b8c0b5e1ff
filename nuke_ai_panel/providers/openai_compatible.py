"""Any server speaking the OpenAI chat API: LM Studio, vLLM, llama.cpp, a studio gateway."""

from __future__ import annotations

from typing import Optional

from .base import HttpRequest
from .openai import OpenAIProvider


class OpenAICompatibleProvider(OpenAIProvider):
    id = "openai-compatible"
    max_tokens_field = "max_tokens"

    def key_hint(self) -> str:
        return ("Check the server's API key in Settings (or the variable named with "
                "--api-key-env); local servers usually need none.")

    def version_request(self) -> Optional[HttpRequest]:
        root = self.base_url[:-3] if self.base_url.endswith("/v1") else None
        return HttpRequest("GET", f"{root}/version", self.headers()) if root else None
