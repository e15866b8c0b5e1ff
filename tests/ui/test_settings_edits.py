"""The settings dialog judges what is on screen (Test, Refresh), says "not set up" rather
than "failed", keeps nothing when cancelled, asks before Esc drops edits, and has its own
switches for running code and saving history (read-only when the studio locks them)."""

from __future__ import annotations

import json
from typing import Any, List

import pytest

pytest.importorskip("Qt", reason="needs a Qt binding (PySide6 or PySide2)")

from Qt import QtCore, QtWidgets  # noqa: E402

from nuke_ai_panel import history, paths, secrets  # noqa: E402
from nuke_ai_panel.config import load_config  # noqa: E402
from tests.protocol_servers import ProtocolServer  # noqa: E402
from tests.ui.conftest_settings import (WAIT_MS, home, make_dialog, only_enabled,  # noqa: E402
                                        worker, write_user_config)
from tests.ui.panel_helpers import write_config  # noqa: E402
from tests.ui.test_settings_dialog import (child, click, result_of, show_page,  # noqa: E402
                                           type_into, wait_result)

pytestmark = pytest.mark.qt

__all__ = ["make_dialog", "worker"]

Qt = QtCore.Qt


@pytest.fixture
def key_writes(monkeypatch: Any) -> List[Any]:
    """Every attempt to store or delete a key in the keychain."""
    calls: List[Any] = []
    monkeypatch.setattr(secrets, "set_key", lambda *a: calls.append(("set",) + a))
    monkeypatch.setattr(secrets, "delete_key", lambda *a: calls.append(("delete",) + a))
    return calls


# -- what is on screen -----------------------------------------------------------------------


def test_test_uses_the_url_key_and_deadline_on_screen(qtbot: Any, make_dialog: Any,
                                                      key_writes: List[Any]) -> None:
    with ProtocolServer("openai", api_key="typed-key-1234") as typed, \
            ProtocolServer("openai") as saved:
        write_user_config({"openai-compatible": {"base_url": saved.base_url}})
        dialog = make_dialog()
        show_page(dialog, "openai-compatible")
        type_into(qtbot, dialog, "baseUrlEdit_openai-compatible", typed.base_url)
        type_into(qtbot, dialog, "apiKeyEdit_openai-compatible", "typed-key-1234")
        click(qtbot, dialog, "testButton_openai-compatible")
        assert wait_result(qtbot, dialog, "openai-compatible").property("state") == "ok"
        assert typed.count("/models") >= 1 and saved.count("/models") == 0
        assert typed.requests[-1].headers["Authorization"] == "Bearer typed-key-1234"

        typed.models_scenario = "stall-headers"
        child(dialog, QtWidgets.QDoubleSpinBox, "requestSpin_openai-compatible").setValue(0.3)
        click(qtbot, dialog, "testButton_openai-compatible")
        label = wait_result(qtbot, dialog, "openai-compatible")
        assert label.property("state") == "error" and "0.3 s" in label.text(), label.text()
        typed.models_scenario = None
    assert key_writes == [] and not (home() / "config.json").read_text().count("typed")


def test_refresh_lists_the_models_of_the_url_on_screen(qtbot: Any, make_dialog: Any) -> None:
    with ProtocolServer("ollama", models=["on-screen:7b"]) as typed, \
            ProtocolServer("ollama", models=["saved:1b"]) as saved:
        write_user_config({"ollama": {"base_url": saved.base_url}})
        dialog = make_dialog()
        type_into(qtbot, dialog, "baseUrlEdit_ollama", typed.base_url)
        click(qtbot, dialog, "modelRefreshButton_ollama", "ollama")
        combo = child(dialog, QtWidgets.QComboBox, "modelCombo_ollama")
        qtbot.waitUntil(lambda: combo.count() == 1, timeout=WAIT_MS)
        assert combo.itemText(0) == "on-screen:7b" and saved.count("/api/tags") == 0


