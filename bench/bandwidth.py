"""Bytes on the wire for the portal's main journeys, and a phone photo before and after the
device downscales it (issue 29: field capture on slow, expensive links).

Runs the app in-process on the embedded default (a scratch SQLite database in a temporary
folder, the fake face engine, tasks in the request) with Django's test client, signed in as
a caseworker of an organisation holding 20 cases and 20 found reports (the first case's
photo is ../shared/faces/deepface/img1.jpg when it is there, so its thumbnail is a real
one). For every request it counts the bytes sent (request line, headers, cookies, body)
and received (status line, headers, body) as HTTP/1.1 puts them on the wire, uncompressed;
"gzip" is the same body compressed, as a reverse proxy that compresses HTML would send it.
Static files are counted once (the service worker keeps them; a browser cache does without
it).

The photo is a synthetic 10-megapixel phone JPEG (about 4 MB; `--photo PATH` takes your
own, e.g. one of ../shared/faces/deepface's originals; never commit photos). It is shrunk by
the same code the page runs (`ReuniteDrafts.photoShrink` in static/js/offline-drafts.js) in
Chromium (`/usr/bin/chromium`, or REUNITE_CHROMIUM); without Chromium, Pillow stands in and
the output says so.

Run from the project root:
    .venv/bin/python bench/bandwidth.py [--photo PATH]
"""

from __future__ import annotations

import argparse
import base64
import gzip
import io
import os
import sys
import tempfile
from pathlib import Path

PROJECT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(PROJECT))
CHROMIUM = os.environ.get("REUNITE_CHROMIUM", "/usr/bin/chromium")
PASSWORD = "a-long-bench-password"  # noqa: S105 - a scratch database's own account


def django_setup(data_dir: str) -> None:
    os.environ["DJANGO_SETTINGS_MODULE"] = "reunite.settings.local"
    os.environ["REUNITE_DATA_DIR"] = data_dir
    os.environ["REUNITE_MEDIA_ROOT"] = str(Path(data_dir) / "media")
    os.environ["REUNITE_FACE_ENGINE"] = "fake"
    os.environ["REUNITE_TASKS_IN_BACKGROUND"] = "false"
    os.environ["DJANGO_ALLOWED_HOSTS"] = "testserver"
    for name in ("DATABASE_URL", "REDIS_URL"):
        os.environ.pop(name, None)
    import django

    django.setup()


def camera_photo() -> bytes:
    """A 10-megapixel JPEG as a phone camera writes it: stored sideways (landscape) with
    EXIF orientation 6 (turn it to portrait), and where it was taken (GPS)."""
    from PIL import Image

    from tests.support.data import phone_photo

    sideways = Image.open(io.BytesIO(phone_photo(seed=7, size=(3648, 2736))))
    exif = Image.Exif()
    exif[0x0112] = 6
    exif.get_ifd(0x8825).update({1: "N", 2: (51.0, 30.0, 12.0), 3: "W", 4: (0.0, 7.0, 39.0)})
    out = io.BytesIO()
    sideways.save(out, format="JPEG", quality=95, exif=exif)
    return out.getvalue()


def shrink_in_chromium(data: bytes) -> tuple[bytes, str]:
    """The photo as the page sends it, shrunk by Chromium running offline-drafts.js."""
    if not Path(CHROMIUM).exists():
        raise FileNotFoundError(CHROMIUM)
    from playwright.sync_api import sync_playwright

    script = (PROJECT / "static/js/offline-drafts.js").read_text()
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=CHROMIUM, args=["--no-sandbox", "--disable-gpu"]
        )
        page = browser.new_page()
        page.goto("about:blank")
        page.add_script_tag(content=script)
        encoded = page.evaluate(
            """async (b64) => {
                const bytes = Uint8Array.from(atob(b64), c => c.charCodeAt(0));
                const file = new File([bytes], "phone.jpg", {type: "image/jpeg"});
                const small = await ReuniteDrafts.photoShrink(file, {longSide: 1600});
                const out = new Uint8Array(await small.arrayBuffer());
                let text = "";
                for (let i = 0; i < out.length; i += 32768) {
                    text += String.fromCharCode.apply(null, out.subarray(i, i + 32768));
                }
                return btoa(text);
            }""",
            base64.b64encode(data).decode(),
        )
        browser.close()
    return base64.b64decode(encoded), "Chromium, static/js/offline-drafts.js"


