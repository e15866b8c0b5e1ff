"""Approval cards show the helpers' preview for every write tool (nodes and wiring, old ->
new knob values, the input's old -> new source, the nodes going, code with its risky lines,
lint findings); the Qt approver reaches the main thread from any thread; a card is decided
once; the compact step lines."""

from __future__ import annotations

import threading
from typing import Any, Dict, List

import pytest

pytest.importorskip("Qt", reason="needs a Qt binding (the Qt legs run this)")

from Qt import QtWidgets  # noqa: E402

from nuke_ai_panel.agent import Proposal, ToolRegistry  # noqa: E402
from nuke_ai_panel.agent.approval import Approval  # noqa: E402
from src.ui.agent_steps import ToolStep, arguments_summary, step_block_html  # noqa: E402
from src.ui.approval_card import ApprovalArea, ApprovalCard, QtApprover  # noqa: E402
from tests.agent_qt.conftest import WAIT_MS, example_host  # noqa: E402

RISKY = ("import nuke, os\nos.system('rm -rf /tmp/x')\n"
         "nuke.toNode('Grade_fg')['gamma'].setValue(2)\n")


def approval(tool: str, arguments: Dict[str, Any], answers: List[Any], **options: Any) -> Approval:
    proposal = ToolRegistry(example_host(), **options).call(tool, arguments)
    assert isinstance(proposal, Proposal), proposal
    return Approval("call_1", tool, proposal,
                    lambda a, approved, reason, rest: answers.append((approved, rest)))


def card_for(qtbot: Any, tool: str, arguments: Dict[str, Any], **options: Any) -> Any:
    answers: List[Any] = []
    card = ApprovalCard(approval(tool, arguments, answers, **options))
    qtbot.addWidget(card)
    card.answers = answers
    return card


def texts(widget: Any) -> List[str]:
    if isinstance(widget, QtWidgets.QTreeWidget):
        return [" | ".join(widget.topLevelItem(i).text(c) for c in range(widget.columnCount()))
                for i in range(widget.topLevelItemCount())]
    return [widget.item(i).text() for i in range(widget.count())]


def test_create_nodes_shows_the_nodes_and_their_wiring(qtbot):
    card = card_for(qtbot, "create_nodes", {"nk": "Blur {\n size 5\n name Blur_edge\n}\n",
                                            "connect_to": "Grade_fg"})
    assert card.objectName() == "approvalCard"
    assert texts(card.findChild(QtWidgets.QTreeWidget, "previewNodes")) == [
        "Blur_edge | Blur | size 5"]
    assert any("Grade_fg" in t and "Blur_edge" in t
               for t in texts(card.findChild(QtWidgets.QListWidget, "previewConnections")))
    note = card.findChild(QtWidgets.QLabel, "previewUndoNote").text()
    assert "one undo step" in note and "AI: create Blur_edge" in note


def test_set_knobs_shows_old_and_new_values_and_expressions(qtbot):
    card = card_for(qtbot, "set_knobs", {"node": "Grade_fg", "values": {"white": [1, 1, 1, 1]},
                                         "expressions": {"gamma": "frame / 10"}})
    rows = texts(card.findChild(QtWidgets.QTreeWidget, "previewKnobs"))
    assert rows[0].startswith("white | ") and rows[0].endswith(" | {1 1 1 1}")
    assert rows[1].startswith("gamma | ") and rows[1].endswith(" | expression frame / 10")


def test_knob_table_shows_values_with_arrows_quotes_and_newlines_exactly(qtbot):
    """Now and New come from the change's values, never from its describe() line: text
    holding " -> ", quotes or a newline is shown as it is, in its own column."""
    old = 'plate -> comp "v2"\nsecond line'
    new = 'final -> "grade"\nnotes: a -> b'
    host = example_host()
    registry = ToolRegistry(host)
    setup = registry.call("set_knobs", {"node": "Grade_fg", "values": {"label": old}})
    assert registry.apply(setup).ok
    proposal = registry.call("set_knobs", {"node": "Grade_fg", "values": {"label": new}})
    card = ApprovalCard(Approval("call_1", "set_knobs", proposal, lambda *a: None))
    qtbot.addWidget(card)
    table = card.findChild(QtWidgets.QTreeWidget, "previewKnobs")
    row = table.topLevelItem(0)
    assert [row.text(c) for c in range(3)] == ["label", old, new]
    assert row.toolTip(1) == old and row.toolTip(2) == new


