"""History keeps images by reference: the store under the user folder, and a missing file
reported rather than crashing."""

from __future__ import annotations

import json

import pytest
from PIL import Image

from nuke_ai_panel.images import ImageAttachment, ImageError, ImageStore, is_image_ref
from nuke_ai_panel.images import errors as E


@pytest.fixture
def image() -> ImageAttachment:
    return ImageAttachment.from_image(Image.new("RGBA", (64, 32), (9, 8, 7, 100)), "matte.png")


def test_round_trip_through_history_json(image, _isolated_user):
    store = ImageStore()
    ref = store.put(image)
    assert ref == {"image": f"{image.digest}.png", "width": 64, "height": 32,
                   "media_type": "image/png", "label": "matte.png"}
    path = _isolated_user / "images" / ref["image"]
    assert path.read_bytes() == image.data
    assert not [p for p in path.parent.iterdir() if p.name.startswith(".")]  # no temp files
    again = store.load(json.loads(json.dumps(ref)))
    assert (again.data, again.media_type, again.width, again.height, again.label) == (
        image.data, image.media_type, 64, 32, "matte.png")
    assert again.digest == image.digest and is_image_ref(ref)


def test_the_same_image_is_stored_once(image, _isolated_user):
    store = ImageStore()
    assert store.put(image) == store.put(image)
    assert len(list((_isolated_user / "images").iterdir())) == 1


def test_jpeg_is_stored_as_jpg(tmp_path):
    photo = ImageAttachment.from_image(Image.effect_noise((800, 600), 90).convert("RGB"), "p")
    ref = ImageStore(tmp_path).put(photo)
    assert ref["image"].endswith(".jpg") and ref["media_type"] == "image/jpeg"
    assert ImageStore(tmp_path).load(ref).media_type == "image/jpeg"


def test_a_missing_image_is_reported_not_a_crash(image, tmp_path):
    store = ImageStore(tmp_path)
    ref = store.put(image)
    (tmp_path / ref["image"]).unlink()
    with pytest.raises(ImageError) as err:
        store.load(ref)
    assert err.value.kind == E.IMAGE_GONE and "matte.png" in err.value.message
    assert "deleted or moved" in err.value.message and "without it" in err.value.hint


def test_an_altered_image_is_reported(image, tmp_path):
    store = ImageStore(tmp_path)
    ref = store.put(image)
    (tmp_path / ref["image"]).write_bytes(b"not the same")
    with pytest.raises(ImageError) as err:
        store.load(ref)
    assert err.value.kind == E.IMAGE_GONE and "changed" in err.value.message


@pytest.mark.parametrize("ref", [
    {"image": "../../secrets.png"}, {"image": "abc.png"}, {"image": 3}, {}, "x.png",
    {"image": "A" * 64 + ".png"}, {"image": "a" * 64 + ".gif"},
])
def test_malformed_references_never_leave_the_folder(ref, tmp_path):
    assert not is_image_ref(ref)
    with pytest.raises(ValueError, match="not an image reference"):
        ImageStore(tmp_path).load(ref)
