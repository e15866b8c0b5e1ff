"""The test servers hold echoed tool calls to the real APIs' rules, so a client that breaks
one is refused as the provider would refuse it (and the agent tests, which pass, prove the
client keeps them)."""

from __future__ import annotations

import json
import urllib.error
import urllib.request
from typing import Any, Dict, Tuple

import pytest

from . import ProtocolServer

CALL = {"id": "call_1", "type": "function",
        "function": {"name": "list_nodes", "arguments": "{}"}}


def post(server: ProtocolServer, path: str, body: Dict[str, Any]) -> Tuple[int, str]:
    request = urllib.request.Request(
        server.base_url + path, json.dumps(body).encode(),
        {"Content-Type": "application/json", "x-api-key": "k", "x-goog-api-key": "k",
         "Authorization": "Bearer k", "anthropic-version": "2023-06-01"})
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return response.status, response.read().decode()
    except urllib.error.HTTPError as exc:
        return exc.code, exc.read().decode()


def openai_body(call_id: str, answered: str) -> Dict[str, Any]:
    return {"model": "m", "stream": False, "messages": [
        {"role": "user", "content": "q"},
        {"role": "assistant", "content": "", "tool_calls": [dict(CALL, id=call_id)]},
        {"role": "tool", "tool_call_id": answered, "content": "r"}]}


@pytest.mark.parametrize("protocol,call_id,answered,refusal", [
    ("openai", "call_1", "call_1", None),
    ("openai", "call_1", "call_2", "did not have response messages: call_1"),
    ("mistral", "Ab3dE6gH9", "Ab3dE6gH9", None),
    ("mistral", "call_1", "call_1", "Tool call id was call_1 but must be a-z, A-Z, 0-9"),
])
def test_openai_and_mistral_rules(protocol, call_id, answered, refusal):
    with ProtocolServer(protocol) as server:
        status, text = post(server, "/chat/completions", openai_body(call_id, answered))
    if refusal is None:
        assert status == 200, text
    else:
        assert status == 400 and refusal in text, text


def test_a_tool_message_must_answer_the_message_before():
    body = {"model": "m", "stream": False, "messages": [
        {"role": "user", "content": "q"}, {"role": "tool", "tool_call_id": "x", "content": "r"}]}
    with ProtocolServer("openai") as server:
        status, text = post(server, "/chat/completions", body)
    assert status == 400 and "must be a response to a preceeding message" in text


@pytest.mark.parametrize("answered,tools,refusal", [
    ("toolu_1", True, None),
    ("toolu_2", True, "tool_use` ids were found without `tool_result` blocks"),
    ("toolu_1", False, "must define tools"),
])
def test_anthropic_rules(answered, tools, refusal):
    body: Dict[str, Any] = {"model": "m", "max_tokens": 10, "messages": [
        {"role": "user", "content": "q"},
        {"role": "assistant", "content": [{"type": "tool_use", "id": "toolu_1",
                                           "name": "list_nodes", "input": {}}]},
        {"role": "user", "content": [{"type": "tool_result", "tool_use_id": answered,
                                      "content": "r", "is_error": False}]}]}
    if tools:
        body["tools"] = [{"name": "list_nodes", "description": "", "input_schema": {}}]
    with ProtocolServer("anthropic") as server:
        status, text = post(server, "/v1/messages", body)
    assert status == (200 if refusal is None else 400) and (refusal is None or refusal in text)


@pytest.mark.parametrize("signature,responses,refusal", [
    ("sig-0", 1, None),
    (None, 1, "missing a thought_signature"),
    ("sig-0", 2, "number of function response parts is equal"),
])
def test_gemini_rules(signature, responses, refusal):
    part: Dict[str, Any] = {"functionCall": {"name": "list_nodes", "args": {}}}
    if signature:
        part["thoughtSignature"] = signature
    body = {"contents": [
        {"role": "user", "parts": [{"text": "q"}]}, {"role": "model", "parts": [part]},
        {"role": "user", "parts": [{"functionResponse": {"name": "list_nodes",
                                                         "response": {"result": "r"}}}] * responses}]}
    with ProtocolServer("gemini") as server:
        status, text = post(server, "/models/m:generateContent", body)
    assert status == (200 if refusal is None else 400) and (refusal is None or refusal in text)
