"""init.py and menu.py run the way Nuke runs them, against tests/fake_nuke.

Nuke executes every init.py (GUI and ``nuke -t``) and then, in the GUI only, every menu.py on
its plugin path; an exception there can stop it from starting. So: they never raise, whatever
fails; start-up imports neither Qt widgets nor aiohttp (checked in a clean interpreter); the
menu, its hotkey and the panel registration are what artists and saved workspaces rely on.
"""

from __future__ import annotations

import json
import os
import shutil
import struct
import subprocess
import sys
import types
from pathlib import Path
from typing import Any, Callable, Dict, List, Tuple

import pytest

from tests import fake_nuke
from tests.fake_nuke import FakeMenu, FakeNuke, FakeNukescripts

ROOT = Path(__file__).resolve().parents[2]
INTEGRATION = "src.ui.nuke_integration"
PANEL_ID = "uk.co.nukeaipanel.ChatPanel"
MENU_ITEMS = ["Open Panel", "Settings...", "Explain Selected", "Build Nodes...", "Fix Errors",
              "Write Script...", "Write Expression...", "Open Log Folder", "About"]
HEAVY_PACKAGES = {"Qt", "PySide2", "PySide6", "shiboken2", "shiboken6", "aiohttp", "keyring"}
HEAVY_MODULES = {"nuke_ai_panel.worker", "nuke_ai_panel.client", "src.ui.chat_panel"}


def run_startup(path: Path, with_file: bool = True) -> Dict[str, Any]:
    """Execute a start-up file as Nuke does: compiled with its path, in a __main__ namespace."""
    namespace: Dict[str, Any] = {"__name__": "__main__"}
    if with_file:
        namespace["__file__"] = str(path)
    exec(compile(path.read_text(encoding="utf-8"), str(path), "exec"), namespace)
    return namespace


def leftovers(namespace: Dict[str, Any]) -> List[str]:
    return sorted(set(namespace) - {"__name__", "__file__", "__builtins__"})


@pytest.fixture
def fake(monkeypatch: pytest.MonkeyPatch) -> Tuple[FakeNuke, FakeNukescripts]:
    nuke, scripts = fake_nuke.install(monkeypatch)
    monkeypatch.delenv("NUKE_AI_PANEL_HOTKEY", raising=False)
    monkeypatch.delenv("NUKE_AI_PANEL_DEPS", raising=False)
    return nuke, scripts


def ai_menu(nuke: FakeNuke) -> FakeMenu:
    menu = nuke.menus["Nuke"].findItem("AI Assistant")
    assert isinstance(menu, FakeMenu)
    return menu


def command(nuke: FakeNuke, label: str) -> Callable[[], None]:
    item = ai_menu(nuke).findItem(label)
    assert item is not None, label
    return item["command"]


@pytest.fixture
def stub_integration(monkeypatch: pytest.MonkeyPatch) -> types.ModuleType:
    """A stand-in for src.ui.nuke_integration that records what the menu asks of it."""
    module = types.ModuleType(INTEGRATION)
    module.calls = []
    module.missing = []
    module.WIDGET_FACTORY = "stub_factory"
    module.PANEL_TITLE = "AI Assistant"
    module.PANEL_ID = PANEL_ID
    module.missing_dependencies = lambda: list(module.missing)
    module.install_hint = lambda missing: "install hint for " + ", ".join(missing)
    module.about_text = lambda: "about text"
    for name in ("show_panel", "open_settings", "open_log_folder"):
        setattr(module, name, lambda name=name: module.calls.append((name,)))
    module.run_helper = lambda helper: module.calls.append(("run_helper", helper))
    monkeypatch.setitem(sys.modules, INTEGRATION, module)
    return module


# -- init.py -----------------------------------------------------------------------------------


def plugin_copy(tmp_path: Path) -> Path:
    plugin = tmp_path / "plugin"
    plugin.mkdir()
    shutil.copy(ROOT / "init.py", plugin / "init.py")
    return plugin


def this_python_deps(root: Path) -> Path:
    return root / "py{}.{}".format(*sys.version_info[:2])


@pytest.mark.parametrize("with_file", [True, False], ids=["__file__", "no __file__"])
def test_init_appends_this_pythons_deps_folder(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                               fake: Any, with_file: bool) -> None:
    """Appended, so packages Nuke or the studio already provide keep winning; never twice."""
    plugin = plugin_copy(tmp_path)
    deps = this_python_deps(plugin / "deps")
    deps.mkdir(parents=True)
    (plugin / "deps" / "py2.7").mkdir()
    monkeypatch.setattr(sys, "path", ["elsewhere", "studio"])
    namespace = run_startup(plugin / "init.py", with_file)
    assert sys.path == ["elsewhere", "studio", str(deps)]
    assert leftovers(namespace) == []
    run_startup(plugin / "init.py", with_file)
    assert sys.path == ["elsewhere", "studio", str(deps)]


