"""Every image mode of a face ends `ready` (issue 11, item 8).

Each mode is generated at test time from the same shared photo of a face.
"""

from __future__ import annotations

import io
import zlib

import numpy as np
import pytest
from PIL import Image

from cases.models import Photo
from cases.records.images import PhotoRejected, _to_rgb, photo_normalise
from cases.records.services import PhotoUpload, case_create, photo_add
from matching.faces.processing import photo_process
from tests.support.data import CASE_FIELDS

pytestmark = pytest.mark.django_db


def _png(image: Image.Image, **params) -> bytes:
    out = io.BytesIO()
    image.save(out, format="PNG", **params)
    return out.getvalue()


def _with_clear_border(size: tuple[int, int]) -> Image.Image:
    """An alpha channel: opaque face, fully transparent 10-pixel border."""
    alpha = Image.new("L", size, 0)
    alpha.paste(255, (10, 10, size[0] - 10, size[1] - 10))
    return alpha


def _variants(photo: bytes) -> dict[str, bytes]:
    rgb = Image.open(io.BytesIO(photo)).convert("RGB")
    grey = np.asarray(rgb.convert("L"), dtype=np.uint16)
    alpha = _with_clear_border(rgb.size)
    palette = rgb.convert("P", palette=Image.Palette.ADAPTIVE, colors=255)
    cmyk = io.BytesIO()
    rgb.convert("CMYK").save(cmyk, format="JPEG", quality=95)
    return {
        "16-bit grey": _png(Image.fromarray((grey * 257).astype(np.uint16))),
        "LA": _png(Image.merge("LA", (rgb.convert("L"), alpha))),
        "palette with transparency": _png(palette, transparency=0),
        "CMYK": cmyk.getvalue(),
        "RGBA": _png(Image.merge("RGBA", (*rgb.split(), alpha))),
    }


@pytest.fixture(scope="module")
def face_photo(same_person_pair) -> bytes:
    return same_person_pair[0].read_bytes()


@pytest.mark.parametrize(
    "mode",
    ["16-bit grey", "LA", "palette with transparency", "CMYK", "RGBA"],
)
def test_a_face_in_any_mode_ends_ready(mode, face_photo, caseworker):
    data = _variants(face_photo)[mode]
    case = case_create(user=caseworker, photos=[], **CASE_FIELDS)
    photo = photo_add(user=caseworker, owner=case, upload=PhotoUpload(data=data))
    photo_process(photo_id=photo.pk)
    photo.refresh_from_db()
    assert photo.status == Photo.Status.READY, (photo.rejection_code, photo.rejection_reason)


def test_wide_greyscale_is_scaled_to_its_range_not_clipped_to_white(face_photo):
    """32-bit integer and float greyscale reach no accepted format (PNG stops at 16 bits), so
    the conversion itself is checked for them, with 16-bit as well."""
    grey = np.asarray(Image.open(io.BytesIO(face_photo)).convert("L"), dtype=np.float64)
    for image in (
        Image.fromarray((grey * 257).astype(np.uint16)),
        Image.fromarray((grey * 65793).astype(np.int32)),
        Image.fromarray((grey / 255).astype(np.float32)),  # float: no accepted format
    ):
        out = np.asarray(_to_rgb(image).convert("L"), dtype=np.float64)
        white = (out >= 255).mean()
        assert white < 0.05, (image.mode, white)
        assert np.corrcoef(out.ravel(), grey.ravel())[0, 1] > 0.99, image.mode


def test_a_declared_size_over_the_limit_is_too_many_pixels_before_decoding():
    # A 20000 x 20000 PNG header over a few bytes of data: nothing is decoded.
    header = Image.new("L", (1, 1))
    raw = bytearray(_png(header))
    # IHDR's width and height are bytes 16..24; its CRC (over type and data) follows.
    raw[16:24] = (20000).to_bytes(4, "big") * 2
    raw[29:33] = zlib.crc32(bytes(raw[12:29])).to_bytes(4, "big")
    with pytest.raises(PhotoRejected) as excinfo:
        photo_normalise(data=bytes(raw))
    assert (excinfo.value.code, excinfo.value.status) == ("photo_too_many_pixels", 413)
