"""Every portal page, by role and by organisation."""

import pytest
from django.urls import reverse

from cases.models import Photo, User
from matching.candidates.pairs import candidate_pair_record
from matching.models import Candidate
from tests.factories import FoundReportFactory, MissingCaseFactory, UserFactory
from tests.support.data import CASE_FIELDS
from tests.support.faces import ready_photo_with_embedding
from tests.support.otp import force_login_verified

pytestmark = pytest.mark.django_db


@pytest.fixture
def world(caseworker, partner):
    """A case, a report and a candidate between them, with one photo each."""
    case_face = ready_photo_with_embedding(user=caseworker, seed=1, side="case")
    report_face = ready_photo_with_embedding(user=partner, seed=2, side="report")
    candidate_pair_record(case_face=case_face, report_face=report_face, score=0.95)
    return {
        "case": case_face.photo.case,
        "report": report_face.photo.found_report,
        "case_photo": case_face.photo,
        "report_photo": report_face.photo,
        "candidate": Candidate.objects.get(),
        "case_face": case_face,
    }


def _own_pages(world):
    case, photo = world["case"], world["case_photo"]
    return [
        reverse("case-detail", args=[case.pk]),
        reverse("case-edit", args=[case.pk]),
        reverse("case-photo-add", args=[case.pk]),
        reverse("photo-select-face", args=[photo.pk]),
        reverse("photo-status", args=[photo.pk]),
    ]


def test_signed_out_visitors_are_sent_to_sign_in(client):
    for url in ["/", "/cases/", "/review/", "/reports/new/"]:
        response = client.get(url)
        assert response.status_code == 302
        assert response["Location"].startswith("/accounts/login/")


def test_caseworker_sees_their_pages_with_the_organisation_named(client, caseworker, world):
    client.force_login(caseworker)
    # The status fragment is part of a page, so it carries no header.
    for url in [
        "/",
        "/cases/",
        "/cases/new/",
        "/reports/",
        "/reports/new/",
        *_own_pages(world)[:4],
    ]:
        response = client.get(url)
        assert response.status_code == 200, url
        assert caseworker.organisation.name.encode() in response.content, url


def test_caseworker_of_another_organisation_gets_404(client, world):
    outsider = UserFactory(role=User.Role.CASEWORKER)
    client.force_login(outsider)
    for url in _own_pages(world):
        assert client.get(url).status_code == 404, url
    photo = world["case_photo"]
    assert client.get(reverse("photo-image", args=[photo.pk, "thumb"])).status_code == 404
    assert client.get(reverse("report-detail", args=[world["report"].pk])).status_code == 404


def test_partner_only_user_gets_403_on_the_portal(client, partner, world):
    client.force_login(partner)
    for url in [
        "/",
        "/cases/",
        "/reports/",
        "/review/",
        reverse("report-detail", args=[world["report"].pk]),
    ]:
        assert client.get(url).status_code == 403, url


def test_reviewer_gets_403_on_case_pages_and_sees_the_queue(client, reviewer, world):
    force_login_verified(client, reviewer)
    assert client.get("/cases/").status_code == 403
    assert client.get("/").status_code == 302  # straight to the queue
    queue = client.get("/review/")
    assert queue.status_code == 200
    assert b"1</strong> candidate waiting" in queue.content
    page = client.get(reverse("review-candidate", args=[world["candidate"].pk]))
    assert page.status_code == 200
    assert b"similarity" in page.content
    assert world["case"].given_name.encode() not in page.content  # no names for reviewers
    crop = client.get(reverse("face-crop", args=[world["case_face"].pk]))
    assert crop.status_code == 200 and crop["Content-Type"] == "image/jpeg"


def test_reviewer_from_a_filing_organisation_cannot_see_the_candidate(client, caseworker, world):
    insider = UserFactory(organisation=caseworker.organisation, role=User.Role.REVIEWER)
    force_login_verified(client, insider)
    assert client.get(reverse("review-candidate", args=[world["candidate"].pk])).status_code == 404
    assert client.get(reverse("face-crop", args=[world["case_face"].pk])).status_code == 404


def test_reviewer_cannot_open_photos_outside_their_queue(client, reviewer, partner):
    lone = ready_photo_with_embedding(user=partner, seed=9, side="report")
    force_login_verified(client, reviewer)
    assert client.get(reverse("photo-image", args=[lone.photo.pk, "full"])).status_code == 404


