"""The engine's per-chunk path (issue 10): one delta per network chunk, the clock read once per
chunk, block line decoding, the direct JSON scan and the text-only fast paths (a provider's
``quick_text`` and the learned text templates), each checked against the full reading."""

from __future__ import annotations

import json
import re
from typing import Any, Dict, List, Optional, Tuple

import pytest

hypothesis = pytest.importorskip("hypothesis")
from hypothesis import HealthCheck, given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402

from nuke_ai_panel import errors, outcome  # noqa: E402
from nuke_ai_panel.events import DeltaEvent, ErrorEvent, RetryingEvent  # noqa: E402
from nuke_ai_panel.providers import make_provider  # noqa: E402
from nuke_ai_panel.providers.base import Provider  # noqa: E402
from nuke_ai_panel.settings import ProviderSettings  # noqa: E402
from nuke_ai_panel.streaming import LineSplitter, decode_line, load_json  # noqa: E402
from nuke_ai_panel.turn import BodyReader, Turn  # noqa: E402

EXAMPLES = settings(max_examples=80, deadline=None, database=None,
                    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])


def provider(pid: str) -> Provider:
    return make_provider(ProviderSettings(pid, "http://127.0.0.1:9", api_key="k"))


def sse(obj: Any) -> bytes:
    return b"data: " + json.dumps(obj, separators=(",", ":")).encode() + b"\n\n"


def chunk(text: str = "", finish: Optional[str] = None, **delta: Any) -> bytes:
    if text:
        delta["content"] = text
    return sse({"id": "c1", "object": "chat.completion.chunk", "created": 1, "model": "m",
                "choices": [{"index": 0, "delta": delta, "finish_reason": finish}]})


class Sink:
    def __init__(self) -> None:
        self.events: List[Any] = []

    def __call__(self, event: Any) -> None:
        self.events.append(event)

    def deltas(self) -> List[DeltaEvent]:
        return [e for e in self.events if isinstance(e, DeltaEvent)]


# ----- one delta per chunk ----------------------------------------------------------------------


def test_one_network_chunk_is_one_delta_with_its_text_in_order() -> None:
    sink = Sink()
    turn = Turn(sink)
    reader = BodyReader(provider("openai"), turn)
    words = [f"w{i} " for i in range(10)]
    assert not reader.feed(b"".join(chunk(w) for w in words[:7]))
    assert not reader.feed(b"".join(chunk(w) for w in words[7:]))
    assert reader.feed(chunk(finish="stop") + b"data: [DONE]\n\n")
    deltas = sink.deltas()
    assert [(d.text, d.chunks) for d in deltas] == [("".join(words[:7]), 7),
                                                    ("".join(words[7:]), 3)]
    assert turn.text == "".join(words) and turn.events == 12


def test_text_and_reasoning_of_one_chunk_stay_apart_and_only_text_is_counted() -> None:
    sink = Sink()
    reader = BodyReader(provider("openai"), Turn(sink))
    reader.feed(chunk(reasoning_content="think ") + chunk("a") + chunk(reasoning_content="more")
                + chunk("b"))
    assert [(d.text, d.reasoning, d.chunks) for d in sink.deltas()] == [("ab", "think more", 2)]


def test_the_per_chunk_delta_is_the_same_event_as_one_built_normally() -> None:
    import dataclasses

    from nuke_ai_panel.events import to_dict

    fast, normal = DeltaEvent.of_chunk("ab", "r", 2), DeltaEvent("ab", "r", 2)
    assert fast == normal and hash(fast) == hash(normal) and repr(fast) == repr(normal)
    assert to_dict(fast) == to_dict(normal) == {"type": "delta", "text": "ab", "reasoning": "r",
                                                "chunks": 2}
    assert vars(fast) == vars(normal)
    with pytest.raises(dataclasses.FrozenInstanceError):
        fast.text = "changed"  # type: ignore[misc]


def test_a_chunk_without_content_emits_no_delta() -> None:
    sink = Sink()
    reader = BodyReader(provider("openai"), Turn(sink))
    reader.feed(b": keep-alive\n\n" + chunk(role="assistant", content=""))
    assert sink.deltas() == []


def test_a_delta_is_never_merged_across_another_event() -> None:
    sink = Sink()
    turn = Turn(sink)
    turn.take_text("a")
    turn.take_text("b")
    turn.emit(RetryingEvent(1, 0.5, "429"))
    turn.take_text("c")
    turn.flush()
    assert [(e.type, getattr(e, "text", None)) for e in sink.events] == [
        ("delta", "ab"), ("retrying", None), ("delta", "c")]