def test_init_without_deps_folder_changes_nothing(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                  capfd: pytest.CaptureFixture, fake: Any) -> None:
    plugin = plugin_copy(tmp_path)
    monkeypatch.setattr(sys, "path", ["a", "b"])
    run_startup(plugin / "init.py")
    assert sys.path == ["a", "b"]
    assert capfd.readouterr() == ("", "")


def test_init_honours_a_studio_deps_root(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                         fake: Any) -> None:
    plugin = plugin_copy(tmp_path)
    (this_python_deps(plugin / "deps")).mkdir(parents=True)
    studio = this_python_deps(tmp_path / "studio")
    studio.mkdir(parents=True)
    monkeypatch.setenv("NUKE_AI_PANEL_DEPS", str(tmp_path / "studio"))
    monkeypatch.setattr(sys, "path", ["a"])
    run_startup(plugin / "init.py")
    assert sys.path == ["a", str(studio)]


def test_init_never_raises(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                           capfd: pytest.CaptureFixture, fake: Any) -> None:
    plugin = plugin_copy(tmp_path)

    def broken(_path: Any) -> bool:
        raise PermissionError("network share went away")

    monkeypatch.setattr(os.path, "isdir", broken)
    namespace = run_startup(plugin / "init.py")
    err = capfd.readouterr().err
    assert err.count("\n") == 1 and "network share went away" in err
    assert "install_nuke.py" in err
    assert leftovers(namespace) == []


def test_init_in_terminal_mode_is_the_same(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                           fake: Tuple[FakeNuke, Any]) -> None:
    fake[0].env["gui"] = False
    plugin = plugin_copy(tmp_path)
    deps = this_python_deps(plugin / "deps")
    deps.mkdir(parents=True)
    monkeypatch.setattr(sys, "path", [])
    run_startup(plugin / "init.py")
    assert sys.path == [str(deps)]
    assert fake[0].menus == {}


# -- menu.py -----------------------------------------------------------------------------------


def test_menu_items_hotkey_and_icons(fake: Tuple[FakeNuke, FakeNukescripts]) -> None:
    nuke, _scripts = fake
    namespace = run_startup(ROOT / "menu.py")
    menu = ai_menu(nuke)
    assert menu.command_names() == MENU_ITEMS
    assert [leaf for leaf, _ in menu.items].count("-") == 2
    open_panel = menu.findItem("Open Panel")
    assert open_panel["shortcut"] == "ctrl+alt+shift+a"
    assert Path(open_panel["icon"]).is_file()
    assert all(callable(menu.findItem(name)["command"]) for name in MENU_ITEMS)
    toolbar = nuke.menus["toolbar:Nodes"].findItem("AI Assistant")
    assert toolbar["command"] is open_panel["command"] and Path(toolbar["icon"]).is_file()
    assert leftovers(namespace) == []


