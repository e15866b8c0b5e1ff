"""ImageAttachment: decoding every common format, orientation, colour modes, resizing,
encoding choice, and a clear error for every bad input."""

from __future__ import annotations

import base64
import io
import struct
import subprocess
import sys
import zlib
from pathlib import Path

import pytest
from image_helpers import encode
from PIL import Image

from nuke_ai_panel.images import ImageAttachment, ImageError, MAX_SIDE
from nuke_ai_panel.images import errors as E

ROOT = Path(__file__).resolve().parents[2]


def opened(attachment: ImageAttachment) -> Image.Image:
    image = Image.open(io.BytesIO(attachment.data))
    image.load()
    return image


def test_a_4000x3000_photo_arrives_at_1024_on_its_long_side_as_jpeg(tmp_path, photo):
    path = tmp_path / "plate.jpg"
    path.write_bytes(encode(photo, "JPEG", quality=95))
    att = ImageAttachment.from_path(str(path))
    assert (att.width, att.height) == (1024, 768)
    assert att.media_type == "image/jpeg" and opened(att).format == "JPEG"
    assert opened(att).size == (1024, 768)
    assert att.original_size == (4000, 3000)
    assert att.label == "plate.jpg" and att.source == str(path)
    assert att.describe() == f"plate.jpg, 1024x768 JPEG, {att.byte_size / 1024:.0f} KB (resized from 4000x3000)"


def test_portrait_and_small_images_are_never_upscaled(photo):
    portrait = Image.effect_noise((1536, 2048), 60).convert("RGB")
    tall = ImageAttachment.from_bytes(encode(portrait, "PNG", compress_level=1))
    assert (tall.width, tall.height) == (768, 1024)
    small = ImageAttachment.from_bytes(encode(photo.resize((200, 100)), "PNG"), label="small")
    assert (small.width, small.height) == (200, 100) and small.original_size == (200, 100)
    assert small.media_type == "image/png"  # small enough to stay exact


def test_alpha_is_kept_as_png_and_not_premultiplied():
    image = Image.new("RGBA", (2048, 1024), (200, 40, 10, 128))
    att = ImageAttachment.from_image(image, "matte")
    out = opened(att)
    assert att.media_type == "image/png" and out.mode == "RGBA" and out.size == (1024, 512)
    # straight alpha survives; Pillow's premultiplied resize may round by one level
    assert all(abs(a - b) <= 1 for a, b in zip(out.getpixel((500, 200)), (200, 40, 10, 128)))
    assert out.getpixel((500, 200))[3] == 128
    assert image.size == (2048, 1024)  # the caller's image is left alone


def test_an_opaque_alpha_channel_is_dropped():
    att = ImageAttachment.from_image(Image.new("RGBA", (64, 64), (1, 2, 3, 255)), "opaque")
    assert opened(att).mode == "RGB"


def test_graphic_images_stay_png(photo):
    graphic = photo.resize((2000, 1500)).quantize(16).convert("RGB")
    att = ImageAttachment.from_image(graphic, "node graph")
    assert att.media_type == "image/png"


@pytest.mark.parametrize("fmt, options", [
    ("PNG", {}), ("JPEG", {}), ("WEBP", {"lossless": True}), ("TIFF", {}), ("BMP", {}),
    ("GIF", {}),
])
def test_common_formats_decode(fmt, options):
    source = Image.new("RGB", (300, 200), (250, 10, 10))
    att = ImageAttachment.from_bytes(encode(source, fmt, **options), label=f"x.{fmt.lower()}")
    red, green, blue = opened(att).convert("RGB").getpixel((150, 100))
    assert (att.width, att.height) == (300, 200)
    assert red > 230 and green < 30 and blue < 30


def test_an_animated_gif_gives_its_first_frame():
    frames = [Image.new("RGB", (40, 40), c) for c in ((255, 0, 0), (0, 0, 255))]
    data = encode(frames[0], "GIF", save_all=True, append_images=frames[1:])
    assert Image.open(io.BytesIO(data)).n_frames == 2
    red, _, blue = opened(ImageAttachment.from_bytes(data)).convert("RGB").getpixel((5, 5))
    assert red > 200 and blue < 50


