"""Images in the chat panel, offscreen, against the protocol servers: the attach button,
paste and drop each put one thumbnail in the tray and exactly one image, in the provider's
own form, in the request; a 4000x3000 image arrives at most 1024 px on its long side; a
text-only Ollama model gets none and the panel says why; the studio file's
``image_providers`` keeps images from a provider; thumbnails come back in the transcript
from history, a missing file as a placeholder; image work runs off the main thread."""

from __future__ import annotations

import base64
import io
import threading
from pathlib import Path
from typing import Any, Callable, Dict, Iterator, List

import pytest

pytest.importorskip("Qt", reason="needs a Qt binding (PySide6 or PySide2)")
PIL = pytest.importorskip("PIL.Image")

from Qt import QtCore, QtGui, QtWidgets  # noqa: E402

from nuke_ai_panel import paths  # noqa: E402
from src.ui import attachments as attachments_module  # noqa: E402
from src.ui.attachments import NO_RENDER_TIP  # noqa: E402
from src.ui.thumbnails import thumbnail_url  # noqa: E402
from tests.protocol_servers import ProtocolServer  # noqa: E402
from tests.protocol_servers.image_parts import images_in, text_of  # noqa: E402
from tests.ui.panel_helpers import WAIT_MS, user_home, write_config  # noqa: E402

pytestmark = pytest.mark.qt

PROVIDERS = ("openai", "mistral", "anthropic", "gemini", "ollama")
Image = PIL


@pytest.fixture(scope="module")
def servers() -> Iterator[Dict[str, ProtocolServer]]:
    started = {p: ProtocolServer(p).start() for p in PROVIDERS}
    yield started
    for server in started.values():
        server.stop()


def png_file(path: Path, size=(64, 32), colour=(200, 10, 10)) -> Path:
    Image.new("RGB", size, colour).save(str(path), "PNG")
    return path


def chat_bodies(server: ProtocolServer, model: str) -> List[Dict[str, Any]]:
    return [r.json_body for r in server.requests
            if isinstance(r.json_body, dict) and not r.path.endswith("/api/show")
            and (r.json_body.get("model") == model or model in r.path)]


def decoded(data: str) -> Any:
    return Image.open(io.BytesIO(base64.b64decode(data)))


@pytest.fixture
def panel_on(make_panel: Callable[..., Any], servers: Dict[str, ProtocolServer],
             qtbot: Any) -> Callable[..., Any]:
    def make(provider: str, model: str, **kwargs: Any) -> Any:
        write_config(provider, servers[provider].base_url, max_retries=0, model=model)
        panel = make_panel(**kwargs)
        panel.set_model(model)
        return panel
    return make


def send(panel: Any, qtbot: Any, text: str) -> None:
    panel.prompt.setPlainText(text)
    assert panel.send()
    qtbot.waitUntil(lambda: not panel.streaming, timeout=WAIT_MS)


def wait_attached(panel: Any, qtbot: Any, count: int = 1) -> None:
    qtbot.waitUntil(lambda: panel.attachments.tray.count() == count
                    and not panel.attachments.busy, timeout=WAIT_MS)


# -- the three ways in -------------------------------------------------------------------------


@pytest.mark.parametrize("provider", PROVIDERS)
def test_attach_button_gives_one_thumbnail_and_one_image_in_the_providers_form(
        panel_on, servers, qtbot, tmp_path, monkeypatch, provider):
    model = f"vision-panel-{provider}"
    panel = panel_on(provider, model)
    path = png_file(tmp_path / "small.png")
    asked: List[str] = []

    def dialog(parent: Any, caption: str, folder: str, filters: str) -> Any:
        asked.append(filters)
        return [str(path)], filters.split(";;")[0]

    monkeypatch.setattr(QtWidgets.QFileDialog, "getOpenFileNames", staticmethod(dialog))
    button = panel.findChild(QtWidgets.QPushButton, "attachButton")
    assert button is panel.attachments.attach_button
    qtbot.mouseClick(button, QtCore.Qt.LeftButton)
    wait_attached(panel, qtbot)
    assert "*.png" in asked[0] and "*.exr" in asked[0]
    thumb = panel.attachments.tray.thumbs()[0]
    assert thumb.objectName() == "attachmentThumb" and "small.png, 64x32 PNG" in thumb.toolTip()
    send(panel, qtbot, "What colour is this?")
    (body,) = chat_bodies(servers[provider], model)
    (data,) = images_in(provider, body)
    image = decoded(data)
    assert image.size == (64, 32) and image.getpixel((5, 5))[:3] == (200, 10, 10)
    assert "What colour is this?" in text_of(provider, body)
    assert panel.attachments.tray.count() == 0 and panel.attachments.pending == []
    assert panel.transcript.messages()[0].images, "the user message keeps its image"