def test_text_before_an_inband_error_in_the_same_chunk_leaves_first() -> None:
    sink = Sink()
    turn = Turn(sink)
    body = chunk("Half ") + chunk("an answer") + sse({"error": {"message": "boom"}}) + chunk("x")
    assert BodyReader(provider("openai"), turn).feed(body)
    turn.emit(outcome.decide(turn, lambda kind: "Hint.", 1.0))
    assert [e.type for e in sink.events] == ["delta", "error"]
    assert sink.events[0].text == "Half an answer"
    error = sink.events[-1]
    assert isinstance(error, ErrorEvent) and error.kind == errors.STREAM
    assert error.partial == "Half an answer"


def test_the_clock_is_read_once_per_chunk_and_stamps_its_content() -> None:
    ticks: List[float] = []

    def clock() -> float:
        ticks.append(100.0 + len(ticks))
        return ticks[-1]

    turn = Turn(Sink(), clock=clock)
    reader = BodyReader(provider("ollama"), turn)
    lines = b"".join(json.dumps({"message": {"role": "assistant", "content": f"t{i} "},
                                 "done": False}).encode() + b"\n" for i in range(50))
    before = len(ticks)
    reader.feed(lines)
    assert len(ticks) == before + 1
    assert turn.first_content == turn.last_content == ticks[-1]
    reader.feed(lines, now=500.0)  # the engine passes the time it read for the chunk
    assert len(ticks) == before + 1
    assert (turn.first_content, turn.last_content) == (ticks[-1], 500.0)


# ----- lines and JSON -----------------------------------------------------------------------------

STREAM_BYTES = st.lists(st.sampled_from(
    [b"a", b"data: x", b"\n", b"\r", b"\r\n", b"\xc3\xa9", b"\xe2\x82\xac", b"\xff", b"\xe2\x82",
     b"\xef\xbb\xbf", b" ", b"{}"]), max_size=40).map(b"".join)


def reference_lines(body: bytes) -> List[str]:
    """Line by line, as the splitter did before issue 10 (a lone BOM leaves an empty line)."""
    parts = re.split(rb"\r\n|\r|\n", body)
    lines = parts[:-1] + ([parts[-1]] if parts[-1] else [])
    if lines and lines[0].startswith(b"\xef\xbb\xbf"):
        lines[0] = lines[0][3:]
    return [decode_line(line) for line in lines]


@EXAMPLES
@given(body=STREAM_BYTES, data=st.data())
def test_block_decoding_gives_the_lines_of_line_by_line_decoding(body: bytes, data: Any) -> None:
    cuts = sorted(set(data.draw(st.lists(st.integers(0, len(body)), max_size=12))))
    edges = [0] + cuts + [len(body)]
    splitter = LineSplitter()
    lines: List[str] = []
    for a, b in zip(edges, edges[1:]):
        lines += splitter.feed_text(body[a:b])
    lines += splitter.flush_text()
    assert lines == reference_lines(body)


@pytest.mark.parametrize("text", [
    '{"a":1}', ' {"a":1}', '{"a":1} ', '{"a":1}\t', '[1,2]', '"s"', '3', 'null', 'NaN',
    '{"a":"\\u00e9\\ud83d\\ude00"}', '{"a":{"b":[1,{"c":null}]}}'])
def test_load_json_reads_what_json_loads_reads(text: str) -> None:
    assert repr(load_json(text)) == repr(json.loads(text))


@pytest.mark.parametrize("text", ['', ' ', '{"a":1}x', '{"a":1} {}', '{"a":', '{"a":"\x01"}',
                                  "{'a':1}", '{"a":1,}', '[DONE]'])
def test_load_json_refuses_what_json_loads_refuses(text: str) -> None:
    with pytest.raises(ValueError):
        json.loads(text)
    with pytest.raises(ValueError):
        load_json(text)


# ----- the fast paths against the full reading -----------------------------------------------------

TEXTS = st.text(st.characters(blacklist_categories=("Cs",)), max_size=8) | st.sampled_from(
    ['"', "\\", "\\n", "</", "\u2028", "\U0001f600", '{"content":"x"}', "data: [DONE]"])
SOMETIMES = st.sampled_from([None, None, None, "", "x", 0, [], {"k": 1}])