def test_an_emptied_url_is_the_default_not_the_saved_one(qtbot: Any, make_dialog: Any) -> None:
    with ProtocolServer("openai") as saved:
        write_user_config({"openai-compatible": {"base_url": saved.base_url}})
        dialog = make_dialog()
        show_page(dialog, "openai-compatible")
        child(dialog, QtWidgets.QLineEdit, "baseUrlEdit_openai-compatible").clear()
        click(qtbot, dialog, "testButton_openai-compatible")
        label = result_of(dialog, "openai-compatible")
        assert label.property("state") == "unset"
        assert label.text().startswith("Not set up: No base URL is set")
        assert saved.count("/models") == 0


def test_unconfigured_providers_are_not_set_up_not_failed(qtbot: Any, make_dialog: Any) -> None:
    with ProtocolServer("ollama") as server:
        write_user_config(only_enabled("ollama", "openai", "anthropic", ollama=server.base_url))
        dialog = make_dialog()
        click(qtbot, dialog, "testAllButton")
        qtbot.waitUntil(lambda: dialog.testAllSummary.text().startswith("1 ok"),
                        timeout=WAIT_MS)
        assert dialog.testAllSummary.text() == "1 ok, 0 failed, 2 not set up"
        assert dialog.testAllSummary.property("state") == "ok"
        for pid, label in (("openai", "OpenAI"), ("anthropic", "Anthropic")):
            assert result_of(dialog, pid).property("state") == "unset"
            item = dialog.providerList.item([dialog.providerList.item(i).data(Qt.UserRole)
                                             for i in range(dialog.providerList.count())]
                                            .index(pid))
            assert item.text() == f"{label} (not set up)"


# -- cancel and Esc --------------------------------------------------------------------------


def edit_everything(qtbot: Any, dialog: Any) -> None:
    type_into(qtbot, dialog, "baseUrlEdit_ollama", "http://127.0.0.1:1")
    show_page(dialog, "openai")
    type_into(qtbot, dialog, "apiKeyEdit_openai", "sk-typed-but-not-saved-0000")
    child(dialog, QtWidgets.QCheckBox, "historyCheck").setChecked(False)
    child(dialog, QtWidgets.QCheckBox, "allowCodeCheck").setChecked(False)


def test_cancel_keeps_nothing_typed(qtbot: Any, make_dialog: Any,
                                    key_writes: List[Any]) -> None:
    dialog = make_dialog()
    edit_everything(qtbot, dialog)
    assert dialog.has_edits()
    click(qtbot, dialog, "cancelButton")
    assert not dialog.isVisible()
    assert dialog.findChild(QtWidgets.QMessageBox, "discardQuestion") is None, "Cancel asks not"
    assert not (home() / "config.json").exists() and key_writes == []
    again = make_dialog()
    assert child(again, QtWidgets.QLineEdit, "apiKeyEdit_openai").text() == ""
    assert child(again, QtWidgets.QCheckBox, "historyCheck").isChecked()
    assert not again.has_edits()


def test_esc_asks_when_there_are_edits(qtbot: Any, make_dialog: Any,
                                       key_writes: List[Any]) -> None:
    dialog = make_dialog()
    edit_everything(qtbot, dialog)
    qtbot.keyClick(dialog, Qt.Key_Escape)
    question = dialog.findChild(QtWidgets.QMessageBox, "discardQuestion")
    assert question is not None and question.isVisible() and dialog.isVisible()
    qtbot.mouseClick(question.button(QtWidgets.QMessageBox.Cancel), Qt.LeftButton)
    assert dialog.isVisible() and dialog.has_edits(), "Keep editing keeps everything"
    assert child(dialog, QtWidgets.QLineEdit, "apiKeyEdit_openai").text()
    dialog.reject()
    question = dialog.findChild(QtWidgets.QMessageBox, "discardQuestion")
    qtbot.waitUntil(question.isVisible, timeout=WAIT_MS)
    qtbot.mouseClick(question.button(QtWidgets.QMessageBox.Discard), Qt.LeftButton)
    assert not dialog.isVisible()
    assert dialog.result() == QtWidgets.QDialog.DialogCode.Rejected
    assert not (home() / "config.json").exists() and key_writes == []


