"""Byte chunks -> lines -> SSE events or NDJSON objects (DESIGN section 5).

We split lines ourselves instead of using aiohttp's ``readline``: that fails on lines over a
few hundred KiB, and providers send single events far larger than that. A CRLF split across two
chunks is one line ending, not two; text is decoded per complete line so a multi-byte character
split across chunks survives, and invalid bytes become U+FFFD.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import List, Optional

MAX_LINE_BYTES = 16 * 1024 * 1024

_EOL = re.compile(rb"\r\n|\r|\n")


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
        return [line]


def decode_line(line: bytes) -> str:
    return line.decode("utf-8", "replace")


@dataclass(frozen=True)
class SSEEvent:
    event: str
    data: str
    id: Optional[str] = None


class SSEDecoder:
    """The WHATWG event-stream field rules, one decoded line at a time."""

    def __init__(self) -> None:
        self._event = ""
        self._data: List[str] = []
        self._last_id: Optional[str] = None

    def decode(self, line: str) -> Optional[SSEEvent]:
        if not line:
            return self._dispatch()
        if line.startswith(":"):
            return None
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
        return None

    def _dispatch(self) -> Optional[SSEEvent]:
        if not self._data:
            self._event = ""
            return None
        event = SSEEvent(self._event or "message", "\n".join(self._data), self._last_id)
        self._event = ""
        self._data = []
        return event

    @property
    def pending(self) -> bool:
        """True if an event was begun but the stream ended before its blank line."""
        return bool(self._data)
