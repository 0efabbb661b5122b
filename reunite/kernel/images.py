"""How a photo leaves the server: as a JPEG no shared cache keeps."""

from __future__ import annotations

import io

from django.http import HttpResponse
from PIL import Image

THUMB_SIDE = 320
CROP_SIDE = 360


def image_response(pixels, *, max_side: int | None) -> HttpResponse:
    image = Image.fromarray(pixels)
    if max_side:
        image.thumbnail((max_side, max_side))
    out = io.BytesIO()
    image.save(out, format="JPEG", quality=88)
    response = HttpResponse(out.getvalue(), content_type="image/jpeg")
    # Children's photos must not linger in shared caches or browser history.
    response["Cache-Control"] = "private, no-store"
    return response