def test_a_case_page_is_one_view_and_each_full_photo_is_another(
    client, caseworker, world, same_person_pair
):
    from cases.models import AuditEvent
    from cases.records.services import PhotoUpload, case_create

    case = case_create(
        user=caseworker,
        photos=[PhotoUpload(data=same_person_pair[0].read_bytes()) for _ in range(3)],
        **CASE_FIELDS,
    )
    photos = list(case.photos.order_by("id"))
    client.force_login(caseworker)
    before = AuditEvent.objects.count()
    assert client.get(reverse("case-detail", args=[case.pk])).status_code == 200
    for photo in photos:
        response = client.get(reverse("photo-image", args=[photo.pk, "thumb"]))
        assert response.status_code == 200
        assert response["Cache-Control"] == "private, no-store"
    views = AuditEvent.objects.filter(pk__gt=0).order_by("id")[before:]
    assert [(e.action, e.object_id) for e in views] == [("case.viewed", str(case.pk))]
    assert views[0].data["photos"] == [p.pk for p in photos]

    response = client.get(reverse("photo-image", args=[photos[0].pk, "full"]))
    assert response["Cache-Control"] == "private, no-store"
    event = AuditEvent.objects.order_by("id").last()
    assert (event.action, event.actor, event.object_id, event.data["variant"]) == (
        "photo.viewed",
        caseworker,
        str(photos[0].pk),
        "full",
    )


def test_case_form_keeps_input_and_shows_errors_next_to_fields(client, caseworker):
    client.force_login(caseworker)
    response = client.post(
        "/cases/new/",
        {"given_name": "Amina"},
    )
    assert response.status_code == 400
    assert b'value="Amina"' in response.content
    assert b"This field is required." in response.content


def test_case_list_filters_by_name_and_age(client, caseworker):
    MissingCaseFactory(created_by=caseworker, given_name="Zainab", age_min=4, age_max=5)
    MissingCaseFactory(created_by=caseworker, given_name="Yusuf", age_min=12, age_max=13)
    client.force_login(caseworker)
    assert b"Zainab" in client.get("/cases/?q=zain").content
    assert b"Yusuf" not in client.get("/cases/?q=zain").content
    by_age = client.get("/cases/?age=12").content
    assert b"Yusuf" in by_age and b"Zainab" not in by_age


def test_unknown_report_is_404_for_its_own_org_too(client, caseworker):
    client.force_login(caseworker)
    FoundReportFactory()
    assert client.get(reverse("report-detail", args=[999999])).status_code == 404


def test_select_face_page_outlines_every_face(
    client, caseworker, group_photo, django_capture_on_commit_callbacks
):
    from cases.records.services import PhotoUpload, case_create

    with django_capture_on_commit_callbacks(execute=True):
        case = case_create(
            user=caseworker,
            **CASE_FIELDS,
            photos=[PhotoUpload(data=group_photo.read_bytes())],
        )
    photo = case.photos.get()
    assert photo.status == Photo.Status.NEEDS_FACE_SELECTION
    client.force_login(caseworker)
    page = client.get(reverse("photo-select-face", args=[photo.pk]))
    assert page.content.count(b'value="face-') == 2
    face = photo.faces.first()
    url = reverse("photo-select-face", args=[photo.pk])
    # The first post only shows the choice back; nothing is saved until it is confirmed.
    check = client.post(url, {"choice": f"face-{face.pk}"})
    assert check.status_code == 200
    assert b"Check your choice" in check.content
    photo.refresh_from_db()
    assert photo.status == Photo.Status.NEEDS_FACE_SELECTION
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(url, {"choice": f"face-{face.pk}", "confirm": "on"})
    assert response.status_code == 302
    photo.refresh_from_db()
    assert photo.status == Photo.Status.READY


def test_org_admin_sees_and_exports_their_organisations_audit_log(client, caseworker, world):
    from tests.support.otp import force_login_verified

    admin = UserFactory(organisation=caseworker.organisation, role=User.Role.ORG_ADMIN)
    force_login_verified(client, admin)
    page = client.get("/audit/?action=candidate.created")
    assert page.status_code == 200
    text = page.content.decode()
    # In words, with the record named and linked where the reader may open it.
    assert "Possible match found: sent to reviewers" in text
    table = text[text.index("<table") :]
    assert "candidate.created" not in table
    assert f"Possible match #{world['candidate'].pk}" in text
    from cases.audit.trail import audit_record

    audit_record(actor=caseworker, action="case.updated", obj=world["case"])
    page = client.get(f"/audit/?object_type=cases.missingcase&object_id={world['case'].pk}")
    assert f"Case {world['case'].reference}" in page.content.decode()
    export = client.get("/audit/?format=csv")
    assert export["Content-Type"] == "text/csv"
    assert export.content.startswith(b"sequence,")


