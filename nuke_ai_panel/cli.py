"""``python -m nuke_ai_panel``: diagnostics and scripting (DESIGN section 7, a contract).

It drives the same worker the panel uses, so every command here exercises the real engine.
Exit codes: 0 done, 1 provider or network error, 2 usage or config error, 130 interrupted.
"""

from __future__ import annotations

import argparse
import json
import sys
import threading
from typing import Any, Callable, Dict, List, Optional, Sequence, TextIO

from . import errors
from .errors import ProviderError
from .events import StreamEvent, to_dict
from .provider_info import PROVIDER_IDS
from .redact import redact
from .settings import ChatRequest, Message, ProviderSettings

EXIT_OK, EXIT_ERROR, EXIT_USAGE, EXIT_INTERRUPTED = 0, 1, 2, 130
POLL = 0.1


class CliError(Exception):
    def __init__(self, code: int, kind: str, message: str, hint: str = "") -> None:
        super().__init__(message)
        self.code, self.kind, self.message, self.hint = code, kind, message, hint


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m nuke_ai_panel",
        description="Nuke AI Panel from the command line: chat, list models, test providers, "
                    "read .nk scripts.")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    sub.required = True
    providers = ", ".join(PROVIDER_IDS)

    def provider_opts(p: argparse.ArgumentParser, many: bool = False) -> None:
        if many:
            p.add_argument("-p", "--provider", action="append", choices=PROVIDER_IDS,
                           help=f"provider to test (repeatable; default: every enabled one): "
                                f"{providers}")
        else:
            p.add_argument("-p", "--provider", required=True, choices=PROVIDER_IDS,
                           metavar="PROVIDER", help=providers)
            p.add_argument("--base-url", help="server base URL (overrides config and env)")
            p.add_argument("--api-key-env", metavar="VAR",
                           help="read the API key from this environment variable")
        p.add_argument("--json", action="store_true", help="machine-readable output")

    chat = sub.add_parser("chat", help="stream one answer to stdout")
    provider_opts(chat)
    chat.add_argument("-m", "--model", help="model id (default: the configured one)")
    chat.add_argument("--system", help="system prompt")
    chat.add_argument("--temperature", type=float)
    chat.add_argument("--max-tokens", type=int)
    chat.add_argument("--connect-timeout", type=_seconds, metavar="S")
    chat.add_argument("--first-token-timeout", type=_seconds, metavar="S")
    chat.add_argument("--idle-timeout", type=_seconds, metavar="S")
    chat.add_argument("--reasoning", action="store_true",
                      help="also print the model's reasoning text, to stderr")
    chat.add_argument("prompt", metavar="PROMPT", help='the prompt; "-" reads it from stdin')

    models = sub.add_parser("models", help="list the provider's models")
    provider_opts(models)

    test = sub.add_parser("test", help="check that providers are reachable and authenticated")
    provider_opts(test, many=True)

    graph = sub.add_parser("graph", help="print the node graph of a .nk script")
    graph.add_argument("file", metavar="FILE.nk")
    graph_form = graph.add_mutually_exclusive_group()
    graph_form.add_argument("--json", action="store_true")
    graph_form.add_argument("--nk", action="store_true",
                            help="print the script as the in-memory host would save it")

    explain = sub.add_parser("explain", help="the /explain helper on a .nk script")
    explain.add_argument("file", metavar="FILE.nk")
    explain.add_argument("--nodes", help="comma-separated node names (default: whole script)")
    explain.add_argument("-p", "--provider", choices=PROVIDER_IDS, metavar="PROVIDER")
    explain.add_argument("-m", "--model")
    explain.add_argument("--base-url")
    explain.add_argument("--api-key-env", metavar="VAR")
    explain.add_argument("--json", action="store_true")
    return parser


