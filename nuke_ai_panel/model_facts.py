"""What is known of a model's context window, and whether a prompt is too big to send blind.

Sources (facts from the providers' public API references):

* model lists: OpenRouter ``context_length`` (and ``top_provider.context_length``), Gemini
  ``inputTokenLimit``, Mistral and LM Studio ``max_context_length``, vLLM ``max_model_len``,
  others ``context_window``;
* Ollama ``POST /api/show`` ``{"model": NAME}``: ``parameters`` may set ``num_ctx`` (the
  window Ollama really uses for the model), else ``model_info["<arch>.context_length"]``
  (the window the model was trained for).

Tokens are estimated at four characters each (the providers' own rule of thumb for English);
the warning says "about". No Qt here.
"""

from __future__ import annotations

import asyncio
import math
import re
from typing import Any, Dict, Optional

from . import waits

__all__ = ["LARGE_PROMPT_BYTES", "context_from_listing", "context_from_show",
           "estimate_tokens", "ollama_context_window", "size_warning"]

LARGE_PROMPT_BYTES = 100 * 1024
CHARS_PER_TOKEN = 4
_LISTING_KEYS = ("context_length", "inputTokenLimit", "max_context_length", "max_model_len",
                 "context_window")
_NUM_CTX = re.compile(r"^\s*num_ctx\s+(\d+)\s*$", re.M)


def _positive(value: Any) -> Optional[int]:
    if isinstance(value, bool):
        return None
    try:
        number = int(value)
    except (TypeError, ValueError):
        return None
    return number if number > 0 else None


def context_from_listing(details: Dict[str, Any]) -> Optional[int]:
    """The context window a model list entry states (tokens), or None."""
    if not isinstance(details, dict):
        return None
    for key in _LISTING_KEYS:
        found = _positive(details.get(key))
        if found:
            return found
    top = details.get("top_provider")
    return _positive(top.get("context_length")) if isinstance(top, dict) else None


def context_from_show(data: Any) -> Optional[int]:
    """The context window in an Ollama ``/api/show`` answer (tokens), or None."""
    if not isinstance(data, dict):
        return None
    parameters = data.get("parameters")
    if isinstance(parameters, str):
        match = _NUM_CTX.search(parameters)
        if match:
            return _positive(match.group(1))
    info = data.get("model_info")
    if isinstance(info, dict):
        for key, value in info.items():
            if str(key).endswith(".context_length"):
                found = _positive(value)
                if found:
                    return found
    return None


async def ollama_context_window(session: Any, settings: Any, model: str) -> Optional[int]:
    """Ask Ollama (``settings.base_url``) for ``model``'s context window; None when the
    server does not say or the call fails (this is a nicety: it never raises for that).
    Bounded by the request deadline."""
    import aiohttp  # on the worker's loop thread, where the engine has loaded it already

    url = settings.base_url.rstrip("/") + "/api/show"
    headers = {"Authorization": f"Bearer {settings.api_key}"} if settings.api_key else {}

    async def call() -> Any:
        async with session.post(url, json={"model": model}, headers=headers) as response:
            if response.status != 200:
                return None
            return await response.json(content_type=None)

    try:
        return context_from_show(await waits.wait_for(call(), settings.deadlines.request))
    except (asyncio.TimeoutError, aiohttp.ClientError, OSError, ValueError):
        return None


def estimate_tokens(text: str) -> int:
    return math.ceil(len(text) / CHARS_PER_TOKEN)


def _kb(size: int) -> str:
    return f"{size / 1024:.0f} KB" if size >= 10 * 1024 else f"{size / 1024:.1f} KB"


def size_warning(text: str, context_tokens: Optional[int], model: str = "") -> Optional[str]:
    """Why ``text`` should not be sent without a second look, or None: it is over the
    model's context window (when known) or over :data:`LARGE_PROMPT_BYTES`."""
    size = len(text.encode("utf-8"))
    tokens = estimate_tokens(text)
    head = f"This prompt is {_kb(size)}, about {tokens:,} tokens"
    if context_tokens and tokens > context_tokens:
        whose = f"{model}'s" if model else "the model's"
        return (f"{head}: more than {whose} context window of {context_tokens:,} tokens, so "
                "the model would not see all of it.")
    if size > LARGE_PROMPT_BYTES:
        return f"{head}. A prompt this big is slow, may cost a lot and may not fit the model."
    return None
