"""scripts/install_nuke.py, run for real.

Plain Pythons 3.9, 3.10 and 3.11 stand in for the interpreters of Nuke 14, 15 and 16. By
default each leg of scripts/test.sh installs for its own Python version (so the whole run
covers all three); NUKE_AI_PANEL_INSTALLER_TARGETS=3.9,3.10,3.11 tries them all from one leg.
The installs are offline, from the wheel cache named by NUKE_AI_PANEL_WHEELHOUSE (test.sh fills
it with `pip download`), with pip's own configuration and environment switched off, so these
tests never reach the network; without that variable they are skipped.
"""

from __future__ import annotations

import importlib.util
import json
import os
import re
import shutil
import subprocess
import sys
import venv
from pathlib import Path
from typing import Any, Dict, List, Optional

import pytest

ROOT = Path(__file__).resolve().parents[2]
WHEELHOUSE_ENV = "NUKE_AI_PANEL_WHEELHOUSE"
THIS_VERSION = "{}.{}".format(*sys.version_info[:2])
TARGETS = [v.strip() for v in os.environ.get("NUKE_AI_PANEL_INSTALLER_TARGETS", "").split(",")
           if v.strip()] or [THIS_VERSION]
INSTALL_TIMEOUT = 300
posix_only = pytest.mark.skipif(os.name != "posix", reason="uses POSIX shell scripts")


def load_installer() -> Any:
    spec = importlib.util.spec_from_file_location("install_nuke_under_test",
                                                  ROOT / "scripts" / "install_nuke.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def python_for(version: str) -> Optional[Path]:
    """A plain interpreter of exactly this version (not a virtualenv with the test deps)."""
    candidates = []
    if version == THIS_VERSION:
        candidates += [Path(sys.base_prefix) / "bin" / f"python{version}",
                       Path(sys.base_prefix) / "python.exe"]
    if shutil.which("pyenv"):
        done = subprocess.run(["pyenv", "prefix", version], stdout=subprocess.PIPE,
                              stderr=subprocess.DEVNULL, universal_newlines=True, timeout=30)
        if done.returncode == 0 and done.stdout.strip():
            candidates.append(Path(done.stdout.split()[0]) / "bin" / f"python{version}")
    found = shutil.which(f"python{version}")
    if found:
        candidates.append(Path(found))
    for candidate in candidates:
        if candidate.is_file() and version_of(candidate) == version:
            return candidate
    return None


@pytest.fixture(params=TARGETS, ids=lambda v: f"py{v}")
def target(request: pytest.FixtureRequest) -> Path:
    python = python_for(request.param)
    if python is None:
        pytest.fail(f"no Python {request.param} found (pyenv install {request.param})",
                    pytrace=False)
    return python


@pytest.fixture(scope="module")
def wheelhouse() -> Path:
    value = os.environ.get(WHEELHOUSE_ENV, "")
    if not value:
        pytest.skip(f"{WHEELHOUSE_ENV} is not set: these tests install offline from a wheel "
                    "cache that scripts/test.sh fills with `pip download -r requirements.txt`")
    path = Path(value)
    if not any(path.glob("aiohttp-*.whl")):
        pytest.fail(f"{WHEELHOUSE_ENV}={value} holds no aiohttp wheel", pytrace=False)
    return path


def offline_env() -> Dict[str, str]:
    """No pip configuration, index or cache from the machine: only what the test passes."""
    env = {k: v for k, v in os.environ.items()
           if not k.startswith(("PIP_", "NUKE_AI_PANEL_DEPS", "PYTHON"))}
    env.update(PIP_CONFIG_FILE=os.devnull, PIP_NO_CACHE_DIR="1", PIP_PROGRESS_BAR="off")
    return env


def make_plugin(tmp_path: Path) -> Path:
    """The plugin as an artist unpacks it (the core linked in, to keep it quick)."""
    plugin = tmp_path / "plugin"
    (plugin / "scripts").mkdir(parents=True)
    for name in ("init.py", "menu.py", "requirements.txt"):
        shutil.copy(ROOT / name, plugin / name)
    shutil.copy(ROOT / "scripts" / "install_nuke.py", plugin / "scripts" / "install_nuke.py")
    try:
        os.symlink(ROOT / "nuke_ai_panel", plugin / "nuke_ai_panel", target_is_directory=True)
    except OSError:
        shutil.copytree(ROOT / "nuke_ai_panel", plugin / "nuke_ai_panel")
    return plugin


def run_installer(plugin: Path, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, str(plugin / "scripts" / "install_nuke.py"), *args],
                          stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                          stderr=subprocess.PIPE, universal_newlines=True, env=offline_env(),
                          timeout=INSTALL_TIMEOUT)


