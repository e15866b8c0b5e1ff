"""Mistral: OpenAI-format chat completions; usage comes in the last chunk without asking.

Two differences on the wire (Mistral's function-calling and vision references): tool call
ids must be exactly nine letters and digits (ours are mapped with
:func:`~.openai_wire.mistral_id`, the same way in the echoed call and in its result, which
also names the tool), and an image is ``{"type": "image_url", "image_url": DATA_URL}``.
"""

from __future__ import annotations

from typing import Any, Dict, List

from ..settings import ChatRequest
from .openai import OpenAIProvider
from .openai_wire import chat_messages, mistral_id


class MistralProvider(OpenAIProvider):
    id = "mistral"
    include_usage = False
    max_tokens_field = "max_tokens"
    image_style = "mistral"

    def wire_messages(self, request: ChatRequest) -> List[Dict[str, Any]]:
        return chat_messages(request, self.image_style, mistral_id, result_name=True)
