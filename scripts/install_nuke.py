"""Install Nuke AI Panel's dependencies for one Nuke, in one command.

    python3 scripts/install_nuke.py --nuke /usr/local/Nuke15.1v1
    python3 scripts/install_nuke.py --python "C:/Program Files/Nuke15.1v1/python.exe"

Nuke's own Python does not have aiohttp, keyring, Pillow, Qt.py, markdown-it-py or Pygments,
and installing into Nuke's install folder needs admin rights and is lost on every Nuke update.
So they go into ``<plugin>/deps/pyX.Y`` (X.Y = the Nuke's Python version), which the plugin's
init.py puts on ``sys.path``; one folder per Python version, so Nuke 14, 15 and 16 can share
the plugin.

Steps: ask the target interpreter for its version; install the pinned requirements.txt
(aiohttp, keyring, Pillow, Qt.py, markdown-it-py, mdurl, Pygments and all they need) with the
target's own pip (``TARGET -m pip install --target ...``). When that Python has no pip, this
Python's pip package is copied aside and run by the target, so the target still evaluates the
environment markers (``async-timeout; python_version < "3.11"``); if even that cannot start,
this Python's pip installs for the target's version and platform (``--python-version X.Y
--implementation cp --platform ... --only-binary=:all:``), which evaluates markers right only
when both Pythons have the same X.Y. Then verify by running the target with init.py's logic
and importing aiohttp, keyring, Pillow, markdown-it-py, mdurl, Pygments and nuke_ai_panel.

Packages are installed into a fresh staging folder that replaces the old one only after the
install succeeded, so re-running upgrades in place with no stale packages left behind, and a
failed upgrade keeps the previous install. Deleting the folder uninstalls.

Exit codes: 0 installed, 1 the install or the check failed (pip's last lines are shown),
2 usage: bad path, interpreter not found or not runnable, Python older than 3.9.

Finding the Python inside a Nuke install (``--nuke``; the install folder, its .app bundle or
the Nuke executable itself), first match wins:
  Windows  <install>/python.exe                          (C:/Program Files/Nuke15.1v1)
  Linux    <install>/python3, <install>/python           (/usr/local/Nuke15.1v1)
  macOS    <install>/Nuke*.app/Contents/MacOS/python3 or python, then the Python.framework
           in Contents/Frameworks                        (/Applications/Nuke15.1v1)
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any, Dict, List, Optional, Sequence

PLUGIN_DIR = Path(__file__).resolve().parents[1]
REQUIREMENTS = PLUGIN_DIR / "requirements.txt"
MIN_PYTHON = (3, 9)
NUKE_FOR_PYTHON = {(3, 9): "Nuke 14", (3, 10): "Nuke 15", (3, 11): "Nuke 16"}
QUERY_TIMEOUT = 120
PIP_TAIL_LINES = 25

EXIT_OK, EXIT_FAILED, EXIT_USAGE = 0, 1, 2

_QUERY = r"""
import json, platform, sys, sysconfig
print(json.dumps({
    "version": list(sys.version_info[:3]),
    "platform": sysconfig.get_platform(),
    "machine": platform.machine(),
    "libc": list(platform.libc_ver()),
    "mac": platform.mac_ver()[0],
    "executable": sys.executable,
}))
"""

_VERIFY = r"""
import importlib, importlib.metadata, importlib.util, json, os, sys
plugin = sys.argv[1]
sys.path.insert(0, plugin)
init = os.path.join(plugin, "init.py")
with open(init, encoding="utf-8") as handle:
    exec(compile(handle.read(), init, "exec"), {"__name__": "__main__", "__file__": init})
found = {}
for name, module_name in (("aiohttp", "aiohttp"), ("keyring", "keyring"), ("Pillow", "PIL"),
                          ("markdown-it-py", "markdown_it"), ("mdurl", "mdurl"),
                          ("Pygments", "pygments"), ("nuke_ai_panel", "nuke_ai_panel")):
    module = importlib.import_module(module_name)
    version = getattr(module, "__version__", "") or importlib.metadata.version(name)
    found[name] = [version, os.path.abspath(module.__file__)]
spec = importlib.util.find_spec("Qt")
if spec is not None and spec.origin:
    found["Qt.py"] = [importlib.metadata.version("Qt.py"), os.path.abspath(spec.origin)]