def openai_event(draw: Any) -> Dict[str, Any]:
    delta: Dict[str, Any] = {}
    if draw(st.booleans()):
        delta["role"] = "assistant"
    if draw(st.integers(0, 9)):
        delta["content"] = draw(TEXTS)
    for key in draw(st.lists(st.sampled_from(
            ["refusal", "reasoning_content", "tool_calls", "x_other"]), max_size=2)):
        delta[key] = draw(SOMETIMES)
    choice: Dict[str, Any] = {"index": draw(st.sampled_from([0, 0, 0, 1])), "delta": delta,
                              "logprobs": None, "finish_reason": draw(st.sampled_from(
                                  [None, None, None, "stop", "length", "content_filter"]))}
    if draw(st.integers(0, 7)) == 0:
        choice["native_finish_reason"] = draw(st.sampled_from(["stop", "error"]))
    data: Dict[str, Any] = {"id": "c1", "object": draw(st.sampled_from(
        ["chat.completion.chunk"] * 6 + ["chat.completion", "error"])), "created": 1,
        "model": "m", "choices": [choice] * draw(st.sampled_from([1, 1, 1, 2, 0]))}
    if draw(st.booleans()):
        data["obfuscation"] = draw(st.text("abcXYZ019", max_size=6))
    if draw(st.integers(0, 5)) == 0:
        data["usage"] = draw(st.sampled_from([None, {}, {"prompt_tokens": 1,
                                                         "completion_tokens": 2}]))
    if draw(st.integers(0, 9)) == 0:
        data["error"] = draw(st.sampled_from([None, {"message": "boom"}]))
    return data


def ollama_event(draw: Any) -> Dict[str, Any]:
    message: Dict[str, Any] = {"role": "assistant", "content": draw(TEXTS)}
    for key in draw(st.lists(st.sampled_from(["thinking", "tool_calls", "images"]),
                             max_size=2)):
        message[key] = draw(SOMETIMES)
    data: Dict[str, Any] = {"model": "m", "created_at": draw(st.text("0123T:Z", max_size=8)),
                            "message": message, "done": draw(st.sampled_from(
                                [False] * 8 + [True]))}
    if draw(st.integers(0, 9)) == 0:
        data["error"] = draw(st.sampled_from([None, "boom"]))
    return data


def anthropic_event(draw: Any) -> Tuple[str, Dict[str, Any]]:
    kind = draw(st.sampled_from(["content_block_delta"] * 6 + ["ping", "message_delta"]))
    if kind == "content_block_delta":
        dtype = draw(st.sampled_from(["text_delta"] * 5 + ["thinking_delta", "input_json_delta"]))
        field = {"text_delta": "text", "thinking_delta": "thinking"}.get(dtype, "partial_json")
        return kind, {"type": kind, "index": draw(st.sampled_from([0, 0, 1])),
                      "delta": {"type": dtype, field: draw(TEXTS)}}
    if kind == "message_delta":
        return kind, {"type": kind, "delta": {"stop_reason": "end_turn"},
                      "usage": {"output_tokens": 3}}
    return kind, {"type": kind}


def encode(draw: Any, fam: str, count: int) -> bytes:
    compact = draw(st.sampled_from([True, True, True, False]))
    ascii_only = draw(st.booleans())
    separators = (",", ":") if compact else (", ", ": ")
    out = []
    for _ in range(count):
        if fam == "anthropic":
            name, data = anthropic_event(draw)
            text = json.dumps(data, separators=separators, ensure_ascii=ascii_only)
            out.append(f"event: {name}\ndata: {text}\n\n")
            continue
        data = openai_event(draw) if fam == "openai" else ollama_event(draw)
        text = json.dumps(data, separators=separators, ensure_ascii=ascii_only)
        out.append(f"data: {text}\n\n" if fam == "openai" else text + "\n")
    return "".join(out).encode()


def full_reading_only(pid: str) -> Provider:
    """The same provider with no fast path: every event goes through ``parse_json``."""
    slow = provider(pid)
    slow.text_key = ""
    slow.quick_text = lambda event_name, data: None  # type: ignore[assignment]
    return slow