def test_exif_orientation_is_applied():
    image = Image.new("RGB", (40, 20), (0, 0, 0))
    image.paste((255, 255, 255), (0, 0, 20, 20))  # the left half white
    exif = Image.Exif()
    exif[0x0112] = 6  # "rotate 90 CW to display"
    att = ImageAttachment.from_bytes(encode(image, "JPEG", exif=exif.tobytes(), quality=95))
    out = opened(att).convert("L")
    assert (att.width, att.height) == (20, 40)
    assert out.getpixel((10, 5)) > 200 and out.getpixel((10, 35)) < 50  # left half now on top


def test_sixteen_bit_and_float_images_are_scaled_to_eight_bits():
    deep = Image.new("I;16", (64, 64), 0)
    deep.putpixel((1, 1), 65535)
    deep.putpixel((2, 2), 32768)
    out = opened(ImageAttachment.from_bytes(encode(deep, "PNG"), label="16 bit"))
    assert out.convert("RGB").getpixel((1, 1)) == (255, 255, 255)
    assert out.convert("RGB").getpixel((2, 2))[0] in (127, 128)
    floats = Image.new("F", (32, 32), 0.5)
    floats.putpixel((0, 0), 4.0)  # over 1.0: clipped
    out = opened(ImageAttachment.from_bytes(encode(floats, "TIFF"), label="float"))
    assert out.convert("RGB").getpixel((5, 5))[0] in (127, 128)
    assert out.convert("RGB").getpixel((0, 0)) == (255, 255, 255)


def test_palette_with_transparency_keeps_alpha():
    image = Image.new("P", (30, 30), 0)
    image.putpalette([0, 0, 0, 255, 0, 0] + [0] * 762)
    image.putpixel((3, 3), 1)
    image.info["transparency"] = 0
    out = opened(ImageAttachment.from_bytes(encode(image, "PNG", transparency=0)))
    assert out.mode == "RGBA" and out.getpixel((0, 0))[3] == 0 and out.getpixel((3, 3)) == (255, 0, 0, 255)


def test_wire_forms_of_an_attachment():
    att = ImageAttachment.from_image(Image.new("RGB", (8, 8), (9, 9, 9)), "tiny")
    assert base64.b64decode(att.base64()) == att.data
    assert att.data_url() == "data:image/png;base64," + att.base64()
    assert att.digest == __import__("hashlib").sha256(att.data).hexdigest()


# -- errors ------------------------------------------------------------------------------


def _png_header_only(width: int, height: int) -> bytes:
    """A PNG whose header claims a size, with no pixel data (a decompression-bomb shape)."""
    ihdr = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    chunk = b"IHDR" + ihdr
    return (b"\x89PNG\r\n\x1a\n" + struct.pack(">I", len(ihdr)) + chunk
            + struct.pack(">I", zlib.crc32(chunk)) + struct.pack(">I", 0) + b"IEND"
            + struct.pack(">I", zlib.crc32(b"IEND")))


def test_missing_file_and_folder(tmp_path):
    with pytest.raises(ImageError) as err:
        ImageAttachment.from_path(str(tmp_path / "nope.png"))
    assert err.value.kind == E.IMAGE_NOT_FOUND and "nope.png" in err.value.message and err.value.hint
    with pytest.raises(ImageError) as err:
        ImageAttachment.from_path(str(tmp_path))
    assert err.value.kind == E.IMAGE_NOT_FOUND and "folder" in err.value.message


def test_unreadable_file(tmp_path, monkeypatch):
    from nuke_ai_panel.images import attachment

    path = tmp_path / "locked.png"
    path.write_bytes(b"x")

    def refuse(*_a, **_k):
        raise PermissionError(13, "Permission denied")

    monkeypatch.setattr(attachment, "open", refuse, raising=False)
    with pytest.raises(ImageError) as err:
        ImageAttachment.from_path(str(path))
    assert err.value.kind == E.IMAGE_NOT_FOUND and "Permission denied" in err.value.message


