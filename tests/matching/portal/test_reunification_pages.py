"""The case owner's page after a confirmation, the organisation profile, and the dispute pages."""

import pytest
from django.urls import reverse

from cases.models import AuditEvent, MissingCase, Organisation, User
from matching.candidates.pairs import candidate_pair_record
from matching.models import Candidate
from matching.review.decisions import candidate_decide
from tests.factories import UserFactory
from tests.support.faces import candidate_with_contact, ready_photo_with_embedding
from tests.support.otp import force_login_verified

pytestmark = pytest.mark.django_db


@pytest.fixture
def candidate(caseworker, partner, org_ngo) -> Candidate:
    return candidate_with_contact(caseworker=caseworker, partner=partner, partner_org=org_ngo)


def _confirm(candidate, *reviewers) -> None:
    for person in reviewers:
        candidate_decide(user=person, candidate=candidate, decision="confirm", note="Same.")


def test_case_owner_sees_the_found_child_and_a_named_contact_once_confirmed(
    client, caseworker, candidate, reviewer, reviewer2
):
    client.force_login(caseworker)
    url = reverse("case-detail", args=[candidate.case_id])
    photo_url = reverse("photo-image", args=[candidate.best_report_face.photo_id, "full"])
    page = client.get(url).content.decode()
    assert "Ada Mensah" not in page and photo_url not in page
    assert client.get(photo_url).status_code == 404

    _confirm(candidate, reviewer, reviewer2)
    page = client.get(url).content.decode()
    for text in ("Ada Mensah", "ada@hope.example", "+44 20 7946 0202", photo_url):
        assert text in page
    assert "Possible match: verify in person" in page
    assert "contact family" not in page
    assert client.get(photo_url).status_code == 200
    viewed = AuditEvent.objects.get(action="photo.viewed", actor=caseworker)
    assert viewed.object_id == str(candidate.best_report_face.photo_id)


def test_another_organisation_never_sees_the_found_child(client, candidate, reviewer, reviewer2):
    _confirm(candidate, reviewer, reviewer2)
    stranger = UserFactory(role=User.Role.CASEWORKER)
    client.force_login(stranger)
    photo_url = reverse("photo-image", args=[candidate.best_report_face.photo_id, "full"])
    assert client.get(photo_url).status_code == 404
    step_url = reverse("case-reunification-step", args=[candidate.case_id, candidate.pk])
    assert client.post(step_url, {"stage": "contact_made", "note": "x"}).status_code == 404


def test_case_owner_records_steps_and_errors_keep_the_note(
    client, caseworker, candidate, reviewer, reviewer2
):
    _confirm(candidate, reviewer, reviewer2)
    client.force_login(caseworker)
    step_url = reverse("case-reunification-step", args=[candidate.case_id, candidate.pk])
    response = client.post(step_url, {"stage": "reunited", "note": "Too early."})
    assert response.status_code == 400
    assert "does not follow" in response.content.decode()
    assert "Too early." in response.content.decode()

    response = client.post(step_url, {"stage": "verified_not_same", "note": "Another child."})
    assert response.status_code == 302
    page = client.get(reverse("case-detail", args=[candidate.case_id])).content.decode()
    assert "Verified in person: not the same child" in page
    assert "Another child." in page
    assert MissingCase.objects.get(pk=candidate.case_id).status == "open"
    # The match no longer stands: the found child's photo is no longer theirs to see.
    photo_url = reverse("photo-image", args=[candidate.best_report_face.photo_id, "full"])
    assert client.get(photo_url).status_code == 404
    assert client.get(step_url)["Location"] == reverse("case-detail", args=[candidate.case_id])


def test_reviewers_see_the_learning_notice_on_their_queue(
    client, caseworker, candidate, reviewer, reviewer2
):
    _confirm(candidate, reviewer, reviewer2)
    force_login_verified(client, caseworker)
    client.force_login(caseworker)
    client.post(
        reverse("case-reunification-step", args=[candidate.case_id, candidate.pk]),
        {"stage": "verified_not_same", "note": "Another child."},
    )
    force_login_verified(client, reviewer)
    page = client.get(reverse("review-queue")).content.decode()
    assert f"Candidate #{candidate.pk}, which you confirmed" in page