def test_paste_of_a_4000x3000_image_arrives_at_most_1024_px(panel_on, servers, qtbot):
    panel = panel_on("openai", "vision-paste")
    big = QtGui.QImage(4000, 3000, QtGui.QImage.Format_RGB32)
    big.fill(QtGui.QColor(30, 60, 90))
    mime = QtCore.QMimeData()
    mime.setImageData(big)
    assert panel.prompt.canInsertFromMimeData(mime)
    panel.prompt.insertFromMimeData(mime)
    wait_attached(panel, qtbot)
    assert panel.prompt.toPlainText() == "", "the image is not pasted as text"
    assert "pasted image, 1024x768" in panel.attachments.tray.thumbs()[0].toolTip()
    assert "resized from 4000x3000" in panel.attachments.tray.thumbs()[0].toolTip()
    send(panel, qtbot, "Too dark?")
    (body,) = chat_bodies(servers["openai"], "vision-paste")
    (data,) = images_in("openai", body)
    assert decoded(data).size == (1024, 768)


def test_paste_through_the_clipboard(panel_on, qtbot):
    panel = panel_on("openai", "vision-clipboard")
    mime = QtCore.QMimeData()
    image = QtGui.QImage(40, 20, QtGui.QImage.Format_ARGB32)
    image.fill(QtGui.QColor(255, 0, 0, 128))
    mime.setImageData(image)
    clipboard = QtWidgets.QApplication.clipboard()
    clipboard.setMimeData(mime)
    try:
        panel.prompt.setFocus()
        panel.prompt.paste()
        wait_attached(panel, qtbot)
    finally:
        clipboard.clear()  # data left on the clipboard crashes the offscreen platform at exit
    assert panel.attachments.pending[0].media_type == "image/png", "alpha keeps PNG"


def test_plain_text_still_pastes_as_text(panel_on):
    panel = panel_on("openai", "vision-text")
    mime = QtCore.QMimeData()
    mime.setText("just words")
    panel.prompt.insertFromMimeData(mime)
    assert panel.prompt.toPlainText() == "just words" and not panel.attachments.busy


def _drop_events(mime: QtCore.QMimeData) -> Any:
    actions = QtCore.Qt.CopyAction
    enter = QtGui.QDragEnterEvent(QtCore.QPoint(10, 10), actions, mime, QtCore.Qt.LeftButton,
                                  QtCore.Qt.NoModifier)
    drop = QtGui.QDropEvent(QtCore.QPointF(10, 10), actions, mime, QtCore.Qt.LeftButton,
                            QtCore.Qt.NoModifier)
    return enter, drop


def test_drop_of_an_image_file_on_the_panel(panel_on, servers, qtbot, tmp_path):
    panel = panel_on("anthropic", "vision-drop")
    path = png_file(tmp_path / "dropped.png", (30, 30), (0, 0, 255))
    mime = QtCore.QMimeData()
    mime.setUrls([QtCore.QUrl.fromLocalFile(str(path))])
    enter, drop = _drop_events(mime)
    QtWidgets.QApplication.sendEvent(panel, enter)
    assert enter.isAccepted()
    QtWidgets.QApplication.sendEvent(panel, drop)
    assert drop.isAccepted()
    wait_attached(panel, qtbot)
    send(panel, qtbot, "And this?")
    (body,) = chat_bodies(servers["anthropic"], "vision-drop")
    (data,) = images_in("anthropic", body)
    assert decoded(data).getpixel((1, 1))[:3] == (0, 0, 255)


def test_a_drop_without_images_is_refused(panel_on, tmp_path):
    panel = panel_on("openai", "vision-nodrop")
    text = tmp_path / "notes.txt"
    text.write_text("hello")
    mime = QtCore.QMimeData()
    mime.setUrls([QtCore.QUrl.fromLocalFile(str(text))])
    enter, _drop = _drop_events(mime)
    enter.ignore()
    QtWidgets.QApplication.sendEvent(panel, enter)
    assert not enter.isAccepted() and panel.attachments.tray.count() == 0


