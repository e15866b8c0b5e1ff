"""A guard against a Qt binding that drops a reference to ``None`` on every void call.

PySide6 6.12.0 on Python 3.11 does this (Python 3.12 made ``None`` immortal, which hides it
there): each call such as ``QObject.setObjectName`` leaves ``None`` with one reference fewer,
and after a few thousand calls the interpreter aborts with "none_dealloc: deallocating None".
A streaming transcript makes thousands of such calls a minute. The guard measures the leak
with a harmless probe and, only when it is there, gives ``None`` a reference count so large
that the binding can never bring it to zero. It does nothing on sound bindings.
"""

from __future__ import annotations

import ctypes
import sys
from nuke_ai_panel.logs import get_logger

log = get_logger("ui")

PROBE_CALLS = 64
PADDING = 1 << 40
_checked = False
_applied = False


def none_refs_lost_per_call() -> float:
    from Qt import QtCore

    probe = QtCore.QObject()
    before = sys.getrefcount(None)
    for _ in range(PROBE_CALLS):
        probe.setObjectName("probe")
    return (before - sys.getrefcount(None)) / PROBE_CALLS


def protect_none_refcount() -> bool:
    """Apply the guard if this binding needs it (checked once per process); True if applied."""
    global _checked, _applied
    if _checked:
        return _applied
    _checked = True
    if sys.version_info >= (3, 12) or not hasattr(sys, "getrefcount"):
        return False
    if none_refs_lost_per_call() < 0.5:
        return False
    ctypes.c_ssize_t.from_address(id(None)).value += PADDING
    _applied = True
    log.warning("This Qt binding loses a reference to None on every call (a known defect of "
                "some PySide6 builds on Python 3.11); a guard was applied. Prefer another "
                "PySide6 version for the standalone app.")
    return True
