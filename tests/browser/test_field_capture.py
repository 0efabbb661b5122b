"""Field capture (issue 29): a found-child report filed with no connection is kept on the
device, encrypted, survives a reload, and is sent once when the connection returns, also
when the connection breaks while it is being sent; sign-out wipes it."""

from __future__ import annotations

import base64
import functools
import io
import re

import pytest
from PIL import Image
from playwright.sync_api import expect

from cases.models import FoundReport, MissingCase, Photo, User
from cases.records.services import PhotoUpload, case_create
from matching.models import Candidate
from tests.factories import UserFactory
from tests.support.browser import screenshot, sign_in
from tests.support.data import CASE_FIELDS, phone_photo, textured_photo

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def _ready(page) -> None:
    """The page's offline script has its key, its worker and the copies it keeps."""
    expect(page.locator("html[data-offline-ready]")).to_have_count(1)


@pytest.fixture
def fieldworker(org_ngo) -> User:
    return UserFactory(username="fieldworker", organisation=org_ngo, role=User.Role.CASEWORKER)


@functools.cache
def _phone_photo(seed: int) -> bytes:
    return phone_photo(seed=seed)


@pytest.fixture
def photos(tmp_path, caseworker):
    """Two phone-sized photos (about 4 MB each): the first is the child of a case another
    organisation filed, so the report makes a candidate."""
    child, other = _phone_photo(11), _phone_photo(12)
    case_create(user=caseworker, **CASE_FIELDS, photos=[PhotoUpload(data=child, age_in_photo=8)])
    paths = []
    for name, data in (("child.jpg", child), ("other.jpg", other)):
        path = tmp_path / name
        path.write_bytes(data)
        paths.append(str(path))
    return paths


def _settle(page) -> None:
    """Nothing the page started is still on its way to the server when the test's database
    is emptied (a request mid-way would hold its locks against the flush)."""
    page.wait_for_load_state("networkidle")
    page.goto("about:blank")


def _open_form(page) -> None:
    page.goto("/reports/new/")
    _ready(page)
    # The worker controls the page and keeps its copy (evaluate is not subject to the CSP).
    for _ in range(100):
        if page.evaluate("navigator.serviceWorker.controller !== null"):
            break
        page.wait_for_timeout(100)
    else:
        pytest.fail("no service worker controls the page")


def _fill_offline(page, photos: list[str], reference: str) -> None:
    page.get_by_label("Your reference for this report").fill(reference)
    page.get_by_label("Found on").fill("2025-06-01")
    page.get_by_label("Found place").fill("Border point shelter")
    page.get_by_label("Estimated age (from)").fill("7")
    page.get_by_label("Estimated age (to)").fill("11")
    page.get_by_label("Sex").select_option("female")
    page.get_by_label("Choose photos").set_input_files(photos)
    expect(page.locator(".photo-item")).to_have_count(2)
    # Downscaled on the device: the row says what goes up.
    expect(page.locator(".photo-item [data-file-state]").first).to_contain_text("sent as")
    page.get_by_role("button", name="File report").click()
    expect(page.locator("[data-offline-status]")).to_have_text(
        "Saved on this device, not sent yet. It is sent when the connection returns."
    )
    expect(page.locator("[data-draft-state=waiting]")).to_have_count(1)


def _sent_once(page, reference: str) -> FoundReport:
    sent = page.locator("[data-draft-state=sent]")
    expect(sent).to_have_count(1, timeout=60_000)
    report = FoundReport.objects.get(external_ref=reference)
    assert FoundReport.objects.count() == 1
    expect(sent.get_by_role("link", name="Open what was filed")).to_have_attribute(
        "href", f"/reports/{report.pk}/"
    )
    photos = list(report.photos.all())
    assert len(photos) == 2
    # Downscaled before upload: 1,600 px on the long side at most.
    sizes = [(p.width, p.height) for p in photos]
    assert all(max(size) <= 1600 for size in sizes), sizes
    assert all(p.status == Photo.Status.READY for p in photos)
    assert Candidate.objects.filter(found_report=report).count() == 1
    return report


