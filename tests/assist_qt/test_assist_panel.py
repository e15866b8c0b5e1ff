"""The helpers end to end in the chat panel: command -> streamed answer -> preview -> Apply.

Real widgets, a real worker and an Ollama test server whose model name picks the answer
(``nk-build``, ``py-ok``, ``py-raise``, ``py-ask``, ``expr``). No fixed sleeps: every wait
is a qtbot wait with a deadline.
"""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Any, List

import pytest

pytest.importorskip("Qt", reason="needs a Qt binding (PySide6 or PySide2)")

from Qt import QtCore, QtWidgets  # noqa: E402

from nuke_ai_panel.assist.actions import NoAction, Outcome, RunPython  # noqa: E402
from nuke_ai_panel.config import load_config  # noqa: E402
from nuke_ai_panel.assist.prompts import HelperRequest  # noqa: E402
from nuke_ai_panel.history import CUT_OFF, HistoryMessage  # noqa: E402
from nuke_ai_panel.graph.nuke_host import NukeHost  # noqa: E402
from nuke_ai_panel.graph.script_host import ScriptHost  # noqa: E402
from nuke_ai_panel.session import ChatSession, Turn  # noqa: E402
from nuke_ai_panel.settings import ChatRequest  # noqa: E402
from src.ui.assist_controller import EXAMPLE_SCRIPT, AssistController, install  # noqa: E402
from tests.protocol_servers import ProtocolServer  # noqa: E402
from tests.protocol_servers.scenarios import HELPER_ANSWERS  # noqa: E402
from tests.ui.panel_helpers import alive  # noqa: E402

pytestmark = pytest.mark.qt

WAIT_MS = 10_000
TITLE = "AI: build despill + edge blur"


def comp(*selected: str) -> ScriptHost:
    host = ScriptHost.from_file(str(EXAMPLE_SCRIPT))
    host.select(list(selected))
    return host


def chat_bodies(server: ProtocolServer) -> List[Any]:
    return [r.json_body for r in server.requests if r.path.endswith("/api/chat")]


def visible(panel: Any) -> str:
    return panel.transcript.toPlainText()


def run_command(panel: Any, controller: Any, qtbot: Any, model: str, text: str) -> Any:
    """Type ``text`` with ``model`` selected; returns the preview dialog once it opens."""
    panel.set_model(model)
    panel.prompt.setPlainText(text)
    with qtbot.waitSignal(controller.previewOpened, timeout=WAIT_MS) as opened:
        assert panel.send()
    qtbot.waitUntil(lambda: not panel.streaming, timeout=WAIT_MS)
    dialog = opened.args[0]
    qtbot.waitExposed(dialog)
    return dialog


def button(dialog: Any, name: str) -> QtWidgets.QPushButton:
    found = dialog.findChild(QtWidgets.QPushButton, name)
    assert found is not None, name
    return found


def click_apply(dialog: Any, controller: Any, qtbot: Any) -> Outcome:
    with qtbot.waitSignal(controller.outcomeReady, timeout=WAIT_MS) as done:
        qtbot.mouseClick(button(dialog, "applyButton"), QtCore.Qt.LeftButton)
    return done.args[0]


def test_build_previews_nodes_and_applies_them_as_one_undo_step(
        make_assist_panel, qtbot, helper_server) -> None:
    host = comp("Grade_fg")
    before = host.to_text()
    panel, controller = make_assist_panel(host)
    dialog = run_command(panel, controller, qtbot, "nk-build", "/build despill + edge blur")

    sent = chat_bodies(helper_server)[-1]["messages"]
    assert any("Build: despill + edge blur" in m["content"] for m in sent)
    assert any("name Grade_fg" in m["content"] for m in sent)
    assert dialog.objectName() == "actionPreviewDialog" and dialog.isVisible()
    tree = dialog.findChild(QtWidgets.QTreeWidget, "previewNodes")
    assert [tree.topLevelItem(i).text(0) for i in range(tree.topLevelItemCount())] == [
        "HueCorrect_despill", "Keyer_edgeMatte", "EdgeBlur_soften"]
    links = dialog.findChild(QtWidgets.QListWidget, "previewConnections")
    assert [links.item(i).text() for i in range(links.count())] == [
        "Grade_fg (selected) \u2192 HueCorrect_despill (input 0)",
        "HueCorrect_despill \u2192 Keyer_edgeMatte (input 0)",
        "HueCorrect_despill \u2192 EdgeBlur_soften (input 0)",
        "Keyer_edgeMatte \u2192 EdgeBlur_soften (input 1)"]
    assert host.to_text() == before and host.undo_names() == []

    outcome = click_apply(dialog, controller, qtbot)
    assert outcome.ok and outcome.created == ["HueCorrect_despill", "Keyer_edgeMatte",
                                              "EdgeBlur_soften"]
    assert host.undo_names() == [TITLE]
    assert (f"Applied as one undo step, \u201c{TITLE}\u201d: created HueCorrect_despill, "
            "Keyer_edgeMatte, EdgeBlur_soften") in visible(panel)
    assert controller.preview is None
    assert host.undo() == TITLE
    assert host.to_text() == before


