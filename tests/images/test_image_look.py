"""``/look`` with an attached image in the standalone app: the image, its probe and the
chain upstream of the selected node."""

from __future__ import annotations

from pathlib import Path

from PIL import Image

from nuke_ai_panel.graph.script_host import ScriptHost
from nuke_ai_panel.images import ImageAttachment
from nuke_ai_panel.images.look import image_look, image_probe

EXAMPLE = Path(__file__).resolve().parents[2] / "nuke_ai_panel" / "graph" / "examples" / "greenscreen_comp.nk"


def test_attached_image_with_probe_and_chain_of_the_selection():
    host = ScriptHost.from_file(str(EXAMPLE))
    host.select(["Premult_fg"])
    before = host.to_text()
    image = Image.new("RGBA", (40, 20), (255, 128, 0, 255))
    image.putpixel((0, 0), (0, 0, 0, 0))
    att = ImageAttachment.from_image(image, "edge.png")
    look = image_look(host, att)
    assert host.to_text() == before
    red, alpha = look.probe.channel("red"), look.probe.channel("alpha")
    assert (red.minimum, red.maximum, alpha.minimum, alpha.maximum) == (0.0, 1.0, 0.0, 1.0)
    assert red.mean == (255 * 799 / 800) / 255
    text = look.text()
    assert text.startswith("The attached image is edge.png, 40x20 PNG,")
    assert "Pixel probe of edge.png (8-bit file values, after any display transform)" in text
    assert "Premult_fg and the 7 node(s) upstream of it." in text and "name Read_plate" in text
    assert "name Merge_over" not in text


def test_without_a_selection_there_is_no_chain():
    host = ScriptHost.from_file(str(EXAMPLE))
    host.select([])
    look = image_look(host, ImageAttachment.from_image(Image.new("RGB", (4, 4)), "black"))
    assert look.chain == "" and "```nk" not in look.text()
    assert image_probe(look.attachment).channel("alpha") is None