def outcome_of(reader_provider: Provider, body: bytes, cuts: List[int]) -> Tuple[Any, ...]:
    sink = Sink()
    turn = Turn(sink, clock=lambda: 0.0)
    reader = BodyReader(reader_provider, turn)
    edges = [0] + cuts + [len(body)]
    ended = False
    for a, b in zip(edges, edges[1:]):
        if body[a:b] and reader.feed(body[a:b]):
            ended = True
            break
    if not ended:
        reader.end()
    deltas = sink.deltas()
    result = outcome.decide(turn, lambda kind: "Hint.", 1.0)
    return (turn.text, turn.reasoning, turn.events, turn.malformed, turn.strange,
            turn.finish_reason, turn.finished, turn.terminal, turn.block, turn.stop_detail,
            turn.prompt_tokens, turn.completion_tokens, turn.inband, turn.unrecognised,
            "".join(d.text for d in deltas), "".join(d.reasoning for d in deltas),
            sum(d.chunks for d in deltas), result)


@pytest.mark.parametrize("pid,fam", [("openai", "openai"), ("openrouter", "openai"),
                                     ("ollama", "ollama"), ("anthropic", "anthropic")])
@EXAMPLES
@given(data=st.data())
def test_the_fast_paths_read_every_stream_as_the_full_reading_does(pid: str, fam: str,
                                                                   data: Any) -> None:
    body = encode(data.draw, fam, data.draw(st.integers(1, 24)))
    cuts = sorted(set(data.draw(st.lists(st.integers(0, len(body)), max_size=6))))
    assert outcome_of(provider(pid), body, cuts) == outcome_of(full_reading_only(pid), body,
                                                               cuts), body


def test_templates_serve_a_plain_stream_and_step_aside_for_anything_else() -> None:
    fast = provider("openai")
    turn = Turn(Sink())
    reader = BodyReader(fast, turn)
    texts = ['plain', 'quo"te', "back\\slash", "\u00e9\U0001f600", "\n"]
    body = chunk(role="assistant", content="") + b"".join(chunk(t) for t in texts * 4)
    reader.feed(body)
    template = fast._template
    assert template is not None and template.hits >= len(texts) * 4 - 2
    reader.feed(chunk("tail", refusal="no thanks") + chunk("!", "stop"))
    assert turn.text == "".join(texts * 4) + "tail!"
    assert turn.block == "refusal" and turn.finish_reason == "stop"


def test_a_template_is_not_learned_from_loose_json_or_kept_across_responses() -> None:
    fast = provider("ollama")
    loose = b"".join(json.dumps({"message": {"role": "assistant", "content": t}, "done": False})
                     .encode() + b"\n" for t in "abc")
    BodyReader(fast, Turn(Sink())).feed(loose)
    assert fast._template is None
    compact = loose.replace(b": ", b":").replace(b", ", b",")
    BodyReader(fast, Turn(Sink())).feed(compact)
    assert fast._template is not None
    BodyReader(fast, Turn(Sink()))
    assert fast._template is None


# ----- deadlines still hold when data never stops coming ----------------------------------------


def test_a_flood_of_keep_alives_cannot_outrun_the_idle_deadline() -> None:
    """Reading what is already buffered costs no wait, so the deadline is checked before every
    chunk: a body whose buffer never runs dry of keep-alive comments, after its first words,
    still ends in ``idle_timeout`` with the text kept."""
    import asyncio
    import time

    from nuke_ai_panel import client
    from nuke_ai_panel.errors import ProviderError
    from nuke_ai_panel.settings import Deadlines

    class Flood:
        """A response body that always has more keep-alives buffered (bounded: it gives up)."""

        def __init__(self) -> None:
            self.reads = 0

        def read_nowait(self) -> bytes:
            self.reads += 1
            if self.reads > 2_000_000:
                raise RuntimeError("the idle deadline never fired")
            return chunk("Half an answer") if self.reads == 1 else b": keep-alive\n\n"

        def at_eof(self) -> bool:
            return False

        async def readany(self) -> bytes:
            raise AssertionError("never needed: the buffer is never empty")

    class Response:
        content = Flood()

    settings = ProviderSettings("openai-compatible", "http://127.0.0.1:9",
                                deadlines=Deadlines(first_token=2.0, idle=0.3))
    fast = make_provider(settings)
    turn = Turn(lambda event: None)
    started = time.monotonic()
    with pytest.raises(ProviderError) as caught:
        asyncio.run(client._read_body(fast, Response(), turn, started + 2.0,  # type: ignore
                                      fast.stream_format))
    assert caught.value.kind == errors.IDLE_TIMEOUT and turn.text == "Half an answer"
    assert time.monotonic() - started < 5.0
