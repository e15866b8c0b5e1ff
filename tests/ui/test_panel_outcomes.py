"""The panel, its banner, status line, transcript and saved history tell the same outcome as the
engine (issue 7): a blocked or empty answer is an error in plain words, never a blank success,
and only an answer that had started is called cut off."""

from __future__ import annotations

import uuid
from typing import Any, Dict, Iterator

import pytest

pytest.importorskip("Qt", reason="needs a Qt binding (PySide6 or PySide2)")

from nuke_ai_panel import history  # noqa: E402
from nuke_ai_panel.provider_info import provider_info  # noqa: E402
from tests.protocol_servers import PROTOCOLS, ProtocolServer  # noqa: E402
from tests.protocol_servers.raw import CASES, RAW_CASES, RawCase  # noqa: E402
from tests.ui.panel_helpers import WAIT_MS, write_config  # noqa: E402

pytestmark = pytest.mark.qt


def run_case(make_panel: Any, qtbot: Any, server: ProtocolServer, name: str) -> Any:
    write_config("openai-compatible", server.base_url, max_retries=0)
    panel = make_panel()
    panel.set_model(RAW_CASES[name].model)
    panel.prompt.setPlainText("Soften the matte edge")
    assert panel.send()
    qtbot.waitUntil(lambda: not panel.streaming, timeout=WAIT_MS)
    return panel


def plain(panel: Any) -> str:
    return " ".join(panel.transcript.toPlainText().replace("\u200b", "").split())


@pytest.mark.parametrize("name", ["openai-done-only", "openai-content-filter", "openai-refusal",
                                  "openai-filter-after-text", "openai-reasoning-only-length"])
def test_blocked_and_empty_read_right(make_panel: Any, qtbot: Any, openai_server: ProtocolServer,
                                      name: str) -> None:
    case = RAW_CASES[name]
    expect = case.expect
    panel = run_case(make_panel, qtbot, openai_server, name)
    banner = panel.errors
    assert banner.isVisible() and banner.kind == expect.outcome
    for words in expect.quote:
        assert words in banner.message
    assert f"{expect.outcome}:" not in banner.message + banner.hint
    assert ("partial answer is kept" in banner.hint) == bool(expect.text)
    answer = panel.conversation.messages[-1]
    assert (answer.role, answer.text) == ("assistant", expect.text)
    assert answer.status == history.cut_off_status(expect.outcome)
    assert answer.error == banner.message
    shown = plain(panel)
    assert banner.message in shown
    assert "cut off" not in shown.lower() and f"({expect.outcome})" not in shown
    status = panel.status_label.text()
    assert status == {"blocked": "blocked by the provider", "empty": "no answer"}[expect.outcome]
    saved = history.load(panel.conversation.id)[0].messages[-1]
    assert (saved.text, saved.status, saved.error) == (answer.text, answer.status, answer.error)


@pytest.mark.parametrize("name", ["mistral-parts", "openai-json-answer",
                                  "openai-sse-label-on-json"])
def test_answers_that_used_to_be_lost_are_shown(make_panel: Any, qtbot: Any,
                                                openai_server: ProtocolServer, name: str) -> None:
    expect = RAW_CASES[name].expect
    panel = run_case(make_panel, qtbot, openai_server, name)
    assert not panel.errors.isVisible()
    answer = panel.conversation.messages[-1]
    assert (answer.text, answer.reasoning, answer.status) == (expect.text, expect.reasoning,
                                                             history.COMPLETE)
    assert expect.text in plain(panel)


def test_cut_short_answer_says_so_in_the_status_line(make_panel: Any, qtbot: Any,
                                                     openai_server: ProtocolServer) -> None:
    panel = run_case(make_panel, qtbot, openai_server, "vllm-coalesced-finish")
    assert not panel.errors.isVisible()
    assert panel.status_label.text().endswith("(cut short at the token limit)")


@pytest.fixture(scope="module")
def servers() -> Iterator[Dict[str, ProtocolServer]]:
    started = {p: ProtocolServer(p).start() for p in PROTOCOLS}
    yield started
    for server in started.values():
        server.stop()


@pytest.mark.parametrize("case", [c for c in CASES if c.issue_example], ids=lambda c: c.name)
def test_issue_examples_in_the_panel(make_panel: Any, qtbot: Any, servers: Dict[str, Any],
                                     monkeypatch: pytest.MonkeyPatch, case: RawCase) -> None:
    """Each of issue 7's examples, with its own provider, reads the same in the panel as on
    the command line: the answer, or the error kind with the server's words."""
    expect = case.expect
    env = provider_info(case.provider_id).key_env
    if env:
        monkeypatch.setenv(env, "sk-test-panel-0000")
    write_config(case.provider_id, servers[case.protocol].base_url)
    panel = make_panel()
    panel.set_model(f"{case.model}:{uuid.uuid4().hex[:6]}")
    panel.prompt.setPlainText("Soften the matte edge")
    assert panel.send()
    qtbot.waitUntil(lambda: not panel.streaming, timeout=WAIT_MS)
    answer = panel.conversation.messages[-1]
    assert (answer.text, answer.reasoning) == (expect.text, expect.reasoning)
    if expect.outcome == "done":
        assert not panel.errors.isVisible() and answer.status == history.COMPLETE
        assert panel.status_label.text().startswith("done: ")
        return
    assert panel.errors.isVisible() and panel.errors.kind == expect.outcome
    for words in expect.quote:
        assert words in panel.errors.message
    assert answer.status == history.cut_off_status(expect.outcome)
    assert panel.errors.message in plain(panel)
