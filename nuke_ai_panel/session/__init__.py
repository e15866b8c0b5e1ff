"""The chat session (DESIGN section 10): one conversation and the turn in flight, Qt-free.

:class:`ChatSession` owns the conversation and the turn; :class:`Target` says where a turn
goes; :class:`Turn` is one answer in flight and the reducer of its events; :mod:`.dispatch`
says how events reach the owner's thread. The chat panel is a view of a session, and the
helpers drive the same one.
"""

from __future__ import annotations

from .chat import ChatSession
from .dispatch import Channel, Dispatcher, Listeners, direct_dispatcher
from .request import HelperPrompt, Target, build_request, request_messages
from .turn import JobEnded, Turn

__all__ = [
    "Channel",
    "ChatSession",
    "Dispatcher",
    "HelperPrompt",
    "JobEnded",
    "Listeners",
    "Target",
    "Turn",
    "build_request",
    "direct_dispatcher",
    "request_messages",
]
