"""Checking and normalising uploaded photos before anything is stored."""

from __future__ import annotations

import io
import warnings
from dataclasses import dataclass

import numpy as np
from django.conf import settings
from PIL import Image, ImageOps, UnidentifiedImageError

ACCEPTED_FORMATS = {"JPEG": "image/jpeg", "PNG": "image/png", "WEBP": "image/webp"}


class PhotoRejected(Exception):
    """An upload we refuse, with a stable code, an HTTP status and words a person understands."""

    def __init__(self, *, code: str, detail: str, status: int = 400, index: int | None = None):
        super().__init__(detail)
        self.code = code
        self.detail = detail
        self.status = status
        # Which of several uploads it was, so a form can show the error next to it.
        self.index = index


@dataclass(frozen=True)
class NormalisedPhoto:
    jpeg: bytes
    width: int
    height: int


def photo_normalise(*, data: bytes) -> NormalisedPhoto:
    """Validate an upload and return an upright JPEG copy with every bit of metadata gone."""
    max_bytes = settings.PHOTO_MAX_BYTES
    if len(data) > max_bytes:
        raise PhotoRejected(
            code="photo_too_large",
            detail=f"The photo is {len(data) / 1e6:.1f} MB; the limit is {max_bytes / 1e6:.0f} MB.",
            status=413,
        )
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            image = Image.open(io.BytesIO(data))
            if image.format not in ACCEPTED_FORMATS:
                raise PhotoRejected(
                    code="photo_unsupported_type",
                    detail=f"{image.format} files are not accepted. Send JPEG, PNG or WebP.",
                    status=415,
                )
            width, height = image.size
            # Checked before decoding, so a decompression bomb never reaches memory.
            if width * height > settings.PHOTO_MAX_PIXELS:
                raise PhotoRejected(
                    code="photo_too_many_pixels",
                    detail=(
                        f"The photo is {width}x{height} pixels; the limit is "
                        f"{settings.PHOTO_MAX_PIXELS / 1e6:.0f} megapixels."
                    ),
                    status=413,
                )
            image.load()
    except PhotoRejected:
        raise
    except UnidentifiedImageError as exc:
        raise PhotoRejected(
            code="photo_unsupported_type",
            detail="This file is not a photo we can read. Send a JPEG, PNG or WebP photo.",
            status=415,
        ) from exc
    except (OSError, SyntaxError, ValueError, Image.DecompressionBombError, Warning) as exc:
        raise PhotoRejected(
            code="photo_corrupt",
            detail="The photo file is damaged or incomplete. Try exporting it again.",
        ) from exc

    image = ImageOps.exif_transpose(image).convert("RGB")
    if min(image.size) < settings.PHOTO_MIN_SIDE:
        raise PhotoRejected(
            code="photo_too_small",
            detail=(
                f"The photo is {image.width}x{image.height} pixels; it must be at least "
                f"{settings.PHOTO_MIN_SIDE} pixels on each side."
            ),
        )
    image.thumbnail((settings.PHOTO_STORE_MAX_SIDE, settings.PHOTO_STORE_MAX_SIDE))
    out = io.BytesIO()
    # A fresh image from raw pixels carries no EXIF, GPS, ICC or XMP metadata.
    clean = Image.frombytes("RGB", image.size, image.tobytes())
    clean.save(out, format="JPEG", quality=92)
    return NormalisedPhoto(jpeg=out.getvalue(), width=clean.width, height=clean.height)


def photo_pixels(*, jpeg: bytes) -> np.ndarray:
    """Decode a stored (normalised) photo to an RGB uint8 array."""
    with Image.open(io.BytesIO(jpeg)) as image:
        return np.asarray(image.convert("RGB"))
