"""Plain words for the GUI: the one table from error kinds to what an artist reads, and the
rewrites that keep command-line advice and internal names out of the panel and dialogs.

The core speaks to every front end at once: its messages and hints may name a command-line
flag (``--base-url``) or say "in Settings" even when the artist is already in the settings
dialog. The GUI passes every such text through :func:`for_gui` before showing it, and shows
:func:`kind_words` where the command line prints the kind id (DESIGN section 4 keeps the ids
themselves for the command line, logs and tests). Qt-free, so it is tested without Qt.
"""

from __future__ import annotations

import re
from typing import Dict

from nuke_ai_panel import errors

__all__ = ["FIELD_LABELS", "KIND_WORDS", "NOT_SET_UP", "for_gui", "kind_words", "names_settings",
           "retry_reason"]

#: Error kind -> a few plain words, for the status line, the test results and the banners.
KIND_WORDS: Dict[str, str] = {
    errors.CONNECT: "could not connect",
    errors.CONNECT_TIMEOUT: "connecting took too long",
    errors.FIRST_TOKEN_TIMEOUT: "no answer in time",
    errors.IDLE_TIMEOUT: "the answer stalled",
    errors.AUTH: "key refused",
    errors.RATE_LIMIT: "too many requests",
    errors.MODEL_NOT_FOUND: "model not found",
    errors.BAD_REQUEST: "request refused",
    errors.SERVER: "server error",
    errors.STREAM: "the server reported an error",
    errors.TRUNCATED: "the answer broke off",
    errors.PROTOCOL: "unreadable reply",
    errors.CANCELLED: "stopped",
    errors.CONFIG: "not set up",
    errors.BLOCKED: "blocked by the provider",
    errors.EMPTY: "no answer",
}
NOT_SET_UP = KIND_WORDS[errors.CONFIG]

# Command-line advice inside core hints, and what the GUI says instead (or nothing).
_CLI_REWRITES = (
    (re.compile(r",? or pass --[a-z][a-z-]*(?: [A-Z_]+)?"), ""),
    (re.compile(r" \(--max-tokens on the command line, or ([^)]*)\)"), r" (\1)"),
    (re.compile(r" \(or the variable named with --api-key-env\)"), ""),
    (re.compile(r" \(?--[a-z][a-z-]*(?: [A-Z_]+)?\)?"), ""),
)
# Internal setting names the core may quote, and their labels in the settings dialog.
_SETTING_NAMES = {
    "allow_code_execution": "Let the assistant's code run in Nuke",
    "history_enabled": "Save conversations on this computer",
    "default_provider": "Default provider",
    "selected_prompt": "System prompt preset",
    "system_prompts": "System prompt presets",
}
#: A provider setting's label, as the settings dialog shows it.
FIELD_LABELS = {
    "enabled": "Enabled", "base_url": "Base URL", "model": "Model",
    "api_key_env": "Key variable", "connect_timeout": "Connect deadline",
    "first_token_timeout": "First token deadline", "idle_timeout": "Idle deadline",
    "request_timeout": "Request deadline", "max_retries": "Retries",
}
_PROVIDER_PATH = re.compile(r"\bproviders\.[a-z-]+\.([a-z_]+)\b")
_IN_SETTINGS = re.compile(r"\b(?:in|from) Settings\b")
_KIND_PREFIX = re.compile(r"^(%s): " % "|".join(sorted(KIND_WORDS, key=len, reverse=True)))


def kind_words(kind: str) -> str:
    """``first_token_timeout`` -> ``no answer in time``; an unknown kind reads as spaces."""
    return KIND_WORDS.get(kind, kind.replace("_", " "))


def retry_reason(reason: str) -> str:
    """A retry's reason (an HTTP status such as ``HTTP 429``, or an error kind) in plain words."""
    return KIND_WORDS.get(reason, reason.replace("_", " "))


def for_gui(text: str, inside_settings: bool = False) -> str:
    """``text`` (a core message or hint) as the GUI shows it: no command-line flag, no
    internal setting name, no leading ``kind:``; ``inside_settings`` turns "in Settings"
    into "above" (the artist is already there)."""
    out = _KIND_PREFIX.sub("", text)
    out = _PROVIDER_PATH.sub(lambda m: FIELD_LABELS.get(m.group(1), m.group(1)), out)
    for pattern, replacement in _CLI_REWRITES:
        out = pattern.sub(replacement, out)
    for name, label in _SETTING_NAMES.items():
        out = out.replace(f"in the settings ({name})", f"in Settings (\u201c{label}\u201d)")
        out = out.replace(f"({name})", f"(Settings: \u201c{label}\u201d)").replace(name, label)
    if inside_settings:
        out = _IN_SETTINGS.sub("above", out).replace("(Settings: ", "(")
    out = re.sub(r"\s+([.,;)])", r"\1", out)
    return re.sub(r" {2,}", " ", out).strip()


def names_settings(*texts: str) -> bool:
    """Does any of ``texts`` send the artist to Settings (so its banner needs the button)?"""
    return any("Settings" in text for text in texts if text)