def test_esc_without_edits_closes_at_once(qtbot: Any, make_dialog: Any) -> None:
    dialog = make_dialog()
    qtbot.keyClick(dialog, Qt.Key_Escape)
    assert not dialog.isVisible()
    assert dialog.findChild(QtWidgets.QMessageBox, "discardQuestion") is None


# -- code execution and history switches -----------------------------------------------------


def test_the_switches_are_saved(qtbot: Any, make_dialog: Any) -> None:
    dialog = make_dialog()
    assert child(dialog, QtWidgets.QCheckBox, "allowCodeCheck").isChecked()
    child(dialog, QtWidgets.QCheckBox, "allowCodeCheck").setChecked(False)
    child(dialog, QtWidgets.QCheckBox, "historyCheck").setChecked(False)
    click(qtbot, dialog, "saveButton")
    saved = json.loads((home() / "config.json").read_text(encoding="utf-8"))
    assert saved["allow_code_execution"] is False and saved["history_enabled"] is False
    assert not load_config().allow_code_execution and not load_config().history_enabled


def test_locked_switches_are_read_only_with_the_reason(monkeypatch: Any, tmp_path: Any,
                                                       make_dialog: Any, qtbot: Any) -> None:
    studio = tmp_path / "studio.json"
    studio.write_text(json.dumps({
        "defaults": {"allow_code_execution": False},
        "locked": ["allow_code_execution"],
        "lock_note": "Code from models is off on the farm (ask #pipeline).",
    }), encoding="utf-8")
    monkeypatch.setenv("NUKE_AI_PANEL_STUDIO_CONFIG", str(studio))
    dialog = make_dialog()
    check = child(dialog, QtWidgets.QCheckBox, "allowCodeCheck")
    assert not check.isChecked() and not check.isEnabled()
    lock = child(dialog, QtWidgets.QLabel, "lockLabel_allow_code_execution")
    assert lock.isVisible()
    assert lock.text() == ("Set by your studio: Code from models is off on the farm "
                           "(ask #pipeline).")
    assert child(dialog, QtWidgets.QCheckBox, "historyCheck").isEnabled()
    assert not child(dialog, QtWidgets.QLabel, "lockLabel_history_enabled").isVisible()
    click(qtbot, dialog, "saveButton")
    assert not load_config().allow_code_execution


def test_history_off_writes_nothing_and_the_panel_says_so(make_panel: Any, qtbot: Any,
                                                          ollama_server: Any) -> None:
    path = write_config("ollama", ollama_server.base_url)
    data = json.loads(path.read_text(encoding="utf-8"))
    data["history_enabled"] = False
    path.write_text(json.dumps(data), encoding="utf-8")
    before = sorted(p.relative_to(home()) for p in home().rglob("*") if p.is_file())
    panel = make_panel()
    assert panel.history_combo.itemText(0) == "History is off: this chat is not saved"
    assert "nothing of this chat is written to disk" in panel.history_combo.toolTip()
    panel.set_model("echo")
    panel.prompt.setPlainText("private")
    assert panel.send()
    qtbot.waitUntil(lambda: not panel.streaming, timeout=WAIT_MS)
    assert history.list_conversations() == ([], [])
    assert not paths.history_dir().exists() or not any(paths.history_dir().iterdir())
    after = sorted(p.relative_to(home()) for p in home().rglob("*")
                   if p.is_file() and "logs" not in p.parts)
    assert after == [p for p in before if "logs" not in p.parts]


def test_the_close_box_asks_like_esc(qtbot: Any, make_dialog: Any) -> None:
    dialog = make_dialog()
    type_into(qtbot, dialog, "baseUrlEdit_ollama", "http://127.0.0.1:2")
    assert not dialog.close(), "closing with edits waits for the answer"
    assert dialog.isVisible()
    question = dialog.findChild(QtWidgets.QMessageBox, "discardQuestion")
    qtbot.mouseClick(question.button(QtWidgets.QMessageBox.Discard), Qt.LeftButton)
    assert not dialog.isVisible() and not (home() / "config.json").exists()