def test_caseworker_gets_403_on_the_audit_log(client, caseworker):
    client.force_login(caseworker)
    assert client.get("/audit/").status_code == 403


def test_consent_withdrawal_page_erases_the_case(client, caseworker, world):
    case = world["case"]
    client.force_login(caseworker)
    assert client.post(f"/cases/{case.pk}/withdraw-consent/", {"reason": ""}).status_code == 400
    reason = "Mother phoned on 3 March to withdraw."
    # Not confirmed: nothing is erased.
    assert client.post(f"/cases/{case.pk}/withdraw-consent/", {"reason": reason}).status_code == 400
    case.refresh_from_db()
    assert case.status != "erased"
    response = client.post(
        f"/cases/{case.pk}/withdraw-consent/", {"reason": reason, "confirm": "yes"}
    )
    assert response.status_code == 302
    case.refresh_from_db()
    assert case.status == "erased"
    assert not case.photos.exists()


def test_close_case_page(client, caseworker, world):
    case = world["case"]
    client.force_login(caseworker)
    assert client.post(f"/cases/{case.pk}/close/", {"outcome": "reunited"}).status_code == 400
    case.refresh_from_db()
    assert case.closed_at is None
    closed = client.post(f"/cases/{case.pk}/close/", {"outcome": "reunited", "confirm": "yes"})
    assert closed.status_code == 302
    case.refresh_from_db()
    assert case.status == "reunited" and case.closed_at


def _every_portal_url(world):
    """Each portal route with real ids filled in, so a new page cannot go untested."""
    from reunite.urls import portal_urls

    ids = {
        "case_id": world["case"].pk,
        "report_id": world["report"].pk,
        "photo_id": world["case_photo"].pk,
        "candidate_id": world["candidate"].pk,
        "face_id": world["case_face"].pk,
        "notification_id": 1,
        "duplicate_id": 1,
        "variant": "thumb",
        "name": "wait-decision",
    }
    for pattern in portal_urls:
        kwargs = {name: ids[name] for name in pattern.pattern.converters}
        yield pattern.name, reverse(pattern.name, kwargs=kwargs)


def test_every_portal_page_is_403_for_a_partner_only_user(client, partner, world):
    client.force_login(partner)
    for name, url in _every_portal_url(world):
        if name == "photo-image":
            continue  # photos answer 404 to anyone who may not see them
        assert client.get(url).status_code == 403, name


def test_every_object_page_is_404_for_another_organisations_caseworker(client, world):
    outsider = UserFactory(role=User.Role.CASEWORKER)
    client.force_login(outsider)
    for name, url in _every_portal_url(world):
        response = client.get(url)
        if any(key in url for key in ("/cases/", "/reports/", "/photos/")) and not url.endswith(
            ("/cases/", "/reports/", "/new/")
        ):
            assert response.status_code == 404, name
        elif name.startswith(("review", "face", "audit")):
            assert response.status_code == 403, name


def test_held_back_candidates_have_their_own_list_with_reasons(client, reviewer, world):
    candidate = world["candidate"]
    candidate.held_back = True
    candidate.hold_reasons = ["The found child is male; the missing child is female."]
    candidate.save()
    force_login_verified(client, reviewer)
    assert b"Nothing to review." in client.get("/review/").content
    listing = client.get("/review/held-back/")
    assert f"#{candidate.pk}</bdi>:".encode() in listing.content
    page = client.get(reverse("review-candidate", args=[candidate.pk]))
    assert b"the missing child is female" in page.content


def test_each_photo_of_an_upload_stands_or_falls_alone(client, caseworker, world, same_person_pair):
    from django.core.files.uploadedfile import SimpleUploadedFile

    from tests.support.data import image_bytes

    case = world["case"]
    before = case.photos.count()
    client.force_login(caseworker)
    response = client.post(
        f"/cases/{case.pk}/photos/add/",
        {
            "photos": [
                SimpleUploadedFile("a.jpg", same_person_pair[0].read_bytes()),
                # A real image, but too small: refused alone; the first goes in.
                SimpleUploadedFile("b.png", image_bytes(size=(32, 32))),
            ],
            "photo_kind": ["photo", "photo"],
        },
        follow=True,
    )
    assert response.redirect_chain[0][1] == 302
    assert case.photos.count() == before + 1
    html = response.content.decode()
    assert "Photo 2 (b.png) was not added" in html and "at least 64 pixels" in html

    # When every chosen photo fails, nothing is added and the form comes back.
    again = client.post(
        f"/cases/{case.pk}/photos/add/",
        {"photos": [SimpleUploadedFile("c.png", image_bytes(size=(32, 32)))]},
    )
    assert again.status_code == 400
    assert case.photos.count() == before + 1
