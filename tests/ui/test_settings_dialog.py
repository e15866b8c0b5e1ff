"""The settings dialog with real widgets, real protocol servers and a real keychain.

Every wait is a qtbot wait with a deadline; nothing sleeps. The Qt event loop runs the whole
time a test is in flight, which the slow-server test proves with a QTimer that keeps counting.
"""

from __future__ import annotations

import json
from typing import Any, List

import pytest

pytest.importorskip("Qt", reason="needs a Qt binding (PySide6 or PySide2)")

from Qt import QtCore, QtWidgets  # noqa: E402

from nuke_ai_panel import secrets  # noqa: E402
from nuke_ai_panel.config import load_config  # noqa: E402
from nuke_ai_panel.provider_info import PROVIDER_IDS, PROVIDERS  # noqa: E402
from tests.protocol_servers import ProtocolServer  # noqa: E402
from tests.protocol_servers.encoders.ollama import OllamaEncoder  # noqa: E402
from tests.ui.conftest_settings import (WAIT_MS, closed_port_url, files_under, home,  # noqa: E402
                                        make_dialog, only_enabled, worker, write_user_config)

pytestmark = pytest.mark.qt

__all__ = ["make_dialog", "worker"]

Qt = QtCore.Qt
CONTRACT_NAMES = ("enabledCheck", "baseUrlEdit", "apiKeyEdit", "modelCombo", "testButton",
                  "testResult")


def child(dialog: Any, cls: Any, name: str) -> Any:
    widget = dialog.findChild(cls, name)
    assert widget is not None, f"no {cls.__name__} named {name}"
    return widget


def show_page(dialog: Any, pid: str) -> None:
    dialog.providerList.setCurrentRow(PROVIDER_IDS.index(pid))


def click(qtbot: Any, dialog: Any, name: str, pid: str = "") -> None:
    if pid:
        show_page(dialog, pid)
    button = child(dialog, QtWidgets.QPushButton, name)
    assert button.isVisible() and button.isEnabled(), f"{name} cannot be clicked"
    qtbot.mouseClick(button, Qt.MouseButton.LeftButton)


def type_into(qtbot: Any, dialog: Any, name: str, text: str) -> None:
    edit = child(dialog, QtWidgets.QLineEdit, name)
    edit.clear()
    qtbot.keyClicks(edit, text)


def result_of(dialog: Any, pid: str) -> Any:
    return child(dialog, QtWidgets.QLabel, f"testResult_{pid}")


def wait_result(qtbot: Any, dialog: Any, pid: str, timeout: int = WAIT_MS) -> Any:
    label = result_of(dialog, pid)
    qtbot.waitUntil(lambda: label.property("state") in ("ok", "error", "unset"), timeout=timeout)
    return label


def all_texts(dialog: Any) -> List[str]:
    texts = [w.text() for w in dialog.findChildren(QtWidgets.QLabel)]
    texts += [w.toolTip() for w in dialog.findChildren(QtWidgets.QWidget)]
    return texts


# ----- layout and contract -----------------------------------------------------------------------


def test_object_names_for_every_provider(make_dialog: Any) -> None:
    dialog = make_dialog()
    assert child(dialog, QtWidgets.QPushButton, "testAllButton")
    classes = {"enabledCheck": QtWidgets.QCheckBox, "baseUrlEdit": QtWidgets.QLineEdit,
               "apiKeyEdit": QtWidgets.QLineEdit, "modelCombo": QtWidgets.QComboBox,
               "testButton": QtWidgets.QPushButton, "testResult": QtWidgets.QLabel}
    for pid in PROVIDER_IDS:
        for name in CONTRACT_NAMES:
            child(dialog, classes[name], f"{name}_{pid}")
        key = child(dialog, QtWidgets.QLineEdit, f"apiKeyEdit_{pid}")
        assert key.echoMode() == QtWidgets.QLineEdit.EchoMode.Password
        assert child(dialog, QtWidgets.QComboBox, f"modelCombo_{pid}").isEditable()
        item = dialog.providerList.item(PROVIDER_IDS.index(pid))
        assert item.text().startswith(PROVIDERS[pid].label)
    child(dialog, QtWidgets.QLineEdit, "apiKeyEnvEdit_openai-compatible")
    assert child(dialog, QtWidgets.QComboBox, "modelCombo_ollama").currentText() == "llama3.2"


