"""Reading the layers: the studio file, the user's config.json and the environment.

Files never crash the panel: unreadable files are set aside (the user's) or ignored (the
studio's, which is shared and not ours to move), bad values fall back to the layer below, and
each problem becomes a line in :attr:`Config.warnings` for the UI to show.
"""

from __future__ import annotations

import fnmatch
import os
from pathlib import Path
from typing import Any, Dict, Iterable, List, Mapping, Optional, Tuple

from .. import paths
from ..atomic import atomic_write_json, read_json_file
from ..logs import get_logger
from ..provider_info import PROVIDER_IDS, PROVIDERS
from ..redact import register_secret
from .merged import Config
from .values import (AGENT_FIELDS, AGENT_SECTION, APP_FIELDS, PATHS, UNSET, SettingError,
                     builtin_defaults, check_value, clean_base_url, provider_fields)

_log = get_logger("nuke_ai_panel.config")


def flatten_settings(data: Mapping[str, Any], label: str, warnings: List[str],
                      skip_keys: Iterable[str] = ()) -> Dict[str, Any]:
    """Validated ``path -> value`` from a config-shaped dict; problems become warnings."""
    out: Dict[str, Any] = {}
    for key, value in data.items():
        if key in skip_keys:
            continue
        if key == "providers":
            _flatten_providers(value, label, warnings, out)
        elif key == AGENT_SECTION:
            _flatten_agent(value, label, warnings, out)
        elif key in APP_FIELDS:
            _take(key, value, label, warnings, out)
        elif _looks_like_key(key):
            _warn_key_in_file(key, value, label, warnings)
        else:
            warnings.append(f"{label}: unknown setting {key!r} was ignored.")
    return out


def _flatten_agent(value: Any, label: str, warnings: List[str], out: Dict[str, Any]) -> None:
    if not isinstance(value, dict):
        warnings.append(f"{label}: '{AGENT_SECTION}' must be an object; it was ignored.")
        return
    for field, field_value in value.items():
        path = f"{AGENT_SECTION}.{field}"
        if field in AGENT_FIELDS:
            _take(path, field_value, label, warnings, out)
        else:
            warnings.append(f"{label}: unknown setting {path!r} was ignored.")


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
            if field in provider_fields(pid):
                _take(path, field_value, label, warnings, out)
            elif _looks_like_key(field):
                _warn_key_in_file(path, field_value, label, warnings)
            else:
                warnings.append(f"{label}: unknown setting {path!r} was ignored.")


def _take(path: str, value: Any, label: str, warnings: List[str], out: Dict[str, Any]) -> None:
    try:
        cleaned = check_value(path, value)
    except SettingError as exc:
        warnings.append(f"{label}: {path} {exc}; the default is used instead.")
        return
    if cleaned is not UNSET:
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



# -- loading and saving -------------------------------------------------------------------------


def load_config(user_path: Optional[Path] = None, studio_path: Optional[Path] = None,
                environ: Optional[Mapping[str, str]] = None) -> Config:
    """Read every layer; never raises for anything found in files or the environment."""
    environ = os.environ if environ is None else environ
    user_path = Path(user_path) if user_path else paths.config_path()
    if studio_path is None:
        studio_path = paths.studio_config_path()
    warnings: List[str] = []
    builtin = builtin_defaults()

    studio: Dict[str, Any] = {}
    locks: Tuple[str, ...] = ()
    allowed: Optional[Tuple[str, ...]] = None
    image_providers: Optional[Tuple[str, ...]] = None
    note = ""
    if studio_path is not None:
        studio, locks, allowed, note, image_providers = load_studio(Path(studio_path), warnings)

    data, warning = read_json_file(user_path)
    if warning:
        warnings.append(f"{warning} Default settings are used.")
    user = flatten_settings(data or {}, user_path.name, warnings, skip_keys=("version",))

    cfg = Config(builtin, studio, user, {}, locks, allowed, note, warnings, user_path,
                 Path(studio_path) if studio_path else None, image_providers=image_providers)
    cfg._env = env_layer(cfg, environ)
    check_selected_prompt(cfg)
    for line in cfg.warnings:
        _log.warning("%s", line)
    return cfg


def save_config(cfg: Config, path: Optional[Path] = None) -> Path:
    """Write the user's own values atomically (no keys, no locked or env values)."""
    target = Path(path) if path else (cfg.user_path or paths.config_path())
    atomic_write_json(target, cfg.user_values())
    return target


