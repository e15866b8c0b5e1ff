"""Helper proposals checked against Nuke's node classes before the preview (DESIGN 12):
findings attached, one repair request, never a second."""

from __future__ import annotations

from nuke_ai_panel.assist.actions import action_from_answer
from nuke_ai_panel.assist.commands import parse_command
from nuke_ai_panel.assist.grounding import ground, repair_request
from nuke_ai_panel.assist.prompts import build_request
from nuke_ai_panel.graph.nuke_host import NukeHost
from tests.protocol_servers.scenarios import (NK_BUILD_ANSWER, NK_INVENTED_ANSWER,
                                              NK_REPAIRED_ANSWER)


def grounded(host, command, answer):
    request = build_request(parse_command(command), host)
    return request, ground(action_from_answer(answer, request, host), host)


def kinds(action):
    return [(f["node"], f["kind"], f["name"], f["suggestion"]) for f in action.findings]


def test_invented_classes_and_knobs_are_found_with_the_nearest_real_ones(comp) -> None:
    answer = ("```nk\nBlurr {\n name Soft\n}\nGrade {\n whitepoint_r 0.9\n name Lift\n}\n"
              "Blur {\n sizee 3\n name Wide\n}\nBlur {\n size {{Missing7.size}}\n name Linked\n}\n```")
    _, action = grounded(comp, "/build soften", answer)
    assert kinds(action) == [
        ("Soft", "unknown_class", "Blurr", "Blur"),
        ("Lift", "unknown_knob", "whitepoint_r", "whitepoint"),
        ("Wide", "unknown_knob", "sizee", "size"),
        ("Linked", "dangling_reference", "Missing7.size", None),
    ]


def test_a_clean_snippet_and_references_to_the_comp_have_no_findings(comp) -> None:
    _, action = grounded(comp, "/build despill", NK_BUILD_ANSWER)
    assert action.findings == ()
    linked = "```nk\nBlur {\n size {{Blur_bgDefocus.size}}\n name Linked\n}\n```"
    assert grounded(comp, "/build link", linked)[1].findings == ()


def test_an_expression_naming_a_missing_node_is_found(comp) -> None:
    _, action = grounded(comp, "/expr Blur_bgDefocus.size follow",
                         "```tcl\nMissing7.size * 2\n```")
    assert kinds(action) == [("Blur_bgDefocus", "dangling_reference", "Missing7.size", None)]
    _, fine = grounded(comp, "/expr Blur_bgDefocus.size follow",
                       "```tcl\nGrade_fg.white * frame\n```")
    assert fine.findings == ()


def test_one_repair_round_then_the_preview(comp) -> None:
    request, action = grounded(comp, "/build lift", NK_INVENTED_ANSWER)
    repair = repair_request(request, action)
    assert repair is not None and repair.repair_round == 1
    assert repair.expects == request.expects and repair.undo_name == request.undo_name
    assert "Grade_lift: this node has no knob named whitepoint_r (did you mean whitepoint?)" \
        in repair.user and "whitepoint_r 0.9" in repair.user
    assert repair.display.startswith("Fix what Nuke does not have: Grade_lift")
    again = ground(action_from_answer(NK_INVENTED_ANSWER, repair, comp), comp)
    assert again.findings and repair_request(repair, again) is None, "never a second round"
    fixed = ground(action_from_answer(NK_REPAIRED_ANSWER, repair, comp), comp)
    assert fixed.findings == () and repair_request(repair, fixed) is None


def test_inside_nuke_the_running_nuke_decides(fake_nuke_comp) -> None:
    fake, _module = fake_nuke_comp
    host = NukeHost(fake, is_main_thread=lambda: True)
    _, action = grounded(host, "/build lift", NK_INVENTED_ANSWER)
    assert kinds(action) == [("Grade_lift", "unknown_knob", "whitepoint_r", "whitepoint")]
    assert host.class_source().catalogue.live is not None
