"""Byte chunks -> lines -> SSE events or NDJSON objects (DESIGN section 5).

We split lines ourselves instead of using aiohttp's ``readline``: that fails on lines over a
few hundred KiB, and providers send single events far larger than that. A CRLF split across two
chunks is one line ending, not two; only complete lines are decoded, so a multi-byte character
split across chunks survives, and invalid bytes become U+FFFD. A leading UTF-8 BOM is dropped.
"""

from __future__ import annotations

import json
from typing import Any, Iterable, Iterator, List, NamedTuple, Optional, Tuple

MAX_LINE_BYTES = 16 * 1024 * 1024

_BOM = b"\xef\xbb\xbf"


class LineTooLong(Exception):
    def __init__(self, limit: int) -> None:
        super().__init__(f"a single line of the stream is over {limit // (1024 * 1024)} MiB")
        self.limit = limit


class LineSplitter:
    """Splits a byte stream on LF, CRLF and CR, whatever the chunk boundaries.

    :meth:`feed_text` is the hot path: it finds the last line ending of a chunk, decodes all
    the complete lines before it at once and splits them as text (a line ending is ASCII, so
    this is the same as decoding line by line), keeping only the unfinished last line.
    """

    def __init__(self, max_line: int = MAX_LINE_BYTES) -> None:
        self._buf = bytearray()
        self._skip_lf = False
        self._max = max_line
        self._first = True  # the first line may start with a BOM

    def feed(self, data: bytes) -> List[bytes]:
        """The complete lines ``data`` finishes, as bytes."""
        block = self._complete(data)
        if block is None:
            return []
        lines = block.split(b"\n")
        if self._first:
            self._first = False
            if lines[0].startswith(_BOM):
                lines[0] = lines[0][3:]
        return lines

    def feed_text(self, data: bytes) -> List[str]:
        """The complete lines ``data`` finishes, decoded (invalid bytes become U+FFFD)."""
        if data[-1:] == b"\n" and not (self._buf or self._skip_lf or self._first) and \
                b"\r" not in data and len(data) <= self._max:
            # the usual chunk: whole LF-ended lines and nothing left over
            lines = data.decode("utf-8", "replace").split("\n")
            lines.pop()
            return lines
        block = self._complete(data)
        if block is None:
            return []
        text = block.decode("utf-8", "replace")
        if self._first:
            self._first = False
            if text.startswith("\ufeff"):
                text = text[1:]
        return text.split("\n")

    def flush(self) -> List[bytes]:
        """The last line when the stream ends without a line ending."""
        if not self._buf:
            return []
        line = bytes(self._buf)
        self._buf.clear()
        if self._first:
            self._first = False
            if line.startswith(_BOM):
                line = line[3:]
        return [line]

    def flush_text(self) -> List[str]:
        """:meth:`flush`, decoded."""
        return [decode_line(line) for line in self.flush()]

    def _complete(self, data: bytes) -> Optional[bytes]:
        """The complete lines ``data`` finishes, joined by LF without the last one's ending;
        None if it finishes none. Keeps the unfinished rest; raises :class:`LineTooLong`."""
        if self._skip_lf:
            self._skip_lf = False
            if data[:1] == b"\n":
                data = data[1:]
        if not data:
            return None
        if b"\r" in data:
            # a CR at the very end may be the first half of a CRLF: its LF is dropped later
            self._skip_lf = data[-1:] == b"\r"
            data = data.replace(b"\r\n", b"\n").replace(b"\r", b"\n")
        end = data.rfind(b"\n")
        buf = self._buf
        if end < 0:
            buf += data
            if len(buf) > self._max:
                raise LineTooLong(self._max)
            return None
        if buf:
            buf += data[:end]
            block = bytes(buf)
            buf.clear()
        else:
            block = data[:end]
        if len(block) > self._max and any(len(line) > self._max for line in block.split(b"\n")):
            raise LineTooLong(self._max)
        if end + 1 < len(data):
            buf += data[end + 1:]
            if len(buf) > self._max:
                raise LineTooLong(self._max)
        return block