def test_builds_with_only_a_parent_and_no_network(qtbot: Any, worker: Any) -> None:
    from src.ui.settings_dialog import SettingsDialog

    parent = QtWidgets.QWidget()
    qtbot.addWidget(parent)
    dialog = SettingsDialog(parent)
    assert dialog.parent() is parent
    assert dialog._jobs == {}, "opening the dialog starts no network call"
    dialog.reject()


def test_config_warnings_show_at_the_top(make_dialog: Any) -> None:
    path = home() / "config.json"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("{ this is not json", encoding="utf-8")
    dialog = make_dialog()
    assert dialog.warningsLabel.isVisible()
    assert "config.json" in dialog.warningsLabel.text()


# ----- tests against live servers ----------------------------------------------------------------


def test_ollama_test_reports_latency_models_and_version(qtbot: Any, make_dialog: Any) -> None:
    with ProtocolServer("ollama") as server:
        dialog = make_dialog()
        type_into(qtbot, dialog, "baseUrlEdit_ollama", server.base_url)
        click(qtbot, dialog, "testButton_ollama", "ollama")
        label = wait_result(qtbot, dialog, "ollama")
        assert label.property("state") == "ok", label.text()
        assert label.text().startswith("ok: ")
        assert " ms, 3 models, server " + OllamaEncoder.version in label.text()
        combo = child(dialog, QtWidgets.QComboBox, "modelCombo_ollama")
        qtbot.waitUntil(lambda: combo.count() == 3, timeout=WAIT_MS)
        assert combo.currentText() == "llama3.2", "the configured default must be kept"
        assert server.count("/api/tags") >= 1 and server.count("/api/version") == 1
    assert load_config().provider("ollama").base_url != server.base_url, "a test saves nothing"


def test_model_list_fills_on_refresh_and_on_first_drop_down(qtbot: Any,
                                                             make_dialog: Any) -> None:
    with ProtocolServer("openai", api_key="model-list-key") as server:
        dialog = make_dialog()
        type_into(qtbot, dialog, "baseUrlEdit_openai", server.base_url)
        type_into(qtbot, dialog, "apiKeyEdit_openai", "model-list-key")
        combo = child(dialog, QtWidgets.QComboBox, "modelCombo_openai")
        combo.setEditText("my-custom-model")
        show_page(dialog, "openai")
        combo.showPopup()
        qtbot.waitUntil(lambda: combo.count() > 0, timeout=WAIT_MS)
        combo.hidePopup()
        assert combo.currentText() == "my-custom-model"
        note = child(dialog, QtWidgets.QLabel, "modelNote_openai")
        assert "'my-custom-model' is not among them" in note.text()
        assert server.count("/models") == 1
        combo.showPopup()
        combo.hidePopup()
        assert server.count("/models") == 1, "only the first drop-down fetches"
        click(qtbot, dialog, "modelRefreshButton_openai")
        qtbot.waitUntil(lambda: server.count("/models") == 2, timeout=WAIT_MS)
        qtbot.waitUntil(lambda: not dialog.running("openai", "models"), timeout=WAIT_MS)
        assert combo.findText("gpt-4o-mini") >= 0 and combo.currentText() == "my-custom-model"


def test_connection_refused_is_connect_with_the_ollama_hint(qtbot: Any,
                                                             make_dialog: Any) -> None:
    dialog = make_dialog()
    type_into(qtbot, dialog, "baseUrlEdit_ollama", closed_port_url())
    click(qtbot, dialog, "testButton_ollama", "ollama")
    label = wait_result(qtbot, dialog, "ollama")
    assert label.property("state") == "error"
    assert label.text().startswith("Cannot connect to 127.0.0.1:")
    assert "ollama serve" in label.text()
    assert "color" in label.styleSheet()


