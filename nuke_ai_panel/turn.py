"""One chat turn as its stream told it, and the reader that feeds a response body into it.

:class:`Turn` accumulates what the stream said across events and retries: the text and
reasoning (emitting each ``delta`` as it arrives), the finish reason, refusal and filter
signals, an in-band error, the terminal event, the first data the parser did not understand,
and the failure that ended an attempt. It decides nothing: :mod:`nuke_ai_panel.outcome` reads it.

:class:`BodyReader` is the whole path from the bytes of one response to the turn (DESIGN
section 5): lines, SSE events or NDJSON objects, or one complete JSON answer. It is pure and
synchronous (no sockets, no clock), so tests drive it directly with any chunking.
"""

from __future__ import annotations

import json
import time
from typing import Callable, List, Optional

from . import errors
from .errors import InbandError, ProviderError
from .events import DeltaEvent, StreamEvent, WaitingEvent
from .logs import get_logger
from .providers.base import NDJSON, SSE, Parsed, Provider
from .streaming import MAX_LINE_BYTES, LineSplitter, LineTooLong, SSEDecoder, SSEEvent, decode_line

log = get_logger(__name__)

Emit = Callable[[StreamEvent], None]
TICK = 1.0
JSON_DOCUMENT = "json"
EXCERPT_CHARS = 160
_SSE_STARTS = (b"data:", b"event:", b"id:", b":")


class Turn:
    """The mutable record of one chat turn; ``emit`` gets each event (a sink that raises is
    logged, never fatal)."""

    def __init__(self, emit: Emit, clock: Callable[[], float] = time.monotonic) -> None:
        self._emit = emit
        self._clock = clock
        self.started = clock()
        self.text_parts: List[str] = []
        self.reasoning_parts: List[str] = []
        self.tool_calls = 0  # none are read yet; an answer of tool calls alone is an answer
        self.first_content: Optional[float] = None
        self.last_content = self.started
        self.next_tick = self.started + TICK
        self.prompt_tokens: Optional[int] = None
        self.completion_tokens: Optional[int] = None
        self.new_attempt()

    def new_attempt(self) -> None:
        """Forget what the previous attempt's response said (retries happen before content)."""
        self.events = 0
        self.malformed = 0
        self.strange = 0  # events that were malformed or not understood
        self.finish_reason: Optional[str] = None
        self.finished = False  # a finish reason arrived after the last content
        self.terminal = False
        self.block: Optional[str] = None
        self.stop_details: List[str] = []
        self.inband: Optional[InbandError] = None
        self.unrecognised = ""
        self.failure: Optional[ProviderError] = None

    @property
    def content_seen(self) -> bool:
        return self.first_content is not None

    @property
    def text(self) -> str:
        return "".join(self.text_parts)

    @property
    def reasoning(self) -> str:
        return "".join(self.reasoning_parts)

    @property
    def stop_detail(self) -> str:
        return "".join(self.stop_details)

    def emit(self, event: StreamEvent) -> None:
        try:
            self._emit(event)
        except Exception:
            log.exception("stream event sink failed on a %s event", event.type)

    def tick(self) -> None:
        """Say how long we have waited, about once a second, until content arrives."""
        now = self._clock()
        if not self.content_seen and now >= self.next_tick:
            self.emit(WaitingEvent(round(now - self.started, 1)))
            while self.next_tick <= now:
                self.next_tick += TICK

    def remember(self, raw: str) -> None:
        """Keep an excerpt of the first data the parser did not understand."""
        if not self.unrecognised and raw.strip():
            self.unrecognised = errors.one_line(raw[:1024], EXCERPT_CHARS)

    def apply(self, parsed: Parsed, raw: str) -> bool:
        """Take one parsed event (``raw`` is its text, quoted if not understood); True once the
        stream has said its last word (the terminal event or an in-band error)."""
        self.events += 1
        if parsed.malformed:
            self.malformed += 1
            self.strange += 1
            self.remember(raw)
            return False
        if parsed.unrecognised:
            self.strange += 1
            self.remember(raw)
        if parsed.prompt_tokens is not None:
            self.prompt_tokens = parsed.prompt_tokens
        if parsed.completion_tokens is not None:
            self.completion_tokens = parsed.completion_tokens
        text, reasoning = parsed.text, parsed.reasoning
        if text or reasoning:
            now = self._clock()
            if self.first_content is None:
                self.first_content = now
            self.last_content = now
            if text:
                self.text_parts.append(text)
            if reasoning:
                self.reasoning_parts.append(reasoning)
            self.finished = False
            self.emit(DeltaEvent(text, reasoning))
        if parsed.finish_reason:
            self.finish_reason = parsed.finish_reason
            self.finished = True
        if parsed.block and self.block is None:
            self.block = parsed.block
        if parsed.stop_detail:
            self.stop_details.append(parsed.stop_detail)
        if parsed.error is not None:
            self.inband = parsed.error
            return True
        if parsed.terminal:
            self.terminal = True
            return True
        return False