def offline(wheelhouse: Path) -> List[str]:
    return ["--no-index", "--find-links", str(wheelhouse)]


_AS_NUKE_DOES = r"""
import json, os, sys
plugin = sys.argv[1]
sys.path.insert(0, plugin)
init = os.path.join(plugin, "init.py")
exec(compile(open(init).read(), init, "exec"), {"__name__": "__main__"})
import aiohttp, keyring, markdown_it, mdurl, nuke_ai_panel, PIL, pygments
print(json.dumps({m.__name__: m.__file__ for m in (aiohttp, keyring, markdown_it, mdurl,
                                                    nuke_ai_panel, PIL, pygments)}))
"""


def import_as_nuke_does(python: Path, plugin: Path, deps_root: Optional[Path] = None
                        ) -> Dict[str, str]:
    """The target imports the packages with only what init.py puts on sys.path."""
    env = offline_env()
    if deps_root is not None:
        env["NUKE_AI_PANEL_DEPS"] = str(deps_root)
    done = subprocess.run([str(python), "-I", "-c", _AS_NUKE_DOES, str(plugin)],
                          stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                          universal_newlines=True, env=env, timeout=120)
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout)


def dist_infos(folder: Path) -> List[str]:
    """Project names of the installed dist-info folders, normalised."""
    return sorted(re.sub(r"[-_.]+", "-", d.name[:-len(".dist-info")].rsplit("-", 1)[0]).lower()
                  for d in folder.glob("*.dist-info"))


def version_of(python: Path) -> str:
    """X.Y of an interpreter, or "" when it does not run."""
    done = subprocess.run([str(python), "-c", "import sys; print('%d.%d' % sys.version_info[:2])"],
                          stdout=subprocess.PIPE, stderr=subprocess.DEVNULL,
                          universal_newlines=True, timeout=30)
    return done.stdout.strip() if done.returncode == 0 else ""


# -- real installs -------------------------------------------------------------------------------


@pytest.mark.timeout(INSTALL_TIMEOUT * 2)
def test_install_import_and_upgrade_in_place(tmp_path: Path, target: Path,
                                             wheelhouse: Path) -> None:
    plugin = make_plugin(tmp_path)
    nuke_dir = tmp_path / "Nuke15.1v1"
    nuke_dir.mkdir()
    (nuke_dir / "python3").symlink_to(target)
    version = version_of(target)
    deps = plugin / "deps" / f"py{version}"

    first = run_installer(plugin, "--nuke", str(nuke_dir), *offline(wheelhouse))
    assert first.returncode == 0, first.stdout + first.stderr
    steps = [line.split(":")[0] for line in first.stdout.splitlines() if line.startswith("[")]
    assert steps == ["[1/3] checking interpreter", "[2/3] installing", "[3/3] verifying"]
    assert f'nuke.pluginAddPath("{plugin.as_posix()}")' in first.stdout
    assert f"delete {deps}" in first.stdout

    files = import_as_nuke_does(target, plugin)
    assert Path(files["aiohttp"]).is_relative_to(deps)
    assert Path(files["keyring"]).is_relative_to(deps)
    assert Path(files["PIL"]).is_relative_to(deps)
    # the transcript's Markdown and colours (Pygments may be the target's own: it comes first)
    assert Path(files["markdown_it"]).is_relative_to(deps)
    assert Path(files["mdurl"]).is_relative_to(deps) and files["pygments"]
    assert files["nuke_ai_panel"].startswith(str(plugin))

    (deps / "aiohttp-0.0.1.dist-info").mkdir()
    (deps / "stale_module.py").write_text("", encoding="utf-8")
    second = run_installer(plugin, "--python", str(target), *offline(wheelhouse))
    assert second.returncode == 0, second.stdout + second.stderr
    names = dist_infos(deps)
    assert len(names) == len(set(names)), names
    assert {"aiohttp", "keyring", "pillow", "qt-py", "markdown-it-py", "mdurl",
            "pygments"} <= set(names)
    assert (deps / "aiohttp-3.13.5.dist-info").is_dir()
    assert not (deps / "stale_module.py").exists()
    assert sorted(p.name for p in (plugin / "deps").iterdir()) == [f"py{version}"]
    assert str(deps) in import_as_nuke_does(target, plugin)["aiohttp"]