def test_a_removed_thumbnail_is_not_sent(panel_on, servers, qtbot, tmp_path):
    panel = panel_on("openai", "vision-removed")
    panel.attachments.attach_files([str(png_file(tmp_path / "a.png")),
                                    str(png_file(tmp_path / "b.png", colour=(0, 255, 0)))])
    wait_attached(panel, qtbot, 2)
    remove = panel.attachments.tray.thumbs()[0].findChild(QtWidgets.QToolButton,
                                                          "removeAttachmentButton")
    qtbot.mouseClick(remove, QtCore.Qt.LeftButton)
    assert panel.attachments.tray.count() == 1
    assert [a.label for a in panel.attachments.pending] == ["b.png"]
    send(panel, qtbot, "Green?")
    (body,) = chat_bodies(servers["openai"], "vision-removed")
    (data,) = images_in("openai", body)
    assert decoded(data).getpixel((1, 1))[:3] == (0, 255, 0)


def test_images_are_prepared_off_the_main_thread(panel_on, qtbot, tmp_path, monkeypatch):
    panel = panel_on("openai", "vision-thread")
    threads: List[str] = []
    real = attachments_module._prepared

    def watched(make: Any) -> Any:
        threads.append(threading.current_thread().name)
        return real(make)

    monkeypatch.setattr(attachments_module, "_prepared", watched)
    panel.attachments.attach_files([str(png_file(tmp_path / "t.png"))])
    wait_attached(panel, qtbot)
    assert threads and threads[0] != threading.main_thread().name
    assert threads[0].startswith("panel-images")


def noisy_jpeg(path: Path, seed: int) -> Path:
    grain = Image.merge("RGB", [Image.effect_noise((600, 600), seed + k) for k in range(3)])
    grain.save(str(path), "JPEG", quality=95)
    return path


def test_a_send_over_the_size_cap_does_no_image_work_on_the_main_thread(
        panel_on, make_panel, servers, qtbot, tmp_path, monkeypatch):
    """Images are prepared for the size cap on the image thread when attached (and, for a
    reopened conversation, when it is shown): a send whose history images must shrink does
    no Pillow decoding or encoding, file reading or hashing on the main thread, and sends
    the bytes fitting them the slow way gives."""
    import hashlib

    from nuke_ai_panel.images import fit_to_cap, fitting
    from nuke_ai_panel.images import request as request_module

    fitting.forget_all()
    panel = panel_on("openai", "vision-cap-thread")
    panel.attachments.attach_files([str(noisy_jpeg(tmp_path / f"p{i}.jpg", 8 + 2 * i))
                                    for i in range(3)])
    wait_attached(panel, qtbot, 3)
    send(panel, qtbot, "Three plates")
    history = list(panel.conversation.messages[0].images)
    cap = sum(a.byte_size for a in history)  # the 4 images of the next send exceed it
    monkeypatch.setattr(request_module, "DEFAULT_REQUEST_CAP", cap)
    main: Dict[str, int] = {"decode": 0, "encode": 0, "read": 0, "hash": 0}

    def counted(kind: str, real: Any) -> Any:
        def call(*args: Any, **kwargs: Any) -> Any:
            if threading.current_thread() is threading.main_thread():
                main[kind] += 1
            return real(*args, **kwargs)
        return call

    def count_main_thread_work(patch: Any) -> None:
        for kind, owner, name in (("decode", Image, "open"), ("encode", Image.Image, "save"),
                                  ("read", Path, "read_bytes"), ("hash", hashlib, "sha256")):
            patch.setattr(owner, name, counted(kind, getattr(owner, name)))

    def sent_images() -> List[str]:
        return images_in("openai", chat_bodies(servers["openai"], "vision-cap-thread")[-1])

    panel.attachments.attach_files([str(noisy_jpeg(tmp_path / "p3.jpg", 16))])
    wait_attached(panel, qtbot)
    new = list(panel.attachments.pending)
    qtbot.waitUntil(lambda: all(fitting.prepared(a.digest) for a in history + new),
                    timeout=WAIT_MS)
    with pytest.MonkeyPatch.context() as patch:
        count_main_thread_work(patch)
        send(panel, qtbot, "And one more")
    assert main == {"decode": 0, "encode": 0, "read": 0, "hash": 0}
    fitting.forget_all()
    expected = fit_to_cap(history + new, cap)
    assert [len(base64.b64decode(d)) for d in sent_images()] == [a.byte_size for a in expected]
    assert sent_images() == [a.base64() for a in expected]
    assert sum(a.byte_size for a in expected) < sum(a.byte_size for a in history + new)

    # a reopened conversation: its stored images are prepared off the main thread once shown
    conv_id = panel.conversation.id
    reopened = make_panel()
    reopened.set_model("vision-cap-thread")
    assert reopened.open_conversation(conv_id)
    qtbot.waitUntil(lambda: all(fitting.prepared(a.digest) for a in history + new),
                    timeout=WAIT_MS)
    with pytest.MonkeyPatch.context() as patch:
        count_main_thread_work(patch)
        send(reopened, qtbot, "Once more")
    assert main == {"decode": 0, "encode": 0, "read": 0, "hash": 0}
    assert sent_images() == [a.base64() for a in expected]
    fitting.forget_all()


