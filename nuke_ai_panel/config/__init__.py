"""Settings: built-in defaults, the studio file, the user's config.json and env vars, merged.

Every setting has a dotted path (``allow_code_execution``, ``providers.ollama.base_url``...).
Layers, lowest to highest: built-in defaults (``provider_info``), the studio file's ``defaults``,
the user's ``config.json``, then the base-URL environment variables. A path the studio file
locks takes the studio's value (or the built-in one) whatever the higher layers say.

Files never crash the panel: unreadable files are set aside (the user's) or ignored (the
studio's, which is shared and not ours to move), bad values fall back to the layer below, and
each problem becomes a line in :attr:`Config.warnings` for the UI to show. API keys are never
read from or written to these files; :meth:`Config.resolve` gets them from :mod:`..secrets`.

:mod:`.values` holds what each setting may be (pure checks and defaults), :mod:`.layers` reads
the files and the environment, :mod:`.merged` is the :class:`Config` they make.
"""

from __future__ import annotations

from .layers import load_config, save_config
from .merged import Config, NotSetUp
from .values import (CONFIG_VERSION, DEFAULT_LOCK_NOTE, DEFAULT_PROMPT_NAME, DEFAULT_PROMPT_TEXT,
                     OPENAI_COMPATIBLE, ProviderConfig, SettingError, check_base_url,
                     is_official_endpoint, normalize_base_url, setting_paths)

__all__ = [
    "CONFIG_VERSION",
    "DEFAULT_LOCK_NOTE",
    "DEFAULT_PROMPT_NAME",
    "DEFAULT_PROMPT_TEXT",
    "OPENAI_COMPATIBLE",
    "Config",
    "NotSetUp",
    "ProviderConfig",
    "SettingError",
    "check_base_url",
    "is_official_endpoint",
    "load_config",
    "normalize_base_url",
    "save_config",
    "setting_paths",
]