def test_a_report_filed_offline_survives_a_reload_and_is_sent_once(new_page, fieldworker, photos):
    page = new_page(width=390, height=844)
    sign_in(page, "fieldworker")
    _open_form(page)
    page.context.set_offline(True)
    _fill_offline(page, photos, "FIELD-1")
    screenshot(page, "field-01-saved-offline")
    assert FoundReport.objects.count() == 0

    page.reload()
    _ready(page)
    expect(page.locator("[data-draft-state=waiting]")).to_have_count(1)
    expect(page.get_by_label("Your reference for this report")).to_be_visible()
    assert FoundReport.objects.count() == 0
    screenshot(page, "field-02-reloaded-offline")

    # The connection comes back, but the first ask for the session's key still fails (the
    # network is not quite there yet): the page asks again a little later.
    refused: list[str] = []

    def refuse_once(route) -> None:
        if refused:
            route.fallback()
            return
        refused.append(route.request.url)
        route.abort("internetdisconnected")

    page.context.route(re.compile(r".*/offline/key/$"), refuse_once)
    page.context.set_offline(False)
    _sent_once(page, "FIELD-1")
    assert refused
    page.context.unroute(re.compile(r".*/offline/key/$"))
    screenshot(page, "field-03-sent")

    # The copy of the list kept for offline use says how old it is.
    page.goto("/reports/")
    _ready(page)
    page.context.set_offline(True)
    page.reload()
    expect(page.locator("[data-offline-copy-note]")).to_contain_text("as of")
    # No record's status (a case's may say "Possible match") is kept on the device.
    expect(page.locator('td[data-label="Status"]')).to_have_text(["not kept on this device"])
    page.context.set_offline(False)
    _settle(page)


def test_with_no_page_open_the_worker_sends_the_draft_on_background_sync(
    new_page, fieldworker, photos, live_server
):
    page = new_page()
    sign_in(page, "fieldworker")
    _open_form(page)
    page.context.set_offline(True)
    _fill_offline(page, photos, "FIELD-5")
    # The page goes away; the connection comes back; the browser fires the sync it holds.
    page.goto("about:blank")
    page.context.set_offline(False)
    cdp = page.context.new_cdp_session(page)
    registrations: list[str] = []
    cdp.on(
        "ServiceWorker.workerRegistrationUpdated",
        lambda event: registrations.extend(
            r["registrationId"] for r in event["registrations"] if not r["isDeleted"]
        ),
    )
    cdp.send("ServiceWorker.enable")
    for _ in range(50):
        if registrations:
            break
        page.wait_for_timeout(100)
    assert registrations, "no service worker registration"
    cdp.send(
        "ServiceWorker.dispatchSyncEvent",
        {
            "origin": live_server.url,
            "registrationId": registrations[0],
            "tag": "reunite-drafts",
            "lastChance": False,
        },
    )
    for _ in range(300):
        if FoundReport.objects.filter(external_ref="FIELD-5").exists():
            break
        page.wait_for_timeout(100)
    # Filed before any page of the site was open again: the worker sent it.
    assert FoundReport.objects.filter(external_ref="FIELD-5").exists()
    page.goto("/reports/new/")
    _sent_once(page, "FIELD-5")
    _settle(page)


def test_a_send_cut_off_midway_is_sent_again_without_a_second_report(new_page, fieldworker, photos):
    page = new_page()
    sign_in(page, "fieldworker")
    _open_form(page)
    page.context.set_offline(True)
    _fill_offline(page, photos, "FIELD-2")

    # The server files the report, then the connection drops before the answer arrives.
    cut: list[str] = []

    def drop_after_sending(route) -> None:
        if route.request.method != "POST" or cut:
            route.fallback()
            return
        route.fetch()
        cut.append(route.request.headers.get("content-type", ""))
        route.abort("internetdisconnected")

    page.context.route(re.compile(r".*/reports/new/$"), drop_after_sending)
    page.context.set_offline(False)
    expect(page.locator("[data-draft-state=waiting] [data-draft-words]")).to_contain_text(
        "The connection dropped while sending", timeout=60_000
    )
    assert cut and FoundReport.objects.count() == 1
    page.context.unroute(re.compile(r".*/reports/new/$"))

    # Back online: the same key returns the report already filed.
    page.context.set_offline(True)
    page.context.set_offline(False)
    _sent_once(page, "FIELD-2")
    _settle(page)