def test_wrong_key_is_auth_and_the_key_is_not_shown(qtbot: Any, make_dialog: Any,
                                                    canary: Any) -> None:
    with ProtocolServer("openai", api_key="the-right-key-0000") as server:
        dialog = make_dialog()
        type_into(qtbot, dialog, "baseUrlEdit_openai", server.base_url)
        type_into(qtbot, dialog, "apiKeyEdit_openai", canary.key)
        click(qtbot, dialog, "testButton_openai", "openai")
        label = wait_result(qtbot, dialog, "openai")
        assert label.text().startswith("HTTP 401: "), label.text()
        assert "Check the API key above" in label.text()
        offered = server.requests[-1].headers["Authorization"]
        assert offered == f"Bearer {canary.key}", "the typed, unsaved key is the one used"
    assert secrets.get_key("openai") == (None, "none"), "testing never stores the key"
    canary.assert_not_leaked(*all_texts(dialog))


def test_slow_test_keeps_the_event_loop_running(qtbot: Any, make_dialog: Any) -> None:
    ticks = []
    timer = QtCore.QTimer()
    timer.setInterval(10)
    timer.timeout.connect(lambda: ticks.append(1))
    with ProtocolServer("ollama") as server:
        server.models_scenario = "slow-load"
        dialog = make_dialog()
        type_into(qtbot, dialog, "baseUrlEdit_ollama", server.base_url)
        label = result_of(dialog, "ollama")
        timer.start()
        click(qtbot, dialog, "testButton_ollama", "ollama")
        assert label.property("state") == "running"
        qtbot.waitUntil(lambda: server.count("/api/tags") == 1, timeout=WAIT_MS)
        start = len(ticks)
        qtbot.waitUntil(lambda: len(ticks) >= start + 20, timeout=WAIT_MS)
        assert label.property("state") == "running", "the timer advanced while the test waited"
        assert dialog.running("ollama")
        wait_result(qtbot, dialog, "ollama")
        timer.stop()
        assert label.property("state") == "ok", label.text()


def test_test_all_runs_concurrently_and_close_cancels(qtbot: Any, make_dialog: Any) -> None:
    with ProtocolServer("ollama") as ollama, ProtocolServer("openai") as openai:
        for server in (ollama, openai):
            server.models_scenario = "stall-headers"
        write_user_config(only_enabled("ollama", "openai-compatible", ollama=ollama.base_url,
                                       openai_compatible=openai.base_url))
        dialog = make_dialog()
        click(qtbot, dialog, "testAllButton")
        qtbot.waitUntil(lambda: ollama.count("/api/tags") == 1
                        and openai.count("/models") == 1, timeout=WAIT_MS)
        assert dialog.running("ollama") and dialog.running("openai-compatible")
        assert [dialog.running(pid) for pid in PROVIDER_IDS].count(True) == 2
        handles = list(dialog._jobs.values())
        dialog.close()
        assert not dialog.isVisible()
        assert ollama.wait_for_disconnect(5) and openai.wait_for_disconnect(5)
        qtbot.waitUntil(lambda: all(h.done() for h in handles), timeout=WAIT_MS)
        assert all(h.cancelled() for h in handles)


def test_test_all_reports_each_result_inline(qtbot: Any, make_dialog: Any) -> None:
    with ProtocolServer("ollama") as server:
        write_user_config(only_enabled("ollama", "openai-compatible", ollama=server.base_url,
                                       openai_compatible=closed_port_url() + "/v1"))
        dialog = make_dialog()
        click(qtbot, dialog, "testAllButton")
        qtbot.waitUntil(lambda: dialog.testAllSummary.text() == "1 ok, 1 failed",
                        timeout=WAIT_MS)
        assert result_of(dialog, "ollama").property("state") == "ok"
        failed = result_of(dialog, "openai-compatible")
        assert failed.property("state") == "error"
        assert failed.text().startswith("Cannot connect to 127.0.0.1:")
        assert result_of(dialog, "openai").text() == "", "disabled providers are not tested"


