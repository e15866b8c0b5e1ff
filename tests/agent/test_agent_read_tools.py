"""Read tools on the example comp and real Nuke-written scripts, on both hosts, with
bounded output: a tiny budget is kept, and the result says what was cut and how to ask."""

from __future__ import annotations

import json

import pytest
from agent_hosts import NK_DATA, make_backend
from nk_data import ALL_FILES, read

from nuke_ai_panel.agent import HostClassInfo, ToolRegistry
from nuke_ai_panel.agent.results import MIN_RESULT_BUDGET
from nuke_ai_panel.graph.nkscript import parse_script
from nuke_ai_panel.graph.script_host import ScriptHost


def listed(result):
    assert result.ok, result.text
    return json.loads(result.text)


def test_get_script_info(backend):
    before = backend.text()
    result = backend.run(ToolRegistry(backend.host).call, "get_script_info", {})
    doc = json.loads(result.text)
    assert doc["format"] == {"name": "HD_1080", "width": 1920, "height": 1080, "pixel_aspect": 1}
    assert doc["fps"] == 24 and doc["frame_range"] == [1001, 1100]
    assert doc["colour_management"]["OCIO_config"] == "aces_1.2"
    assert doc["colour_management"]["workingSpaceLUT"] == "ACES - ACEScg"
    assert doc["node_count"] == 19 and doc["classes"]["Grade"] == 2
    assert result.summary == "1920x1080 HD_1080, 24 fps, frames 1001-1100, OCIO aces_1.2, 19 nodes"
    assert backend.text() == before and backend.undo_names() == []


def test_list_nodes_filters(backend):
    registry = ToolRegistry(backend.host)
    call = lambda args: listed(backend.run(registry.call, "list_nodes", args))  # noqa: E731
    everything = call({})
    assert everything["matching"] == 19 and everything["shown"] == 19
    merge = next(n for n in everything["nodes"] if n["name"] == "Merge_over")
    assert merge == {"name": "Merge_over", "class": "Merge2", "inputs": ["Blur_bgDefocus", "Grade_fg"],
                     "selected": False, "error": None}
    assert [n["name"] for n in call({"class": "grade"})["nodes"]] == ["Grade_fg", "Grade_final"]
    assert call({"group": "root", "limit": 3})["shown"] == 3
    limited = call({"limit": 2})
    assert limited["matching"] == 19 and limited["shown"] == 2 and "17 more not shown (the limit)" in limited["more"]
    backend.script.select(["Read_bg", "Grade_fg"])
    assert [n["name"] for n in call({"selected_only": True})["nodes"]] == ["Grade_fg", "Read_bg"]
    backend.script.set_node_error("Merge_over", "channel mismatch")
    errors = call({"errors_only": True})["nodes"]
    assert [n["name"] for n in errors] == ["Merge_over"] and errors[0]["error"]
    missing = call({"class": "Blurr"})
    assert missing["matching"] == 0 and "similar classes present: Blur" in missing["note"]


def test_list_nodes_inside_a_group(monkeypatch):
    for kind in ("script", "nuke"):
        b = make_backend(kind, read("log2shaper_toolset.nk"), monkeypatch)
        registry = ToolRegistry(b.host)
        inside = listed(b.run(registry.call, "list_nodes", {"group": "Log2Shaper"}))
        assert inside["matching"] > 3
        assert all(n["name"].startswith("Log2Shaper.") for n in inside["nodes"])
        top = listed(b.run(registry.call, "list_nodes", {"group": "root"}))
        assert all("." not in n["name"] for n in top["nodes"])
        wrong = b.run(registry.call, "list_nodes", {"group": "Log2Shaperr"})
        assert not wrong.ok and "did you mean Log2Shaper" in wrong.text


def test_read_nodes_is_nukes_own_text(backend):
    registry = ToolRegistry(backend.host)
    result = backend.run(registry.call, "read_nodes", {"names": ["Grade_fg", "Despill_green", "Grade_fg"]})
    assert result.ok and not result.cut
    body = result.text.split("```nk\n", 1)[1].rsplit("```", 1)[0]
    assert body.strip() == backend.run(backend.host.node_script, ["Grade_fg", "Despill_green"]).strip()
    nodes = parse_script(body, paste=True).nodes
    assert [n.name for n in nodes] == ["Despill_green", "Grade_fg"]  # script order, as nodeCopy
    assert nodes[1].knobs["gamma"] == "0.96"
    assert result.summary == "read Grade_fg, Despill_green"


def test_read_nodes_names_what_does_not_exist(backend):
    result = backend.run(ToolRegistry(backend.host).call, "read_nodes", {"names": ["Grade_fg", "grade_FG", "Nope"]})
    assert not result.ok
    assert "No nodes named 'grade_FG' (did you mean Grade_fg?); 'Nope'." in result.text


def test_find_errors(backend):
    registry = ToolRegistry(backend.host)
    clean = backend.run(registry.call, "find_errors", {})
    assert clean.ok and clean.summary == "no node reports an error"
    backend.script.set_node_error("Merge_over", "channel mismatch")
    result = backend.run(registry.call, "find_errors", {})
    assert result.summary == "1 node(s) in error: Merge_over"
    assert "Merge_over (Merge2)" in result.text and "name Merge_over" in result.text
    assert "inputs 0: Blur_bgDefocus, 1: Grade_fg" in result.text