def test_org_admin_edits_the_contact_and_it_is_audited(client, caseworker):
    admin = UserFactory(organisation=caseworker.organisation, role=User.Role.ORG_ADMIN)
    force_login_verified(client, admin)
    url = reverse("organisation-profile")
    assert client.get(url).status_code == 200
    response = client.post(
        url,
        {"contact_name": "Sam Okafor", "contact_email": "not-an-email", "contact_phone": ""},
    )
    assert response.status_code == 400
    response = client.post(
        url,
        {
            "contact_name": "Sam Okafor",
            "contact_email": "sam@links.example",
            "contact_phone": "+44 20 7946 0101",
        },
    )
    assert response.status_code == 302
    organisation = Organisation.objects.get(pk=caseworker.organisation_id)
    assert (organisation.contact_name, organisation.contact_phone) == (
        "Sam Okafor",
        "+44 20 7946 0101",
    )
    event = AuditEvent.objects.get(action="organisation.contact_updated")
    assert event.data == {"changed": ["contact_email", "contact_name", "contact_phone"]}


def test_only_org_admins_edit_the_profile(client, caseworker):
    client.force_login(caseworker)
    assert client.get(reverse("organisation-profile")).status_code == 403


def test_disputed_and_held_back_counters_count_what_they_list(
    client, candidate, reviewer, reviewer2, caseworker, partner
):
    candidate_decide(user=reviewer, candidate=candidate, decision="reject", note="Eyes differ.")
    candidate_pair_record(
        case_face=ready_photo_with_embedding(user=caseworker, seed=3, side="case"),
        report_face=ready_photo_with_embedding(user=partner, seed=4, side="report"),
        score=0.95,
    )
    held = Candidate.objects.exclude(pk=candidate.pk).get()
    Candidate.objects.filter(pk=held.pk).update(held_back=True, hold_reasons=["Sex differs."])
    force_login_verified(client, reviewer2)

    disputed = client.get(reverse("review-disputed")).content.decode()
    assert "<strong>1</strong> disputed candidate waiting" in disputed
    assert "1 “not the same child”" in disputed
    assert "needs more information" not in disputed.split("<main")[1].split("At least one")[0]
    # Plain reviewers do not read other reviewers' notes before deciding.
    assert "Eyes differ." not in disputed

    held_page = client.get(reverse("review-held-back")).content.decode()
    assert "<strong>1</strong> held-back candidate waiting" in held_page
    assert f"#{held.pk}</bdi>:" in held_page  # the number kept whole in right-to-left text
    queue = client.get(reverse("review-queue")).content.decode()
    assert "<strong>0</strong> candidates waiting" in queue


def test_senior_reads_every_note_and_records_the_final_decision(
    client, candidate, reviewer, reviewer2, org_review
):
    candidate_decide(user=reviewer, candidate=candidate, decision="confirm", note="Same ears.")
    candidate_decide(user=reviewer2, candidate=candidate, decision="reject", note="Eyes differ.")
    senior = UserFactory(organisation=org_review, role=User.Role.SENIOR_REVIEWER)
    force_login_verified(client, senior)
    disputed = client.get(reverse("review-disputed")).content.decode()
    assert "Same ears." in disputed and "Eyes differ." in disputed
    url = reverse("review-dispute-resolve", args=[candidate.pk])
    assert url in disputed

    response = client.post(url, {"decision": "reject", "reason": ""})
    assert response.status_code == 400
    response = client.post(url, {"decision": "reject", "reason": "The eyes settle it."})
    assert response.status_code == 302
    candidate.refresh_from_db()
    assert candidate.status == Candidate.Status.REJECTED
    assert candidate.resolution.reason == "The eyes settle it."
    assert client.get(url).status_code == 302


def test_plain_reviewers_cannot_open_the_final_decision_page(client, candidate, reviewer):
    candidate_decide(user=reviewer, candidate=candidate, decision="reject", note="Eyes differ.")
    force_login_verified(client, reviewer)
    assert client.get(reverse("review-dispute-resolve", args=[candidate.pk])).status_code == 403
