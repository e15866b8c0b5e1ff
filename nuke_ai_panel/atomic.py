"""Crash-safe file writes and forgiving JSON reads.

A write goes to a temporary file in the same directory, is flushed to disk and then renamed over
the target, so a crash or a full disk leaves either the old file or the new one, never half of
each. A file that cannot be understood is renamed aside (never deleted, never overwritten) so the
user keeps it for inspection and the panel starts with defaults instead of failing.
"""

from __future__ import annotations

import json
import os
import tempfile
import time
from pathlib import Path
from typing import Any, Optional, Tuple, Type, Union

PathLike = Union[str, "os.PathLike[str]"]


def atomic_write_text(path: PathLike, text: str, encoding: str = "utf-8") -> None:
    """Replace ``path`` with ``text`` in one step; the parent directory is created if needed."""
    atomic_write_bytes(path, text.encode(encoding))


def atomic_write_bytes(path: PathLike, data: bytes) -> None:
    """Replace ``path`` with ``data`` in one step; the parent directory is created if needed."""
    target = Path(path)
    target.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp_name = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp", dir=target.parent)
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        _replace(tmp_name, target)
    except BaseException:
        try:
            os.unlink(tmp_name)
        except OSError:
            pass
        raise
    _fsync_dir(target.parent)


def atomic_write_json(path: PathLike, data: Any) -> None:
    """``data`` as indented UTF-8 JSON, written with :func:`atomic_write_text`."""
    atomic_write_text(path, json.dumps(data, indent=2, ensure_ascii=False) + "\n")


def read_json_file(
    path: PathLike,
    expect: Type = dict,
    set_aside: bool = True,
) -> Tuple[Optional[Any], Optional[str]]:
    """``(data, None)``, ``(None, None)`` when the file is missing, or ``(None, warning)``.

    Bad content (undecodable bytes, invalid JSON, a top-level value that is not ``expect``) is
    renamed to ``NAME.corrupt-YYYYmmdd-HHMMSS`` when ``set_aside`` is true, and the warning says
    where it went. A file that cannot be read at all (permissions, a directory) is left alone.
    Never raises for the file's content or for a failure to read or move it.
    """
    source = Path(path)
    try:
        raw = source.read_bytes()
    except FileNotFoundError:
        return None, None
    except OSError as exc:
        return None, f"Could not read {source}: {exc.strerror or exc}. It was ignored."
    try:
        data = json.loads(raw.decode("utf-8-sig"))
    except UnicodeDecodeError:
        problem = "it is not UTF-8 text"
    except ValueError as exc:
        problem = f"it is not valid JSON ({_json_detail(exc)})"
    else:
        if isinstance(data, expect):
            return data, None
        problem = f"it holds a JSON {_json_type(data)} where a JSON {_json_type(expect())} belongs"
    if not set_aside:
        return None, f"Could not use {source}: {problem}. It was ignored."
    return None, f"Could not use {source}: {problem}. {set_file_aside(source)}"


def set_file_aside(path: PathLike) -> str:
    """Rename ``path`` to a fresh ``.corrupt-<timestamp>`` name; returns a sentence saying so."""
    source = Path(path)
    stamp = time.strftime("%Y%m%d-%H%M%S")
    try:
        for attempt in range(1000):
            suffix = f".corrupt-{stamp}" + (f"-{attempt}" if attempt else "")
            candidate = source.with_name(source.name + suffix)
            if _move_if_free(source, candidate):
                return f"It was moved aside to {candidate.name}."
    except OSError as exc:
        return f"It could not be moved aside ({exc.strerror or exc}) and was ignored."
    return "It could not be moved aside (too many earlier copies) and was ignored."


def _move_if_free(source: Path, candidate: Path) -> bool:
    """Rename without ever replacing an existing file: link then unlink where links work."""
    try:
        os.link(source, candidate)
    except FileExistsError:
        return False
    except OSError:
        if candidate.exists():
            return False
        os.rename(source, candidate)
        return True
    os.unlink(source)
    return True


def _replace(tmp_name: str, target: Path) -> None:
    """``os.replace``, retried briefly on Windows where a virus scanner may hold the target."""
    attempts = 10 if os.name == "nt" else 1
    for attempt in range(attempts):
        try:
            os.replace(tmp_name, target)
            return
        except PermissionError:
            if attempt == attempts - 1:
                raise
            time.sleep(0.05)


def _fsync_dir(directory: Path) -> None:
    """Persist the rename itself (POSIX only; Windows cannot open directories)."""
    if os.name == "nt":
        return
    try:
        fd = os.open(directory, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


def _json_detail(exc: ValueError) -> str:
    if isinstance(exc, json.JSONDecodeError):
        return f"line {exc.lineno} column {exc.colno}: {exc.msg}"
    return str(exc)


def _json_type(value: Any) -> str:
    names = {dict: "object", list: "array", str: "string", bool: "boolean", type(None): "null"}
    for kind, name in names.items():
        if isinstance(value, kind):
            return name
    return "number"
