"""The node graph view (objectName ``nodeGraphView``): every node and wire drawn, selection
by click and rubber band reaching the host, groups, the knob table, navigation, proposals."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any, List, Set

import pytest

pytest.importorskip("Qt", reason="needs a Qt binding (PySide6 or PySide2)")

from Qt import QtCore, QtGui, QtWidgets  # noqa: E402

from nuke_ai_panel.graph.script_host import ScriptHost  # noqa: E402
from nuke_ai_panel.graph.snippets import preview_nk  # noqa: E402
from src.ui.node_graph import NodeGraphPanel  # noqa: E402
from src.ui.node_graph.items import DETAIL_LOD, TileItem  # noqa: E402
from tests.graph.nk_data import DATA, EXAMPLE, Edge, levels_from_graph_json  # noqa: E402

pytestmark = pytest.mark.qt
ROOT = Path(__file__).resolve().parents[2]
FILES = [EXAMPLE] + sorted(DATA.glob("*.nk")) + sorted(DATA.glob("*.gizmo"))
READ_BG_FILE = "/jobs/demo/sq010/sh0040/elements/bg_cityscape_v002/bg_cityscape_v002.####.exr"
PROPOSAL = """set cut_paste_input [stack 0]
push $cut_paste_input
Blur {
 size 3
 name Blur_edge
}
Grade {
 name Grade_fg
}
push $cut_paste_input
Merge2 {
 inputs 2
 name Merge_back
}
"""


def make_panel(qtbot: Any, host: Any) -> NodeGraphPanel:
    panel = NodeGraphPanel(host)
    qtbot.addWidget(panel)
    panel.resize(1000, 700)
    panel.show()
    qtbot.waitExposed(panel)
    panel.view.frame_all()
    return panel


def centre_of(view: Any, name: str) -> QtCore.QPoint:
    item = view.tile_items()[name]
    return view.mapFromScene(item.sceneBoundingRect().center())


def send_mouse(widget: QtWidgets.QWidget, kind: Any, pos: QtCore.QPoint, button: Any,
               buttons: Any, modifiers: Any = QtCore.Qt.NoModifier) -> None:
    """A mouse event with its buttons held (QTest's moves carry none under Qt 5)."""
    local = QtCore.QPointF(pos)
    event = QtGui.QMouseEvent(kind, local, QtCore.QPointF(widget.mapToGlobal(pos)), button,
                              buttons, modifiers)
    QtWidgets.QApplication.sendEvent(widget, event)


def drag(widget: QtWidgets.QWidget, start: QtCore.QPoint, end: QtCore.QPoint,
         button: Any = QtCore.Qt.LeftButton, modifiers: Any = QtCore.Qt.NoModifier) -> None:
    send_mouse(widget, QtCore.QEvent.MouseButtonPress, start, button, button, modifiers)
    for step in range(1, 6):
        point = start + (end - start) * (step / 5.0)
        send_mouse(widget, QtCore.QEvent.MouseMove, point, QtCore.Qt.NoButton, button, modifiers)
    send_mouse(widget, QtCore.QEvent.MouseButtonRelease, end, button, QtCore.Qt.NoButton,
               modifiers)


def graph_json(path: Path) -> dict:
    done = subprocess.run([sys.executable, "-m", "nuke_ai_panel", "graph", str(path), "--json"],
                          cwd=str(ROOT), capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout)


def drawn(view: Any) -> Set[Edge]:
    return {(w.wire.target, w.wire.index, w.wire.source or w.wire.external)
            for w in view.wire_items()}


@pytest.mark.parametrize("path", FILES, ids=lambda p: p.name)
def test_every_node_and_connection_is_drawn(qtbot: Any, path: Path) -> None:
    """Counted against ``python -m nuke_ai_panel graph FILE --json``: per group level, the
    nodes and the input edges."""
    levels = levels_from_graph_json(graph_json(path)["nodes"])
    panel = make_panel(qtbot, ScriptHost.from_file(str(path)))
    view = panel.view
    assert view.objectName() == "nodeGraphView"
    shown = 0
    for parent in sorted(levels, key=lambda p: (p or "").count(".") if p else -1):
        names, edges = levels[parent]
        if parent is None:
            view.go_to(None)
        else:
            assert view.enter_group(parent), parent
        assert view.group == parent
        assert set(view.tile_items()) == names, parent
        assert len(view.tile_items()) == len(names)
        assert drawn(view) == edges, parent
        assert len(view.wire_items()) == len(edges)
        shown += len(names)
    assert shown == len(graph_json(path)["nodes"])


def test_click_shift_click_and_empty_click_select_in_the_host(qtbot: Any) -> None:
    host = ScriptHost.from_file(str(EXAMPLE))
    panel = make_panel(qtbot, host)
    view = panel.view
    qtbot.mouseClick(view.viewport(), QtCore.Qt.LeftButton, pos=centre_of(view, "Grade_fg"))
    assert [n.name for n in host.selected_nodes()] == ["Grade_fg"]
    assert panel.knob_title.text() == "Grade_fg (Grade)"
    qtbot.mouseClick(view.viewport(), QtCore.Qt.LeftButton, QtCore.Qt.ShiftModifier,
                     pos=centre_of(view, "Read_bg"))
    assert sorted(n.name for n in host.selected_nodes()) == ["Grade_fg", "Read_bg"]
    assert panel.knob_title.text() == "Read_bg (Read)"
    assert dict(panel.knobs.rows())["file"] == READ_BG_FILE
    view.centerOn(QtCore.QPointF(-2000, -2000))
    empty = view.mapFromScene(QtCore.QPointF(-2000, -2000))
    qtbot.mouseClick(view.viewport(), QtCore.Qt.LeftButton, pos=empty)
    assert host.selected_nodes() == []
    assert panel.knobs.rowCount() == 0


def test_rubber_band_selects_what_it_touches(qtbot: Any) -> None:
    host = ScriptHost.from_file(str(EXAMPLE))
    panel = make_panel(qtbot, host)
    view = panel.view
    items = view.tile_items()
    # A band around the background branch (Read_bg down to Blur_bgDefocus), nothing else.
    branch = ["Read_bg", "Reformat_bg", "Transform_bgShake", "Blur_bgDefocus"]
    rect = QtCore.QRectF()
    for name in branch:
        rect = rect.united(items[name].sceneBoundingRect())
    start = view.mapFromScene(rect.topLeft() - QtCore.QPointF(8, 8))
    end = view.mapFromScene(rect.bottomRight() + QtCore.QPointF(8, 8))
    drag(view.viewport(), start, end)
    assert sorted(n.name for n in host.selected_nodes()) == sorted(branch)


def test_knob_table_shows_the_values_as_nuke_reads_them(qtbot: Any) -> None:
    host = ScriptHost.from_file(str(EXAMPLE))
    panel = make_panel(qtbot, host)
    qtbot.mouseClick(panel.view.viewport(), QtCore.Qt.LeftButton,
                     pos=centre_of(panel.view, "Read_plate"))
    table = panel.findChild(QtWidgets.QTableWidget, "nodeKnobTable")
    rows = dict(table.rows())
    assert rows["file"] == "/jobs/demo/sq010/sh0040/plates/gs_plateA_v001/gs_plateA_v001.####.exr"
    assert rows["colorspace"] == "Input - ARRI - V3 LogC (EI800) - Wide Gamut", "no quotes"
    assert rows["xpos"] == "-380"
    qtbot.mouseClick(panel.view.viewport(), QtCore.Qt.LeftButton,
                     pos=centre_of(panel.view, "Roto_garbage"))
    rows = dict(table.rows())
    assert rows["curves"].endswith("\u2026"), "a long shape is shortened"
    curves_row = [r for r in range(table.rowCount()) if table.item(r, 0).text() == "curves"][0]
    assert "curvegroup Garbage" in table.item(curves_row, 1).toolTip()


def test_groups_are_entered_and_left(qtbot: Any) -> None:
    host = ScriptHost.from_file(str(DATA / "handwritten_edge_cases.nk"))
    panel = make_panel(qtbot, host)
    view = panel.view
    assert not panel.back_button.isEnabled()
    qtbot.mouseDClick(view.viewport(), QtCore.Qt.LeftButton,
                      pos=centre_of(view, "Groupe_etalonnage"))
    assert view.group == "Groupe_etalonnage"
    assert set(view.tile_items()) == {f"Groupe_etalonnage.{n}" for n in (
        "Input1", "Grade_inner", "Nested", "mask", "extra", "Merge_inner", "Output1")}
    assert "Groupe_etalonnage" in panel.trail.text() and panel.back_button.isEnabled()
    qtbot.mouseClick(view.viewport(), QtCore.Qt.LeftButton,
                     pos=centre_of(view, "Groupe_etalonnage.Grade_inner"))
    assert [n.name for n in host.selected_nodes()] == ["Groupe_etalonnage.Grade_inner"]
    assert panel.knob_title.text() == "Grade_inner (Grade)"
    qtbot.mouseDClick(view.viewport(), QtCore.Qt.LeftButton,
                      pos=centre_of(view, "Groupe_etalonnage.Nested"))
    assert view.group == "Groupe_etalonnage.Nested"
    assert set(view.tile_items()) == {"Groupe_etalonnage.Nested." + n
                                      for n in ("Input1", "Blur1", "Output1")}
    view.setFocus()
    qtbot.keyClick(view, QtCore.Qt.Key_Backspace)
    assert view.group == "Groupe_etalonnage"
    panel.back_button.click()
    assert view.group is None and "Read_plaque" in view.tile_items()
    view.enter_group("Groupe_etalonnage.Nested")
    panel.trail.linkActivated.emit("Groupe_etalonnage")
    assert view.group == "Groupe_etalonnage"
    assert not view.enter_group("Read_plaque"), "not a group"


def test_zoom_pan_and_frame_all(qtbot: Any) -> None:
    panel = make_panel(qtbot, ScriptHost.from_file(str(EXAMPLE)))
    view = panel.view
    scale = view.transform().m11()
    wheel = QtGui.QWheelEvent(QtCore.QPointF(view.viewport().rect().center()),
                              QtCore.QPointF(view.viewport().mapToGlobal(
                                  view.viewport().rect().center())),
                              QtCore.QPoint(0, 0), QtCore.QPoint(0, 240), QtCore.Qt.NoButton,
                              QtCore.Qt.NoModifier, QtCore.Qt.NoScrollPhase, False)
    QtWidgets.QApplication.sendEvent(view.viewport(), wheel)
    assert view.transform().m11() == pytest.approx(scale * 1.44)
    before = view.mapToScene(view.viewport().rect().center())
    middle = view.viewport().rect().center()
    drag(view.viewport(), middle, middle + QtCore.QPoint(120, 60), QtCore.Qt.MiddleButton)
    after = view.mapToScene(view.viewport().rect().center())
    assert after.x() < before.x() and after.y() < before.y(), "the graph follows the mouse"
    drag(view.viewport(), middle, middle + QtCore.QPoint(-120, 0), QtCore.Qt.LeftButton,
         QtCore.Qt.AltModifier)
    assert view.mapToScene(view.viewport().rect().center()).x() > after.x()
    assert panel.view.host.selected_nodes() == [], "panning selects nothing"
    view.setFocus()
    qtbot.keyClick(view, QtCore.Qt.Key_F)
    visible = view.mapToScene(view.viewport().rect()).boundingRect()
    for item in view.tile_items().values():
        assert visible.contains(item.sceneBoundingRect()), item.name


def test_a_few_thousand_nodes_are_built_once(qtbot: Any, monkeypatch: Any) -> None:
    text = "Constant {\n inputs 0\n name C\n}\n" + "".join(
        f"Blur {{\n size {i % 9}\n name B{i}\n}}\n" for i in range(3000))
    built: List[int] = []
    original = TileItem.__init__

    def counting(self: Any, *args: Any, **kwargs: Any) -> None:
        built.append(1)
        original(self, *args, **kwargs)

    monkeypatch.setattr(TileItem, "__init__", counting)
    host = ScriptHost.from_text(text)
    panel = make_panel(qtbot, host)
    view = panel.view
    assert len(view.tile_items()) == 3001 and len(view.wire_items()) == 3000
    count = len(built)
    assert count == 3001
    # All in view: one overview item draws the level; the tiles stay there to be clicked.
    no_contents = QtWidgets.QGraphicsItem.ItemHasNoContents
    assert view.transform().m11() < DETAIL_LOD
    assert all(i.flags() & no_contents for i in view.tile_items().values())
    assert view._overview is not None and view._overview.isVisible()
    view.viewport().repaint()
    view.zoom(0.3 / view.transform().m11())
    assert view._overview.isVisible(), "still zoomed out"
    view.centerOn(view.tile_items()["B1500"])
    qtbot.mouseClick(view.viewport(), QtCore.Qt.LeftButton, pos=centre_of(view, "B1500"))
    assert [n.name for n in host.selected_nodes()] == ["B1500"]
    for _ in range(12):
        view.zoom(1.3)
        view.viewport().repaint()
    assert view.transform().m11() >= DETAIL_LOD
    assert not any(i.flags() & no_contents for i in view.tile_items().values())
    assert not view._overview.isVisible()
    assert len(built) == count, "zooming built items again"


def test_a_proposal_is_drawn_as_ghosts_and_never_reaches_the_host(qtbot: Any) -> None:
    host = ScriptHost.from_file(str(EXAMPLE))
    before = host.to_text()
    panel = make_panel(qtbot, host)
    view = panel.view
    ghosts = view.show_proposal(PROPOSAL, "Grade_fg")
    preview = preview_nk(PROPOSAL, [n.name for n in host.all_nodes()], "Grade_fg")
    assert ghosts is not None
    assert [g.name for g in view.ghost_tiles()] == [n.name for n in preview.nodes]
    assert all(not g.flags() & QtWidgets.QGraphicsItem.ItemIsSelectable
               for g in view.ghost_tiles())
    wires = {(w.wire.source, w.wire.target) for w in view.ghost_wires()}
    assert wires == {(s.replace(" (selected)", ""), t) for s, t, _ in preview.connections}
    assert ("Grade_fg", "Blur_edge") in wires
    assert set(view.tile_items()) == {n.name for n in host.all_nodes()}, "ghosts are apart"
    assert host.to_text() == before
    view.refresh()
    assert len(view.ghost_tiles()) == 3, "a redraw keeps the proposal"
    view.clear_proposal()
    assert view.ghost_tiles() == [] and view.ghost_wires() == [] and view.proposal is None
    assert host.to_text() == before


def test_a_proposal_shows_at_the_root_and_bad_text_draws_nothing(qtbot: Any) -> None:
    host = ScriptHost.from_file(str(DATA / "handwritten_edge_cases.nk"))
    panel = make_panel(qtbot, host)
    panel.view.enter_group("Groupe_etalonnage")
    assert panel.view.show_proposal(PROPOSAL, None) is not None
    assert panel.view.group is None and "Root" in panel.trail.text()
    assert len(panel.view.ghost_tiles()) == 3
    assert panel.view.show_proposal("Blur {\n name B\n", None) is None
    assert panel.view.ghost_tiles() == []
