"""NukeHost against the fake ``nuke``: main-thread marshalling, undo, copy/paste, run_python."""

from __future__ import annotations

import threading

import pytest
from fake_nuke import BlockingDialogError, FakeThreadError, MainThreadDeadlock

from nuke_ai_panel.graph.host import Host, HostError
from nuke_ai_panel.graph.nkscript import parse_script
from nuke_ai_panel.graph.nuke_host import NukeHost


@pytest.fixture
def setup(fake_nuke):
    fake, scripts = fake_nuke
    return fake, NukeHost()


def test_nuke_is_imported_lazily(setup):
    fake, host = setup
    assert isinstance(host, Host)
    assert host._nuke is None
    assert host.nuke is fake


def test_on_the_main_thread_calls_run_directly(setup, monkeypatch):
    fake, host = setup

    def forbidden(*_a, **_k):
        raise AssertionError("executeInMainThreadWithResult must not be used on the main thread")

    monkeypatch.setattr(fake, "executeInMainThreadWithResult", forbidden)
    names = [n.name for n in host.all_nodes()]
    assert names[:3] == ["Backdrop_key", "Note_key", "Read_plate"]
    assert fake.main_thread_calls == 0


def test_from_a_worker_every_call_is_marshalled(setup):
    fake, host = setup
    nodes = fake.run_in_worker(host.all_nodes)
    merge = next(n for n in nodes if n.name == "Merge_over")
    assert merge.inputs == ["Blur_bgDefocus", "Grade_fg"]
    info = fake.run_in_worker(host.root_info)
    assert (info["width"], info["height"], info["first_frame"], info["fps"]) == (1920, 1080, 1001, 24)
    assert info["colour"]["workingSpaceLUT"] == "ACES - ACEScg"
    assert fake.main_thread_calls == 2


def test_worker_errors_are_re_raised_not_swallowed(setup):
    fake, host = setup
    with pytest.raises(HostError, match="no node named Nope"):
        fake.run_in_worker(host.set_knob, "Nope", "size", 1)
    assert fake.swallowed == []


def test_the_fake_is_strict_about_threads(setup):
    fake, host = setup
    with pytest.raises(MainThreadDeadlock):
        fake.executeInMainThreadWithResult(lambda: None)
    with pytest.raises(FakeThreadError):
        fake.run_in_worker(fake.allNodes)

    def raises():
        raise ValueError("inside Nuke")

    assert fake.run_in_worker(fake.executeInMainThreadWithResult, raises) is None
    assert isinstance(fake.swallowed[-1], ValueError)


def test_host_from_a_worker_without_marshalling_would_be_caught(setup):
    fake, _ = setup
    careless = NukeHost(fake, is_main_thread=lambda: True)
    with pytest.raises(FakeThreadError):
        fake.run_in_worker(careless.all_nodes)


def test_select_and_selected_nodes(setup):
    fake, host = setup
    fake.run_in_worker(host.select, ["Grade_fg", "Read_bg"])
    assert [n.name for n in host.selected_nodes()] == ["Grade_fg", "Read_bg"]
    with pytest.raises(HostError):
        host.select(["Missing"])


def test_node_script_uses_node_copy_and_keeps_the_selection(setup):
    fake, host = setup
    host.select(["Read_bg"])
    text = fake.run_in_worker(host.node_script, ["Despill_green", "Copy_alpha"])
    snippet = parse_script(text, paste=True)
    assert [n.name for n in snippet.nodes] == ["Despill_green", "Copy_alpha"]
    assert snippet.node("Copy_alpha").inputs == ["Despill_green", None]
    assert text.startswith("set cut_paste_input [stack 0]")
    assert [n.name for n in host.selected_nodes()] == ["Read_bg"]


def test_node_script_inside_a_group(fake_nuke):
    from nk_data import read
    from fake_nuke import FakeNuke, FakeNukescripts

    fake = FakeNuke(read("log2shaper_toolset.nk"))
    host = NukeHost(fake, FakeNukescripts(fake))
    text = fake.run_in_worker(host.node_script, ["Log2Shaper.switch_direction"])
    assert [n.name for n in parse_script(text).nodes] == ["switch_direction"]


