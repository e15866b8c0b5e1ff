"""``chat``: stream one answer to stdout, through the same chat session as the panel.

``--image FILE`` (repeatable, DESIGN section 13) attaches images: each file is read,
oriented, resized to at most 1024 px on its long side and encoded
(:class:`~nuke_ai_panel.images.ImageAttachment`), the request's images are fitted to the
size cap, and each goes out once, in the provider's own form. A file that cannot be used
ends the command before anything is sent: ``error: KIND: message``, the hint, exit 2.
"""

from __future__ import annotations

import argparse
import sys
from typing import Any, List, Sequence, TextIO

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
    chat.add_argument("--image", action="append", default=[], metavar="FILE",
                      help="attach an image (repeatable); resized to 1024 px at most")
    chat.add_argument("prompt", metavar="PROMPT", help='the prompt; "-" reads it from stdin')
    chat.set_defaults(run=cmd_chat)


def cmd_chat(args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    settings = resolve_settings(args, args.provider)
    require_model(settings)
    prompt = _read_prompt(args.prompt)
    images = read_images(args.image)

    def start(session: Any, target: Any) -> Any:
        with image_errors():
            return session.send(prompt, target, images=images)

    return run_turn(settings, start, out, err, args.json, args.reasoning,
                    system_prompt=args.system or "", temperature=args.temperature,
                    max_tokens=args.max_tokens)


def read_images(paths: Sequence[str]) -> List[Any]:
    """The attachments for ``--image`` files, in order; CliError (exit 2) for one that
    cannot be used, naming its kind (``image_not_found``, ``not_an_image``...)."""
    if not paths:
        return []
    from ..images import ImageAttachment
    with image_errors():
        return [ImageAttachment.from_path(path) for path in paths]


class image_errors:
    """Turns an ImageError into the command's ``error: KIND: message`` and exit 2."""

    def __enter__(self) -> None:
        return None

    def __exit__(self, kind: Any, exc: Any, tb: Any) -> bool:
        from ..images import ImageError
        if isinstance(exc, ImageError):
            raise CliError(EXIT_USAGE, exc.kind, exc.message, exc.hint) from None
        return False


def _read_prompt(prompt: str) -> str:
    if prompt == "-":
        text = sys.stdin.read()
        if not text.strip():
            raise CliError(EXIT_USAGE, errors.CONFIG, "the prompt read from stdin is empty")
        return text
    return prompt
