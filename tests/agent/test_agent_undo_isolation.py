"""The artist's own edits never join an AI undo group.

In Nuke the agent applies from a worker thread, each host call one
``executeInMainThreadWithResult``; between two of them Nuke's event loop runs whatever the
artist does. Here the main thread serves the worker's calls one at a time and, after every
one, the artist changes Write_comp.file as an undo step of their own. Every applied write
(the agent's five write tools and the helpers' Apply) must still be exactly one undo step
holding only its own change: the artist keeps each of their steps, and undoing the AI step
leaves the artist's edit alone.
"""

from __future__ import annotations

import threading
from typing import Any, Callable, Dict, List, Tuple

import pytest
from agent_hosts import EXAMPLE, make_backend
from test_agent_write_tools import WRITES

from nuke_ai_panel.agent import Proposal, ToolRegistry
from nuke_ai_panel.assist import actions
from nuke_ai_panel.assist.actions import SetExpression

ARTIST_NODE = "Write_comp"


def artist_edit(fake: Any, k: int) -> str:
    """What the artist does in Nuke's UI (main thread): one knob, one named undo step."""
    value = f"/tmp/artist_{k}.####.exr"
    fake.Undo.begin(f"Artist {k}")
    fake.toNode(ARTIST_NODE)["file"].setValue(value)
    fake.Undo.end()
    return value


def with_artist_between_calls(fake: Any, fn: Callable[..., Any], *args: Any,
                              artist: Callable[[Any, int], Any] = artist_edit
                              ) -> Tuple[Any, int]:
    """Run ``fn`` on a worker; serve its main-thread calls one by one and let the artist
    act after each (``artist(fake, k)``, the k-th time). Returns fn's value and how many
    times the artist acted."""
    box: Dict[str, Any] = {}

    def work() -> None:
        try:
            box["value"] = fn(*args)
        except BaseException as exc:  # re-raised on the test thread below
            box["error"] = exc

    worker = threading.Thread(target=work, name="agent-apply", daemon=True)
    worker.start()
    edits = 0
    for _ in range(4000):  # at most ~20 s of 5 ms waits; the apply needs a handful of calls
        if fake.process_events(limit=1):
            artist(fake, edits)
            edits += 1
        elif not worker.is_alive():
            break
        else:
            worker.join(0.005)
    else:
        pytest.fail("the apply did not finish")
    if "error" in box:
        raise box["error"]
    return box["value"], edits


def file_of(fake: Any) -> str:
    return fake.toNode(ARTIST_NODE)["file"].value()


def check_history(fake: Any, title: str, edits: int) -> None:
    """Each artist edit is its own step, the AI change one step named ``title``, and
    undoing back through the AI step touches only the AI's change."""
    names: List[str] = fake.host.undo_names()
    assert edits >= 1
    assert [n for n in names if n != title] == [f"Artist {k}" for k in range(edits)], names
    assert names.count(title) == 1, names
    while fake.Undo.undoDescribe(0) != title:
        fake.Undo.undo()
    before_ai_undo = file_of(fake)
    fake.Undo.undo()
    assert file_of(fake) == before_ai_undo  # the AI group held no artist edit


@pytest.mark.parametrize("tool", list(WRITES))
def test_each_agent_write_is_one_main_thread_undo_group(monkeypatch, tool):
    backend = make_backend("nuke", EXAMPLE.read_text(encoding="utf-8"), monkeypatch)
    fake = backend.fake
    args, title = WRITES[tool]
    registry = ToolRegistry(backend.host, "agent")
    proposal = backend.run(registry.call, tool, args)
    assert isinstance(proposal, Proposal)
    result, edits = with_artist_between_calls(fake, registry.apply, proposal)
    assert result.ok, result.text
    last = file_of(fake)
    report = backend.run(registry.undo_turn)  # the artist acted since: nothing of theirs undone
    assert not report.ok and report.undone == [] and report.left == [title]
    assert file_of(fake) == last == f"/tmp/artist_{edits - 1}.####.exr"
    check_history(fake, title, edits)


def test_undo_this_turn_undoes_the_ai_step_and_keeps_the_artist_edit_before_it(monkeypatch):
    backend = make_backend("nuke", EXAMPLE.read_text(encoding="utf-8"), monkeypatch)
    fake = backend.fake
    args, title = WRITES["set_knobs"]
    registry = ToolRegistry(backend.host, "agent")
    proposal = backend.run(registry.call, "set_knobs", args)
    before = fake.toNode("Grade_fg")["gamma"].toScript()
    result, edits = with_artist_between_calls(fake, registry.apply, proposal)
    assert result.ok, result.text
    while fake.Undo.undoDescribe(0) != title:  # the artist undoes their later edits by hand
        fake.Undo.undo()
    kept = file_of(fake)
    report = backend.run(registry.undo_turn)
    assert report.ok and report.undone == [title]
    assert fake.toNode("Grade_fg")["gamma"].toScript() == before and file_of(fake) == kept


def test_helpers_apply_is_one_main_thread_undo_group(monkeypatch):
    backend = make_backend("nuke", EXAMPLE.read_text(encoding="utf-8"), monkeypatch)
    fake = backend.fake
    action = SetExpression("AI: gamma expression", "Grade_fg", "gamma", "frame / 10")
    outcome, edits = with_artist_between_calls(fake, actions.apply, backend.host, action)
    assert outcome.ok, outcome
    assert fake.toNode("Grade_fg")["gamma"].toScript() == '{{"frame / 10"}}'
    check_history(fake, action.title, edits)
    assert outcome.recorded


def test_helpers_paste_names_only_its_own_nodes(monkeypatch):
    """The created/deleted lists are read inside the group: a node the artist makes
    between the calls is not reported as the paste's."""
    backend = make_backend("nuke", EXAMPLE.read_text(encoding="utf-8"), monkeypatch)
    fake = backend.fake
    registry = ToolRegistry(backend.host, "agent")
    proposal = backend.run(registry.call, "create_nodes", WRITES["create_nodes"][0])
    outcome, made = with_artist_between_calls(
        fake, actions.apply, backend.host, proposal.action,
        artist=lambda nuke, k: nuke.nodes.Dot(name=f"ArtistDot{k}"))
    assert made >= 1 and outcome.ok
    assert outcome.created == ["Blur_edge", "Grade1"] and outcome.deleted == []
    assert outcome.recorded