def test_paste_is_one_undo_step_and_wires_to_connect_to(setup):
    fake, host = setup
    created = fake.run_in_worker(host.paste_script, "Blur {\n size 6\n}\nGrade {\n name Grade_fg\n}\n", "Read_bg")
    assert created == ["Blur1", "Grade_fg1"]
    assert fake.toNode("Blur1").input(0).name() == "Read_bg"
    assert fake.toNode("Grade_fg1").input(0).name() == "Blur1"
    assert fake.Undo.undoSize() == 1 and fake.Undo.undoDescribe() == "Paste nodes"
    fake.Undo.undo()
    assert fake.toNode("Blur1") is None and fake.toNode("Grade_fg1") is None


def test_paste_without_connect_to_uses_the_selection(setup):
    fake, host = setup
    host.select(["Grade_final"])
    created = host.paste_script("Dot {}\n")
    assert created == ["Dot1"] and fake.toNode("Dot1").input(0).name() == "Grade_final"


def test_in_undo_group_is_one_main_thread_call_and_cancels_on_error(setup):
    fake, host = setup

    def work():
        host.paste_script("Blur {}\n", "Read_plate")
        host.set_knob("Blur1", "size", 12)
        host.set_knob("Grade_fg", "gamma", "parent.Blur1.size / 10", expression=True)
        return "built"

    calls = fake.main_thread_calls
    step = fake.run_in_worker(host.in_undo_group, "AI: build key", work)
    assert step == ("built", True) and fake.main_thread_calls == calls + 1
    assert fake.Undo.undoSize() == 1 and fake.Undo.undoDescribe() == "AI: build key"
    assert fake.toNode("Blur1")["size"].value() == 12
    assert fake.toNode("Grade_fg")["gamma"].toScript() == '{{"parent.Blur1.size / 10"}}'

    def broken():
        host.set_knob("Grade_fg", "white", 3)
        raise RuntimeError("model was wrong")

    with pytest.raises(RuntimeError, match="model was wrong"):
        fake.run_in_worker(host.in_undo_group, "AI: broken", broken)
    assert fake.Undo.undoSize() == 1
    assert fake.toNode("Grade_fg")["white"].value() == [1.04, 1, 0.97, 1]
    assert fake.run_in_worker(host.in_undo_group, "AI: nothing", lambda: None) == (None, False)
    assert fake.Undo.undoSize() == 1


def test_failed_code_inside_an_outer_group_cancels_the_whole_group(setup):
    fake, host = setup
    before = fake.host.to_text()

    def action():
        host.set_knob("Grade_fg", "gamma", 2)
        return host.run_python("import nuke\nnuke.nodes.Blur()\n1/0\n")

    result = fake.run_in_worker(host.in_undo_group, "AI: apply", action).value
    assert not result.ok and "ZeroDivisionError" in result.traceback
    assert fake.host.to_text() == before and fake.Undo.undoSize() == 0
    host.set_knob("Grade_fg", "gamma", 3)
    assert fake.Undo.undoSize() == 1


def test_nodes_in_error(setup):
    fake, host = setup
    assert fake.run_in_worker(host.nodes_in_error) == []
    fake.set_error("Merge_over", "channel mismatch")
    fake.set_error("Read_plate", "file missing")
    errors = {e.name: e for e in fake.run_in_worker(host.nodes_in_error)}
    assert set(errors) == {"Merge_over", "Read_plate"}
    assert errors["Read_plate"].error.startswith("file not found: /jobs/demo/")
    assert errors["Merge_over"].node_class == "Merge2"


def test_run_python_makes_dialogs_non_blocking_then_restores_them(setup):
    fake, host = setup
    code = (
        "import nuke\n"
        "answer = nuke.ask('Really delete?')\n"
        "name = nuke.getInput('Name', 'Grade_new')\n"
        "nuke.message('about to rename')\n"
        "nuke.toNode('Grade_fg').setName(name)\n"
        "print('answer', answer)\n"
    )
    ok, output, tb = fake.run_in_worker(host.run_python, code)
    assert ok, tb
    assert "[nuke.ask] 'Really delete?' -> answered No" in output
    assert "[nuke.message] about to rename" in output
    assert "answer False" in output
    assert fake.toNode("Grade_new") is not None
    assert fake.dialog_calls == []
    assert fake.Undo.undoDescribe() == "Run Python"
    with pytest.raises(BlockingDialogError):
        fake.message("real dialogs are back")


