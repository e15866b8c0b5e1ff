"""The chat panel with real widgets against the protocol test servers.

Every wait is a qtbot wait with a deadline; nothing sleeps a fixed time.
"""

from __future__ import annotations

import json
import re
import time
from pathlib import Path
from typing import Any, Dict, List

import pytest

pytest.importorskip("Qt", reason="needs a Qt binding (PySide6 or PySide2)")

from Qt import QtCore, QtWidgets  # noqa: E402

from nuke_ai_panel import history, paths  # noqa: E402
from nuke_ai_panel.config import DEFAULT_PROMPT_NAME, DEFAULT_PROMPT_TEXT, load_config  # noqa: E402
from nuke_ai_panel.provider_info import PROVIDER_IDS  # noqa: E402
from nuke_ai_panel.providers import make_provider  # noqa: E402
from src.ui.chat_panel import ChatPanel  # noqa: E402
from src.ui.plain_words import KIND_WORDS  # noqa: E402
from tests.protocol_servers import ProtocolServer, build_scenario  # noqa: E402
from tests.ui.panel_helpers import (WAIT_MS, closed_port_url, user_home,  # noqa: E402
                                    write_config)

pytestmark = pytest.mark.qt

Qt = QtCore.Qt
CONTRACT_NAMES = ("providerCombo", "modelCombo", "transcriptView", "promptEdit", "sendButton",
                  "stopButton", "newChatButton", "settingsButton", "statusLabel")


def send(panel: ChatPanel, model: str, prompt: str = "hello") -> None:
    panel.set_model(model)
    panel.prompt.setPlainText(prompt)
    assert panel.send()
    assert panel.streaming


def wait_end(panel: ChatPanel, qtbot: Any) -> None:
    qtbot.waitUntil(lambda: not panel.streaming, timeout=WAIT_MS)


def answer(panel: ChatPanel) -> Any:
    return panel.conversation.messages[-1]


def expected_text(model: str, prompt: str = "hello") -> str:
    return build_scenario("ollama", model, prompt).text


def chat_requests(server: ProtocolServer) -> List[Any]:
    return [r for r in server.requests if r.path.endswith("/api/chat")]


def visible(panel: ChatPanel) -> str:
    return panel.transcript.toPlainText().replace("\u200b", "")


# -- basics ---------------------------------------------------------------------------------------


def test_contract_object_names(ollama_panel: ChatPanel) -> None:
    for name in CONTRACT_NAMES:
        assert ollama_panel.findChild(QtWidgets.QWidget, name) is not None, name
    for name in ("errorBanner", "retryButton", "openSettingsButton", "historyCombo",
                 "exportButton", "presetCombo", "refreshModelsButton", "noticeBar"):
        assert ollama_panel.findChild(QtWidgets.QWidget, name) is not None, name


def test_constructible_with_no_arguments(qtbot: Any) -> None:
    write_config("ollama", closed_port_url())
    panel = ChatPanel()
    qtbot.addWidget(panel)
    assert panel.current_provider() == "ollama"
    panel.shutdown()
    qtbot.waitUntil(lambda: not panel.picker.jobs, timeout=WAIT_MS)


def test_models_are_listed_in_the_background(ollama_panel: ChatPanel) -> None:
    combo = ollama_panel.model_combo
    assert [combo.itemText(i) for i in range(combo.count())] == ["llama3.2", "echo", "slow-30"]
    assert ollama_panel.current_model() == "llama3.2"
    assert ollama_panel.status_label.text() == "Ollama: 3 models"


def test_models_are_cached_per_provider_and_refreshable(make_panel: Any, qtbot: Any,
                                                        ollama_server: ProtocolServer,
                                                        openai_server: ProtocolServer) -> None:
    providers: Dict[str, Dict[str, Any]] = {pid: {"enabled": False} for pid in PROVIDER_IDS}
    providers["ollama"] = {"enabled": True, "base_url": ollama_server.base_url}
    providers["openai-compatible"] = {"enabled": True, "base_url": openai_server.base_url}
    path = user_home() / "config.json"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps({"providers": providers}), encoding="utf-8")
    tags_before = ollama_server.count("/api/tags")
    panel = make_panel()
    qtbot.waitUntil(lambda: "ollama" in panel.picker.models, timeout=WAIT_MS)
    assert ollama_server.count("/api/tags") == tags_before + 1
    panel.set_provider("openai-compatible")
    qtbot.waitUntil(lambda: "openai-compatible" in panel.picker.models, timeout=WAIT_MS)
    assert panel.model_combo.count() > 0
    panel.set_provider("ollama")
    assert panel.model_combo.count() == 3
    assert ollama_server.count("/api/tags") == tags_before + 1
    qtbot.mouseClick(panel.refresh_models_button, Qt.LeftButton)
    qtbot.waitUntil(lambda: ollama_server.count("/api/tags") == tags_before + 2,
                    timeout=WAIT_MS)
    qtbot.waitUntil(lambda: not panel.picker.jobs, timeout=WAIT_MS)


