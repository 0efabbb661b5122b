"""Field capture's server side: the worker at the site root, the manifest, the draft key
held in the session only, sign-out erasing the device's copies, and portal forms that a
device may send twice with one idempotency key."""

import io

import pytest
from PIL import Image

from cases.access.draft_keys import SESSION_KEY
from cases.models import FoundReport, IdempotencyKey, MissingCase
from tests.support.data import CASE_FIELDS, textured_photo

pytestmark = pytest.mark.django_db

REPORT_FORM = {
    "external_ref": "FIELD-9",
    "found_on": "2025-06-01",
    "found_place": "Border point",
    "estimated_age_min": "7",
    "estimated_age_max": "11",
    "sex": "female",
}


def _photo(name: str = "child.png") -> io.BytesIO:
    upload = io.BytesIO(textured_photo(seed=4))
    upload.name = name
    return upload


def test_the_worker_is_served_from_the_root_with_the_vendored_workbox(client):
    response = client.get("/sw.js")
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/javascript")
    assert response["Service-Worker-Allowed"] == "/"
    assert response["Cache-Control"] == "no-cache"
    body = response.content.decode()
    assert "/static/vendor/workbox-7.4.1/workbox-routing.prod.js" in body
    assert "/static/js/offline-drafts.js" in body
    assert "cdn" not in body.lower()


def test_the_manifest_installs_the_capture_pages(client):
    response = client.get("/manifest.webmanifest")
    assert response["Content-Type"] == "application/manifest+json"
    manifest = response.json()
    assert manifest["display"] == "standalone" and manifest["start_url"] == "/"
    assert {icon["sizes"] for icon in manifest["icons"]} == {"192x192", "512x512"}
    assert [s["url"] for s in manifest["shortcuts"]] == ["/reports/new/", "/cases/new/"]


def test_the_offline_page_holds_no_ones_data(client, caseworker):
    client.force_login(caseworker)
    page = client.get("/offline/").content.decode()
    assert "No connection" in page and caseworker.username not in page


def test_the_draft_key_is_the_sessions_and_ends_with_it(client, caseworker, org_family):
    assert client.get("/offline/key/").status_code == 403
    org_family.offline_draft_hours = 6
    org_family.photo_upload_original = True
    org_family.save()
    client.force_login(caseworker)
    first = client.get("/offline/key/")
    assert first["Cache-Control"] == "no-store"
    config = first.json()
    assert len(config["key"]) == 44  # 32 random bytes, base64
    assert config["draft_hours"] == 6 and config["photo_original"] is True
    assert config["photo_long_side"] == 1600 and config["can"] == {"report": True, "case": True}
    assert client.get("/offline/key/").json()["key"] == config["key"]

    signed_out = client.post("/accounts/logout/")
    assert signed_out["Clear-Site-Data"] == '"cache", "storage"'
    assert client.get("/offline/key/").status_code == 403
    client.force_login(caseworker)
    assert client.get("/offline/key/").json()["key"] != config["key"]


def test_the_draft_key_is_made_at_sign_in_so_asks_at_once_get_one_key(client, caseworker):
    client.force_login(caseworker)
    made = client.session[SESSION_KEY]
    # Two asks racing each other (a page and its worker) each read the key the session has.
    assert client.get("/offline/key/").json()["key"] == made
    assert client.get("/offline/key/").json()["key"] == made


def test_a_session_from_before_gets_its_key_on_first_ask(client, caseworker):
    client.force_login(caseworker)
    session = client.session
    del session[SESSION_KEY]
    session.save()
    key = client.get("/offline/key/").json()["key"]
    assert client.session[SESSION_KEY] == key


def test_a_draft_sent_twice_with_its_key_files_one_report(client, caseworker):
    client.force_login(caseworker)
    key = "2f1c7a0e-8d4b-4c1e-9a55-0d3e2b6f7c11"
    headers = {"HTTP_X_REQUESTED_WITH": "XMLHttpRequest"}
    first = client.post(
        "/reports/new/", {**REPORT_FORM, "idempotency_key": key, "photos": [_photo()]}, **headers
    )
    report = FoundReport.objects.get()
    assert first.status_code == 200 and first["X-Reunite-Location"] == f"/reports/{report.pk}/"
    again = client.post(
        "/reports/new/", {**REPORT_FORM, "idempotency_key": key, "photos": [_photo()]}, **headers
    )
    assert again["X-Reunite-Location"] == f"/reports/{report.pk}/"
    assert FoundReport.objects.count() == 1 and report.photos.count() == 1
    assert IdempotencyKey.objects.get().key == key

    # The same key with other details is refused in words, and nothing is filed.
    other = client.post(
        "/reports/new/",
        {**REPORT_FORM, "external_ref": "FIELD-10", "idempotency_key": key, "photos": [_photo()]},
    )
    assert other.status_code == 400
    assert "already used with a different request" in other.content.decode()
    assert FoundReport.objects.count() == 1


def test_a_case_draft_sent_twice_with_its_key_registers_one_case(client, caseworker):
    client.force_login(caseworker)
    form = {
        **{k: v for k, v in CASE_FIELDS.items() if k != "consent_given_at"},
        "consent_given_at": "2025-01-11T09:00",
        "idempotency_key": "case-draft-1",
    }
    for _ in range(2):
        response = client.post("/cases/new/", {**form, "photos": [_photo()]})
        assert response.status_code == 302, response.content.decode()[:2000]
    case = MissingCase.objects.get()
    assert response["Location"] == f"/cases/{case.pk}/"
    assert case.photos.count() == 1


def test_without_a_key_the_forms_post_as_before(client, caseworker):
    client.force_login(caseworker)
    response = client.post("/reports/new/", {**REPORT_FORM, "photos": [_photo()]})
    assert response.status_code == 302
    assert not IdempotencyKey.objects.exists()
    image = Image.open(io.BytesIO(textured_photo(seed=4)))
    assert FoundReport.objects.get().photos.get().width == image.width


def test_the_organisation_admin_sets_the_rules_for_devices(client, org_family):
    from cases.models import AuditEvent, User
    from tests.factories import UserFactory
    from tests.support.otp import force_login_verified

    admin = UserFactory(username="familyadmin", organisation=org_family, role=User.Role.ORG_ADMIN)
    force_login_verified(client, admin)
    page = client.get("/org/profile/").content.decode()
    assert "Hours a draft may stay on a device" in page
    refused = client.post(
        "/org/profile/", {"form": "field_capture", "capture-offline_draft_hours": "500"}
    )
    assert refused.status_code == 400
    saved = client.post(
        "/org/profile/",
        {
            "form": "field_capture",
            "capture-offline_draft_hours": "8",
            "capture-photo_upload_original": "on",
        },
    )
    assert saved.status_code == 302
    org_family.refresh_from_db()
    assert org_family.offline_draft_hours == 8 and org_family.photo_upload_original
    event = AuditEvent.objects.get(action="organisation.field_capture_updated")
    assert event.data["after"] == {"offline_draft_hours": 8, "photo_upload_original": True}
    # The contact form on the same page still saves on its own.
    contact = client.post("/org/profile/", {"contact_name": "Ama", "contact_email": "a@b.org"})
    assert contact.status_code == 302
    org_family.refresh_from_db()
    assert org_family.contact_name == "Ama" and org_family.offline_draft_hours == 8