def _seconds(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a number of seconds: {text!r}") from None
    if value <= 0:
        raise argparse.ArgumentTypeError("must be more than 0 seconds")
    return value


def main(argv: Optional[Sequence[str]] = None, stdout: Optional[TextIO] = None,
         stderr: Optional[TextIO] = None) -> int:
    out = stdout or sys.stdout
    err = stderr or sys.stderr
    args = build_parser().parse_args(argv)
    _setup_logging(err)
    try:
        command: Callable[[argparse.Namespace, TextIO, TextIO], int] = COMMANDS[args.command]
        return command(args, out, err)
    except CliError as exc:
        print_error(err, exc.kind, exc.message, exc.hint)
        return exc.code
    except KeyboardInterrupt:
        err.write("\ninterrupted\n")
        err.flush()
        return EXIT_INTERRUPTED


def _setup_logging(err: TextIO) -> None:
    """Warnings (a malformed chunk skipped, a corrupt file set aside) go to stderr, masked."""
    import logging

    from .logs import get_logger, protect_handler
    logger = get_logger()
    for handler in list(logger.handlers):
        if getattr(handler, "_nuke_ai_panel_cli", False):
            logger.removeHandler(handler)
    handler = logging.StreamHandler(err)
    handler.setLevel(logging.WARNING)
    handler.setFormatter(logging.Formatter("%(levelname)s: %(message)s"))
    handler._nuke_ai_panel_cli = True  # type: ignore[attr-defined]
    logger.addHandler(protect_handler(handler))


def print_error(err: TextIO, kind: str, message: str, hint: str) -> None:
    err.write(f"error: {kind}: {redact(message)}\n")
    if hint:
        err.write(f"{redact(hint)}\n")
    err.flush()


def resolve_settings(args: argparse.Namespace, provider_id: str) -> ProviderSettings:
    from .config import load_config
    config = load_config()
    try:
        return config.resolve(
            provider_id,
            base_url=getattr(args, "base_url", None),
            model=getattr(args, "model", None),
            connect_timeout=getattr(args, "connect_timeout", None),
            first_token_timeout=getattr(args, "first_token_timeout", None),
            idle_timeout=getattr(args, "idle_timeout", None),
            api_key_env=getattr(args, "api_key_env", None),
        )
    except ProviderError as exc:
        raise CliError(EXIT_USAGE, exc.kind, exc.message, exc.hint) from None


def wait_for_handle(handle: Any) -> None:
    """Wait in short slices so Ctrl-C reaches us; cancel the job if it does."""
    try:
        while not handle.wait(POLL):
            pass
    except KeyboardInterrupt:
        handle.cancel()
        handle.wait(1.0)
        raise


def _read_prompt(prompt: str) -> str:
    if prompt == "-":
        text = sys.stdin.read()
        if not text.strip():
            raise CliError(EXIT_USAGE, errors.CONFIG, "the prompt read from stdin is empty")
        return text
    return prompt


def cmd_chat(args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    settings = resolve_settings(args, args.provider)
    model = settings.model
    if not model:
        raise CliError(EXIT_USAGE, errors.CONFIG, f"no model set for {args.provider}",
                       f"Pass -m MODEL; `python -m nuke_ai_panel models -p {args.provider}` "
                       "lists them.")
    request = ChatRequest(model=model, messages=[Message("user", _read_prompt(args.prompt))],
                          system=args.system, temperature=args.temperature,
                          max_tokens=args.max_tokens)
    return stream_to_terminal(settings, request, out, err, args.json, args.reasoning)


def stream_to_terminal(settings: ProviderSettings, request: ChatRequest, out: TextIO,
                       err: TextIO, as_json: bool, reasoning: bool = False) -> int:
    """Stream one request to stdout as ``chat`` does; returns the exit code."""
    printer = ChatPrinter(out, err, as_json, reasoning)
    from .worker import Worker
    worker = Worker()
    try:
        handle = worker.stream_chat(settings, request, printer)
        wait_for_handle(handle)
    finally:
        worker.shutdown()
    terminal = printer.terminal
    if terminal is None:
        _print_failed_job(err, handle)
        return EXIT_ERROR
    if terminal.get("type") != "error":
        return EXIT_OK
    if not as_json:
        print_error(err, terminal["kind"], terminal["message"], terminal["hint"])
    if terminal["kind"] == errors.CANCELLED:
        return EXIT_INTERRUPTED
    return EXIT_USAGE if terminal["kind"] == errors.CONFIG else EXIT_ERROR


def _print_failed_job(err: TextIO, handle: Any) -> None:
    """The stream ended without its terminal event: say why rather than exit 0 silently."""
    error = handle.exception() if handle.done() else None
    message = f"the request ended without an answer ({error!r})" if error else \
        "the request ended without an answer"
    print_error(err, errors.PROTOCOL, message, "This is a bug in Nuke AI Panel; the log has "
                                               "the details.")


class ChatPrinter:
    """The stream sink of ``chat``: runs on the loop thread, writes and flushes each event."""

    def __init__(self, out: TextIO, err: TextIO, as_json: bool, reasoning: bool) -> None:
        self.out, self.err, self.as_json, self.reasoning = out, err, as_json, reasoning
        self.terminal: Optional[Dict[str, Any]] = None
        self._status_shown = False
        self._text_ended_with_newline = True
        self._lock = threading.Lock()
        self._tty = bool(getattr(err, "isatty", lambda: False)())

    def __call__(self, event: StreamEvent) -> None:
        with self._lock:
            data = to_dict(event)
            if data["type"] in ("done", "error"):
                self.terminal = data
            if self.as_json:
                self.out.write(json.dumps(data, ensure_ascii=False) + "\n")
                self.out.flush()
                return
            self._human(data)

    def _human(self, data: Dict[str, Any]) -> None:
        kind = data["type"]
        if kind == "delta":
            self._clear_status()
            if data["reasoning"] and self.reasoning:
                self.err.write(data["reasoning"])
                self.err.flush()
            if data["text"]:
                self.out.write(data["text"])
                self.out.flush()
                self._text_ended_with_newline = data["text"].endswith("\n")
        elif kind == "waiting" and self._tty:
            self.err.write(f"\rwaiting for the model... {data['seconds']:.0f} s")
            self.err.flush()
            self._status_shown = True
        elif kind == "retrying":
            self._clear_status()
            self.err.write(f"retrying in {data['delay']:.1f} s ({data['reason']}), "
                           f"attempt {data['attempt']}\n")
            self.err.flush()
        elif kind in ("done", "error"):
            self._clear_status()
            if not self._text_ended_with_newline:
                self.out.write("\n")
                self.out.flush()
            if kind == "error" and data["partial"]:
                self.err.write("[answer cut off]\n")
                self.err.flush()

    def _clear_status(self) -> None:
        if self._status_shown:
            self.err.write("\r\033[K")
            self.err.flush()
            self._status_shown = False


def cmd_models(args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    settings = resolve_settings(args, args.provider)
    from .worker import Worker
    worker = Worker()
    try:
        handle = worker.list_models(settings)
        wait_for_handle(handle)
    finally:
        worker.shutdown()
    error = handle.exception()
    if isinstance(error, ProviderError):
        raise CliError(EXIT_USAGE if error.kind == errors.CONFIG else EXIT_ERROR, error.kind,
                       error.message, error.hint)
    models = handle.result()
    if args.json:
        out.write(json.dumps([m.id for m in models]) + "\n")
    else:
        for model in models:
            out.write(model.id if model.label in ("", model.id) else f"{model.id}\t{model.label}")
            out.write("\n")
    out.flush()
    return EXIT_OK


def cmd_test(args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    from .client import ConnectionCheck
    from .config import load_config
    config = load_config()
    provider_ids: List[str] = args.provider or [p.id for p in config.providers(enabled_only=True)]
    if not provider_ids:
        raise CliError(EXIT_USAGE, errors.CONFIG, "no provider is enabled",
                       "Enable one in Settings, or pass -p PROVIDER.")
    from .worker import Worker
    worker = Worker()
    results: Dict[str, ConnectionCheck] = {}
    handles = {}
    try:
        for provider_id in provider_ids:
            try:
                settings = config.resolve(provider_id)
            except ProviderError as exc:
                results[provider_id] = ConnectionCheck(provider_id, False, error_kind=exc.kind,
                                                       error_message=exc.message, hint=exc.hint)
                continue
            handles[provider_id] = worker.check_connection(settings)
        for provider_id, handle in handles.items():
            wait_for_handle(handle)
            results[provider_id] = handle.result()
    finally:
        worker.shutdown()
    for provider_id in provider_ids:
        _print_check(out, results[provider_id], args.json)
    out.flush()
    return EXIT_OK if all(r.ok for r in results.values()) else EXIT_ERROR


def _print_check(out: TextIO, check: Any, as_json: bool) -> None:
    if as_json:
        out.write(json.dumps({
            "provider": check.provider, "ok": check.ok, "latency": check.latency,
            "model_count": check.model_count, "version": check.version,
            "error_kind": check.error_kind, "error_message": check.error_message,
            "hint": check.hint}) + "\n")
        return
    if check.ok:
        version = f", server {check.version}" if check.version else ""
        out.write(f"{check.provider}: ok, {check.latency * 1000:.0f} ms, "
                  f"{check.model_count} models{version}\n")
    else:
        out.write(f"{check.provider}: FAILED {check.error_kind}: {check.error_message}\n")
        if check.hint:
            out.write(f"  {check.hint}\n")


def cmd_graph(args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    from .graph.commands import graph_command
    return graph_command(args, out, err)


def cmd_explain(args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    from .graph.commands import explain_command
    return explain_command(args, out, err)


COMMANDS: Dict[str, Callable[[argparse.Namespace, TextIO, TextIO], int]] = {
    "chat": cmd_chat,
    "models": cmd_models,
    "test": cmd_test,
    "graph": cmd_graph,
    "explain": cmd_explain,
}