# -- streaming ------------------------------------------------------------------------------------


def test_text_appears_while_the_server_is_still_sending(ollama_panel: ChatPanel,
                                                        qtbot: Any) -> None:
    send(ollama_panel, "slow-30")
    qtbot.waitUntil(lambda: "w2" in visible(ollama_panel), timeout=WAIT_MS)
    assert ollama_panel.streaming
    assert "w29" not in visible(ollama_panel)
    assert not ollama_panel.send_button.isEnabled() and ollama_panel.stop_button.isEnabled()
    qtbot.waitUntil(lambda: ollama_panel.status_label.text().startswith("streaming at "),
                    timeout=WAIT_MS)
    wait_end(ollama_panel, qtbot)
    assert answer(ollama_panel).text == expected_text("slow-30")
    assert answer(ollama_panel).status == "complete"
    assert re.fullmatch(r"done: first token [\d.]+ m?s, 30 tokens, [\d.]+ m?s",
                        ollama_panel.status_label.text())
    assert ollama_panel.send_button.isEnabled() and not ollama_panel.stop_button.isEnabled()


def test_firehose_stays_exact_with_bounded_repaints(ollama_panel: ChatPanel, qtbot: Any,
                                                    ollama_server: ProtocolServer) -> None:
    ticks: List[float] = []
    timer = QtCore.QTimer()
    timer.setInterval(5)
    timer.timeout.connect(lambda: ticks.append(time.monotonic()))
    renders_before = ollama_panel.transcript.render_count
    timer.start()
    started = time.monotonic()
    send(ollama_panel, "tokens-8000", "firehose")
    wait_end(ollama_panel, qtbot)
    duration = time.monotonic() - started
    timer.stop()
    expected = expected_text("tokens-8000", "firehose")
    assert answer(ollama_panel).text == expected
    assert answer(ollama_panel).status == "complete"
    assert visible(ollama_panel).rstrip().endswith("t7998 t7999")
    renders = ollama_panel.transcript.render_count - renders_before
    assert 1 <= renders <= 8000 / 20
    assert renders <= 70 * duration + 10
    assert len(ticks) >= 3, "the event loop kept running during the stream"
    gaps = [b - a for a, b in zip([started] + ticks, ticks + [time.monotonic()])]
    assert max(gaps) < 0.5
    saved, _ = history.load(ollama_panel.conversation.id)
    assert saved is not None and saved.messages[-1].text == expected


def test_reasoning_is_kept_apart(ollama_panel: ChatPanel, qtbot: Any) -> None:
    send(ollama_panel, "reasoning", "why")
    wait_end(ollama_panel, qtbot)
    assert answer(ollama_panel).text == "Echo: why"
    assert answer(ollama_panel).reasoning == "Thinking about: why"
    assert "Reasoning (3 words, hidden)" in visible(ollama_panel)


def test_code_blocks_can_be_copied(ollama_panel: ChatPanel, qtbot: Any) -> None:
    send(ollama_panel, "code", "blur")
    wait_end(ollama_panel, qtbot)
    view = ollama_panel.transcript
    view.anchorClicked.emit(QtCore.QUrl("copy:0"))
    assert QtWidgets.QApplication.clipboard().text() == (
        'import nuke\nnode = nuke.createNode("Blur")\nnode["size"].setValue(4)\n')
    assert ollama_panel.status_label.text() == "copied code block 1 to the clipboard"


