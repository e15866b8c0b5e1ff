"""The per-request size cap and each provider's wire form (PROTOCOLS "Images")."""

from __future__ import annotations

import base64
import io

import pytest
from PIL import Image

from nuke_ai_panel.images import (
    DEFAULT_REQUEST_CAP,
    ImageAttachment,
    ImageError,
    WIRE_STYLES,
    fit_to_cap,
    image_part,
    wire_image,
)
from nuke_ai_panel.images import errors as E


def noisy(label: str, side: int = 1024) -> ImageAttachment:
    return ImageAttachment.from_image(Image.effect_noise((side, side), 100).convert("RGB"), label)


def test_images_within_the_cap_are_left_alone():
    images = [noisy("a", 256), noisy("b", 256)]
    assert sum(a.byte_size for a in images) < DEFAULT_REQUEST_CAP
    out = fit_to_cap(images)
    assert all(x is y for x, y in zip(out, images))


def test_images_over_the_cap_are_shrunk_to_fit():
    images = [noisy(f"n{i}") for i in range(8)]
    assert sum(a.byte_size for a in images) > DEFAULT_REQUEST_CAP
    out = fit_to_cap(images)
    assert sum(a.byte_size for a in out) <= DEFAULT_REQUEST_CAP
    assert [a.label for a in out] == [a.label for a in images]
    assert all(max(a.width, a.height) <= 1024 and a.media_type == "image/jpeg" for a in out)
    assert all(a.original_size == (1024, 1024) for a in out)


def test_alpha_images_over_the_cap_get_smaller():
    noise = Image.effect_noise((1024, 1024), 100).convert("L")
    rgba = Image.merge("RGBA", (noise, noise, noise, noise.point(lambda v: 128)))
    image = ImageAttachment.from_image(rgba, "matte")
    out = fit_to_cap([image], cap=image.byte_size // 3)
    assert out[0].media_type == "image/png" and max(out[0].width, out[0].height) < 1024
    assert out[0].byte_size <= image.byte_size // 3
    assert Image.open(io.BytesIO(out[0].data)).mode == "RGBA"


def test_images_that_cannot_fit_are_refused_with_what_to_do():
    images = [noisy(f"n{i}", 512) for i in range(5)]
    with pytest.raises(ImageError) as err:
        fit_to_cap(images, cap=20_000)
    assert err.value.kind == E.IMAGES_OVER_CAP
    assert err.value.message.startswith("5 images come to ") and "0.0 MB" in err.value.message
    assert "Remove some of the images" in err.value.hint


def test_wire_forms_follow_each_provider():
    image = ImageAttachment.from_image(Image.new("RGB", (4, 4), (1, 2, 3)), "tiny")
    data = base64.b64encode(image.data).decode()
    url = "data:image/png;base64," + data
    assert wire_image(image) == ("image/png", data, url)
    assert image_part(image, "openai") == {"type": "image_url", "image_url": {"url": url}}
    assert image_part(image, "mistral") == {"type": "image_url", "image_url": url}
    assert image_part(image, "anthropic") == {
        "type": "image", "source": {"type": "base64", "media_type": "image/png", "data": data}}
    assert image_part(image, "gemini") == {"inline_data": {"mime_type": "image/png", "data": data}}
    assert image_part(image, "ollama") == data
    assert set(WIRE_STYLES) == {"openai", "mistral", "anthropic", "gemini", "ollama"}
    with pytest.raises(ValueError, match="unknown image wire style"):
        image_part(image, "cohere")


def test_jpeg_media_type_reaches_the_wire():
    image = noisy("photo")
    assert image.media_type == "image/jpeg"
    assert image_part(image, "openai")["image_url"]["url"].startswith("data:image/jpeg;base64,/9j/")

