"""Checking and normalising uploaded photos before anything is stored."""

from __future__ import annotations

import io
import threading
import warnings
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

import numpy as np
from django.conf import settings
from django.utils import formats
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from PIL import ExifTags, Image, ImageMode, UnidentifiedImageError

from reunite.kernel.errors import ReuniteError


def _decimal(value: float, places: int) -> str:
    """A number as "%.{places}f" would write it, with the language's decimal mark."""
    return formats.number_format(round(value, places), places)


ACCEPTED_FORMATS = {"JPEG": "image/jpeg", "PNG": "image/png", "WEBP": "image/webp"}


class PhotoRejected(ReuniteError):
    """An upload we refuse, with a stable code, an HTTP status and words a person understands."""

    title = gettext_lazy("Photo not accepted")

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
        values = {
            "number": (index or 0) + 1,
            "size": _decimal(size / 1e6, 1),
            "limit": _decimal(max_bytes / 1e6, 0),
        }
        detail = (
            _("The photo is %(size)s MB; the limit is %(limit)s MB.")
            if index is None
            else _("Photo %(number)s is %(size)s MB; the limit is %(limit)s MB.")
        )
        raise PhotoRejected(
            code="photo_too_large",
            detail=detail % values,
            status=413,
            index=index,
        )


def photo_count_check(*, count: int) -> None:
    """At most PHOTOS_PER_REQUEST photos in one request."""
    if count > settings.PHOTOS_PER_REQUEST:
        raise PhotoRejected(
            code="too_many_photos",
            detail=_("Send at most %(count)s photos in one request.")
            % {"count": settings.PHOTOS_PER_REQUEST},
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
        # One float32 copy, scaled in place: the image is already shrunk, and no further
        # full-size temporaries are made.
        values = np.array(image, dtype=np.float32)
        finite = np.isfinite(values)
        low, high = (values[finite].min(), values[finite].max()) if finite.any() else (0, 0)
        if high > low:
            values -= low
            values *= 255.0 / (float(high) - float(low))
        else:
            values[:] = 0
        np.nan_to_num(values, copy=False, nan=0.0, posinf=255.0, neginf=0.0)
        np.clip(values, 0, 255, out=values)
        return Image.fromarray(values.astype(np.uint8), "L").convert("RGB")
    if image.mode == "P" and "transparency" in image.info:
        image = image.convert("RGBA")
    if image.mode in _ALPHA_MODES:
        rgba = image.convert("RGBA")
        background = Image.new("RGBA", rgba.size, (255, 255, 255, 255))
        background.alpha_composite(rgba)
        return background.convert("RGB")
    return image.convert("RGB")


# Pillow's own EXIF orientation values -> the transpose that makes the photo upright.
_UPRIGHT = {
    2: Image.Transpose.FLIP_LEFT_RIGHT,
    3: Image.Transpose.ROTATE_180,
    4: Image.Transpose.FLIP_TOP_BOTTOM,
    5: Image.Transpose.TRANSPOSE,
    6: Image.Transpose.ROTATE_270,
    7: Image.Transpose.TRANSVERSE,
    8: Image.Transpose.ROTATE_90,
}


class PhotoDecodingBusy(ReuniteError):
    """Every decoding slot of this process stayed busy for the whole wait."""

    code = "photo_decoding_busy"
    status = 503
    title = gettext_lazy("Service busy")

    def __init__(self) -> None:
        super().__init__(
            _(
                "Too many photos are being read right now; nothing was stored. Retry after "
                "Retry-After."
            )
        )

    def headers(self) -> dict[str, str]:
        return {"Retry-After": str(max(1, round(settings.PHOTO_DECODE_WAIT_SECONDS)))}


_slots_lock = threading.Lock()
_slots: tuple[int, threading.BoundedSemaphore] | None = None


@contextmanager
def _decode_slot() -> Iterator[None]:
    """At most PHOTO_DECODES_AT_ONCE photos are decoded at once in one process, so a
    threaded server's memory is bounded by that many budgets, not by its thread count."""
    global _slots
    size = settings.PHOTO_DECODES_AT_ONCE
    with _slots_lock:
        if _slots is None or _slots[0] != size:
            _slots = (size, threading.BoundedSemaphore(size))
        slots = _slots[1]
    if not slots.acquire(timeout=settings.PHOTO_DECODE_WAIT_SECONDS):
        raise PhotoDecodingBusy()
    try:
        yield
    finally:
        slots.release()


def photo_decoded_bytes(*, mode: str, size: tuple[int, int]) -> int:
    """The memory a decoded image takes: pixels x bytes per channel x channels, as Pillow
    holds it (two to four 8-bit channels share one 4-byte pixel: RGB is kept as RGBX)."""
    try:
        described = ImageMode.getmode(mode)
        channel = np.dtype(described.typestr).itemsize
        channels = len(described.bands)
    except (KeyError, TypeError):
        channel, channels = 4, 4  # a mode we do not know: assume the widest
    return size[0] * size[1] * channel * (1 if channels == 1 else 4)


def _decode_budget_check(image: Image.Image) -> None:
    need = photo_decoded_bytes(mode=image.mode, size=image.size)
    budget = settings.PHOTO_MAX_DECODED_BYTES
    if need > budget:
        raise PhotoRejected(
            code="photo_too_large_decoded",
            detail=_(
                "The photo is %(width)sx%(height)s pixels in %(mode)s mode, which takes "
                "%(need)s MB of memory to read; the limit is %(limit)s MB. Send a smaller copy, "
                "or save it as JPEG."
            )
            % {
                "width": image.width,
                "height": image.height,
                "mode": image.mode,
                "need": _decimal(need / 1e6, 0),
                "limit": _decimal(budget / 1e6, 0),
            },
            status=413,
        )


def _decoded(data: bytes) -> Image.Image:
    """Open, check and decode an upload inside the memory budget, or refuse it."""
    max_side = settings.PHOTO_STORE_MAX_SIDE
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            image: Image.Image = Image.open(io.BytesIO(data))
            if image.format not in ACCEPTED_FORMATS:
                raise PhotoRejected(
                    code="photo_unsupported_type",
                    detail=_("%(format)s files are not accepted. Send JPEG, PNG or WebP.")
                    % {"format": image.format},
                    status=415,
                )
            width, height = image.size
            # Checked before decoding, so a decompression bomb never reaches memory.
            if width * height > settings.PHOTO_MAX_PIXELS:
                raise PhotoRejected(
                    code="photo_too_many_pixels",
                    detail=_(
                        "The photo is %(width)sx%(height)s pixels; the limit is %(limit)s "
                        "megapixels."
                    )
                    % {
                        "width": width,
                        "height": height,
                        "limit": _decimal(settings.PHOTO_MAX_PIXELS / 1e6, 0),
                    },
                    status=413,
                )
            # JPEG decodes at 1/2, 1/4 or 1/8 scale when that still covers the stored size:
            # a 48 MP phone photo never exists in memory at full size.
            image.draft(None, _fitted(image.size, max_side=max_side))
            _decode_budget_check(image)
            image.load()
            return image
    except PhotoRejected:
        raise
    except (Image.DecompressionBombError, Image.DecompressionBombWarning) as exc:
        # Pillow refuses from the declared size, before decoding: too many pixels, not damage.
        raise PhotoRejected(
            code="photo_too_many_pixels",
            detail=_(
                "The photo declares more pixels than we accept; the limit is %(limit)s "
                "megapixels. Send a smaller copy."
            )
            % {"limit": _decimal(settings.PHOTO_MAX_PIXELS / 1e6, 0)},
            status=413,
        ) from exc
    except UnidentifiedImageError as exc:
        raise PhotoRejected(
            code="photo_unsupported_type",
            detail=_("This file is not a photo we can read. Send a JPEG, PNG or WebP photo."),
            status=415,
        ) from exc
    except (OSError, SyntaxError, ValueError, Warning) as exc:
        raise PhotoRejected(
            code="photo_corrupt",
            detail=_("The photo file is damaged or incomplete. Try exporting it again."),
        ) from exc


def _fitted(size: tuple[int, int], *, max_side: int) -> tuple[int, int]:
    """`size` scaled to at most `max_side` on its long side, keeping its shape."""
    scale = min(1.0, max_side / max(size))
    return max(1, round(size[0] * scale)), max(1, round(size[1] * scale))


def _shrunk(image: Image.Image, *, max_side: int) -> Image.Image:
    """At most `max_side` on the long side, made before any conversion, so no full-size
    copy is ever made (`thumbnail` first reduces by a whole factor, then filters)."""
    if max(image.size) <= max_side:
        return image
    if image.mode in _WIDE_GREY_MODES:  # reduce() does not take 16-bit greyscale
        return image.resize(_fitted(image.size, max_side=max_side), Image.Resampling.BOX)
    image.thumbnail((max_side, max_side))
    return image


def photo_normalise(*, data: bytes) -> NormalisedPhoto:
    """Validate an upload and return an upright JPEG copy with every bit of metadata gone.

    Memory is bounded whatever the file: the decoded image fits PHOTO_MAX_DECODED_BYTES, it
    is shrunk before any conversion, and at most PHOTO_DECODES_AT_ONCE run in a process.
    """
    photo_size_check(size=len(data))
    with _decode_slot():
        image = _decoded(data)
        if min(image.size) < settings.PHOTO_MIN_SIDE:
            raise PhotoRejected(
                code="photo_too_small",
                detail=_(
                    "The photo is %(width)sx%(height)s pixels; it must be at least %(min)s "
                    "pixels on each side."
                )
                % {"width": image.width, "height": image.height, "min": settings.PHOTO_MIN_SIDE},
            )
        orientation = image.getexif().get(ExifTags.Base.Orientation)
        image = _to_rgb(_shrunk(image, max_side=settings.PHOTO_STORE_MAX_SIDE))
        if orientation in _UPRIGHT:
            image = image.transpose(_UPRIGHT[orientation])
        out = io.BytesIO()
        # A fresh image from raw pixels carries no EXIF, GPS, ICC or XMP metadata.
        clean = Image.frombytes("RGB", image.size, image.tobytes())
        clean.save(out, format="JPEG", quality=92)
    return NormalisedPhoto(jpeg=out.getvalue(), width=clean.width, height=clean.height)


def photo_pixels(*, jpeg: bytes) -> np.ndarray:
    """Decode a stored (normalised) photo to an RGB uint8 array."""
    with Image.open(io.BytesIO(jpeg)) as image:
        return np.asarray(image.convert("RGB"))
