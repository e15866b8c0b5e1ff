"""The safe expression evaluator behind the /expr preview outside Nuke: the common subset of
Nuke's expression language, evaluated by hand (never ``eval``), and a plain refusal for the
rest."""

from __future__ import annotations

import math

import pytest

from nuke_ai_panel.graph.expr_eval import NotEvaluable, evaluate_frames, host_lookup
from nuke_ai_panel.graph.host import HostError
from nuke_ai_panel.graph.script_host import ScriptHost

COMP = """Root {
 first_frame 1001
 last_frame 1100
}
Blur {
 size 3
 name Blur1
}
Transform {
 translate {12 {frame*2}}
 center {960 540}
 name Transform1
}
Grade {
 gamma {{Blur1.size*2}}
 multiply {{curve x1 0 x10 1}}
 white {1 0.5 0.25 1}
 name Grade1
}
Group {
 name Group1
}
 Blur {
  size 7
  name Blur2
 }
end_group
"""


@pytest.fixture
def comp() -> ScriptHost:
    return ScriptHost.from_text(COMP)


def values(comp: ScriptHost, text: str, frames=(1, 10), node: str = "Blur1"):
    return comp.evaluate_expression(node, "size", text, list(frames))


@pytest.mark.parametrize("text, expected", [
    ("frame", [1, 10]), ("t * 2 + x", [3, 30]), ("frame / 4", [0.25, 2.5]),
    ("2 ^ 3", [8, 8]), ("2 ** 3 ** 2", [512, 512]), ("-2 ^ 2", [-4, -4]),
    ("(frame + 2) * 3", [9, 36]), ("frame % 4", [1, 2]),
    ("frame > 5 ? 1 : 0", [0, 1]), ("frame >= 1 && frame < 5", [1, 0]),
    ("!(frame == 1) || 0", [0, 1]), ("clamp(frame / 5)", [0.2, 1]),
    ("clamp(frame, 2, 8)", [2, 8]), ("min(frame, 3, 4)", [1, 3]), ("max(1, frame)", [1, 10]),
    ("pow(frame, 2)", [1, 100]), ("sqrt(frame * frame)", [1, 10]), ("abs(-frame)", [1, 10]),
    ("lerp(0, 10, frame / 10)", [1, 10]), ("floor(frame / 3)", [0, 3]),
    ("1.5e1 + .5", [15.5, 15.5]), ("pi", [math.pi, math.pi]), ("y", [0, 0]),
])
def test_the_common_subset(comp, text, expected) -> None:
    assert values(comp, text) == pytest.approx(expected)


def test_functions_of_the_frame(comp) -> None:
    assert values(comp, "sin(frame) * 10") == pytest.approx([10 * math.sin(1), 10 * math.sin(10)])


def test_knob_references_read_plain_values_and_expressions(comp) -> None:
    assert values(comp, "Blur1.size * frame") == [3, 30]
    assert values(comp, "size + 1") == [4, 4], "a bare knob name is the node's own knob"
    assert values(comp, "Transform1.translate.x + Transform1.translate.y") == [14, 32]
    assert values(comp, "Transform1.center.y") == [540, 540]
    assert values(comp, "Grade1.gamma") == [6, 6], "an expression on the knob is followed"
    assert values(comp, "Grade1.white.b") == [0.25, 0.25]
    assert values(comp, "Group1.Blur2.size") == [7, 7], "a node inside a group, by full name"
    assert values(comp, "root.first_frame + frame") == [1002, 1011]
    assert values(comp, "Blur1.size(frame - 1)") == [3, 3], "a knob at another time"


def test_a_knob_left_at_its_default_reads_the_class_default(comp) -> None:
    assert values(comp, "Blur1.quality") == [15, 15]


@pytest.mark.parametrize("text, reason", [
    ("[value Blur1.size]", "cannot be evaluated outside Nuke: it uses Tcl"),
    ("$gui ? 1 : 2", "cannot be evaluated outside Nuke: it uses Tcl"),
    ("random(frame)", "cannot be evaluated outside Nuke: it calls random()"),
    ("noise(frame)", "cannot be evaluated outside Nuke: it calls noise()"),
    ("parent.size", "cannot be evaluated outside Nuke: it reads parent.size"),
    ("Grade1.multiply", "cannot be evaluated outside Nuke: a knob it reads is animated"),
    ("Nope.size", "there is no node named Nope"),
    ("1 / (frame - 1)", "it divides by zero"),
    ("sqrt(-frame)", "the maths fails"),
    ("(frame + 1", "the expression ends too early"),
    ("frame frame", "unexpected 'frame'"),
    ("", "there is no expression"),
])
def test_anything_else_is_refused_plainly(comp, text, reason) -> None:
    with pytest.raises(HostError) as caught:
        values(comp, text)
    assert reason in str(caught.value) or (text == "" and "empty" in str(caught.value))


def test_a_loop_of_expressions_is_refused() -> None:
    host = ScriptHost.from_text("Blur {\n size {{Blur2.size}}\n name Blur1\n}\n"
                                "Blur {\n size {{Blur1.size}}\n name Blur2\n}\n")
    with pytest.raises(HostError, match="loop"):
        host.evaluate_expression("Blur1", "size", "Blur2.size", [1])


def test_nothing_is_evaluated_by_python() -> None:
    """Names Python would resolve are not names here: no builtins, no attributes."""
    lookup = host_lookup(ScriptHost.from_text(COMP), ["Blur1"])
    for text in ("__import__('os')", "().__class__", "open('x')", "lambda: 1"):
        with pytest.raises(NotEvaluable):
            evaluate_frames(text, [1], lookup, "Blur1")


def test_evaluating_changes_nothing(comp) -> None:
    before, undo = comp.to_text(), comp.undo_names()
    values(comp, "frame * Blur1.size")
    assert comp.to_text() == before and comp.undo_names() == undo
