"""The node-class catalogue: reproducible build, lookups, nearest names, the live source."""

from __future__ import annotations

import subprocess
import sys
import threading

import pytest

from nk_data import ROOT

from nuke_ai_panel.graph.catalogue import (
    DATA_PATH, Catalogue, catalogue, nearest, normalize_version,
)
from nuke_ai_panel.graph.live_catalogue import live_catalogue, read_class_live


def test_build_is_reproducible_offline(tmp_path):
    out = tmp_path / "nuke_nodes.json"
    for _ in range(2):
        subprocess.run([sys.executable, str(ROOT / "scripts" / "build_catalogue.py"), "-o", str(out)],
                       check=True, capture_output=True)
        with open(DATA_PATH, "rb") as fh:
            assert out.read_bytes() == fh.read()


def test_versions_and_counts():
    cat = catalogue()
    assert normalize_version("15.1v3") == "15.0" and normalize_version(None) == "15.0"
    with pytest.raises(ValueError, match="supported: 14, 15, 16"):
        normalize_version("12.2")
    for v in ("14", "15", "16"):
        assert len(cat.classes(v)) >= 250
    assert "VariableSwitch" in cat.classes("16") and "VariableSwitch" not in cat.classes("15")
    assert "gsv" in cat.class_info("Root", "16").knobs and "gsv" not in cat.class_info("Root", "14").knobs


def test_class_info_blur():
    info = catalogue().class_info("Blur", "15.1")
    assert info.complete and info.max_inputs == 1 and info.masks == 1 and info.input_limit() == 2
    assert info.knobs["size"].type == "WH_Knob" and info.knobs["filter"].default == "gaussian"
    assert info.has_knob("xpos", catalogue().common_knobs())
    assert info.has_knob("size_panelDropped")
    doc = info.to_dict(catalogue().common_knobs())
    names = [k["name"] for k in doc["knobs"]]
    assert {"size", "channels", "label", "tile_color"} <= set(names)
    assert doc["inputs"] == {"names": ["input"], "max": 1, "masks": 1}
    assert doc["doc"].endswith("filter_nodes/blur.html")
    assert catalogue().class_info("Blurr") is None
    assert catalogue().class_info("Merge2").max_inputs is None


def test_every_node_has_the_common_knobs():
    common = catalogue().common_knobs()
    for knob in ("name", "xpos", "ypos", "selected", "label", "note_font", "tile_color", "gl_color",
                 "hide_input", "postage_stamp", "disable", "dope_sheet", "lifetimeStart", "indicators",
                 "bookmark"):
        assert knob in common


@pytest.mark.parametrize("wrong,cls,right", [
    ("sizee", "Blur", "size"), ("whitepoint_r", "Grade", "whitepoint"), ("Size", "Blur", "size"),
    ("whitpoint", "Grade", "whitepoint"), ("blackClamp", "Grade", "black_clamp"),
])
def test_nearest_knob(wrong, cls, right):
    assert catalogue().nearest_knob(cls, wrong) == right


@pytest.mark.parametrize("wrong,right", [
    ("Blurr", "Blur"), ("blur", "Blur"), ("Merge", "Merge2"), ("Grad", "Grade"),
    ("ColourCorrect", "ColorCorrect"), ("Tracker", "Tracker4"),
])
def test_nearest_class(wrong, right):
    assert catalogue().nearest_class(wrong) == right


def test_nearest_gives_up_when_nothing_is_close():
    assert nearest("completely_different", ["size", "filter"]) is None


def _blur_class():
    from fake_nuke import FakeNodeClass

    return FakeNodeClass({
        "name": ("String_Knob", "Blur1"), "xpos": ("Int_Knob", "0"), "ypos": ("Int_Knob", "0"),
        "Blur": ("Tab_Knob", ""), "channels": ("ChannelMask_Knob", "rgba"), "size": ("WH_Knob", "0"),
        "filter": ("Enumeration_Knob", "gaussian"), "quality": ("Int_Knob", "15"),
        "crop": ("Boolean_Knob", "true"), "mix": ("Double_Knob", "1"),
    }, max_inputs=2, optional_input=1)


def test_live_read_leaves_the_script_untouched(fake_nuke):
    fake, _ = fake_nuke
    fake.node_classes = {"Blur": _blur_class()}
    before = fake.host.script.copy()
    undo_before = fake.Undo.undoSize()
    selected = [n.full_name for n in fake.host.script.nodes if n.selected]
    info = read_class_live(fake, "Blur")
    assert info.source == "live" and info.complete
    assert info.knobs["size"].type == "WH_Knob" and info.knobs["filter"].default == "gaussian"
    assert "Blur" not in info.knobs  # a tab is not a setting
    assert (info.max_inputs, info.masks) == (1, 1)
    assert fake.created == [("Blur", False)]  # created with undo disabled
    assert fake.undo_enabled and fake.Undo.undoSize() == undo_before
    assert [n.full_name for n in fake.host.script.nodes] == [n.full_name for n in before.nodes]
    assert [n.full_name for n in fake.host.script.nodes if n.selected] == selected
    assert fake.script_modified is False
    assert read_class_live(fake, "Blurr") is None


def test_live_catalogue_wins_and_caches(fake_nuke):
    fake, _ = fake_nuke
    gizmo = _blur_class()
    fake.node_classes = {"Blur": _blur_class(), "Studio_Glow": gizmo}
    calls = []

    def run_on_main(fn):
        calls.append(threading.current_thread() is threading.main_thread())
        return fn()

    cat = live_catalogue(fake, run_on_main, base=Catalogue())
    assert cat.class_info("Studio_Glow", "15").source == "live"
    assert cat.class_info("Studio_Glow", "15") is not None and len(calls) == 1  # cached
    assert cat.class_info("Nope", "15") is None
    assert cat.class_info("Blur", "14").source == "catalogue"  # other versions: shipped data
    assert all(calls)


def test_live_read_through_the_main_thread(fake_nuke):
    fake, _ = fake_nuke
    fake.node_classes = {"Blur": _blur_class()}

    def run_on_main(fn):
        return fake.executeInMainThreadWithResult(fn)

    cat = live_catalogue(fake, run_on_main, base=Catalogue())
    info = fake.run_in_worker(cat.class_info, "Blur", "15")
    assert info.source == "live" and "quality" in info.knobs
