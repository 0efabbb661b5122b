"""Where the face is weak, other evidence carries the match to review (issue 25)."""

import math

import numpy as np
import pytest
from django.test import Client

from cases.models import AuditEvent
from matching.candidates.pairs import EVIDENCE_SHORT, candidate_compatibility_refresh
from matching.candidates.search import embedding_index_and_search
from matching.models import Candidate, Embedding
from matching.selectors import candidate_list
from tests.support.api import api_client_verified
from tests.support.faces import ready_photo_with_embedding
from tests.support.otp import force_login_verified

pytestmark = pytest.mark.django_db

# Under the found child's age cell threshold (0.765 for photos of children aged 6 to 12
# against an undated case photo) but above the search floor (0.668).
WEAK = 0.70


def _pair_at(*, caseworker, partner, score: float, case_fields=None, report_fields=None):
    case_face = ready_photo_with_embedding(user=caseworker, seed=11, side="case")
    report_face = ready_photo_with_embedding(user=partner, seed=12, side="report")
    rng = np.random.default_rng(5)
    a = rng.normal(size=128)
    a /= np.linalg.norm(a)
    b = rng.normal(size=128)
    b -= b.dot(a) * a
    b /= np.linalg.norm(b)
    other = score * a + math.sqrt(1 - score**2) * b
    Embedding.objects.filter(face=case_face).update(vector=a.astype(np.float32).tobytes())
    Embedding.objects.filter(face=report_face).update(vector=other.astype(np.float32).tobytes())
    case, report = case_face.photo.case, report_face.photo.found_report
    for name, value in (case_fields or {}).items():
        setattr(case, name, value)
    case.save()
    for name, value in (report_fields or {}).items():
        setattr(report, name, value)
    report.save()
    embedding_index_and_search(embedding_id=case_face.embeddings.get().pk)
    embedding_index_and_search(embedding_id=report_face.embeddings.get().pk)
    return case, report


NAMES_CASE = {"given_name": "Amina", "family_name": "Hassan", "relatives_names": "Fatima Hassan"}
NAMES_REPORT = {"child_names": "أمينة", "relatives_names": "فاطمة"}


def test_a_weak_face_alone_makes_no_candidate(caseworker, partner):
    _pair_at(caseworker=caseworker, partner=partner, score=WEAK)
    assert not Candidate.objects.exists()


def test_a_weak_face_with_the_childs_and_mothers_names_in_another_script_reaches_review(
    caseworker, partner, reviewer, reviewer2
):
    _pair_at(
        caseworker=caseworker,
        partner=partner,
        score=WEAK,
        case_fields=NAMES_CASE,
        report_fields=NAMES_REPORT,
    )
    candidate = Candidate.objects.get()
    assert not candidate.held_back and candidate.agreeing_pairs == 0
    assert candidate.likelihood_ratio >= 400
    kinds = {item["kind"]: item["agreement"] for item in candidate.evidence["items"]}
    assert kinds["given_name"] == "strong" and kinds["relatives"] == "one"
    search = AuditEvent.objects.filter(action="search.run").order_by("pk").last()
    assert search.data["carried_by_other_evidence"] == 1
    # Both reviewers see it, with the agreement in words and no name of either record.
    for user in (reviewer, reviewer2):
        assert list(candidate_list(user=user)) == [candidate]
        page = force_login_verified(Client(), user).get(f"/review/candidates/{candidate.pk}/")
        html = page.content.decode()
        assert "Given name: strong agreement" in html
        assert "Parents&#x27; or relatives&#x27; names: one agrees" in html
        assert 'data-testid="face-weak"' in html
        for name in ("Amina", "Hassan", "Fatima", "أمينة", "فاطمة"):
            assert name not in html
    data = api_client_verified(reviewer).get("/api/v1/review/candidates/").json()
    (row,) = data["results"]
    assert row["likelihood_ratio"] == pytest.approx(candidate.likelihood_ratio)
    words = {line["kind"]: line["words"] for line in row["evidence"]}
    assert words["given_name"] == "Given name: strong agreement"
    assert "Amina" not in str(row) and "أمينة" not in str(row)


def test_conflicting_details_keep_a_weak_face_out_even_with_names(caseworker, partner):
    _pair_at(
        caseworker=caseworker,
        partner=partner,
        score=WEAK,
        case_fields={**NAMES_CASE, "sex": "male"},
        report_fields=NAMES_REPORT,
    )
    assert not Candidate.objects.exists()


def test_a_strong_face_with_every_other_evidence_against_is_held_back_with_the_reason(
    caseworker, partner, reviewer
):
    _case, report = _pair_at(
        caseworker=caseworker,
        partner=partner,
        score=0.766,  # just above its threshold: the face alone reaches review
        case_fields={
            "given_name": "Grace",
            "relatives_names": "Peter Okello, Ruth Okello",
            "home_place": "Gulu",
        },
        report_fields={
            "child_names": "Olena",
            "relatives_names": "Ivan, Maria",
            "home_place": "Lviv",
        },
    )
    candidate = Candidate.objects.get()
    # The face alone would reach review; the names given point to different children.
    assert candidate.agreeing_pairs == 1
    assert candidate.held_back and candidate.hold_reasons == [EVIDENCE_SHORT]
    assert not candidate_list(user=reviewer).exists()
    # When the report's names are corrected, the candidate comes back.
    report.child_names, report.relatives_names = "Grace", ""
    report.save()
    refreshed = candidate_compatibility_refresh(candidate_id=candidate.pk)
    assert not refreshed.held_back