class BodyReader:
    """Feeds one response body into a :class:`Turn`.

    ``mode`` is the provider's stream format (``sse`` / ``ndjson``) or ``json`` for a body
    labelled ``application/json``: that is read whole as the provider's complete answer (an
    object, or a JSON array of them), unless its first bytes show it is really an event stream.
    Raises :class:`~nuke_ai_panel.streaming.LineTooLong` for a line or document over the cap,
    and ``protocol`` for a JSON-labelled body that is neither JSON nor the provider's stream.
    """

    def __init__(self, provider: Provider, turn: Turn, mode: Optional[str] = None,
                 max_line: int = MAX_LINE_BYTES) -> None:
        self.provider = provider
        self.turn = turn
        self.mode = mode or provider.stream_format
        self._max = max_line
        self._splitter = LineSplitter(max_line)
        self._sse: Optional[SSEDecoder] = SSEDecoder() if self.mode == SSE else None
        self._document: Optional[bytearray] = bytearray() if self.mode == JSON_DOCUMENT else None
        self._sniffed = False
        provider.reset()

    def feed(self, chunk: bytes) -> bool:
        """Take the next chunk of the body; True once nothing more needs reading."""
        if self._document is not None:
            return self._buffer(chunk)
        return self._lines(self._splitter.feed(chunk))

    def end(self) -> None:
        """The body ended: the last line without its line ending, the SSE event without its
        blank line, or the buffered JSON answer, are read now."""
        if self._document is not None:
            self._read_document()
            return
        if self._lines(self._splitter.flush()):
            return
        if self._sse is not None:
            event = self._sse.flush()
            if event is not None:
                self._apply(self.provider.parse_event(event), event.data)
            self._note_ignored()

    # -- lines ---------------------------------------------------------------------------------

    def _lines(self, lines: List[bytes]) -> bool:
        provider, sse = self.provider, self._sse
        for raw in lines:
            line = decode_line(raw)
            if sse is None:
                if not line.strip():
                    continue
                if self._apply(provider.parse_line(line), line):
                    return True
                continue
            event: Optional[SSEEvent] = sse.decode(line)
            if event is not None and self._apply(provider.parse_event(event), event.data):
                self._note_ignored()
                return True
        return False

    def _apply(self, parsed: Parsed, raw: str) -> bool:
        if parsed.malformed:
            log.warning("%s: skipped a malformed chunk: %s", self.provider.id,
                        errors.one_line(raw[:4096], 120))
        return self.turn.apply(parsed, raw)

    def _note_ignored(self) -> None:
        if self._sse is not None and self._sse.ignored:
            self.turn.remember(self._sse.ignored)

    # -- a JSON document -----------------------------------------------------------------------

    def _buffer(self, chunk: bytes) -> bool:
        document = self._document
        assert document is not None
        document += chunk
        if len(document) > self._max:
            raise LineTooLong(self._max)
        if not self._sniffed:
            head = bytes(document[:64]).lstrip(b" \t\r\n\xef\xbb\xbf")
            if head[:1] in (b"{", b"[") or len(head) >= 6:
                self._sniffed = True
                if head.startswith(_SSE_STARTS) and self.provider.stream_format == SSE:
                    return self._switch_to_lines()
        return False

    def _switch_to_lines(self) -> bool:
        """The body is the provider's own stream under another label: read it as such."""
        document = self._document
        assert document is not None
        self._document = None
        self.mode = self.provider.stream_format
        self._sse = SSEDecoder() if self.mode == SSE else None
        return self._lines(self._splitter.feed(bytes(document)))

    def _read_document(self) -> None:
        document = self._document
        assert document is not None
        text = decode_line(bytes(document)).lstrip("\ufeff")
        try:
            data = json.loads(text)
        except ValueError:
            self._not_json(text)
            return
        for item in data if isinstance(data, list) else [data]:
            if isinstance(item, dict):
                parsed = self.provider.parse_json("message", item)
                if parsed.unrecognised and errors.error_message_from_json(item):
                    parsed = Parsed(error=errors.inband_error(item))
            else:
                parsed = Parsed(unrecognised=True)
            if self._apply(parsed, text):
                return
        # the whole answer has been read: it ended, whether or not it said so
        self.turn.terminal = True

    def _not_json(self, text: str) -> None:
        """Not one JSON document: perhaps the provider's stream mislabelled, else ``protocol``."""
        if self._switch_to_lines():
            return
        self.end()
        turn = self.turn
        if turn.text or turn.reasoning or turn.finish_reason or turn.terminal or turn.inband \
                or turn.block:
            return
        body = text.encode("utf-8", "replace")
        detail = errors.html_summary(body) if errors.looks_like_html(body) else \
            errors.one_line(text[:1024], EXCERPT_CHARS) or "an empty body"
        raise ProviderError(errors.PROTOCOL,
                            f"Expected an event stream or a JSON answer but got: {detail}",
                            self.provider.hint(errors.PROTOCOL))


__all__ = ["BodyReader", "Emit", "JSON_DOCUMENT", "NDJSON", "SSE", "TICK", "Turn"]
