"""Setting values: every settable path, what each may hold, and the built-in defaults.

Pure checks, no I/O: :func:`check_value` cleans one value or raises :class:`SettingError`,
and the layer reader (:mod:`.layers`) and :meth:`~.merged.Config.set` both go through it.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from typing import Any, Callable, Dict, List, Optional, Tuple
from urllib.parse import urlsplit

from ..provider_info import PROVIDER_IDS, PROVIDERS
from ..settings import Deadlines, RetryPolicy

CONFIG_VERSION = 1
OPENAI_COMPATIBLE = "openai-compatible"
DEFAULT_LOCK_NOTE = "This setting is managed by your studio's configuration."

DEFAULT_PROMPT_NAME = "Nuke compositor"
DEFAULT_PROMPT_TEXT = (
    "You are an experienced Nuke compositor and pipeline TD. Answer precisely and briefly. "
    "Prefer Nuke's own nodes and its Python API (the nuke module) over third-party gizmos or "
    "plug-ins, name nodes and knobs exactly as Nuke does, and say which Nuke version a feature "
    "needs when it matters. When you build nodes, give a .nk snippet that can be pasted into "
    "the node graph, or Python for Nuke's Script Editor. If you are not sure, say so."
)

UNSET = object()
_ENV_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")
_TIMEOUT_FIELDS = ("connect_timeout", "first_token_timeout", "idle_timeout", "request_timeout")
_PROVIDER_FIELDS = ("enabled", "base_url", "model") + _TIMEOUT_FIELDS + ("max_retries",)
APP_FIELDS = ("default_provider", "system_prompts", "selected_prompt", "allow_code_execution",
               "history_enabled")
# Agent mode (DESIGN section 11), nested under "agent" in the files. The studio locks writes
# or run_python off with "agent.allow_writes" / "agent.allow_run_python" set false and locked.
AGENT_SECTION = "agent"
AGENT_FIELDS = ("default_mode", "max_steps", "result_budget", "allow_writes", "allow_run_python",
                "panel_mode")
AGENT_MODES = ("ask", "agent")
# The chat panel's mode picker: plain chat (no tools), or an agent turn in either mode.
PANEL_MODES = ("chat",) + AGENT_MODES
MAX_AGENT_STEPS = 50



class SettingError(ValueError):
    """A value the UI tried to set is invalid, or the studio locked the setting."""


@dataclass(frozen=True)
class ProviderConfig:
    """One provider's effective settings, as the settings dialog shows them."""

    id: str
    label: str
    enabled: bool
    base_url: str
    model: str
    connect_timeout: float
    first_token_timeout: float
    idle_timeout: float
    request_timeout: float
    max_retries: int
    api_key_env: str = ""

    @property
    def deadlines(self) -> Deadlines:
        return Deadlines(connect=self.connect_timeout, first_token=self.first_token_timeout,
                         idle=self.idle_timeout, request=self.request_timeout)


# -- values -------------------------------------------------------------------------------------


def check_base_url(url: str) -> Optional[str]:
    """Why ``url`` cannot be a provider base URL, or None when it can."""
    if not isinstance(url, str) or not url.strip():
        return "it is empty"
    if any(ch.isspace() for ch in url.strip()):
        return "it contains spaces"
    try:
        parts = urlsplit(url.strip())
        parts.port
    except ValueError as exc:
        return f"it is not a valid URL ({exc})"
    if parts.scheme.lower() not in ("http", "https"):
        return "it must start with http:// or https://"
    if not parts.hostname:
        return "it has no host name"
    return None


OLLAMA_PORT = "11434"


