"""Every bad call comes back to the model as a failed result naming what was wrong, never
an exception, and nothing runs: bad JSON, schema mismatches, unknown tools, tools not
offered in the mode or locked by the studio."""

from __future__ import annotations

import pytest

from nuke_ai_panel.agent import (
    AGENT,
    ASK,
    READ,
    TOOL_NAMES,
    TOOLS,
    Proposal,
    ToolRegistry,
    ToolResult,
)
from nuke_ai_panel.graph.host import HostError

READ_NAMES = [t.name for t in TOOLS if t.kind == READ]
WRITE_NAMES = [t.name for t in TOOLS if t.kind != READ]
VALID_WRITES = {
    "create_nodes": {"nk": "Blur {\n size 3\n}\n", "connect_to": "Grade_fg"},
    "set_knobs": {"node": "Grade_fg", "values": {"gamma": 1.5}},
    "connect_nodes": {"node": "Grade_final", "input": 1, "source": "Read_bg"},
    "delete_nodes": {"names": ["Blur_bgDefocus"]},
    "run_python": {"code": "import nuke\nnuke.toNode('Grade_fg')['gamma'].setValue(2)\n"},
}


def failed_with(result, *needles):
    assert isinstance(result, ToolResult) and not result.ok, result
    for needle in needles:
        assert needle in result.text, (needle, result.text)
    assert result.summary and "\n" not in result.summary
    return result


@pytest.mark.parametrize("name, raw, needles", [
    ("read_nodes", '{"names": ["Grade_fg"', ("Invalid arguments for read_nodes", "not valid JSON")),
    ("read_nodes", '"Grade_fg"', ("must be a JSON object, got a string",)),
    ("read_nodes", '{"names": "Grade_fg"}', ('names: expected an array, got a string ("Grade_fg")',)),
    ("read_nodes", "{}", ("names: missing (required)",)),
    ("read_nodes", '{"names": ["Grade_fg"], "budget": 9}', ("budget: unknown argument",)),
    ("list_nodes", '{"limit": "10"}', ("limit: expected an integer or null, got a string",)),
    ("list_nodes", '{"limit": 0}', ("limit: 0 is less than the minimum 1",)),
    ("list_nodes", '{"selected_only": "true"}', ("selected_only: expected a boolean or null",)),
    ("node_class_info", '{"klass": "Blur"}', ("class: missing (required)", "klass: unknown argument")),
    ("create_nodes", '{"nk": 42}', ("nk: expected a string, got an integer (42)",)),
    ("set_knobs", '{"node": "Grade_fg", "values": {"gamma": null}}', ("values.gamma: expected",)),
    ("set_knobs", '{"node": "Grade_fg", "expressions": {"gamma": 2}}',
     ("expressions.gamma: expected a string, got an integer",)),
    ("connect_nodes", '{"node": "Grade_final", "input": 1}', ("source: missing (required)",)),
    ("connect_nodes", '{"node": "Grade_final", "input": -2, "source": null}', ("input: -2 is less",)),
    ("delete_nodes", '{"names": []}', ("names: needs at least 1 item(s), got 0",)),
    ("run_python", '{"code": ""}', ("code: must not be empty",)),
    ("get_script_info", '{"x": 1}', ("x: unknown argument (allowed: none)",)),
])
def test_bad_arguments_fail_naming_the_problem_and_nothing_runs(comp, name, raw, needles):
    before = comp.to_text()
    result = ToolRegistry(comp).call(name, raw)
    failed_with(result, *needles)
    assert "Nothing was run" in result.text
    assert comp.to_text() == before and comp.undo_names() == []


def test_many_problems_are_listed_together_up_to_a_limit(comp):
    args = {"node": "Grade_fg", "values": {f"k{i}": None for i in range(12)}}
    result = failed_with(ToolRegistry(comp).call("set_knobs", args), "values.k0", "(and 4 more)")
    assert result.text.count("expected") == 8


@pytest.mark.parametrize("raw", [5, ["a"], 3.5, True, object(), b"\xff\xfe{"])
def test_arguments_of_any_type_never_raise(comp, raw):
    failed_with(ToolRegistry(comp).call("read_nodes", raw), "Invalid arguments")


