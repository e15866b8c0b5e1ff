"""Settings: built-in defaults, the studio file, the user's config.json and env vars, merged.

Every setting has a dotted path (``allow_code_execution``, ``providers.ollama.base_url``...).
Layers, lowest to highest: built-in defaults (``provider_info``), the studio file's ``defaults``,
the user's ``config.json``, then the base-URL environment variables. A path the studio file
locks takes the studio's value (or the built-in one) whatever the higher layers say.

Files never crash the panel: unreadable files are set aside (the user's) or ignored (the
studio's, which is shared and not ours to move), bad values fall back to the layer below, and
each problem becomes a line in :attr:`Config.warnings` for the UI to show. API keys are never
read from or written to these files; :meth:`Config.resolve` gets them from :mod:`.secrets`.
"""

from __future__ import annotations

import copy
import fnmatch
import math
import os
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable, Dict, Iterable, List, Mapping, Optional, Tuple
from urllib.parse import urlsplit

from . import paths
from .atomic import atomic_write_json, read_json_file
from .errors import CONFIG, ProviderError
from .logs import get_logger
from .provider_info import PROVIDER_IDS, PROVIDERS
from .redact import register_secret
from .secrets import get_key
from .settings import Deadlines, ProviderSettings, RetryPolicy

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

_log = get_logger(__name__)
_UNSET = object()
_ENV_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")
_TIMEOUT_FIELDS = ("connect_timeout", "first_token_timeout", "idle_timeout", "request_timeout")
_PROVIDER_FIELDS = ("enabled", "base_url", "model") + _TIMEOUT_FIELDS + ("max_retries",)
_APP_FIELDS = ("default_provider", "system_prompts", "selected_prompt", "allow_code_execution",
               "history_enabled")


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


def normalize_ollama_host(value: str) -> Optional[str]:
    """``OLLAMA_HOST`` as Ollama itself reads it, as a URL; None when it is not a host at all.

    ``host``, ``host:port``, ``:port``, ``[::1]:port`` and full URLs are accepted; without a
    scheme, ``http://`` and port 11434 are assumed. ``0.0.0.0`` (and ``::``) mean "listen on
    every interface" to the server; a client connects to the loopback address instead.
    """
    text = value.strip()
    if not text:
        return None
    scheme, sep, rest = text.partition("://")
    if not sep:
        scheme, rest, default_port = "http", text, "11434"
    else:
        scheme = scheme.lower()
        default_port = ""
        if scheme not in ("http", "https"):
            return None
    hostport, _, path = rest.partition("/")
    host, port = _split_host_port(hostport)
    if host is None:
        return None
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


def _check_str(value: Any) -> Any:
    if isinstance(value, str):
        return value.strip() or _UNSET
    raise SettingError("must be text")


def _check_base_url(value: Any) -> Any:
    value = _check_str(value)
    if value is _UNSET:
        return value
    problem = check_base_url(value)
    if problem:
        raise SettingError(f"is not a usable URL: {problem}")
    return value.rstrip("/")


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


def _check_env_name(value: Any) -> Any:
    value = _check_str(value)
    if value is not _UNSET and not _ENV_NAME.match(value):
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
    "base_url": _check_base_url,
    "model": _check_str,
    "connect_timeout": _check_seconds,
    "first_token_timeout": _check_seconds,
    "idle_timeout": _check_seconds,
    "request_timeout": _check_seconds,
    "max_retries": _check_retries,
    "api_key_env": _check_env_name,
    "default_provider": _check_provider_id,
    "system_prompts": _check_prompts,
    "selected_prompt": _check_str,
    "allow_code_execution": _check_bool,
    "history_enabled": _check_bool,
}


def _provider_fields(provider_id: str) -> Tuple[str, ...]:
    extra = ("api_key_env",) if provider_id == OPENAI_COMPATIBLE else ()
    return _PROVIDER_FIELDS + extra


