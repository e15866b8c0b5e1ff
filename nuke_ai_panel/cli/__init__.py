"""``python -m nuke_ai_panel``: diagnostics and scripting (DESIGN section 7, a contract).

It drives the same worker and the same chat session as the panel, so every command here
exercises the real engine. One module per command group, each adding its sub-commands to the
parser (``add_parsers``) with the function that runs them:

* :mod:`.chat` - ``chat``;
* :mod:`.providers` - ``models``, ``test``;
* :mod:`.scripts` - ``graph``, ``explain`` and :mod:`.lint` - ``lint`` (a .nk file, no Nuke
  needed);
* :mod:`.agent` - ``agent`` (the agent loop on a .nk file);
* :mod:`.common` - what they share: exit codes, errors, settings, waiting, the stream printer.

Exit codes: 0 done, 1 provider or network error (``lint``: findings), 2 usage or config
error, 130 interrupted. :mod:`nuke_ai_panel.__main__` adds 141 for a closed stdout.
"""

from __future__ import annotations

import argparse
import sys
from typing import Callable, Optional, Sequence, TextIO

from . import agent, chat, lint, providers, scripts
from .common import EXIT_INTERRUPTED, CliError, print_error, setup_logging

__all__ = ["build_parser", "main"]

Command = Callable[[argparse.Namespace, TextIO, TextIO], int]


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m nuke_ai_panel",
        description="Nuke AI Panel from the command line: chat, list models, test providers, "
                    "read and lint .nk scripts, let the agent work on one.")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    sub.required = True
    for group in (chat, providers, scripts, agent, lint):
        group.add_parsers(sub)
    return parser


def main(argv: Optional[Sequence[str]] = None, stdout: Optional[TextIO] = None,
         stderr: Optional[TextIO] = None) -> int:
    """Run one command; returns its exit code (argparse exits 2 itself on bad usage)."""
    out = stdout or sys.stdout
    err = stderr or sys.stderr
    args = build_parser().parse_args(argv)
    setup_logging(err)
    command: Command = args.run
    try:
        return command(args, out, err)
    except CliError as exc:
        print_error(err, exc.kind, exc.message, exc.hint)
        return exc.code
    except KeyboardInterrupt:
        err.write("\ninterrupted\n")
        err.flush()
        return EXIT_INTERRUPTED
