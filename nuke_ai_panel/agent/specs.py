"""The ten agent tools: names, argument schemas (a contract, DESIGN section 11) and the
descriptions the model reads.

Each :class:`ToolSpec` is provider-neutral (name, description, JSON Schema for the
arguments); the provider modules turn :meth:`ToolSpec.as_dict` into their own wire shape
(OpenAI ``function.parameters``, Anthropic ``input_schema``, Gemini
``functionDeclarations``). Optional arguments also accept ``null`` as "not given", since
many models send it.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Dict, Mapping, Tuple

__all__ = ["READ", "WRITE", "ToolSpec", "TOOLS", "TOOL_NAMES", "spec"]

READ = "read"
WRITE = "write"
MAX_LIST_LIMIT = 500
DEFAULT_LIST_LIMIT = 100

_NAMES_NOTE = ("Node names are Nuke full names: a node inside a group is GROUP.NODE "
               "(\"Group1.Blur1\"); list_nodes shows them.")


def _object(properties: Mapping[str, Any], required: Tuple[str, ...] = ()) -> Dict[str, Any]:
    return {"type": "object", "properties": dict(properties), "required": list(required),
            "additionalProperties": False}


def _optional(kind: str, description: str, **rules: Any) -> Dict[str, Any]:
    return {"type": [kind, "null"], "description": description, **rules}


_KNOB_VALUE = {"anyOf": [
    {"type": "number"},
    {"type": "string"},
    {"type": "boolean"},
    {"type": "array", "items": {"anyOf": [{"type": "number"}, {"type": "string"}]},
     "minItems": 1},
]}


@dataclass(frozen=True)
class ToolSpec:
    """One tool: ``kind`` is ``"read"`` (runs at once) or ``"write"`` (returns a proposed
    change that runs only once the artist approves it)."""

    name: str
    kind: str
    description: str
    parameters: Dict[str, Any]

    def as_dict(self) -> Dict[str, Any]:
        """``{"name", "description", "parameters"}``: the provider-neutral tool declaration."""
        return {"name": self.name, "description": self.description, "parameters": self.parameters}


TOOLS: Tuple[ToolSpec, ...] = (
    ToolSpec("get_script_info", READ,
             "The open Nuke script's settings: format (size, pixel aspect), fps, frame range, "
             "colour management (OCIO config, working space, LUTs) and how many nodes it has, "
             "by class. Call it first when the answer depends on the project settings.",
             _object({})),
    ToolSpec("list_nodes", READ,
             "List nodes as JSON: name, class, inputs (the node connected to each input, "
             "index 0 first, null when empty), selected, error (message or null). Filter by "
             "class, by group, to the selection or to nodes in error. " + _NAMES_NOTE,
             _object({
                 "class": _optional("string", "Only nodes of this class, e.g. \"Grade\" "
                                    "(case does not matter).", minLength=1),
                 "group": _optional("string", "Only the nodes directly inside this group "
                                    "(full name); \"root\" for the top level. Leave out for "
                                    "every node at every level.", minLength=1),
                 "selected_only": _optional("boolean", "Only the selected nodes."),
                 "errors_only": _optional("boolean", "Only nodes that report an error."),
                 "limit": _optional("integer", f"At most this many nodes (default "
                                    f"{DEFAULT_LIST_LIMIT}).", minimum=1,
                                    maximum=MAX_LIST_LIMIT),
             })),
    ToolSpec("read_nodes", READ,
             "The named nodes as Nuke's own script text (what copying them writes: every "
             "knob that differs from its default, and how they connect). A group comes with "
             "its contents. Long values (curves, roto shapes, code) are summarised to fit. "
             + _NAMES_NOTE,
             _object({"names": {"type": "array", "description": "The nodes to read.",
                                "items": {"type": "string", "minLength": 1},
                                "minItems": 1, "maxItems": 200}}, ("names",))),
    ToolSpec("find_errors", READ,
             "The nodes that report an error (missing file, bad channel...), with the "
             "message, their inputs and their script text.",
             _object({})),
    ToolSpec("node_class_info", READ,
             "What a node class has: its knobs (name, type, default) and its inputs. Use it "
             "before setting knobs you are not sure exist. The answer says when it is "
             "partial (only what this script shows).",
             _object({"class": {"type": "string", "minLength": 1,
                                "description": "The node class, e.g. \"Blur\", \"Merge2\"."}},
                     ("class",))),
    ToolSpec("create_nodes", WRITE,
             "Propose new nodes, written as Nuke script text (the .nk text a copy would "
             "write, e.g. \"Blur {\\n size 4\\n name Blur_soft\\n}\"). Nodes follow each "
             "other: each node's input 0 is the node before it, and the first node's input "
             "is connect_to. The artist sees a preview and approves or rejects it; nothing "
             "changes before that. Returns the names the nodes got.",
             _object({
                 "nk": {"type": "string", "minLength": 1,
                        "description": "The nodes as .nk script text."},
                 "connect_to": _optional("string", "The existing node the first new node takes "
                                         "its input from. Leave out for unconnected nodes.",
                                         minLength=1),
             }, ("nk",))),
    ToolSpec("set_knobs", WRITE,
             "Propose new values and/or expressions for knobs of one existing node. The "
             "artist sees old -> new values and approves or rejects it. Values: a number, "
             "text, true/false, or a list for multi-value knobs (e.g. white [1, 1, 1, 1]). "
             "Expressions: Nuke expression text, e.g. \"parent.Blur1.size * 2\". Returns "
             "the old and new values. " + _NAMES_NOTE,
             _object({
                 "node": {"type": "string", "minLength": 1, "description": "The node's name."},
                 "values": _optional("object", "Knob name -> new value.",
                                     additionalProperties=_KNOB_VALUE),
                 "expressions": _optional("object", "Knob name -> expression.",
                                          additionalProperties={"type": "string",
                                                                "minLength": 1}),
             }, ("node",))),
    ToolSpec("connect_nodes", WRITE,
             "Propose connecting input `input` of `node` to `source`, or disconnecting it "
             "when source is null. Input 0 is the main input (B on a Merge), 1 is A on a "
             "Merge, the mask input comes after. The artist approves or rejects it. Returns "
             "the node's new inputs.",
             _object({
                 "node": {"type": "string", "minLength": 1,
                          "description": "The node whose input changes."},
                 "input": {"type": "integer", "minimum": 0, "description": "The input index."},
                 "source": {"type": ["string", "null"], "minLength": 1,
                            "description": "The node to connect, or null to disconnect."},
             }, ("node", "input", "source"))),
    ToolSpec("delete_nodes", WRITE,
             "Propose deleting nodes (a group goes with its contents). The preview lists "
             "what loses an input. The artist approves or rejects it. Returns the names "
             "deleted.",
             _object({"names": {"type": "array", "description": "The nodes to delete.",
                                "items": {"type": "string", "minLength": 1},
                                "minItems": 1, "maxItems": 200}}, ("names",))),
    ToolSpec("run_python", WRITE,
             "Propose running Python in Nuke (the `nuke` module is imported), for what the "
             "other tools cannot do. The artist sees the code with risky calls flagged and "
             "approves or rejects it. nuke.message/ask/getInput do not block: they are "
             "printed. Returns the printed output, and the traceback if it failed (then "
             "nothing was changed). Prefer create_nodes/set_knobs/connect_nodes.",
             _object({"code": {"type": "string", "minLength": 1,
                               "description": "The Python code."}}, ("code",))),
)

TOOL_NAMES: Tuple[str, ...] = tuple(t.name for t in TOOLS)
_BY_NAME = {t.name: t for t in TOOLS}


def spec(name: str) -> ToolSpec:
    """The tool called ``name``; KeyError when there is none."""
    return _BY_NAME[name]