def test_waiting_status_counts_seconds(ollama_panel: ChatPanel, qtbot: Any) -> None:
    send(ollama_panel, "slow-load")
    qtbot.waitUntil(lambda: re.fullmatch(r"waiting for slow-load\.\.\. [1-9]\d* s",
                                         ollama_panel.status_label.text()) is not None,
                    timeout=WAIT_MS)
    ollama_panel.stop()
    wait_end(ollama_panel, qtbot)


def test_retrying_status(make_panel: Any, qtbot: Any, ollama_server: ProtocolServer,
                         monkeypatch: pytest.MonkeyPatch) -> None:
    write_config("ollama", ollama_server.base_url, max_retries=2)
    panel = make_panel()
    statuses: List[str] = []
    original = panel.set_status
    monkeypatch.setattr(panel, "set_status", lambda text: (statuses.append(text),
                                                           original(text)))
    send(panel, "flaky-1")
    wait_end(panel, qtbot)
    assert answer(panel).status == "complete"
    assert any(re.fullmatch(r"retrying in [\d.]+ m?s \(.*503.*\)", s) for s in statuses), statuses


# -- stopping -------------------------------------------------------------------------------------


def test_stop_cancels_and_the_server_sees_the_disconnect(ollama_panel: ChatPanel, qtbot: Any,
                                                         ollama_server: ProtocolServer) -> None:
    before = ollama_server.disconnects
    send(ollama_panel, "slow-200")
    qtbot.waitUntil(lambda: "w3" in visible(ollama_panel), timeout=WAIT_MS)
    qtbot.mouseClick(ollama_panel.stop_button, Qt.LeftButton)
    wait_end(ollama_panel, qtbot)
    assert ollama_server.wait_for_disconnect(timeout=5, count=before + 1)
    message = answer(ollama_panel)
    assert message.status == "stopped"
    assert message.text and expected_text("slow-200").startswith(message.text)
    assert ollama_panel.status_label.text().startswith("stopped after ")
    assert "Stopped before the answer finished" in visible(ollama_panel)
    assert not ollama_panel.errors.isVisible()
    saved, _ = history.load(ollama_panel.conversation.id)
    assert saved is not None and saved.messages[-1].status == "stopped"
    assert saved.messages[-1].text == message.text


def test_escape_stops(ollama_panel: ChatPanel, qtbot: Any,
                      ollama_server: ProtocolServer) -> None:
    before = ollama_server.disconnects
    send(ollama_panel, "slow-200")
    qtbot.waitUntil(lambda: "w1" in visible(ollama_panel), timeout=WAIT_MS)
    qtbot.keyClick(ollama_panel.prompt, Qt.Key_Escape)
    wait_end(ollama_panel, qtbot)
    assert answer(ollama_panel).status == "stopped"
    assert ollama_server.wait_for_disconnect(timeout=5, count=before + 1)


def test_escape_from_the_transcript_stops_too(ollama_panel: ChatPanel, qtbot: Any) -> None:
    send(ollama_panel, "slow-200")
    qtbot.waitUntil(lambda: "w1" in visible(ollama_panel), timeout=WAIT_MS)
    qtbot.keyClick(ollama_panel.transcript, Qt.Key_Escape)
    wait_end(ollama_panel, qtbot)
    assert answer(ollama_panel).status == "stopped"


def test_closing_the_panel_cancels_the_stream(ollama_panel: ChatPanel, qtbot: Any,
                                              ollama_server: ProtocolServer) -> None:
    before = ollama_server.disconnects
    send(ollama_panel, "slow-200")
    qtbot.waitUntil(lambda: "w1" in visible(ollama_panel), timeout=WAIT_MS)
    ollama_panel.close()
    assert ollama_server.wait_for_disconnect(timeout=5, count=before + 1)
    wait_end(ollama_panel, qtbot)


def test_stop_before_the_job_starts(ollama_panel: ChatPanel, qtbot: Any) -> None:
    send(ollama_panel, "slow-200")
    ollama_panel.stop()
    wait_end(ollama_panel, qtbot)
    assert answer(ollama_panel).status == "stopped"