def test_node_class_info_answers_from_the_catalogue(comp):
    doc = listed(ToolRegistry(comp, budget=20000).call("node_class_info", {"class": "Grade"}))
    # Outside Nuke even a curated class may miss a knob Nuke has: the answer says partial.
    assert doc["partial"] is True and doc["source"] == "catalogue, Nuke 15.0"
    assert {k["name"] for k in doc["knobs"]} >= {"white", "gamma", "multiply", "black_clamp", "mix"}
    assert doc["inputs"]["max"] == 1 and doc["inputs"]["masks"] == 1


def test_node_class_info_from_the_script_is_labelled_partial():
    host = ScriptHost(parse_script("StudioGlow {\n glow_size 4\n name StudioGlow1\n}\n"))
    doc = listed(ToolRegistry(host).call("node_class_info", {"class": "StudioGlow"}))
    assert doc["partial"] is True and "partial" in doc["source"]
    assert {k["name"] for k in doc["knobs"]} >= {"glow_size", "name"}
    assert doc["inputs"] is None and doc["inputs_connected_at_most"] == 0


def test_node_class_info_in_nuke_lists_the_live_knobs(monkeypatch):
    nuke = make_backend("nuke", read("greenscreen_comp.nk"), monkeypatch)
    registry = ToolRegistry(nuke.host, budget=20000)
    doc = listed(nuke.run(registry.call, "node_class_info", {"class": "Grade"}))
    assert doc["partial"] is False and doc["source"].startswith("the running Nuke")
    assert {"gamma", "white"} <= {k["name"] for k in doc["knobs"]}


class Catalogue:
    """Stands in for the section 12 catalogue: complete answers for a few classes."""

    def __init__(self):
        self.asked = []

    def class_info(self, name):
        self.asked.append(name)
        if name != "Blur":
            return None
        return {"class": "Blur", "inputs": 2, "partial": False, "source": "catalogue, Nuke 15.1",
                "knobs": [{"name": "size", "type": "WH_Knob", "default": 0},
                          {"name": "filter", "type": "Enumeration_Knob", "default": "gaussian"}]}

    def known_classes(self):
        return ["Blur", "Grade", "Merge2"]


def test_node_class_info_asks_the_pluggable_source_first(comp):
    source = Catalogue()
    registry = ToolRegistry(comp, class_info=source)
    doc = listed(registry.call("node_class_info", {"class": "Blur"}))
    assert doc["source"] == "catalogue, Nuke 15.1" and doc["inputs"] == 2
    assert doc["knobs"][1] == {"name": "filter", "type": "Enumeration_Knob", "default": "gaussian"}
    grade = listed(registry.call("node_class_info", {"class": "Grade"}))
    assert grade["partial"] is True and source.asked == ["Blur", "Grade"]
    assert grade["source"].startswith("catalogue")
    lower = listed(registry.call("node_class_info", {"class": "merge2"}))
    assert lower["class"] == "Merge2"
    unknown = registry.call("node_class_info", {"class": "Blurr"})
    assert not unknown.ok and "Did you mean Blur?" in unknown.text
    assert "no catalogue knows it" in unknown.text


def test_host_class_info_knows_nothing_about_classes_not_in_the_script(comp):
    assert HostClassInfo(comp).class_info("Defocus") is None
    assert "Grade" in HostClassInfo(comp).known_classes()


@pytest.mark.parametrize("tool, args, hint", [
    ("get_script_info", {}, "list_nodes filters"),
    ("list_nodes", {}, "narrow the search"),
    ("read_nodes", {"names": ["Roto_garbage", "Transform_bgShake", "Despill_green", "Read_plate"]},
     "fewer names"),
    ("find_errors", {}, "read_nodes shows one node in full"),
    ("node_class_info", {"class": "Read"}, "cut"),
])
def test_a_tiny_budget_is_kept_and_says_what_was_cut(comp, tool, args, hint):
    comp.set_node_error("Read_plate", "file not found: /jobs/plate.exr")
    comp.set_node_error("Merge_over", "channel mismatch")
    full = ToolRegistry(comp).call(tool, args)
    tiny = ToolRegistry(comp, budget=MIN_RESULT_BUDGET).call(tool, args)
    assert full.ok and tiny.ok and len(full.text) > MIN_RESULT_BUDGET
    assert len(tiny.text) <= MIN_RESULT_BUDGET and tiny.cut
    assert hint in tiny.text, tiny.text


def test_list_nodes_stops_at_the_budget_and_stays_json(comp):
    result = ToolRegistry(comp, budget=700).call("list_nodes", {})
    doc = json.loads(result.text)
    assert 0 < doc["shown"] < 19 and "(the result size budget)" in doc["more"]
    assert len(result.text) <= 700


@pytest.mark.parametrize("name", ALL_FILES)
def test_read_tools_on_real_scripts(name):
    host = ScriptHost(parse_script((NK_DATA / name).read_text(encoding="utf-8")))
    before = host.to_text()
    registry = ToolRegistry(host, budget=3000)
    info = json.loads(registry.call("get_script_info", {}).text)
    nodes = listed(registry.call("list_nodes", {"limit": 500}))
    assert info["node_count"] == nodes["matching"] == len(host.all_nodes()) > 0
    tops = [n["name"] for n in nodes["nodes"] if "." not in n["name"]]
    result = registry.call("read_nodes", {"names": tops})
    assert result.ok and len(result.text) <= 3000
    assert registry.call("find_errors", {}).ok
    first = host.all_nodes()[0].node_class
    info = registry.call("node_class_info", {"class": first})
    assert info.ok and f'"class": "{first}"' in info.text
    assert host.to_text() == before and host.undo_names() == []
