"""``/look`` and "Attach Viewer frame" in the panel: in the standalone app with an attached
image, and inside the ``nuke`` stand-in with the active Viewer's frame. The server receives
image + pixel probe + upstream chain; the script's .nk text, undo and redo history,
selection and modified flag are unchanged afterwards."""

from __future__ import annotations

import base64
import io
from pathlib import Path
from typing import Any, Dict, Iterator, List

import pytest

pytest.importorskip("Qt", reason="needs a Qt binding (PySide6 or PySide2)")
PIL = pytest.importorskip("PIL.Image")

from Qt import QtCore, QtWidgets  # noqa: E402

from nuke_ai_panel.graph.nuke_host import NukeHost  # noqa: E402
from src.ui.look_command import NO_IMAGE  # noqa: E402
from tests import fake_nuke  # noqa: E402
from tests.protocol_servers import ProtocolServer  # noqa: E402
from tests.ui.panel_helpers import WAIT_MS, write_config  # noqa: E402

pytestmark = pytest.mark.qt

ROOT = Path(__file__).resolve().parents[2]
EXAMPLE = ROOT / "nuke_ai_panel" / "graph" / "examples" / "greenscreen_comp.nk"


def openai_bodies(server: ProtocolServer, model: str) -> List[Dict[str, Any]]:
    return [r.json_body for r in server.requests
            if isinstance(r.json_body, dict) and r.json_body.get("model") == model]


def parts(body: Dict[str, Any]) -> Any:
    (user,) = [m for m in body["messages"] if m["role"] == "user"]
    text = "\n".join(p["text"] for p in user["content"] if p["type"] == "text")
    images = [p["image_url"]["url"] for p in user["content"] if p["type"] == "image_url"]
    return text, images


def size_of(url: str) -> Any:
    return PIL.open(io.BytesIO(base64.b64decode(url.split(",", 1)[1]))).size


def run_look(panel: Any, qtbot: Any, server: ProtocolServer, model: str, text: str) -> Any:
    panel.prompt.setPlainText(text)
    assert panel.send()
    assert panel.prompt.toPlainText() == ""
    qtbot.waitUntil(lambda: len(openai_bodies(server, model)) == 1 and not panel.streaming,
                    timeout=WAIT_MS)
    return parts(openai_bodies(server, model)[0])


# -- the standalone app: an attached image -------------------------------------------------------


def test_look_in_the_standalone_app_with_an_attached_image(make_panel, openai_server, qtbot,
                                                           tmp_path):
    from src.ui.assist_controller import install

    write_config("openai", openai_server.base_url, max_retries=0, model="look-standalone")
    panel = make_panel()
    install(panel)
    host = panel.host
    host.set_knob("Grade_fg", "white", 1.5)  # an undo step, and an undone one for redo
    host.undo()
    host.select(["Premult_fg"])
    before = (host.to_text(), host.undo_names(), host.redo_names(),
              [n.name for n in host.selected_nodes()])
    path = tmp_path / "edge.png"
    PIL.new("RGB", (2000, 1000), (255, 128, 0)).save(str(path))
    panel.attachments.attach_files([str(path)])
    qtbot.waitUntil(lambda: panel.attachments.tray.count() == 1, timeout=WAIT_MS)

    text, images = run_look(panel, qtbot, openai_server, "look-standalone",
                            "/look why is the edge dark?")
    assert len(images) == 1 and size_of(images[0]) == (1024, 512)
    assert text.startswith("why is the edge dark?\n\nThe attached image is edge.png, 1024x512")
    assert "Pixel probe of edge.png (8-bit file values" in text
    assert "Premult_fg and the 7 node(s) upstream of it." in text and "```nk" in text
    assert "name Read_plate" in text
    after = (host.to_text(), host.undo_names(), host.redo_names(),
             [n.name for n in host.selected_nodes()])
    assert after == before
    assert panel.attachments.tray.count() == 0
    assert panel.transcript.messages()[0].images, "the frame is on the user message"


def test_look_without_an_image_in_the_standalone_app_says_what_to_do(make_panel, openai_server):
    from src.ui.assist_controller import install

    write_config("openai", openai_server.base_url, max_retries=0, model="look-nothing")
    panel = make_panel()
    install(panel)
    panel.prompt.setPlainText("/look anything wrong?")
    assert not panel.send()
    assert panel.prompt.toPlainText() == "/look anything wrong?", "nothing typed is lost"
    assert NO_IMAGE in panel.notices.lines
    assert openai_bodies(openai_server, "look-nothing") == []


