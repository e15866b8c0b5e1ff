"""The ten tools' schemas are valid JSON Schema, and the validator agrees with jsonschema."""

from __future__ import annotations

import json

import pytest
from jsonschema import Draft202012Validator

from nuke_ai_panel.agent import TOOL_NAMES, TOOLS, ToolRegistry
from nuke_ai_panel.agent.schema import ArgumentsError, check_schema, parse_arguments, validate
from nuke_ai_panel.agent.specs import READ, WRITE, spec

CONTRACT = {
    "get_script_info": (READ, set(), set()),
    "list_nodes": (READ, {"class", "group", "selected_only", "errors_only", "limit"}, set()),
    "read_nodes": (READ, {"names"}, {"names"}),
    "find_errors": (READ, set(), set()),
    "node_class_info": (READ, {"class"}, {"class"}),
    "create_nodes": (WRITE, {"nk", "connect_to"}, {"nk"}),
    "set_knobs": (WRITE, {"node", "values", "expressions"}, {"node"}),
    "connect_nodes": (WRITE, {"node", "input", "source"}, {"node", "input", "source"}),
    "delete_nodes": (WRITE, {"names"}, {"names"}),
    "run_python": (WRITE, {"code"}, {"code"}),
}


def test_the_registry_lists_exactly_the_ten_tools_in_contract_order(comp):
    assert TOOL_NAMES == tuple(CONTRACT)
    assert [t["name"] for t in ToolRegistry(comp).tool_specs()] == list(CONTRACT)


@pytest.mark.parametrize("tool", TOOLS, ids=lambda t: t.name)
def test_each_schema_is_valid_json_schema_and_keeps_the_contract(tool):
    Draft202012Validator.check_schema(tool.parameters)
    check_schema(tool.parameters)
    kind, properties, required = CONTRACT[tool.name]
    params = tool.parameters
    assert tool.kind == kind
    assert params["type"] == "object" and params["additionalProperties"] is False
    assert set(params["properties"]) == properties and set(params["required"]) == required
    assert len(tool.description) > 60 and tool.as_dict() == {
        "name": tool.name, "description": tool.description, "parameters": params}
    json.dumps(tool.as_dict())  # provider modules send it as JSON


def test_check_schema_refuses_a_keyword_the_validator_would_ignore():
    with pytest.raises(ValueError, match="pattern"):
        check_schema({"type": "object", "properties": {"x": {"type": "string", "pattern": "^a"}}})
    with pytest.raises(ValueError, match="unknown type"):
        check_schema({"type": "thing"})
    with pytest.raises(ValueError, match="required names no property"):
        check_schema({"type": "object", "properties": {}, "required": ["x"]})


GOOD = {
    "list_nodes": [{}, {"class": "Grade"}, {"group": "root", "limit": 5}, {"limit": 3.0},
                   {"selected_only": True, "errors_only": None}],
    "read_nodes": [{"names": ["Grade1"]}, {"names": ["A", "B.C"]}],
    "create_nodes": [{"nk": "Blur {}"}, {"nk": "Blur {}", "connect_to": "Grade1"},
                     {"nk": "Blur {}", "connect_to": None}],
    "set_knobs": [{"node": "B", "values": {"size": 3}}, {"node": "B", "values": {"w": [1, "x"]}},
                  {"node": "B", "expressions": {"size": "frame"}}, {"node": "B"},
                  {"node": "B", "values": {"on": True, "label": "hi"}}],
    "connect_nodes": [{"node": "B", "input": 0, "source": None},
                      {"node": "B", "input": 2, "source": "A"}],
    "delete_nodes": [{"names": ["B"]}],
    "run_python": [{"code": "print(1)"}],
    "get_script_info": [{}],
}
BAD = {
    "list_nodes": [{"limit": 0}, {"limit": "5"}, {"limit": 2.5}, {"limit": 501}, {"class": ""},
                   {"selected_only": "yes"}, {"colour": "red"}, {"limit": True}],
    "read_nodes": [{}, {"names": "Grade1"}, {"names": []}, {"names": [1]}, {"names": [""]},
                   {"names": ["A"], "extra": 1}, {"names": ["A"] * 201}],
    "create_nodes": [{}, {"nk": ""}, {"nk": 5}, {"nk": "Blur {}", "connect_to": ""},
                     {"nk": "Blur {}", "connect_to": ["Grade1"]}],
    "set_knobs": [{"values": {"size": 3}}, {"node": "B", "values": {"size": None}},
                  {"node": "B", "values": {"size": {"x": 1}}}, {"node": "B", "values": []},
                  {"node": "B", "expressions": {"size": 3}}, {"node": "B", "expressions": {"s": ""}},
                  {"node": "B", "values": {"w": []}}, {"node": "B", "values": {"w": [[1]]}}],
    "connect_nodes": [{"node": "B", "input": 0}, {"node": "B", "input": -1, "source": None},
                      {"node": "B", "input": "0", "source": None},
                      {"node": "B", "input": 0, "source": ""}, {"node": 1, "input": 0, "source": None}],
    "delete_nodes": [{"names": []}, {"names": None}, {"name": ["B"]}],
    "run_python": [{"code": ""}, {"code": ["print(1)"]}, {}],
    "get_script_info": [{"verbose": True}],
}


