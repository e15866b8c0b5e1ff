"""A docked Nuke panel gets 380-420 px: the chat panel works from 360 px up (toolbar folded to
icons with tooltips, one-line banners) and at 1600 px (labels back); disabled controls look
disabled in the dark theme, as actually rendered."""

from __future__ import annotations

from typing import Any, Iterator, List

import pytest

pytest.importorskip("Qt", reason="needs a Qt binding (PySide6 or PySide2)")

from Qt import QtCore, QtGui, QtWidgets  # noqa: E402

from src.ui.chat_panel import ChatPanel  # noqa: E402
from src.ui.theme import apply_dark_theme, dark_palette  # noqa: E402
from tests.ui.panel_helpers import WAIT_MS  # noqa: E402

pytestmark = pytest.mark.qt

TOOLBAR = ("providerCombo", "modelCombo", "refreshModelsButton", "settingsButton",
           "presetCombo", "editPresetsButton", "historyCombo", "newChatButton", "exportButton",
           "deleteChatButton", "editLastButton", "stopButton", "sendButton")
BANNER_BUTTONS = ("errorBannerDetailsButton", "retryButton", "openSettingsButton",
                  "dismissErrorButton", "noticeBarDetailsButton", "dismissNoticeButton")
LONG = ("Could not connect to 127.0.0.1:11434: connection refused (nothing is listening "
        "there) after trying three times over a slow VPN link that drops packets " * 4)
HINT = "Start Ollama with `ollama serve`; it should answer at http://127.0.0.1:11434."


@pytest.fixture
def dark_theme(qapp: Any) -> Iterator[None]:
    """The standalone app's dark theme on the test application, put back afterwards."""
    palette, style = QtGui.QPalette(qapp.palette()), qapp.style().objectName()
    apply_dark_theme(qapp)
    yield
    qapp.setStyle(style)
    qapp.setPalette(palette)


def settle(qtbot: Any, panel: Any, width: int, height: int = 900) -> None:
    panel.resize(width, height)
    qtbot.waitUntil(lambda: panel.width() == width, timeout=WAIT_MS)
    for _ in range(3):
        QtWidgets.QApplication.processEvents()


def geometry(panel: Any, widget: Any) -> QtCore.QRect:
    return QtCore.QRect(widget.mapTo(panel, QtCore.QPoint(0, 0)), widget.size())


def label_fits(button: Any) -> bool:
    text = button.text().replace("&", "")
    icon = button.iconSize().width() + 4 if not button.icon().isNull() else 0
    return button.fontMetrics().horizontalAdvance(text) + icon <= button.width()


def check_controls(panel: Any, names: List[str], folded: bool) -> None:
    """Each control is shown, inside the panel, apart from the others, and says what it
    is: a label that fits, or an icon and a tooltip."""
    places = []
    for name in names:
        widget = panel.findChild(QtWidgets.QWidget, name)
        assert widget is not None and widget.isVisible(), name
        place = geometry(panel, widget)
        assert panel.rect().contains(place), f"{name} is cut off at {place}"
        assert widget.width() >= 20 and widget.height() >= 16, name
        if isinstance(widget, QtWidgets.QAbstractButton):
            if widget.text():
                assert not folded or name in ("sendButton",), f"{name} did not fold"
                assert label_fits(widget), f"{name}: {widget.text()!r} does not fit"
            else:
                assert folded or name == "refreshModelsButton" or name.startswith("dismiss")
                assert not widget.icon().isNull() and widget.toolTip().strip(), name
        else:
            assert widget.toolTip().strip(), f"{name} has no tooltip"
        for other, where in places:
            assert not place.intersects(where), f"{name} overlaps {other}"
        places.append((name, place))


def test_every_toolbar_control_is_there_at_360_px(make_panel: Any, qtbot: Any,
                                                  dark_theme: None) -> None:
    panel: ChatPanel = make_panel()
    settle(qtbot, panel, 360)
    assert panel.minimumWidth() <= 360 and panel.layout().minimumSize().width() <= 360
    assert panel.compact.compact
    check_controls(panel, list(TOOLBAR), folded=True)
    tips = {name: panel.findChild(QtWidgets.QWidget, name).toolTip() for name in TOOLBAR}
    assert tips["settingsButton"].startswith("Settings")
    assert tips["newChatButton"].startswith("New chat")
    assert tips["sendButton"] == "Send (Enter)" and tips["stopButton"].startswith("Stop")


