"""``python -m nuke_ai_panel graph FILE.nk --nk``: the script as the in-memory host saves it."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from nk_data import ALL_FILES, DATA, EXAMPLE

ROOT = Path(__file__).resolve().parents[2]
FILES = [DATA / name for name in ALL_FILES] + [EXAMPLE]


def graph(tmp_path: Path, *args: str) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if not k.startswith("NUKE_AI_PANEL")}
    env.update({"PYTHONPATH": str(ROOT), "NUKE_AI_PANEL_HOME": str(tmp_path / "home")})
    return subprocess.run([sys.executable, "-m", "nuke_ai_panel", "graph", *args], env=env,
                          capture_output=True, timeout=60, cwd=str(ROOT))


@pytest.mark.parametrize("path", FILES, ids=lambda p: p.name)
def test_graph_nk_prints_an_unedited_script_byte_for_byte(tmp_path, path):
    proc = graph(tmp_path, str(path), "--nk")
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout == path.read_bytes()


def test_graph_nk_keeps_crlf_and_reports_what_the_reader_fixed(tmp_path):
    path = tmp_path / "dup.nk"
    path.write_bytes(b"Blur {\r\n name B\r\n}\r\nBlur {\r\n name B\r\n}\r\n")
    proc = graph(tmp_path, str(path), "--nk")
    assert proc.returncode == 0 and proc.stdout == path.read_bytes()
    assert proc.stderr.decode().splitlines() == [
        f"warning: {path}: line 4: duplicate node name B renamed B1"]


def test_graph_json_and_nk_are_exclusive(tmp_path):
    proc = graph(tmp_path, str(EXAMPLE), "--json", "--nk")
    assert proc.returncode == 2 and b"not allowed" in proc.stderr