@pytest.mark.timeout(INSTALL_TIMEOUT)
def test_target_without_pip(tmp_path: Path, target: Path, wheelhouse: Path) -> None:
    """Nuke's Python may lack pip: this Python's pip is run by the target instead."""
    plugin = make_plugin(tmp_path)
    bare = tmp_path / "bare"
    subprocess.run([str(target), "-m", "venv", "--without-pip", str(bare)], check=True,
                   timeout=120)
    python = bare / "bin" / "python"
    studio = tmp_path / "studio deps"
    done = run_installer(plugin, "--python", str(python), "--deps-dir", str(studio),
                         *offline(wheelhouse))
    assert done.returncode == 0, done.stdout + done.stderr
    assert "no pip of its own" in done.stdout and "run by the target" in done.stdout
    assert f"NUKE_AI_PANEL_DEPS={studio.as_posix()}" in done.stdout
    assert not (plugin / "deps").exists()
    files = import_as_nuke_does(python, plugin, deps_root=studio)
    assert str(studio / f"py{version_of(python)}") in files["aiohttp"]


@pytest.mark.timeout(INSTALL_TIMEOUT)
def test_last_resort_installs_for_the_target_platform(tmp_path: Path, wheelhouse: Path,
                                                      monkeypatch: pytest.MonkeyPatch,
                                                      capsys: pytest.CaptureFixture) -> None:
    """When pip cannot run in the target at all: --python-version/--platform from here."""
    installer = load_installer()
    monkeypatch.setattr(installer, "_borrowed_pip", lambda python: None)
    bare = tmp_path / "bare"
    venv.EnvBuilder(with_pip=False).create(str(bare))
    python = bare / "bin" / "python"
    for name in list(os.environ):
        if name.startswith("PIP_"):
            monkeypatch.delenv(name)
    monkeypatch.setenv("PIP_CONFIG_FILE", os.devnull)
    code = installer.main(["--python", str(python), "--deps-dir", str(tmp_path / "deps"),
                           *offline(wheelhouse)])
    out = capsys.readouterr().out
    assert code == 0, out
    assert "for the target's platform" in out
    assert (tmp_path / "deps" / f"py{THIS_VERSION}" / "aiohttp").is_dir()


# -- failures ------------------------------------------------------------------------------------


@pytest.mark.timeout(INSTALL_TIMEOUT)
def test_failed_install_keeps_the_previous_one(tmp_path: Path) -> None:
    plugin = make_plugin(tmp_path)
    python = python_for(THIS_VERSION)
    assert python is not None
    deps = plugin / "deps" / f"py{THIS_VERSION}"
    deps.mkdir(parents=True)
    (deps / "previous.txt").write_text("still here", encoding="utf-8")
    empty = tmp_path / "no wheels"
    empty.mkdir()
    done = run_installer(plugin, "--python", str(python), "--no-index", "--find-links", str(empty))
    assert done.returncode == 1, done.stdout + done.stderr
    assert "  | " in done.stderr and "No matching distribution" in done.stderr
    assert "error: pip failed" in done.stderr
    assert (deps / "previous.txt").read_text(encoding="utf-8") == "still here"
    assert sorted(p.name for p in deps.parent.iterdir()) == [f"py{THIS_VERSION}"]


@pytest.mark.timeout(INSTALL_TIMEOUT)
def test_failed_first_install_leaves_nothing(tmp_path: Path) -> None:
    plugin = make_plugin(tmp_path)
    python = python_for(THIS_VERSION)
    assert python is not None
    empty = tmp_path / "no wheels"
    empty.mkdir()
    done = run_installer(plugin, "--python", str(python), "--no-index", "--find-links", str(empty))
    assert done.returncode == 1
    assert not (plugin / "deps").exists()


def fake_python(path: Path, body: str) -> Path:
    path.write_text("#!/bin/sh\n" + body + "\n", encoding="utf-8")
    path.chmod(0o755)
    return path


