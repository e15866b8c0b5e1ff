"""One chat turn as its stream told it, and the reader that feeds a response body into it.

:class:`Turn` accumulates what the stream said across events and retries: the text and
reasoning (emitting one ``delta`` per network chunk), the finish reason, refusal and filter
signals, an in-band error, the terminal event, the first data the parser did not understand,
and the failure that ended an attempt. It decides nothing: :mod:`nuke_ai_panel.outcome` reads it.

:class:`BodyReader` is the whole path from the bytes of one response to the turn (DESIGN
section 5): lines, SSE events or NDJSON objects, or one complete JSON answer. It is pure and
synchronous (no sockets; the caller says when each chunk arrived, else the turn's clock is
read once for it), so tests drive it directly with any chunking.
"""

from __future__ import annotations

import json
import time
from typing import Callable, Dict, List, Optional

from . import errors
from .errors import InbandError, ProviderError
from .events import DeltaEvent, StreamEvent, WaitingEvent
from .logs import get_logger
from .providers.base import NDJSON, SSE, Parsed, Provider, Read
from .streaming import MAX_LINE_BYTES, LineSplitter, LineTooLong, SSEDecoder, decode_line
from .tool_calls import CallBuilder, ToolCall, assign_ids

log = get_logger(__name__)

Emit = Callable[[StreamEvent], None]
TICK = 1.0
JSON_DOCUMENT = "json"
EXCERPT_CHARS = 160
_SSE_STARTS = (b"data:", b"event:", b"id:", b":")


class Turn:
    """The mutable record of one chat turn; ``emit`` gets each event (a sink that raises is
    logged, never fatal).

    Content is emitted one ``delta`` per network chunk, not per stream event: the reader
    sets :attr:`now` (the clock read once for the chunk), the chunk's events add their text
    and reasoning, and :meth:`flush` emits them merged, in order, as one :class:`DeltaEvent`
    whose ``chunks`` counts the events whose text it carries. Any other event flushes the
    pending content first, so a delta never merges across it.

    Tool calls (:attr:`tool_calls`, one :class:`~nuke_ai_panel.tool_calls.CallBuilder` per
    call, in order) are content too: a piece of a call stamps the chunk's time as content
    (the first-token and idle deadlines count it, and nothing is retried once one came),
    though it emits no delta; :meth:`calls` gives the finished calls. A turn that offered
    no tools (``accepts_calls`` False) takes a call as data it does not understand: an
    answer of such calls alone is ``empty``, quoting them, never a blank success.
    """

    def __init__(self, emit: Emit, clock: Callable[[], float] = time.monotonic,
                 accepts_calls: bool = True) -> None:
        self._emit = emit
        self.accepts_calls = accepts_calls
        self._clock = clock
        self.started = clock()
        self.now = self.started  # when the chunk being read arrived
        self.text_parts: List[str] = []
        self.reasoning_parts: List[str] = []
        self._pending_chunks = 0  # the last parts of text_parts, not emitted yet
        self._pending_reasoning = 0  # the same for reasoning_parts
        self.tool_calls: List[CallBuilder] = []  # an answer of tool calls alone is an answer
        self._calls_by_index: Dict[int, CallBuilder] = {}
        self._pending_calls = False  # call pieces taken since the last flush
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
        if (self._pending_chunks or self._pending_reasoning or self._pending_calls) and \
                event.type != "delta":
            self.flush()
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

    def take_text(self, text: str) -> None:
        """One event that carried answer text and nothing else (the per-token hot path)."""
        self.events += 1
        self.text_parts.append(text)
        self._pending_chunks += 1
        self.finished = False

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
            if text:
                self.text_parts.append(text)
                self._pending_chunks += 1
            if reasoning:
                self.reasoning_parts.append(reasoning)
                self._pending_reasoning += 1
            self.finished = False
        if parsed.tool_calls:
            if self.accepts_calls:
                self._take_calls(parsed)
            elif not parsed.unrecognised:
                self.strange += 1
                self.remember(raw)
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

    def _take_calls(self, parsed: Parsed) -> None:
        for piece in parsed.tool_calls:
            builder = self._calls_by_index.get(piece.index)
            if builder is None:
                builder = self._calls_by_index[piece.index] = CallBuilder(piece.index)
                self.tool_calls.append(builder)
            builder.add(piece)
        self._pending_calls = True
        self.finished = False

    def calls(self) -> List[ToolCall]:
        """The answer's tool calls, each with a non-empty id unique within the answer."""
        return assign_ids(b.build() for b in self.tool_calls)

    def flush(self) -> None:
        """Emit the content taken since the last delta as one delta, stamped :attr:`now`."""
        chunks, thinking = self._pending_chunks, self._pending_reasoning
        if not (chunks or thinking):
            if self._pending_calls:  # content, though no text to show
                self._pending_calls = False
                self._stamp_content()
            return
        self._pending_chunks = self._pending_reasoning = 0
        self._pending_calls = False
        text = self.text_parts[-1] if chunks == 1 else _merge(self.text_parts, chunks)
        reasoning = _merge(self.reasoning_parts, thinking) if thinking else ""
        self._stamp_content()
        try:
            self._emit(DeltaEvent.of_chunk(text, reasoning, chunks))
        except Exception:
            log.exception("stream event sink failed on a delta event")


    def _stamp_content(self) -> None:
        now = self.now
        if self.first_content is None:
            self.first_content = now
        self.last_content = now


