"""What every command of ``python -m nuke_ai_panel`` shares (DESIGN section 7, a contract).

Exit codes, :class:`CliError` and the ``error: KIND: MESSAGE`` line, settings from
:meth:`Config.resolve`, waiting on a job or a turn so Ctrl-C cancels it, and the stream
printer. :func:`run_turn` is how ``chat`` and ``explain`` run one turn: through a
:class:`~nuke_ai_panel.session.ChatSession`, exactly as the panel does, with the printer
listening to the session's events.
"""

from __future__ import annotations

import argparse
import json
import threading
from typing import Any, Callable, Dict, Optional, TextIO

from .. import errors
from ..errors import ProviderError
from ..events import StreamEvent, to_dict
from ..outcome import ending_note, is_cut_short
from ..redact import redact
from ..session import ChatSession, Target, Turn, direct_dispatcher
from ..settings import ProviderSettings

EXIT_OK, EXIT_ERROR, EXIT_USAGE, EXIT_INTERRUPTED = 0, 1, 2, 130
POLL = 0.1  # seconds between checks for Ctrl-C while waiting

StartTurn = Callable[[ChatSession, Target], Optional[Turn]]


class CliError(Exception):
    """Ends a command with exit ``code`` after printing ``error: KIND: MESSAGE`` and the hint."""

    def __init__(self, code: int, kind: str, message: str, hint: str = "") -> None:
        super().__init__(message)
        self.code, self.kind, self.message, self.hint = code, kind, message, hint


def print_error(err: TextIO, kind: str, message: str, hint: str) -> None:
    """``error: KIND: MESSAGE`` on one line, the hint on the next; keys masked."""
    err.write(f"error: {kind}: {redact(message)}\n")
    if hint:
        err.write(f"{redact(hint)}\n")
    err.flush()


def config_error(exc: ProviderError) -> CliError:
    """A provider error as the command's failure: exit 2 for ``config``, else 1."""
    code = EXIT_USAGE if exc.kind == errors.CONFIG else EXIT_ERROR
    return CliError(code, exc.kind, exc.message, exc.hint)


def seconds(text: str) -> float:
    """argparse type: a number of seconds greater than 0."""
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a number of seconds: {text!r}") from None
    if value <= 0:
        raise argparse.ArgumentTypeError("must be more than 0 seconds")
    return value