@posix_only
@pytest.mark.parametrize("case, message", [
    ("missing", "does not exist"),
    ("folder", "is a folder"),
    ("not python", "is not a working Python interpreter"),
    ("python 3.7", "needs Python 3.9 or later"),
    ("missing nuke", "does not exist"),
    ("empty nuke", "no Python found in"),
])
def test_usage_errors_exit_2(tmp_path: Path, case: str, message: str) -> None:
    plugin = make_plugin(tmp_path)
    folder = tmp_path / "case"
    folder.mkdir()
    args = {
        "missing": lambda: ["--python", str(folder / "nope" / "python3")],
        "folder": lambda: ["--python", str(folder)],
        "not python": lambda: ["--python", str(fake_python(folder / "python3", "echo hello"))],
        "python 3.7": lambda: ["--python", str(fake_python(
            folder / "python3", """echo '{"version": [3, 7, 9], "platform": "linux-x86_64"}'"""))],
        "missing nuke": lambda: ["--nuke", str(folder / "Nuke99.0v1")],
        "empty nuke": lambda: ["--nuke", str(folder)],
    }[case]()
    done = run_installer(plugin, *args)
    assert done.returncode == 2, done.stdout + done.stderr
    assert message in done.stderr
    assert done.stderr.strip().splitlines()[-1].startswith("error: ")
    assert not (plugin / "deps").exists()


def test_no_target_is_a_usage_error(tmp_path: Path) -> None:
    done = run_installer(make_plugin(tmp_path))
    assert done.returncode == 2 and "--python" in done.stderr


# -- finding Nuke's Python -----------------------------------------------------------------------


def program(path: Path) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("", encoding="utf-8")
    path.chmod(0o755)
    return path


@posix_only
def test_finds_python_in_a_linux_install(tmp_path: Path) -> None:
    installer = load_installer()
    nuke = tmp_path / "Nuke15.1v1"
    executable = program(nuke / "Nuke15.1")
    python = program(nuke / "python3")
    (nuke / "python").write_text("", encoding="utf-8")  # not executable: skipped
    assert installer.find_nuke_python(nuke) == python
    assert installer.find_nuke_python(executable) == python


@posix_only
def test_finds_python_in_a_windows_install(tmp_path: Path) -> None:
    installer = load_installer()
    nuke = tmp_path / "Nuke15.1v1"
    program(nuke / "Nuke15.1.exe")
    python = program(nuke / "python.exe")
    assert installer.find_nuke_python(nuke) == python


@posix_only
def test_finds_python_in_a_mac_install(tmp_path: Path) -> None:
    installer = load_installer()
    nuke = tmp_path / "Nuke15.1v1"
    (nuke / "NukeX15.1v1.app" / "Contents" / "MacOS").mkdir(parents=True)
    macos = nuke / "Nuke15.1v1.app" / "Contents" / "MacOS"
    executable = program(macos / "Nuke15.1")
    (macos / "python.app").mkdir()
    python = program(macos / "python3")
    assert installer.find_nuke_python(nuke) == python
    assert installer.find_nuke_python(nuke / "Nuke15.1v1.app") == python
    assert installer.find_nuke_python(executable) == python


@posix_only
def test_finds_the_framework_python_of_a_mac_install(tmp_path: Path) -> None:
    installer = load_installer()
    app = tmp_path / "Nuke16.0v1" / "Nuke16.0v1.app"
    program(app / "Contents" / "MacOS" / "Nuke16.0")
    python = program(app / "Contents" / "Frameworks" / "Python.framework" / "Versions" /
                     "3.11" / "bin" / "python3")
    assert installer.find_nuke_python(tmp_path / "Nuke16.0v1") == python


def test_platform_tags() -> None:
    installer = load_installer()
    linux = installer.platform_tags({"platform": "linux-x86_64", "machine": "x86_64",
                                     "libc": ["glibc", "2.28"]})
    assert linux[0] == "manylinux_2_28_x86_64" and linux[-1] == "linux_x86_64"
    assert {"manylinux_2_17_x86_64", "manylinux2014_x86_64", "manylinux1_x86_64"} <= set(linux)
    assert installer.platform_tags({"platform": "win-amd64", "machine": "AMD64"}) == ["win_amd64"]
    mac = installer.platform_tags({"platform": "macosx-11.0-arm64", "machine": "arm64",
                                   "mac": "14.2"})
    assert mac[:2] == ["macosx_14_0_arm64", "macosx_14_0_universal2"]
    assert "macosx_10_9_universal2" in mac and "macosx_11_0_arm64" in mac