def load_studio(path: Path, warnings: List[str]
                ) -> Tuple[Dict[str, Any], Tuple[str, ...], Optional[Tuple[str, ...]], str,
                           Optional[Tuple[str, ...]]]:
    """``(defaults, locks, allowed providers, lock note, image providers)`` from the studio
    file; None for a list it does not give. A file that cannot be read locks code execution
    off and lets images go nowhere, so a broken share never loosens the studio's rules."""
    label = f"Studio config {path}"
    data, warning = read_json_file(path, set_aside=False)
    if data is None:
        warnings.append(warning or f"{label} was not found.")
        warnings.append("Code execution is turned off, and no image is sent, until the "
                        "studio config can be read.")
        return {"allow_code_execution": False}, ("allow_code_execution",), None, (
            "Locked because the studio configuration could not be read."), ()
    studio: Dict[str, Any] = {}
    locks: List[str] = []
    allowed: Optional[Tuple[str, ...]] = None
    image_providers: Optional[Tuple[str, ...]] = None
    note = ""
    for key, value in data.items():
        if key == "version":
            continue
        if key == "defaults":
            if isinstance(value, dict):
                studio = flatten_settings(value, label, warnings, skip_keys=("version",))
            else:
                warnings.append(f"{label}: 'defaults' must be an object; it was ignored.")
        elif key == "locked":
            locks = _studio_locks(value, label, warnings)
        elif key == "allowed_providers":
            allowed = _studio_allowed(value, label, warnings)
        elif key == "image_providers":
            image_providers = _studio_image_providers(value, label, warnings)
        elif key == "lock_note":
            if isinstance(value, str):
                note = value.strip()
            else:
                warnings.append(f"{label}: 'lock_note' must be text; it was ignored.")
        else:
            warnings.append(f"{label}: unknown key {key!r} was ignored.")
    return studio, tuple(locks), allowed, note, image_providers


def _studio_image_providers(value: Any, label: str, warnings: List[str]
                            ) -> Optional[Tuple[str, ...]]:
    """``image_providers``: the providers images may be sent to (``[]``: none at all).
    A value that is not a list keeps images from every provider, the safe reading."""
    if not isinstance(value, list):
        warnings.append(f"{label}: 'image_providers' must be a list of provider ids; no "
                        "image is sent until it is one.")
        return ()
    return _known_providers(value, label, "image provider", warnings)


def _known_providers(value: List[Any], label: str, what: str, warnings: List[str]
                     ) -> Tuple[str, ...]:
    """The known provider ids of a studio list, in order; each unknown one is a warning."""
    known = []
    for pid in value:
        if pid in PROVIDERS:
            known.append(pid)
        else:
            warnings.append(f"{label}: {what} {pid!r} is not a known provider "
                            f"(known: {', '.join(PROVIDER_IDS)}); ignored.")
    return tuple(known)


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
                   for p in PATHS):
            warnings.append(f"{label}: locked path {pattern!r} matches no setting; ignored.")
            continue
        locks.append(pattern)
    return locks


def _studio_allowed(value: Any, label: str, warnings: List[str]) -> Optional[Tuple[str, ...]]:
    if not isinstance(value, list):
        warnings.append(f"{label}: 'allowed_providers' must be a list of provider ids; "
                        "it was ignored.")
        return None
    allowed = _known_providers(value, label, "allowed provider", warnings)
    if not allowed:
        warnings.append(f"{label}: 'allowed_providers' names no known provider; it was "
                        "ignored and every provider is allowed.")
        return None
    return allowed


def env_layer(cfg: Config, environ: Mapping[str, str]) -> Dict[str, Tuple[Any, str]]:
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
        url, problem = clean_base_url(pid, raw)
        if problem and pid == "ollama":
            # Ollama itself would not start with it either; the configured URL still works.
            cfg.warnings.append(f"{name}={raw!r} is not a host or URL; it was ignored.")
            continue
        if problem:
            cfg.warnings.append(f"{name}={raw!r} is not a usable base URL: {problem}.")
        env[path] = (url, name)
    return env


def check_selected_prompt(cfg: Config) -> None:
    wanted = cfg.get("selected_prompt")
    if not any(p["name"] == wanted for p in cfg.system_prompts):
        actual = cfg.selected_prompt
        if cfg.source("selected_prompt") != "default":
            cfg.warnings.append(f"The selected system prompt {wanted!r} does not exist; "
                                f"{actual!r} is used instead.")
