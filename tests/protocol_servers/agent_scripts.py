"""Scripted agent models: ``agent-NAME`` calls tools step by step, in each protocol's shape.

A script sees the tool results the request carries (:func:`.tool_history.results`), so it
knows its step, and whether the request forbids further calls (the loop's summing-up call).
Call ids follow each provider's habit: ``call_...`` (OpenAI, OpenRouter), nine letters and
digits (Mistral), ``toolu_...`` (Anthropic); Gemini and Ollama send none, and Gemini puts a
``thoughtSignature`` on every call part. Where a protocol sends arguments as an object
(Gemini, Ollama), a script that means "invalid JSON" sends arguments of the wrong type.

Scripts (``agent-NAME``, any ``:tag`` ignored):

* ``blur``: ``list_nodes {"class": "Grade"}``, then ``create_nodes`` (a Blur after Grade1),
  then "Added Blur1 after Grade1."; ``fragments``: the same, arguments in many fragments;
  ``whole``: the same, each call in one chunk beside ``content: null``;
* ``two-calls``: ``list_nodes`` and ``get_script_info`` in one answer, then text;
* ``unknown-tool``: calls ``make_coffee``; ``bad-json``: arguments that are not JSON;
* ``no-ids`` / ``same-ids``: two calls without ids / with one id twice;
* ``text-call``: writes a tool call as plain text (never a call);
* ``forever``: calls ``list_nodes`` until told it may not, then sums up;
* ``repair-fixed``: a Grade with ``whitepoint_r``, then (told of the finding) ``whitepoint``;
  ``repair-stubborn``: the same invented knob twice;
* ``write-TOOL``: one valid call of write tool TOOL on Read1 -> Grade1 -> Write1;
* ``two-writes``: ``create_nodes`` (Blur1 after Grade1), then ``set_knobs`` Blur1.size 5;
* ``read-big``: ``list_nodes`` with ``limit`` 500;
* ``comp-edits``: on the example comp (greenscreen_comp.nk), ``list_nodes {"class":
  "Grade"}``, then three writes, one per answer: ``create_nodes`` (a Blur after Grade_fg),
  ``set_knobs`` Grade_final.gamma 1.2, ``set_knobs`` Blur_bgDefocus.size 4; then text.
"""

from __future__ import annotations

import json
from typing import Any, Dict, List, Optional

from .steps import Finish, Step, Text, ToolCallStep
from .tool_history import results, tool_choice_none

__all__ = ["PREFIX", "agent_steps", "BLUR_NK", "SUMMARY", "call_id", "WRITES", "COMP_EDITS",
           "COMP_DONE"]

PREFIX = "agent-"
BLUR_NK = "Blur {\n size 3\n}\n"
SUMMARY = "Summary: I listed the nodes until the step limit; nothing was changed."
BAD_GRADE = "Grade {\n whitepoint_r 0.9\n name Grade_fix\n}\n"
GOOD_GRADE = "Grade {\n whitepoint 0.9\n name Grade_fix\n}\n"
TEXT_CALL = 'I would call {"name": "delete_nodes", "arguments": {"names": ["Grade1"]}} now.'
WRITES: Dict[str, Dict[str, Any]] = {
    "create_nodes": {"nk": BLUR_NK, "connect_to": "Grade1"},
    "set_knobs": {"node": "Grade1", "values": {"gamma": 2}},
    "connect_nodes": {"node": "Write1", "input": 0, "source": "Read1"},
    "delete_nodes": {"names": ["Grade1"]},
    "run_python": {"code": "import nuke\nnuke.toNode('Grade1')['gamma'].setValue(3)\n"},
}

# The writes of ``comp-edits``, in order, and its last answer.
COMP_EDITS = (
    ("create_nodes", {"nk": BLUR_NK, "connect_to": "Grade_fg"}),
    ("set_knobs", {"node": "Grade_final", "values": {"gamma": 1.2}}),
    ("set_knobs", {"node": "Blur_bgDefocus", "values": {"size": 4}}),
)
COMP_DONE = "Done: three changes proposed."


def call_id(family: str, protocol: str, n: int) -> str:
    """The id this protocol's server gives call number ``n`` of a conversation."""
    if protocol == "mistral":
        return f"Mx{n:07d}"
    if family in ("openai", "openrouter"):
        return f"call_srv{n}"
    if family == "anthropic":
        return f"toolu_srv{n}"
    return ""