def test_a_refused_draft_keeps_the_servers_reason_and_is_fixed_and_sent(
    new_page, fieldworker, photos
):
    page = new_page()
    sign_in(page, "fieldworker")
    _open_form(page)
    page.context.set_offline(True)
    page.get_by_label("Your reference for this report").fill("FIELD-4")
    page.get_by_label("Found on").fill("2099-01-01")  # after today: the server refuses it
    page.get_by_label("Found place").fill("Border point shelter")
    page.get_by_label("Estimated age (from)").fill("7")
    page.get_by_label("Estimated age (to)").fill("11")
    page.get_by_label("Choose photos").set_input_files(photos[:1])
    expect(page.locator(".photo-item [data-file-state]")).to_contain_text("sent as")
    page.get_by_role("button", name="File report").click()
    expect(page.locator("[data-draft-state=waiting]")).to_have_count(1)

    page.context.set_offline(False)
    refused = page.locator("[data-draft-state=refused]")
    expect(refused).to_have_count(1, timeout=60_000)
    expect(refused.locator("[data-draft-words]")).to_contain_text("Refused: Found on")
    assert FoundReport.objects.count() == 0
    screenshot(page, "field-04-refused")

    refused.get_by_role("button", name="Open to fix").click()
    expect(page.get_by_label("Your reference for this report")).to_have_value("FIELD-4")
    expect(page.locator(".photo-item")).to_have_count(1)
    page.get_by_label("Found on").fill("2025-06-01")
    page.get_by_role("button", name="File report").click()
    sent = page.locator("[data-draft-state=sent]")
    expect(sent).to_have_count(1, timeout=60_000)
    expect(page.locator("[data-draft]")).to_have_count(1)  # the same draft, now sent
    report = FoundReport.objects.get()
    assert report.external_ref == "FIELD-4" and report.photos.count() == 1
    _settle(page)


def test_a_case_registered_offline_is_sent_once_and_old_drafts_are_erased(
    new_page, caseworker, tmp_path
):
    photo = tmp_path / "child.png"
    photo.write_bytes(textured_photo(seed=21))
    page = new_page(width=390, height=844)
    sign_in(page, "caseworker")
    page.goto("/cases/new/")
    _ready(page)
    page.goto("/cases/new/")  # now through the worker, which keeps the form
    _ready(page)
    page.context.set_offline(True)

    def fill(name: str) -> None:
        page.get_by_label("Given name").fill(name)
        page.get_by_label("Sex").select_option("female")
        page.get_by_label("Youngest possible age when last seen").fill("7")
        page.get_by_label("Oldest possible age when last seen").fill("9")
        page.get_by_label("Last seen on").fill("2025-01-10")
        page.get_by_label("Last seen place").fill("Market square")
        page.get_by_label("Consent given by").fill("Fatima")
        page.get_by_label("Their relationship to the child").fill("Mother")
        page.get_by_label("Consent given on").fill("2025-01-11T09:30")
        page.get_by_label("How consent was given").select_option("in_person")
        page.get_by_label("Choose photos").set_input_files(str(photo))
        expect(page.locator(".photo-item")).to_have_count(1)
        page.get_by_role("button", name="Register case").click()

    # A draft older than the organisation's limit (24 hours here) is erased, sent or not.
    fill("Old draft")
    expect(page.locator("[data-draft-state=waiting]")).to_have_count(1)
    page.evaluate(
        """async () => {
            const [draft] = await ReuniteDrafts.all();
            await ReuniteDrafts.update(draft.id, {expiresAt: Date.now() - 1000});
        }"""
    )
    page.reload()
    _ready(page)
    expect(page.locator("[data-draft]")).to_have_count(0)
    assert page.evaluate("async () => (await ReuniteDrafts.all()).length") == 0

    fill("Amina")
    expect(page.locator("[data-draft-state=waiting]")).to_have_count(1)
    page.context.set_offline(False)
    sent = page.locator("[data-draft-state=sent]")
    expect(sent).to_have_count(1, timeout=60_000)
    case = MissingCase.objects.get()
    assert case.given_name == "Amina" and case.photos.count() == 1
    expect(sent.get_by_role("link")).to_have_attribute("href", f"/cases/{case.pk}/")
    _settle(page)