def test_cancel_button_cancels_a_single_test(qtbot: Any, make_dialog: Any) -> None:
    with ProtocolServer("ollama") as server:
        server.models_scenario = "stall-headers"
        dialog = make_dialog()
        type_into(qtbot, dialog, "baseUrlEdit_ollama", server.base_url)
        click(qtbot, dialog, "testButton_ollama", "ollama")
        qtbot.waitUntil(lambda: server.count("/api/tags") == 1, timeout=WAIT_MS)
        handle = dialog._jobs[("ollama", "test")]
        click(qtbot, dialog, "cancelButton")
        assert dialog.result() == QtWidgets.QDialog.DialogCode.Rejected
        assert server.wait_for_disconnect(5)
        qtbot.waitUntil(handle.done, timeout=WAIT_MS)
        assert handle.cancelled()


def test_stop_button_stops_a_running_test(qtbot: Any, make_dialog: Any) -> None:
    with ProtocolServer("ollama") as server:
        server.models_scenario = "stall-headers"
        dialog = make_dialog()
        type_into(qtbot, dialog, "baseUrlEdit_ollama", server.base_url)
        click(qtbot, dialog, "testButton_ollama", "ollama")
        qtbot.waitUntil(lambda: server.count("/api/tags") == 1, timeout=WAIT_MS)
        assert child(dialog, QtWidgets.QPushButton, "testButton_ollama").text() == "Stop"
        click(qtbot, dialog, "testButton_ollama")
        assert server.wait_for_disconnect(5)
        assert result_of(dialog, "ollama").text() == "Stopped."
        assert not dialog.running("ollama")


def test_missing_key_is_a_config_error_without_network(qtbot: Any, make_dialog: Any) -> None:
    dialog = make_dialog()
    click(qtbot, dialog, "testButton_anthropic", "anthropic")
    label = result_of(dialog, "anthropic")
    assert label.property("state") == "unset", "a missing key is not set up, not a failure"
    assert label.text().startswith("Not set up: No API key for Anthropic")
    assert "ANTHROPIC_API_KEY" in label.text() and "Add the key above" in label.text()
    item = dialog.providerList.item(PROVIDER_IDS.index("anthropic"))
    assert item.text() == "Anthropic (not set up)"


# ----- saving ------------------------------------------------------------------------------------


def test_save_writes_only_the_edited_values(qtbot: Any, make_dialog: Any) -> None:
    dialog = make_dialog()
    show_page(dialog, "mistral")
    type_into(qtbot, dialog, "baseUrlEdit_mistral", "https://gateway.example.com/v1")
    combo = child(dialog, QtWidgets.QComboBox, "modelCombo_mistral")
    combo.setEditText("mistral-large-latest")
    child(dialog, QtWidgets.QDoubleSpinBox, "idleSpin_mistral").setValue(90.0)
    child(dialog, QtWidgets.QCheckBox, "enabledCheck_gemini").setChecked(False)
    click(qtbot, dialog, "saveButton")
    assert dialog.result() == QtWidgets.QDialog.DialogCode.Accepted
    saved = json.loads((home() / "config.json").read_text(encoding="utf-8"))
    assert saved["providers"] == {
        "mistral": {"base_url": "https://gateway.example.com/v1",
                    "model": "mistral-large-latest", "idle_timeout": 90.0},
        "gemini": {"enabled": False},
    }
    mistral = load_config().provider("mistral")
    assert (mistral.base_url, mistral.model, mistral.idle_timeout) == (
        "https://gateway.example.com/v1", "mistral-large-latest", 90.0)


