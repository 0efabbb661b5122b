"""A reviewer's every image fetch is audited, thumbnails included, and their access to a
candidate's photos ends with their part in it (issue 23, point 5)."""

import pytest
from django.urls import reverse

from cases.models import AuditEvent, User
from matching.candidates.pairs import candidate_pair_record
from matching.models import Candidate
from matching.review.decisions import candidate_decide, candidate_withdraw
from tests.factories import UserFactory
from tests.support.faces import ready_photo_with_embedding
from tests.support.otp import force_login_verified

pytestmark = pytest.mark.django_db


@pytest.fixture
def pair(caseworker, partner):
    case_face = ready_photo_with_embedding(user=caseworker, seed=1, side="case")
    report_face = ready_photo_with_embedding(user=partner, seed=2, side="report")
    candidate_pair_record(case_face=case_face, report_face=report_face, score=0.95)
    return {"candidate": Candidate.objects.get(), "case_face": case_face, "report": report_face}


def _images(pair) -> list[str]:
    photos = (pair["case_face"].photo, pair["report"].photo)
    return [
        *(reverse("photo-image", args=[p.pk, v]) for p in photos for v in ("thumb", "full")),
        reverse("face-crop", args=[pair["case_face"].pk]),
    ]


def test_each_thumbnail_a_reviewer_fetches_is_audited(client, reviewer, pair):
    force_login_verified(client, reviewer)
    photo = pair["report"].photo
    url = reverse("photo-image", args=[photo.pk, "thumb"])
    before = AuditEvent.objects.filter(action="photo.viewed").count()
    for _ in range(12):
        assert client.get(url).status_code == 200
    views = AuditEvent.objects.filter(action="photo.viewed").order_by("id")[before:]
    assert len(views) == 12
    assert {(v.actor_id, v.object_id, v.data["variant"]) for v in views} == {
        (reviewer.pk, str(photo.pk), "thumb")
    }


def test_the_owners_thumbnails_stay_audited_once_with_their_page(client, caseworker, pair):
    client.force_login(caseworker)
    before = AuditEvent.objects.count()
    thumb = reverse("photo-image", args=[pair["case_face"].photo.pk, "thumb"])
    assert client.get(thumb).status_code == 200
    assert AuditEvent.objects.count() == before


def test_a_reviewers_access_ends_once_the_candidate_is_confirmed(client, reviewer, reviewer2, pair):
    force_login_verified(client, reviewer)
    assert all(client.get(url).status_code == 200 for url in _images(pair))
    candidate = pair["candidate"]
    candidate_decide(user=reviewer, candidate=candidate, decision="confirm", note="Same ears.")
    # Still waiting for a second reviewer: the first one may still look.
    assert all(client.get(url).status_code == 200 for url in _images(pair))
    candidate_decide(user=reviewer2, candidate=candidate, decision="confirm", note="Same nose.")
    candidate.refresh_from_db()
    assert candidate.status == Candidate.Status.CONFIRMED

    for user in (reviewer, reviewer2):
        force_login_verified(client, user)
        assert [client.get(url).status_code for url in _images(pair)] == [404] * 5


def test_a_disputed_candidate_is_for_the_senior_reviewer_only(client, reviewer, org_review, pair):
    senior = UserFactory(organisation=org_review, role=User.Role.SENIOR_REVIEWER)
    candidate_decide(user=reviewer, candidate=pair["candidate"], decision="reject", note="No.")
    force_login_verified(client, reviewer)
    assert [client.get(url).status_code for url in _images(pair)] == [404] * 5
    force_login_verified(client, senior)
    assert [client.get(url).status_code for url in _images(pair)] == [200] * 5


def test_a_withdrawn_candidates_photos_are_no_reviewers_any_more(client, reviewer, pair):
    candidate_withdraw(actor=None, candidate=pair["candidate"], reason="Filed in error.")
    force_login_verified(client, reviewer)
    assert [client.get(url).status_code for url in _images(pair)] == [404] * 5