def test_cancel_changes_nothing(make_assist_panel, qtbot) -> None:
    host = comp("Grade_fg")
    before = host.to_text()
    panel, controller = make_assist_panel(host)
    dialog = run_command(panel, controller, qtbot, "nk-build", "/build despill")
    qtbot.mouseClick(button(dialog, "cancelButton"), QtCore.Qt.LeftButton)
    qtbot.waitUntil(lambda: "Cancelled: nothing was changed." in visible(panel), timeout=WAIT_MS)
    assert host.to_text() == before and host.undo_names() == []


def test_raising_script_shows_the_traceback_and_ask_to_fix_sends_it_back(
        make_assist_panel, qtbot, helper_server) -> None:
    host = comp("Grade_fg")
    before = host.to_text()
    panel, controller = make_assist_panel(host)
    dialog = run_command(panel, controller, qtbot, "py-raise", "/script blur like the defocus")
    code = dialog.findChild(QtWidgets.QPlainTextEdit, "previewCode")
    assert 'source = nuke.toNode("Blur_doesNotExist")' in code.toPlainText()
    assert not code.isReadOnly()

    outcome = click_apply(dialog, controller, qtbot)
    assert not outcome.ok
    assert "TypeError: 'NoneType' object is not subscriptable" in outcome.traceback
    assert host.to_text() == before and host.undo_names() == []
    shown = visible(panel)
    assert "failed, nothing was changed" in shown
    assert 'File "<model code>", line 6' in shown
    assert "blur added" in shown
    bar = controller.outcome_bar
    fix = bar.findChild(QtWidgets.QPushButton, "askFixButton")
    assert bar.isVisible() and fix.isVisible()

    panel.set_model("echo")
    count = len(chat_bodies(helper_server))
    qtbot.mouseClick(fix, QtCore.Qt.LeftButton)
    qtbot.waitUntil(lambda: len(chat_bodies(helper_server)) > count, timeout=WAIT_MS)
    asked = chat_bodies(helper_server)[-1]["messages"][-1]["content"]
    assert "TypeError: 'NoneType' object is not subscriptable" in asked
    assert 'blur["size"].setValue(source["size"].value())' in asked
    assert "ONE corrected ```python block" in asked
    assert not bar.isVisible()
    qtbot.waitUntil(lambda: not panel.streaming, timeout=WAIT_MS)


def test_fix_answer_is_previewed_again(make_assist_panel, qtbot) -> None:
    host = comp("Grade_fg")
    panel, controller = make_assist_panel(host)
    dialog = run_command(panel, controller, qtbot, "py-raise", "/script blur")
    click_apply(dialog, controller, qtbot)
    panel.set_model("py-ok")
    with qtbot.waitSignal(controller.previewOpened, timeout=WAIT_MS) as opened:
        assert controller.ask_to_fix()
    qtbot.waitUntil(lambda: not panel.streaming, timeout=WAIT_MS)
    outcome = click_apply(opened.args[0], controller, qtbot)
    assert outcome.ok and outcome.created == ["Grade_ai"]
    assert host.undo_names() == ["AI: script blur"]


def test_dialogs_in_generated_code_do_not_block_the_panel(make_assist_panel, qtbot) -> None:
    host = comp("Grade_fg")
    panel, controller = make_assist_panel(host)
    dialog = run_command(panel, controller, qtbot, "py-ask", "/script add a dot")
    started = time.monotonic()
    outcome = click_apply(dialog, controller, qtbot)
    assert time.monotonic() - started < 5
    assert outcome.ok and outcome.created == ["Dot_ai"]
    assert "[nuke.ask] 'Add a backdrop too?' -> answered No automatically" in visible(panel)


