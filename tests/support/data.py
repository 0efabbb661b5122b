"""Valid input for cases and reports, as service keyword arguments and as API forms, and
synthetic images without faces.
"""

from __future__ import annotations

import io

from PIL import Image

# Service keyword arguments.
CASE_FIELDS = {
    "given_name": "Amina",
    "sex": "female",
    "age_min": 7,
    "age_max": 9,
    "last_seen_on": "2025-01-10",
    "last_seen_place": "Market square",
    "consent_given_by": "Fatima",
    "consent_relationship": "Mother",
    "consent_given_at": "2025-01-11T09:00:00Z",
    "consent_method": "in_person",
}

REPORT_FIELDS = {
    "found_on": "2025-06-01",
    "found_place": "Shelter",
    "estimated_age_min": 7,
    "estimated_age_max": 11,
    "sex": "female",
}

# API form fields (strings, as a client sends them).
CASE_FORM = {
    "given_name": "Amina",
    "family_name": "K.",
    "sex": "female",
    "date_of_birth": "2016-04-02",
    "last_seen_on": "2025-01-10",
    "last_seen_place": "Market square",
    "description": "Red coat",
    "consent_given_by": "Fatima K.",
    "consent_relationship": "Mother",
    "consent_given_at": "2025-01-11T09:00:00Z",
    "consent_method": "in_person",
}

REPORT_FORM = {
    "external_ref": "HS-2025-0042",
    "found_on": "2025-06-01",
    "found_place": "Riverside shelter",
    "estimated_age_min": "7",
    "estimated_age_max": "11",
    "sex": "female",
    "notes": "Speaks little.",
}


def image_bytes(
    *,
    size: tuple[int, int] = (200, 200),
    fmt: str = "PNG",
    color: str = "white",
    **save_args: object,
) -> bytes:
    """A synthetic, face-free image."""
    out = io.BytesIO()
    Image.new("RGB", size, color).save(out, format=fmt, **save_args)
    return out.getvalue()


def textured_photo(*, seed: int, size: tuple[int, int] = (240, 240)) -> bytes:
    """A stand-in for a face photo on the fake engine: one face, and a vector of its own.

    The same seed gives the same photo, so the same "child" on both sides matches; at
    least twice as wide as tall, it holds two faces (see matching/engine/fake.py).
    """
    import numpy as np

    rng = np.random.default_rng(seed)
    pixels = rng.integers(0, 256, size=(size[1], size[0], 3), dtype=np.uint8)
    out = io.BytesIO()
    Image.fromarray(pixels).save(out, format="PNG")
    return out.getvalue()


def phone_photo(*, seed: int, size: tuple[int, int] = (2448, 3264)) -> bytes:
    """A phone camera's portrait JPEG (8 Mpx, about 3.3 MB) that the fake engine sees as one
    child: an 8 x 8 grid of grey levels with grain, so the same seed still matches after the
    device downscales and re-encodes it, and different seeds do not. Made here, never a
    real child's photo, and never committed."""
    import numpy as np

    rng = np.random.default_rng(seed)
    width, height = size
    # Levels at the middle of the fake engine's buckets of 32, so resizing cannot move them.
    levels = 16 + 32 * rng.integers(0, 8, size=(8, 8))
    grid = np.kron(levels, np.ones((height // 8, width // 8))).astype(np.int16)
    grain = rng.integers(-12, 13, size=(height, width, 3), dtype=np.int16)
    pixels = np.clip(grid[:, :, None] + grain, 0, 255).astype(np.uint8)
    out = io.BytesIO()
    Image.fromarray(pixels).save(out, format="JPEG", quality=95)
    return out.getvalue()