def shrink_with_pillow(data: bytes) -> tuple[bytes, str]:
    from PIL import Image, ImageOps

    image = ImageOps.exif_transpose(Image.open(io.BytesIO(data))).convert("RGB")
    image.thumbnail((1600, 1600))
    out = io.BytesIO()
    image.save(out, format="JPEG", quality=85)
    return out.getvalue(), "Pillow standing in for the browser (no Chromium)"


class Meter:
    """Counts each request's bytes both ways, grouped by journey."""

    def __init__(self, client) -> None:
        self.client = client
        self.rows: list[tuple[str, int, int, int, int]] = []
        self._journey: list[tuple[int, int, int]] = []

    def _sent(self, response, body: bytes) -> int:
        request = response.wsgi_request
        line = f"{request.method} {request.get_full_path()} HTTP/1.1\r\n"
        headers = {"Host": "reunite.example.org"}
        headers["Cookie"] = "; ".join(f"{k}={v.value}" for k, v in self.client.cookies.items())
        if body:
            headers["Content-Length"] = str(len(body))
            headers["Content-Type"] = request.content_type or ""
        head = line + "".join(f"{k}: {v}\r\n" for k, v in headers.items() if v) + "\r\n"
        return len(head.encode()) + len(body)

    @staticmethod
    def _received(response) -> tuple[int, int]:
        content = b"".join(response.streaming_content) if response.streaming else response.content
        head = f"HTTP/1.1 {response.status_code} {response.reason_phrase}\r\n"
        head += "".join(f"{k}: {v}\r\n" for k, v in response.items()) + "\r\n"
        size = len(head.encode())
        return size + len(content), size + len(gzip.compress(content, 6))

    def get(self, path: str, **extra):
        response = self.client.get(path, **extra)
        self._count(response, b"")
        return response

    def post(self, path: str, data, **extra):
        from django.test.client import BOUNDARY, MULTIPART_CONTENT, encode_multipart

        body = encode_multipart(BOUNDARY, data)
        for value in data.values():
            for item in value if isinstance(value, list) else [value]:
                if hasattr(item, "seek"):
                    item.seek(0)
        response = self.client.post(path, data, content_type=MULTIPART_CONTENT, **extra)
        self._count(response, body)
        return response

    def _count(self, response, body: bytes) -> None:
        received, zipped = self._received(response)
        assert response.status_code < 400, (response.wsgi_request.path, response.status_code)
        self._journey.append((self._sent(response, body), received, zipped))

    def add_files(self, names: list[str]) -> None:
        """Files fetched once (static): their bytes, and gzipped."""
        for name in names:
            data = (PROJECT / "static" / name).read_bytes()
            self._journey.append((0, len(data), len(gzip.compress(data, 6))))

    def done(self, name: str) -> None:
        sent = sum(r[0] for r in self._journey)
        received = sum(r[1] for r in self._journey)
        zipped = sum(r[2] for r in self._journey)
        self.rows.append((name, len(self._journey), sent, received, zipped))
        self._journey = []


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--photo", type=Path, help="a phone photo (JPEG) instead of the synthetic one"
    )
    args = parser.parse_args()

    original = args.photo.read_bytes() if args.photo else camera_photo()
    try:
        small, how = shrink_in_chromium(original)
    except Exception as exc:  # any failure to start the browser: Pillow, and say so
        small, how = shrink_with_pillow(original)
        how += f" ({type(exc).__name__})"

    with tempfile.TemporaryDirectory() as data_dir:
        django_setup(data_dir)
        run(original=original, small=small, how=how)


