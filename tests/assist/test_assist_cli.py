"""``python -m nuke_ai_panel graph`` and ``explain`` run as a user would (subprocesses)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Dict, Iterator, List, Optional

import pytest

from tests.protocol_servers import ProtocolServer

ROOT = Path(__file__).resolve().parents[2]
NK = ROOT / "tests" / "data" / "nk"
EXAMPLE = ROOT / "nuke_ai_panel" / "graph" / "examples" / "greenscreen_comp.nk"


@pytest.fixture(scope="module")
def openai_server() -> Iterator[ProtocolServer]:
    with ProtocolServer("openai") as server:
        yield server


def cli_env(tmp_path: Path) -> Dict[str, str]:
    env = {k: v for k, v in os.environ.items()
           if not k.endswith("_API_KEY") and k not in ("OLLAMA_HOST", "OPENAI_BASE_URL",
                                                       "ANTHROPIC_BASE_URL",
                                                       "NUKE_AI_PANEL_STUDIO_CONFIG")}
    env.update({"PYTHONPATH": str(ROOT), "NUKE_AI_PANEL_HOME": str(tmp_path / "home"),
                "PYTHON_KEYRING_BACKEND": "keyring.backends.fail.Keyring",
                "PYTHONUNBUFFERED": "1"})
    return env


def cli(tmp_path: Path, *args: str, timeout: float = 30) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "nuke_ai_panel", *args], env=cli_env(tmp_path),
                          capture_output=True, text=True, timeout=timeout, cwd=str(ROOT))


def graph(tmp_path: Path, path: Path) -> dict:
    proc = cli(tmp_path, "graph", str(path), "--json")
    assert proc.returncode == 0, proc.stderr
    return json.loads(proc.stdout)


def node(doc: dict, name: str, parent: Optional[str] = None) -> dict:
    matches = [n for n in doc["nodes"] if n["name"] == name and n["parent"] == parent]
    assert len(matches) == 1, f"{name} in {parent}: {len(matches)} matches"
    return matches[0]


# -- graph ------------------------------------------------------------------------------


def test_graph_json_of_the_example_comp(tmp_path: Path) -> None:
    doc = graph(tmp_path, EXAMPLE)
    root = doc["root"]
    assert (root["width"], root["height"], root["format_name"]) == (1920, 1080, "HD_1080")
    assert (root["fps"], root["first_frame"], root["last_frame"]) == (24, 1001, 1100)
    assert root["colour"]["workingSpaceLUT"] == "ACES - ACEScg"
    assert [n["name"] for n in doc["nodes"]][:4] == ["Backdrop_key", "Note_key", "Read_plate",
                                                     "IBKColour_screen"]
    assert set(doc["nodes"][0]) == {"name", "class", "inputs", "knobs", "parent"}
    assert node(doc, "IBKGizmo_key")["inputs"] == ["Read_plate", "IBKColour_screen"]
    assert node(doc, "Merge_garbage")["inputs"] == ["IBKGizmo_key", "Roto_garbage"]
    assert node(doc, "Copy_alpha")["inputs"] == ["Despill_green", "Merge_garbage"]
    assert node(doc, "Merge_over")["inputs"] == ["Blur_bgDefocus", "Grade_fg"]
    assert node(doc, "Read_bg")["inputs"] == []
    assert node(doc, "Merge_over")["class"] == "Merge2"
    assert node(doc, "Blur_bgDefocus")["knobs"]["size"] == "3"
    assert node(doc, "Write_comp")["parent"] is None


def test_graph_json_of_groups_clones_and_masks(tmp_path: Path) -> None:
    doc = graph(tmp_path, NK / "handwritten_edge_cases.nk")
    assert doc["root"]["fps"] == 23.976
    assert node(doc, "Blur_clone_src")["inputs"] == ["Roto_cache", None]
    assert node(doc, "Blur1")["inputs"] == ["Read_plaque"]
    assert node(doc, "Groupe_etalonnage")["inputs"] == ["Read_plaque", None, "Blur1"]
    assert node(doc, "Grade_inner", "Groupe_etalonnage")["inputs"] == ["Input1"]
    assert node(doc, "Blur1", "Groupe_etalonnage.Nested")["inputs"] == ["Input1"]
    assert node(doc, "Merge_inner", "Groupe_etalonnage")["inputs"] == ["Read_plaque", "extra",
                                                                       "mask"]
    assert node(doc, "MyStudioGizmo_v3_1")["inputs"] == ["Groupe_etalonnage"]
    assert node(doc, "Write_out")["inputs"] == ["MyStudioGizmo_v3_1"]


def test_graph_json_of_a_nodecopy_toolset(tmp_path: Path) -> None:
    doc = graph(tmp_path, NK / "log2shaper_toolset.nk")
    group = "Log2Shaper"
    assert node(doc, group)["class"] == "Group"
    assert node(doc, "switch_negatives1", group)["inputs"] == [
        "lin_to_log_clamp", "lin_to_log_extension", "lin_to_log_reflect"]
    assert node(doc, "switch_direction", group)["inputs"] == ["switch_negatives",
                                                              "switch_negatives1"]
    assert node(doc, "Dot1", group)["inputs"] == ["Dot"]
    assert node(doc, "Output", group)["inputs"] == ["switch_direction"]


def test_graph_json_of_a_real_script(tmp_path: Path) -> None:
    doc = graph(tmp_path, NK / "cryptomatte_example.nk")
    assert node(doc, "CryptomatteMulti2")["inputs"] == ["Read4"]
    assert node(doc, "PostageStamp2")["inputs"] == ["CryptomatteMulti1"]
    assert node(doc, "Viewer1")["inputs"] == ["PostageStamp2"]


@pytest.mark.parametrize("name", ["gamutcompress_toolset.nk", "encryptomatte.gizmo"])
def test_graph_json_reads_every_test_file(tmp_path: Path, name: str) -> None:
    doc = graph(tmp_path, NK / name)
    names = {(n["name"], n["parent"]) for n in doc["nodes"]}
    for n in doc["nodes"]:
        for source in n["inputs"]:
            if source is None:
                continue
            sibling = (source, n["parent"])
            assert sibling in names or (source, None) in names or \
                any(f"{p}.{nm}" == source for nm, p in names if p), (n["name"], source)


def test_graph_table(tmp_path: Path) -> None:
    proc = cli(tmp_path, "graph", str(EXAMPLE))
    assert proc.returncode == 0
    lines = proc.stdout.splitlines()
    assert lines[0].split() == ["NAME", "CLASS", "INPUTS", "PARENT"]
    assert lines[-1] == "(19 nodes)"
    merge = next(line for line in lines if line.startswith("Merge_over "))
    assert merge.split(None, 2)[1] == "Merge2" and "Blur_bgDefocus, Grade_fg" in merge


@pytest.mark.parametrize("make, words", [
    (lambda d: d / "missing.nk", "no such file"),
    (lambda d: d, "is a folder"),
    (lambda d: _write(d / "bin.nk", b"\x89PNG\r\n\x1a\n\x00\x00"), "is not a text file"),
    (lambda d: _write(d / "cut.nk", b"Blur {\n size 3\n"), "is not a readable Nuke script"),
    (lambda d: _write(d / "notes.nk", b"just some notes\n"), "does not look like a Nuke script"),
])
def test_unreadable_files_are_config_errors(tmp_path: Path, make, words) -> None:
    path = make(tmp_path)
    proc = cli(tmp_path, "graph", str(path), "--json")
    assert proc.returncode == 2
    lines = proc.stderr.strip().splitlines()
    assert lines[0].startswith("error: config: ") and words in lines[0]
    assert len(lines) == 2 and lines[1]
    assert proc.stdout == ""


def _write(path: Path, data: bytes) -> Path:
    path.write_bytes(data)
    return path


# -- explain ----------------------------------------------------------------------------


def explain_args(server: ProtocolServer, model: str, *extra: str) -> List[str]:
    return ["explain", str(EXAMPLE), "-p", "openai-compatible", "--base-url", server.base_url,
            "-m", model, *extra]


def last_chat(server: ProtocolServer) -> dict:
    return [r for r in server.requests if r.path.endswith("/chat/completions")][-1].json_body


def test_explain_streams_the_answer_for_the_chosen_nodes(tmp_path, openai_server) -> None:
    proc = cli(tmp_path, *explain_args(openai_server, "echo", "--nodes", "Grade_fg,Premult_fg"))
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.startswith("Echo: Script settings: format 1920x1080 (HD_1080)")
    body = last_chat(openai_server)
    system, user = body["messages"][0], body["messages"][-1]
    assert system["role"] == "system" and "experienced Nuke compositor" in system["content"]
    assert "Selected nodes (2)" in user["content"] and "name Grade_fg" in user["content"]
    assert "name Read_bg" not in user["content"]
    assert user["content"].rstrip().endswith("Explain these nodes.")


def test_explain_without_nodes_sends_the_whole_script(tmp_path, openai_server) -> None:
    proc = cli(tmp_path, *explain_args(openai_server, "echo"))
    assert proc.returncode == 0, proc.stderr
    user = last_chat(openai_server)["messages"][-1]["content"]
    assert "Whole script (nothing selected) (19)" in user


def test_explain_json_prints_the_events(tmp_path, openai_server) -> None:
    proc = cli(tmp_path, *explain_args(openai_server, "echo", "--nodes", "Grade_fg", "--json"))
    assert proc.returncode == 0, proc.stderr
    events = [json.loads(line) for line in proc.stdout.splitlines()]
    assert events[0]["type"] == "start" and events[-1]["type"] == "done"
    text = "".join(e["text"] for e in events if e["type"] == "delta")
    assert text.startswith("Echo: Script settings:")


def test_explain_provider_error_exits_1(tmp_path, openai_server) -> None:
    proc = cli(tmp_path, *explain_args(openai_server, "http-404"))
    assert proc.returncode == 1
    assert proc.stderr.startswith("error: model_not_found: ")


def test_explain_unknown_node_is_a_usage_error(tmp_path, openai_server) -> None:
    before = len(openai_server.requests)
    proc = cli(tmp_path, *explain_args(openai_server, "echo", "--nodes", "Grade_fg,Nope"))
    assert proc.returncode == 2
    assert proc.stderr.splitlines()[0].startswith("error: config: no node named Nope")
    assert "graph" in proc.stderr.splitlines()[1]
    assert len(openai_server.requests) == before


def test_explain_missing_file_is_a_config_error(tmp_path, openai_server) -> None:
    args = explain_args(openai_server, "echo")
    args[1] = str(tmp_path / "nope.nk")
    proc = cli(tmp_path, *args)
    assert proc.returncode == 2
    assert proc.stderr.startswith("error: config: ") and "no such file" in proc.stderr
