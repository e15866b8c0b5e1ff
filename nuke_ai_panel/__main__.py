"""``python -m nuke_ai_panel`` and the ``nuke-ai-panel`` command: see :mod:`nuke_ai_panel.cli`.

:func:`run` wraps the CLI's ``main`` for a terminal: when the reader of stdout goes away
(``nuke-ai-panel graph comp.nk | head -1``), it exits quietly with 141 (128 + SIGPIPE, what a
shell reports for a command stopped by a closed pipe) instead of printing a traceback.
"""

import os
import sys
from typing import List, Optional

from .cli import main

EXIT_CLOSED_PIPE = 141


def run(argv: Optional[List[str]] = None) -> int:
    """Run the CLI; returns its exit code, or 141 when stdout was closed by its reader."""
    try:
        code = main(argv)
        sys.stdout.flush()
        return code
    except BrokenPipeError:
        _silence_stdout()
        return EXIT_CLOSED_PIPE


def _silence_stdout() -> None:
    """Point stdout at the null device, so the interpreter's last flush of the unwritten
    buffer at exit does not fail again ("Exception ignored ... BrokenPipeError")."""
    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        os.close(devnull)
    except (OSError, ValueError, AttributeError):
        pass


if __name__ == "__main__":
    sys.exit(run())