def normalize_base_url(value: str, default_port: str = "",
                       official: str = "") -> Optional[str]:
    """A base URL as the artist may write it, as a full URL; None when it is not a host or URL.

    The one place base URLs are read, for the config files, Settings, the environment and
    ``--base-url``, the way Ollama reads ``OLLAMA_HOST``: ``host``, ``host:port``, ``:port``,
    ``[::1]:port``, ``host/path`` and full URLs are accepted. Without a scheme ``http://`` is
    assumed (a local or studio server), and ``default_port`` when no port is given (Ollama's
    11434). ``0.0.0.0`` (and ``::``) mean "listen on every interface" to a server; a client
    connects to the loopback address instead. The one exception to ``http://``: a scheme-less
    URL on the provider's ``official`` URL's host gets that URL's scheme (https), so a key is
    never sent in the clear because ``https://`` was left out.
    """
    text = value.strip() if isinstance(value, str) else ""
    if not text:
        return None
    scheme, sep, rest = text.partition("://")
    if not sep:
        scheme, rest = "http", text
    else:
        scheme, default_port = scheme.lower(), ""
        if scheme not in ("http", "https"):
            return None
    hostport, _, path = rest.partition("/")
    host, port = _split_host_port(hostport)
    if host is None or (sep and not host):
        return None
    if not sep and official and host.lower() == (urlsplit(official).hostname or ""):
        scheme, default_port = urlsplit(official).scheme, ""
    port = port or default_port
    if port and (not port.isdigit() or not 0 < int(port) < 65536):
        return None
    if host in ("", "0.0.0.0"):
        host = "127.0.0.1"
    elif host in ("::", "[::]"):
        host = "[::1]"
    url = f"{scheme}://{host}" + (f":{port}" if port else "")
    path = path.strip("/")
    return f"{url}/{path}" if path else url


def provider_base_url(provider_id: str, value: str) -> Optional[str]:
    """:func:`normalize_base_url` with ``provider_id``'s own defaults (Ollama's port; for a
    provider whose public API needs a key, that API's scheme on its host)."""
    info = PROVIDERS[provider_id]
    return normalize_base_url(value, OLLAMA_PORT if provider_id == "ollama" else "",
                              info.default_base_url if info.needs_key else "")


def is_official_endpoint(provider_id: str, url: str) -> bool:
    """True when ``url`` is on the host of the provider's own public API (the built-in base
    URL): there a key is required; anywhere else (a proxy, a gateway, a local server that
    speaks the same API) it is optional."""
    info = PROVIDERS[provider_id]
    official = info.default_base_url
    if not (info.needs_key and official):
        return False
    try:
        return (urlsplit(url).hostname or "").lower() == (urlsplit(official).hostname or "")
    except ValueError:
        return False


def _split_host_port(hostport: str) -> Tuple[Optional[str], str]:
    if hostport.startswith("["):
        host, bracket, tail = hostport.partition("]")
        if not bracket or (tail and not tail.startswith(":")):
            return None, ""
        return host + "]", tail[1:]
    if hostport.count(":") > 1:
        return f"[{hostport}]", ""
    host, _, port = hostport.partition(":")
    if any(ch.isspace() or ch in "@?#" for ch in host):
        return None, ""
    return host, port


def _check_bool(value: Any) -> Any:
    if isinstance(value, bool):
        return value
    raise SettingError("must be true or false")


def check_str(value: Any) -> Any:
    if isinstance(value, str):
        return value.strip() or UNSET
    raise SettingError("must be text")


def clean_base_url(provider_id: str, value: str) -> Tuple[str, Optional[str]]:
    """``(url, problem)``: ``value`` read by :func:`provider_base_url` (or kept as written
    when it cannot be read so), and why it cannot be a base URL, or None when it can."""
    url = provider_base_url(provider_id, value)
    if url is None:
        url = value.strip()
        problem = check_base_url(url)
        return (url, problem) if problem else (url.rstrip("/"), None)
    return url, check_base_url(url)


def _check_base_url(value: Any, provider_id: str) -> Any:
    value = check_str(value)
    if value is UNSET:
        return value
    url, problem = clean_base_url(provider_id, value)
    if problem:
        raise SettingError(f"is not a usable URL: {problem}")
    return url


def _check_seconds(value: Any) -> Any:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise SettingError("must be a number of seconds")
    if not math.isfinite(value) or not 0 < value <= 86400:
        raise SettingError("must be a number of seconds greater than 0 (at most 86400)")
    return float(value)


def _check_retries(value: Any) -> Any:
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= 10:
        raise SettingError("must be a whole number from 0 to 10")
    return value


def _check_mode(value: Any) -> Any:
    if isinstance(value, str) and value in AGENT_MODES:
        return value
    raise SettingError(f"must be one of: {', '.join(AGENT_MODES)}")


def _check_panel_mode(value: Any) -> Any:
    if isinstance(value, str) and value in PANEL_MODES:
        return value
    raise SettingError(f"must be one of: {', '.join(PANEL_MODES)}")


def _check_steps(value: Any) -> Any:
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    if isinstance(value, bool) or not isinstance(value, int) or \
            not 1 <= value <= MAX_AGENT_STEPS:
        raise SettingError(f"must be a whole number from 1 to {MAX_AGENT_STEPS}")
    return value


