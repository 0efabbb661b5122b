"""The candidate page's evidence: every pair, ages beside the faces, honest unknowns, and
what comes after a decision."""

from __future__ import annotations

import datetime as dt

import pytest
from django.urls import reverse

from cases.models import Photo
from cases.records.storage import photo_file_write
from matching.candidates.compatibility import compatibility_check
from matching.candidates.pairs import candidate_pair_record
from matching.models import Candidate, Embedding, Face
from matching.review.decisions import candidate_decide
from tests.support.data import image_bytes
from tests.support.faces import ready_photo_with_embedding
from tests.support.otp import force_login_verified

pytestmark = pytest.mark.django_db


def _another_face(*, like: Face, taken_on=None, age_in_photo=None) -> Face:
    """One more ready photo with a face on the same case or report as `like`."""
    first = like.photo
    photo = Photo.objects.create(
        side=first.side,
        case=first.case,
        found_report=first.found_report,
        organisation=first.organisation,
        uploaded_by=first.uploaded_by,
        file=photo_file_write(data=image_bytes(size=(200, 200), fmt="JPEG", color="grey")),
        width=200,
        height=200,
        status=Photo.Status.READY,
        taken_on=taken_on,
        age_in_photo=age_in_photo,
    )
    face = Face.objects.create(
        photo=photo, ordinal=0, x=10, y=10, w=100, h=100, detector_score=1.0, is_selected=True
    )
    vector = Embedding.objects.get(face=like)
    Embedding.objects.create(
        face=face,
        side=vector.side,
        space=vector.space,
        model_version="test",
        vector=vector.vector,
    )
    return face


@pytest.fixture
def two_pairs(caseworker, partner):
    case_face = ready_photo_with_embedding(user=caseworker, seed=1, side="case")
    report_face = ready_photo_with_embedding(user=partner, seed=2, side="report")
    Photo.objects.filter(pk=case_face.photo_id).update(age_in_photo=8)
    case_face.photo.refresh_from_db()
    dated = _another_face(like=report_face, taken_on=dt.date(2025, 5, 1))
    candidate_pair_record(case_face=case_face, report_face=report_face, score=0.95)
    candidate_pair_record(case_face=case_face, report_face=dated, score=0.90)
    return Candidate.objects.get(), case_face, report_face, dated


def test_every_photo_pair_opens_side_by_side_with_the_ages(client, reviewer, two_pairs):
    candidate, _, _, dated = two_pairs
    force_login_verified(client, reviewer)
    page = client.get(reverse("review-candidate", args=[candidate.pk])).content.decode()
    pairs = list(candidate.pairs.all())
    assert len(pairs) == 2
    for pair in pairs:
        # A link that works without JavaScript, and a lightbox panel for each pair.
        assert f'href="?pair={pair.pk}#faces"' in page
        assert f'id="lb-pair-{pair.pk}"' in page
        assert reverse("face-crop", args=[pair.report_face_id]) in page
    assert "Age in this photo: 8 (as given)" in page
    assert '<dialog class="lightbox"' in page

    other = next(p for p in pairs if p.report_face_id == dated.pk)
    shown = client.get(reverse("review-candidate", args=[candidate.pk]), {"pair": other.pk})
    body = shown.content.decode()
    big = body.split('id="faces"')[1].split("</section>")[0]
    assert reverse("face-crop", args=[dated.pk]) in big
    assert "from the photo&#x27;s date and the estimate" in big


def test_an_undated_found_photo_has_an_unknown_age_and_gap(client, reviewer, two_pairs):
    candidate, _, undated, _ = two_pairs
    force_login_verified(client, reviewer)
    best = candidate.pairs.get(report_face=undated)
    response = client.get(reverse("review-candidate", args=[candidate.pk]), {"pair": best.pk})
    body = response.content.decode()
    band = body.split('data-testid="band"')[1].split("</p>")[0]
    assert "years apart" not in band.replace("How many years apart the two photos are", "")
    assert "How many years apart the two photos are is unknown" in band
    report_age = body.split('data-testid="report-photo-age">')[1].split("<")[0]
    assert report_age.startswith("unknown")


def test_a_found_date_before_last_seen_is_said_not_computed(client, reviewer, two_pairs):
    candidate = two_pairs[0]
    report = candidate.found_report
    report.found_on = candidate.case.last_seen_on - dt.timedelta(days=50)
    report.save()
    force_login_verified(client, reviewer)
    body = client.get(reverse("review-candidate", args=[candidate.pk])).content.decode()
    assert "-1 years" not in body and "-50 days" not in body
    assert "Found 50 days before the missing child was last seen" in body


def test_an_age_that_does_not_fit_is_said_in_whole_years(caseworker, partner):
    case_face = ready_photo_with_embedding(user=caseworker, seed=3, side="case")
    report_face = ready_photo_with_embedding(user=partner, seed=4, side="report")
    case = case_face.photo.case
    case.date_of_birth, case.age_min, case.age_max = dt.date(2014, 1, 1), None, None
    case.save()
    report = report_face.photo.found_report
    report.estimated_age_min, report.estimated_age_max = 3, 4
    reasons = compatibility_check(case=case, report=report).hold_reasons
    assert "the missing child would be 11 when found" in reasons[0]
    assert "11 to 11" not in reasons[0]
    assert "estimated at 3 to 4" in reasons[0]


def test_after_a_decision_a_confirmation_and_the_next_candidate(
    client, reviewer, caseworker, partner, two_pairs
):
    candidate = two_pairs[0]
    other_case = ready_photo_with_embedding(user=caseworker, seed=5, side="case")
    other_report = ready_photo_with_embedding(user=partner, seed=6, side="report")
    candidate_pair_record(case_face=other_case, report_face=other_report, score=0.99)
    following = Candidate.objects.exclude(pk=candidate.pk).get()

    force_login_verified(client, reviewer)
    response = client.post(
        reverse("review-decision", args=[candidate.pk]),
        {"decision": "confirm", "note": "Same ears."},
        follow=True,
    )
    body = response.content.decode()
    assert "Your decision is recorded: “same child”." in body
    assert f'href="{reverse("review-candidate", args=[following.pk])}"' in body
    assert 'data-testid="next-candidate"' in body

    candidate_decide(user=reviewer, candidate=following, decision="unsure", note="Blurry.")
    last = client.get(reverse("review-candidate", args=[following.pk])).content.decode()
    assert 'data-testid="no-next"' in last


def test_the_caseworker_sees_held_back_not_waiting_for_review(client, caseworker, two_pairs):
    candidate = two_pairs[0]
    Candidate.objects.filter(pk=candidate.pk).update(held_back=True, hold_reasons=["Sex differs."])
    client.force_login(caseworker)
    body = client.get(reverse("case-detail", args=[candidate.case_id])).content.decode()
    assert "Held back: details do not fit" in body
    assert "Waiting for review" not in body
    assert "are checking this" not in body


def test_held_back_reasons_are_shown_in_todays_words(client, reviewer, two_pairs):
    candidate = two_pairs[0]
    old = "Age does not fit: the missing child would be about 11 to 11 when found."
    Candidate.objects.filter(pk=candidate.pk).update(held_back=True, hold_reasons=[old])
    report = candidate.found_report
    report.estimated_age_min, report.estimated_age_max = 2, 3
    report.save()
    force_login_verified(client, reviewer)
    body = client.get(reverse("review-candidate", args=[candidate.pk])).content.decode()
    reasons = body.split('data-testid="hold-reasons"')[1].split("</div>")[0]
    assert "11 to 11" not in reasons
    assert "estimated at 2 to 3" in reasons
