"""The providers' own error words: what each service answers, per protocol.

Tests quote these to check the engine passes the server's message through.
"""

from __future__ import annotations

from typing import Optional

from .steps import HttpError

NGINX_502 = (
    "<html>\r\n<head><title>502 Bad Gateway</title></head>\r\n<body>\r\n"
    "<center><h1>502 Bad Gateway</h1></center>\r\n<hr><center>nginx/1.24.0</center>\r\n"
    "</body>\r\n</html>\r\n"
)
PORTAL_200 = (
    "<!DOCTYPE html>\n<html lang=\"en\">\n<head><meta charset=\"utf-8\">"
    "<title>Studio Network Sign-in</title></head>\n"
    "<body><h1>Sign in to continue</h1><form method=\"post\"></form></body>\n</html>\n"
)

INBAND = {
    "ollama": "an error was encountered while running the model: CUDA error: out of memory",
    "openai": "The server had an error while processing your request. Sorry about that!",
    "openrouter": "Provider disconnected",
    "anthropic": "Overloaded",
    "gemini": "An internal error has occurred. Please retry or report in "
              "https://developers.generativeai.google/guide/troubleshooting",
}
VLLM_INBAND = "The decoder prompt (length 9000) is longer than the maximum model length of 8192."

BAD_REQUEST_MESSAGE = "prompt is too long: 250000 tokens > 200000 maximum"

FORBIDDEN = {
    "ollama": "forbidden",
    "openai": "Country, region, or territory not supported",
    "openrouter": "This API key has been disabled",
    "anthropic": "Your API key does not have permission to use the specified resource.",
    "gemini": "Method doesn't allow unregistered callers (callers without established "
              "identity). Please use API Key or other form of API consumer identity to call "
              "this API.",
}

RATE_LIMIT = {
    "ollama": "server busy, please try again.  maximum pending requests exceeded",
    "openai": "Rate limit reached for requests. Please try again in 1s.",
    "openrouter": "Rate limit exceeded: free-models-per-min.",
    "anthropic": "Number of request tokens has exceeded your per-minute rate limit",
    "gemini": "Resource has been exhausted (e.g. check quota).",
}

SERVER = {
    "ollama": "llama runner process has terminated: exit status 2",
    "openai": "The server had an error while processing your request. Sorry about that!",
    "openrouter": "Internal Server Error",
    "anthropic": "Internal server error",
    "gemini": "An internal error has occurred.",
}

UNAVAILABLE = {
    "ollama": "server busy, please try again.",
    "openai": "The engine is currently overloaded, please try again later",
    "openrouter": "No available providers for this request",
    "anthropic": "Service unavailable",
    "gemini": "The model is overloaded. Please try again later.",
}

OVERLOADED_MESSAGE = "Overloaded"

# A model that takes no images, in each service's words.
NO_IMAGES = {
    "ollama": "this model is missing data required for image input",
    "openai": "Invalid content type. image_url is only supported by certain models.",
    "openrouter": "No endpoints found that support image input",
    "anthropic": "This model does not support image input.",
    "gemini": "Image input is not supported for this model.",
}


def no_tools_message(protocol: str, model: str) -> str:
    """A model or server that takes no tools, in each service's words."""
    return {
        "ollama": f"registry.ollama.ai/library/{model} does not support tools",
        "openai": '"auto" tool choice requires --enable-auto-tool-choice and '
                  "--tool-call-parser to be set",
        "openrouter": "No endpoints found that support tool use.",
        "anthropic": "tools: This model does not support tool use.",
        "gemini": "Function calling is not enabled for this model.",
    }[protocol]


def not_found_message(protocol: str, model: str) -> str:
    return {
        "ollama": f"model '{model}' not found",
        "openai": f"The model `{model}` does not exist or you do not have access to it.",
        "openrouter": f"No endpoints found for {model}.",
        "anthropic": f"model: {model}",
        "gemini": f"models/{model} is not found for API version v1beta, or is not supported "
                  "for generateContent. Call ListModels to see the list of available models "
                  "and their supported methods.",
    }[protocol]


def auth_message(protocol: str, offered: Optional[str]) -> str:
    """The provider's 401 text, echoing the WHOLE offered key so tests can prove redaction."""
    if not offered:
        return {
            "ollama": "unauthorized",
            "openai": "You didn't provide an API key. You need to provide your API key in an "
                      "Authorization header using Bearer auth (i.e. Authorization: Bearer "
                      "YOUR_KEY).",
            "openrouter": "No auth credentials found",
            "anthropic": "x-api-key header is required",
            "gemini": FORBIDDEN["gemini"],
        }[protocol]
    return {
        "ollama": f"unauthorized: invalid token {offered}",
        "openai": f"Incorrect API key provided: {offered}. You can find your API key at "
                  "https://platform.openai.com/account/api-keys.",
        "openrouter": f"User not found for key {offered}",
        "anthropic": f"invalid x-api-key {offered}",
        "gemini": f"API key not valid. Please pass a valid API key. ({offered})",
    }[protocol]


def auth_failure(protocol: str, offered: Optional[str]) -> HttpError:
    """What each service really answers to a missing or wrong key.

    Gemini answers a wrong key with 400 INVALID_ARGUMENT (reason API_KEY_INVALID) and a
    missing one with 403 PERMISSION_DENIED; the others with 401.
    """
    message = auth_message(protocol, offered)
    if protocol == "gemini":
        if offered:
            return HttpError(400, "invalid_request", message, reason="API_KEY_INVALID")
        return HttpError(403, "permission", message)
    return HttpError(401, "auth", message)