@pytest.mark.parametrize("name", list(GOOD))
def test_the_validator_agrees_with_jsonschema(name):
    schema = spec(name).parameters
    reference = Draft202012Validator(schema)
    for args in GOOD[name]:
        assert reference.is_valid(args), args
        assert validate(schema, args) == [], args
    for args in BAD[name]:
        assert not reference.is_valid(args), args
        problems = validate(schema, args)
        assert problems, args
        assert all(isinstance(p, str) and ":" in p for p in problems)


def test_messages_name_the_path_and_what_was_wrong():
    schema = spec("read_nodes").parameters
    assert validate(schema, {"names": "Blur1"}) == [
        'names: expected an array, got a string ("Blur1")']
    assert validate(schema, {"names": ["A", 3]}) == ["names[1]: expected a string, got an integer (3)"]
    assert validate(schema, {}) == ["names: missing (required)"]
    assert validate(schema, {"names": ["A"], "nmaes": 1}) == [
        "nmaes: unknown argument (allowed: names)"]
    knobs = spec("set_knobs").parameters
    assert validate(knobs, {"node": "B", "values": {"size": {"x": 1}}}) == [
        'values.size: expected a number or a string or a boolean or an array, got an object ({"x": 1})']
    connect = spec("connect_nodes").parameters
    assert validate(connect, {"node": "B", "input": -1, "source": None}) == [
        "input: -1 is less than the minimum 0"]
    assert validate({"type": "string", "enum": ["a", "b"]}, "c") == ['arguments: "c" is not one of "a", "b"']


@pytest.mark.parametrize("raw, expected", [
    (None, {}), ("", {}), ("  \n", {}), ("{}", {}), ('{"a": [1, 2]}', {"a": [1, 2]}),
    ({"a": 1}, {"a": 1}), (b'{"a": 1}', {"a": 1}),
])
def test_parse_arguments_reads_text_mappings_and_nothing(raw, expected):
    assert parse_arguments(raw) == expected


@pytest.mark.parametrize("raw, message", [
    ('{"names": ["A"', "not valid JSON"),
    ("{names: 1}", "not valid JSON"),
    ('["Grade1"]', "must be a JSON object, got an array"),
    ('"Grade1"', "must be a JSON object, got a string"),
    ("5", "must be a JSON object, got an integer"),
    (["a"], "must be a JSON object, got an array"),
    ('{"a": 1, "a": 2}', "the key 'a' is given twice"),
    ('{"size": NaN}', "NaN is not a JSON number"),
    ('{"size": Infinity}', "Infinity is not a JSON number"),
    ({"values": {"size": float("nan")}}, "values.size: not a finite number"),
])
def test_parse_arguments_refuses_what_is_not_a_json_object(raw, message):
    with pytest.raises(ArgumentsError, match=message):
        parse_arguments(raw)


def test_the_docs_list_every_tool_and_argument():
    from pathlib import Path

    doc = (Path(__file__).resolve().parents[2] / "docs" / "agent_tools.md").read_text(encoding="utf-8")
    rows = {line.split("|")[1].strip(" `"): line for line in doc.splitlines()
            if line.startswith("| `")}
    assert list(rows) == list(CONTRACT)
    for name, (kind, properties, _) in CONTRACT.items():
        assert f"| {kind} |" in rows[name]
        for prop in properties:
            assert f"`{prop}" in rows[name], (name, prop)
