"""A scripted conversation in the real chat panel, compared with a recorded golden copy.

Text turns (plain, reasoning, code), helper turns (/explain, a /build preview that is
cancelled, a bad command), Stop mid-answer, an error banner and Retry after it. What is
compared: the conversation as saved in history, the transcript's plain text, the status
line and banner after each step, the notices, and the requests the server received. Times
(first token, duration, dates, ids) are the only things normalised away.

The golden copy was recorded before the chat turn moved into ``nuke_ai_panel.session``; the
refactor must leave every byte of it alone. One file per Qt major version, since Qt 5 and
Qt 6 differ slightly in ``toPlainText``. To record again (only for a deliberate change of
behaviour): ``NAP_RECORD_GOLDEN=1 wt-pytest tests/assist_qt/test_golden_transcript.py``.
"""

from __future__ import annotations

import json
import os
import re
from pathlib import Path
from typing import Any, Dict, List

import pytest

pytest.importorskip("Qt", reason="needs a Qt binding (PySide6 or PySide2)")

from Qt import QtCore, QtWidgets  # noqa: E402

from nuke_ai_panel import paths  # noqa: E402
from nuke_ai_panel.graph.script_host import ScriptHost  # noqa: E402
from src.ui.assist_controller import EXAMPLE_SCRIPT  # noqa: E402
from tests.protocol_servers import ProtocolServer  # noqa: E402

pytestmark = pytest.mark.qt

WAIT_MS = 10_000
GOLDEN_DIR = Path(__file__).resolve().parent / "golden"
_SECONDS = re.compile(r"\d+(?:\.\d+)? m?s\b")
_RATE = re.compile(r"\d+ tokens/s")


def _qt_major() -> int:
    return int(QtCore.qVersion().split(".")[0])


def _status(panel: Any) -> str:
    return _RATE.sub("N tokens/s", _SECONDS.sub("N s", panel.status_label.text()))


def _banner(panel: Any) -> Dict[str, Any]:
    banner = panel.errors
    if not banner.isVisible():
        return {"visible": False}
    return {"visible": True, "kind": banner.kind, "message": banner.message,
            "hint": banner.hint, "retry": banner.retry_button.isVisible(),
            "settings": banner.settings_button.isVisible()}


def _saved(conv_id: str) -> Dict[str, Any]:
    data = json.loads((paths.history_dir() / f"{conv_id}.json").read_text(encoding="utf-8"))
    for key in ("id", "created", "updated"):
        data[key] = "-"
    for message in data["messages"]:
        meta = message.get("metadata")
        if meta:
            for key in ("ttft", "duration"):
                meta[key] = None if meta[key] is None else "N"
    return data


def _bodies(requests: List[Any]) -> List[Any]:
    return [{"model": r.json_body["model"], "messages": r.json_body["messages"]}
            for r in requests if r.path.endswith("/api/chat")]


def test_scripted_conversation_matches_the_golden_copy(make_assist_panel: Any, qtbot: Any,
                                                       helper_server: ProtocolServer) -> None:
    steps: List[Dict[str, Any]] = []
    server = helper_server
    requests_before = len(server.requests)
    host = ScriptHost.from_file(str(EXAMPLE_SCRIPT))
    host.select(["Grade_fg"])
    panel, controller = make_assist_panel(host)

    def record(name: str) -> None:
        steps.append({"step": name, "status": _status(panel), "banner": _banner(panel),
                      "streaming": panel.streaming,
                      "send": panel.send_button.isEnabled(),
                      "stop": panel.stop_button.isEnabled()})

    def idle() -> None:
        qtbot.waitUntil(lambda: not panel.streaming, timeout=WAIT_MS)

    def turn(model: str, text: str) -> None:
        panel.set_model(model)
        panel.prompt.setPlainText(text)
        assert panel.send()
        idle()
        record(f"{model}: {text}")

    turn("echo", "hello there")
    turn("reasoning", "why so green")
    turn("code", "blur it")
    panel.set_model("echo")
    panel.prompt.setPlainText("/explain what does the grade do")
    assert panel.send()
    qtbot.waitUntil(lambda: not panel.streaming and not controller.waiting, timeout=WAIT_MS)
    record("/explain")

    panel.set_model("nk-build")
    panel.prompt.setPlainText("/build despill + edge blur")
    with qtbot.waitSignal(controller.previewOpened, timeout=WAIT_MS) as opened:
        assert panel.send()
    idle()
    dialog = opened.args[0]
    qtbot.waitExposed(dialog)
    cancel = dialog.findChild(QtWidgets.QPushButton, "cancelButton")
    qtbot.mouseClick(cancel, QtCore.Qt.LeftButton)
    qtbot.waitUntil(lambda: "Cancelled: nothing was changed." in panel.transcript.toPlainText(),
                    timeout=WAIT_MS)
    record("/build cancelled")

    panel.prompt.setPlainText("/frobnicate the comp")
    assert not panel.send() and panel.prompt.toPlainText() == "/frobnicate the comp"
    record("/frobnicate")

    panel.set_model("stall-mid")
    panel.prompt.setPlainText("please wait for me")
    assert panel.send()
    qtbot.waitUntil(lambda: "Echo: plea" in panel.transcript.toPlainText(), timeout=WAIT_MS)
    record("stall-mid streaming")
    qtbot.mouseClick(panel.stop_button, QtCore.Qt.LeftButton)
    idle()
    record("stopped")

    turn("http-500", "what now")
    panel.set_model("echo")
    qtbot.mouseClick(panel.errors.retry_button, QtCore.Qt.LeftButton)
    idle()
    record("retried")
    turn("echo", "thanks")

    recorded = {
        "steps": steps,
        "history": _saved(panel.conversation.id),
        "conversation": [[m.role, m.text, m.reasoning, m.status, m.error, m.model, m.tokens]
                         for m in panel.conversation.messages],
        "transcript": panel.transcript.toPlainText().split("\n"),
        "raw_texts": panel.transcript.raw_texts(),
        "notices": list(panel.notices.lines),
        "requests": _bodies(server.requests[requests_before:]),
        "history_list": [panel.history_combo.itemText(i).split("  \u00b7  ")[0]
                         for i in range(panel.history_combo.count())],
    }

    golden = GOLDEN_DIR / f"transcript_qt{_qt_major()}.json"
    text = json.dumps(recorded, indent=1, ensure_ascii=False) + "\n"
    if os.environ.get("NAP_RECORD_GOLDEN"):
        golden.parent.mkdir(exist_ok=True)
        golden.write_text(text, encoding="utf-8")
    expected = json.loads(golden.read_text(encoding="utf-8"))
    for key in expected:
        assert recorded[key] == expected[key], key
    assert recorded == expected
