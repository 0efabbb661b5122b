"""Checking and normalising uploaded photos before anything is stored."""

from __future__ import annotations

import io
import warnings
from dataclasses import dataclass
from typing import Any

import numpy as np
from django.conf import settings
from PIL import Image, ImageOps, UnidentifiedImageError

from reunite.exceptions import ReuniteError

ACCEPTED_FORMATS = {"JPEG": "image/jpeg", "PNG": "image/png", "WEBP": "image/webp"}


class PhotoRejected(ReuniteError):
    """An upload we refuse, with a stable code, an HTTP status and words a person understands."""

    title = "Photo not accepted"

    def __init__(self, *, code: str, detail: str, status: int = 400, index: int | None = None):
        super().__init__(detail)
        self.code = code
        self.status = status
        # Which of several uploads it was, so a form can show the error next to it.
        self.index = index

    def problem_extra(self) -> dict[str, Any]:
        extra: dict[str, Any] = {"errors": {"photos": [self.detail]}}
        if self.index is not None:
            extra["photo_index"] = self.index
        return extra


@dataclass(frozen=True)
class NormalisedPhoto:
    jpeg: bytes
    width: int
    height: int


def photo_size_check(*, size: int, index: int | None = None) -> None:
    """The one size check, used before a file is read (API, portal, bulk) and after.

    `size` may be an estimate (base64 length); `index` says which of several uploads.
    """
    max_bytes = settings.PHOTO_MAX_BYTES
    if size > max_bytes:
        which = "The photo" if index is None else f"Photo {index + 1}"
        raise PhotoRejected(
            code="photo_too_large",
            detail=f"{which} is {size / 1e6:.1f} MB; the limit is {max_bytes / 1e6:.0f} MB.",
            status=413,
            index=index,
        )


def photo_count_check(*, count: int) -> None:
    """At most PHOTOS_PER_REQUEST photos in one request."""
    if count > settings.PHOTOS_PER_REQUEST:
        raise PhotoRejected(
            code="too_many_photos",
            detail=f"Send at most {settings.PHOTOS_PER_REQUEST} photos in one request.",
        )


# Greyscale with more than 8 bits per pixel: 16-bit, 32-bit integer and 32-bit float.
_WIDE_GREY_MODES = {"I;16", "I;16L", "I;16B", "I;16N", "I", "F"}
_ALPHA_MODES = {"RGBA", "RGBa", "LA", "La", "PA"}


def _to_rgb(image: Image.Image) -> Image.Image:
    """Any mode to 8-bit RGB, keeping what a person would see.

    Pillow's own convert("RGB") clips wide greyscale (a 16-bit photo comes out almost white)
    and drops transparency onto black; here wide greyscale is scaled to its own range and
    transparent pixels are laid on white.
    """
    if image.mode in _WIDE_GREY_MODES:
        values = np.asarray(image, dtype=np.float64)
        finite = values[np.isfinite(values)]
        low, high = (finite.min(), finite.max()) if finite.size else (0.0, 0.0)
        scaled = np.zeros_like(values) if high <= low else (values - low) * (255.0 / (high - low))
        grey = np.nan_to_num(scaled, nan=0.0, posinf=255.0, neginf=0.0).clip(0, 255)
        return Image.fromarray(grey.astype(np.uint8), "L").convert("RGB")
    if image.mode == "P" and "transparency" in image.info:
        image = image.convert("RGBA")
    if image.mode in _ALPHA_MODES:
        rgba = image.convert("RGBA")
        background = Image.new("RGBA", rgba.size, (255, 255, 255, 255))
        background.alpha_composite(rgba)
        return background.convert("RGB")
    return image.convert("RGB")


def photo_normalise(*, data: bytes) -> NormalisedPhoto:
    """Validate an upload and return an upright JPEG copy with every bit of metadata gone."""
    photo_size_check(size=len(data))
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            image: Image.Image = Image.open(io.BytesIO(data))
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
    except (Image.DecompressionBombError, Image.DecompressionBombWarning) as exc:
        # Pillow refuses from the declared size, before decoding: too many pixels, not damage.
        raise PhotoRejected(
            code="photo_too_many_pixels",
            detail=(
                "The photo declares more pixels than we accept; the limit is "
                f"{settings.PHOTO_MAX_PIXELS / 1e6:.0f} megapixels. Send a smaller copy."
            ),
            status=413,
        ) from exc
    except UnidentifiedImageError as exc:
        raise PhotoRejected(
            code="photo_unsupported_type",
            detail="This file is not a photo we can read. Send a JPEG, PNG or WebP photo.",
            status=415,
        ) from exc
    except (OSError, SyntaxError, ValueError, Warning) as exc:
        raise PhotoRejected(
            code="photo_corrupt",
            detail="The photo file is damaged or incomplete. Try exporting it again.",
        ) from exc

    image = _to_rgb(ImageOps.exif_transpose(image))
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
