"""``chat``: stream one answer to stdout, through the same chat session as the panel."""

from __future__ import annotations

import argparse
import sys
from typing import Any, TextIO

from .. import errors
from .common import (EXIT_USAGE, CliError, add_json, require_model, resolve_settings, run_turn,
                     seconds)


def add_provider_options(parser: argparse.ArgumentParser, required: bool = True) -> None:
    """``-p PROVIDER``, ``--base-url`` and ``--api-key-env``: what picks a provider's call."""
    from ..provider_info import PROVIDER_IDS
    parser.add_argument("-p", "--provider", required=required, choices=PROVIDER_IDS,
                        metavar="PROVIDER", help=", ".join(PROVIDER_IDS))
    parser.add_argument("--base-url", help="server base URL (overrides config and env); "
                        "without a scheme http:// is assumed")
    parser.add_argument("--api-key-env", metavar="VAR",
                        help="read the API key from this environment variable")


def add_parsers(sub: Any) -> None:
    chat = sub.add_parser("chat", help="stream one answer to stdout")
    add_provider_options(chat)
    add_json(chat)
    chat.add_argument("-m", "--model", help="model id (default: the configured one)")
    chat.add_argument("--system", help="system prompt")
    chat.add_argument("--temperature", type=float)
    chat.add_argument("--max-tokens", type=int)
    chat.add_argument("--connect-timeout", type=seconds, metavar="S")
    chat.add_argument("--first-token-timeout", type=seconds, metavar="S")
    chat.add_argument("--idle-timeout", type=seconds, metavar="S")
    chat.add_argument("--reasoning", action="store_true",
                      help="also print the model's reasoning text, to stderr")
    chat.add_argument("prompt", metavar="PROMPT", help='the prompt; "-" reads it from stdin')
    chat.set_defaults(run=cmd_chat)


def cmd_chat(args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    settings = resolve_settings(args, args.provider)
    require_model(settings)
    prompt = _read_prompt(args.prompt)
    return run_turn(settings, lambda session, target: session.send(prompt, target), out, err,
                    args.json, args.reasoning, system_prompt=args.system or "",
                    temperature=args.temperature, max_tokens=args.max_tokens)


def _read_prompt(prompt: str) -> str:
    if prompt == "-":
        text = sys.stdin.read()
        if not text.strip():
            raise CliError(EXIT_USAGE, errors.CONFIG, "the prompt read from stdin is empty")
        return text
    return prompt
