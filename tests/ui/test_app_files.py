"""The standalone app's comp file: Save (Ctrl+S), the modified mark, the question before
unsaved changes are dropped, New script, and File > Open Recent."""

from __future__ import annotations

from pathlib import Path
from typing import Any, List

import pytest

pytest.importorskip("Qt", reason="needs a Qt binding (PySide6 or PySide2)")

from Qt import QtGui, QtWidgets  # noqa: E402

from nuke_ai_panel.recent_scripts import load_recent  # noqa: E402
from nuke_ai_panel.worker import Worker  # noqa: E402
from src.ui import app  # noqa: E402
from src.ui.assist_controller import EXAMPLE_SCRIPT  # noqa: E402
from tests.ui.panel_helpers import closed_port_url, write_config  # noqa: E402

pytestmark = pytest.mark.qt
SMALL = ("Root {\n inputs 0\n}\nConstant {\n inputs 0\n name Const1\n xpos 0\n ypos 0\n}\n"
         "Blur {\n size 2\n name Blur1\n xpos 0\n ypos 60\n}\n")
Box = QtWidgets.QMessageBox


class Answers:
    """Stands in for QMessageBox.question: records each question, gives the set answer."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch, answer: Any = Box.Cancel) -> None:
        self.answer = answer
        self.asked: List[str] = []
        monkeypatch.setattr(Box, "question", self)

    def __call__(self, _parent: Any, _title: str, text: str, *args: Any) -> Any:
        self.asked.append(text)
        return self.answer


@pytest.fixture
def answers(monkeypatch: pytest.MonkeyPatch) -> Answers:
    return Answers(monkeypatch)


@pytest.fixture
def make_window(qtbot: Any, panel_worker: Worker, answers: Answers) -> Any:
    write_config("ollama", closed_port_url())
    made: List[Any] = []

    def make(*argv: str) -> Any:
        window, panel = app.build(app.parse_args(list(argv)), panel_worker)
        qtbot.addWidget(window)
        window.show()
        qtbot.waitExposed(window)
        made.append(window)
        return window

    yield make
    answers.answer = Box.Discard
    for window in made:
        window.panel.shutdown()


def small_script(tmp_path: Path, name: str = "small.nk") -> Path:
    path = tmp_path / name
    path.write_text(SMALL, encoding="utf-8")
    return path


def action(window: Any, text: str) -> QtWidgets.QAction:
    for found in window.findChildren(QtWidgets.QAction):
        if found.text().replace("&", "") == text:
            return found
    raise AssertionError(f"no action {text!r}")


def test_save_writes_the_comp_and_the_mark_follows_the_changes(make_window: Any, qtbot: Any,
                                                              tmp_path: Path) -> None:
    path = small_script(tmp_path)
    window = make_window("--script", str(path))
    assert window.windowTitle() == "Nuke AI Panel \u2014 small.nk"
    window.host.select(["Blur1"])
    window._comp_changed()
    assert not window.windowTitle().endswith("*"), "selecting is not a change"
    window.host.set_knob_raw("Blur1", "size", "4")  # an edit the window was not told about
    qtbot.waitUntil(lambda: window.windowTitle().endswith("*"), timeout=5000)
    save = action(window, "Save script")
    assert save.shortcut() == QtGui.QKeySequence("Ctrl+S")
    save.trigger()
    assert "size 4" in path.read_text(encoding="utf-8")
    assert window.windowTitle() == "Nuke AI Panel \u2014 small.nk"
    assert load_recent()[0] == str(path)
    window.host.set_knob_raw("Blur1", "size", "9")
    window._comp_changed()
    assert window.windowTitle().endswith("*")
    window.undo()
    assert window.windowTitle() == "Nuke AI Panel \u2014 small.nk", "undone back to the save"
    window.redo()
    assert window.windowTitle().endswith("*")


def test_the_shipped_example_is_never_overwritten(make_window: Any, tmp_path: Path,
                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    example = EXAMPLE_SCRIPT.read_text(encoding="utf-8")
    window = make_window()
    window.host.set_knob_raw("Grade_fg", "mix", "0.5")
    window._comp_changed()
    chosen = [str(EXAMPLE_SCRIPT), str(tmp_path / "mine.nk")]
    monkeypatch.setattr(QtWidgets.QFileDialog, "getSaveFileName",
                        lambda *args, **kwargs: (chosen.pop(0), ""))
    warnings: List[str] = []
    monkeypatch.setattr(Box, "warning", lambda *args, **kwargs: warnings.append(args[2]))
    assert not window.save_script(), "Save As onto the example is refused"
    assert warnings and "example" in warnings[0]
    assert window.save_script()
    assert EXAMPLE_SCRIPT.read_text(encoding="utf-8") == example
    assert "mix 0.5" in (tmp_path / "mine.nk").read_text(encoding="utf-8")
    assert window.windowTitle() == "Nuke AI Panel \u2014 mine.nk"


def test_unsaved_changes_are_asked_about(make_window: Any, answers: Answers,
                                         tmp_path: Path) -> None:
    path = small_script(tmp_path)
    other = small_script(tmp_path, "other.nk")
    window = make_window("--script", str(path))
    assert window.open_script(str(other)), "nothing to ask about while saved"
    assert answers.asked == []
    window.host.set_knob_raw("Blur1", "size", "5")
    window._comp_changed()

    answers.answer = Box.Cancel
    assert not window.open_script(str(path))
    assert not window.files.new_script()
    window.close()
    assert window.isVisible(), "Cancel keeps the window open"
    assert window.host.path == str(other) and len(answers.asked) == 3
    assert "Save the changes to other.nk" in answers.asked[0]

    answers.answer = Box.Save
    assert window.open_script(str(path)), "Save, then open"
    assert "size 5" in other.read_text(encoding="utf-8")
    assert window.host.path == str(path)

    window.host.set_knob_raw("Blur1", "size", "7")
    window._comp_changed()
    answers.answer = Box.Discard
    assert window.files.new_script()
    assert window.windowTitle() == "Nuke AI Panel \u2014 Untitled"
    assert window.graph.view.tile_items() == {} and window.panel.host is window.host
    assert "size 7" not in path.read_text(encoding="utf-8")
    window.host.create_node("Blur")
    window._comp_changed()
    window.close()
    assert not window.isVisible(), "Discard closes"


def test_open_recent_lists_newest_first_and_forgets_missing_files(
        make_window: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    first, second = small_script(tmp_path, "a.nk"), small_script(tmp_path, "b.nk")
    gone = small_script(tmp_path, "gone.nk")
    window = make_window()
    for path in (gone, first, second):
        assert window.open_script(str(path))
    gone.unlink()
    menu = window.recent_menu
    window.files.fill_recent_menu(menu)
    entries = [a for a in menu.actions() if a.data()]
    assert [a.data() for a in entries] == [str(second), str(first), str(gone)]
    entries[1].trigger()
    assert window.host.path == str(first)
    warnings: List[str] = []
    monkeypatch.setattr(Box, "warning", lambda *args, **kwargs: warnings.append(args[2]))
    entries[2].trigger()
    assert warnings and "gone.nk" in warnings[0]
    assert window.host.path == str(first)
    assert load_recent() == [str(first), str(second)]
    window.files.fill_recent_menu(menu)
    clear = [a for a in menu.actions() if a.text() == "Clear recent scripts"][0]
    clear.trigger()
    assert load_recent() == []
    window.files.fill_recent_menu(menu)
    assert [a.text() for a in menu.actions() if a.text()] == ["No recent scripts",
                                                               "Clear recent scripts"]


@pytest.mark.parametrize("variant", ["as_is", "crlf", "latin1"])
def test_save_as_with_no_edit_writes_the_script_back_byte_for_byte(
        make_window: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, variant: str) -> None:
    """Issue 7, class 7, as the issue tells it: open handwritten_edge_cases.nk in the
    standalone app and Save As with no edit; CRLF and Latin-1 files stay as they were."""
    data = (Path(__file__).resolve().parents[1] / "data" / "nk" /
            "handwritten_edge_cases.nk").read_bytes()
    if variant == "crlf":
        data = data.replace(b"\r\n", b"\n").replace(b"\n", b"\r\n")
    elif variant == "latin1":
        data = data.decode("utf-8").encode("latin-1", "replace")
    source = tmp_path / "shot.nk"
    source.write_bytes(data)
    window = make_window("--script", str(source))
    target = tmp_path / "shot_v002.nk"
    monkeypatch.setattr(QtWidgets.QFileDialog, "getSaveFileName",
                        lambda *args, **kwargs: (str(target), ""))
    assert window.files.save_as()
    assert target.read_bytes() == data
    assert source.read_bytes() == data