def test_a_new_request_while_streaming_is_refused(ollama_panel: ChatPanel, qtbot: Any,
                                                  ollama_server: ProtocolServer) -> None:
    send(ollama_panel, "slow-200")
    qtbot.waitUntil(lambda: "w1" in visible(ollama_panel), timeout=WAIT_MS)
    requests = len(chat_requests(ollama_server))
    assert not ollama_panel.send_button.isEnabled()
    assert not ollama_panel.new_chat_button.isEnabled()
    ollama_panel.prompt.setPlainText("second question")
    qtbot.keyClick(ollama_panel.prompt, Qt.Key_Return)
    assert ollama_panel.status_label.text() == "still answering: press Stop (Esc) first"
    assert ollama_panel.prompt.toPlainText() == "second question"
    assert ollama_panel.new_chat() is False
    assert ollama_panel.streaming
    assert len(chat_requests(ollama_server)) == requests
    ollama_panel.stop()
    wait_end(ollama_panel, qtbot)


# -- keys -----------------------------------------------------------------------------------------


def test_enter_sends_and_shift_enter_adds_a_line(ollama_panel: ChatPanel, qtbot: Any) -> None:
    ollama_panel.set_model("echo")
    prompt = ollama_panel.prompt
    prompt.setFocus()
    qtbot.keyClicks(prompt, "line one")
    qtbot.keyClick(prompt, Qt.Key_Return, Qt.ShiftModifier)
    qtbot.keyClicks(prompt, "line two")
    assert prompt.toPlainText() == "line one\nline two"
    assert not ollama_panel.streaming
    qtbot.keyClick(prompt, Qt.Key_Return)
    assert prompt.toPlainText() == ""
    wait_end(ollama_panel, qtbot)
    assert [m.text for m in ollama_panel.conversation.messages] == [
        "line one\nline two", "Echo: line one\nline two"]


def test_empty_prompt_is_not_sent(ollama_panel: ChatPanel, qtbot: Any) -> None:
    qtbot.keyClicks(ollama_panel.prompt, "   ")
    qtbot.keyClick(ollama_panel.prompt, Qt.Key_Enter)
    assert not ollama_panel.streaming and ollama_panel.conversation.messages == []


# -- errors ---------------------------------------------------------------------------------------

ERROR_SCENARIOS = [
    ("auth", "http-401"),
    ("model_not_found", "http-404"),
    ("rate_limit", "http-429"),
    ("server", "http-500"),
    ("bad_request", "http-400"),
    ("idle_timeout", "stall-mid"),
    ("first_token_timeout", "silence-after-headers"),
    ("truncated", "drop-mid"),
    ("stream", "inband-error"),
    ("protocol", "html-200"),
]


@pytest.mark.parametrize("kind,model", ERROR_SCENARIOS)
def test_each_error_kind_shows_its_banner(make_panel: Any, qtbot: Any,
                                          ollama_server: ProtocolServer, kind: str,
                                          model: str) -> None:
    write_config("ollama", ollama_server.base_url, max_retries=0, idle_timeout=0.5,
                 first_token_timeout=1.0)
    panel = make_panel()
    send(panel, model)
    wait_end(panel, qtbot)
    banner = panel.errors
    assert banner.isVisible()
    assert banner.kind == kind
    assert banner.message
    settings = load_config().resolve("ollama", model=model)
    status = {"auth": 401, "model_not_found": 404, "rate_limit": 429, "server": 500,
              "bad_request": 400}.get(kind)
    message = answer(panel)
    kept = " The partial answer is kept." if message.text else ""
    assert banner.hint == make_provider(settings).hint(kind, model, status) + kept
    assert banner.retry_button.isVisible()
    assert message.status == f"cut off: {kind}"
    assert message.error == banner.message
    assert panel.status_label.text() == f"failed: {KIND_WORDS[kind]}"
    assert ("Answer cut off: " if message.text else "No answer: ") + banner.message \
        in " ".join(visible(panel).split())
    scenario = build_scenario("ollama", model, "hello")
    if scenario.error_message:
        assert " ".join(scenario.error_message.split()) in banner.message


def test_connect_error_banner(make_panel: Any, qtbot: Any) -> None:
    url = closed_port_url()
    write_config("ollama", url)
    panel = make_panel()
    banner = panel.errors
    qtbot.waitUntil(lambda: banner.isVisible(), timeout=WAIT_MS)
    assert banner.kind == "connect"
    assert "`ollama serve`" in banner.hint and "`ollama pull llama3.2`" in banner.hint
    assert "Settings" in banner.hint
    assert banner.settings_button.isVisible()
    send(panel, "llama3.2")
    wait_end(panel, qtbot)
    assert banner.kind == "connect" and banner.retry_button.isVisible()
    settings = load_config().resolve("ollama")
    assert banner.hint == make_provider(settings).hint("connect")
    assert answer(panel).status == "cut off: connect"