def test_expression_is_previewed_and_set(make_assist_panel, qtbot) -> None:
    host = comp()
    panel, controller = make_assist_panel(host)
    dialog = run_command(panel, controller, qtbot, "expr", "/expr Blur_bgDefocus.size breathe")
    edit = dialog.findChild(QtWidgets.QLineEdit, "previewExpression")
    assert edit.text() == "sin(frame / 8) * 4 + 6"
    edit.setText("sin(frame / 8) * 2 + 6")
    outcome = click_apply(dialog, controller, qtbot)
    assert outcome.ok
    assert '{{"sin(frame / 8) * 2 + 6"}}' in host.node_script(["Blur_bgDefocus"])


def test_code_execution_off_shows_code_read_only(make_assist_panel, qtbot) -> None:
    host = comp("Grade_fg")
    panel, controller = make_assist_panel(host, allow_code_execution=False)
    dialog = run_command(panel, controller, qtbot, "py-ok", "/script add a grade")
    code = dialog.findChild(QtWidgets.QPlainTextEdit, "previewCode")
    note = dialog.findChild(QtWidgets.QLabel, "codeDisabledNote")
    assert code.isReadOnly() and note is not None and note.isVisible()
    assert "turned off in Settings" in note.text()
    assert not button(dialog, "applyButton").isEnabled()
    assert button(dialog, "cancelButton").isEnabled()


def test_code_execution_locked_by_the_studio_says_so(make_assist_panel, qtbot, tmp_path,
                                                      monkeypatch) -> None:
    studio = tmp_path / "studio.json"
    studio.write_text(json.dumps({"defaults": {"allow_code_execution": False},
                                  "locked": ["allow_code_execution"]}), encoding="utf-8")
    monkeypatch.setenv("NUKE_AI_PANEL_STUDIO_CONFIG", str(studio))
    host = comp("Grade_fg")
    panel, controller = make_assist_panel(host, allow_code_execution=True)
    dialog = run_command(panel, controller, qtbot, "py-ok", "/script add a grade")
    note = dialog.findChild(QtWidgets.QLabel, "codeDisabledNote")
    assert "turned off by your studio" in note.text()
    assert not button(dialog, "applyButton").isEnabled()


def test_an_answer_without_a_snippet_is_a_notice(make_assist_panel, qtbot) -> None:
    host = comp()
    panel, controller = make_assist_panel(host)
    panel.set_model("tokens-5")
    panel.prompt.setPlainText("/build a grade")
    with qtbot.waitSignal(controller.actionProposed, timeout=WAIT_MS) as proposed:
        assert panel.send()
    assert isinstance(proposed.args[0], NoAction)
    assert "The answer has no nodes to create" in visible(panel)
    assert controller.preview is None


def test_explain_streams_and_proposes_nothing(make_assist_panel, qtbot, helper_server) -> None:
    host = comp("Grade_fg")
    panel, controller = make_assist_panel(host)
    panel.set_model("echo")
    panel.prompt.setPlainText("/explain")
    assert panel.send()
    qtbot.waitUntil(lambda: not panel.streaming and not controller.waiting, timeout=WAIT_MS)
    assert "Selected nodes (1)" in chat_bodies(helper_server)[-1]["messages"][-1]["content"]
    assert "Echo: " in visible(panel)
    assert controller.preview is None


def test_help_and_bad_commands_are_notices_without_a_request(make_assist_panel, qtbot,
                                                               helper_server) -> None:
    panel, controller = make_assist_panel(comp())
    count = len(chat_bodies(helper_server))
    panel.prompt.setPlainText("/help")
    assert panel.send() and panel.prompt.toPlainText() == ""
    for text in ("/frobnicate", "/build", "/expr Nope.size grow"):
        panel.prompt.setPlainText(text)
        assert not panel.send()
        assert panel.prompt.toPlainText() == text, "a command that did not run keeps its text"
    shown = visible(panel)
    assert "/expr [NODE.]KNOB DESCRIPTION" in shown
    assert "Unknown command /frobnicate" in shown
    assert "Say what to build" in shown
    assert "There is no node named Nope" in shown
    assert len(chat_bodies(helper_server)) == count and not panel.streaming


def test_a_new_command_replaces_an_open_preview(make_assist_panel, qtbot) -> None:
    host = comp("Grade_fg")
    panel, controller = make_assist_panel(host)
    first = run_command(panel, controller, qtbot, "nk-build", "/build despill")
    second = run_command(panel, controller, qtbot, "py-ok", "/script add a grade")
    assert controller.preview is second and first is not second
    assert not alive(first) or not first.isVisible()
    assert host.undo_names() == []