def run(*, original: bytes, small: bytes, how: str) -> None:
    from django.core.management import call_command
    from django.test import Client
    from django.utils import timezone
    from PIL import Image

    from cases.models import MissingCase, Organisation, User
    from cases.records.services import PhotoUpload, case_create, report_create
    from tests.support.data import CASE_FIELDS, REPORT_FIELDS, textured_photo

    call_command("migrate", verbosity=0)
    org = Organisation.objects.create(
        name="Bench NGO", kind="ngo", purpose="reunite_missing", approved_at=timezone.now()
    )
    other = Organisation.objects.create(
        name="Bench family",
        kind="guardian_support",
        purpose="reunite_missing",
        approved_at=timezone.now(),
    )
    user = User.objects.create_user(
        username="fieldworker", password=PASSWORD, organisation=org, role="caseworker"
    )
    family = User.objects.create_user(
        username="family", password=PASSWORD, organisation=other, role="caseworker"
    )
    # The case page's photo: a real one from the shared set when it is there (a thumbnail of
    # a real face compresses like one), else a synthetic one (noise: a worst case).
    real = Path(os.environ.get("REUNITE_FACES_DIR", PROJECT.parent / "shared/faces"))
    real = real / "deepface" / "img1.jpg"
    first = real.read_bytes() if real.is_file() else textured_photo(seed=100)
    for n in range(20):
        photo = [PhotoUpload(data=first if n == 0 else textured_photo(seed=100 + n))]
        case_create(user=user, **{**CASE_FIELDS, "given_name": f"Child {n}"}, photos=photo)
        report_create(user=user, external_ref=f"B-{n}", **REPORT_FIELDS, photos=[])
    case_create(user=family, **CASE_FIELDS, photos=[PhotoUpload(data=original)])

    meter = Meter(Client())
    meter.get("/accounts/login/")
    meter.post(
        "/accounts/login/",
        {"username": "fieldworker", "password": PASSWORD},
    )
    meter.get("/")
    meter.done("Sign in (sign-in page, form, start page)")

    base = ["css/reunite.css", "js/reunite.js", "js/offline-drafts.js", "js/offline.js"]
    meter.add_files(base)
    meter.done("Static files, first visit only (CSS and scripts)")

    meter.get("/sw.js")
    meter.get("/manifest.webmanifest")
    meter.get("/offline/")
    meter.get("/offline/key/")
    workbox = ("workbox-core", "workbox-routing", "workbox-strategies")
    meter.add_files([f"vendor/workbox-7.4.1/{name}.prod.js" for name in workbox])
    meter.done("Installing field capture, once per device (worker, Workbox, manifest, key)")

    meter.get("/reports/")
    meter.done("Found reports list (20)")
    meter.get("/cases/")
    meter.done("Cases list (20)")
    case = MissingCase.objects.filter(organisation=org).order_by("pk").first()
    assert case is not None
    meter.get(f"/cases/{case.pk}/")
    for photo in case.photos.all():
        meter.get(f"/photos/{photo.pk}/thumb/")
    kind = "a real photo" if real.is_file() else "noise"
    meter.done(f"A case page with its photo's thumbnail ({kind})")

    fields = {
        "external_ref": "",
        "found_on": "2025-06-01",
        "found_place": "Border point",
        "estimated_age_min": "7",
        "estimated_age_max": "11",
        "sex": "female",
    }

    def upload(name: str, data: bytes) -> io.BytesIO:
        handle = io.BytesIO(data)
        handle.name = name
        return handle

    for label, data, ref in (
        ("as taken (original size)", original, "B-orig"),
        ("downscaled on the device", small, "B-small"),
    ):
        meter.get("/reports/new/")
        meter.post(
            "/reports/new/",
            {
                **fields,
                "external_ref": ref,
                "photos": [upload("phone.jpg", data)],
                "idempotency_key": ref,
            },
            HTTP_X_REQUESTED_WITH="XMLHttpRequest",
        )
        meter.done(f"File a found report with one photo, {label}")

    print("Bytes on the wire per journey (HTTP/1.1, uncompressed; gzip: bodies compressed)")
    print(f"{'journey':<78} {'requests':>8} {'sent':>10} {'received':>10} {'gzip':>10}")
    for name, count, sent, received, zipped in meter.rows:
        print(f"{name:<78} {count:>8} {sent:>10,} {received:>10,} {zipped:>10,}")
    before = Image.open(io.BytesIO(original))
    after = Image.open(io.BytesIO(small))
    print()
    print(f"Phone photo before: {len(original):>10,} bytes, {before.width} x {before.height} px")
    print(
        f"Phone photo after:  {len(small):>10,} bytes, {after.width} x {after.height} px "
        f"({100 * len(small) / len(original):.1f} %; shrunk by {how})"
    )
    exif = after.getexif()
    first = before.getexif()
    print(
        f"EXIF before: orientation {first.get(0x0112, 'none')}, location (GPS) "
        f"{'yes' if first.get_ifd(0x8825) else 'none'}; after: {len(exif)} EXIF tags, "
        f"location {'yes' if exif.get_ifd(0x8825) else 'none'}"
    )


if __name__ == "__main__":
    main()
