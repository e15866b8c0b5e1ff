"""The example comp and a small comp on both hosts, for the agent tool tests.

:class:`Backend` wraps one host with what a test looks at from outside (the .nk text, the
undo step names). On NukeHost every call goes through a worker thread, the way the agent
loop will call it (NukeHost marshals it to the fake's main thread).
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any, Callable, Optional

import pytest

ROOT = Path(__file__).resolve().parents[2]
TESTS = ROOT / "tests"
EXAMPLE = ROOT / "nuke_ai_panel" / "graph" / "examples" / "greenscreen_comp.nk"
NK_DATA = TESTS / "data" / "nk"
for _entry in (str(TESTS), str(TESTS / "graph")):
    if _entry not in sys.path:
        sys.path.insert(0, _entry)

from nuke_ai_panel.graph.script_host import ScriptHost  # noqa: E402

SMALL_COMP = """\
Root {
 inputs 0
 format "1920 1080 0 0 1920 1080 1 HD_1080"
 first_frame 1
 last_frame 50
 fps 24
}
Read {
 inputs 0
 file /shots/sh010/plate.####.exr
 name Read1
}
Grade {
 gamma 1.1
 name Grade1
}
Write {
 file /shots/sh010/comp.####.exr
 name Write1
}
"""


class Backend:
    """One host under test, with what the tests need to look at it from outside."""

    def __init__(self, kind: str, host: Any, script: ScriptHost, fake: Any = None) -> None:
        self.kind = kind
        self.host = host
        self.script = script
        self.fake = fake

    def run(self, fn: Callable[..., Any], *args: Any) -> Any:
        """Call ``fn`` as the agent loop would: from a worker thread in Nuke."""
        if self.fake is None:
            return fn(*args)
        return self.fake.run_in_worker(fn, *args)

    def text(self) -> str:
        return self.script.to_text()

    def undo_names(self) -> list:
        return list(self.script.undo_names())

    def inputs(self, name: str) -> Optional[list]:
        node = self.script.script.node(name)
        return None if node is None else [i for i in node.inputs]


def make_backend(kind: str, text: str, monkeypatch: pytest.MonkeyPatch) -> Backend:
    if kind == "script":
        host = ScriptHost.from_text(text)
        host.select([])
        return Backend(kind, host, host)
    from fake_nuke import install

    from nuke_ai_panel.graph.nuke_host import NukeHost

    fake, scripts = install(monkeypatch, text)
    fake.host.select([])
    return Backend(kind, NukeHost(fake, scripts), fake.host, fake)
