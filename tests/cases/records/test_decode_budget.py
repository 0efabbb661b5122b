"""Decoding inside a memory budget (issue 23, point 2).

A 77 KB PNG of 6300x6300 16-bit zeros is within the byte and pixel limits, yet it used to
tie a web process for 38 s and 1.8 GB. Now a decoded photo is limited by its memory, JPEG
decodes at a reduced scale, every photo is shrunk before it is converted, and a process
decodes at most PHOTO_DECODES_AT_ONCE photos at a time.
"""

from __future__ import annotations

import io
import json
import os
import subprocess
import sys
import threading
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from cases.models import Photo
from cases.records.images import PhotoRejected, photo_decoded_bytes, photo_normalise
from tests.support.data import CASE_FORM

ROOT = Path(__file__).resolve().parents[3]

# How much the web process may grow while ten requests decode ten of these photos at once
# (docs/operations.md): two decoding slots of about 110 MB each, with room to spare. It
# used to be 1.8 GB for one.
PEAK_GROWTH_BOUND_MB = 400


def grey16_zeros_png(side: int = 6300) -> bytes:
    out = io.BytesIO()
    Image.fromarray(np.zeros((side, side), dtype=np.uint16)).save(out, format="PNG")
    return out.getvalue()


@pytest.fixture(scope="module")
def grey16_bomb() -> bytes:
    return grey16_zeros_png()


def test_the_16_bit_photo_is_within_the_byte_and_pixel_limits(grey16_bomb, settings):
    # The attack: nothing but the decoded memory gives it away.
    assert len(grey16_bomb) < 100_000 < settings.PHOTO_MAX_BYTES
    assert settings.PHOTO_MAX_PIXELS > 6300 * 6300
    assert photo_decoded_bytes(mode="I;16", size=(6300, 6300)) == 6300 * 6300 * 2


def test_decoded_memory_counts_bytes_per_channel_and_channels():
    size = (1000, 1000)
    assert photo_decoded_bytes(mode="L", size=size) == 1_000_000
    assert photo_decoded_bytes(mode="I;16", size=size) == 2_000_000
    assert photo_decoded_bytes(mode="I", size=size) == 4_000_000
    # Pillow keeps three or four 8-bit channels in one 4-byte pixel.
    assert photo_decoded_bytes(mode="RGB", size=size) == 4_000_000
    assert photo_decoded_bytes(mode="RGBA", size=size) == 4_000_000


def test_a_photo_over_the_memory_budget_is_refused_before_decoding(settings, monkeypatch):
    # A 40 MP RGB PNG: within the pixel limit, but 160 MB decoded (555 MB before).
    out = io.BytesIO()
    Image.new("RGB", (8000, 5000), (90, 120, 150)).save(out, format="PNG")
    decoded = []
    monkeypatch.setattr(
        Image.Image, "load", lambda self: decoded.append(self) or Image.Image.load(self)
    )
    with pytest.raises(PhotoRejected) as refused:
        photo_normalise(data=out.getvalue())
    assert (refused.value.code, refused.value.status) == ("photo_too_large_decoded", 413)
    assert "160 MB of memory" in refused.value.detail
    assert not decoded


def test_a_large_jpeg_is_decoded_at_a_reduced_scale(settings):
    # 6000x4000 RGB is 96 MB decoded at full size; JPEG's draft mode reads it at half scale
    # (3000x2000, 24 MB), so it fits a 30 MB budget.
    settings.PHOTO_MAX_DECODED_BYTES = 30_000_000
    out = io.BytesIO()
    Image.linear_gradient("L").resize((6000, 4000)).convert("RGB").save(out, format="JPEG")
    clean = photo_normalise(data=out.getvalue())
    assert (clean.width, clean.height) == (2048, 1365)


def test_the_16_bit_photo_is_normalised_to_the_stored_size(grey16_bomb):
    clean = photo_normalise(data=grey16_bomb)
    assert (clean.width, clean.height) == (2048, 2048)


_PEAK_SCRIPT = """
import io, json, resource, sys, threading
import reunite.wsgi  # the web process, as gunicorn starts it
from cases.records.images import PhotoRejected, photo_normalise

def peak_mb():
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024

# Made by the test, so making it does not raise this process's peak.
with open(sys.argv[1], "rb") as handle:
    data = handle.read()
before = peak_mb()
results = []
def one():
    try:
        clean = photo_normalise(data=data)
        results.append(("stored", clean.width, clean.height))
    except PhotoRejected as exc:
        results.append((exc.code, exc.status, 0))
threads = [threading.Thread(target=one) for _ in range(10)]
for t in threads: t.start()
for t in threads: t.join()
print(json.dumps({"before": before, "after": peak_mb(), "results": results}))
"""


def test_ten_copies_at_once_stay_inside_a_memory_bound(grey16_bomb, tmp_path):
    # A fresh process, so its peak resident memory is this work's alone (tracemalloc cannot
    # see Pillow's own allocations).
    photo = tmp_path / "zeros.png"
    photo.write_bytes(grey16_bomb)
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "reunite.settings.test"}
    done = subprocess.run(
        [sys.executable, "-c", _PEAK_SCRIPT, str(photo)],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,  # liveness: it used to take minutes and gigabytes
    )
    assert done.returncode == 0, done.stderr[-3000:]
    measured = json.loads(done.stdout.strip().splitlines()[-1])
    assert len(measured["results"]) == 10
    assert all(r[0] in ("stored", "photo_too_large_decoded") for r in measured["results"])
    growth = measured["after"] - measured["before"]
    assert growth < PEAK_GROWTH_BOUND_MB, measured


@pytest.mark.django_db(transaction=True)
def test_ten_uploads_of_it_at_once_get_clear_answers_and_no_5xx(api_for, caseworker, grey16_bomb):
    from django.core.files.uploadedfile import SimpleUploadedFile
    from django.db import connections

    client = api_for(caseworker)
    answers: list[tuple[int, dict]] = []

    def upload(i: int) -> None:
        try:
            photo = SimpleUploadedFile(f"zeros-{i}.png", grey16_bomb, "image/png")
            response = client.post(
                "/api/v1/cases/", {**CASE_FORM, "photos": [photo]}, format="multipart"
            )
            answers.append((response.status_code, response.json()))
        finally:
            connections.close_all()

    threads = [threading.Thread(target=upload, args=(i,)) for i in range(10)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=300)
    assert len(answers) == 10
    assert [status for status, _ in answers if status >= 500] == []
    stored = [body for status, body in answers if status == 201]
    for status, body in answers:
        assert status == 201 or body["code"] in ("photo_too_large_decoded",), body
    # Stored ones were processed: a flat photo has no face, said in words.
    for photo in Photo.objects.filter(case_id__in=[body["id"] for body in stored]):
        assert photo.status == Photo.Status.REJECTED and photo.rejection_code == "no_face"


@pytest.mark.django_db
def test_a_busy_process_answers_503_with_retry_after(api_for, caseworker, settings):
    from cases.records import images
    from tests.support.data import textured_photo

    settings.PHOTO_DECODES_AT_ONCE = 1
    settings.PHOTO_DECODE_WAIT_SECONDS = 0
    client = api_for(caseworker)
    with images._decode_slot():  # another request is decoding
        from django.core.files.uploadedfile import SimpleUploadedFile

        photo = SimpleUploadedFile("a.png", textured_photo(seed=1), "image/png")
        response = client.post(
            "/api/v1/cases/", {**CASE_FORM, "photos": [photo]}, format="multipart"
        )
    assert response.status_code == 503
    assert response.json()["code"] == "photo_decoding_busy"
    assert int(response["Retry-After"]) >= 1