def _merge(parts: List[str], count: int) -> str:
    """The last ``count`` parts as one string, which also replaces them in ``parts``."""
    if count <= 1:
        return parts[-1] if count else ""
    merged = "".join(parts[-count:])
    parts[-count:] = [merged]
    return merged


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
        self._sse: Optional[SSEDecoder] = None
        self._lines = self._ndjson
        self._use_format(self.mode)
        self._document: Optional[bytearray] = bytearray() if self.mode == JSON_DOCUMENT else None
        self._sniffed = False
        provider.begin_response()

    def feed(self, chunk: bytes, now: Optional[float] = None) -> bool:
        """Take the next chunk of the body, which arrived at ``now`` (the turn's clock by
        default); True once nothing more needs reading. Its content leaves as one delta."""
        turn = self.turn
        turn.now = turn._clock() if now is None else now
        try:
            if self._document is not None:
                return self._buffer(chunk)
            return self._lines(self._splitter.feed_text(chunk))
        finally:
            turn.flush()

    def end(self, now: Optional[float] = None) -> None:
        """The body ended (at ``now``): the last line without its line ending, the SSE event
        without its blank line, or the buffered JSON answer, are read now."""
        turn = self.turn
        turn.now = turn._clock() if now is None else now
        try:
            self._end()
        finally:
            turn.flush()

    def _end(self) -> None:
        if self._document is not None:
            self._read_document()
            return
        if self._lines(self._splitter.flush_text()):
            return
        if self._sse is not None:
            event = self._sse.flush()
            if event is not None:
                self._apply(self.provider.read_event(event.event, event.data), event.data)
            self._note_ignored()

    # -- lines ---------------------------------------------------------------------------------

    def _use_format(self, mode: str) -> None:
        """Read lines as ``mode`` says: SSE events, or NDJSON objects."""
        self._sse = SSEDecoder() if mode == SSE else None
        self._lines = self._events if mode == SSE else self._ndjson

    def _events(self, lines: List[str]) -> bool:
        """The hot path for SSE: one call per chunk, a few steps per event."""
        assert self._sse is not None
        read, take = self.provider.read_event, self.turn.take_text
        for name, data in self._sse.events(lines):
            result = read(name, data)
            if type(result) is str:
                take(result)
            elif self._apply(result, data):
                self._note_ignored()
                return True
        return False

    def _ndjson(self, lines: List[str]) -> bool:
        """The hot path for NDJSON: one call per chunk, a few steps per line."""
        read, take = self.provider.read_json, self.turn.take_text
        for line in lines:
            if line[:1] != "{" and not line.strip():
                continue
            result = read(line, "message")
            if type(result) is str:
                take(result)
            elif self._apply(result, line):
                return True
        return False

    def _apply(self, parsed: Read, raw: str) -> bool:
        if isinstance(parsed, str):
            self.turn.take_text(parsed)
            return False
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
        self._use_format(self.mode)
        return self._lines(self._splitter.feed_text(bytes(document)))

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
        self._end()
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