def setting_paths() -> Tuple[str, ...]:
    """Every settable path, in a stable order."""
    out = list(_APP_FIELDS)
    for pid in PROVIDER_IDS:
        out.extend(f"providers.{pid}.{field}" for field in _provider_fields(pid))
    return tuple(out)


_PATHS = frozenset(setting_paths())


def _check(path: str, value: Any) -> Any:
    """The cleaned value for ``path`` (``_UNSET`` for "not set"), or raise :class:`SettingError`."""
    if path not in _PATHS:
        raise SettingError("is not a known setting")
    return _FIELD_CHECKS[path.rsplit(".", 1)[-1]](value)


def _builtin_defaults() -> Dict[str, Any]:
    values: Dict[str, Any] = {
        "default_provider": "ollama",
        "system_prompts": [{"name": DEFAULT_PROMPT_NAME, "text": DEFAULT_PROMPT_TEXT}],
        "selected_prompt": DEFAULT_PROMPT_NAME,
        "allow_code_execution": True,
        "history_enabled": True,
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


# -- reading files ------------------------------------------------------------------------------


def _flatten_settings(data: Mapping[str, Any], label: str, warnings: List[str],
                      skip_keys: Iterable[str] = ()) -> Dict[str, Any]:
    """Validated ``path -> value`` from a config-shaped dict; problems become warnings."""
    out: Dict[str, Any] = {}
    for key, value in data.items():
        if key in skip_keys:
            continue
        if key == "providers":
            _flatten_providers(value, label, warnings, out)
        elif key in _APP_FIELDS:
            _take(key, value, label, warnings, out)
        elif _looks_like_key(key):
            _warn_key_in_file(key, value, label, warnings)
        else:
            warnings.append(f"{label}: unknown setting {key!r} was ignored.")
    return out


def _flatten_providers(value: Any, label: str, warnings: List[str], out: Dict[str, Any]) -> None:
    if not isinstance(value, dict):
        warnings.append(f"{label}: 'providers' must be an object; it was ignored.")
        return
    for pid, section in value.items():
        if pid not in PROVIDERS:
            warnings.append(f"{label}: unknown provider {pid!r} was ignored "
                            f"(known: {', '.join(PROVIDER_IDS)}).")
            continue
        if not isinstance(section, dict):
            warnings.append(f"{label}: providers.{pid} must be an object; it was ignored.")
            continue
        for field, field_value in section.items():
            path = f"providers.{pid}.{field}"
            if field in _provider_fields(pid):
                _take(path, field_value, label, warnings, out)
            elif _looks_like_key(field):
                _warn_key_in_file(path, field_value, label, warnings)
            else:
                warnings.append(f"{label}: unknown setting {path!r} was ignored.")


def _take(path: str, value: Any, label: str, warnings: List[str], out: Dict[str, Any]) -> None:
    try:
        cleaned = _check(path, value)
    except SettingError as exc:
        warnings.append(f"{label}: {path} {exc}; the default is used instead.")
        return
    if cleaned is not _UNSET:
        out[path] = cleaned


def _looks_like_key(name: str) -> bool:
    lowered = name.lower().replace("-", "_")
    return lowered in ("key", "token", "secret", "password") or lowered.endswith(
        ("api_key", "apikey", "_token", "_secret"))


def _warn_key_in_file(path: str, value: Any, label: str, warnings: List[str]) -> None:
    if isinstance(value, str):
        register_secret(value.strip())
    warnings.append(f"{label}: {path!r} was ignored: API keys are never read from config "
                    "files. Add the key in Settings (it goes to the keychain) or set the "
                    "provider's environment variable.")


# -- the config object --------------------------------------------------------------------------


class Config:
    """Merged settings plus where each value came from, locks and load warnings."""

    def __init__(
        self,
        builtin: Dict[str, Any],
        studio: Dict[str, Any],
        user: Dict[str, Any],
        env: Dict[str, Tuple[Any, str]],
        locks: Tuple[str, ...] = (),
        allowed_providers: Optional[Tuple[str, ...]] = None,
        lock_note: str = "",
        warnings: Optional[List[str]] = None,
        user_path: Optional[Path] = None,
        studio_path: Optional[Path] = None,
    ) -> None:
        self._builtin = builtin
        self._studio = studio
        self._user = user
        self._env = env
        self._locks = locks
        self._allowed = allowed_providers
        self.lock_note = lock_note or (DEFAULT_LOCK_NOTE if locks or allowed_providers else "")
        self.warnings: List[str] = list(warnings or [])
        self.user_path = user_path
        self.studio_path = studio_path

    # reading

    def get(self, path: str) -> Any:
        """The effective value of ``path``."""
        if path not in _PATHS:
            raise KeyError(f"unknown setting {path!r}")
        if self.is_locked(path):
            value = self._studio.get(path, self._builtin[path])
        elif path in self._env:
            value = self._env[path][0]
        elif path in self._user:
            value = self._user[path]
        else:
            value = self._studio.get(path, self._builtin[path])
        return copy.deepcopy(value)

    def source(self, path: str) -> str:
        """Where the value of ``path`` comes from: locked, env, user, studio or default."""
        if self.is_locked(path):
            return "locked"
        if path in self._env:
            return "env"
        if path in self._user:
            return "user"
        return "studio" if path in self._studio else "default"

    def env_var_for(self, path: str) -> Optional[str]:
        """The environment variable currently overriding ``path``, if any."""
        entry = self._env.get(path)
        return entry[1] if entry and not self.is_locked(path) else None

    def is_locked(self, path: str) -> bool:
        return any(fnmatch.fnmatchcase(path, pattern) or path.startswith(pattern + ".")
                   for pattern in self._locks)

    def is_allowed(self, provider_id: str) -> bool:
        return provider_id in PROVIDERS and (self._allowed is None or provider_id in self._allowed)

    @property
    def allowed_providers(self) -> Tuple[str, ...]:
        return tuple(pid for pid in PROVIDER_IDS if self.is_allowed(pid))

    def provider(self, provider_id: str) -> ProviderConfig:
        if provider_id not in PROVIDERS:
            raise KeyError(f"unknown provider {provider_id!r}")
        prefix = f"providers.{provider_id}."
        values = {field: self.get(prefix + field) for field in _provider_fields(provider_id)}
        return ProviderConfig(id=provider_id, label=PROVIDERS[provider_id].label, **values)

    def providers(self, enabled_only: bool = False) -> List[ProviderConfig]:
        """The studio-allowed providers in table order, optionally only the enabled ones."""
        out = [self.provider(pid) for pid in self.allowed_providers]
        return [p for p in out if p.enabled] if enabled_only else out

    @property
    def default_provider(self) -> str:
        """The configured default if allowed, else the first allowed, enabled provider."""
        wanted = self.get("default_provider")
        if self.is_allowed(wanted):
            return wanted
        enabled = self.providers(enabled_only=True) or self.providers()
        return enabled[0].id if enabled else wanted

    @property
    def system_prompts(self) -> List[Dict[str, str]]:
        return self.get("system_prompts")

    @property
    def selected_prompt(self) -> str:
        """The selected preset's name, falling back to the first preset."""
        presets = self.system_prompts
        wanted = self.get("selected_prompt")
        if any(p["name"] == wanted for p in presets):
            return wanted
        return presets[0]["name"]

    def system_prompt(self) -> str:
        """The text of the selected preset."""
        name = self.selected_prompt
        return next(p["text"] for p in self.system_prompts if p["name"] == name)

    @property
    def allow_code_execution(self) -> bool:
        return bool(self.get("allow_code_execution"))

    @property
    def history_enabled(self) -> bool:
        return bool(self.get("history_enabled"))

    # changing

    def set(self, path: str, value: Any) -> None:
        """Store the user's choice; a value equal to the inherited one clears the override.

        Raises :class:`SettingError` for a locked path or an invalid value.
        """
        if self.is_locked(path):
            raise SettingError(f"{path} is locked. {self.lock_note}")
        try:
            cleaned = _check(path, value)
        except SettingError as exc:
            raise SettingError(f"{path} {exc}") from None
        inherited = self._studio.get(path, self._builtin[path])
        if cleaned is _UNSET or cleaned == inherited:
            self._user.pop(path, None)
        else:
            self._user[path] = cleaned

    def reset(self, path: str) -> None:
        """Forget the user's value so the studio or built-in default applies again."""
        self._user.pop(path, None)

    def user_values(self) -> Dict[str, Any]:
        """What :func:`save_config` writes: the user's own, unlocked values, nested."""
        out: Dict[str, Any] = {"version": CONFIG_VERSION}
        for path in setting_paths():
            if path not in self._user or self.is_locked(path):
                continue
            value = copy.deepcopy(self._user[path])
            if path.startswith("providers."):
                _, pid, field = path.split(".", 2)
                out.setdefault("providers", {}).setdefault(pid, {})[field] = value
            else:
                out[path] = value
        return out

    # resolving a call

    def resolve(
        self,
        provider_id: str,
        base_url: Optional[str] = None,
        model: Optional[str] = None,
        connect_timeout: Optional[float] = None,
        first_token_timeout: Optional[float] = None,
        idle_timeout: Optional[float] = None,
        api_key: Optional[str] = None,
        api_key_env: Optional[str] = None,
    ) -> ProviderSettings:
        """Everything one call needs, with command-line style overrides applied.

        Raises :class:`ProviderError` of kind ``config`` when the call cannot be made as asked.
        Disabled providers still resolve: "enabled" only filters the UI's lists.
        """
        if provider_id not in PROVIDERS:
            raise ProviderError(CONFIG, f"Unknown provider {provider_id!r}.",
                                f"Known providers: {', '.join(PROVIDER_IDS)}.")
        info = PROVIDERS[provider_id]
        if not self.is_allowed(provider_id):
            raise ProviderError(
                CONFIG, f"{info.label} is not allowed by the studio configuration.",
                f"Allowed providers: {', '.join(self.allowed_providers) or 'none'}. "
                f"{self.lock_note}".strip())
        current = self.provider(provider_id)
        prefix = f"providers.{provider_id}."
        overrides = {
            "base_url": base_url, "model": model, "connect_timeout": connect_timeout,
            "first_token_timeout": first_token_timeout, "idle_timeout": idle_timeout,
            "api_key_env": api_key_env,
        }
        for field, value in overrides.items():
            if value is not None:
                overrides[field] = self._check_override(prefix + field, field, value, current)
        url = overrides["base_url"] or current.base_url
        self._check_url(provider_id, url, from_override=overrides["base_url"] is not None)
        deadlines = Deadlines(
            connect=overrides["connect_timeout"] or current.connect_timeout,
            first_token=overrides["first_token_timeout"] or current.first_token_timeout,
            idle=overrides["idle_timeout"] or current.idle_timeout,
            request=current.request_timeout,
        )
        key = self._resolve_key(provider_id, api_key, overrides["api_key_env"] or
                                current.api_key_env or None)
        return ProviderSettings(
            provider_id=provider_id,
            base_url=url.rstrip("/"),
            api_key=key,
            model=overrides["model"] or current.model,
            deadlines=deadlines,
            retry=RetryPolicy(max_retries=current.max_retries),
        )

    def _check_override(self, path: str, field: str, value: Any, current: ProviderConfig) -> Any:
        try:
            if path not in _PATHS:
                checked = _check_env_name(value)
            elif field == "base_url":
                checked = _check_str(value)
            else:
                checked = _check(path, value)
        except SettingError as exc:
            raise ProviderError(CONFIG, f"{field.replace('_', ' ')} {exc} (got {value!r}).",
                                "Fix the value and try again.") from None
        if checked is _UNSET:
            return None
        if path in _PATHS and self.is_locked(path):
            locked_value = getattr(current, field)
            same = (checked.rstrip("/") == str(locked_value).rstrip("/")
                    if field == "base_url" else checked == locked_value)
            if not same:
                label = PROVIDERS[current.id].label
                raise ProviderError(
                    CONFIG,
                    f"The studio locked the {field.replace('_', ' ')} for {label} "
                    f"({locked_value}); it cannot be overridden.",
                    self.lock_note)
        return checked

    def _check_url(self, provider_id: str, url: str, from_override: bool) -> None:
        label = PROVIDERS[provider_id].label
        path = f"providers.{provider_id}.base_url"
        if not url:
            raise ProviderError(
                CONFIG, f"No base URL is set for {label}.",
                "Enter the server's URL in Settings (for example http://localhost:1234/v1), "
                "or pass --base-url.")
        problem = check_base_url(url)
        if problem:
            if from_override:
                where = "The base URL given"
            elif self.env_var_for(path):
                where = f"{self.env_var_for(path)}"
            else:
                where = f"The base URL for {label} in {self.source(path)} settings"
            raise ProviderError(CONFIG, f"{where} ({url!r}) is not usable: {problem}.",
                                "Use a full URL such as http://localhost:11434 or "
                                "https://api.example.com/v1.")

    def _resolve_key(self, provider_id: str, api_key: Optional[str],
                     env_var: Optional[str]) -> Optional[str]:
        info = PROVIDERS[provider_id]
        if api_key is not None and api_key.strip():
            register_secret(api_key.strip())
            return api_key.strip()
        key, _source = get_key(provider_id, env_var=env_var)
        if key:
            return key
        if info.needs_key:
            variable = env_var or info.key_env
            raise ProviderError(CONFIG, f"No API key for {info.label}.",
                                f"Add the key in Settings, or set {variable}.")
        if env_var:
            raise ProviderError(CONFIG, f"{env_var} is not set (it should hold the "
                                f"{info.label} API key).",
                                f"Set {env_var}, or add the key in Settings.")
        return None


# -- loading and saving -------------------------------------------------------------------------


def load_config(user_path: Optional[Path] = None, studio_path: Optional[Path] = None,
                environ: Optional[Mapping[str, str]] = None) -> Config:
    """Read every layer; never raises for anything found in files or the environment."""
    environ = os.environ if environ is None else environ
    user_path = Path(user_path) if user_path else paths.config_path()
    if studio_path is None:
        studio_path = paths.studio_config_path()
    warnings: List[str] = []
    builtin = _builtin_defaults()

    studio: Dict[str, Any] = {}
    locks: Tuple[str, ...] = ()
    allowed: Optional[Tuple[str, ...]] = None
    note = ""
    if studio_path is not None:
        studio, locks, allowed, note = _load_studio(Path(studio_path), warnings)

    data, warning = read_json_file(user_path)
    if warning:
        warnings.append(f"{warning} Default settings are used.")
    user = _flatten_settings(data or {}, user_path.name, warnings, skip_keys=("version",))

    cfg = Config(builtin, studio, user, {}, locks, allowed, note, warnings, user_path,
                 Path(studio_path) if studio_path else None)
    cfg._env = _env_layer(cfg, environ)
    _check_selected_prompt(cfg)
    for line in cfg.warnings:
        _log.warning("%s", line)
    return cfg


def save_config(cfg: Config, path: Optional[Path] = None) -> Path:
    """Write the user's own values atomically (no keys, no locked or env values)."""
    target = Path(path) if path else (cfg.user_path or paths.config_path())
    atomic_write_json(target, cfg.user_values())
    return target


def _load_studio(path: Path, warnings: List[str]
                 ) -> Tuple[Dict[str, Any], Tuple[str, ...], Optional[Tuple[str, ...]], str]:
    label = f"Studio config {path}"
    data, warning = read_json_file(path, set_aside=False)
    if data is None:
        warnings.append(warning or f"{label} was not found.")
        warnings.append("Code execution is turned off until the studio config can be read.")
        return {"allow_code_execution": False}, ("allow_code_execution",), None, (
            "Locked because the studio configuration could not be read.")
    studio: Dict[str, Any] = {}
    locks: List[str] = []
    allowed: Optional[Tuple[str, ...]] = None
    note = ""
    for key, value in data.items():
        if key == "version":
            continue
        if key == "defaults":
            if isinstance(value, dict):
                studio = _flatten_settings(value, label, warnings, skip_keys=("version",))
            else:
                warnings.append(f"{label}: 'defaults' must be an object; it was ignored.")
        elif key == "locked":
            locks = _studio_locks(value, label, warnings)
        elif key == "allowed_providers":
            allowed = _studio_allowed(value, label, warnings)
        elif key == "lock_note":
            if isinstance(value, str):
                note = value.strip()
            else:
                warnings.append(f"{label}: 'lock_note' must be text; it was ignored.")
        else:
            warnings.append(f"{label}: unknown key {key!r} was ignored.")
    return studio, tuple(locks), allowed, note


def _studio_locks(value: Any, label: str, warnings: List[str]) -> List[str]:
    if not isinstance(value, list):
        warnings.append(f"{label}: 'locked' must be a list of setting paths; it was ignored.")
        return []
    locks = []
    for pattern in value:
        if not isinstance(pattern, str) or not pattern.strip():
            warnings.append(f"{label}: locked entry {pattern!r} is not a setting path; ignored.")
            continue
        pattern = pattern.strip()
        if not any(fnmatch.fnmatchcase(p, pattern) or p.startswith(pattern + ".")
                   for p in _PATHS):
            warnings.append(f"{label}: locked path {pattern!r} matches no setting; ignored.")
            continue
        locks.append(pattern)
    return locks


def _studio_allowed(value: Any, label: str, warnings: List[str]) -> Optional[Tuple[str, ...]]:
    if not isinstance(value, list):
        warnings.append(f"{label}: 'allowed_providers' must be a list of provider ids; "
                        "it was ignored.")
        return None
    allowed = []
    for pid in value:
        if pid in PROVIDERS:
            allowed.append(pid)
        else:
            warnings.append(f"{label}: allowed provider {pid!r} is not a known provider "
                            f"(known: {', '.join(PROVIDER_IDS)}); ignored.")
    if not allowed:
        warnings.append(f"{label}: 'allowed_providers' names no known provider; it was "
                        "ignored and every provider is allowed.")
        return None
    return tuple(allowed)


def _env_layer(cfg: Config, environ: Mapping[str, str]) -> Dict[str, Tuple[Any, str]]:
    """Base URLs from the ecosystems' own variables (OLLAMA_HOST, OPENAI_BASE_URL...)."""
    env: Dict[str, Tuple[Any, str]] = {}
    for pid, info in PROVIDERS.items():
        name = info.base_url_env
        raw = (environ.get(name) or "").strip() if name else ""
        if not name or not raw:
            continue
        path = f"providers.{pid}.base_url"
        if cfg.is_locked(path):
            cfg.warnings.append(f"{name} is set but the studio locked the {info.label} base "
                                "URL; the studio's URL is used.")
            continue
        if pid == "ollama":
            url = normalize_ollama_host(raw)
            if url is None:
                cfg.warnings.append(f"{name}={raw!r} is not a host or URL; it was ignored.")
                continue
        else:
            url = raw.rstrip("/")
            problem = check_base_url(url)
            if problem:
                cfg.warnings.append(f"{name}={raw!r} is not a usable base URL: {problem}.")
        env[path] = (url, name)
    return env


def _check_selected_prompt(cfg: Config) -> None:
    wanted = cfg.get("selected_prompt")
    if not any(p["name"] == wanted for p in cfg.system_prompts):
        actual = cfg.selected_prompt
        if cfg.source("selected_prompt") != "default":
            cfg.warnings.append(f"The selected system prompt {wanted!r} does not exist; "
                                f"{actual!r} is used instead.")
