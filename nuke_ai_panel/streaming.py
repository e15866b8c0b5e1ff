"""Byte chunks -> lines -> SSE events or NDJSON objects (DESIGN section 5).

We split lines ourselves instead of using aiohttp's ``readline``: that fails on lines over a
few hundred KiB, and providers send single events far larger than that. A CRLF split across two
chunks is one line ending, not two; text is decoded per complete line so a multi-byte character
split across chunks survives, and invalid bytes become U+FFFD. A leading UTF-8 BOM is dropped.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import List, Optional

MAX_LINE_BYTES = 16 * 1024 * 1024

_EOL = re.compile(rb"\r\n|\r|\n")
_BOM = b"\xef\xbb\xbf"


class LineTooLong(Exception):
    def __init__(self, limit: int) -> None:
        super().__init__(f"a single line of the stream is over {limit // (1024 * 1024)} MiB")
        self.limit = limit


class LineSplitter:
    """Splits a byte stream on LF, CRLF and CR, whatever the chunk boundaries."""

    def __init__(self, max_line: int = MAX_LINE_BYTES) -> None:
        self._buf = bytearray()
        self._skip_lf = False
        self._max = max_line
        self._first = True  # the first line may start with a BOM

    def feed(self, data: bytes) -> List[bytes]:
        if self._skip_lf and data:
            self._skip_lf = False
            if data[:1] == b"\n":
                data = data[1:]
        if not data:
            return []
        lines: List[bytes] = []
        start = 0
        for match in _EOL.finditer(data):
            piece = data[start:match.start()]
            if self._buf:
                self._buf += piece
                piece = bytes(self._buf)
                self._buf.clear()
            if len(piece) > self._max:
                raise LineTooLong(self._max)
            lines.append(piece)
            start = match.end()
        if self._first and lines:
            self._first = False
            if lines[0].startswith(_BOM):
                lines[0] = lines[0][3:]
        if data[-1:] == b"\r":
            self._skip_lf = True
        self._buf += data[start:]
        if len(self._buf) > self._max:
            raise LineTooLong(self._max)
        return lines

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


def decode_line(line: bytes) -> str:
    return line.decode("utf-8", "replace")


@dataclass(frozen=True)
class SSEEvent:
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

    def decode(self, line: str) -> Optional[SSEEvent]:
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
        self._data = []
        return event


def _looks_like_error(name: str, value: str) -> bool:
    if name.strip().lower() == ERROR_EVENT:
        return True
    value = value.lstrip()
    return value.startswith("{") and ('"error"' in value or '"message"' in value)