def test_a_knob_value_that_runs_code_is_flagged(qtbot):
    card = card_for(qtbot, "set_knobs", {"node": "Grade_fg",
                                         "values": {"label": "[python os.getcwd()]"}})
    risks = texts(card.findChild(QtWidgets.QListWidget, "previewRisks"))
    assert risks and "python" in risks[0].lower()


def test_connect_and_delete_show_what_changes(qtbot):
    connect = card_for(qtbot, "connect_nodes", {"node": "Merge_over", "input": 1,
                                                "source": "Read_bg"})
    text = connect.findChild(QtWidgets.QLabel, "previewConnection").text()
    assert text.startswith("Merge_over input 1: ") and text.endswith("-> Read_bg")
    delete = card_for(qtbot, "delete_nodes", {"names": ["Blur_bgDefocus"]})
    text = delete.findChild(QtWidgets.QLabel, "previewDelete").text()
    assert "Blur_bgDefocus" in text and "Inputs left empty" in text


def test_run_python_shows_the_code_read_only_with_its_risky_lines(qtbot):
    card = card_for(qtbot, "run_python", {"code": RISKY})
    code = card.findChild(QtWidgets.QPlainTextEdit, "previewCode")
    assert code.toPlainText() == RISKY and code.isReadOnly()
    assert 2 in card.highlighted_lines()
    assert any("os.system" in t for t in texts(card.findChild(QtWidgets.QListWidget,
                                                              "previewRisks")))


def test_lint_findings_are_listed(qtbot):
    finding = {"node": "Blur_edge", "kind": "unknown_knob", "name": "sizee",
               "suggestion": "size"}
    card = card_for(qtbot, "create_nodes", {"nk": "Blur {\n sizee 5\n name Blur_edge\n}\n"},
                    lint=lambda text: [finding])
    found = texts(card.findChild(QtWidgets.QListWidget, "previewFindings"))
    assert found and "sizee" in found[0] and "size" in found[0]


def test_a_card_is_decided_once_and_collapses_to_a_record(qtbot):
    card = card_for(qtbot, "delete_nodes", {"names": ["Blur_bgDefocus"]})
    card.show()
    assert card.decide(True, all_remaining=True)
    assert not card.decide(False) and card.answers == [(True, True)]
    assert card.objectName() == "approvalRecord" and not card.buttons.isVisible()
    assert card.record.text() == "\u2713 Approved (and all remaining): AI: delete Blur_bgDefocus"


def test_the_approver_delivers_on_the_main_thread_whoever_calls(qtbot):
    approver = QtApprover()
    seen: List[Any] = []
    approver.requested.connect(lambda a: seen.append(("request", threading.current_thread())))
    approver.withdrawn.connect(lambda a: seen.append(("withdraw", threading.current_thread())))
    item = approval("delete_nodes", {"names": ["Blur_bgDefocus"]}, [])
    worker = threading.Thread(target=lambda: (approver.request(item), approver.withdraw(item)))
    worker.start()
    worker.join(5)
    qtbot.waitUntil(lambda: len(seen) == 2, timeout=WAIT_MS)
    assert seen == [("request", threading.main_thread()), ("withdraw", threading.main_thread())]
    approver.request(item)  # on the main thread too: it returns before the card is shown
    assert len(seen) == 2
    qtbot.waitUntil(lambda: len(seen) == 3, timeout=WAIT_MS)


def test_the_area_keeps_one_pending_card_and_clears_its_records(qtbot):
    area = ApprovalArea()
    qtbot.addWidget(area)
    first = area.add(approval("delete_nodes", {"names": ["Blur_bgDefocus"]}, []))
    assert not area.isHidden() and area.pending() == [first]
    first.decide(False)
    assert area.pending() == [] and area.card_for("call_1") is first
    area.clear()
    assert area.cards == [] and area.isHidden()


def test_a_step_line_summarises_its_arguments():
    assert arguments_summary('{"class": "Grade", "limit": 5}') == 'class="Grade", limit=5'
    assert arguments_summary('{"nk": "Blur {\\n size 3\\n}\\n", "connect_to": "Grade1"}') == \
        'nk="Blur {\u2026", connect_to="Grade1"'
    assert arguments_summary('{"class": "Grade"') == '{"class": "Grade"'  # not JSON: as sent
    step = ToolStep(1, "c1", "list_nodes", '{"class": "Grade"}', state="done", ok=True,
                    summary="2 nodes")
    line = step_block_html(step)
    assert 'href="toolstep:1"' in line and "2 nodes" in line and "<pre" not in line
    step.expanded = True
    assert "Result (what the model read)" in step_block_html(step, "Grade_fg\nGrade_final")
