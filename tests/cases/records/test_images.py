import io

import pytest
from PIL import Image

from cases.records.images import PhotoRejected, photo_normalise
from tests.support.data import image_bytes


def test_corrupt_jpeg_is_rejected_as_corrupt():
    data = image_bytes(fmt="JPEG")[:300]
    with pytest.raises(PhotoRejected) as exc:
        photo_normalise(data=data)
    assert exc.value.code == "photo_corrupt"
    assert exc.value.status == 400


def test_gif_is_an_unsupported_type():
    with pytest.raises(PhotoRejected) as exc:
        photo_normalise(data=image_bytes(fmt="GIF"))
    assert (exc.value.code, exc.value.status) == ("photo_unsupported_type", 415)


def test_text_file_is_an_unsupported_type():
    with pytest.raises(PhotoRejected) as exc:
        photo_normalise(data=b"%PDF-1.4 not a photo")
    assert exc.value.status == 415


def test_oversized_file_is_refused_by_bytes(settings):
    settings.PHOTO_MAX_BYTES = 1000
    with pytest.raises(PhotoRejected) as exc:
        photo_normalise(data=image_bytes(size=(400, 400), fmt="BMP"))
    assert (exc.value.code, exc.value.status) == ("photo_too_large", 413)


def test_decompression_bomb_is_refused_before_decoding(settings):
    settings.PHOTO_MAX_PIXELS = 1_000_000
    data = image_bytes(size=(4000, 4000), fmt="PNG")  # tiny file, 16 megapixels
    assert len(data) < 200_000
    with pytest.raises(PhotoRejected) as exc:
        photo_normalise(data=data)
    assert exc.value.code == "photo_too_many_pixels"


def test_exif_orientation_is_applied_and_metadata_stripped():
    image = Image.new("RGB", (300, 200), "white")
    exif = Image.Exif()
    exif[0x0112] = 6  # rotate 90 degrees when shown
    exif[0x8825] = {1: "N", 2: (51.0, 30.0, 0.0)}  # GPS
    out = io.BytesIO()
    image.save(out, format="JPEG", exif=exif)

    clean = photo_normalise(data=out.getvalue())

    assert (clean.width, clean.height) == (200, 300)
    stored = Image.open(io.BytesIO(clean.jpeg))
    assert not stored.getexif()
    assert "exif" not in stored.info


def test_large_photo_is_downscaled_for_storage(settings):
    settings.PHOTO_STORE_MAX_SIDE = 512
    clean = photo_normalise(data=image_bytes(size=(3000, 1500), fmt="WEBP"))
    assert (clean.width, clean.height) == (512, 256)
