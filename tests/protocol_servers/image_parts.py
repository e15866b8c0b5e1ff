"""The images and text of a chat request as a test server received it, read in each
provider's own wire form only (PROTOCOLS.md "Images"): a test that finds an image here knows
it was sent the way that provider expects it."""

from __future__ import annotations

from typing import Any, Dict, List

__all__ = ["images_in", "text_of"]


def images_in(provider: str, body: Dict[str, Any]) -> List[str]:
    """Every image of the request ``body`` (parsed JSON) as base64, in order."""
    if provider == "gemini":
        return [p["inline_data"]["data"] for c in body["contents"] for p in c["parts"]
                if "inline_data" in p]
    if provider == "ollama":
        return [image for m in body["messages"] for image in m.get("images") or []]
    out = []
    for message in body["messages"]:
        content = message["content"]
        for part in content if isinstance(content, list) else []:
            if provider == "anthropic" and part.get("type") == "image":
                assert part["source"]["type"] == "base64"
                out.append(part["source"]["data"])
            elif part.get("type") == "image_url":
                url = part["image_url"] if provider == "mistral" else part["image_url"]["url"]
                assert isinstance(url, str) and url.startswith("data:image/")
                out.append(url.split(",", 1)[1])
    return out


def text_of(provider: str, body: Dict[str, Any]) -> str:
    """All the text parts of the request ``body``, joined by newlines."""
    if provider == "gemini":
        return "\n".join(p.get("text", "") for c in body["contents"] for p in c["parts"])
    out = []
    for message in body["messages"]:
        content = message["content"]
        if isinstance(content, str):
            out.append(content)
        else:
            out.extend(p.get("text", "") for p in content if p.get("type") == "text")
    return "\n".join(out)
