"""Images on a session turn: kept in history by reference (the bytes once in the images
folder), sent again from there when the conversation goes on, fitted to the request's size
cap, and refused with nothing sent when they cannot fit."""

from __future__ import annotations

import base64
import io
import json
from typing import Iterator

import pytest
from image_helpers import encode
from PIL import Image

from nuke_ai_panel import paths
from nuke_ai_panel.images import ImageAttachment, ImageError
from nuke_ai_panel.session import ChatSession, Target, direct_dispatcher
from nuke_ai_panel.settings import ProviderSettings
from tests.protocol_servers import ProtocolServer


@pytest.fixture(scope="module")
def server() -> Iterator[ProtocolServer]:
    with ProtocolServer("anthropic") as srv:
        yield srv


def target(server: ProtocolServer, model: str) -> Target:
    return Target(ProviderSettings("anthropic", server.base_url, api_key="k", model=model))


def images_sent(server: ProtocolServer, model: str) -> list:
    bodies = [r.json_body for r in server.requests if r.json_body.get("model") == model]
    return [[b["source"]["data"] for m in body["messages"] if isinstance(m["content"], list)
             for b in m["content"] if b["type"] == "image"] for body in bodies]


def test_history_keeps_images_by_reference_and_sends_them_again(private_worker, server):
    image = ImageAttachment.from_bytes(encode(Image.new("RGB", (40, 20), (9, 9, 9)), "PNG"),
                                       "swatch.png")
    session = ChatSession(private_worker, direct_dispatcher, save_history=True)
    first = session.send("What is this?", target(server, "img-history"), images=[image])
    assert first.wait(30) and first.finish is not None
    stored = list(paths.images_dir(create=False).iterdir())
    assert [p.name for p in stored] == [f"{image.digest}.png"]
    saved = json.loads((paths.history_dir(create=False) /
                        f"{session.conversation.id}.json").read_text())
    refs = [m.get("images") for m in saved["messages"] if m["role"] == "user"]
    assert refs == [[{"image": f"{image.digest}.png", "width": 40, "height": 20,
                      "media_type": "image/png", "label": "swatch.png"}]]
    conv, _ = session.open(session.conversation.id)  # read back: references only
    assert conv is not None and conv.messages[0].images == refs[0]
    second = session.send("And now?", target(server, "img-history"))
    assert second.wait(30) and second.finish is not None
    sent = images_sent(server, "img-history")
    assert [len(s) for s in sent] == [1, 1] and sent[0] == sent[1] == [image.base64()]
    session.close()


def test_images_that_cannot_fit_are_refused_and_nothing_changes(private_worker, server,
                                                                monkeypatch):
    import nuke_ai_panel.images.request as request_module
    monkeypatch.setattr(request_module, "DEFAULT_REQUEST_CAP", 2000)
    noisy = Image.effect_noise((512, 512), 100).convert("RGB")
    image = ImageAttachment.from_image(noisy, "noise.png")
    session = ChatSession(private_worker, direct_dispatcher, save_history=False)
    with pytest.raises(ImageError) as caught:
        session.send("Look", target(server, "img-cap"), images=[image])
    assert caught.value.kind == "images_over_cap"
    assert session.conversation.messages == [] and not session.in_flight
    assert images_sent(server, "img-cap") == []
    session.close()


def test_a_big_image_is_shrunk_to_the_cap_before_sending(private_worker, server, monkeypatch):
    import nuke_ai_panel.images.request as request_module
    image = ImageAttachment.from_image(Image.effect_noise((1024, 1024), 100).convert("RGB"),
                                       "grain.jpg")
    monkeypatch.setattr(request_module, "DEFAULT_REQUEST_CAP", image.byte_size // 2)
    session = ChatSession(private_worker, direct_dispatcher, save_history=False)
    turn = session.send("Grain?", target(server, "img-shrink"), images=[image])
    assert turn.wait(30) and turn.finish is not None
    (sent,) = images_sent(server, "img-shrink")[0]
    assert len(base64.b64decode(sent)) <= image.byte_size // 2
    assert max(Image.open(io.BytesIO(base64.b64decode(sent))).size) <= 1024
    session.close()
