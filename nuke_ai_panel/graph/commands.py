"""``python -m nuke_ai_panel graph`` and ``explain``: the node-graph helpers without Nuke.

``graph`` prints a .nk file's graph as the in-memory host reads it (``--json``: the
DESIGN section 7 document; ``--nk``: the script as the host would save it, as bytes,
so an unedited file comes out byte for byte, CRLF line ends included); ``explain``
runs the ``/explain`` helper on the file and streams the answer like ``chat``. Both
read the file through :class:`ScriptHost`, so what they show is exactly what the
panel's standalone host would send.
"""

from __future__ import annotations

import argparse
import json
from typing import List, Optional, Sequence, TextIO

from .. import errors
from ..cli import (
    EXIT_OK,
    EXIT_USAGE,
    CliError,
    print_error,
    resolve_settings,
    stream_to_terminal,
)
from .nk_lexer import NkParseError
from .nkscript import decode_script_bytes, graph_json, parse_script
from .script_host import ScriptHost

__all__ = ["graph_command", "explain_command", "read_host", "graph_table"]

_READ_HINT = "Pass the path of a Nuke script saved as text (.nk)."


def read_host(path: str) -> ScriptHost:
    """The in-memory host for a .nk file; CliError (config, exit 2) when it cannot be read."""
    try:
        with open(path, "rb") as fh:
            data = fh.read()
    except FileNotFoundError:
        raise CliError(EXIT_USAGE, errors.CONFIG, f"{path}: no such file", _READ_HINT) from None
    except IsADirectoryError:
        raise CliError(EXIT_USAGE, errors.CONFIG, f"{path} is a folder, not a file",
                       _READ_HINT) from None
    except OSError as exc:
        raise CliError(EXIT_USAGE, errors.CONFIG, f"cannot read {path}: {exc.strerror or exc}",
                       "Check the file's permissions.") from None
    if b"\x00" in data:
        raise CliError(EXIT_USAGE, errors.CONFIG, f"{path} is not a text file",
                       "Nuke scripts are text; binary files cannot be read.")
    text, encoding = decode_script_bytes(data)
    try:
        script = parse_script(text, encoding=encoding)
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
    """Print the graph (table, ``--json``) or the script as saved (``--nk``) on ``out``;
    what the reader had to guess or fix (duplicate names...) goes to ``err`` as warnings."""
    try:
        host = read_host(args.file)
    except CliError as exc:
        print_error(err, exc.kind, exc.message, exc.hint)
        return exc.code
    for warning in host.script.warnings:
        err.write(f"warning: {args.file}: {warning}\n")
    if getattr(args, "nk", False):
        data = host.to_bytes()
        buffer = getattr(out, "buffer", None)
        if buffer is None:
            out.write(data.decode(host.script.source.encoding if host.script.source else "utf-8"))
        else:
            out.flush()
            buffer.write(data)
            buffer.flush()
        return EXIT_OK
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
    try:
        return _explain(args, out, err)
    except CliError as exc:
        print_error(err, exc.kind, exc.message, exc.hint)
        return exc.code


def _explain(args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    from ..assist.commands import parse_command
    from ..assist.prompts import build_request
    from ..config import load_config
    host = read_host(args.file)
    host.select(_chosen_nodes(host, args.nodes, args.file))
    provider = args.provider or load_config().default_provider
    settings = resolve_settings(args, provider)
    if not settings.model:
        raise CliError(EXIT_USAGE, errors.CONFIG, f"no model set for {provider}",
                       f"Pass -m MODEL; `python -m nuke_ai_panel models -p {provider}` lists them.")
    request = build_request(parse_command("/explain"), host).chat_request(settings.model)
    return stream_to_terminal(settings, request, out, err, args.json)


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