print(json.dumps(found))
"""


class InstallError(Exception):
    """Ends the run with ``code`` after printing the message (and pip's output, if any)."""

    def __init__(self, code: int, message: str, output: str = "") -> None:
        super().__init__(message)
        self.code = code
        self.output = output


# -- finding and asking the interpreter ------------------------------------------------------------


def _is_program(path: Path) -> bool:
    return path.is_file() and os.access(str(path), os.X_OK)


def nuke_python_candidates(nuke_path: Path) -> List[Path]:
    """Where a Nuke install keeps its Python, in the order tried (see the module docstring)."""
    folder = nuke_path.parent if nuke_path.is_file() else nuke_path
    names = ["python.exe", "python3.exe", "python3", "python"]
    found = [folder / name for name in names]
    found += sorted(p for p in folder.glob("python3.*") if not p.name.endswith("-config"))
    bundles = [folder] if folder.suffix == ".app" else []
    if folder.name == "MacOS" and folder.parent.name == "Contents":
        bundles.append(folder.parent.parent)
    bundles += sorted(folder.glob("*.app"), key=lambda p: (not p.name.startswith("Nuke"), p.name))
    for bundle in bundles:
        macos = bundle / "Contents" / "MacOS"
        found += [macos / "python3", macos / "python"]
        found += sorted(macos.glob("python.app/Contents/MacOS/python*"))
        framework = bundle / "Contents" / "Frameworks" / "Python.framework" / "Versions"
        found += [framework / "Current" / "bin" / "python3"]
        found += sorted(framework.glob("3.*/bin/python3"), reverse=True)
    return found


def find_nuke_python(nuke_path: Path) -> Optional[Path]:
    """The bundled interpreter of the Nuke installed at ``nuke_path``, or None."""
    return next((p for p in nuke_python_candidates(nuke_path) if _is_program(p)), None)


def _run(cmd: Sequence[str], timeout: Optional[float] = None,
         env: Optional[Dict[str, str]] = None) -> subprocess.CompletedProcess:
    return subprocess.run(list(cmd), stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                          stderr=subprocess.STDOUT, universal_newlines=True, timeout=timeout,
                          env=env)


def query_interpreter(python: Path) -> Dict[str, Any]:
    """The target's version and platform; InstallError(2) when it cannot be asked."""
    if not python.exists():
        raise InstallError(EXIT_USAGE, f"{python} does not exist.")
    if python.is_dir():
        raise InstallError(EXIT_USAGE, f"{python} is a folder, not a Python executable "
                                       "(use --nuke for a Nuke install folder).")
    try:
        done = _run([str(python), "-I", "-c", _QUERY], timeout=QUERY_TIMEOUT)
    except (OSError, subprocess.SubprocessError) as exc:
        raise InstallError(EXIT_USAGE, f"could not run {python}: {exc}") from exc
    try:
        info = json.loads(done.stdout.strip().splitlines()[-1]) if done.returncode == 0 else None
    except (ValueError, IndexError):
        info = None
    if not isinstance(info, dict) or not isinstance(info.get("version"), list):
        raise InstallError(EXIT_USAGE, f"{python} is not a working Python interpreter "
                                       f"(exit status {done.returncode}).", done.stdout)
    if tuple(info["version"][:2]) < MIN_PYTHON:
        raise InstallError(EXIT_USAGE, "{} is Python {}; Nuke AI Panel needs Python 3.9 or later "
                                       "(Nuke 14+).".format(python, _dotted(info["version"])))
    return info


def pip_version(python: Path) -> str:
    """The target's pip version, or "" when it has none."""
    try:
        done = _run([str(python), "-I", "-m", "pip", "--version"], timeout=QUERY_TIMEOUT)
    except (OSError, subprocess.SubprocessError):
        return ""
    words = done.stdout.split()
    return words[1] if done.returncode == 0 and len(words) > 1 and words[0] == "pip" else ""


def _dotted(version: Sequence[int]) -> str:
    return ".".join(str(part) for part in version)


# -- pip -------------------------------------------------------------------------------------------


def platform_tags(info: Dict[str, Any]) -> List[str]:
    """Wheel platform tags the target accepts, for pip's ``--platform`` (the no-pip fallback)."""
    plat = str(info.get("platform", ""))
    machine = str(info.get("machine", "")) or plat.rsplit("-", 1)[-1]
    if plat.startswith("win"):
        return [plat.replace("-", "_").replace(".", "_")]
    if plat.startswith("macosx"):
        arch = "arm64" if machine == "arm64" else "x86_64"
        release = [int(p) for p in (str(info.get("mac") or "11.0").split(".") + ["0"])[:2]]
        versions = [(major, 0) for major in range(max(release[0], 11), 10, -1)]
        versions += [(10, minor) for minor in range(16, 8, -1)]
        return [f"macosx_{a}_{b}_{tag}" for a, b in versions for tag in (arch, "universal2")]
    arch = machine.replace("-", "_").replace(".", "_")
    libc, libc_version = (list(info.get("libc") or []) + ["", ""])[:2]
    tags = []
    if libc == "glibc" and libc_version.startswith("2."):
        newest = int(libc_version.split(".")[1])
        tags += [f"manylinux_2_{minor}_{arch}" for minor in range(newest, 4, -1)]
        legacy = {17: "manylinux2014", 12: "manylinux2010", 5: "manylinux1"}
        tags += [f"{name}_{arch}" for minor, name in legacy.items() if minor <= newest]
    return tags + [f"linux_{arch}"]


class Pip:
    """How pip is run for the target: ``command`` + ``install ...``; ``how`` for the log."""

    def __init__(self, command: List[str], how: str, extra: Optional[List[str]] = None,
                 cleanup: Optional[Path] = None) -> None:
        self.command = command
        self.how = how
        self.extra = extra or []
        self.cleanup = cleanup

    def install_args(self) -> List[str]:
        return self.command + ["install"] + self.extra

    def close(self) -> None:
        if self.cleanup is not None:
            shutil.rmtree(str(self.cleanup), ignore_errors=True)


_BORROWED_PIP = "import runpy, sys; sys.path.insert(0, sys.argv.pop(1)); " \
                "runpy.run_module('pip', run_name='__main__', alter_sys=True)"


def _borrowed_pip(python: Path) -> Optional[Pip]:
    """This Python's pip package, copied aside and run by the target: the target evaluates
    the environment markers itself (``async-timeout; python_version < "3.11"``)."""
    try:
        import pip as own_pip
    except ImportError:
        return None
    folder = Path(tempfile.mkdtemp(prefix="nuke_ai_panel_pip_"))
    try:
        shutil.copytree(str(Path(own_pip.__file__).parent), str(folder / "pip"),
                        ignore=shutil.ignore_patterns("__pycache__"))
        command = [str(python), "-I", "-c", _BORROWED_PIP, str(folder)]
        done = _run(command + ["--version"], timeout=QUERY_TIMEOUT)
    except (OSError, shutil.Error, subprocess.SubprocessError):
        done = None
    if done is None or done.returncode != 0 or not done.stdout.startswith("pip "):
        shutil.rmtree(str(folder), ignore_errors=True)
        return None
    return Pip(command, "this Python's pip, run by the target", cleanup=folder)


def choose_pip(python: Path, info: Dict[str, Any], target_pip: str) -> Pip:
    """The target's own pip; else this Python's pip run by the target; else this Python's pip
    told the target's version and platform (environment markers are then evaluated for this
    Python, so it is the last resort)."""
    if target_pip:
        return Pip([str(python), "-I", "-m", "pip"], f"the target's pip {target_pip}")
    borrowed = _borrowed_pip(python)
    if borrowed is not None:
        return borrowed
    if tuple(sys.version_info[:2]) != tuple(info["version"][:2]):
        print(f"      note: the target cannot run pip, so environment markers are evaluated "
              f"for this Python {_dotted(sys.version_info[:2])}; if the check fails, run this "
              f"script with a Python {_dotted(info['version'][:2])}.", flush=True)
    extra = ["--python-version", _dotted(info["version"][:2]), "--implementation", "cp",
             "--only-binary=:all:", "--no-compile"]
    for tag in platform_tags(info):
        extra += ["--platform", tag]
    return Pip([sys.executable, "-m", "pip"], "this Python's pip, for the target's platform",
               extra)


def run_pip(cmd: List[str], verbose: bool) -> None:
    env = dict(os.environ, PIP_DISABLE_PIP_VERSION_CHECK="1", PIP_NO_INPUT="1")
    if verbose:
        print("  $ " + " ".join(cmd), flush=True)
        code = subprocess.call(cmd, stdin=subprocess.DEVNULL, env=env)
        output = ""
    else:
        try:
            done = _run(cmd, env=env)
        except OSError as exc:
            raise InstallError(EXIT_FAILED, f"could not run pip: {exc}") from exc
        code, output = done.returncode, done.stdout
    if code != 0:
        raise InstallError(EXIT_FAILED, f"pip failed (exit status {code}).", output)


# -- install, swap, verify -------------------------------------------------------------------------


def _remove(path: Path) -> None:
    if path.is_dir() and not path.is_symlink():
        shutil.rmtree(str(path))
    elif path.exists() or path.is_symlink():
        path.unlink()


def swap_in(stage: Path, final: Path) -> Optional[Path]:
    """Put ``stage`` where ``final`` is; returns where the previous install was moved, if any."""
    old = final.with_name("." + final.name + ".previous")
    try:
        _remove(old)
        if final.exists():
            os.replace(str(final), str(old))
        os.replace(str(stage), str(final))
    except OSError as exc:
        if old.exists() and not final.exists():
            os.replace(str(old), str(final))
        raise InstallError(EXIT_FAILED, f"could not replace {final}: {exc}. Close every Nuke "
                                        "that uses it and run this again.") from exc
    return old if old.exists() else None


def verify(python: Path, deps_root: Path, final: Path, custom_root: bool) -> Dict[str, Any]:
    """Run the target as Nuke would (init.py, then imports); the modules must load from
    ``final`` (nuke_ai_panel from the plugin)."""
    env = dict(os.environ)
    env.pop("NUKE_AI_PANEL_DEPS", None)
    if custom_root:
        env["NUKE_AI_PANEL_DEPS"] = str(deps_root)
    try:
        done = _run([str(python), "-I", "-c", _VERIFY, str(PLUGIN_DIR)], timeout=QUERY_TIMEOUT,
                    env=env)
    except (OSError, subprocess.SubprocessError) as exc:
        raise InstallError(EXIT_FAILED, f"the check could not run: {exc}") from exc
    try:
        found = json.loads(done.stdout.strip().splitlines()[-1]) if done.returncode == 0 else None
    except (ValueError, IndexError):
        found = None
    if not isinstance(found, dict):
        raise InstallError(EXIT_FAILED, "the installed packages do not import in the target "
                                        "Python.", done.stdout)
    base = os.path.normcase(str(final.resolve())) + os.sep
    # Pygments must import but may be the host's own (init.py appends our folder, so a copy
    # the host already has wins, and many Pythons have one); the rest are not there before us.
    for name in ("aiohttp", "keyring", "Pillow", "markdown-it-py", "mdurl", "Qt.py"):
        where = (found.get(name) or ["", ""])[1]
        if not os.path.normcase(str(Path(where).resolve())).startswith(base):
            raise InstallError(EXIT_FAILED, f"{name} was not loaded from {final} "
                                            f"(it came from {where or 'nowhere'}).")
    return found


def install(python: Path, deps_root: Path, custom_root: bool, pip_options: List[str],
            verbose: bool) -> Path:
    """Check, install, verify; returns the installed folder."""
    info = query_interpreter(python)
    version = tuple(info["version"][:2])
    target_pip = pip_version(python)
    print(f"[1/3] checking interpreter: {python} is Python {_dotted(info['version'])} "
          f"({info['platform']}, {NUKE_FOR_PYTHON.get(version, 'Nuke')}), "
          + (f"pip {target_pip}" if target_pip else "no pip of its own"), flush=True)

    final = deps_root / "py{}.{}".format(*version)
    stage = deps_root / ".py{}.{}.installing".format(*version)
    pip = choose_pip(python, info, target_pip)
    print(f"[2/3] installing: {REQUIREMENTS.name} into {final} with {pip.how}", flush=True)
    created_root = not deps_root.exists()
    deps_root.mkdir(parents=True, exist_ok=True)
    _remove(stage)
    try:
        run_pip(pip.install_args() + ["--target", str(stage), "--upgrade"] + pip_options
                + ["-r", str(REQUIREMENTS)], verbose)
        previous = swap_in(stage, final)
    except BaseException:
        if created_root and not any(deps_root.iterdir()):
            deps_root.rmdir()
        raise
    finally:
        pip.close()
        _remove(stage)

    try:
        found = verify(python, deps_root, final, custom_root)
    except InstallError:
        _remove(final)
        if previous is not None:
            os.replace(str(previous), str(final))
        raise
    if previous is not None:
        shutil.rmtree(str(previous), ignore_errors=True)
    versions = ", ".join(f"{name} {entry[0]}".strip() for name, entry in found.items())
    print(f"[3/3] verifying: {versions} import in Python {_dotted(version)}", flush=True)
    return final


def print_next_steps(final: Path, deps_root: Path, custom_root: bool) -> None:
    plugin = PLUGIN_DIR.as_posix()
    print("\nDone. To load the panel, add this line to ~/.nuke/init.py (create it if needed):")
    print(f'    nuke.pluginAddPath("{plugin}")')
    print(f"or set NUKE_PATH={plugin} before starting Nuke.")
    if custom_root:
        print(f"Also set NUKE_AI_PANEL_DEPS={deps_root.as_posix()} for Nuke (init.py looks "
              "there instead of the plugin's deps folder).")
    print(f"Run this again to upgrade; delete {final} to uninstall.")


# -- command line ----------------------------------------------------------------------------------


def parse_args(argv: Optional[Sequence[str]]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="install_nuke.py", description="Install Nuke AI Panel's dependencies for one Nuke.",
        epilog="Exit codes: 0 installed, 1 install failed, 2 usage.")
    target = parser.add_mutually_exclusive_group(required=True)
    target.add_argument("--python", type=Path, help="the Nuke's Python executable")
    target.add_argument("--nuke", type=Path,
                        help="the Nuke install folder (or its .app, or the Nuke executable)")
    parser.add_argument("--deps-dir", type=Path,
                        help="folder for the pyX.Y dependency folders (default: "
                             "$NUKE_AI_PANEL_DEPS, else <plugin>/deps; anything but "
                             "<plugin>/deps needs NUKE_AI_PANEL_DEPS set for Nuke)")
    parser.add_argument("--find-links", action="append", default=[], metavar="DIR",
                        help="also look for packages here (pip --find-links; repeatable)")
    parser.add_argument("--no-index", action="store_true",
                        help="do not use the package index (offline, with --find-links)")
    parser.add_argument("-v", "--verbose", action="store_true", help="show pip's output")
    return parser.parse_args(argv)


def main(argv: Optional[Sequence[str]] = None) -> int:
    args = parse_args(argv)
    try:
        if args.nuke is not None:
            if not args.nuke.exists():
                raise InstallError(EXIT_USAGE, f"{args.nuke} does not exist.")
            python = find_nuke_python(args.nuke)
            if python is None:
                raise InstallError(EXIT_USAGE, f"no Python found in {args.nuke}; pass the "
                                               "Nuke's Python with --python instead.")
        elif not args.python.exists() and shutil.which(str(args.python)):
            python = Path(str(shutil.which(str(args.python))))
        else:
            python = args.python
        plugin_root = PLUGIN_DIR / "deps"
        from_env = os.environ.get("NUKE_AI_PANEL_DEPS", "").strip()
        default_root = Path(from_env) if from_env else plugin_root
        deps_root = (args.deps_dir or default_root).expanduser().absolute()
        custom_root = deps_root != plugin_root
        pip_options = [f"--find-links={folder}" for folder in args.find_links]
        pip_options += ["--no-index"] if args.no_index else []
        final = install(python, deps_root, custom_root, pip_options, args.verbose)
    except InstallError as exc:
        tail = exc.output.strip().splitlines()[-PIP_TAIL_LINES:]
        if tail:
            print("\n".join("  | " + line for line in tail), file=sys.stderr)
        print(f"error: {exc}", file=sys.stderr)
        if exc.code == EXIT_FAILED:
            print("Nothing was changed if this was an upgrade; run with -v for pip's full "
                  "output.", file=sys.stderr)
        return exc.code
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return EXIT_FAILED
    print_next_steps(final, deps_root, custom_root)
    return EXIT_OK


if __name__ == "__main__":
    sys.exit(main())