# -- inside Nuke (the stand-in) ------------------------------------------------------------------


@pytest.fixture
def fake(monkeypatch: pytest.MonkeyPatch, qtbot: Any) -> Iterator[Any]:
    """The stand-in holding the example comp, its main-thread calls served by a timer (as
    Nuke's event loop serves executeInMainThreadWithResult)."""
    nuke, _scripts = fake_nuke.install(monkeypatch, EXAMPLE.read_text(encoding="utf-8"))
    timer = QtCore.QTimer()
    timer.setInterval(5)
    timer.timeout.connect(nuke.process_events)
    timer.start()
    yield nuke
    timer.stop()


def state(fake: Any) -> Any:
    host = fake.host
    return (host.to_text(), host.undo_names(), host.redo_names(),
            [n.name for n in host.selected_nodes()], fake.script_modified,
            len(host.all_nodes()))


def nuke_panel(make_panel: Any, fake: Any, server: ProtocolServer, model: str) -> Any:
    write_config("openai", server.base_url, max_retries=0, model=model)
    host = NukeHost()
    panel = make_panel(host=host)
    host.set_knob("Grade_final", "white", 1.2)
    host.set_knob("Blur_bgDefocus", "size", 9)
    host.undo()
    host.select(["Grade_fg", "Read_bg"])
    fake.script_modified = False
    return panel


def test_look_in_nuke_sends_the_viewer_frame_probe_and_chain(make_panel, openai_server, fake,
                                                             qtbot):
    panel = nuke_panel(make_panel, fake, openai_server, "look-nuke")
    fake.planted_pixels[(10, 20)] = (float("nan"), float("inf"), -3.0, 0.5)
    before = state(fake)
    text, images = run_look(panel, qtbot, openai_server, "look-nuke", "/look fireflies?")
    assert len(images) == 1 and size_of(images[0]) == (1024, 576)
    assert text.startswith("fireflies?\n\nThe attached image is Viewer1's view of Write_comp "
                           "at frame 1001, 1920x1080")
    assert "Pixel probe of Write_comp (Viewer1 input 0), frame 1001" in text
    assert "red has 1 NaN value(s)" in text
    assert "Write_comp and the 15 node(s) upstream of it." in text and "```nk" in text
    assert state(fake) == before
    assert fake.undo_enabled and fake.swallowed == []
    assert fake.main_thread_calls > 0, "Nuke's part ran through executeInMainThreadWithResult"


def test_attach_viewer_frame_button_in_nuke(make_panel, openai_server, fake, qtbot):
    panel = nuke_panel(make_panel, fake, openai_server, "viewer-button")
    button = panel.findChild(QtWidgets.QPushButton, "attachViewerButton")
    panel.attachments.update_viewer_button()
    assert button.isEnabled() and "Viewer1" in button.toolTip()
    before = state(fake)
    qtbot.mouseClick(button, QtCore.Qt.LeftButton)
    qtbot.waitUntil(lambda: panel.attachments.tray.count() == 1 and not panel.attachments.busy,
                    timeout=WAIT_MS)
    assert panel.attachments.pending[0].label == "Viewer1: Write_comp at frame 1001"
    assert "Pixel probe of Write_comp" in panel.prompt.toPlainText()
    assert state(fake) == before

    fake.close_viewers()
    panel.attachments.update_viewer_button()
    assert not button.isEnabled() and button.toolTip() == "Open a Viewer in Nuke to attach its frame."


def test_look_in_nuke_without_a_viewer_keeps_the_command(make_panel, openai_server, fake, qtbot):
    panel = nuke_panel(make_panel, fake, openai_server, "look-no-viewer")
    fake.close_viewers()
    panel.prompt.setPlainText("/look hm")
    assert panel.send()
    qtbot.waitUntil(lambda: panel.prompt.toPlainText() == "/look hm", timeout=WAIT_MS)
    assert any("No Viewer is open in Nuke" in line for line in panel.notices.lines)
    assert openai_bodies(openai_server, "look-no-viewer") == []
