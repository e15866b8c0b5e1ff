"""First open of the chat panel against an empty QWidget's, each in a fresh process.

Run on demand: ``python benchmarks/bench_panel_open.py`` (offscreen Qt, no network).

Each round starts two fresh Python processes, in alternating order: one opens an empty
``QWidget``, the other a ``ChatPanel`` with a fresh user directory. Each times, from before
its first import of Qt, everything an artist waits for: the imports (Qt's binding, and for
the panel all of the panel's own modules), the ``QApplication``, constructing the widget,
showing it and its first paint. The panel's process also records which threads imported
aiohttp and keyring, waiting (after the figure is taken) until both are loaded: aiohttp must
be the worker's, keyring the thread that resolves the provider's settings, never the main
thread (the panel resolves them, then lists the default provider's models, in the
background). Target: the panel within 2x the empty widget.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
from typing import Dict, List

from common import ROOT, min_rounds, report

TARGET = 2.0

CHILD = r"""
import sys, threading, time
started = time.perf_counter()
engine_imports = []


class Watch:
    '''Records the thread that first imports the engine's network packages.'''

    def find_spec(self, name, path=None, target=None):
        if name.split(".")[0] in ("aiohttp", "yarl", "multidict", "keyring"):
            engine_imports.append((name, threading.current_thread().name))
        return None


sys.meta_path.insert(0, Watch())
from Qt import QtCore, QtWidgets
app = QtWidgets.QApplication.instance() or QtWidgets.QApplication([])
WHAT = sys.argv[1]
if WHAT == "panel":
    from src.ui.chat_panel import ChatPanel
    widget = ChatPanel()
else:
    widget = QtWidgets.QWidget()
painted = []


class PaintSpy(QtCore.QObject):
    def eventFilter(self, obj, event):
        if event.type() == QtCore.QEvent.Paint and not painted:
            painted.append(time.perf_counter())
        return False


spy = PaintSpy()
widget.installEventFilter(spy)
widget.resize(480, 640)
widget.show()
limit = time.perf_counter() + 20
while not painted and time.perf_counter() < limit:
    app.processEvents(QtCore.QEventLoop.AllEvents, 5)
seconds = painted[0] - started if painted else None
if WHAT == "panel":  # not timed: let the background work load the engine and the keychain
    limit = time.perf_counter() + 10
    while not {"aiohttp", "keyring"} <= {n.split(".")[0] for n, _t in engine_imports} and \
            time.perf_counter() < limit:
        app.processEvents(QtCore.QEventLoop.AllEvents, 5)
main_thread = threading.main_thread().name
print(__import__("json").dumps({
    "seconds": seconds,
    "main_thread_engine_imports": sorted({n for n, t in engine_imports if t == main_thread}),
    "engine_import_threads": sorted({(n.split(".")[0], t) for n, t in engine_imports}),
}), flush=True)
if WHAT == "panel":
    widget.close()
    from nuke_ai_panel.worker import shutdown_default_worker
    shutdown_default_worker()
"""


def open_once(what: str, home: str) -> Dict[str, object]:
    env = {**os.environ, "QT_QPA_PLATFORM": "offscreen", "PYTHONPATH": str(ROOT),
           "NUKE_AI_PANEL_HOME": home, "OLLAMA_HOST": "http://127.0.0.1:9"}
    done = subprocess.run([sys.executable, "-c", CHILD, what], cwd=str(ROOT), env=env,
                          capture_output=True, text=True, timeout=120)
    if done.returncode != 0:
        raise SystemExit(f"the {what} process failed:\n{done.stderr}")
    return json.loads(done.stdout.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=7)
    args = parser.parse_args()
    times: Dict[str, List[float]] = {"ours": [], "baseline": []}
    threads: Dict[str, set] = {}
    with tempfile.TemporaryDirectory() as home:
        for n in range(min_rounds(args.rounds)):
            order = (("ours", "panel"), ("baseline", "widget"))
            for name, what in order if n % 2 == 0 else order[::-1]:
                result = open_once(what, os.path.join(home, f"{what}{n}"))
                if what == "panel":
                    if result["main_thread_engine_imports"]:
                        raise SystemExit("imported on the main thread: "
                                         f"{result['main_thread_engine_imports']}")
                    for package, thread in result["engine_import_threads"]:  # type: ignore
                        threads.setdefault(package, set()).add(thread)
                times[name].append(float(result["seconds"]))  # type: ignore[arg-type]
    for package in ("aiohttp", "keyring"):
        print(f"{package} imported on: " + (", ".join(sorted(threads.get(package, ())))
                                            or "no thread") + " (never the main thread)")
    report("first open (imports, construct, show, first paint): ChatPanel vs empty QWidget",
           times, TARGET)


if __name__ == "__main__":
    main()