def test_risky_lines_are_highlighted_and_rescanned_on_edit(qtbot) -> None:
    from nuke_ai_panel.graph.risk import scan_code
    from src.ui.action_preview import ActionPreviewDialog

    code = "import nuke\nimport os\nos.remove('/tmp/plate.exr')\nnuke.createNode('Blur')\n"
    dialog = ActionPreviewDialog(RunPython("AI: script clean", code, scan_code(code)))
    qtbot.addWidget(dialog)
    dialog.show()
    risks = dialog.findChild(QtWidgets.QListWidget, "previewRisks")
    assert dialog.highlighted_lines() == [3]
    assert "line 3: os.remove - deletes files or folders" in risks.item(0).text()
    edit = dialog.findChild(QtWidgets.QPlainTextEdit, "previewCode")
    edit.setPlainText("import nuke\nnuke.createNode('Blur')\nnuke.scriptClose()\n")
    qtbot.waitUntil(lambda: dialog.highlighted_lines() == [3] and
                    "nuke.scriptClose" in risks.item(0).text(), timeout=WAIT_MS)
    edited = dialog.action()
    assert edited.code.endswith("nuke.scriptClose()\n")
    assert [f.call for f in edited.risk.findings] == ["nuke.scriptClose"]


def test_nuke_host_apply_is_one_undo_group_in_nuke(make_assist_panel, qtbot,
                                                    monkeypatch) -> None:
    from tests.fake_nuke import install as install_fake

    fake, _ = install_fake(monkeypatch, Path(EXAMPLE_SCRIPT).read_text(encoding="utf-8"))
    fake.host.select(["Grade_fg"])
    before = fake.host.to_text()
    panel, controller = make_assist_panel(NukeHost())
    dialog = run_command(panel, controller, qtbot, "nk-build", "/build despill + edge blur")
    assert fake.host.to_text() == before
    outcome = click_apply(dialog, controller, qtbot)
    assert outcome.ok and fake.swallowed == []
    assert fake.Undo.undoSize() == 1 and fake.Undo.undoDescribe() == TITLE
    fake.Undo.undo()
    assert fake.host.to_text() == before


def test_install_without_a_host_uses_the_example_comp(qtbot, helper_worker,
                                                      helper_server) -> None:
    from src.ui.chat_panel import ChatPanel
    from tests.assist_qt.conftest import write_user_config

    write_user_config(helper_server.base_url)
    panel = ChatPanel(worker=helper_worker)
    qtbot.addWidget(panel)
    controller = install(panel)
    assert isinstance(panel.host, ScriptHost) and panel.host.path == str(EXAMPLE_SCRIPT)
    assert panel.command_handler == controller.handle
    assert controller.parent() is panel
    labels = [label for label, _ in controller.menu_actions()]
    assert labels == ["Explain Selected", "Build Nodes\u2026", "Fix Errors", "Write Script\u2026",
                      "Write Expression\u2026"]
    dict(controller.menu_actions())["Build Nodes\u2026"]()
    assert panel.prompt.toPlainText() == "/build "
    panel.shutdown()


class _SpecPort:
    """A PanelPort over a real (idle) chat session that records the helper turns it is asked
    to start instead of sending them; ``end_turn`` then ends the last one with a chosen
    answer, the way the session reports a finished turn."""

    def __init__(self, host: Any) -> None:
        self._host = host
        self._session = ChatSession(worker=None)
        self._config = load_config()
        self.sent: List[HelperRequest] = []
        self.widgets: List[Any] = []
        self.notices: List[Any] = []

    def host(self) -> Any:
        return self._host

    def config(self) -> Any:
        return self._config

    def session(self) -> ChatSession:
        return self._session

    def send_helper(self, request: HelperRequest) -> bool:
        self.sent.append(request)
        return True

    def notice(self, text: str, level: str = "info") -> None:
        self.notices.append((text, level))

    def show_widget(self, widget: Any) -> None:
        self.widgets.append(widget)

    def prefill(self, text: str) -> None:
        self.notices.append((text, "prefill"))

    def window(self) -> Any:
        return None

    def end_turn(self, text: str, status: str = "complete") -> Turn:
        request = self.sent[-1]
        turn = Turn(HistoryMessage("assistant", text, status=status),
                    ChatRequest("m", request.messages(), request.system), "ollama",
                    helper=request)
        turn.ended = True
        self._session.on_turn_ended(turn)
        return turn


def _controller(qtbot: Any, port: _SpecPort) -> AssistController:
    controller = AssistController(port)
    qtbot.addWidget(controller.outcome_bar)
    return controller


