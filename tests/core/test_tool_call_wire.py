"""Tool calls and images on the wire, per provider: the requests each provider builds from the
provider-neutral conversation, and the calls read back from each streamed shape (fragments,
whole calls, missing or repeated ids, Gemini's thought signature), through the engine's own
body reader."""

from __future__ import annotations

import json
from typing import Any, Dict, List, Optional

import pytest

from nuke_ai_panel import errors, outcome
from nuke_ai_panel.events import DoneEvent
from nuke_ai_panel.providers import make_provider
from nuke_ai_panel.providers.base import Provider, unsupported_input_hint
from nuke_ai_panel.providers.gemini_wire import schema_for_gemini
from nuke_ai_panel.providers.openai_wire import mistral_id
from nuke_ai_panel.settings import NONE, ChatRequest, Message, ProviderSettings
from nuke_ai_panel.tool_calls import ToolCall, ToolOutput, assign_ids
from nuke_ai_panel.turn import BodyReader, Turn

TOOLS = [{"name": "list_nodes", "description": "List nodes.",
          "parameters": {"type": "object", "properties": {
              "class": {"type": ["string", "null"], "minLength": 1}},
              "required": [], "additionalProperties": False}}]
CALL = ToolCall("call_abc", "list_nodes", '{"class": "Grade"}', {"thoughtSignature": "sig-1"})
RESULT = ToolOutput("call_abc", "list_nodes", True, '{"nodes": []}')
FAILED = ToolOutput("call_abc", "list_nodes", False, "the user rejected this change")


def provider(pid: str) -> Provider:
    return make_provider(ProviderSettings(pid, "http://127.0.0.1:9", api_key="k"))


@pytest.fixture
def image():
    pil = pytest.importorskip("PIL.Image")
    from nuke_ai_panel.images import ImageAttachment
    return ImageAttachment.from_image(pil.new("RGB", (8, 4), (10, 20, 30)), "tiny.png")


def conversation(image: Any = None, result: ToolOutput = RESULT) -> ChatRequest:
    return ChatRequest("m", [
        Message("user", "Add a blur", images=(image,) if image is not None else ()),
        Message("assistant", "Looking.", tool_calls=(CALL,)),
        Message("tool", "", tool_results=(result,)),
    ], system="sys", tools=TOOLS)


def body(pid: str, request: ChatRequest) -> Dict[str, Any]:
    http = provider(pid).chat_request(request)
    json.dumps(http.json)  # every body is plain JSON
    return http.json


# ----- requests ----------------------------------------------------------------------------


@pytest.mark.parametrize("pid", ["openai", "openrouter", "openai-compatible"])
def test_openai_family_request(pid, image):
    sent = body(pid, conversation(image))
    url = image.data_url()
    assert sent["messages"] == [
        {"role": "system", "content": "sys"},
        {"role": "user", "content": [{"type": "text", "text": "Add a blur"},
                                     {"type": "image_url", "image_url": {"url": url}}]},
        {"role": "assistant", "content": "Looking.", "tool_calls": [
            {"id": "call_abc", "type": "function",
             "function": {"name": "list_nodes", "arguments": '{"class": "Grade"}'}}]},
        {"role": "tool", "tool_call_id": "call_abc", "content": '{"nodes": []}'},
    ]
    assert sent["tools"] == [{"type": "function", "function": TOOLS[0]}]
    assert "tool_choice" not in sent


def test_mistral_request_maps_ids_to_nine_characters_and_images_to_strings(image):
    sent = body("mistral", conversation(image))
    nine = mistral_id("call_abc")
    assert len(nine) == 9 and nine.isalnum() and nine == mistral_id("call_abc")
    assert mistral_id("Ab3dE6gH9") == "Ab3dE6gH9"  # Mistral's own ids pass unchanged
    user, assistant, result = sent["messages"][1:]
    assert user["content"][1] == {"type": "image_url", "image_url": image.data_url()}
    assert assistant["tool_calls"][0]["id"] == nine
    assert result == {"role": "tool", "tool_call_id": nine, "name": "list_nodes",
                      "content": '{"nodes": []}'}