def test_banners_stay_one_line_at_360_px_with_details_on_demand(make_panel: Any, qtbot: Any,
                                                                dark_theme: None) -> None:
    panel: ChatPanel = make_panel()
    panel.notices.add("Config: 'no_such_setting' is not a setting; it was ignored.")
    panel.show_error("connect", LONG, HINT, retry=True)
    settle(qtbot, panel, 360)
    check_controls(panel, list(TOOLBAR) + list(BANNER_BUTTONS), folded=True)
    line = panel.send_button.height()
    for bar in (panel.errors, panel.notices):
        assert bar.height() <= line + 16, f"{bar.objectName()} is {bar.height()} px tall"
    assert panel.transcript.height() > 8 * panel.errors.height()
    summary = panel.errors.summary_label
    assert summary.text() == f"{LONG.strip()} \u2014 {HINT}" and summary.is_elided()
    qtbot.mouseClick(panel.errors.details_button, QtCore.Qt.LeftButton)
    assert panel.errors.message_label.isVisible() and panel.errors.hint_label.isVisible()
    assert panel.errors.message_label.text() == LONG.strip() and panel.errors.hint == HINT
    assert not summary.isVisible()
    qtbot.mouseClick(panel.errors.details_button, QtCore.Qt.LeftButton)
    assert summary.isVisible() and not panel.errors.message_label.isVisible()


def test_at_1600_px_every_label_is_back(make_panel: Any, qtbot: Any,
                                        dark_theme: None) -> None:
    panel: ChatPanel = make_panel()
    panel.show_error("connect", LONG, HINT, retry=True)
    settle(qtbot, panel, 360)
    settle(qtbot, panel, 1600)
    assert not panel.compact.compact
    check_controls(panel, list(TOOLBAR) + list(BANNER_BUTTONS[:4]), folded=False)
    texts = {name: panel.findChild(QtWidgets.QAbstractButton, name).text()
             for name in TOOLBAR if name.endswith("Button")}
    assert texts["settingsButton"] == "Settings" and texts["newChatButton"] == "New chat"
    assert texts["exportButton"] == "Export\u2026" and texts["sendButton"] == "Send"


def test_the_fold_follows_the_width_both_ways(make_panel: Any, qtbot: Any) -> None:
    panel: ChatPanel = make_panel()
    seen: List[bool] = []
    panel.compact.compactChanged.connect(seen.append)
    for width in (1600, 400, 1600):
        settle(qtbot, panel, width, 700)
    assert seen[-2:] == [True, False]
    assert panel.settings_button.text() == "Settings"
    settle(qtbot, panel, 420, 700)
    assert panel.settings_button.text() == "" and panel.settings_button.toolTip()


def test_the_status_line_never_widens_the_panel(make_panel: Any, qtbot: Any) -> None:
    panel: ChatPanel = make_panel()
    panel.set_status("done: first token 420 ms, 1234 tokens, 12 s " * 6)
    settle(qtbot, panel, 360)
    assert panel.width() == 360
    assert panel.status_label.is_elided()
    assert panel.status_label.text().startswith("done: first token 420 ms")


# -- states you can see ----------------------------------------------------------------------


def brightest(widget: Any) -> int:
    """The lightest pixel of the widget as rendered (0-255): its label or icon."""
    image = widget.grab().toImage()
    best = 0
    for y in range(image.height()):
        for x in range(image.width()):
            best = max(best, QtGui.QColor(image.pixel(x, y)).lightness())
    return best


def test_the_dark_palette_has_its_own_disabled_colours() -> None:
    palette = dark_palette()
    group, role = QtGui.QPalette.ColorGroup, QtGui.QPalette.ColorRole
    for name in ("ButtonText", "WindowText", "Text"):
        enabled = palette.color(group.Active, getattr(role, name))
        disabled = palette.color(group.Disabled, getattr(role, name))
        assert disabled != enabled, name
        assert disabled.lightness() < enabled.lightness() - 60, name


