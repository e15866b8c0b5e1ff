"""The engine (aiohttp and the packages under it) loads only where it is used (issue 10):
the modules the panel, the settings dialog and the session import on Nuke's main thread must
not pull it in; the worker's loop thread loads it when it starts."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
ENGINE = ("aiohttp", "yarl", "multidict")
LIGHT = ("nuke_ai_panel.session", "nuke_ai_panel.events", "nuke_ai_panel.errors",
         "nuke_ai_panel.config", "nuke_ai_panel.worker", "nuke_ai_panel.history",
         "nuke_ai_panel.outcome", "nuke_ai_panel.provider_info", "nuke_ai_panel.settings",
         "nuke_ai_panel.secrets", "nuke_ai_panel.logs")


def imported_after(code: str) -> dict:
    """Run ``code`` in a clean interpreter; which engine packages are loaded, and by whom."""
    probe = (
        "import sys, threading, json\n"
        "loaded = {}\n"
        "class Watch:\n"
        "    def find_spec(self, name, path=None, target=None):\n"
        f"        if name.split('.')[0] in {ENGINE!r}:\n"
        "            loaded.setdefault(name.split('.')[0], threading.current_thread().name)\n"
        "        return None\n"
        "sys.meta_path.insert(0, Watch())\n"
        + code + "\n"
        "print(json.dumps(loaded))\n")
    done = subprocess.run([sys.executable, "-c", probe], cwd=str(ROOT), capture_output=True,
                          text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout.strip().splitlines()[-1])


@pytest.mark.parametrize("module", LIGHT)
def test_the_light_modules_import_without_the_engine(module: str) -> None:
    assert imported_after(f"import {module}") == {}


def test_the_worker_loads_the_engine_on_its_own_thread() -> None:
    loaded = imported_after(
        "from nuke_ai_panel.worker import Worker\n"
        "w = Worker()\n"
        "assert w.submit(lambda session: __import__('asyncio').sleep(0, 7)).result(30) == 7\n"
        "w.shutdown()\n")
    assert loaded and set(loaded.values()) == {"nuke-ai-panel-loop"}, loaded
