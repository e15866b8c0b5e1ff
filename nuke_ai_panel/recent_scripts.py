"""The standalone app's recent scripts: File > Open Recent, newest first.

Kept as a JSON array of absolute paths in ``recent_scripts.json`` in the user folder
(``$NUKE_AI_PANEL_HOME`` or ``~/.nuke/nuke_ai_panel``), written atomically. A corrupt file is
moved aside with a warning (logged) and the list starts empty; entries that are not strings
are dropped.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import List

from .atomic import atomic_write_json, read_json_file
from .logs import get_logger
from .paths import user_dir

__all__ = ["MAX_RECENT", "recent_path", "load_recent", "add_recent", "remove_recent",
           "clear_recent"]

MAX_RECENT = 10
FILE_NAME = "recent_scripts.json"


def recent_path() -> Path:
    return user_dir() / FILE_NAME


def load_recent() -> List[str]:
    """The remembered scripts, newest first (at most MAX_RECENT; missing files included:
    the menu says so when one is chosen)."""
    data, warning = read_json_file(recent_path(), expect=list)
    if warning:
        get_logger(__name__).warning(warning)
    paths: List[str] = []
    for item in data or []:
        if isinstance(item, str) and item and item not in paths:
            paths.append(item)
    return paths[:MAX_RECENT]


def _save(paths: List[str]) -> List[str]:
    paths = paths[:MAX_RECENT]
    atomic_write_json(recent_path(), paths)
    return paths


def add_recent(path: str) -> List[str]:
    """Put ``path`` (made absolute) first; returns the new list."""
    full = os.path.abspath(path)
    return _save([full] + [p for p in load_recent() if p != full])


def remove_recent(path: str) -> List[str]:
    """Forget ``path`` (a file that could not be opened); returns the new list."""
    full = os.path.abspath(path)
    return _save([p for p in load_recent() if p != full])


def clear_recent() -> List[str]:
    return _save([])