def test_missing_key_leads_to_settings(make_panel: Any, qtbot: Any,
                                       openai_server: ProtocolServer,
                                       monkeypatch: pytest.MonkeyPatch) -> None:
    write_config("openai")  # OpenAI's own API, which needs a key (a proxy's key is optional)
    panel = make_panel()
    banner = panel.errors
    assert banner.isVisible() and banner.kind == "config"
    assert banner.message == "No API key for OpenAI."
    assert banner.hint == "Add the key in Settings, or set OPENAI_API_KEY."
    assert banner.settings_button.isVisible() and not banner.retry_button.isVisible()
    panel.prompt.setPlainText("hi")
    assert panel.send() is False
    assert panel.prompt.toPlainText() == "hi" and not panel.streaming
    monkeypatch.setenv("OPENAI_API_KEY", "test-key-0123456789")
    write_config("openai", openai_server.base_url)
    panel.reload_config()
    qtbot.waitUntil(lambda: "openai" in panel.picker.models, timeout=WAIT_MS)
    assert not banner.isVisible()
    send(panel, "gpt-test", "hi")
    wait_end(panel, qtbot)
    assert answer(panel).text == "Echo: hi"


def test_retry_resends_the_last_user_turn(ollama_panel: ChatPanel, qtbot: Any,
                                          ollama_server: ProtocolServer) -> None:
    send(ollama_panel, "http-500", "what now")
    wait_end(ollama_panel, qtbot)
    assert ollama_panel.errors.kind == "server"
    ollama_panel.set_model("echo")
    qtbot.mouseClick(ollama_panel.errors.retry_button, Qt.LeftButton)
    wait_end(ollama_panel, qtbot)
    assert not ollama_panel.errors.isVisible()
    messages = ollama_panel.conversation.messages
    assert [(m.role, m.text, m.status) for m in messages] == [
        ("user", "what now", "complete"),
        ("assistant", "", "cut off: server"),
        ("assistant", "Echo: what now", "complete")]
    sent = chat_requests(ollama_server)[-1].json_body["messages"]
    assert sent == [{"role": "system", "content": DEFAULT_PROMPT_TEXT},
                    {"role": "user", "content": "what now"}]


# -- conversations --------------------------------------------------------------------------------


def test_history_survives_a_restart(make_panel: Any, ollama_panel: ChatPanel,
                                    qtbot: Any) -> None:
    send(ollama_panel, "echo", "remember me")
    wait_end(ollama_panel, qtbot)
    conv_id = ollama_panel.conversation.id
    again = make_panel()
    combo = again.history_combo
    assert combo.count() == 2 and combo.itemData(1) == conv_id
    assert combo.itemText(1).startswith("remember me")
    again.set_model("llama3.2")
    assert again.open_conversation(conv_id)
    assert again.transcript.raw_texts() == ["remember me", "Echo: remember me"]
    assert again.current_model() == "echo"
    send(again, "echo", "and more")
    wait_end(again, qtbot)
    saved, _ = history.load(conv_id)
    assert saved is not None
    assert [m.text for m in saved.messages] == ["remember me", "Echo: remember me",
                                                "and more", "Echo: and more"]


def test_corrupt_history_file_gives_a_notice(make_panel: Any, ollama_server: ProtocolServer,
                                             qtbot: Any) -> None:
    write_config("ollama", ollama_server.base_url)
    bad = paths.history_dir() / "20240101-000000-bad000.json"
    bad.write_text("{oops", encoding="utf-8")
    panel = make_panel()
    assert panel.notices.isVisible()
    assert any("20240101-000000-bad000.json" in line and "moved aside" in line
               for line in panel.notices.lines)
    assert panel.history_combo.count() == 1
    assert not bad.exists()
    qtbot.waitUntil(lambda: not panel.picker.jobs, timeout=WAIT_MS)


