"""Prepared images (nuke_ai_panel.images.fitting): fitting a request to the size cap gives
exactly the bytes the slow way gives, and a send with history images does no Pillow
decoding or encoding, disk reading or hashing on the thread that sends."""

from __future__ import annotations

import base64
import hashlib
import pathlib
import threading
from typing import Any, Dict, Iterator, List

import pytest
from image_helpers import encode
from PIL import Image

from nuke_ai_panel.images import ImageAttachment, ImageError, fit_to_cap, fitting
from nuke_ai_panel.images import request as request_module
from nuke_ai_panel.session import ChatSession, Target, direct_dispatcher
from nuke_ai_panel.settings import ProviderSettings
from tests.protocol_servers import ProtocolServer


@pytest.fixture(autouse=True)
def _no_prepared_images() -> Iterator[None]:
    fitting.forget_all()
    yield
    fitting.forget_all()


@pytest.fixture(scope="module")
def server() -> Iterator[ProtocolServer]:
    with ProtocolServer("anthropic") as srv:
        yield srv


def noisy(label: str, side: int, seed: int = 100) -> ImageAttachment:
    return ImageAttachment.from_image(Image.effect_noise((side, side), seed).convert("RGB"),
                                      label)


def mixed() -> List[ImageAttachment]:
    """A JPEG photo, a matte with alpha (PNG), a graphic (few colours: PNG) and a small PNG."""
    noise = Image.effect_noise((384, 384), 100).convert("L")
    matte = Image.merge("RGBA", (noise, noise, noise, noise.point(lambda v: 128)))
    graphic = Image.new("RGB", (900, 500), (20, 20, 20))
    for x in range(0, 900, 30):
        graphic.paste((200, (x * 7) % 255, 40), (x, 0, x + 12, 500))
    swatch = Image.new("RGB", (40, 20), (9, 9, 9))
    return [noisy("grain.jpg", 640), ImageAttachment.from_image(matte, "matte.png"),
            ImageAttachment.from_image(graphic, "ui.png"),
            ImageAttachment.from_bytes(encode(swatch, "PNG"), "swatch.png")]


def fitted_or_error(images: List[ImageAttachment], cap: int) -> Any:
    try:
        return [(a.data, a.media_type, a.width, a.height, a.label, a.source, a.original_size)
                for a in fit_to_cap(images, cap)]
    except ImageError as exc:
        return (exc.kind, exc.message)


def test_prepared_images_fit_to_exactly_the_bytes_shrinking_makes():
    images = mixed()
    total = sum(a.byte_size for a in images)
    caps = [total // 2, total // 4, total // 8, 40_000, 20_000]
    slow = [fitted_or_error(images, cap) for cap in caps]
    assert any(isinstance(r, list) for r in slow) and any(isinstance(r, tuple) for r in slow)
    for image in images:
        assert fitting.prepare(image).attachment is image
    assert [fitted_or_error(images, cap) for cap in caps] == slow


class Counter:
    """Pillow decodes (``Image.open``) and encodes (``Image.save``), file reads
    (``Path.read_bytes``) and SHA-256 hashes, by the thread they ran on."""

    def __init__(self, monkeypatch: Any) -> None:
        self.calls: Dict[str, List[int]] = {"decode": [], "encode": [], "read": [], "hash": []}
        for kind, owner, name in (("decode", Image, "open"), ("encode", Image.Image, "save"),
                                  ("read", pathlib.Path, "read_bytes"),
                                  ("hash", hashlib, "sha256")):
            monkeypatch.setattr(owner, name, self._counted(kind, getattr(owner, name)))

    def _counted(self, kind: str, real: Any) -> Any:
        def counted(*args: Any, **kwargs: Any) -> Any:
            self.calls[kind].append(threading.get_ident())
            return real(*args, **kwargs)
        return counted

    def on(self, thread: int) -> Dict[str, int]:
        return {kind: idents.count(thread) for kind, idents in self.calls.items()}

    def clear(self) -> None:
        for idents in self.calls.values():
            idents.clear()


def test_a_send_with_history_images_does_no_image_work_on_the_sending_thread(
        private_worker, server, monkeypatch):
    images = [noisy(f"plate{i}.jpg", 384, 30 + 5 * i) for i in range(5)]
    cap = sum(a.byte_size for a in images) // 3
    monkeypatch.setattr(request_module, "DEFAULT_REQUEST_CAP", cap)
    # the panel's image thread prepares each image as it is attached
    preparing = threading.Thread(target=lambda: [fitting.prepare(a) for a in images])
    preparing.start()
    preparing.join(120)
    assert not preparing.is_alive()
    settings = ProviderSettings("anthropic", server.base_url, api_key="k", model="img-prep")
    session = ChatSession(private_worker, direct_dispatcher, save_history=True)
    counter = Counter(monkeypatch)
    me = threading.get_ident()
    first = session.send("Three plates", Target(settings), images=images[:3])
    assert first.wait(30) and first.finish is not None
    conv, _ = session.open(session.conversation.id)  # history images are references now
    assert conv is not None and all(isinstance(i, dict) for i in conv.messages[0].images)
    counter.clear()
    second = session.send("And two more", Target(settings), images=images[3:])
    assert counter.on(me) == {"decode": 0, "encode": 0, "read": 0, "hash": 0}
    assert second.wait(30) and second.finish is not None

    bodies = [r.json_body for r in server.requests if r.json_body.get("model") == "img-prep"]
    sent = [b["source"]["data"] for m in bodies[-1]["messages"]
            if isinstance(m["content"], list) for b in m["content"] if b["type"] == "image"]
    fitting.forget_all()
    expected = fit_to_cap(images, cap)
    assert any(a.byte_size < b.byte_size for a, b in zip(expected, images)), "some shrank"
    assert sent == [a.base64() for a in expected]

    # the counting sees the slow way: unprepared, the same send decodes and encodes here
    session.open(session.conversation.id)
    counter.clear()
    third = session.send("Once more", Target(settings), images=images[3:])
    seen = counter.on(me)
    assert third.wait(30) and third.finish is not None
    assert seen["decode"] > 0 and seen["encode"] > 0 and seen["read"] > 0
    session.close()
