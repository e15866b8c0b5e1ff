"""The Viewer frame inside Nuke (the ``nuke`` stand-in), through NukeHost: image, float
pixels and upstream chain, with the script, its undo history, the selection and the
modified flag left exactly as they were, on success and on failure."""

from __future__ import annotations

import io
import os
import tempfile

import pytest
from fake_nuke import install
from PIL import Image

from nuke_ai_panel.graph import viewer_frame as vf
from nuke_ai_panel.graph.host import Host, HostError
from nuke_ai_panel.graph.nuke_host import NukeHost
from nuke_ai_panel.graph.script_host import ScriptHost
from nuke_ai_panel.graph.upstream import upstream_nodes, upstream_script
from nuke_ai_panel.images.float_tiff import read_float_tiff
from nuke_ai_panel.images.look import viewer_look

LUT_SCRIPT = """Root {
 inputs 0
 name /shots/lut.nk
 format "64 36 0 0 64 36 1 tiny"
 first_frame 1
 last_frame 10
}
Constant {
 inputs 0
 name Constant1
}
set Nc [stack 0]
Grade {
 name Grade1
}
push $Nc
Blur {
 name Blur1
}
Viewer {
 inputs 2
 viewerProcess rec709
 gain 2
 name Viewer1
}
Viewer {
 inputs 0
 viewerProcess None
 name Viewer2
}
"""


@pytest.fixture
def folders(monkeypatch):
    """Every temporary folder the render makes."""
    made = []
    real = tempfile.mkdtemp

    def mkdtemp(*args, **kwargs):
        made.append(real(*args, **kwargs))
        return made[-1]

    monkeypatch.setattr(vf.tempfile, "mkdtemp", mkdtemp)
    return made


def state(fake):
    """Everything the grab must leave as it was."""
    return (fake.host.to_text(), fake.host.undo_names(), fake.host.redo_names(),
            [n.name for n in fake.host.selected_nodes()], fake.script_modified,
            len(fake.host.all_nodes()))


def with_history(fake, host):
    """An undo step, an undone one (so redo has an entry), a selection, a saved script."""
    host.set_knob("Grade_final", "white", 1.2)
    host.set_knob("Blur_bgDefocus", "size", 9)
    host.undo()
    host.select(["Grade_fg", "Read_bg"])
    fake.script_modified = False


def test_the_frame_image_pixels_and_chain_leave_no_trace(fake_nuke, folders):
    fake, _ = fake_nuke
    host = NukeHost()
    with_history(fake, host)
    fake.frame(1010)
    before = state(fake)
    frame = fake.run_in_worker(host.viewer_frame)
    assert state(fake) == before
    assert folders and not any(os.path.exists(f) for f in folders)
    assert (frame.viewer, frame.node, frame.input_index, frame.frame) == ("Viewer1", "Write_comp", 0, 1010)
    assert (frame.width, frame.height, frame.channels) == (1920, 1080, "rgba")
    assert frame.display == "OCIO display 'ACES', view 'sRGB'"
    image = Image.open(io.BytesIO(frame.image))
    assert (image.format, image.mode, image.size) == ("PNG", "RGB", (1920, 1080))
    floats = read_float_tiff(frame.pixels)
    assert (floats.width, floats.height, floats.channels) == (1920, 1080, 4)
    assert floats.samples[0] == pytest.approx(-0.25) and floats.samples[1] == pytest.approx(1010 % 24 / 24)
    display, pixels = fake.renders
    assert display["transform"] == "OCIODisplay display='ACES', view='sRGB'"
    assert (display["file_type"], display["datatype"], display["channels"]) == ("png", "8 bit", "rgb")
    assert (pixels["transform"], pixels["datatype"], pixels["channels"]) == ("raw", "32 bit float", "rgba")
    assert display["viewed"] == pixels["viewed"] == "Write_comp"
    assert fake.undo_enabled and fake.host.undo_names() == ["Set white"]