def test_anthropic_request(image):
    sent = body("anthropic", conversation(image, FAILED))
    assert sent["system"] == "sys"
    assert sent["messages"] == [
        {"role": "user", "content": [
            {"type": "image", "source": {"type": "base64", "media_type": "image/png",
                                         "data": image.base64()}},
            {"type": "text", "text": "Add a blur"}]},
        {"role": "assistant", "content": [
            {"type": "text", "text": "Looking."},
            {"type": "tool_use", "id": "call_abc", "name": "list_nodes",
             "input": {"class": "Grade"}}]},
        {"role": "user", "content": [
            {"type": "tool_result", "tool_use_id": "call_abc",
             "content": "the user rejected this change", "is_error": True}]},
    ]
    assert sent["tools"] == [{"name": "list_nodes", "description": "List nodes.",
                              "input_schema": TOOLS[0]["parameters"]}]


def test_gemini_request_echoes_the_signature_and_sends_json_schema(image):
    sent = body("gemini", conversation(image))
    assert sent["contents"] == [
        {"role": "user", "parts": [{"text": "Add a blur"}, {"inline_data": {
            "mime_type": "image/png", "data": image.base64()}}]},
        {"role": "model", "parts": [{"text": "Looking."}, {
            "functionCall": {"name": "list_nodes", "args": {"class": "Grade"}},
            "thoughtSignature": "sig-1"}]},
        {"role": "user", "parts": [{"functionResponse": {
            "name": "list_nodes", "response": {"result": '{"nodes": []}'}}}]},
    ]
    declared = sent["tools"][0]["functionDeclarations"][0]
    assert "parameters" not in declared  # the OpenAPI subset refuses additionalProperties
    assert declared["parametersJsonSchema"] == {
        "type": "object", "properties": {"class": {"type": ["string", "null"]}},
        "required": [], "additionalProperties": False}


def test_gemini_echoes_a_server_id_on_call_and_response():
    call = ToolCall("call_1", "find_errors", "{}", {"id": "fc-7"})
    request = ChatRequest("m", [Message("user", "q"), Message("assistant", "", (), (call,)),
                                Message("tool", "", tool_results=(
                                    ToolOutput("call_1", "find_errors", False, "bad"),))])
    contents = body("gemini", request)["contents"]
    assert contents[1]["parts"] == [{"functionCall": {"name": "find_errors", "args": {},
                                                      "id": "fc-7"}}]
    assert contents[2]["parts"] == [{"functionResponse": {
        "name": "find_errors", "response": {"error": "bad"}, "id": "fc-7"}}]


def keywords(schema: Any) -> set:
    """Every keyword used anywhere in ``schema`` (property names are not keywords)."""
    found = set()
    if isinstance(schema, list):
        for item in schema:
            found |= keywords(item)
    elif isinstance(schema, dict):
        for key, value in schema.items():
            found.add(key)
            if key == "properties":
                for sub in value.values():
                    found |= keywords(sub)
            else:
                found |= keywords(value)
    return found


def test_schema_for_gemini_keeps_only_what_it_reads():
    from nuke_ai_panel.agent import TOOLS as AGENT_TOOLS
    from nuke_ai_panel.providers.gemini_wire import JSON_SCHEMA_KEYWORDS
    for tool in AGENT_TOOLS:
        cleaned = schema_for_gemini(tool.parameters)
        assert keywords(cleaned) <= JSON_SCHEMA_KEYWORDS, tool.name
        assert cleaned["additionalProperties"] is False
        assert set(cleaned["properties"]) == set(tool.parameters["properties"])
    knobs = schema_for_gemini(next(t for t in AGENT_TOOLS if t.name == "set_knobs").parameters)
    assert knobs["properties"]["values"]["type"] == ["object", "null"]
    assert "anyOf" in knobs["properties"]["values"]["additionalProperties"]


def test_ollama_request(image):
    sent = body("ollama", conversation(image))
    assert sent["messages"] == [
        {"role": "system", "content": "sys"},
        {"role": "user", "content": "Add a blur", "images": [image.base64()]},
        {"role": "assistant", "content": "Looking.", "tool_calls": [
            {"function": {"name": "list_nodes", "arguments": {"class": "Grade"}}}]},
        {"role": "tool", "content": '{"nodes": []}', "tool_name": "list_nodes"},
    ]
    assert sent["tools"] == [{"type": "function", "function": TOOLS[0]}]


@pytest.mark.parametrize("pid,where,value", [
    ("openai", "tool_choice", "none"), ("mistral", "tool_choice", "none"),
    ("anthropic", "tool_choice", {"type": "none"}),
    ("gemini", "toolConfig", {"functionCallingConfig": {"mode": "NONE"}})])
def test_a_last_call_forbids_tools_but_keeps_them_declared(pid, where, value):
    request = ChatRequest("m", conversation().messages, tools=TOOLS, tool_choice=NONE)
    sent = body(pid, request)
    assert sent[where] == value and sent.get("tools")


