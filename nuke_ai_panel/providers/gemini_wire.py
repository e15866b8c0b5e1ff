"""The Gemini ``generateContent`` shapes of a conversation with images and function calls.

Facts from Google's Gemini API reference (Content, Part, FunctionDeclaration, function
calling, thought signatures):

* a user content with images has a ``text`` part and one ``inline_data`` part
  (``{"mime_type", "data": base64}``) per image;
* the model's content repeats its parts: ``text`` (when it wrote any), then one
  ``{"functionCall": {"name", "args": OBJECT}}`` part per call, with the part's
  ``thoughtSignature`` sent back exactly as received (a sibling of ``functionCall`` on the
  part; Gemini 3 refuses a function call sent back without it) and the call's ``id`` when
  the server gave one;
* the results go back in one ``user`` content of ``{"functionResponse": {"name",
  "response": {"result": ...} | {"error": ...}}}`` parts (with the call's ``id`` when it
  had one), one per call, in the calls' order;
* tools are ``[{"functionDeclarations": [{"name", "description", "parametersJsonSchema"}]}]``.
  ``parametersJsonSchema`` takes JSON Schema (``additionalProperties``, ``"type": ["string",
  "null"]``, ``anyOf``) where the older ``parameters`` field takes only an OpenAPI 3.0
  subset that refuses them; of JSON Schema it reads only the keywords in
  :data:`JSON_SCHEMA_KEYWORDS`, so the others (``minLength``...) are left out here (the
  registry checks every argument against the full schema anyway). ``toolConfig:
  {"functionCallingConfig": {"mode": "NONE"}}`` forbids further calls;
* a ``functionCall`` part arrives whole, never in fragments.
"""

from __future__ import annotations

import json
from typing import Any, Dict, List, Mapping, Sequence, Tuple

from ..images.request import image_part
from ..settings import NONE, ChatRequest, Message
from ..tool_calls import CallPiece, arguments_object

__all__ = ["contents", "apply_tools", "schema_for_gemini", "read_part", "JSON_SCHEMA_KEYWORDS"]

JSON_SCHEMA_KEYWORDS = frozenset({
    "$id", "$defs", "$ref", "$anchor", "type", "format", "title", "description", "enum",
    "items", "prefixItems", "minItems", "maxItems", "minimum", "maximum", "anyOf", "oneOf",
    "properties", "additionalProperties", "required", "propertyOrdering",
})
_SCHEMA_MAPS = ("properties", "$defs")  # keyword -> {name: schema}


def schema_for_gemini(schema: Any) -> Any:
    """``schema`` with only the keywords ``parametersJsonSchema`` reads, recursively."""
    if isinstance(schema, list):
        return [schema_for_gemini(item) for item in schema]
    if not isinstance(schema, dict):
        return schema
    out: Dict[str, Any] = {}
    for key, value in schema.items():
        if key not in JSON_SCHEMA_KEYWORDS:
            continue
        if key in _SCHEMA_MAPS and isinstance(value, dict):
            out[key] = {name: schema_for_gemini(sub) for name, sub in value.items()}
        elif key in ("items", "additionalProperties", "anyOf", "oneOf", "prefixItems"):
            out[key] = schema_for_gemini(value)
        else:
            out[key] = value
    return out


def _user(message: Message) -> Dict[str, Any]:
    parts: List[Dict[str, Any]] = [{"text": message.content}] if message.content or \
        not message.images else []
    parts.extend(image_part(image, "gemini") for image in message.images)
    return {"role": "user", "parts": parts}


def _model(message: Message) -> Dict[str, Any]:
    parts: List[Dict[str, Any]] = []
    if message.content or not message.tool_calls:
        parts.append({"text": message.content})
    for call in message.tool_calls:
        function: Dict[str, Any] = {"name": call.name, "args": arguments_object(call)}
        if call.extra.get("id"):
            function["id"] = call.extra["id"]
        part: Dict[str, Any] = {"functionCall": function}
        if call.extra.get("thoughtSignature"):
            part["thoughtSignature"] = call.extra["thoughtSignature"]
        parts.append(part)
    return {"role": "model", "parts": parts}


def _results(message: Message, calls: Mapping[str, Any]) -> Dict[str, Any]:
    parts = []
    for result in message.tool_results:
        response: Dict[str, Any] = {"name": result.name,
                                    "response": {"result" if result.ok else "error":
                                                 result.content}}
        server_id = calls.get(result.call_id)
        if server_id:
            response["id"] = server_id
        parts.append({"functionResponse": response})
    return {"role": "user", "parts": parts}


def contents(request: ChatRequest) -> List[Dict[str, Any]]:
    """``contents`` for ``request`` (the system prompt is ``systemInstruction``)."""
    out = []
    server_ids: Dict[str, Any] = {}  # our call id -> the id the server gave it, if any
    for message in request.messages:
        if message.role == "tool":
            out.append(_results(message, server_ids))
        elif message.role == "assistant":
            server_ids.update((c.id, c.extra.get("id")) for c in message.tool_calls)
            out.append(_model(message))
        else:
            out.append(_user(message))
    return out


def apply_tools(body: Dict[str, Any], request: ChatRequest) -> None:
    if request.tools:
        body["tools"] = [{"functionDeclarations": _declarations(request.tools)}]
        if request.tool_choice == NONE:
            body["toolConfig"] = {"functionCallingConfig": {"mode": "NONE"}}


def _declarations(tools: Sequence[Mapping[str, Any]]) -> List[Dict[str, Any]]:
    return [{"name": t["name"], "description": t.get("description", ""),
             "parametersJsonSchema": schema_for_gemini(t["parameters"])} for t in tools]


def read_part(part: Dict[str, Any], index: int) -> Tuple[CallPiece, ...]:
    """A ``functionCall`` part as one whole piece, keeping its ``thoughtSignature`` (on the
    part, or inside ``functionCall`` as some older models sent it) and its ``id``."""
    function = part.get("functionCall")
    if not isinstance(function, dict):
        return ()
    args = function.get("args")
    whole = json.dumps(args if isinstance(args, dict) else {}, ensure_ascii=False)
    extra = []
    signature = part.get("thoughtSignature") or function.get("thoughtSignature")
    if isinstance(signature, str) and signature:
        extra.append(("thoughtSignature", signature))
    call_id = function.get("id") if isinstance(function.get("id"), str) else ""
    if call_id:
        extra.append(("id", call_id))
    name = function.get("name") if isinstance(function.get("name"), str) else ""
    return (CallPiece(index, call_id, name, whole=whole, extra=tuple(extra)),)
