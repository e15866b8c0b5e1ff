"""``agent FILE.nk ... TASK``: the agent loop on a .nk script, without Nuke (DESIGN 7 and 11).

The script is read into the in-memory :class:`~nuke_ai_panel.graph.script_host.ScriptHost`
and the model works on it through the tools, exactly as in the panel's agent mode, through
the same chat session. The answer streams to stdout; each tool step, each write's preview
and the y/N question go to stderr. Who approves the writes:

* a terminal (stdin and stderr both one): each preview, then ``Apply this change? [y/N/a]``
  (``a``: this one and all the rest of the turn); anything else, or end of input, rejects;
* ``--yes``: every write is approved (its preview is still printed);
* neither: every write is rejected and the model is told why.

``-o OUT.nk`` writes the script afterwards (an unedited script comes out byte for byte);
the input file is never written unless ``-o`` names it. ``--json`` prints every event (the
stream events of each model call, ``tool_call``, ``approval``, ``tool_result``,
``agent_done``) as one JSON line. Exit codes as ``chat``.
"""

from __future__ import annotations

import argparse
import queue
import sys
from typing import Any, Optional, TextIO

from .. import errors
from ..agent.approval import NO_TERMINAL, Approval
from ..agent.registry import MODES
from ..atomic import atomic_write_bytes
from .chat import add_provider_options, image_errors, read_images
from .common import (EXIT_USAGE, CliError, add_json, require_model, resolve_settings,
                     run_turn)
from .scripts import read_host

__all__ = ["add_parsers", "agent_command", "CliApprover"]


def _steps(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a whole number: {text!r}") from None
    if not 1 <= value <= 50:
        raise argparse.ArgumentTypeError("must be from 1 to 50")
    return value


def add_parsers(sub: Any) -> None:
    agent = sub.add_parser("agent", help="let the model work on a .nk script through tools, "
                           "each change previewed")
    agent.add_argument("file", metavar="FILE.nk")
    add_provider_options(agent, required=False)
    agent.add_argument("-m", "--model")
    agent.add_argument("--mode", choices=MODES, help="ask: read tools only; agent: read and "
                       "write (default: the agent.default_mode setting)")
    agent.add_argument("--yes", action="store_true", help="approve every change")
    agent.add_argument("--max-steps", type=_steps, metavar="N",
                       help="rounds of tool calls before the model must sum up (default 12)")
    agent.add_argument("-o", "--output", metavar="OUT.nk", help="write the resulting script")
    agent.add_argument("--image", action="append", default=[], metavar="FILE",
                       help="attach an image to the task (repeatable)")
    add_json(agent)
    agent.add_argument("task", metavar="TASK", help='what to do; "-" reads it from stdin')
    agent.set_defaults(run=agent_command)


class CliApprover:
    """The command line's approver (see the module docstring). ``request`` runs on
    whichever thread the session delivers on; with a terminal it only queues the question,
    and :meth:`serve`, on the main thread, asks it."""

    def __init__(self, err: TextIO, how: str, stdin: Optional[TextIO] = None) -> None:
        self.err = err
        self.how = how  # "ask", "yes" or "reject"
        self.stdin = stdin or sys.stdin
        self._questions: "queue.Queue[Approval]" = queue.Queue()
        self._count = 0

    def request(self, approval: Approval) -> None:
        self._count += 1
        self._show(approval)
        if self.how == "yes":
            approval.decide(True)
        elif self.how == "reject":
            approval.decide(False, NO_TERMINAL)
        else:
            self._questions.put(approval)

    def withdraw(self, approval: Approval) -> None:
        self._say(f"   withdrawn: the turn was stopped ({approval.proposal.title})")

    def serve(self) -> None:
        """Ask the queued questions (main thread)."""
        while True:
            try:
                approval = self._questions.get_nowait()
            except queue.Empty:
                return
            if approval.decided is not None:
                continue
            self._say("Apply this change? [y/N/a = yes to all] ", newline=False)
            line = self.stdin.readline()
            answer = line.strip().lower()
            if not line:
                self._say("")
            approval.decide(answer in ("y", "yes", "a", "all"),
                            "" if answer in ("y", "yes", "a", "all") else
                            "the user answered no", all_remaining=answer in ("a", "all"))

    def _show(self, approval: Approval) -> None:
        proposal = approval.proposal
        self._say(f"\n--- proposed change {self._count}: {proposal.title} "
                  f"({approval.tool}, call {approval.call_id}) ---")
        self._say(proposal.describe().rstrip())
        self._say("---")

    def _say(self, text: str, newline: bool = True) -> None:
        try:
            self.err.write(text + ("\n" if newline else ""))
            self.err.flush()
        except (OSError, ValueError):
            pass


def _is_terminal(stream: Any) -> bool:
    try:
        return bool(stream.isatty())
    except (AttributeError, ValueError):
        return False


def agent_command(args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    from ..agent.setup import AgentOptions
    from ..config import load_config
    host = read_host(args.file)
    config = load_config()
    provider = args.provider or config.default_provider
    settings = resolve_settings(args, provider)
    require_model(settings)
    task = _read_task(args.task)
    images = read_images(args.image)
    try:
        options = AgentOptions.from_config(config, mode=args.mode, max_steps=args.max_steps)
    except ValueError as exc:
        raise CliError(EXIT_USAGE, errors.CONFIG, str(exc)) from None
    if args.yes:
        how = "yes"
    elif _is_terminal(sys.stdin) and _is_terminal(err) and args.task != "-":
        how = "ask"
    else:
        how = "reject"
    approver = CliApprover(err, how)

    def start(session: Any, target: Any) -> Any:
        with image_errors():
            return session.send_agent(task, target, host, approver, options, images=images)

    code = run_turn(settings, start, out, err, args.json,
                    system_prompt=config.system_prompt(), serve=approver.serve)
    if args.output:
        _write(host, args.output, err)
    return code


def _write(host: Any, path: str, err: TextIO) -> None:
    try:
        atomic_write_bytes(path, host.to_bytes(), private=False)
    except OSError as exc:
        raise CliError(EXIT_USAGE, errors.CONFIG, f"cannot write {path}: "
                       f"{exc.strerror or exc}", "Check the folder exists and is writable."
                       ) from None
    steps = len(host.undo_names())
    err.write(f"wrote {path} ({steps} change{'s' if steps != 1 else ''} applied)\n")
    err.flush()


def _read_task(task: str) -> str:
    text = sys.stdin.read() if task == "-" else task
    if not text.strip():
        raise CliError(EXIT_USAGE, errors.CONFIG, "the task is empty",
                       "Say what to do, e.g. \"Add a blur after the grade\".")
    return text