def test_ollama_has_no_tool_choice_so_a_last_call_declares_none():
    request = ChatRequest("m", conversation().messages, tools=TOOLS, tool_choice=NONE)
    assert "tools" not in body("ollama", request)


def test_plain_requests_are_unchanged():
    request = ChatRequest("m", [Message("user", "hi"), Message("assistant", "yo"),
                                Message("user", "again")])
    assert body("openai", request)["messages"][0] == {"role": "user", "content": "hi"}
    assert "tools" not in body("openai", request)
    assert body("anthropic", request)["messages"][1] == {"role": "assistant", "content": "yo"}
    assert body("gemini", request)["contents"][1] == {"role": "model", "parts": [{"text": "yo"}]}
    assert body("ollama", request)["messages"][2] == {"role": "user", "content": "again"}


# ----- reading calls from a stream ---------------------------------------------------------


def read(pid: str, chunks: List[bytes], mode: Optional[str] = None):
    events: List[Any] = []
    turn = Turn(events.append, clock=lambda: 5.0)
    prov = provider(pid)
    reader = BodyReader(prov, turn, mode)
    for data in chunks:
        if reader.feed(data):
            break
    else:
        reader.end()
    return turn, outcome.decide(turn, prov.hint, 6.0)


def sse(obj: Any, event: Optional[str] = None) -> bytes:
    head = f"event: {event}\n" if event else ""
    return (head + "data: " + json.dumps(obj) + "\n\n").encode()


def oa(delta: Dict[str, Any], finish: Optional[str] = None) -> bytes:
    return sse({"id": "c", "object": "chat.completion.chunk", "choices": [
        {"index": 0, "delta": delta, "finish_reason": finish}]})


def calls_of(result: Any) -> List[tuple]:
    assert isinstance(result, DoneEvent), result
    return [(c.id, c.name, json.loads(c.arguments)) for c in result.tool_calls]


def test_openai_fragments_two_calls_content_null():
    chunks = [oa({"role": "assistant", "content": None, "tool_calls": [
        {"index": 0, "id": "call_A", "type": "function",
         "function": {"name": "list_nodes", "arguments": ""}}]}),
        oa({"tool_calls": [{"index": 0, "function": {"arguments": '{"cla'}}]}),
        oa({"tool_calls": [{"index": 0, "function": {"arguments": 'ss": "Gr'}}]}),
        oa({"tool_calls": [{"index": 1, "id": "call_B", "type": "function",
                            "function": {"name": "find_errors", "arguments": "{}"}}]}),
        oa({"tool_calls": [{"index": 0, "function": {"arguments": 'ade"}'}}]}),
        oa({}, "tool_calls"), b"data: [DONE]\n\n"]
    turn, result = read("openai", chunks)
    assert calls_of(result) == [("call_A", "list_nodes", {"class": "Grade"}),
                                ("call_B", "find_errors", {})]
    assert result.finish_reason == "tool_calls" and not outcome.is_cut_short("tool_calls")
    assert turn.content_seen and outcome.retry_error(turn) is None


def test_openai_whole_arguments_without_index_and_repeated_ids():
    chunks = [oa({"content": None, "tool_calls": [
        {"id": "same", "function": {"name": "list_nodes", "arguments": '{"limit": 2}'}}]}),
        oa({"tool_calls": [{"id": "other", "function": {"name": "find_errors",
                                                        "arguments": "{}"}}]}),
        oa({}, "tool_calls"), b"data: [DONE]\n\n"]
    assert [c[:2] for c in calls_of(read("mistral", chunks)[1])] == [
        ("same", "list_nodes"), ("other", "find_errors")]
    twice = [oa({"tool_calls": [
        {"index": 0, "id": "dup", "function": {"name": "list_nodes", "arguments": "{}"}},
        {"index": 1, "id": "dup", "function": {"name": "find_errors", "arguments": "{}"}}]}),
        oa({}, "tool_calls"), b"data: [DONE]\n\n"]
    assert [c[0] for c in calls_of(read("openai", twice)[1])] == ["dup", "call_1"]