def test_at_most_the_best_candidates_per_found_child_wait_for_review(
    caseworker, partner, reviewer, settings
):
    from matching.candidates.pairs import candidate_pair_record

    settings.CANDIDATES_PER_REPORT = 2
    report_face = ready_photo_with_embedding(user=partner, seed=40, side="report")
    for n, score in enumerate((0.95, 0.90, 0.85)):
        case_face = ready_photo_with_embedding(user=caseworker, seed=41 + n, side="case")
        candidate_pair_record(case_face=case_face, report_face=report_face, score=score)
    queue = list(candidate_list(user=reviewer))
    assert len(queue) == 2
    assert [c.best_score for c in queue] == [0.95, 0.90]
    assert Candidate.objects.count() == 3


def test_under_the_search_floor_but_above_the_evidence_floor_names_still_carry_it(
    caseworker, partner
):
    from matching.spaces.calibration import evidence_floor, profile_active, search_floor

    profile = profile_active()
    assert evidence_floor(profile=profile) < 0.60 < search_floor(profile=profile)
    _pair_at(
        caseworker=caseworker,
        partner=partner,
        score=0.60,
        case_fields=NAMES_CASE,
        report_fields=NAMES_REPORT,
    )
    candidate = Candidate.objects.get()
    assert not candidate.held_back and candidate.best_score == pytest.approx(0.60, abs=1e-4)


def test_under_the_evidence_floor_nothing_is_weighed(caseworker, partner):
    _pair_at(
        caseworker=caseworker,
        partner=partner,
        score=0.45,
        case_fields=NAMES_CASE,
        report_fields=NAMES_REPORT,
    )
    assert not Candidate.objects.exists()


def _named_child_behind_a_stranger(*, caseworker, partner, settings):
    """A weak face with agreeing names, and a stranger's identical face nearer: with one
    face back from the index, only the names can bring the child's case in."""
    settings.SEARCH_TOP_K = 1
    case, report = _pair_at(
        caseworker=caseworker,
        partner=partner,
        score=WEAK,
        case_fields=NAMES_CASE,
        report_fields=NAMES_REPORT,
    )
    Candidate.objects.all().delete()
    report_face = report.photos.get().faces.get()
    decoy = ready_photo_with_embedding(user=caseworker, seed=13, side="case")
    Embedding.objects.filter(face=decoy).update(vector=report_face.embeddings.get().vector)
    return case, report, decoy


def _search_again(report) -> int:
    """The report's face searched again; how many faces the names reached."""
    embedding = report.photos.get().faces.get().embeddings.get()
    embedding_index_and_search(embedding_id=embedding.pk)
    search = AuditEvent.objects.filter(action="search.run").order_by("pk").last()
    return search.data["reached_by_other_evidence"]


def test_names_reach_a_weak_face_beyond_the_index_nearest(caseworker, partner, settings):
    case, report, decoy = _named_child_behind_a_stranger(
        caseworker=caseworker, partner=partner, settings=settings
    )
    assert _search_again(report) == 1
    # The stranger's identical face makes its candidate; the names bring the child's too.
    assert set(Candidate.objects.values_list("case", flat=True)) == {case.pk, decoy.photo.case_id}


def test_names_reach_no_closed_case_and_nothing_without_names(caseworker, partner, settings):
    case, report, _decoy = _named_child_behind_a_stranger(
        caseworker=caseworker, partner=partner, settings=settings
    )
    case.status = case.Status.CLOSED
    case.save()
    assert _search_again(report) == 0
    case.status = case.Status.OPEN
    case.save()
    report.child_names = report.relatives_names = ""
    report.save()
    assert _search_again(report) == 0


def test_a_face_searched_again_in_a_new_space_reaches_nothing_by_names(
    caseworker, partner, settings
):
    from matching.candidates.reach import evidence_hits

    settings.SEARCH_TOP_K = 1
    _case, report = _pair_at(
        caseworker=caseworker,
        partner=partner,
        score=WEAK,
        case_fields=NAMES_CASE,
        report_fields=NAMES_REPORT,
    )
    embedding = report.photos.get().faces.get().embeddings.get()
    assert evidence_hits(embedding=embedding, known=set(), floor=0.5)
    # The same face, embedded in a second space and searched there earlier.
    Embedding.objects.create(
        face=embedding.face,
        space="other-space",
        side=embedding.side,
        vector=embedding.vector,
        searched_at=embedding.searched_at,
    )
    assert evidence_hits(embedding=embedding, known=set(), floor=0.5) == []
