"""Saved conversations: pure Python, files under NUKE_AI_PANEL_HOME/history."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from nuke_ai_panel import history, paths
from nuke_ai_panel.history import Conversation, HistoryMessage
from nuke_ai_panel.redact import register_secret


def conversation(title_text: str = "How do I key a greenscreen?") -> Conversation:
    conv = Conversation(provider="ollama", model="llama3.2", system_prompt="Be precise.")
    conv.add(HistoryMessage("user", title_text))
    conv.add(HistoryMessage("assistant", "Use an **IBKColour**.", reasoning="thinking",
                            model="llama3.2", ttft=0.5, tokens=12, duration=1.25))
    return conv


def test_round_trip() -> None:
    conv = conversation()
    path = history.save(conv)
    assert path.parent == paths.history_dir() and path.name == f"{conv.id}.json"
    loaded, notice = history.load(conv.id)
    assert notice is None and loaded is not None
    assert loaded.title == "How do I key a greenscreen?"
    assert loaded.provider == "ollama" and loaded.model == "llama3.2"
    assert loaded.system_prompt == "Be precise."
    assert [(m.role, m.text, m.status) for m in loaded.messages] == [
        ("user", "How do I key a greenscreen?", "complete"),
        ("assistant", "Use an **IBKColour**.", "complete")]
    answer = loaded.messages[1]
    assert (answer.reasoning, answer.ttft, answer.tokens, answer.duration) == \
        ("thinking", 0.5, 12, 1.25)
    assert abs(loaded.created - conv.created) < 1.0


def test_list_is_newest_first_and_reads_only_the_head() -> None:
    first, second = conversation("first"), conversation("second")
    history.save(first)
    history.save(second)
    second.updated += 10
    path = history.save(second)
    data = json.loads(path.read_text(encoding="utf-8"))
    data["updated"] = "2099-01-01T00:00:00+00:00"
    path.write_text(json.dumps(data, indent=1), encoding="utf-8")
    summaries, notices = history.list_conversations()
    assert notices == []
    assert [s.title for s in summaries] == ["second", "first"]
    head = path.read_text(encoding="utf-8")[:200]
    assert head.index('"title"') < head.index('"updated"') < 200


def test_long_title_is_cut() -> None:
    conv = conversation("word " * 40)
    assert len(conv.title) <= history.TITLE_LIMIT and conv.title.endswith("\u2026")


def test_corrupt_file_is_set_aside_with_a_notice() -> None:
    history.save(conversation("good"))
    bad = paths.history_dir() / "20240101-000000-bad123.json"
    bad.write_text("{not json", encoding="utf-8")
    summaries, notices = history.list_conversations()
    assert [s.title for s in summaries] == ["good"]
    assert len(notices) == 1 and "20240101-000000-bad123.json" in notices[0]
    assert not bad.exists()
    assert list(paths.history_dir().glob("20240101-000000-bad123.json.corrupt-*"))


def test_truncated_file_with_a_good_head_fails_on_load() -> None:
    conv = conversation()
    path = history.save(conv)
    path.write_text(path.read_text(encoding="utf-8")[:150], encoding="utf-8")
    summaries, _ = history.list_conversations()
    assert [s.id for s in summaries] == [conv.id]
    loaded, notice = history.load(conv.id)
    assert loaded is None and notice and "moved aside" in notice
    assert history.list_conversations() == ([], [])


def test_wrong_shape_is_set_aside() -> None:
    path = paths.history_dir() / "20240101-000000-abc123.json"
    path.write_text(json.dumps({"messages": "nope"}), encoding="utf-8")
    loaded, notice = history.load("20240101-000000-abc123")
    assert loaded is None and "no message list" in (notice or "")


def test_missing_and_delete() -> None:
    assert history.load("20240101-000000-none00") == (None, None)
    conv = conversation()
    history.save(conv)
    assert history.delete(conv.id) is True
    assert history.delete(conv.id) is False
    assert history.list_conversations() == ([], [])


def test_ids_cannot_escape_the_folder() -> None:
    with pytest.raises(ValueError):
        history.load("../config")


def test_keys_are_never_written(tmp_path: Path) -> None:
    secret = "nap-secret-0123456789abcdef"
    register_secret(secret)
    conv = Conversation(system_prompt=f"key {secret}")
    conv.add(HistoryMessage("user", f"my key is {secret} and sk-abcdefghijklmnop123"))
    conv.add(HistoryMessage("assistant", f"You sent {secret}", status="cut off: auth",
                            error=f"invalid x-api-key {secret}"))
    path = history.save(conv)
    written = path.read_text(encoding="utf-8")
    assert secret not in written and "sk-abcdefghijklmnop123" not in written
    exported = history.export_markdown(conv, tmp_path / "out.md").read_text(encoding="utf-8")
    assert secret not in exported and "[REDACTED]" in exported


def test_markdown_export_marks_answers_that_ended_early(tmp_path: Path) -> None:
    conv = conversation()
    conv.add(HistoryMessage("user", "And a despill?"))
    conv.add(HistoryMessage("assistant", "Use a", status=history.cut_off_status("cancelled")))
    conv.add(HistoryMessage("user", "Again"))
    conv.add(HistoryMessage("assistant", "Partial", status=history.cut_off_status("idle_timeout"),
                            error="The model sent nothing for 60 s mid-answer"))
    text = history.to_markdown(conv)
    assert text.startswith("# How do I key a greenscreen?\n")
    assert "## You\n\nHow do I key a greenscreen?" in text
    assert "## Assistant (llama3.2)\n\n<details><summary>Reasoning</summary>" in text
    assert "Use an **IBKColour**." in text
    assert "Use a\n\n*[Stopped before the answer finished]*" in text
    assert "Partial\n\n*[Answer cut off: The model sent nothing for 60 s mid-answer]*" in text
    path = history.export_markdown(conv, tmp_path / "sub" / "chat.md")
    assert path.read_text(encoding="utf-8") == text


def test_early_notes_say_what_happened_in_plain_words() -> None:
    def note(text: str, kind: str, error: str) -> str:
        return history.early_note(HistoryMessage("assistant", text, status=history.cut_off_status(
            kind), error=error))

    blocked = "Blocked by the provider's safety filter (SAFETY)"
    assert note("", "blocked", blocked) == blocked
    assert note("", "empty", "The server sent no answer") == "The server sent no answer"
    assert note("", "auth", "HTTP 401: bad key") == "No answer: HTTP 401: bad key"
    assert note("Half", "truncated", "The stream ended") == "Answer cut off: The stream ended"
    assert note("", "first_token_timeout", "No answer within 120 s").startswith("No answer: ")
    for kind in ("blocked", "empty", "auth", "first_token_timeout"):
        assert "cut off" not in note("", kind, "x").lower()
        assert kind not in note("", kind, "x")


def test_status_words() -> None:
    assert history.cut_off_status("cancelled") == "stopped"
    assert history.cut_off_status("truncated") == "cut off: truncated"
