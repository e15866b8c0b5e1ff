"""Check model-written tool arguments against the tools' JSON Schemas, before anything runs.

Tool arguments are written by the model, so they are a safety boundary: nothing reaches a
tool unless it is a JSON object that matches the tool's schema. This is a small validator
for the part of JSON Schema (draft 2020-12 keywords) the ten tool schemas use: ``type``
(one name or a list), ``properties``, ``required``, ``additionalProperties`` (false or a
schema), ``items``, ``anyOf``, ``enum``, ``minItems`` / ``maxItems``, ``minLength`` /
``maxLength``, ``minimum`` / ``maximum``, ``minProperties``, plus the annotations
``description``, ``title``, ``default`` and ``examples``. A schema using any other keyword
is refused by :func:`check_schema` (the registry calls it at start-up), so no rule can be
silently ignored. (Written here rather than pinning ``jsonschema``: its current releases
pull in ``rpds-py``, a compiled extension that would have to match every Nuke's Python
build, for the dozen keywords needed.)

Messages name the path and what was wrong (``names: expected an array, got a string
("Blur1")``), for the model to read and fix.
"""

from __future__ import annotations

import json
import math
from typing import Any, List, Mapping, Optional, Tuple, Union

__all__ = [
    "ArgumentsError",
    "SUPPORTED_KEYWORDS",
    "check_schema",
    "parse_arguments",
    "validate",
]

SUPPORTED_KEYWORDS = frozenset({
    "type", "properties", "required", "additionalProperties", "items", "anyOf", "enum",
    "minItems", "maxItems", "minLength", "maxLength", "minimum", "maximum", "minProperties",
    "description", "title", "default", "examples",
})
_TYPES = ("object", "array", "string", "integer", "number", "boolean", "null")


class ArgumentsError(ValueError):
    """Arguments that could not be read as a JSON object (the message says why)."""


def _type_name(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, int):
        return "integer"
    if isinstance(value, float):
        return "number"
    if isinstance(value, str):
        return "string"
    if isinstance(value, (list, tuple)):
        return "array"
    if isinstance(value, Mapping):
        return "object"
    return type(value).__name__


def _is(value: Any, kind: str) -> bool:
    actual = _type_name(value)
    if kind == "number":
        return actual in ("integer", "number")
    if kind == "integer":  # JSON Schema counts 3.0 as an integer
        return actual == "integer" or (actual == "number" and float(value).is_integer())
    return actual == kind


def _article(kind: str) -> str:
    if kind == "null":
        return "null"
    return f"an {kind}" if kind[0] in "aeiou" else f"a {kind}"


def _show(value: Any) -> str:
    text = json.dumps(value, ensure_ascii=False, default=str)
    return text if len(text) <= 40 else text[:39] + "\u2026"


def _at(path: str, key: Union[str, int]) -> str:
    if isinstance(key, int):
        return f"{path}[{key}]"
    return f"{path}.{key}" if path else key


def validate(schema: Mapping[str, Any], value: Any, path: str = "") -> List[str]:
    """Every way ``value`` breaks ``schema`` (empty when it matches), as short sentences
    naming the path (``values.size``, ``names[2]``); the top level is "arguments"."""
    problems: List[str] = []
    _check(schema, value, path, problems)
    return problems


def _check(schema: Mapping[str, Any], value: Any, path: str, out: List[str]) -> None:
    where = path or "arguments"
    kinds = schema.get("type")
    if kinds is not None:
        allowed = [kinds] if isinstance(kinds, str) else list(kinds)
        if not any(_is(value, k) for k in allowed):
            wanted = " or ".join(_article(k) for k in allowed)
            out.append(f"{where}: expected {wanted}, got {_article(_type_name(value))} ({_show(value)})")
            return
    if "enum" in schema and value not in schema["enum"]:
        choices = ", ".join(_show(v) for v in schema["enum"])
        out.append(f"{where}: {_show(value)} is not one of {choices}")
    if "anyOf" in schema:
        if not any(not validate(option, value, path) for option in schema["anyOf"]):
            kinds = [o.get("type") for o in schema["anyOf"]]
            names = " or ".join(_article(k) for k in kinds if isinstance(k, str)) or "any allowed form"
            out.append(f"{where}: expected {names}, got {_article(_type_name(value))} ({_show(value)})")
    if _is(value, "string"):
        if len(value) < schema.get("minLength", 0):
            out.append(f"{where}: must not be empty" if schema["minLength"] == 1
                       else f"{where}: must be at least {schema['minLength']} characters")
        if "maxLength" in schema and len(value) > schema["maxLength"]:
            out.append(f"{where}: longer than {schema['maxLength']} characters ({len(value)})")
    if _is(value, "number"):
        if "minimum" in schema and value < schema["minimum"]:
            out.append(f"{where}: {_show(value)} is less than the minimum {schema['minimum']}")
        if "maximum" in schema and value > schema["maximum"]:
            out.append(f"{where}: {_show(value)} is more than the maximum {schema['maximum']}")
    if _is(value, "array"):
        _check_array(schema, value, path, where, out)
    if _is(value, "object"):
        _check_object(schema, value, path, where, out)