def test_a_modified_script_stays_modified(fake_nuke):
    fake, _ = fake_nuke
    fake.script_modified = True
    fake.run_in_worker(NukeHost().viewer_frame)
    assert fake.script_modified is True


def test_look_sends_image_probe_and_upstream_chain(fake_nuke):
    fake, _ = fake_nuke
    fake.planted_pixels[(10, 20)] = (float("nan"), float("inf"), -3.0, 0.5)
    before = state(fake)
    look = fake.run_in_worker(viewer_look, NukeHost())
    assert state(fake) == before
    att = look.attachment
    assert (att.width, att.height, att.original_size) == (1024, 576, (1920, 1080))
    assert att.label == "Viewer1: Write_comp at frame 1001"
    red, green, blue = (look.probe.channel(c) for c in ("red", "green", "blue"))
    assert (red.nan, green.pos_inf, blue.minimum) == (1, 1, -3.0)
    assert red.minimum == pytest.approx(-0.25) and red.maximum == pytest.approx(1.25)
    assert look.probe.channel("alpha").maximum == 1.0
    text = look.text()
    assert text.startswith("The attached image is Viewer1's view of Write_comp at frame 1001, "
                           "1920x1080, through OCIO display 'ACES', view 'sRGB'.")
    assert "Pixel probe of Write_comp (Viewer1 input 0), frame 1001" in text
    assert "red has 1 NaN value(s)" in text
    assert "Write_comp and the 15 node(s) upstream of it." in text
    assert "name Read_plate" in text and "name Viewer1" not in text and "```nk" in text


def test_no_viewer_window(fake_nuke):
    fake, _ = fake_nuke
    fake.close_viewers()
    before = state(fake)
    with pytest.raises(HostError, match="No Viewer is open in Nuke"):
        fake.run_in_worker(NukeHost().viewer_frame)
    assert state(fake) == before and fake.renders == []


def test_a_viewer_showing_nothing(monkeypatch):
    fake, _ = install(monkeypatch, LUT_SCRIPT)
    fake.open_viewer("Viewer2")
    with pytest.raises(HostError, match="Viewer2 shows nothing: connect it to a node"):
        fake.run_in_worker(NukeHost().viewer_frame)


def test_the_active_input_and_a_nuke_lut(monkeypatch):
    fake, _ = install(monkeypatch, LUT_SCRIPT)
    window = fake.open_viewer("Viewer1")
    viewer = next(n for n in fake.host.all_nodes() if n.name == "Viewer1")
    window.activateInput(1)
    frame = fake.run_in_worker(NukeHost().viewer_frame, 3)
    assert (frame.node, frame.input_index, frame.frame) == (viewer.inputs[1], 1, 3)
    assert frame.display == "the Viewer LUT 'rec709'"
    assert frame.notes == ("the Viewer's gain 2 is not applied",)
    assert fake.renders[0]["transform"] == "colorspace 'rec709'"
    assert (frame.width, frame.height) == (64, 36)


def test_a_viewer_without_display_transform_and_a_frame_without_alpha(monkeypatch):
    fake, _ = install(monkeypatch, LUT_SCRIPT)
    fake.host.set_input("Viewer2", 0, "Grade1")
    fake.open_viewer("Viewer2")
    fake.node_channels["Constant1"] = ("rgba.red", "rgba.green", "rgba.blue")
    look = fake.run_in_worker(viewer_look, NukeHost())
    assert look.frame.display.startswith("no display transform")
    assert fake.renders[0]["transform"] == "raw" and look.frame.channels == "rgb"
    assert read_float_tiff(look.frame.pixels).channels == 3
    assert "alpha: none" in look.text()


def test_without_pixels_only_the_image_is_rendered(fake_nuke):
    fake, _ = fake_nuke
    frame = fake.run_in_worker(NukeHost().viewer_frame, None, False)
    assert frame.pixels is None and len(fake.renders) == 1