def test_no_arguments_at_all_is_an_empty_object(comp):
    registry = ToolRegistry(comp)
    for raw in (None, "", "{}", {}):
        assert registry.call("get_script_info", raw).ok
    failed_with(registry.call("read_nodes", None), "names: missing (required)")


def test_an_unknown_tool_fails_with_the_tool_list_and_a_suggestion(comp):
    result = failed_with(ToolRegistry(comp).call("list_node", {}), "There is no tool called 'list_node'",
                         "Did you mean list_nodes?", "get_script_info, list_nodes")
    assert result.name == "list_node"
    failed_with(ToolRegistry(comp, ASK).call("nuke.delete", "{}"), "no tool called")


def test_ask_mode_offers_only_read_tools_and_refuses_every_write(comp):
    registry = ToolRegistry(comp, ASK)
    assert [t["name"] for t in registry.tool_specs()] == READ_NAMES
    before = comp.to_text()
    for name, args in VALID_WRITES.items():
        failed_with(registry.call(name, args), "Not run", "Ask mode")
    failed_with(ToolRegistry(comp, ASK).call("create_nodes", "{not json"), "Ask mode")
    assert comp.to_text() == before and comp.undo_names() == []


def test_a_proposal_from_agent_mode_is_not_applied_by_an_ask_registry(comp):
    proposal = ToolRegistry(comp, AGENT).call("set_knobs", VALID_WRITES["set_knobs"])
    assert isinstance(proposal, Proposal)
    failed_with(ToolRegistry(comp, ASK).apply(proposal), "Not applied", "Ask mode")
    assert comp.undo_names() == []


def test_studio_locks_remove_writes_or_run_python(comp):
    locked = ToolRegistry(comp, AGENT, writes_locked=True)
    assert [t["name"] for t in locked.tool_specs()] == READ_NAMES
    failed_with(locked.call("set_knobs", VALID_WRITES["set_knobs"]), "studio settings")
    no_python = ToolRegistry(comp, AGENT, python_locked=True)
    assert [t["name"] for t in no_python.tool_specs()] == [n for n in TOOL_NAMES if n != "run_python"]
    failed_with(no_python.call("run_python", VALID_WRITES["run_python"]), "studio settings turn it off")
    assert isinstance(no_python.call("delete_nodes", VALID_WRITES["delete_nodes"]), Proposal)


def test_code_execution_off_removes_run_python(comp):
    registry = ToolRegistry(comp, AGENT, allow_code=False)
    assert "run_python" not in [t["name"] for t in registry.tool_specs()]
    failed_with(registry.call("run_python", VALID_WRITES["run_python"]), "allow_code_execution")


def test_an_unknown_mode_is_a_programming_error(comp):
    with pytest.raises(ValueError, match="mode"):
        ToolRegistry(comp, "plan")


def test_host_failures_and_bugs_become_failed_results(comp, monkeypatch, caplog):
    registry = ToolRegistry(comp)

    def refuse(*_a, **_k):
        raise HostError("Nuke is busy")

    monkeypatch.setattr(comp, "node_script", refuse)
    failed_with(registry.call("read_nodes", {"names": ["Grade_fg"]}), "could not be done: Nuke is busy")

    def broken(*_a, **_k):
        raise KeyError("oops")

    monkeypatch.setattr(comp, "root_info", broken)
    failed_with(registry.call("get_script_info", {}), "failed inside the panel (KeyError")
    assert "tool get_script_info failed" in caplog.text


def test_every_write_call_returns_a_proposal_and_every_read_a_result(comp):
    registry = ToolRegistry(comp)
    for name in READ_NAMES:
        args = {"names": ["Grade_fg"]} if name == "read_nodes" else {"class": "Grade"} if name == "node_class_info" else {}
        result = registry.call(name, args)
        assert isinstance(result, ToolResult) and result.ok, result
        assert not registry.is_write(name)
    for name, args in VALID_WRITES.items():
        assert isinstance(registry.call(name, args), Proposal), name
        assert registry.is_write(name)