# -- what cannot be attached or sent -----------------------------------------------------------


def test_an_exr_or_a_broken_file_is_told_clearly_and_not_attached(panel_on, qtbot, tmp_path):
    panel = panel_on("openai", "vision-bad")
    exr = tmp_path / "beauty.exr"
    exr.write_bytes(b"v/1\x01" + b"\x02\x00\x00\x00" + b"\x00" * 64)
    broken = tmp_path / "broken.png"
    broken.write_bytes(b"not an image at all")
    failures: List[str] = []
    panel.attachments.failed.connect(failures.append)
    panel.attachments.attach_files([str(exr), str(broken)])
    qtbot.waitUntil(lambda: len(failures) == 2, timeout=WAIT_MS)
    assert "beauty.exr is an OpenEXR file, which Pillow cannot read" in failures[0]
    assert "Attach Viewer frame" in failures[0]
    assert "broken.png is not an image Pillow can read" in failures[1]
    assert all(f in panel.notices.lines for f in failures)
    assert panel.attachments.tray.count() == 0


def test_a_text_only_ollama_model_gets_no_image_and_the_panel_says_why(panel_on, servers,
                                                                        qtbot, tmp_path):
    panel = panel_on("ollama", "text-only-panel")
    panel.attachments.attach_files([str(png_file(tmp_path / "plate.png"))])
    wait_attached(panel, qtbot)
    send(panel, qtbot, "What is it?")
    (body,) = chat_bodies(servers["ollama"], "text-only-panel")
    assert images_in("ollama", body) == [] and "What is it?" in text_of("ollama", body)
    shown = panel.transcript.toPlainText()
    assert shown.count("text-only-panel takes no image input") == 1, "the notice shows once"
    assert "plate.png" in shown
    assert panel.transcript.raw_texts()[-1] == "Echo: What is it?"


def test_a_server_that_refuses_images_shows_bad_request_with_the_hint(panel_on, qtbot,
                                                                      tmp_path):
    panel = panel_on("openai", "http-400-images")
    panel.attachments.attach_files([str(png_file(tmp_path / "x.png"))])
    wait_attached(panel, qtbot)
    send(panel, qtbot, "See?")
    assert panel.errors.kind == "bad_request"
    assert "This model takes no image input" in panel.errors.hint


def test_the_studio_file_keeps_images_from_a_provider(panel_on, servers, qtbot, tmp_path,
                                                      monkeypatch):
    studio = tmp_path / "studio.json"
    studio.write_text('{"version": 1, "image_providers": ["ollama"]}')
    monkeypatch.setenv("NUKE_AI_PANEL_STUDIO_CONFIG", str(studio))
    panel = panel_on("openai", "vision-studio")
    panel.attachments.attach_files([str(png_file(tmp_path / "secret.png"))])
    wait_attached(panel, qtbot)
    send(panel, qtbot, "Look")
    (body,) = chat_bodies(servers["openai"], "vision-studio")
    assert images_in("openai", body) == [] and "Look" in text_of("openai", body)
    assert "does not allow images to be sent to openai" in panel.transcript.toPlainText()


# -- the transcript -----------------------------------------------------------------------------