def decode_line(line: bytes) -> str:
    return line.decode("utf-8", "replace")


_scan_json = json.JSONDecoder().scan_once


def load_json(text: str) -> Any:
    """``json.loads(text)`` for one event's data, about twice as fast for the usual case of
    a value that fills the whole text: it calls the decoder's scanner directly, skipping the
    whitespace matching around it. Anything else (surrounding whitespace, trailing data, not
    JSON) goes to ``json.loads``, which decides; raises ``ValueError`` as it does."""
    try:
        value, end = _scan_json(text, 0)
    except StopIteration:
        return json.loads(text)
    if end != len(text):
        return json.loads(text)
    return value


class SSEEvent(NamedTuple):
    """One dispatched event: its type (``message`` unless named), its data lines joined by
    LF, and the last event id seen."""

    event: str
    data: str
    id: Optional[str] = None


ERROR_EVENT = "error"


class SSEDecoder:
    """The WHATWG event-stream field rules, one decoded line at a time, with three deliberate
    differences (DESIGN section 5):

    * :meth:`flush` at EOF dispatches an event whose data lines arrived but whose blank line did
      not (servers and proxies drop it), so a final ``[DONE]`` or ``message_stop`` still counts;
    * an unknown field named ``error``, or whose value looks like a JSON error object (old
      llama.cpp servers send ``error: {"code":400,"message":...}``), is dispatched at once as an
      ``error`` event instead of being ignored;
    * a line that is a bare JSON object (no ``data:`` field) is dispatched as an event of its own
      instead of being ignored, so a server that writes JSON without SSE framing loses nothing.
    """

    def __init__(self) -> None:
        self._event = ""
        self._data: List[str] = []
        self._last_id: Optional[str] = None
        self.ignored: Optional[str] = None  # the first line ignored as an unknown field

    def events(self, lines: Iterable[str]) -> Iterator[Tuple[str, str]]:
        """``(event type, data)`` of each event that ``lines`` completes, in order: the hot
        path, the same rules as :meth:`decode` with the common ``data:`` line read inline."""
        data = self._data
        for line in lines:
            if not line:
                if data:
                    yield self._event or "message", data[0] if len(data) == 1 else "\n".join(data)
                    data.clear()
                self._event = ""
            elif line.startswith("data:"):
                data.append(line[6:] if line[5:6] == " " else line[5:])
            else:
                event = self.decode(line)
                if event is not None:
                    yield event.event, event.data

    def decode(self, line: str) -> Optional[SSEEvent]:
        """Take one decoded line; returns the event it dispatches, if any."""
        if not line:
            return self._dispatch()
        first = line[0]
        if first == ":":
            return None
        if first == "{":
            return SSEEvent("message", line, self._last_id)
        name, sep, value = line.partition(":")
        if sep and value.startswith(" "):
            value = value[1:]
        if name == "data":
            self._data.append(value)
        elif name == "event":
            self._event = value
        elif name == "id":
            if "\0" not in value:
                self._last_id = value
        elif name != "retry":
            if _looks_like_error(name, value):
                return SSEEvent(ERROR_EVENT, value, self._last_id)
            if self.ignored is None:
                self.ignored = line
        return None

    def flush(self) -> Optional[SSEEvent]:
        """At EOF: the event still pending (data lines with no blank line after them), if any."""
        return self._dispatch()

    def _dispatch(self) -> Optional[SSEEvent]:
        if not self._data:
            self._event = ""
            return None
        event = SSEEvent(self._event or "message", "\n".join(self._data), self._last_id)
        self._event = ""
        self._data.clear()  # in place: :meth:`events` holds the same list
        return event


def _looks_like_error(name: str, value: str) -> bool:
    if name.strip().lower() == ERROR_EVENT:
        return True
    value = value.lstrip()
    return value.startswith("{") and ('"error"' in value or '"message"' in value)