def _check_budget(value: Any) -> Any:
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    if isinstance(value, bool) or not isinstance(value, int) or not 1000 <= value <= 200000:
        raise SettingError("must be a number of characters from 1000 to 200000")
    return value


def check_env_name(value: Any) -> Any:
    value = check_str(value)
    if value is not UNSET and not _ENV_NAME.match(value):
        raise SettingError("must be an environment variable name (letters, digits, _)")
    return value


def _check_provider_id(value: Any) -> Any:
    if isinstance(value, str) and value in PROVIDERS:
        return value
    raise SettingError(f"must be one of: {', '.join(PROVIDER_IDS)}")


def _check_prompts(value: Any) -> Any:
    if not isinstance(value, list):
        raise SettingError("must be a list of {\"name\", \"text\"} presets")
    presets: List[Dict[str, str]] = []
    for item in value:
        if not (isinstance(item, dict) and isinstance(item.get("name"), str)
                and item["name"].strip() and isinstance(item.get("text"), str)):
            raise SettingError("must be a list of {\"name\", \"text\"} presets with a name each")
        name = item["name"].strip()
        if any(p["name"] == name for p in presets):
            raise SettingError(f"has two presets named {name!r}")
        presets.append({"name": name, "text": item["text"]})
    if not presets:
        raise SettingError("must hold at least one preset")
    return presets


_FIELD_CHECKS: Dict[str, Callable[[Any], Any]] = {
    "enabled": _check_bool,
    "model": check_str,
    "connect_timeout": _check_seconds,
    "first_token_timeout": _check_seconds,
    "idle_timeout": _check_seconds,
    "request_timeout": _check_seconds,
    "max_retries": _check_retries,
    "api_key_env": check_env_name,
    "default_provider": _check_provider_id,
    "system_prompts": _check_prompts,
    "selected_prompt": check_str,
    "allow_code_execution": _check_bool,
    "history_enabled": _check_bool,
    "default_mode": _check_mode,
    "panel_mode": _check_panel_mode,
    "max_steps": _check_steps,
    "result_budget": _check_budget,
    "allow_writes": _check_bool,
    "allow_run_python": _check_bool,
}


def provider_fields(provider_id: str) -> Tuple[str, ...]:
    extra = ("api_key_env",) if provider_id == OPENAI_COMPATIBLE else ()
    return _PROVIDER_FIELDS + extra


def setting_paths() -> Tuple[str, ...]:
    """Every settable path, in a stable order."""
    out = list(APP_FIELDS) + [f"{AGENT_SECTION}.{field}" for field in AGENT_FIELDS]
    for pid in PROVIDER_IDS:
        out.extend(f"providers.{pid}.{field}" for field in provider_fields(pid))
    return tuple(out)


PATHS = frozenset(setting_paths())


def check_value(path: str, value: Any) -> Any:
    """The cleaned value for ``path`` (``UNSET`` for "not set"), or raise :class:`SettingError`."""
    if path not in PATHS:
        raise SettingError("is not a known setting")
    head, _, field = path.rpartition(".")
    if field == "base_url":
        return _check_base_url(value, head.split(".", 1)[1])
    return _FIELD_CHECKS[field](value)


def builtin_defaults() -> Dict[str, Any]:
    values: Dict[str, Any] = {
        "default_provider": "ollama",
        "system_prompts": [{"name": DEFAULT_PROMPT_NAME, "text": DEFAULT_PROMPT_TEXT}],
        "selected_prompt": DEFAULT_PROMPT_NAME,
        "allow_code_execution": True,
        "history_enabled": True,
        "agent.default_mode": "agent",
        "agent.max_steps": 12,
        "agent.result_budget": 8000,
        "agent.allow_writes": True,
        "agent.allow_run_python": True,
        "agent.panel_mode": "chat",
    }
    for pid, info in PROVIDERS.items():
        retry = RetryPolicy()
        fields = {
            "enabled": True,
            "base_url": info.default_base_url,
            "model": info.default_model,
            "connect_timeout": info.deadlines.connect,
            "first_token_timeout": info.deadlines.first_token,
            "idle_timeout": info.deadlines.idle,
            "request_timeout": info.deadlines.request,
            "max_retries": retry.max_retries,
        }
        if pid == OPENAI_COMPATIBLE:
            fields["api_key_env"] = ""
        values.update({f"providers.{pid}.{k}": v for k, v in fields.items()})
    return values

