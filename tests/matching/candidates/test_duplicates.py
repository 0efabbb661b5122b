"""Duplicate registrations: the same child registered twice on one side (issue 14, point 5)."""

import pytest
from django.urls import reverse

from cases.models import AuditEvent, Photo, User
from cases.records.services import PhotoUpload, case_create, report_create
from cases.safeguards.erasure import case_consent_withdraw, report_withdraw
from matching.candidates.duplicates import duplicate_decide
from matching.models import Candidate, Duplicate
from matching.selectors import record_duplicates
from tests.factories import UserFactory
from tests.support.data import CASE_FIELDS, REPORT_FIELDS, textured_photo
from tests.support.otp import force_login_verified

pytestmark = pytest.mark.django_db(transaction=True)

CHILD = textured_photo(seed=41)
OTHER_CHILD = textured_photo(seed=42)


@pytest.fixture
def caseworker_ngo(org_ngo) -> User:
    return UserFactory(username="caseworker-ngo", organisation=org_ngo, role=User.Role.CASEWORKER)


def _case(user, *photos, **fields):
    return case_create(
        user=user, photos=[PhotoUpload(data=p) for p in photos], **{**CASE_FIELDS, **fields}
    )


def _report(user, *photos, ref):
    report, _ = report_create(
        user=user,
        photos=[PhotoUpload(data=p) for p in photos],
        external_ref=ref,
        **REPORT_FIELDS,
    )
    return report


def test_a_child_registered_by_two_organisations_becomes_one_duplicate(caseworker, caseworker_ngo):
    first = _case(caseworker, CHILD)
    second = _case(caseworker_ngo, CHILD, given_name="Amina K.")
    _case(caseworker_ngo, OTHER_CHILD, given_name="Somebody else")

    duplicate = Duplicate.objects.get()
    assert duplicate.side == Photo.Side.CASE
    assert (duplicate.case_a_id, duplicate.case_b_id) == (first.pk, second.pk)
    assert duplicate.status == Duplicate.Status.PENDING
    assert duplicate.best_score >= duplicate.threshold
    assert not Candidate.objects.exists()  # two cases are never a match candidate
    # Each organisation's audit trail has it.
    created = AuditEvent.objects.filter(action="duplicate.created")
    assert sorted(e.organisation_id for e in created) == sorted(
        [caseworker.organisation_id, caseworker_ngo.organisation_id]
    )


def test_the_same_guardian_registering_twice_counts_and_own_photos_do_not(caseworker):
    first = _case(caseworker, CHILD, CHILD)  # two photos of one case: not a duplicate
    assert not Duplicate.objects.exists()
    second = _case(caseworker, CHILD)

    duplicate = Duplicate.objects.get()
    assert {duplicate.case_a_id, duplicate.case_b_id} == {first.pk, second.pk}
    assert AuditEvent.objects.filter(action="duplicate.created").count() == 1


def test_reports_are_searched_against_reports(partner, org_ngo):
    other_partner = UserFactory(username="p2", organisation=org_ngo, role=User.Role.PARTNER)
    first = _report(partner, CHILD, ref="R-1")
    second = _report(other_partner, CHILD, ref="R-2")

    duplicate = Duplicate.objects.get()
    assert duplicate.side == Photo.Side.REPORT
    assert (duplicate.report_a_id, duplicate.report_b_id) == (first.pk, second.pk)


def test_searching_again_adds_nothing(caseworker, caseworker_ngo):
    from matching.candidates.duplicates import embedding_duplicates_search
    from matching.models import Embedding

    _case(caseworker, CHILD)
    _case(caseworker_ngo, CHILD)
    for embedding in Embedding.objects.all():
        assert embedding_duplicates_search(embedding=embedding) == 0
    assert Duplicate.objects.count() == 1


def test_switched_off_no_same_side_search(caseworker, caseworker_ngo, settings):
    settings.DUPLICATE_SEARCH = False
    _case(caseworker, CHILD)
    _case(caseworker_ngo, CHILD)
    assert not Duplicate.objects.exists()


def test_each_organisation_answers_and_both_same_links_the_records(caseworker, caseworker_ngo):
    _case(caseworker, CHILD)
    _case(caseworker_ngo, CHILD)
    duplicate = Duplicate.objects.get()

    duplicate = duplicate_decide(user=caseworker, duplicate_id=duplicate.pk, decision="same")
    assert duplicate.status == Duplicate.Status.PARTLY_CONFIRMED
    duplicate = duplicate_decide(user=caseworker_ngo, duplicate_id=duplicate.pk, decision="same")
    assert duplicate.status == Duplicate.Status.LINKED
    decided = AuditEvent.objects.filter(action="duplicate.decision.same")
    assert decided.count() == 4  # two decisions, each in both organisations' trails
    # Each organisation's trail names its own caseworker, and only the other's organisation.
    for event in decided:
        assert event.actor_id in {None, caseworker.pk, caseworker_ngo.pk}
        if event.actor_id is not None:
            assert event.organisation_id == event.actor.organisation_id


def test_one_different_children_settles_it(caseworker, caseworker_ngo):
    _case(caseworker, CHILD)
    _case(caseworker_ngo, CHILD)
    duplicate = Duplicate.objects.get()
    duplicate_decide(user=caseworker, duplicate_id=duplicate.pk, decision="same")
    duplicate = duplicate_decide(
        user=caseworker_ngo, duplicate_id=duplicate.pk, decision="different"
    )
    assert duplicate.status == Duplicate.Status.DIFFERENT


