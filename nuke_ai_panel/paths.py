"""Where the panel keeps the user's files.

Everything lives under one directory so a user (or a test) can move it all with a single
environment variable, ``NUKE_AI_PANEL_HOME``.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Optional

HOME_ENV = "NUKE_AI_PANEL_HOME"
STUDIO_CONFIG_ENV = "NUKE_AI_PANEL_STUDIO_CONFIG"


def user_dir() -> Path:
    """``$NUKE_AI_PANEL_HOME`` or ``~/.nuke/nuke_ai_panel``; not created here."""
    override = os.environ.get(HOME_ENV, "").strip()
    if override:
        return Path(os.path.expanduser(override))
    return Path.home() / ".nuke" / "nuke_ai_panel"


def config_path() -> Path:
    """The user's ``config.json``; its directory is created when the file is written."""
    return user_dir() / "config.json"


def history_dir(create: bool = True) -> Path:
    return _subdir("history", create)


def logs_dir(create: bool = True) -> Path:
    return _subdir("logs", create)


def images_dir(create: bool = True) -> Path:
    """Where history keeps attached images, one file per content hash (``images.store``)."""
    return _subdir("images", create)


def studio_config_path() -> Optional[Path]:
    """The studio file named by ``$NUKE_AI_PANEL_STUDIO_CONFIG``, or None when unset."""
    value = os.environ.get(STUDIO_CONFIG_ENV, "").strip()
    return Path(os.path.expanduser(value)) if value else None


def _subdir(name: str, create: bool) -> Path:
    path = user_dir() / name
    if create:
        path.mkdir(parents=True, exist_ok=True)
    return path
