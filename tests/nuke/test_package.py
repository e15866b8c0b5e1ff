"""``pip install .`` for real: build the wheel, install it into a fresh virtualenv, run the
``nuke-ai-panel`` command it provides; and the CLI's quiet exit on a closed pipe.

Offline, like the installer tests: the dependencies come from the wheel cache named by
NUKE_AI_PANEL_WHEELHOUSE (scripts/test.sh fills it, with a setuptools wheel to build with), pip's
own configuration and environment switched off. When the cache holds no setuptools wheel the
build uses this interpreter's setuptools without isolation (it needs setuptools >= 61 for
pyproject metadata, plus ``wheel`` before setuptools 70.1); without either the build is skipped,
saying why.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import venv
from pathlib import Path
from typing import Dict, List

import pytest

ROOT = Path(__file__).resolve().parents[2]
DATA = ROOT / "tests" / "data" / "nk"
WHEELHOUSE_ENV = "NUKE_AI_PANEL_WHEELHOUSE"
STEP_TIMEOUT = 300
posix_only = pytest.mark.skipif(os.name != "posix", reason="uses POSIX paths and a shell pipe")


def clean_env() -> Dict[str, str]:
    """No pip configuration, index or cache from the machine, and no PYTHONPATH pointing
    back at the source tree: only what each command is given."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PIP_", "PYTHON"))}
    env.update(PIP_CONFIG_FILE=os.devnull, PIP_NO_CACHE_DIR="1", PIP_PROGRESS_BAR="off",
               PIP_DISABLE_PIP_VERSION_CHECK="1")
    return env


def run(command: List[str], cwd: Path, **kwargs: object) -> subprocess.CompletedProcess:
    return subprocess.run(command, cwd=str(cwd), env=clean_env(), stdin=subprocess.DEVNULL,
                          stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                          universal_newlines=True, timeout=STEP_TIMEOUT, **kwargs)


def version_tuple(text: str) -> tuple:
    return tuple(int(p) for p in text.split(".")[:2] if p.isdigit())


def local_backend_problem() -> str:
    """Why this interpreter cannot build the wheel without isolation, or ""."""
    try:
        from importlib.metadata import PackageNotFoundError, version
    except ImportError:  # pragma: no cover - Python < 3.8
        return "importlib.metadata is missing"
    try:
        setuptools = version("setuptools")
    except PackageNotFoundError:
        return "this Python has no setuptools"
    if version_tuple(setuptools) < (61, 0):
        return (f"this Python's setuptools {setuptools} predates pyproject metadata "
                "(PEP 621 needs setuptools >= 61)")
    if version_tuple(setuptools) < (70, 1):
        try:
            version("wheel")
        except PackageNotFoundError:
            return f"setuptools {setuptools} needs the 'wheel' package to build wheels"
    return ""


@pytest.fixture(scope="module")
def wheelhouse() -> Path:
    value = os.environ.get(WHEELHOUSE_ENV, "")
    if not value:
        pytest.skip(f"{WHEELHOUSE_ENV} is not set: the package's dependencies install offline "
                    "from the wheel cache scripts/test.sh fills")
    path = Path(value)
    if not any(path.glob("aiohttp-*.whl")):
        pytest.fail(f"{WHEELHOUSE_ENV}={value} holds no aiohttp wheel", pytrace=False)
    return path