def test_corrupt_file_found_when_opening(ollama_panel: ChatPanel, qtbot: Any) -> None:
    send(ollama_panel, "echo", "soon broken")
    wait_end(ollama_panel, qtbot)
    conv_id = ollama_panel.conversation.id
    path = paths.history_dir() / f"{conv_id}.json"
    path.write_text(path.read_text(encoding="utf-8")[:120], encoding="utf-8")
    ollama_panel.new_chat()
    assert ollama_panel.open_conversation(conv_id) is False
    assert any("moved aside" in line for line in ollama_panel.notices.lines)
    assert ollama_panel.transcript.raw_texts() == []


def test_new_chat_and_delete(ollama_panel: ChatPanel, qtbot: Any) -> None:
    send(ollama_panel, "echo", "first chat")
    wait_end(ollama_panel, qtbot)
    first = ollama_panel.conversation.id
    qtbot.mouseClick(ollama_panel.new_chat_button, Qt.LeftButton)
    assert ollama_panel.transcript.raw_texts() == []
    assert ollama_panel.conversation.id != first
    assert ollama_panel.history_combo.count() == 2
    assert ollama_panel.open_conversation(first)
    assert ollama_panel.delete_conversation()
    assert ollama_panel.history_combo.count() == 1
    assert history.load(first) == (None, None)


def test_export_markdown(ollama_panel: ChatPanel, qtbot: Any, tmp_path: Path) -> None:
    send(ollama_panel, "echo", "export me")
    wait_end(ollama_panel, qtbot)
    send(ollama_panel, "slow-200", "and stop")
    qtbot.waitUntil(lambda: "w1" in visible(ollama_panel), timeout=WAIT_MS)
    ollama_panel.stop()
    wait_end(ollama_panel, qtbot)
    path = ollama_panel.export_markdown(tmp_path / "chat.md")
    text = path.read_text(encoding="utf-8")
    assert text.startswith("# export me\n")
    assert "## You\n\nexport me\n\n## Assistant (echo)\n\nEcho: export me" in text
    assert "*[Stopped before the answer finished]*" in text


def test_history_can_be_turned_off(make_panel: Any, ollama_server: ProtocolServer,
                                   qtbot: Any) -> None:
    path = write_config("ollama", ollama_server.base_url)
    data = json.loads(path.read_text(encoding="utf-8"))
    data["history_enabled"] = False
    path.write_text(json.dumps(data), encoding="utf-8")
    panel = make_panel()
    send(panel, "echo", "private")
    wait_end(panel, qtbot)
    assert history.list_conversations() == ([], [])


# -- commands, presets, settings ------------------------------------------------------------------


def test_unknown_command_notice(ollama_panel: ChatPanel, ollama_server: ProtocolServer) -> None:
    requests = len(chat_requests(ollama_server))
    ollama_panel.prompt.setPlainText("/explain nodes")
    assert not ollama_panel.send()
    assert "Unknown command /explain" in visible(ollama_panel)
    assert ollama_panel.prompt.toPlainText() == "/explain nodes"
    assert ollama_panel.transcript.raw_texts() == []
    assert len(chat_requests(ollama_server)) == requests


def test_command_handler_gets_the_command(make_panel: Any, ollama_server: ProtocolServer,
                                          qtbot: Any) -> None:
    write_config("ollama", ollama_server.base_url)
    calls: List[Any] = []

    def handler(panel: ChatPanel, text: str) -> None:
        calls.append((panel, text))
        panel.send_message("expanded: " + text)

    panel = make_panel(command_handler=handler, host="a host")
    qtbot.waitUntil(lambda: "ollama" in panel.picker.models, timeout=WAIT_MS)
    panel.set_model("echo")
    panel.prompt.setPlainText("/explain Blur1")
    assert panel.send()
    assert calls == [(panel, "/explain Blur1")] and panel.host == "a host"
    wait_end(panel, qtbot)
    assert answer(panel).text == "Echo: expanded: /explain Blur1"


def test_failing_command_handler_is_a_notice(make_panel: Any, ollama_server: ProtocolServer,
                                             qtbot: Any) -> None:
    write_config("ollama", ollama_server.base_url)

    def handler(panel: ChatPanel, text: str) -> None:
        raise RuntimeError("no selection")

    panel = make_panel(command_handler=handler)
    panel.prompt.setPlainText("/fix")
    panel.send()
    assert "/fix failed: no selection" in visible(panel)
    qtbot.waitUntil(lambda: not panel.picker.jobs, timeout=WAIT_MS)


