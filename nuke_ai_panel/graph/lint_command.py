"""``python -m nuke_ai_panel lint FILE.nk [--nuke-version X.Y] [--json]`` (DESIGN 7 and 12).

``run_lint(args, out, err)`` is the command's whole logic, for the CLI package to call:
exit 0 clean (``--json`` prints ``[]``), 1 findings (one line each, or the JSON array
``[{node, kind, name, suggestion}]``), 2 usage (unreadable file, unparsable text, an
unsupported Nuke version), with the CLI's ``error: config: ...`` line on stderr.
"""

from __future__ import annotations

import argparse
import json
from typing import List, Optional, Sequence, TextIO

from .catalogue import SUPPORTED_VERSIONS, normalize_version
from .lint import LintError, format_finding, lint_text

__all__ = ["add_lint_arguments", "run_lint", "main"]


def add_lint_arguments(parser: argparse.ArgumentParser) -> argparse.ArgumentParser:
    """The ``lint`` sub-command's arguments (for the CLI's sub-parser)."""
    parser.add_argument("file", metavar="FILE.nk", help="a .nk script, snippet or .gizmo ('-' reads stdin)")
    parser.add_argument("--nuke-version", metavar="X.Y", default=None,
                        help="check against this Nuke version's catalogue ("
                        + ", ".join(v[:-2] for v in SUPPORTED_VERSIONS) + "; default 15)")
    parser.add_argument("--json", action="store_true", help="print the findings as one JSON array")
    return parser


def _usage(err: TextIO, message: str, hint: str) -> int:
    err.write(f"error: config: {message}\n{hint}\n")
    return 2


def _read(path: str, stdin: Optional[TextIO]) -> str:
    if path == "-":
        if stdin is None:
            raise OSError("no standard input")
        return stdin.read()
    with open(path, "rb") as fh:
        data = fh.read()
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        return data.decode("latin-1")


def run_lint(args: argparse.Namespace, out: TextIO, err: TextIO, stdin: Optional[TextIO] = None) -> int:
    """Lint ``args.file``; returns the exit code (0 clean, 1 findings, 2 usage)."""
    try:
        version = normalize_version(args.nuke_version)
    except ValueError as exc:
        return _usage(err, str(exc), "Pass --nuke-version 14, 15 or 16.")
    try:
        text = _read(args.file, stdin)
    except OSError as exc:
        return _usage(err, f"cannot read {args.file}: {exc.strerror or exc}", "Give the path of a readable .nk file.")
    try:
        findings = lint_text(text, nuke_version=version)
    except LintError as exc:
        return _usage(err, f"{args.file} is not a readable .nk script: {exc}",
                      "lint takes Nuke script text (what Nuke saves or copies).")
    if args.json:
        out.write(json.dumps(findings) + "\n")
    else:
        for f in findings:
            out.write(format_finding(f) + "\n")
    out.flush()
    return 1 if findings else 0


def main(argv: Optional[Sequence[str]] = None, out: Optional[TextIO] = None, err: Optional[TextIO] = None) -> int:
    """Stand-alone entry (``python -m nuke_ai_panel.graph.lint_command FILE.nk``)."""
    import sys

    parser = add_lint_arguments(argparse.ArgumentParser(prog="nuke_ai_panel lint"))
    args = parser.parse_args(list(argv) if argv is not None else None)
    return run_lint(args, out or sys.stdout, err or sys.stderr, sys.stdin)


if __name__ == "__main__":
    raise SystemExit(main())