def test_run_python_exception_cancels_its_undo_group(setup):
    fake, host = setup
    before = fake.host.to_text()
    code = "import nuke\nnuke.nodes.Blur()\nnuke.toNode('Grade_fg')['gamma'].setValue(4)\nraise KeyError('missing')\n"
    ok, output, tb = fake.run_in_worker(host.run_python, code)
    assert not ok
    assert 'File "<model code>", line 4' in tb and "KeyError: 'missing'" in tb
    assert fake.host.to_text() == before and fake.Undo.undoSize() == 0
    with pytest.raises(BlockingDialogError):
        fake.ask("restored?")


def test_run_python_on_the_main_thread_too(setup):
    fake, host = setup
    ok, output, _ = host.run_python("print('main')\n")
    assert ok and output == "main\n" and fake.main_thread_calls == 0


def test_old_undo_api_without_a_name_argument(setup, monkeypatch):
    fake, host = setup
    original = fake.Undo
    calls = []

    class OldUndo(original):
        def begin(self, *args):
            if args:
                raise TypeError("begin() takes no arguments")
            calls.append("begin")
            original.begin()

        def name(self, name):
            calls.append(("name", name))
            original.name(name)

    monkeypatch.setattr(fake, "Undo", OldUndo)
    host.set_knob("Grade_fg", "gamma", 1.5)
    assert calls == ["begin", ("name", "Set gamma")]
    assert original.undoDescribe() == "Set gamma"


def test_fake_start_up_api_for_menu_py(setup):
    fake, _ = setup
    import nuke
    import nukescripts

    menu = nuke.menu("Nuke").addMenu("AI")
    menu.addCommand("Open Panel", "print('x')", "ctrl+shift+a", icon="ai.png")
    nuke.menu("Nuke").addCommand("AI/Settings...", lambda: None)
    assert fake.menus["Nuke"].findItem("AI/Open Panel")["shortcut"] == "ctrl+shift+a"
    assert fake.menus["Nuke"].menus["AI"].command_names() == ["Open Panel", "Settings..."]
    closed = []
    nuke.addOnScriptClose(closed.append, args=("closing",))
    fake.fire("OnScriptClose")
    assert closed == ["closing"]
    entry = nukescripts.panels.registerWidgetAsPanel("pkg.Panel", "AI Assistant", "uk.ai.panel")
    assert entry["id"] == "uk.ai.panel" and nuke.env["gui"] is True
    assert threading.current_thread() is threading.main_thread()


# -- evaluating an expression for the /expr preview -------------------------------------


@pytest.mark.parametrize("modified", [False, True])
def test_nuke_evaluates_an_expression_and_leaves_no_trace(setup, modified):
    fake, host = setup
    fake.script_modified = modified
    before, undo = fake.host.to_text(), host.undo_names()
    values = host.evaluate_expression("Blur_bgDefocus", "size", "frame / 100 + Grade_fg.gamma",
                                      [1001, 1100])
    assert values == pytest.approx([10.97, 11.96])
    assert fake.host.to_text() == before, "the knob is put back exactly"
    assert host.undo_names() == undo, "undo was off while the expression was tried"
    assert fake.script_modified is modified, "the modified flag is restored"
    assert fake.undo_enabled


def test_nuke_evaluates_one_channel(setup):
    fake, host = setup
    before = fake.host.to_text()
    assert host.evaluate_expression("Grade_fg", "white.g", "frame * 2", [1, 2]) == [2, 4]
    assert fake.host.to_text() == before


def test_evaluating_from_a_worker_is_marshalled(setup):
    fake, host = setup
    values = fake.run_in_worker(host.evaluate_expression, "Blur_bgDefocus", "size", "frame", [5])
    assert values == [5]


def test_a_knob_that_is_not_there_is_a_host_error(setup):
    fake, host = setup
    with pytest.raises(HostError, match="Blur_bgDefocus.nope does not hold a number"):
        host.evaluate_expression("Blur_bgDefocus", "nope", "frame", [1])