def test_the_controller_sends_helper_turns_and_previews_their_answer(qtbot) -> None:
    port = _SpecPort(comp("Grade_fg"))
    controller = _controller(qtbot, port)
    assert port.widgets == [controller.outcome_bar]
    assert controller.run("/build despill + edge blur")
    (request,) = port.sent
    assert request.display == "/build despill + edge blur"
    assert [m.role for m in request.messages()] == ["user"]
    assert request.messages()[0].content.endswith("Build: despill + edge blur")
    assert "ONE ```nk fenced block" in request.system
    with qtbot.waitSignal(controller.previewOpened, timeout=WAIT_MS) as opened:
        port.end_turn(HELPER_ANSWERS["nk-build"])
    assert opened.args[0].action().connect_to == "Grade_fg"
    opened.args[0].reject()
    assert port.notices[-1] == ("Cancelled: nothing was changed.", "info")


def test_a_cut_off_answer_is_not_applied(qtbot) -> None:
    port = _SpecPort(comp("Grade_fg"))
    controller = _controller(qtbot, port)
    assert controller.run("/build despill")
    port.end_turn(HELPER_ANSWERS["nk-build"][:200], status=CUT_OFF)
    assert controller.preview is None
    assert port.notices[-1] == ("The answer did not finish, so there is nothing to apply.",
                                "warning")


def test_turns_that_are_not_helper_turns_propose_nothing(qtbot) -> None:
    port = _SpecPort(comp("Grade_fg"))
    controller = _controller(qtbot, port)
    turn = Turn(HistoryMessage("assistant", HELPER_ANSWERS["nk-build"]), ChatRequest("m", []),
                "ollama")
    with qtbot.assertNotEmitted(controller.actionProposed):
        port.session().on_turn_ended(turn)
    assert controller.preview is None


def test_retry_after_a_failed_helper_turn_previews_the_answer(make_assist_panel, qtbot,
                                                               helper_server) -> None:
    host = comp("Grade_fg")
    panel, controller = make_assist_panel(host)
    panel.set_model("http-500")
    panel.prompt.setPlainText("/build despill + edge blur")
    assert panel.send()
    qtbot.waitUntil(lambda: not panel.streaming, timeout=WAIT_MS)
    assert panel.errors.kind == "server" and controller.preview is None
    panel.set_model("nk-build")
    with qtbot.waitSignal(controller.previewOpened, timeout=WAIT_MS):
        qtbot.mouseClick(panel.errors.retry_button, QtCore.Qt.LeftButton)
    qtbot.waitUntil(lambda: not panel.streaming, timeout=WAIT_MS)
    sent = chat_bodies(helper_server)[-1]["messages"]
    assert sent[-1]["content"].endswith("Build: despill + edge blur")
    assert "ONE ```nk fenced block" in sent[0]["content"]


# -- pastes and expressions that run code ----------------------------------------------------

RISKY_NK = ("```nk\nset cut_paste_input [stack 0]\npush $cut_paste_input\nGrade {\n white 1.1\n"
            " black 0.01\n gamma 0.9\n multiply 1.2\n add 0\n mix 1\n"
            " onCreate \"import os\\nos.system('id')\"\n name Grade_cb\n}\n```\n")


def _propose(host: Any, command: str, answer: str, allow_code: bool) -> Any:
    from nuke_ai_panel.assist.actions import action_from_answer
    from nuke_ai_panel.assist.commands import parse_command
    from nuke_ai_panel.assist.prompts import build_request

    return action_from_answer(answer, build_request(parse_command(command), host), host,
                              allow_code)


def _open(qtbot: Any, action: Any) -> Any:
    from src.ui.action_preview import ActionPreviewDialog

    dialog = ActionPreviewDialog(action)
    qtbot.addWidget(dialog)
    dialog.show()
    qtbot.waitExposed(dialog)
    return dialog