@pytest.fixture(scope="module")
def built_wheel(tmp_path_factory: pytest.TempPathFactory, wheelhouse: Path) -> Path:
    """The wheel built from a copy of the package (a build writes build/ and *.egg-info
    next to its sources, which must not land in the checkout)."""
    work = tmp_path_factory.mktemp("package")
    source = work / "source"
    source.mkdir()
    for name in ("pyproject.toml", "README.md"):
        shutil.copy(ROOT / name, source / name)
    shutil.copytree(ROOT / "nuke_ai_panel", source / "nuke_ai_panel",
                    ignore=shutil.ignore_patterns("__pycache__", "*.pyc"))
    dist = work / "dist"
    command = [sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-index", "-w", str(dist)]
    if any(wheelhouse.glob("setuptools-*.whl")):
        command += ["--find-links", str(wheelhouse)]
    else:
        problem = local_backend_problem()
        if problem:
            pytest.skip(f"no build backend offline: the wheel cache has no setuptools wheel "
                        f"and {problem}")
        command.append("--no-build-isolation")
    done = run(command + [str(source)], work)
    assert done.returncode == 0, done.stdout + done.stderr
    wheels = list(dist.glob("nuke_ai_panel-*-py3-none-any.whl"))
    assert len(wheels) == 1, list(dist.iterdir())
    return wheels[0]


@pytest.fixture(scope="module")
def installed(tmp_path_factory: pytest.TempPathFactory, built_wheel: Path,
              wheelhouse: Path) -> Path:
    """A fresh virtualenv with the wheel and its dependencies; returns its bin folder."""
    env_dir = tmp_path_factory.mktemp("venv") / "env"
    venv.EnvBuilder(with_pip=True, clear=True).create(str(env_dir))
    bin_dir = env_dir / ("Scripts" if os.name == "nt" else "bin")
    done = run([str(bin_dir / "python"), "-m", "pip", "install", "--no-index", "--find-links",
                str(wheelhouse), str(built_wheel)], env_dir)
    assert done.returncode == 0, done.stdout + done.stderr
    return bin_dir


@posix_only
def test_the_wheel_holds_the_package_its_data_and_the_command(built_wheel: Path) -> None:
    import zipfile

    with zipfile.ZipFile(built_wheel) as wheel:
        names = set(wheel.namelist())
        entry_points = next(n for n in names if n.endswith(".dist-info/entry_points.txt"))
        scripts = wheel.read(entry_points).decode("utf-8")
        metadata = wheel.read(next(n for n in names if n.endswith(".dist-info/METADATA")))
    assert "nuke_ai_panel/graph/examples/greenscreen_comp.nk" in names
    assert "nuke_ai_panel/cli/__init__.py" in names and "nuke_ai_panel/graph/dag_layout.py" in names
    assert not any(n.startswith(("src/", "tests/")) for n in names)
    assert "nuke-ai-panel = nuke_ai_panel.__main__:run" in scripts
    text = metadata.decode("utf-8")
    assert "Requires-Python: >=3.9" in text
    for requirement in ("aiohttp", "keyring"):
        assert f"Requires-Dist: {requirement}" in text


@posix_only
def test_the_installed_command_runs_help_and_graph(installed: Path, tmp_path: Path) -> None:
    command = str(installed / "nuke-ai-panel")
    shown = run([command, "--help"], tmp_path)
    assert shown.returncode == 0, shown.stderr
    assert "graph" in shown.stdout and "chat" in shown.stdout
    assert "Traceback" not in shown.stderr

    script = DATA / "gamutcompress_toolset.nk"
    graph = run([command, "graph", str(script), "--json"], tmp_path)
    assert graph.returncode == 0, graph.stderr
    expected = run([sys.executable, "-m", "nuke_ai_panel", "graph", str(script), "--json"], ROOT)
    assert json.loads(graph.stdout) == json.loads(expected.stdout)

    where = run([str(installed / "python"), "-c",
                 "import nuke_ai_panel, pathlib; print(pathlib.Path(nuke_ai_panel.__file__)"
                 ".parent / 'graph' / 'examples' / 'greenscreen_comp.nk')"], tmp_path)
    example = Path(where.stdout.strip())
    assert str(installed.parent) in str(example), "ran the checkout, not the installed package"
    assert example.is_file()


def big_script(path: Path, count: int = 3000) -> Path:
    """A script whose graph table is far bigger than a pipe's buffer (64 KiB on Linux)."""
    blocks = ["Root {\n inputs 0\n}\n", "Constant {\n inputs 0\n name Start\n}\n"]
    blocks += [f"Blur {{\n size {i % 7}\n name Blur_with_a_long_name_{i}\n}}\n" for i in range(count)]
    path.write_text("".join(blocks), encoding="utf-8")
    return path


@posix_only
def test_a_closed_pipe_ends_the_cli_quietly(tmp_path: Path) -> None:
    """stdout is a pipe nobody reads any more (its read end is closed before the CLI starts),
    so the very first write fails with EPIPE, as it does for ``| head -1`` once head exits."""
    script = big_script(tmp_path / "big.nk")
    read_end, write_end = os.pipe()
    os.close(read_end)
    try:
        done = subprocess.run([sys.executable, "-m", "nuke_ai_panel", "graph", str(script)],
                              cwd=str(ROOT), stdout=write_end, stderr=subprocess.PIPE,
                              stdin=subprocess.DEVNULL, timeout=120)
    finally:
        os.close(write_end)
    errors = done.stderr.decode("utf-8", "replace")
    assert done.returncode == 141, (done.returncode, errors)
    assert errors == "", errors


@posix_only
def test_the_installed_command_piped_into_head(installed: Path, tmp_path: Path) -> None:
    script = big_script(tmp_path / "big.nk")
    pipeline = (f'"{installed / "nuke-ai-panel"}" graph "{script}" | head -1; '
                'echo "status=${PIPESTATUS[0]}" >&2')
    done = run(["bash", "-c", pipeline], tmp_path)
    assert done.stdout.startswith("NAME")
    assert done.stdout.count("\n") == 1
    status = [line for line in done.stderr.splitlines() if line.startswith("status=")]
    assert status in (["status=0"], ["status=141"]), done.stderr
    assert "Traceback" not in done.stderr and "BrokenPipe" not in done.stderr, done.stderr
