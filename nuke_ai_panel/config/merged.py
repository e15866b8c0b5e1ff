"""The merged settings: effective values with their source, locks, and :meth:`Config.resolve`,
the one judge of which key and URL a call uses and whether it can be made."""

from __future__ import annotations

import copy
import fnmatch
from pathlib import Path
from typing import Any, Dict, List, Optional, Tuple

from ..errors import CONFIG, ProviderError
from ..provider_info import PROVIDER_IDS, PROVIDERS
from ..redact import register_secret
from ..secrets import get_key
from ..settings import Deadlines, ProviderSettings, RetryPolicy
from .values import (CONFIG_VERSION, DEFAULT_LOCK_NOTE, PATHS, UNSET, ProviderConfig, SettingError,
                     check_env_name, check_str, check_value, clean_base_url, is_official_endpoint,
                     provider_fields, setting_paths)


class NotSetUp(ProviderError):
    """Kind ``config``: the provider lacks what every call needs, as opposed to a setting that
    is wrong. That is a key for the provider's own public API (none in the keychain or its
    environment variable), or a base URL for ``openai-compatible``. ``test`` and the settings
    dialog say "not set up" for it instead of "failed"."""


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
        image_providers: Optional[Tuple[str, ...]] = None,
    ) -> None:
        self._builtin = builtin
        self._studio = studio
        self._user = user
        self._env = env
        self._locks = locks
        self._allowed = allowed_providers
        self._image_providers = image_providers
        self.lock_note = lock_note or (DEFAULT_LOCK_NOTE if locks or allowed_providers else "")
        self.warnings: List[str] = list(warnings or [])
        self.user_path = user_path
        self.studio_path = studio_path

    # reading

    def get(self, path: str) -> Any:
        """The effective value of ``path``."""
        if path not in PATHS:
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

    def images_allowed(self, provider_id: str) -> bool:
        """May images go to this provider? The studio file's ``image_providers`` decides;
        without it, every provider the studio allows (DESIGN section 13)."""
        return self.is_allowed(provider_id) and (
            self._image_providers is None or provider_id in self._image_providers)

    @property
    def allowed_providers(self) -> Tuple[str, ...]:
        return tuple(pid for pid in PROVIDER_IDS if self.is_allowed(pid))

    def provider(self, provider_id: str) -> ProviderConfig:
        if provider_id not in PROVIDERS:
            raise KeyError(f"unknown provider {provider_id!r}")
        prefix = f"providers.{provider_id}."
        values = {field: self.get(prefix + field) for field in provider_fields(provider_id)}
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
            cleaned = check_value(path, value)
        except SettingError as exc:
            raise SettingError(f"{path} {exc}") from None
        inherited = self._studio.get(path, self._builtin[path])
        if cleaned is UNSET or cleaned == inherited:
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
            elif "." in path:
                section, field = path.split(".", 1)
                out.setdefault(section, {})[field] = value
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
        request_timeout: Optional[float] = None,
        max_retries: Optional[int] = None,
        use_keychain: bool = True,
    ) -> ProviderSettings:
        """Everything one call needs, with command-line style overrides applied.

        The one place that decides which key and base URL a call uses and whether it can be
        made at all: the chat session, the settings dialog's Test and the command line all
        call it, and nothing else reads keys or the environment for a call. Overrides are
        checked like settings and may not change what the studio locked. ``api_key`` is a
        key typed for this call only; ``use_keychain=False`` resolves as if the stored key
        were gone (the settings dialog's pending "Remove key").

        Base URLs, from every layer and ``base_url``, are read by
        :func:`.values.normalize_base_url` (no scheme: ``http://``). A key is required only
        on the provider's own public API (:func:`.values.is_official_endpoint`); at any other
        base URL (a proxy, a gateway, a local server speaking the same API) the call is made
        without one when none is found, and the server says whether it wants one.

        Raises :class:`ProviderError` of kind ``config`` when the call cannot be made as asked:
        :class:`NotSetUp` when the provider lacks its key or base URL, a plain one when a
        value is wrong (a bad URL, a locked setting, an empty ``api_key_env`` variable, a
        provider the studio does not allow). Disabled providers still resolve: "enabled"
        only filters the UI's lists.
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
            "request_timeout": request_timeout, "max_retries": max_retries,
            "api_key_env": api_key_env,
        }
        for field, value in overrides.items():
            if value is not None:
                overrides[field] = self._check_override(prefix + field, field, value, current)

        def pick(field: str) -> Any:
            value = overrides[field]
            return getattr(current, field) if value is None else value

        url = self._check_url(provider_id, pick("base_url"),
                              from_override=overrides["base_url"] is not None)
        deadlines = Deadlines(connect=pick("connect_timeout"),
                              first_token=pick("first_token_timeout"),
                              idle=pick("idle_timeout"), request=pick("request_timeout"))
        key = self._resolve_key(provider_id, api_key, pick("api_key_env") or None, use_keychain,
                                key_required=is_official_endpoint(provider_id, url))
        return ProviderSettings(
            provider_id=provider_id,
            base_url=url,
            api_key=key,
            model=pick("model"),
            deadlines=deadlines,
            retry=RetryPolicy(max_retries=pick("max_retries")),
            images_allowed=self.images_allowed(provider_id),
        )

    def _check_override(self, path: str, field: str, value: Any, current: ProviderConfig) -> Any:
        try:
            if path not in PATHS:
                checked = check_env_name(value)
            elif field == "base_url":
                checked = check_str(value)
            else:
                checked = check_value(path, value)
        except SettingError as exc:
            raise ProviderError(CONFIG, f"{field.replace('_', ' ')} {exc} (got {value!r}).",
                                "Fix the value and try again.") from None
        if checked is UNSET:
            return None
        if path in PATHS and self.is_locked(path):
            locked_value = getattr(current, field)
            same = (clean_base_url(current.id, checked)[0] == locked_value
                    if field == "base_url" else checked == locked_value)
            if not same:
                label = PROVIDERS[current.id].label
                raise ProviderError(
                    CONFIG,
                    f"The studio locked the {field.replace('_', ' ')} for {label} "
                    f"({locked_value}); it cannot be overridden.",
                    self.lock_note)
        return checked

    def _check_url(self, provider_id: str, url: str, from_override: bool) -> str:
        """The base URL a call uses (normalized), or raise why there is none."""
        label = PROVIDERS[provider_id].label
        path = f"providers.{provider_id}.base_url"
        if not url:
            raise NotSetUp(
                CONFIG, f"No base URL is set for {label}.",
                "Enter the server's URL in Settings (for example http://localhost:1234/v1), "
                "or pass --base-url.")
        url, problem = clean_base_url(provider_id, url)
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
        return url

    def _resolve_key(self, provider_id: str, api_key: Optional[str], env_var: Optional[str],
                     use_keychain: bool, key_required: bool) -> Optional[str]:
        info = PROVIDERS[provider_id]
        if api_key is not None and api_key.strip():
            register_secret(api_key.strip())
            return api_key.strip()
        key, _source = get_key(provider_id, env_var=env_var, use_keychain=use_keychain)
        if key:
            return key
        if key_required:
            variable = env_var or info.key_env
            raise NotSetUp(CONFIG, f"No API key for {info.label}.",
                           f"Add the key in Settings, or set {variable}.")
        if env_var:
            raise ProviderError(CONFIG, f"{env_var} is not set (it should hold the "
                                f"{info.label} API key).",
                                f"Set {env_var}, or add the key in Settings.")
        return None

