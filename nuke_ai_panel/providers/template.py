"""Reading the answer text of a token's event without parsing all of its JSON.

A stream sends thousands of events that differ only in their text: OpenAI's chunks repeat the
same id, model, fingerprint and nulls around ``"content":"..."``; Ollama's lines repeat all
but a timestamp. Once the provider has read one such event in full and found it carries text
and nothing else, :func:`learn` cuts its JSON text into fixed parts around the text's string
literal (and around the string values the provider declares it never reads, such as Ollama's
``created_at``). A later event that is exactly those fixed parts with valid JSON string
literals between them parses to the same object but for those strings, so its text is the
one string literal decoded: no dict is built. Anything else is read in full as before.

A template is checked when it is learned: the same parts around other string values must
read, in full, as text alone, with the new text. The JSON string rules are Python's own
(``json.decoder.scanstring``, strict, as ``json.loads`` applies them).
"""

from __future__ import annotations

from json.decoder import scanstring
from typing import Callable, List, Optional, Sequence, Tuple

# The text a template is checked with, and the value that replaces the ignored strings.
_PROBE_TEXT = "probe \u2603 text"
_PROBE_LITERAL = '"probe \\u2603 text"'
_PROBE_OTHER = '"x"'


class TextTemplate:
    """Fixed parts of an event's JSON text with string literals between them; one of those
    literals is the answer text, the others are values nobody reads."""

    __slots__ = ("head", "rest", "event_name", "hits", "_tail", "_pair")

    def __init__(self, head: str, rest: Sequence[Tuple[str, bool]], event_name: str) -> None:
        self.head = head  # up to and including the first literal's opening quote
        # each literal's (what follows its closing quote, up to and including the next
        # literal's opening quote; is it the text)
        self.rest = tuple(rest)
        self.event_name = event_name
        self.hits = 0  # events read through it
        # the usual cases, read without a loop: the text the only literal (what follows it),
        # or one other literal beside it (what follows each; is the text the first)
        self._tail = self.rest[0][0] if len(self.rest) == 1 else None
        self._pair = (self.rest[0][0], self.rest[1][0], self.rest[0][1]) \
            if len(self.rest) == 2 else None

    def text(self, data: str) -> Optional[str]:
        """The answer text of ``data`` if it fits the template and is not empty, else None."""
        if not data.startswith(self.head):
            return None
        try:
            if self._tail is not None:
                tail = self._tail
                text, pos = scanstring(data, len(self.head))
                if pos + len(tail) != len(data) or not data.endswith(tail):
                    return None
            elif self._pair is not None:
                middle, tail, text_first = self._pair
                first, pos = scanstring(data, len(self.head))
                if not data.startswith(middle, pos):
                    return None
                second, pos = scanstring(data, pos + len(middle))
                if pos + len(tail) != len(data) or not data.endswith(tail):
                    return None
                text = first if text_first else second
            else:
                text = self._walk(data)
        except ValueError:  # not a valid string literal there
            return None
        if not text:
            return None
        self.hits += 1
        return text

    def _walk(self, data: str) -> str:
        """The text of ``data`` for a template of several literals ("" if it does not fit)."""
        pos = len(self.head)
        text = ""
        for after, is_text in self.rest:
            value, pos = scanstring(data, pos)
            if not data.startswith(after, pos):
                return ""
            pos += len(after)
            if is_text:
                text = value
        return text if pos == len(data) else ""


def learn(data: str, text: str, event_name: str, text_key: str, ignored_keys: Sequence[str],
          reads_as_text: Callable[[str], Optional[str]]) -> Optional[TextTemplate]:
    """A template from ``data``, an event whose full reading gave ``text`` alone, or None.

    ``text_key`` is the raw key before the text's literal (``"content":``), ``ignored_keys``
    the raw keys of string values the provider never reads; ``reads_as_text(data)`` reads an
    event in full and gives its text if it carries text alone. Keys must be followed directly
    by their string literal (compact JSON); otherwise there is no template.
    """
    holes: List[Tuple[int, int, bool]] = []  # literal start (opening quote), end, is text
    for key, is_text in [(text_key, True)] + [(k, False) for k in ignored_keys]:
        start = data.find(key)
        while start >= 0:
            quote = start + len(key)
            if data[quote:quote + 1] == '"':
                try:
                    value, end = scanstring(data, quote + 1)
                except ValueError:
                    return None
                if not is_text or value == text:
                    holes.append((quote, end, is_text))
            start = data.find(key, quote)
    holes.sort()
    if sum(is_text for _, _, is_text in holes) != 1 or any(
            a[1] > b[0] for a, b in zip(holes, holes[1:])):
        return None
    probe, parts, last = [], [], 0
    for start, end, is_text in holes:
        parts.append(data[last:start + 1])
        probe += [data[last:start], _PROBE_LITERAL if is_text else _PROBE_OTHER]
        last = end
    probe.append(data[last:])
    if reads_as_text("".join(probe)) != _PROBE_TEXT:
        return None
    after = parts[1:] + [data[last:]]
    return TextTemplate(parts[0], [(a, is_text) for a, (_, _, is_text) in zip(after, holes)],
                        event_name)