def test_transcript_thumbnails_come_back_from_history_or_say_what_is_missing(
        panel_on, make_panel, qtbot, tmp_path):
    panel = panel_on("ollama", "vision-history")
    panel.attachments.attach_files([str(png_file(tmp_path / "kept.png", (80, 40)))])
    wait_attached(panel, qtbot)
    send(panel, qtbot, "Remember this")
    digest = panel.conversation.messages[0].images[0].digest
    conv_id = panel.conversation.id
    reopened = make_panel()  # a fresh panel: its document has no thumbnail yet
    assert reopened.open_conversation(conv_id)
    assert reopened.conversation.messages[0].images[0]["image"].startswith(digest)
    document = reopened.transcript.document()
    resource = getattr(QtGui.QTextDocument, "ImageResource", None) or \
        QtGui.QTextDocument.ResourceType.ImageResource
    image = document.resource(resource, thumbnail_url(digest))
    assert isinstance(image, QtGui.QImage) and (image.width(), image.height()) == (80, 40)
    assert "thumb:" + digest in document.toHtml()
    assert "kept.png" in reopened.transcript.toPlainText()

    for stored in paths.images_dir(create=False).iterdir():
        stored.unlink()
    again = make_panel()
    assert again.open_conversation(conv_id)
    shown = again.transcript.toPlainText()
    assert "[image not available: kept.png]" in shown and "no longer in" in shown
    assert again.transcript.raw_texts() == ["Remember this", "Echo: Remember this"]


def test_viewer_button_is_disabled_in_the_standalone_app(make_panel, servers):
    write_config("openai", servers["openai"].base_url, max_retries=0, model="m")
    from src.ui.assist_controller import install
    panel = make_panel()
    install(panel)
    panel.attachments.update_viewer_button()
    button = panel.findChild(QtWidgets.QPushButton, "attachViewerButton")
    assert not button.isEnabled() and button.toolTip() == NO_RENDER_TIP
    assert not panel.attachments.attach_viewer_frame()
    assert NO_RENDER_TIP in panel.notices.lines
    assert user_home().exists()


def test_edit_last_puts_the_images_back_and_the_resend_carries_them(panel_on, servers, qtbot,
                                                                     tmp_path):
    panel = panel_on("openai", "vision-edit")
    panel.attachments.attach_files([str(png_file(tmp_path / "again.png"))])
    wait_attached(panel, qtbot)
    send(panel, qtbot, "First try")
    assert panel.attachments.tray.count() == 0
    assert panel.edit_last()
    assert panel.attachments.tray.count() == 1
    assert panel.attachments.pending[0].label == "again.png"
    panel.prompt.setPlainText("Second try")
    assert panel.send()
    qtbot.waitUntil(lambda: not panel.streaming, timeout=WAIT_MS)
    first, second = chat_bodies(servers["openai"], "vision-edit")
    assert len(images_in("openai", second)) == 1 and "First try" not in text_of("openai", second)
    assert [m.text for m in panel.conversation.messages] == ["Second try", "Echo: Second try"]


def test_edit_last_with_images_in_the_tray_merges_the_messages_images(panel_on, servers, qtbot,
                                                                      tmp_path):
    """Images attached before Edit last stay, the edited message's join them, and one in
    both is there once: the resend carries each image once."""
    panel = panel_on("openai", "vision-edit-merge")
    first = png_file(tmp_path / "first.png")
    panel.attachments.attach_files([str(first), str(png_file(tmp_path / "both.png",
                                                                 colour=(0, 0, 200)))])
    wait_attached(panel, qtbot, 2)
    send(panel, qtbot, "What is it?")
    panel.attachments.attach_files([str(png_file(tmp_path / "second.png", colour=(0, 200, 0))),
                                    str(tmp_path / "both.png")])
    wait_attached(panel, qtbot, 2)
    assert panel.edit_last()
    labels = [a.label for a in panel.attachments.pending]
    assert labels == ["second.png", "both.png", "first.png"]
    assert panel.attachments.tray.count() == 3
    send(panel, qtbot, "What is it, really?")
    body = chat_bodies(servers["openai"], "vision-edit-merge")[-1]
    colours = sorted(decoded(data).getpixel((5, 5))[:3] for data in images_in("openai", body))
    assert colours == [(0, 0, 200), (0, 200, 0), (200, 10, 10)]
    assert [len(m.images) for m in panel.conversation.messages] == [3, 0]
