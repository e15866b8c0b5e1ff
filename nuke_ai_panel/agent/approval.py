"""How a proposed write reaches the artist, and how the answer comes back.

The front end supplies an :class:`Approver`. For each write the loop calls
``approver.request(approval)`` on the session owner's thread and waits, without blocking
anything, until ``approval.decide(...)`` is called, from any thread, once. The panel shows
one card per approval (its preview, Apply / Reject / Apply all remaining); the command
line asks y/N on a terminal, approves everything with ``--yes``
(:class:`ApproveAll`), or rejects everything when it has no terminal to ask
(:class:`RejectAll`). When Stop ends the turn first, ``approver.withdraw(approval)`` says
the card is void (the write counts as rejected); a ``decide`` after that is ignored.

Nothing is applied without a ``decide(True...)``: the loop applies an approved write on its
tool thread, as one named undo group.
"""

from __future__ import annotations

import threading
from typing import Any, Callable, Optional, Protocol

from .proposals import Proposal

__all__ = ["Approval", "Approver", "ApproveAll", "RejectAll", "NO_TERMINAL", "withdraw"]

NO_TERMINAL = ("the command ran without a terminal to ask the user and without --yes, so "
               "every change is rejected")


class Approval:
    """One write waiting for the artist.

    ``call_id`` / ``tool``: the tool call it answers; ``proposal``: what would change
    (``proposal.describe()`` is the preview text: nodes and wiring, old -> new knob
    values, code with risk flags, lint findings; ``proposal.title`` the undo group name;
    ``proposal.allowed`` False when it cannot be applied, e.g. code while code execution is
    off). :meth:`decide` answers it.
    """

    def __init__(self, call_id: str, tool: str, proposal: Proposal,
                 answer: Callable[["Approval", bool, str, bool], None]) -> None:
        self.call_id = call_id
        self.tool = tool
        self.proposal = proposal
        self._answer = answer
        self._lock = threading.Lock()
        self.decided: Optional[bool] = None

    @property
    def preview(self) -> str:
        return self.proposal.describe()

    def decide(self, approved: bool, reason: str = "", all_remaining: bool = False) -> bool:
        """Apply (``approved``) or reject this write; ``reason`` goes to the model with a
        rejection; ``all_remaining`` (with ``approved``) also approves every later write
        of this turn. Any thread, once: False when it was already decided."""
        with self._lock:
            if self.decided is not None:
                return False
            self.decided = bool(approved)
        self._answer(self, bool(approved), reason, bool(all_remaining and approved))
        return True


class Approver(Protocol):
    """What a front end implements (see the module docstring)."""

    def request(self, approval: Approval) -> None:
        """Show ``approval``; return at once (never wait for the artist here)."""

    def withdraw(self, approval: Approval) -> None:
        """Stop ended the turn before ``approval`` was decided: take it off the screen."""


class ApproveAll:
    """``--yes``: every write is approved as soon as it is proposed."""

    def request(self, approval: Approval) -> None:
        approval.decide(True)

    def withdraw(self, approval: Approval) -> None:
        pass


class RejectAll:
    """No one to ask: every write is rejected, and the model is told why."""

    def __init__(self, reason: str = NO_TERMINAL) -> None:
        self.reason = reason

    def request(self, approval: Approval) -> None:
        approval.decide(False, self.reason)

    def withdraw(self, approval: Approval) -> None:
        pass


def withdraw(approver: Any, approval: Approval) -> None:
    """Call ``approver.withdraw`` when it has one (a minimal approver may not)."""
    method = getattr(approver, "withdraw", None)
    if callable(method):
        method(approval)