def test_not_an_image(tmp_path):
    path = tmp_path / "notes.png"
    path.write_text("these are words, not pixels")
    with pytest.raises(ImageError) as err:
        ImageAttachment.from_path(str(path))
    assert err.value.kind == E.NOT_AN_IMAGE and "notes.png" in err.value.message
    with pytest.raises(ImageError) as err:
        ImageAttachment.from_bytes(b"")
    assert err.value.kind == E.NOT_AN_IMAGE and "empty" in err.value.message


@pytest.mark.parametrize("fmt", ["PNG", "JPEG"])
def test_truncated_images_are_corrupt(photo, fmt):
    data = encode(photo.resize((400, 300)), fmt)
    with pytest.raises(ImageError) as err:
        ImageAttachment.from_bytes(data[: len(data) // 2], label="cut." + fmt.lower())
    assert err.value.kind == E.IMAGE_CORRUPT and "cut." in err.value.message
    assert "truncated or damaged" in err.value.hint


@pytest.mark.parametrize("size", [(12000, 10000), (20000, 20000)])
def test_huge_dimensions_are_refused_before_decoding(size):
    with pytest.raises(ImageError) as err:
        ImageAttachment.from_bytes(_png_header_only(*size), label="bomb.png")
    assert err.value.kind == E.IMAGE_TOO_LARGE and "bomb.png" in err.value.message
    assert str(MAX_SIDE) in err.value.hint or "smaller" in err.value.hint


def test_without_pillow_the_error_says_to_run_the_installer(monkeypatch):
    monkeypatch.setitem(sys.modules, "PIL", None)
    with pytest.raises(ImageError) as err:
        ImageAttachment.from_bytes(b"\x89PNG....")
    assert err.value.kind == E.IMAGE_LIBRARY_MISSING
    assert "Pillow" in err.value.message and "install_nuke.py" in err.value.hint


def test_importing_images_loads_no_pillow_qt_or_nuke():
    code = ("import sys, nuke_ai_panel.images, nuke_ai_panel.images.look\n"
            "print(sorted(m for m in sys.modules if m.split('.')[0] in "
            "('PIL', 'nuke', 'nukescripts', 'PySide2', 'PySide6', 'Qt')))\n")
    done = subprocess.run([sys.executable, "-c", code], cwd=str(ROOT), capture_output=True,
                          text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "[]"


def test_the_core_imports_and_reads_history_without_pillow(tmp_path):
    code = (
        "import sys; sys.modules['PIL'] = None\n"
        "import nuke_ai_panel.images as images, nuke_ai_panel.images.look\n"
        "from nuke_ai_panel.images import ImageAttachment, ImageStore, image_part\n"
        "att = ImageAttachment(b'\\x89PNG fake', 'image/png', 1, 1, 'x')\n"
        "store = ImageStore(sys.argv[1]); ref = store.put(att)\n"
        "assert store.load(ref).data == att.data\n"
        "assert image_part(att, 'ollama') == att.base64()\n"
        "print('ok')\n"
    )
    done = subprocess.run([sys.executable, "-c", code, str(tmp_path)], cwd=str(ROOT),
                          capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "ok"


def test_an_openexr_file_is_named_as_such_with_what_to_do(tmp_path):
    path = tmp_path / "beauty.exr"
    path.write_bytes(b"v/1\x01" + b"\x02\x00\x00\x00" + b"channels\x00chlist\x00" + b"\x00" * 32)
    with pytest.raises(ImageError) as err:
        ImageAttachment.from_path(str(path))
    assert err.value.kind == E.NOT_AN_IMAGE
    assert err.value.message == "beauty.exr is an OpenEXR file, which Pillow cannot read."
    assert "Attach Viewer frame" in err.value.hint and "PNG, JPEG or TIFF" in err.value.hint