def test_invalid_value_is_shown_and_nothing_saved(qtbot: Any, make_dialog: Any) -> None:
    dialog = make_dialog()
    type_into(qtbot, dialog, "baseUrlEdit_ollama", "not a url")
    click(qtbot, dialog, "saveButton")
    assert dialog.isVisible()
    assert dialog.saveStatusLabel.isVisible()
    assert "Nothing was saved" in dialog.saveStatusLabel.text()
    assert "Ollama: Base URL is not a usable URL" in dialog.saveStatusLabel.text()
    assert not (home() / "config.json").exists()


# ----- keys --------------------------------------------------------------------------------------


def test_env_key_is_named_as_the_source(monkeypatch: Any, make_dialog: Any) -> None:
    monkeypatch.setenv("OPENAI_API_KEY", "env-key-for-the-label")
    dialog = make_dialog()
    label = child(dialog, QtWidgets.QLabel, "keySourceLabel_openai")
    assert label.text() == "Key in use: from $OPENAI_API_KEY."
    assert "no key" in child(dialog, QtWidgets.QLabel, "keySourceLabel_anthropic").text().lower()


def test_no_keychain_says_so_and_writes_nothing(qtbot: Any, make_dialog: Any,
                                                canary: Any) -> None:
    assert secrets.keychain_status()[0] is False
    dialog = make_dialog()
    show_page(dialog, "openai")
    assert "No keychain" in dialog.keychainLabel.text()
    assert "never written to disk" in dialog.keychainLabel.text()
    saying = [w for w in dialog.findChildren(QtWidgets.QLabel) if "keychain" in w.text().lower()]
    assert saying == [dialog.keychainLabel], "the keychain state is said once per dialog"
    assert child(dialog, QtWidgets.QLabel, "keySourceLabel_openai").text() == \
        "No key: set $OPENAI_API_KEY."
    type_into(qtbot, dialog, "apiKeyEdit_openai", canary.key)
    click(qtbot, dialog, "saveButton")
    assert dialog.isVisible(), "a key that could not be stored keeps the dialog open"
    assert "OPENAI_API_KEY" in dialog.saveStatusLabel.text()
    source = child(dialog, QtWidgets.QLabel, "keySourceLabel_openai")
    assert source.property("state") == "error" and "Set OPENAI_API_KEY" in source.text()
    assert secrets.get_key("openai") == (None, "none")
    assert [p.name for p in files_under(home()) if p.suffix == ".json"] == ["config.json"]
    canary.assert_not_leaked(*all_texts(dialog))


@pytest.mark.keychain
def test_key_saved_to_and_read_from_the_real_keychain(qtbot: Any, make_dialog: Any,
                                                      secret_service: Any, canary: Any) -> None:
    assert secrets.keychain_status()[0] is True
    with ProtocolServer("openai", api_key=canary.key) as server:
        write_user_config({"openai": {"base_url": server.base_url}})
        dialog = make_dialog()
        assert "no key" in child(dialog, QtWidgets.QLabel, "keySourceLabel_openai").text().lower()
        type_into(qtbot, dialog, "apiKeyEdit_openai", canary.key)
        click(qtbot, dialog, "saveButton")
        assert dialog.result() == QtWidgets.QDialog.DialogCode.Accepted, \
            dialog.saveStatusLabel.text()
        assert secrets.get_key("openai") == (canary.key, "keychain")

        again = make_dialog()
        show_page(again, "openai")
        assert child(again, QtWidgets.QLineEdit, "apiKeyEdit_openai").text() == ""
        assert child(again, QtWidgets.QLabel, "keySourceLabel_openai").text() == \
            "Key in use: from the keychain."
        click(qtbot, again, "testButton_openai")
        label = wait_result(qtbot, again, "openai")
        assert label.property("state") == "ok", label.text()
        canary.assert_not_leaked(*all_texts(dialog), *all_texts(again))

        click(qtbot, again, "removeKeyButton_openai")
        assert "will be removed" in child(again, QtWidgets.QLabel,
                                          "keySourceLabel_openai").text()
        click(qtbot, again, "saveButton")
        assert again.result() == QtWidgets.QDialog.DialogCode.Accepted
    assert secrets.get_key("openai") == (None, "none")