def _check_array(schema: Mapping[str, Any], value: Any, path: str, where: str, out: List[str]) -> None:
    if len(value) < schema.get("minItems", 0):
        out.append(f"{where}: needs at least {schema['minItems']} item(s), got {len(value)}")
    if "maxItems" in schema and len(value) > schema["maxItems"]:
        out.append(f"{where}: at most {schema['maxItems']} items, got {len(value)}")
    items = schema.get("items")
    if isinstance(items, Mapping):
        for i, item in enumerate(value):
            _check(items, item, _at(path, i), out)


def _check_object(schema: Mapping[str, Any], value: Mapping[str, Any], path: str, where: str,
                  out: List[str]) -> None:
    properties = schema.get("properties", {})
    for name in schema.get("required", []):
        if name not in value:
            out.append(f"{_at(path, name)}: missing (required)")
    if len(value) < schema.get("minProperties", 0):
        out.append(f"{where}: needs at least {schema['minProperties']} entr(y/ies)")
    extra = schema.get("additionalProperties", True)
    for key, item in value.items():
        if key in properties:
            _check(properties[key], item, _at(path, key), out)
        elif extra is False:
            known = ", ".join(properties) or "none"
            out.append(f"{_at(path, key)}: unknown argument (allowed: {known})")
        elif isinstance(extra, Mapping):
            _check(extra, item, _at(path, key), out)


def check_schema(schema: Any, path: str = "#") -> None:
    """Raise ValueError if ``schema`` uses a keyword or type this validator does not check."""
    if not isinstance(schema, Mapping):
        raise ValueError(f"{path}: a schema must be an object")
    unknown = set(schema) - SUPPORTED_KEYWORDS
    if unknown:
        raise ValueError(f"{path}: unsupported keyword(s) {sorted(unknown)}")
    kinds = schema.get("type")
    for kind in ([kinds] if isinstance(kinds, str) else kinds or []):
        if kind not in _TYPES:
            raise ValueError(f"{path}: unknown type {kind!r}")
    for name, sub in schema.get("properties", {}).items():
        check_schema(sub, f"{path}/properties/{name}")
    for key in ("items", "additionalProperties"):
        if isinstance(schema.get(key), Mapping):
            check_schema(schema[key], f"{path}/{key}")
    for i, sub in enumerate(schema.get("anyOf", [])):
        check_schema(sub, f"{path}/anyOf/{i}")
    missing = set(schema.get("required", [])) - set(schema.get("properties", {}))
    if missing:
        raise ValueError(f"{path}: required names no property: {sorted(missing)}")


def _no_duplicates(pairs: List[Tuple[str, Any]]) -> dict:
    seen: dict = {}
    for key, value in pairs:
        if key in seen:
            raise ArgumentsError(f"the key {key!r} is given twice")
        seen[key] = value
    return seen


def _no_constants(name: str) -> Any:
    raise ArgumentsError(f"{name} is not a JSON number")


def parse_arguments(raw: Any) -> dict:
    """The arguments as a dict: from JSON text (OpenAI, Anthropic fragments joined), a
    mapping (Gemini, Ollama), or nothing (empty text or None mean ``{}``). ArgumentsError
    for text that is not JSON, NaN/Infinity, a key given twice, or anything but an object."""
    if raw is None:
        return {}
    if isinstance(raw, (bytes, bytearray)):
        raw = bytes(raw).decode("utf-8", "replace")
    if isinstance(raw, str):
        if not raw.strip():
            return {}
        try:
            raw = json.loads(raw, object_pairs_hook=_no_duplicates, parse_constant=_no_constants)
        except json.JSONDecodeError as exc:
            raise ArgumentsError(f"the arguments are not valid JSON ({exc.msg} at line "
                                 f"{exc.lineno} column {exc.colno})") from None
    if not isinstance(raw, Mapping):
        raise ArgumentsError(f"the arguments must be a JSON object, got {_article(_type_name(raw))}")
    bad = _non_finite(raw)
    if bad:
        raise ArgumentsError(f"{bad}: not a finite number")
    return dict(raw)


def _non_finite(value: Any, path: str = "") -> Optional[str]:
    """The path of a NaN or infinite number inside ``value`` (a mapping from a provider
    that decoded JSON itself), or None."""
    if isinstance(value, float) and not math.isfinite(value):
        return path or "arguments"
    if isinstance(value, Mapping):
        items = [(_at(path, str(k)), v) for k, v in value.items()]
    elif isinstance(value, (list, tuple)):
        items = [(_at(path, i), v) for i, v in enumerate(value)]
    else:
        return None
    for where, item in items:
        found = _non_finite(item, where)
        if found:
            return found
    return None
