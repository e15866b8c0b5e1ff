"""``python -m nuke_ai_panel lint FILE.nk [--nuke-version X.Y] [--json]`` (DESIGN 7 and 12).

Checks a script's classes, knobs, inputs and expressions against the node-class catalogue
(:mod:`nuke_ai_panel.graph.lint`): exit 0 clean (``--json`` prints ``[]``), 1 findings (one
line each, or the JSON array ``[{node, kind, name, suggestion}]``), 2 usage (unreadable file,
unparsable text, an unsupported Nuke version), with the ``error: config: ...`` line on stderr.
"""

from __future__ import annotations

import argparse
import json
import sys
from typing import Any, Dict, List, Optional, TextIO

from .. import errors
from ..graph.catalogue import SUPPORTED_VERSIONS, normalize_version
from ..graph.lint import LintError, format_finding, lint_text
from .common import EXIT_OK, EXIT_USAGE, CliError, print_error
from .scripts import read_text

__all__ = ["add_parsers", "add_lint_arguments", "run_lint"]

EXIT_FINDINGS = 1


def add_parsers(sub: Any) -> None:
    lint = sub.add_parser("lint", help="check a .nk script's classes, knobs, inputs and "
                                       "expressions against Nuke's node classes")
    add_lint_arguments(lint)
    lint.set_defaults(run=lambda args, out, err: run_lint(args, out, err, sys.stdin))


def add_lint_arguments(parser: argparse.ArgumentParser) -> argparse.ArgumentParser:
    """The ``lint`` sub-command's arguments."""
    parser.add_argument("file", metavar="FILE.nk",
                        help="a .nk script, snippet or .gizmo ('-' reads stdin)")
    parser.add_argument("--nuke-version", metavar="X.Y", default=None,
                        help="check against this Nuke version's catalogue ("
                        + ", ".join(v[:-2] for v in SUPPORTED_VERSIONS) + "; default 15)")
    parser.add_argument("--json", action="store_true", help="print the findings as one JSON array")
    return parser


def run_lint(args: argparse.Namespace, out: TextIO, err: TextIO,
             stdin: Optional[TextIO] = None) -> int:
    """Lint ``args.file``; returns the exit code (0 clean, 1 findings, 2 usage)."""
    try:
        findings = _findings(args, stdin)
    except CliError as exc:
        print_error(err, exc.kind, exc.message, exc.hint)
        return exc.code
    if args.json:
        out.write(json.dumps(findings) + "\n")
    else:
        for f in findings:
            out.write(format_finding(f) + "\n")
    out.flush()
    return EXIT_FINDINGS if findings else EXIT_OK


def _findings(args: argparse.Namespace, stdin: Optional[TextIO]) -> List[Dict[str, Any]]:
    """The findings, or CliError (config, exit 2) when there is nothing to lint."""
    try:
        version = normalize_version(args.nuke_version)
    except ValueError as exc:
        raise CliError(EXIT_USAGE, errors.CONFIG, str(exc),
                       "Pass --nuke-version 14, 15 or 16.") from None
    text = read_text(args.file, stdin)
    try:
        return lint_text(text, nuke_version=version)
    except LintError as exc:
        raise CliError(EXIT_USAGE, errors.CONFIG,
                       f"{args.file} is not a readable .nk script: {exc}",
                       "lint takes Nuke script text (what Nuke saves or copies).") from None