def test_base_url_from_the_environment_is_shown_read_only(monkeypatch: Any,
                                                         make_dialog: Any) -> None:
    monkeypatch.setenv("OLLAMA_HOST", "render-node:11434")
    dialog = make_dialog()
    url = child(dialog, QtWidgets.QLineEdit, "baseUrlEdit_ollama")
    assert url.text() == "http://render-node:11434" and url.isReadOnly()
    assert "$OLLAMA_HOST" in child(dialog, QtWidgets.QLabel, "baseUrlNote_ollama").text()


# ----- studio locks ------------------------------------------------------------------------------


def test_studio_locked_settings_are_read_only(monkeypatch: Any, tmp_path: Any,
                                              make_dialog: Any, qtbot: Any) -> None:
    studio = tmp_path / "studio.json"
    studio.write_text(json.dumps({
        "defaults": {"providers": {"ollama": {"base_url": "http://ollama.studio:11434"}}},
        "locked": ["providers.ollama.base_url", "providers.openai"],
        "allowed_providers": ["ollama", "openai"],
        "lock_note": "Managed by Pipeline (ask #pipeline).",
    }), encoding="utf-8")
    monkeypatch.setenv("NUKE_AI_PANEL_STUDIO_CONFIG", str(studio))
    dialog = make_dialog()
    url = child(dialog, QtWidgets.QLineEdit, "baseUrlEdit_ollama")
    assert url.isReadOnly() and url.text() == "http://ollama.studio:11434"
    assert url.toolTip() == "Managed by Pipeline (ask #pipeline)."
    lock = child(dialog, QtWidgets.QLabel, "lockLabel_base_url_ollama")
    assert lock.isVisible() and lock.text() == "Set by your studio"
    assert not child(dialog, QtWidgets.QLabel, "lockLabel_model_ollama").isVisible()
    assert child(dialog, QtWidgets.QComboBox, "modelCombo_ollama").isEnabled()

    show_page(dialog, "openai")
    assert child(dialog, QtWidgets.QLineEdit, "baseUrlEdit_openai").isReadOnly()
    assert not child(dialog, QtWidgets.QCheckBox, "enabledCheck_openai").isEnabled()
    assert not child(dialog, QtWidgets.QComboBox, "modelCombo_openai").isEnabled()
    assert child(dialog, QtWidgets.QDoubleSpinBox, "connectSpin_openai").isReadOnly()
    assert child(dialog, QtWidgets.QLabel, "lockLabel_enabled_openai").isVisible()

    show_page(dialog, "anthropic")
    assert not child(dialog, QtWidgets.QPushButton, "testButton_anthropic").isEnabled()
    assert "Not allowed by your studio" in child(
        dialog, QtWidgets.QLabel, "notAllowedLabel_anthropic").text()

    show_page(dialog, "ollama")
    qtbot.keyClick(url, Qt.Key.Key_Backspace)
    qtbot.keyClicks(url, "http://elsewhere:1")
    assert url.text() == "http://ollama.studio:11434", "typing into a locked field does nothing"
    click(qtbot, dialog, "saveButton")
    assert dialog.result() == QtWidgets.QDialog.DialogCode.Accepted
    assert load_config().provider("ollama").base_url == "http://ollama.studio:11434"


def test_save_keeps_what_another_writer_saved_meanwhile(make_dialog: Any, qtbot: Any) -> None:
    """The chat panel (or a second Nuke) may save while the dialog is open: Save merges."""
    from nuke_ai_panel.config import save_config

    dialog = make_dialog()
    other = load_config()
    other.set("providers.openai.model", "gpt-from-the-panel")
    save_config(other)
    child(dialog, QtWidgets.QLineEdit, "baseUrlEdit_ollama").setText("http://127.0.0.1:11999")
    assert dialog.save()
    saved = load_config()
    assert saved.provider("openai").model == "gpt-from-the-panel"
    assert saved.provider("ollama").base_url == "http://127.0.0.1:11999"