def test_default_system_prompt_is_sent(ollama_panel: ChatPanel, qtbot: Any,
                                       ollama_server: ProtocolServer) -> None:
    combo = ollama_panel.preset_combo
    assert combo.currentText() == DEFAULT_PROMPT_NAME
    assert "Nuke compositor and pipeline TD" in DEFAULT_PROMPT_TEXT
    send(ollama_panel, "echo", "hi")
    wait_end(ollama_panel, qtbot)
    sent = chat_requests(ollama_server)[-1].json_body["messages"]
    assert sent[0] == {"role": "system", "content": DEFAULT_PROMPT_TEXT}
    assert ollama_panel.conversation.system_prompt == DEFAULT_PROMPT_TEXT


def test_presets_are_edited_and_stored_in_config(ollama_panel: ChatPanel, qtbot: Any,
                                                 ollama_server: ProtocolServer) -> None:
    dialog = ollama_panel.edit_presets()
    qtbot.addWidget(dialog)
    dialog.add_preset()
    dialog.name_edit.setText("Terse")
    dialog.text_edit.setPlainText("Answer in one line.")
    dialog.accept()
    cfg = load_config()
    assert [p["name"] for p in cfg.system_prompts] == [DEFAULT_PROMPT_NAME, "Terse"]
    assert cfg.selected_prompt == "Terse"
    assert ollama_panel.preset_combo.currentText() == "Terse"
    send(ollama_panel, "echo", "hi")
    wait_end(ollama_panel, qtbot)
    sent = chat_requests(ollama_server)[-1].json_body["messages"]
    assert sent[0] == {"role": "system", "content": "Answer in one line."}
    ollama_panel.preset_combo.setCurrentIndex(0)
    assert load_config().selected_prompt == DEFAULT_PROMPT_NAME


def test_preset_dialog_refuses_duplicate_names(ollama_panel: ChatPanel, qtbot: Any) -> None:
    dialog = ollama_panel.edit_presets()
    qtbot.addWidget(dialog)
    dialog.add_preset()
    dialog.name_edit.setText(DEFAULT_PROMPT_NAME)
    dialog.accept()
    assert dialog.isVisible() and "same name" in dialog.error_label.text()
    dialog.reject()


def test_settings_dialog_opens_and_config_is_reread(ollama_panel: ChatPanel, qtbot: Any,
                                                   openai_server: ProtocolServer) -> None:
    dialog = ollama_panel.open_settings()
    assert dialog is not None
    qtbot.addWidget(dialog)
    path = user_home() / "config.json"
    data = json.loads(path.read_text(encoding="utf-8"))
    data["providers"]["openai-compatible"] = {"enabled": True,
                                              "base_url": openai_server.base_url}
    path.write_text(json.dumps(data), encoding="utf-8")
    dialog.reject()
    qtbot.waitUntil(lambda: ollama_panel.provider_combo.findData("openai-compatible") >= 0,
                    timeout=WAIT_MS)
    qtbot.waitUntil(lambda: not ollama_panel.picker.jobs, timeout=WAIT_MS)


def test_no_enabled_provider_leads_to_settings(make_panel: Any) -> None:
    path = user_home() / "config.json"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps({"providers": {pid: {"enabled": False}
                                              for pid in PROVIDER_IDS}}), encoding="utf-8")
    panel = make_panel()
    assert panel.provider_combo.count() == 0
    assert panel.errors.isVisible() and panel.errors.kind == "config"
    assert panel.errors.message == "No provider is enabled."
    assert panel.errors.settings_button.isVisible()
    panel.prompt.setPlainText("hi")
    assert panel.send() is False


def test_config_warnings_are_shown(make_panel: Any, ollama_server: ProtocolServer,
                                   qtbot: Any) -> None:
    path = write_config("ollama", ollama_server.base_url)
    data = json.loads(path.read_text(encoding="utf-8"))
    data["no_such_setting"] = 1
    path.write_text(json.dumps(data), encoding="utf-8")
    panel = make_panel()
    assert any("no_such_setting" in line for line in panel.notices.lines)
    qtbot.waitUntil(lambda: not panel.picker.jobs, timeout=WAIT_MS)
