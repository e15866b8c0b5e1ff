"""``python -m nuke_ai_panel graph`` and ``explain``: the node-graph helpers without Nuke.

``graph`` prints a .nk file's graph as the in-memory host reads it (``--json``: the
DESIGN section 7 document); ``explain`` runs the ``/explain`` helper on the file as a helper
turn of a chat session and streams the answer like ``chat``. Both read the file through
:class:`ScriptHost`, so what they show is exactly what the panel's standalone host would
send. ``lint`` (:mod:`.lint`) reads its file with :func:`read_text` too.
"""

from __future__ import annotations

import argparse
import json
from typing import Any, List, Optional, Sequence, TextIO

from .. import errors
from ..graph.nk_lexer import NkParseError
from ..graph.nkscript import graph_json, parse_script
from ..graph.script_host import ScriptHost
from .chat import add_provider_options
from .common import (EXIT_OK, EXIT_USAGE, CliError, add_json, require_model, resolve_settings,
                     run_turn)

__all__ = ["add_parsers", "graph_command", "explain_command", "read_host", "read_text",
           "graph_table"]

_READ_HINT = "Pass the path of a Nuke script saved as text (.nk)."


def add_parsers(sub: Any) -> None:
    graph = sub.add_parser("graph", help="print the node graph of a .nk script")
    graph.add_argument("file", metavar="FILE.nk")
    graph.add_argument("--json", action="store_true")
    graph.set_defaults(run=graph_command)

    explain = sub.add_parser("explain", help="the /explain helper on a .nk script")
    explain.add_argument("file", metavar="FILE.nk")
    explain.add_argument("--nodes", help="comma-separated node names (default: whole script)")
    add_provider_options(explain, required=False)
    explain.add_argument("-m", "--model")
    add_json(explain)
    explain.set_defaults(run=explain_command)


def read_text(path: str, stdin: Optional[TextIO] = None) -> str:
    """The text of a .nk file (``-``: ``stdin``, when given); UTF-8, else Latin-1. CliError
    (config, exit 2) when it cannot be read or is not text."""
    if path == "-" and stdin is not None:
        return stdin.read()
    try:
        with open(path, "rb") as fh:
            data = fh.read()
    except FileNotFoundError:
        raise CliError(EXIT_USAGE, errors.CONFIG, f"cannot read {path}: no such file",
                       _READ_HINT) from None
    except IsADirectoryError:
        raise CliError(EXIT_USAGE, errors.CONFIG, f"cannot read {path}: it is a folder, not a "
                       "file", _READ_HINT) from None
    except OSError as exc:
        raise CliError(EXIT_USAGE, errors.CONFIG, f"cannot read {path}: {exc.strerror or exc}",
                       "Check the file's permissions.") from None
    if b"\x00" in data:
        raise CliError(EXIT_USAGE, errors.CONFIG, f"{path} is not a text file",
                       "Nuke scripts are text; binary files cannot be read.")
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        return data.decode("latin-1")


def read_host(path: str) -> ScriptHost:
    """The in-memory host for a .nk file; CliError (config, exit 2) when it cannot be read."""
    text = read_text(path)
    try:
        script = parse_script(text)
    except NkParseError as exc:
        raise CliError(EXIT_USAGE, errors.CONFIG, f"{path} is not a readable Nuke script: {exc}",
                       "Open it in Nuke and save it again, or check it was not cut short."
                       ) from None
    if not script.nodes and not script.has_root:
        raise CliError(EXIT_USAGE, errors.CONFIG,
                       f"{path} does not look like a Nuke script (no Root block and no nodes)",
                       _READ_HINT)
    return ScriptHost(script, path)


def graph_command(args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    host = read_host(args.file)
    document = graph_json(host.script)
    if args.json:
        out.write(json.dumps(document, indent=2) + "\n")
    else:
        out.write(graph_table(document["nodes"]))  # type: ignore[arg-type]
    out.flush()
    return EXIT_OK


def graph_table(nodes: Sequence[dict]) -> str:
    """Name, class, inputs and parent group, one node per line, in script order."""
    rows = [("NAME", "CLASS", "INPUTS", "PARENT")]
    for node in nodes:
        inputs = ", ".join(i if i is not None else "-" for i in node["inputs"]) or "-"
        rows.append((node["name"], node["class"], inputs, node["parent"] or "-"))
    widths = [max(len(row[i]) for row in rows) for i in range(3)]
    lines = ["  ".join(cell.ljust(widths[i]) if i < 3 else cell
                       for i, cell in enumerate(row)).rstrip() for row in rows]
    return "\n".join(lines) + f"\n({len(nodes)} node{'s' if len(nodes) != 1 else ''})\n"


def explain_command(args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    from ..assist.commands import parse_command
    from ..assist.prompts import build_request
    from ..config import load_config
    host = read_host(args.file)
    host.select(_chosen_nodes(host, args.nodes, args.file))
    provider = args.provider or load_config().default_provider
    settings = resolve_settings(args, provider)
    require_model(settings)
    helper = build_request(parse_command("/explain"), host)
    return run_turn(settings, lambda session, target: session.send_helper(helper, target),
                    out, err, args.json)


def _chosen_nodes(host: ScriptHost, spec: Optional[str], path: str) -> List[str]:
    """``--nodes A,B`` as full names (top-level short names work as is); none: the whole
    script, whatever selection the file was saved with."""
    if not spec:
        return []
    names = [n.strip() for n in spec.split(",") if n.strip()]
    known = {n.name for n in host.all_nodes()}
    missing = [n for n in names if n not in known]
    if missing:
        raise CliError(EXIT_USAGE, errors.CONFIG,
                       f"no node named {', '.join(missing)} in {path}",
                       f"`python -m nuke_ai_panel graph {path}` lists the node names "
                       "(nodes inside a group as GROUP.NODE).")
    return names