def test_a_failing_render_cleans_up_and_says_why(fake_nuke, folders):
    fake, _ = fake_nuke
    host = NukeHost()
    with_history(fake, host)
    fake.set_error("Read_plate", "Read error: file not found")
    before = state(fake)
    with pytest.raises(HostError) as err:
        fake.run_in_worker(host.viewer_frame)
    assert str(err.value) == ("Nuke could not render Write_comp at frame 1001 for the Viewer frame: "
                              "Read_plate: Read error: file not found")
    assert state(fake) == before and fake.undo_enabled
    assert folders and not any(os.path.exists(f) for f in folders)
    assert fake.swallowed == []


def test_the_standalone_app_has_no_viewer(fake_nuke):
    fake, _ = fake_nuke
    script = ScriptHost.from_text(fake.host.to_text())
    assert isinstance(script, Host) and isinstance(NukeHost(), Host)
    with pytest.raises(HostError, match="There is no Viewer in the standalone app"):
        script.viewer_frame()
    with pytest.raises(HostError, match="There is no Viewer"):
        viewer_look(script)


def test_upstream_chain_is_bounded(fake_nuke):
    fake, _ = fake_nuke
    host = NukeHost()
    names, cut = upstream_nodes(host, "Merge_over")
    assert not cut and "Read_bg" in names and "Write_comp" not in names and names[-1] == "Merge_over"
    near, cut = upstream_nodes(host, "Merge_over", limit=3)
    assert cut and near == ["Grade_fg", "Blur_bgDefocus", "Merge_over"]
    assert "(the nearest 3; the chain goes on further up)" in upstream_script(host, "Merge_over", limit=3)
    with pytest.raises(HostError, match="no node named Nope"):
        upstream_nodes(host, "Nope")


# -- the stand-in itself behaves like Nuke --------------------------------------------------


def test_execute_refuses_like_nuke(fake_nuke, tmp_path):
    fake, _ = fake_nuke
    blank = fake.nodes.Write()
    with pytest.raises(RuntimeError, match=f"{blank.name()}: no file name specified"):
        fake.execute(blank, 1001, 1001)
    blank["file"].setValue(str(tmp_path / "x.png"))
    with pytest.raises(RuntimeError, match="nothing is connected to its input"):
        fake.execute(blank.name(), 1001, 1001)
    with pytest.raises(RuntimeError, match="Grade_final cannot be executed"):
        fake.execute("Grade_final", 1, 1)
    blank.setInput(0, fake.toNode("Grade_final"))
    fake.execute(blank, 1001, 1003, 2)
    assert [r["frame"] for r in fake.renders] == [1001, 1003]
    with Image.open(tmp_path / "x.png") as written:
        assert written.size == (1920, 1080)


def test_viewer_windows_follow_their_nodes(fake_nuke):
    fake, _ = fake_nuke
    window = fake.activeViewer()
    assert window.node().name() == "Viewer1" and window.activeInput() == 0
    assert window.activeInput(secondary=True) is None
    with pytest.raises(ValueError, match="not connected"):
        window.activateInput(3)
    fake.delete(fake.toNode("Viewer1"))
    assert fake.activeViewer() is None
    assert fake.frame() == 1001 and fake.frame(1005) == 1005 and fake.frame() == 1005


def test_undo_disabled_records_nothing(fake_nuke):
    fake, _ = fake_nuke
    names = fake.host.undo_names()
    fake.Undo.disable()
    node = fake.nodes.Blur()
    node["size"].setValue(4)
    fake.delete(node)
    fake.Undo.enable()
    assert fake.host.undo_names() == names
    node = fake.nodes.Blur()
    assert fake.host.undo_names() == names + ["Create Blur"]


def test_active_viewer_names_the_open_viewer_or_none(fake_nuke):
    fake, _ = fake_nuke
    host = NukeHost()
    assert host.active_viewer() == "Viewer1"  # on the main thread: a direct call
    assert fake.run_in_worker(host.active_viewer) == "Viewer1"  # marshalled
    fake.close_viewers()
    assert host.active_viewer() is None