def test_hotkey_can_be_changed_or_removed(fake: Tuple[FakeNuke, Any],
                                          monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("NUKE_AI_PANEL_HOTKEY", "F8")
    run_startup(ROOT / "menu.py")
    assert ai_menu(fake[0]).findItem("Open Panel")["shortcut"] == "F8"
    monkeypatch.setenv("NUKE_AI_PANEL_HOTKEY", "")
    nuke, _ = fake_nuke.install(monkeypatch)
    run_startup(ROOT / "menu.py")
    assert ai_menu(nuke).findItem("Open Panel")["shortcut"] == ""


def test_panel_registered_under_the_stable_id(fake: Tuple[FakeNuke, FakeNukescripts]) -> None:
    _nuke, scripts = fake
    run_startup(ROOT / "menu.py")
    [entry] = scripts.panels.registered
    assert entry["id"] == PANEL_ID and entry["name"] == "AI Assistant"
    assert not entry["create"]
    from src.ui import nuke_integration

    assert entry["widget"] == nuke_integration.WIDGET_FACTORY
    assert "__import__('src.ui.nuke_integration'" in entry["widget"]


def test_terminal_mode_menu_does_nothing(fake: Tuple[FakeNuke, FakeNukescripts],
                                         capfd: pytest.CaptureFixture,
                                         monkeypatch: pytest.MonkeyPatch) -> None:
    nuke, scripts = fake
    nuke.env["gui"] = False
    hooks: List[Any] = []
    monkeypatch.setattr("atexit.register", hooks.append)
    namespace = run_startup(ROOT / "menu.py")
    assert nuke.menus == {} and scripts.panels.registered == [] and hooks == []
    assert capfd.readouterr() == ("", "")
    assert leftovers(namespace) == []


def test_registration_failure_is_reported_not_raised(fake: Tuple[FakeNuke, FakeNukescripts],
                                                     capfd: pytest.CaptureFixture) -> None:
    nuke, scripts = fake

    def refuse(*_args: Any, **_kwargs: Any) -> None:
        raise RuntimeError("panels are broken")

    scripts.panels.registerWidgetAsPanel = refuse
    run_startup(ROOT / "menu.py")
    assert ai_menu(nuke).command_names() == MENU_ITEMS
    err = capfd.readouterr().err
    assert "registering the panel failed: panels are broken" in err
    assert nuke.dialog_calls == []


def test_broken_integration_import(fake: Tuple[FakeNuke, FakeNukescripts],
                                   monkeypatch: pytest.MonkeyPatch,
                                   capfd: pytest.CaptureFixture) -> None:
    nuke, scripts = fake
    monkeypatch.setitem(sys.modules, INTEGRATION, None)
    run_startup(ROOT / "menu.py")
    assert ai_menu(nuke).command_names() == MENU_ITEMS
    assert scripts.panels.registered == []
    assert "registering the panel failed" in capfd.readouterr().err
    assert nuke.dialog_calls == []
    with nuke.allow_dialogs(message=None):
        command(nuke, "Open Panel")()
    [(kind, (text,))] = nuke.dialog_calls
    assert kind == "message" and "opening the panel failed" in text


def test_menu_failure_still_registers(fake: Tuple[FakeNuke, FakeNukescripts],
                                      monkeypatch: pytest.MonkeyPatch,
                                      capfd: pytest.CaptureFixture) -> None:
    nuke, scripts = fake

    def no_menu(name: str) -> None:
        raise RuntimeError("no menu bar")

    monkeypatch.setattr(nuke, "menu", no_menu)
    run_startup(ROOT / "menu.py")
    assert [e["id"] for e in scripts.panels.registered] == [PANEL_ID]
    assert "building the menu failed: no menu bar" in capfd.readouterr().err


def test_menu_without_nuke_does_not_raise(monkeypatch: pytest.MonkeyPatch,
                                          capfd: pytest.CaptureFixture) -> None:
    monkeypatch.setitem(sys.modules, "nuke", None)
    namespace = run_startup(ROOT / "menu.py")
    assert "menu.py failed" in capfd.readouterr().err
    assert leftovers(namespace) == []


def test_menu_callbacks_call_the_integration(fake: Tuple[FakeNuke, Any],
                                             stub_integration: types.ModuleType) -> None:
    nuke, scripts = fake
    run_startup(ROOT / "menu.py")
    assert scripts.panels.registered[0]["widget"] == "stub_factory"
    for label in MENU_ITEMS:
        with nuke.allow_dialogs(message=None):
            command(nuke, label)()
    assert stub_integration.calls == [
        ("show_panel",), ("open_settings",), ("run_helper", "explain"), ("run_helper", "build"),
        ("run_helper", "fix"), ("run_helper", "script"), ("run_helper", "expression"),
        ("open_log_folder",)]
    assert nuke.dialog_calls == [("message", ("about text",))]
    nuke.menus["toolbar:Nodes"].findItem("AI Assistant")["command"]()
    assert stub_integration.calls[-1] == ("show_panel",)


def test_missing_dependencies_say_how_to_install(fake: Tuple[FakeNuke, Any],
                                                 stub_integration: types.ModuleType) -> None:
    nuke, _ = fake
    stub_integration.missing = ["aiohttp", "keyring"]
    run_startup(ROOT / "menu.py")
    with nuke.allow_dialogs(message=None):
        command(nuke, "Explain Selected")()
        command(nuke, "Open Log Folder")()
    assert nuke.dialog_calls == [("message", ("install hint for aiohttp, keyring",))]
    assert stub_integration.calls == [("open_log_folder",)]


def test_failing_action_is_reported(fake: Tuple[FakeNuke, Any], stub_integration: Any,
                                    capfd: pytest.CaptureFixture) -> None:
    nuke, _ = fake

    def explode() -> None:
        raise RuntimeError("pane is gone")

    stub_integration.show_panel = explode
    run_startup(ROOT / "menu.py")
    with nuke.allow_dialogs(message=None):
        command(nuke, "Open Panel")()
    assert nuke.dialog_calls == [
        ("message", ("Nuke AI Panel: opening the panel failed:\npane is gone",))]
    assert "Traceback" in capfd.readouterr().err
    command(nuke, "Open Panel")()  # nuke.message itself failing is swallowed too


def test_exit_hook_stops_the_worker_only_if_it_started(fake: Any,
                                                       monkeypatch: pytest.MonkeyPatch) -> None:
    hooks: List[Callable[[], None]] = []
    monkeypatch.setattr("atexit.register", hooks.append)
    run_startup(ROOT / "menu.py")
    [hook] = hooks
    stopped: List[float] = []
    worker = types.ModuleType("nuke_ai_panel.worker")
    worker.shutdown_default_worker = stopped.append
    monkeypatch.setitem(sys.modules, "nuke_ai_panel.worker", worker)
    hook()
    assert stopped == [1.0]
    monkeypatch.delitem(sys.modules, "nuke_ai_panel.worker")
    hook()
    assert "nuke_ai_panel.worker" not in sys.modules and stopped == [1.0]


_CLEAN_START = r"""
import atexit, json, sys
sys.path.insert(0, sys.argv[1])
from tests.fake_nuke import FakeNuke, FakeNukescripts
fake = FakeNuke()
scripts = FakeNukescripts(fake)
sys.modules.update({"nuke": fake, "nukescripts": scripts, "nukescripts.panels": scripts.panels})
hooks = []
atexit.register = hooks.append
for name in ("init.py", "menu.py"):
    path = sys.argv[1] + "/" + name
    exec(compile(open(path).read(), path, "exec"), {"__name__": "__main__"})
for hook in hooks:
    hook()
print(json.dumps({"modules": sorted(sys.modules),
                  "hooks": [h.__qualname__ for h in hooks if "nuke_ai_panel" in h.__qualname__],
                  "items": fake.menus["Nuke"].findItem("AI Assistant").command_names(),
                  "registered": [e["id"] for e in scripts.panels.registered]}))
"""


def test_start_up_loads_no_qt_and_no_network_stack() -> None:
    """In a fresh interpreter: init.py + menu.py + the exit hook import nothing heavy."""
    done = subprocess.run([sys.executable, "-c", _CLEAN_START, str(ROOT)], cwd=str(ROOT),
                          stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                          universal_newlines=True, timeout=60)
    assert done.returncode == 0, done.stderr
    assert done.stderr == ""
    result = json.loads(done.stdout)
    assert result["items"] == MENU_ITEMS and result["registered"] == [PANEL_ID]
    assert result["hooks"] == ["_nuke_ai_panel_menu.<locals>.shutdown_worker"]
    heavy = [m for m in result["modules"]
             if m in HEAVY_MODULES or m.split(".")[0] in HEAVY_PACKAGES]
    assert heavy == []


# -- the light half of the integration module (no Qt needed) ------------------------------------


@pytest.fixture
def integration(fake: Any, monkeypatch: pytest.MonkeyPatch) -> Any:
    from src.ui import nuke_integration

    monkeypatch.setattr(nuke_integration, "_host", None)
    return nuke_integration


def test_missing_dependencies_are_found_without_importing(integration: Any,
                                                          monkeypatch: pytest.MonkeyPatch) -> None:
    import importlib.util

    real = importlib.util.find_spec
    monkeypatch.setattr(importlib.util, "find_spec",
                        lambda name, *a: None if name == "aiohttp" else real(name, *a))
    assert integration.missing_dependencies() == ["aiohttp"]


def test_install_hint_names_the_command_for_this_nuke(integration: Any,
                                                      fake: Tuple[FakeNuke, Any]) -> None:
    fake[0].env["ExecutablePath"] = "/usr/local/Nuke15.1v1/Nuke15.1"
    hint = integration.install_hint(["aiohttp"])
    assert str(ROOT / "scripts" / "install_nuke.py") in hint
    assert '--nuke "/usr/local/Nuke15.1v1"' in hint
    assert "aiohttp" in hint and "py{}.{}".format(*sys.version_info[:2]) in hint


@pytest.mark.skipif(os.sep != "/", reason="a POSIX path")
def test_install_dir_of_a_mac_nuke(integration: Any, fake: Tuple[FakeNuke, Any]) -> None:
    app = "/Applications/Nuke15.1v1/Nuke15.1v1.app"
    fake[0].env["ExecutablePath"] = app + "/Contents/MacOS/Nuke15.1"
    assert integration.nuke_install_dir() == "/Applications/Nuke15.1v1"


def test_deps_dir_follows_init_py(integration: Any, monkeypatch: pytest.MonkeyPatch,
                                  tmp_path: Path) -> None:
    assert integration.deps_dir() == this_python_deps(ROOT / "deps")
    monkeypatch.setenv("NUKE_AI_PANEL_DEPS", str(tmp_path))
    assert integration.deps_dir() == this_python_deps(tmp_path)


def test_about_text(integration: Any) -> None:
    text = integration.about_text()
    assert "Nuke AI Panel 0." in text and str(ROOT) in text


def png_size(path: Path) -> Tuple[int, int]:
    data = path.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    return struct.unpack(">II", data[16:24])


def test_icons_exist_at_every_size(integration: Any) -> None:
    assert (ROOT / "icons" / "nuke_ai_panel.svg").is_file()
    for size in (16, 24, 32):
        assert png_size(Path(integration.icon_path(size))) == (size, size)
    assert integration.icon_path(20).endswith("_24.png")