def _call(family: str, protocol: str, n: int, name: str, arguments: Any,
          fragments: int = 1, whole: bool = False, call_id_: Optional[str] = None) -> ToolCallStep:
    text = arguments if isinstance(arguments, str) else json.dumps(arguments)
    given = call_id(family, protocol, n) if call_id_ is None else call_id_
    return ToolCallStep(name, text, given, fragments,
                        f"sig-{n}" if family == "gemini" else "", whole)


def _calls(steps: List[Step]) -> List[Step]:
    return steps + [Finish("tool_calls")]


def _answer(text: str) -> List[Step]:
    return [Text(text), Finish()]


def agent_steps(protocol: str, family: str, name: str, body: Any) -> Optional[List[Step]]:
    """The answer script ``name`` (without the prefix) gives for this request; None for an
    unknown name."""
    done = results(family, body)
    n = len(done)
    objects = family in ("gemini", "ollama")  # arguments travel as objects

    def call(name_: str, arguments: Any, **options: Any) -> ToolCallStep:
        return _call(family, protocol, n, name_, arguments, **options)

    if name in ("blur", "fragments", "whole"):
        pieces = 6 if name == "fragments" else 1
        whole = name == "whole"
        if n == 0:
            return [Text("I'll look at the Grade nodes first.")] + _calls(
                [call("list_nodes", {"class": "Grade"}, fragments=pieces, whole=whole)])
        if n == 1:
            return _calls([call("create_nodes", {"nk": BLUR_NK, "connect_to": "Grade1"},
                                fragments=pieces, whole=whole)])
        return _answer("Added Blur1 after Grade1.")
    if name == "two-calls":
        if n == 0:
            return _calls([call("list_nodes", {"limit": 2}),
                           _call(family, protocol, 1, "get_script_info", {})])
        return _answer(f"Two results: {n}.")
    if name == "unknown-tool":
        return _calls([call("make_coffee", {"sugar": 2})]) if n == 0 else \
            _answer("No coffee then.")
    if name == "bad-json":
        arguments = {"class": 5} if objects else '{"class": "Grade"'
        return _calls([call("list_nodes", arguments)]) if n == 0 else _answer("Sorry.")
    if name in ("no-ids", "same-ids"):
        given = "" if name == "no-ids" else call_id(family, protocol, 7)
        if n == 0:
            return _calls([call("list_nodes", {"limit": 1}, call_id_=given),
                           call("find_errors", {}, call_id_=given)])
        return _answer("Both answered.")
    if name == "text-call":
        return _answer(TEXT_CALL)
    if name == "forever":
        if tool_choice_none(family, body):
            return _answer(SUMMARY)
        return _calls([call("list_nodes", {"limit": 1})])
    if name in ("repair-fixed", "repair-stubborn"):
        if n == 0 or (n == 1 and name == "repair-stubborn"):
            return _calls([call("create_nodes", {"nk": BAD_GRADE, "connect_to": "Grade1"})])
        if n == 1:
            return _calls([call("create_nodes", {"nk": GOOD_GRADE, "connect_to": "Grade1"})])
        return _answer("Done.")
    if name.startswith("write-") and name[6:] in WRITES:
        return _calls([call(name[6:], WRITES[name[6:]])]) if n == 0 else _answer("Finished.")
    if name == "two-writes":
        if n == 0:
            return _calls([call("create_nodes", {"nk": BLUR_NK, "connect_to": "Grade1"})])
        if n == 1:
            return _calls([call("set_knobs", {"node": "Blur1", "values": {"size": 5}})])
        return _answer("Blurred.")
    if name == "same-knob-twice":  # two writes with one undo group name
        if n < 2:
            return _calls([call("set_knobs", {"node": "Grade1", "values": {"gamma": 2 + n}})])
        return _answer("Set it twice.")
    if name == "comp-edits":
        if n == 0:
            return [Text("Looking at the grades first.")] + _calls(
                [call("list_nodes", {"class": "Grade"})])
        if n <= len(COMP_EDITS):
            tool, arguments = COMP_EDITS[n - 1]
            return _calls([call(tool, arguments)])
        return _answer(COMP_DONE)
    if name == "read-big":
        return _calls([call("list_nodes", {"limit": 500})]) if n == 0 else _answer("Read.")
    return None