def test_draft_photos_are_ciphertext_and_sign_out_wipes_them(new_page, fieldworker, photos):
    page = new_page()
    sign_in(page, "fieldworker")
    _open_form(page)
    page.context.set_offline(True)
    _fill_offline(page, photos, "FIELD-3")

    stored = page.evaluate(
        """async () => {
            const drafts = await ReuniteDrafts.all();
            const draft = drafts[0];
            const bytes = new Uint8Array(draft.photos[0].data);
            // What a photo starts with: JPEG (FF D8) or PNG (89 50).
            const clear = (bytes[0] === 0xff && bytes[1] === 0xd8)
                || (bytes[0] === 0x89 && bytes[1] === 0x50);
            // Another key (anyone without this session's) cannot open it.
            const other = crypto.getRandomValues(new Uint8Array(32));
            const wrong = await crypto.subtle.importKey(
                "raw", other, "AES-GCM", false, ["decrypt"]);
            let opened = true;
            try {
                const sealed = draft.photos[0];
                await crypto.subtle.decrypt({name: "AES-GCM", iv: sealed.iv}, wrong, sealed.data);
            } catch (e) { opened = false; }
            // Nothing in the database holds the key.
            const dump = JSON.stringify(drafts.map(d => Object.keys(d)));
            return {count: drafts.length, clear, opened, size: bytes.length, dump,
                    fields: Object.prototype.toString.call(draft.fields.data)};
        }"""
    )
    assert stored["count"] == 1
    assert not stored["clear"] and not stored["opened"] and stored["size"] > 1000
    assert "key" not in stored["dump"].replace("keyId", "")
    assert stored["fields"] == "[object ArrayBuffer]"
    # With the session's key, the page can read it back: it is the photo.
    opened = page.evaluate(
        """async () => {
            const cfg = JSON.parse(sessionStorage.getItem("reunite-offline-key"));
            const session = await ReuniteDrafts.keyImport(cfg);
            const body = await ReuniteDrafts.read(session, (await ReuniteDrafts.all())[0]);
            const head = new Uint8Array(await body.files[0].slice(0, 2).arrayBuffer());
            const ref = body.fields.find(p => p[0] === "external_ref")[1];
            return {ref, jpeg: head[0] === 0xff && head[1] === 0xd8};
        }"""
    )
    assert opened == {"ref": "FIELD-3", "jpeg": True}

    # Sign out before the draft goes: its sending is stopped on the way.
    page.context.route(re.compile(r".*/reports/new/$"), lambda route: route.abort())
    page.context.set_offline(False)
    page.get_by_role("button", name="Sign out").click()
    expect(page).to_have_url(re.compile(r"/accounts/login/"))
    page.wait_for_load_state("load")
    # Read the device's storage directly, not through the page's scripts.
    left = page.evaluate(
        """async () => {
            const db = await new Promise((ok, no) => {
                const request = indexedDB.open("reunite-drafts");
                request.onsuccess = () => ok(request.result);
                request.onerror = () => no(request.error);
            });
            let drafts = 0;
            if (db.objectStoreNames.contains("drafts")) {
                const store = db.transaction("drafts").objectStore("drafts");
                const counted = store.count();
                drafts = await new Promise(ok => { counted.onsuccess = () => ok(counted.result); });
            }
            db.close();
            return {drafts, key: sessionStorage.getItem("reunite-offline-key"),
                    caches: (await caches.keys()).length};
        }"""
    )
    assert left == {"drafts": 0, "key": None, "caches": 0}
    assert FoundReport.objects.count() == 0
    _settle(page)


def test_a_camera_photo_is_turned_upright_and_loses_its_location(new_page, tmp_path):
    """The device's downscale: 1,600 px long side, EXIF orientation applied, no EXIF left."""
    sideways = Image.open(io.BytesIO(phone_photo(seed=5, size=(2400, 1800))))
    exif = Image.Exif()
    exif[0x0112] = 6  # stored landscape, shown portrait
    exif.get_ifd(0x8825).update({1: "N", 2: (51.0, 30.0, 12.0), 3: "W", 4: (0.0, 7.0, 39.0)})
    taken = io.BytesIO()
    sideways.save(taken, format="JPEG", quality=95, exif=exif)
    page = new_page()
    page.goto("/offline/")  # loads offline-drafts.js, and holds no one's data
    encoded = page.evaluate(
        """async (b64) => {
            const bytes = Uint8Array.from(atob(b64), c => c.charCodeAt(0));
            const file = new File([bytes], "camera.jpg", {type: "image/jpeg"});
            const small = await ReuniteDrafts.photoShrink(file, {longSide: 1600});
            const out = new Uint8Array(await small.arrayBuffer());
            let text = "";
            for (let i = 0; i < out.length; i += 32768) {
                text += String.fromCharCode.apply(null, out.subarray(i, i + 32768));
            }
            return [small.name, btoa(text)];
        }""",
        base64.b64encode(taken.getvalue()).decode(),
    )
    name, data = encoded[0], base64.b64decode(encoded[1])
    sent = Image.open(io.BytesIO(data))
    assert name == "camera.jpg" and sent.format == "JPEG"
    assert sent.size == (1200, 1600)
    assert len(sent.getexif()) == 0 and b"Exif" not in data[:4096]
    assert len(data) < len(taken.getvalue()) / 5