def test_same_organisation_duplicate_needs_one_answer(caseworker):
    _case(caseworker, CHILD)
    _case(caseworker, CHILD)
    duplicate = duplicate_decide(
        user=caseworker, duplicate_id=Duplicate.objects.get().pk, decision="same"
    )
    assert duplicate.status == Duplicate.Status.LINKED


def test_only_caseworkers_of_the_owning_organisations_decide(
    caseworker, caseworker_ngo, org_review, reviewer
):
    from django.core.exceptions import SuspiciousOperation
    from django.http import Http404

    from reunite.kernel.errors import NotAllowed as PermissionDenied

    _case(caseworker, CHILD)
    _case(caseworker_ngo, CHILD)
    duplicate = Duplicate.objects.get()
    outsider = UserFactory(username="cw-3", organisation=org_review, role=User.Role.CASEWORKER)
    with pytest.raises(Http404):
        duplicate_decide(user=outsider, duplicate_id=duplicate.pk, decision="same")
    with pytest.raises(PermissionDenied):
        duplicate_decide(user=reviewer, duplicate_id=duplicate.pk, decision="same")
    with pytest.raises(SuspiciousOperation):
        duplicate_decide(user=caseworker, duplicate_id=duplicate.pk, decision="merge")
    assert Duplicate.objects.get().status == Duplicate.Status.PENDING


def test_another_organisations_record_is_a_reference_and_a_contact_only(
    caseworker, caseworker_ngo, org_ngo, client
):
    org_ngo.contact_email = "desk@hope.example"
    org_ngo.save()
    mine = _case(caseworker, CHILD)
    theirs = _case(caseworker_ngo, CHILD, given_name="Zainab", family_name="Q.")

    rows = record_duplicates(user=caseworker, record=mine)
    assert len(rows) == 1
    assert rows[0].other_reference == theirs.reference
    assert rows[0].other_id is None  # no link into another organisation's record
    assert rows[0].other_contact_email == "desk@hope.example"
    # Nobody reads duplicates of another organisation's record.
    assert record_duplicates(user=caseworker, record=theirs) == []

    force_login_verified(client, caseworker)
    page = client.get(reverse("case-detail", args=[mine.pk])).content.decode()
    assert "Possibly the same child as case" in page
    assert theirs.reference in page and "desk@hope.example" in page
    assert "Zainab" not in page
    assert reverse("case-detail", args=[theirs.pk]) not in page
    # The other organisation's photos are never linked from the page.
    for photo in theirs.photos.all():
        assert f"/photos/{photo.pk}/" not in page


def test_the_decision_form_on_the_page_links_the_records(caseworker, client):
    first = _case(caseworker, CHILD)
    second = _case(caseworker, CHILD)
    force_login_verified(client, caseworker)
    page = client.get(reverse("case-detail", args=[first.pk])).content.decode()
    assert reverse("case-detail", args=[second.pk]) in page  # own organisation: a link
    duplicate = Duplicate.objects.get()

    response = client.post(
        reverse("duplicate-decision", args=[duplicate.pk]),
        {"decision": "same", "next": reverse("case-detail", args=[first.pk])},
    )
    assert response.status_code == 302
    assert response["Location"] == reverse("case-detail", args=[first.pk])
    assert Duplicate.objects.get().status == Duplicate.Status.LINKED
    page = client.get(reverse("case-detail", args=[second.pk])).content.decode()
    assert "Same child: records linked" in page


def test_the_report_page_shows_its_duplicates(caseworker, client):
    first = _report(caseworker, CHILD, ref="R-1")
    second = _report(caseworker, CHILD, ref="R-2")
    force_login_verified(client, caseworker)
    page = client.get(reverse("report-detail", args=[first.pk])).content.decode()
    assert "Possibly the same child as found report" in page
    assert second.reference in page


def test_erasure_removes_the_duplicate_links(caseworker, caseworker_ngo, partner):
    case = _case(caseworker, CHILD)
    _case(caseworker_ngo, CHILD)
    first = _report(partner, OTHER_CHILD, ref="R-1")
    _report(partner, OTHER_CHILD, ref="R-2")
    assert Duplicate.objects.count() == 2

    case_consent_withdraw(user=caseworker, case=case, reason="Guardian asked")
    assert not Duplicate.objects.filter(side=Photo.Side.CASE).exists()
    event = AuditEvent.objects.get(action="case.erased")
    assert event.data["duplicates"] == 1

    report_withdraw(user=partner, report=first)
    assert not Duplicate.objects.exists()


@pytest.mark.usefixtures("real_engine")
def test_two_different_photos_of_one_child_are_found_by_the_real_models(
    caseworker, caseworker_ngo, same_person_pair, distractor_photos
):
    first = _case(caseworker, same_person_pair[0].read_bytes())
    second = _case(caseworker_ngo, same_person_pair[1].read_bytes())
    _case(caseworker_ngo, distractor_photos[0].read_bytes(), given_name="Someone else")

    duplicate = Duplicate.objects.get()
    assert {duplicate.case_a_id, duplicate.case_b_id} == {first.pk, second.pk}
    assert duplicate.best_score >= duplicate.threshold