def test_anthropic_tool_use_blocks_with_input_json_deltas():
    chunks = [
        sse({"type": "message_start", "message": {"usage": {"input_tokens": 3}}},
            "message_start"),
        sse({"type": "content_block_start", "index": 0,
             "content_block": {"type": "text", "text": ""}}, "content_block_start"),
        sse({"type": "content_block_delta", "index": 0,
             "delta": {"type": "text_delta", "text": "Let me look."}}, "content_block_delta"),
        sse({"type": "content_block_stop", "index": 0}, "content_block_stop"),
        sse({"type": "content_block_start", "index": 1, "content_block": {
            "type": "tool_use", "id": "toolu_01", "name": "list_nodes", "input": {}}},
            "content_block_start"),
        sse({"type": "content_block_delta", "index": 1, "delta": {
            "type": "input_json_delta", "partial_json": '{"limit"'}}, "content_block_delta"),
        sse({"type": "content_block_delta", "index": 1, "delta": {
            "type": "input_json_delta", "partial_json": ': 5}'}}, "content_block_delta"),
        sse({"type": "content_block_stop", "index": 1}, "content_block_stop"),
        sse({"type": "message_delta", "delta": {"stop_reason": "tool_use"},
             "usage": {"output_tokens": 9}}, "message_delta"),
        sse({"type": "message_stop"}, "message_stop")]
    _, result = read("anthropic", chunks)
    assert result.text == "Let me look." and result.finish_reason == "tool_use"
    assert calls_of(result) == [("toolu_01", "list_nodes", {"limit": 5})]


def test_gemini_whole_function_calls_keep_the_signature_and_get_ids():
    part = {"functionCall": {"name": "list_nodes", "args": {"class": "Grade"}},
            "thoughtSignature": "c2lnLUE="}
    chunks = [sse({"candidates": [{"content": {"role": "model", "parts": [
        part, {"functionCall": {"name": "find_errors", "args": {}}}]}}]}),
        sse({"candidates": [{"content": {"role": "model", "parts": [{"text": ""}]},
                             "finishReason": "STOP"}]})]
    _, result = read("gemini", chunks)
    assert calls_of(result) == [("call_1", "list_nodes", {"class": "Grade"}),
                                ("call_2", "find_errors", {})]
    assert result.tool_calls[0].extra == {"thoughtSignature": "c2lnLUE="}


def test_ollama_whole_tool_calls():
    line = {"model": "m", "message": {"role": "assistant", "content": "", "tool_calls": [
        {"function": {"name": "list_nodes", "arguments": {"class": "Grade"}}}]}, "done": False}
    done = {"model": "m", "message": {"role": "assistant", "content": ""}, "done": True,
            "done_reason": "stop"}
    chunks = [(json.dumps(line) + "\n").encode(), (json.dumps(done) + "\n").encode()]
    _, result = read("ollama", chunks)
    assert calls_of(result) == [("call_1", "list_nodes", {"class": "Grade"})]


def test_a_call_fragment_is_content_for_the_deadlines_and_retries():
    events: List[Any] = []
    turn = Turn(events.append, clock=lambda: 3.0)
    reader = BodyReader(provider("openai"), turn)
    reader.feed(oa({"tool_calls": [{"index": 0, "id": "c", "function": {
        "name": "list_nodes", "arguments": ""}}]}), now=7.0)
    assert turn.first_content == 7.0 and turn.last_content == 7.0
    assert not [e for e in events if e.type == "delta"]  # no text to show
    turn.failure = errors.ProviderError(errors.IDLE_TIMEOUT, "stalled")
    assert outcome.retry_error(turn) is None  # never retried once a call began


def test_a_call_written_as_text_is_text():
    text = '{"name": "create_nodes", "arguments": {"nk": "Blur {}"}}'
    _, result = read("openai", [oa({"content": text}), oa({}, "stop"), b"data: [DONE]\n\n"])
    assert result.text == text and result.tool_calls == ()


def test_assign_ids_keeps_earlier_steps_ids_taken():
    calls = [ToolCall("", "a"), ToolCall("call_1", "b"), ToolCall("x", "c")]
    assert [c.id for c in assign_ids(calls, taken=["call_1", "x"])] == [
        "call_2", "call_3", "call_4"]


def test_refusals_naming_tools_or_images_get_their_hint():
    assert "does not take tools" in unsupported_input_hint(
        "registry.ollama.ai/library/gemma:2b does not support tools")
    assert "no image input" in unsupported_input_hint(
        "Invalid content type. image_url is only supported by certain models.")
    assert unsupported_input_hint("prompt is too long: 250000 tokens > 200000 maximum") == ""
    error = provider("ollama").http_error(
        400, {}, b'{"error":"llama3.2 does not support tools"}', "llama3.2")
    assert error.kind == errors.BAD_REQUEST and "does not take tools" in error.hint