def resolve_settings(args: argparse.Namespace, provider_id: str) -> ProviderSettings:
    """The call settings for ``provider_id`` with the command's overrides, as
    :meth:`Config.resolve` judges them; CliError (exit 2) when the call cannot be made."""
    from ..config import load_config
    try:
        return load_config().resolve(
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


def require_model(settings: ProviderSettings) -> None:
    if not settings.model:
        pid = settings.provider_id
        raise CliError(EXIT_USAGE, errors.CONFIG, f"no model set for {pid}",
                       f"Pass -m MODEL; `python -m nuke_ai_panel models -p {pid}` lists them.")


def wait_interruptibly(wait: Callable[[float], bool], cancel: Callable[[], Any]) -> None:
    """Wait in short slices so Ctrl-C reaches us; on Ctrl-C cancel, allow the job a second
    to close its connection, and re-raise."""
    try:
        while not wait(POLL):
            pass
    except KeyboardInterrupt:
        cancel()
        wait(1.0)
        raise


def run_turn(settings: ProviderSettings, start: StartTurn, out: TextIO, err: TextIO,
             as_json: bool, reasoning: bool = False, system_prompt: str = "",
             temperature: Optional[float] = None, max_tokens: Optional[int] = None,
             serve: Optional[Callable[[], Any]] = None) -> int:
    """One turn through a chat session, printed as it streams; returns the exit code.

    ``start(session, target)`` sends the turn (``session.send``, ``send_helper`` or
    ``send_agent``). ``serve()`` runs on this thread while it waits, a tenth of a second
    apart (the agent's y/N prompts). Raises :class:`BrokenPipeError` when stdout was closed
    by its reader (the turn is stopped at once), for the entry point to exit quietly.
    """
    from ..worker import Worker
    printer = StreamPrinter(out, err, as_json, reasoning)
    worker = Worker()
    session = ChatSession(worker, direct_dispatcher, save_history=False)
    session.on_event.add(printer.on_event)
    printer.stop = session.stop
    target = Target(settings, system_prompt, temperature, max_tokens)
    try:
        turn = start(session, target)
        if turn is None:
            raise CliError(EXIT_USAGE, errors.CONFIG, "the prompt is empty",
                           "Give the question as the last argument, or \"-\" to read stdin.")
        started = turn

        def wait(timeout: float) -> bool:
            if serve is not None:
                serve()
            return started.wait(timeout)

        wait_interruptibly(wait, session.stop)
    finally:
        session.close()
        worker.shutdown()
    if printer.closed:
        raise BrokenPipeError("stdout was closed")
    return turn_exit_code(turn, err, as_json)


def turn_exit_code(turn: Turn, err: TextIO, as_json: bool) -> int:
    """0 done; 1 provider or network error; 2 config; 130 stopped. The error line goes to
    stderr (``--json`` already printed the error event)."""
    if turn.finish is not None:
        return EXIT_OK
    error = turn.error
    if error is None:
        _print_failed_job(err, turn.handle)
        return EXIT_ERROR
    if not as_json:
        print_error(err, error.kind, error.message, error.hint)
    if error.kind == errors.CANCELLED:
        return EXIT_INTERRUPTED
    return EXIT_USAGE if error.kind == errors.CONFIG else EXIT_ERROR


def _print_failed_job(err: TextIO, handle: Any) -> None:
    """The stream ended without its terminal event: say why rather than exit 0 silently."""
    error = handle.exception() if handle is not None and handle.done() else None
    message = f"the request ended without an answer ({error!r})" if error else \
        "the request ended without an answer"
    print_error(err, errors.PROTOCOL, message,
                "This is a bug in Nuke AI Panel; the log has the details.")


class StreamPrinter:
    """A session's ``on_event`` listener for the terminal; runs on the loop thread.

    Prints each delta's text to ``out`` and flushes it; ``waiting`` (on a terminal),
    ``retrying``, reasoning (when asked) and the ending note go to ``err``. ``as_json``
    prints every event as one JSON line instead. When ``out`` can no longer be written (the
    reader closed the pipe), it sets :attr:`closed`, calls :attr:`stop` to end the turn and
    prints nothing more.
    """

    def __init__(self, out: TextIO, err: TextIO, as_json: bool, reasoning: bool) -> None:
        self.out, self.err, self.as_json, self.reasoning = out, err, as_json, reasoning
        self.stop: Callable[[], Any] = lambda: None
        self.closed = False
        self._status_shown = False
        self._text_ended_with_newline = True
        self._lock = threading.Lock()
        self._tty = bool(getattr(err, "isatty", lambda: False)())

    def on_event(self, _turn: Turn, event: StreamEvent) -> None:
        with self._lock:
            if self.closed:
                return
            data = to_dict(event)
            try:
                if self.as_json:
                    self._out(json.dumps(data, ensure_ascii=False) + "\n")
                else:
                    self._human(data)
            except (OSError, ValueError):  # BrokenPipeError, or a closed file
                self.closed = True
        if self.closed:
            self.stop()

    def _out(self, text: str) -> None:
        self.out.write(text)
        self.out.flush()

    def _err(self, text: str) -> None:
        """stderr is for the artist's eyes only: losing it never stops the answer."""
        try:
            self.err.write(text)
            self.err.flush()
        except (OSError, ValueError):
            pass

    def _human(self, data: Dict[str, Any]) -> None:
        kind = data["type"]
        if kind == "delta":
            self._clear_status()
            if data["reasoning"] and self.reasoning:
                self._err(data["reasoning"])
            if data["text"]:
                self._out(data["text"])
                self._text_ended_with_newline = data["text"].endswith("\n")
        elif kind == "waiting" and self._tty:
            self._err(f"\rwaiting for the model... {data['seconds']:.0f} s")
            self._status_shown = True
        elif kind == "retrying":
            self._clear_status()
            self._err(f"retrying in {data['delay']:.1f} s ({data['reason']}), "
                      f"attempt {data['attempt']}\n")
        elif kind in ("done", "error"):
            self._clear_status()
            if not self._text_ended_with_newline:
                self._out("\n")
                self._text_ended_with_newline = True
            if kind == "error" and data["partial"]:
                self._err(f"[{ending_note(data['kind'], True)}]\n")
            elif kind == "done" and is_cut_short(data["finish_reason"]):
                self._err("[answer cut short: the model reached its token limit "
                          f"(finish reason {data['finish_reason']})]\n")

        elif kind in _AGENT_LINES:
            self._clear_status()
            self._err(_AGENT_LINES[kind](data) + "\n")

    def _clear_status(self) -> None:
        if self._status_shown:
            self._err("\r\033[K")
            self._status_shown = False


def _agent_done(data: Dict[str, Any]) -> str:
    limit = "; the step limit was reached" if data["limit_reached"] else ""
    return (f"[agent: {data['steps']} step(s), {data['applied']} change(s) applied, "
            f"{data['rejected']} rejected{limit}]")


# The agent's events, one line each on stderr (stdout keeps the answer text).
_AGENT_LINES: Dict[str, Callable[[Dict[str, Any]], str]] = {
    "tool_call": lambda d: f"-> {d['name']} {errors.one_line(d['arguments'], 120)}",
    "approval": lambda d: "   approved" if d["approved"] else "   rejected",
    "tool_result": lambda d: f"   {'ok' if d['ok'] else 'failed'}: {d['summary']}",
    "notice": lambda d: f"note: {d['message']}",
    "agent_done": _agent_done,
}


def setup_logging(err: TextIO) -> None:
    """Warnings (a malformed chunk skipped, a corrupt file set aside) go to stderr, masked."""
    import logging

    from ..logs import get_logger, protect_handler
    logger = get_logger()
    for handler in list(logger.handlers):
        if getattr(handler, "_nuke_ai_panel_cli", False):
            logger.removeHandler(handler)
    handler = logging.StreamHandler(err)
    handler.setLevel(logging.WARNING)
    handler.setFormatter(logging.Formatter("%(levelname)s: %(message)s"))
    handler._nuke_ai_panel_cli = True  # type: ignore[attr-defined]
    logger.addHandler(protect_handler(handler))


def add_json(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--json", action="store_true", help="machine-readable output")
