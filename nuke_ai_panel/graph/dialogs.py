"""Non-blocking stand-ins for Nuke's modal dialogs, used while model-written code runs.

A modal dialog opened by generated code would freeze Nuke (and, run from the panel,
nobody may be looking). Each stand-in answers at once the way a cautious user would
(No / cancel / the default) and leaves a note in the run's output saying so.
"""

from __future__ import annotations

from typing import Any, Callable, Dict, Optional, Sequence

__all__ = ["BLOCKING_DIALOGS", "non_blocking_dialogs"]

BLOCKING_DIALOGS = (
    "message",
    "alert",
    "ask",
    "askWithCancel",
    "getInput",
    "choice",
    "getFilename",
    "getClipname",
    "getFramesAndViews",
    "getColor",
)

_OFF = "(dialogs are disabled while generated code runs)"


def non_blocking_dialogs(note: Callable[[str], None]) -> Dict[str, Callable[..., Any]]:
    """Replacements for ``BLOCKING_DIALOGS``, each reporting through ``note``."""

    def message(prompt: Any = "", *_: Any, **__: Any) -> None:
        note(f"[nuke.message] {prompt}")

    def alert(prompt: Any = "", *_: Any, **__: Any) -> None:
        note(f"[nuke.alert] {prompt}")

    def ask(prompt: Any = "", *_: Any, **__: Any) -> bool:
        note(f"[nuke.ask] {prompt!r} -> answered No automatically {_OFF}")
        return False

    def ask_with_cancel(prompt: Any = "", *_: Any, **__: Any) -> bool:
        note(f"[nuke.askWithCancel] {prompt!r} -> answered No automatically {_OFF}")
        return False

    def get_input(prompt: Any = "", default: Optional[str] = None, *_: Any, **__: Any) -> Optional[str]:
        note(f"[nuke.getInput] {prompt!r} -> returned {default!r} automatically {_OFF}")
        return default

    def choice(title: Any = "", prompt: Any = "", options: Sequence[str] = (), default: int = 0,
               *_: Any, **__: Any) -> None:
        note(f"[nuke.choice] {prompt or title!r} -> cancelled automatically {_OFF}")
        return None

    def cancelled(name: str) -> Callable[..., None]:
        def dialog(*args: Any, **__: Any) -> None:
            first = args[0] if args else ""
            note(f"[nuke.{name}] {first!r} -> cancelled automatically {_OFF}")
            return None

        return dialog

    return {
        "message": message,
        "alert": alert,
        "ask": ask,
        "askWithCancel": ask_with_cancel,
        "getInput": get_input,
        "choice": choice,
        "getFilename": cancelled("getFilename"),
        "getClipname": cancelled("getClipname"),
        "getFramesAndViews": cancelled("getFramesAndViews"),
        "getColor": cancelled("getColor"),
    }