def rendered_differently(qtbot: Any, button: Any) -> None:
    button.setEnabled(True)
    qtbot.wait(10)
    on, on_light = button.grab().toImage(), brightest(button)
    button.setEnabled(False)
    qtbot.wait(10)
    off, off_light = button.grab().toImage(), brightest(button)
    assert on != off, f"{button.objectName()} looks the same disabled"
    assert off_light < on_light - 50, (button.objectName(), on_light, off_light)


def test_disabled_send_and_stop_look_disabled(make_panel: Any, qtbot: Any,
                                              dark_theme: None) -> None:
    panel: ChatPanel = make_panel()
    settle(qtbot, panel, 1600, 600)
    assert panel.send_button.isEnabled() and not panel.stop_button.isEnabled()
    assert brightest(panel.stop_button) < brightest(panel.send_button) - 50
    for button in (panel.send_button, panel.stop_button, panel.settings_button):
        rendered_differently(qtbot, button)
    settle(qtbot, panel, 360, 600)
    rendered_differently(qtbot, panel.send_button)


def test_disabled_apply_and_remove_key_look_disabled(qtbot: Any, dark_theme: None) -> None:
    from nuke_ai_panel.assist.actions import RunPython
    from nuke_ai_panel.graph.risk import scan_code
    from src.ui.action_preview import ActionPreviewDialog
    from src.ui.settings_dialog import SettingsDialog

    code = "import nuke\nnuke.createNode('Blur')\n"
    dialog = ActionPreviewDialog(RunPython("AI: script", code, scan_code(code), False,
                                           "Running code is turned off in Settings."))
    qtbot.addWidget(dialog)
    dialog.show()
    qtbot.waitExposed(dialog)
    assert not dialog.apply_button.isEnabled()
    rendered_differently(qtbot, dialog.apply_button)
    settings = SettingsDialog()
    qtbot.addWidget(settings)
    settings.show()
    qtbot.waitExposed(settings)
    remove = settings.findChild(QtWidgets.QPushButton, "removeKeyButton_openai")
    settings.providerList.setCurrentRow(1)
    qtbot.waitUntil(remove.isVisible, timeout=WAIT_MS)
    assert not remove.isEnabled(), "no stored key: nothing to remove"
    rendered_differently(qtbot, remove)
    settings.discard()


# -- code blocks at 360 px ---------------------------------------------------------------------

WIDE_LINE = "nuke.toNode('Grade_fg')['white'].setValue([1.0, 0.98, 0.95, 1.0])  # " + "x" * 140
UNBROKEN = "/shows/plane/shots/PLN_010/comp/renders/" + "v" * 160


@pytest.mark.parametrize("line", [WIDE_LINE, UNBROKEN], ids=["spaced", "unbroken"])
def test_a_200_column_code_block_adds_no_sideways_scroll_bar_at_360_px(
        make_panel: Any, qtbot: Any, dark_theme: None, line: str) -> None:
    from nuke_ai_panel.history import HistoryMessage

    assert len(line) >= 200
    panel: ChatPanel = make_panel()
    settle(qtbot, panel, 360)
    answer = f"Set it like this:\n\n```python\n{line}\nprint('done')\n```\n\nThat is all."
    view = panel.transcript
    view.set_messages([HistoryMessage("user", "How do I set white?"),
                       HistoryMessage("assistant", answer, model="m")])
    # and the same answer as it streams in, piece by piece
    live = HistoryMessage("assistant", "", model="m")
    view.begin_answer(live)
    bar = view.horizontalScrollBar()
    for cut in range(0, len(answer), 37):
        live.text = answer[:cut + 37]
        view.update_answer()
        QtWidgets.QApplication.processEvents()
        assert bar.maximum() == 0, f"sideways scroll while streaming at {cut}"
    live.status = "complete"
    view.end_answer()
    for _ in range(3):
        QtWidgets.QApplication.processEvents()
    assert panel.width() == 360
    assert bar.maximum() == 0 and not bar.isVisible(), (bar.maximum(), bar.isVisible())
    assert view.code_block(0) == view.code_block(1) == f"{line}\nprint('done')\n"