def test_a_paste_that_runs_code_is_flagged_like_risky_python(qtbot) -> None:
    action = _propose(comp("Grade_fg"), "/build x", RISKY_NK, allow_code=True)
    dialog = _open(qtbot, action)
    banner = dialog.findChild(QtWidgets.QLabel, "pasteRiskNote")
    assert banner is not None and banner.isVisible()
    assert "Pasting runs code in Nuke: 1 flagged" in banner.text()
    tree = dialog.findChild(QtWidgets.QTreeWidget, "previewNodes")
    node = tree.topLevelItem(0)
    assert node.text(0) == "Grade_cb" and node.text(2).startswith("onCreate ")
    assert node.childCount() == 1
    assert node.child(0).text(0) == "\u26d4 onCreate"
    assert node.child(0).text(2).startswith("runs Python as soon as the node is created")
    risks = dialog.findChild(QtWidgets.QListWidget, "previewRisks")
    assert "line 10: Grade_cb.onCreate - runs Python" in risks.item(0).text()
    snippet = dialog.findChild(QtWidgets.QPlainTextEdit, "previewSnippet")
    assert snippet.isReadOnly() and "onCreate" in snippet.toPlainText()
    assert dialog.highlighted_lines() == [10]
    assert snippet.toPlainText().splitlines()[9].startswith(" onCreate")
    assert button(dialog, "applyButton").isEnabled()
    note = dialog.findChild(QtWidgets.QLabel, "codeDisabledNote")
    assert note is not None and not note.isVisible()


def test_a_clean_paste_shows_no_code_warning(qtbot) -> None:
    action = _propose(comp("Grade_fg"), "/build x", HELPER_ANSWERS["nk-build"], allow_code=False)
    dialog = _open(qtbot, action)
    assert dialog.findChild(QtWidgets.QLabel, "pasteRiskNote") is None
    assert dialog.findChild(QtWidgets.QPlainTextEdit, "previewSnippet") is None
    assert button(dialog, "applyButton").isEnabled()


def test_code_execution_off_blocks_a_paste_that_runs_code(qtbot) -> None:
    from nuke_ai_panel.assist.actions import PASTE_BLOCKED

    action = _propose(comp("Grade_fg"), "/build x", RISKY_NK, allow_code=False)
    dialog = _open(qtbot, action)
    note = dialog.findChild(QtWidgets.QLabel, "codeDisabledNote")
    assert note.isVisible() and note.text().startswith(PASTE_BLOCKED)
    assert "turned off in Settings" in note.text()
    assert dialog.findChild(QtWidgets.QLabel, "pasteRiskNote").isVisible()
    assert dialog.highlighted_lines() == [10]
    assert not button(dialog, "applyButton").isEnabled()
    assert button(dialog, "cancelButton").isEnabled()


def test_an_expression_that_runs_code_is_flagged_and_rescanned_on_edit(qtbot) -> None:
    action = _propose(comp(), "/expr Blur_bgDefocus.size x",
                      "```tcl\n[python {__import__('os').system('id')}]\n```", allow_code=False)
    dialog = _open(qtbot, action)
    risks = dialog.findChild(QtWidgets.QListWidget, "previewRisks")
    note = dialog.findChild(QtWidgets.QLabel, "codeDisabledNote")
    assert risks.isVisible() and "Blur_bgDefocus.size - runs Python" in risks.item(0).text()
    assert note.isVisible() and not button(dialog, "applyButton").isEnabled()
    edit = dialog.findChild(QtWidgets.QLineEdit, "previewExpression")
    edit.setText("frame * 2")
    qtbot.waitUntil(lambda: button(dialog, "applyButton").isEnabled(), timeout=WAIT_MS)
    assert not risks.isVisible() and not note.isVisible()
    edited = dialog.action()
    assert edited.expression == "frame * 2" and edited.allowed and not edited.code_allowed
    edit.setText("[exec rm -rf ~]")
    qtbot.waitUntil(lambda: not button(dialog, "applyButton").isEnabled(), timeout=WAIT_MS)
    assert risks.isVisible() and "starts another program" in risks.item(0).text()
    assert not dialog.action().allowed


def test_the_controller_previews_a_blocked_paste_and_never_applies_it(qtbot, tmp_path,
                                                                        monkeypatch) -> None:
    from tests.assist_qt.conftest import write_user_config

    write_user_config("http://127.0.0.1:9", allow_code_execution=False)
    host = comp("Grade_fg")
    before = host.to_text()
    port = _SpecPort(host)
    assert port.config().allow_code_execution is False
    controller = _controller(qtbot, port)
    assert controller.run("/build despill")
    with qtbot.waitSignal(controller.previewOpened, timeout=WAIT_MS) as opened:
        port.end_turn(RISKY_NK)
    dialog = opened.args[0]
    assert not button(dialog, "applyButton").isEnabled()
    monkeypatch.setattr(host, "paste_script", lambda *a, **k: pytest.fail("pasted"))
    dialog.accept()
    assert host.to_text() == before and host.undo_names() == []
    assert "cannot be pasted" in port.notices[-1][0] and port.notices[-1][1] == "error"
