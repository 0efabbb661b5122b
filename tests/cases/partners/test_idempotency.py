import threading

import pytest
from django.db import connection

from cases.models import FoundReport, IdempotencyKey, MissingCase
from cases.records import services
from tests.support.api import api_client_for, api_client_verified
from tests.support.data import CASE_FORM, REPORT_FORM

pytestmark = pytest.mark.django_db(transaction=True)


def test_retry_with_the_same_idempotency_key_returns_the_same_report_and_body(
    api_for, partner, same_person_pair
):
    client = api_for(partner)
    responses = []
    for _ in range(2):
        with open(same_person_pair[0], "rb") as handle:
            responses.append(
                client.post(
                    "/api/v1/found-reports/",
                    {**REPORT_FORM, "photos": [handle]},
                    format="multipart",
                    HTTP_IDEMPOTENCY_KEY="4f9c2b1e-retry",
                )
            )
    first, second = responses
    assert (first.status_code, second.status_code) == (201, 200)
    assert first.json() == second.json()
    assert FoundReport.objects.count() == 1
    assert IdempotencyKey.objects.get().found_report_id == first.json()["id"]


def test_the_same_key_with_a_different_body_is_refused_with_422(api_for, partner):
    client = api_for(partner)
    key = {"HTTP_IDEMPOTENCY_KEY": "batch-7"}
    assert client.post("/api/v1/found-reports/", REPORT_FORM, **key).status_code == 201
    other = {**REPORT_FORM, "external_ref": "HS-OTHER"}
    response = client.post("/api/v1/found-reports/", other, **key)
    assert response.status_code == 422
    assert response.json()["code"] == "idempotency_key_reused"
    assert FoundReport.objects.count() == 1


def test_keys_are_per_organisation(api_for, partner, caseworker):
    key = {"HTTP_IDEMPOTENCY_KEY": "shared-key"}
    assert api_for(partner).post("/api/v1/found-reports/", REPORT_FORM, **key).status_code == 201
    response = api_for(caseworker).post("/api/v1/found-reports/", REPORT_FORM, **key)
    assert response.status_code == 201
    assert FoundReport.objects.count() == 2


def test_two_concurrent_identical_submissions_create_one_report(
    partner, monkeypatch, same_person_pair
):
    """Both requests pass every read-before-write check, then race to write: the database's
    unique constraint, not the checks, decides. On PostgreSQL they really write at once (the
    loser waits on the unique index, then fails). The test's SQLite is a shared-cache memory
    database, which answers "table is locked" instead of waiting, so there a lock stands in
    for SQLite's one-writer-at-a-time rule after both have checked."""
    clients = [api_client_for(partner), api_client_for(partner)]
    for client in clients:  # first use writes last_used_at; keep it out of the race
        assert client.get("/api/v1/found-reports/").status_code == 200
    photo = same_person_pair[0].read_bytes()
    both_checked = threading.Barrier(2, timeout=30)
    one_writer = threading.Lock() if connection.vendor == "sqlite" else None
    holding = threading.local()
    prepare = services._photos_prepare

    def prepare_after_both_checked(uploads):
        both_checked.wait()  # both have looked for an existing report and found none
        if one_writer is not None:
            one_writer.acquire()
            holding.lock = True
        return prepare(uploads)

    monkeypatch.setattr(services, "_photos_prepare", prepare_after_both_checked)
    results: list = [None, None]

    def submit(i: int) -> None:
        try:
            from django.core.files.uploadedfile import SimpleUploadedFile

            upload = SimpleUploadedFile("child.jpg", photo, content_type="image/jpeg")
            results[i] = clients[i].post(
                "/api/v1/found-reports/",
                {**REPORT_FORM, "photos": [upload]},
                format="multipart",
                HTTP_IDEMPOTENCY_KEY="same-submission",
            )
        finally:
            if getattr(holding, "lock", False):
                one_writer.release()
            connection.close()

    threads = [threading.Thread(target=submit, args=(i,)) for i in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)

    statuses = sorted(r.status_code for r in results)
    assert statuses == [200, 201], [r.json() for r in results]
    assert results[0].json()["id"] == results[1].json()["id"]
    assert FoundReport.objects.count() == 1
    assert IdempotencyKey.objects.count() == 1
    assert FoundReport.objects.get().photos.count() == 1


def test_case_retry_with_idempotency_key_or_external_ref_returns_the_first_case(
    api_for, caseworker
):
    client = api_for(caseworker)
    first = client.post("/api/v1/cases/", CASE_FORM, HTTP_IDEMPOTENCY_KEY="case-1")
    again = client.post("/api/v1/cases/", CASE_FORM, HTTP_IDEMPOTENCY_KEY="case-1")
    assert (first.status_code, again.status_code) == (201, 200)
    assert first.json() == again.json()

    with_ref = {**CASE_FORM, "given_name": "Bo", "external_ref": "FL-77"}
    created = client.post("/api/v1/cases/", with_ref)
    retried = client.post("/api/v1/cases/", with_ref)
    assert (created.status_code, retried.status_code) == (201, 200)
    assert retried.json()["id"] == created.json()["id"]
    assert retried.json()["external_ref"] == "FL-77"
    assert MissingCase.objects.count() == 2


@pytest.mark.parametrize(
    ("role_fixture", "url", "body"),
    [
        ("reviewer", "/api/v1/found-reports/", {"found_on": "not a date"}),
        ("reviewer", "/api/v1/found-reports/bulk/", {"reports": "nonsense"}),
        ("partner", "/api/v1/cases/", {"last_seen_on": "nonsense"}),
        ("caseworker", "/api/v1/review/candidates/1/decision/", {"decision": "maybe"}),
    ],
)
def test_a_forbidden_role_gets_403_even_with_an_invalid_body(
    request, api_for, role_fixture, url, body
):
    user = request.getfixturevalue(role_fixture)
    # Second-factor roles hold no keys; they use the API in a verified session.
    client = api_for(user) if user.role in ("partner", "caseworker") else api_client_verified(user)
    response = client.post(url, body, format="json")
    assert response.status_code == 403
    assert response.json()["code"] == "permission_denied"


def test_idempotency_keys_expire_after_the_documented_window(settings, api_for, partner):
    import datetime as dt

    from django.utils import timezone

    from cases.partners.idempotency import idempotency_keys_expire

    client = api_for(partner)
    for n in range(3):
        form = {**REPORT_FORM, "external_ref": f"EXP-{n}"}
        response = client.post("/api/v1/found-reports/", form, HTTP_IDEMPOTENCY_KEY=f"k-{n}")
        assert response.status_code == 201
    old = timezone.now() - dt.timedelta(hours=settings.IDEMPOTENCY_KEY_HOURS, minutes=1)
    IdempotencyKey.objects.filter(key__in=["k-0", "k-1"]).update(created_at=old)

    assert idempotency_keys_expire(batch_size=1) == (1, True)
    assert idempotency_keys_expire(batch_size=1) == (1, False)
    assert list(IdempotencyKey.objects.values_list("key", flat=True)) == ["k-2"]
