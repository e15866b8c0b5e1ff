"""After Apply: the step is recorded on the answer that proposed it, and marked undone (or
live again) from the host's own undo history; the /expr preview's values."""

from __future__ import annotations

import pytest

from nuke_ai_panel import history
from nuke_ai_panel.assist.actions import apply
from nuke_ai_panel.assist.expr_preview import preview_expression
from nuke_ai_panel.assist.steps import StepWatch
from nuke_ai_panel.graph.nuke_host import NukeHost
from nuke_ai_panel.history import AppliedStep, Conversation, HistoryMessage
from tests.assist.test_assist_actions import propose
from tests.protocol_servers.scenarios import HELPER_ANSWERS

BUILD = "/build despill"


def applied(comp, watch: StepWatch, message: HistoryMessage) -> AppliedStep:
    comp.select(["Grade_fg"])
    _, action = propose(comp, BUILD, HELPER_ANSWERS["nk-build"])
    baseline = comp.undo_names().count(action.title)
    outcome = apply(comp, action)
    assert outcome.ok
    step = AppliedStep(action.title, outcome.done_text())
    message.steps.append(step)
    watch.track(step, message, baseline)
    return step


def test_undo_marks_the_step_undone_and_redo_brings_it_back(comp) -> None:
    watch, message = StepWatch(), HistoryMessage("assistant", "nodes")
    step = applied(comp, watch, message)
    assert watch.update(comp.undo_names()) == [] and not step.undone
    comp.undo()
    assert watch.update(comp.undo_names()) == [message] and step.undone
    assert step.describe().endswith("(undone)")
    assert watch.update(comp.undo_names()) == [], "told once"
    comp.redo()
    assert watch.update(comp.undo_names()) == [message] and not step.undone


def test_only_the_newest_of_two_same_named_steps_is_undone(comp) -> None:
    watch = StepWatch()
    first, second = HistoryMessage("assistant", "1"), HistoryMessage("assistant", "2")
    one, two = applied(comp, watch, first), applied(comp, watch, second)
    assert one.name == two.name
    comp.undo()
    assert watch.update(comp.undo_names()) == [second]
    assert (one.undone, two.undone) == (False, True)


def test_a_same_named_step_from_before_does_not_hide_an_undo(comp) -> None:
    earlier = StepWatch()
    applied(comp, earlier, HistoryMessage("assistant", "earlier chat"))
    watch, message = StepWatch(), HistoryMessage("assistant", "now")
    step = applied(comp, watch, message)
    comp.undo()
    watch.update(comp.undo_names())
    assert step.undone


def test_steps_of_messages_no_longer_shown_are_forgotten(comp) -> None:
    watch, message = StepWatch(), HistoryMessage("assistant", "x")
    applied(comp, watch, message)
    watch.keep_only([HistoryMessage("assistant", "x")])
    assert not watch.active, "by identity, not by equal words"


def test_steps_are_saved_with_the_conversation() -> None:
    conv = Conversation()
    conv.add(HistoryMessage("user", "/build despill"))
    conv.add(HistoryMessage("assistant", "```nk\n```", steps=[
        AppliedStep("AI: build despill", "created Blur1", undone=True)]))
    history.save(conv)
    loaded, _ = history.load(conv.id)
    assert loaded.messages[1].steps == [AppliedStep("AI: build despill", "created Blur1", True)]
    assert "*[Applied as one undo step, \u201cAI: build despill\u201d: created Blur1 (undone)]*" \
        in history.to_markdown(loaded)


def test_nuke_undo_names_drive_the_marks(fake_nuke_comp) -> None:
    fake, _ = fake_nuke_comp
    host = NukeHost()
    watch, message = StepWatch(), HistoryMessage("assistant", "nodes")
    host.select(["Grade_fg"])
    _, action = propose(host, BUILD, HELPER_ANSWERS["nk-build"])
    baseline = host.undo_names().count(action.title)
    assert apply(host, action).ok
    step = AppliedStep(action.title)
    watch.track(step, message, baseline)
    fake.Undo.undo()
    assert watch.update(host.undo_names()) == [message] and step.undone


# -- the /expr preview -----------------------------------------------------------------------


def test_expression_preview_shows_the_value_now_and_at_the_first_and_last_frame(comp) -> None:
    preview = preview_expression(comp, "Blur_bgDefocus", "size", "(frame - 1000) / 10")
    assert preview.current == "3"
    assert preview.values == ((1001.0, 0.1), (1100.0, 10.0))
    assert preview.lines() == ["Now: 3",
                               "With the expression: 0.1 at frame 1001, 10 at frame 1100"]


def test_expression_preview_says_plainly_what_it_cannot_evaluate(comp) -> None:
    preview = preview_expression(comp, "Transform_bgShake", "translate.x", "[value frame]")
    assert preview.current == "animated (keyframes)"
    assert preview.values == ()
    assert preview.lines()[1] == \
        "With the expression: Cannot be evaluated outside Nuke: it uses Tcl"


@pytest.mark.parametrize("node, knob, now", [
    ("Grade_fg", "white.b", "0.97"), ("Grade_fg", "gain", "the default"),
    ("Reformat_bg", "resize", "fill"),
])
def test_expression_preview_current_values(comp, node, knob, now) -> None:
    assert preview_expression(comp, node, knob, "1").current == now


def test_expression_preview_in_nuke_is_evaluated_by_nuke(fake_nuke_comp) -> None:
    fake, _ = fake_nuke_comp
    host = NukeHost()
    before = fake.host.to_text()
    preview = preview_expression(host, "Blur_bgDefocus", "size", "frame - 1000")
    assert preview.values == ((1001.0, 1.0), (1100.0, 100.0)) and preview.current == "3"
    assert fake.host.to_text() == before and host.undo_names() == []
