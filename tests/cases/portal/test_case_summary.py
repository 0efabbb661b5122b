"""The case on paper: a PDF summary with photos, details, timeline, outcome and signatures,
saying who printed it and when, audited like a photo view."""

import pytest
from django.test import RequestFactory

from cases.models import AuditEvent, MissingCase
from cases.portal.printing import case_summary_html
from cases.records.services import PhotoUpload, photo_add
from cases.safeguards.erasure import case_consent_withdraw
from matching.candidates.pairs import candidate_pair_record
from matching.models import Candidate
from matching.review.decisions import candidate_decide, candidate_resolve
from tests.factories import MissingCaseFactory, UserFactory
from tests.support.data import image_bytes
from tests.support.faces import ready_photo_with_embedding

pytestmark = pytest.mark.django_db


def test_the_summary_is_a_pdf_and_its_printing_is_audited_with_the_photos(client, caseworker):
    case = MissingCaseFactory(created_by=caseworker)
    photo = photo_add(user=caseworker, owner=case, upload=PhotoUpload(data=image_bytes()))
    client.force_login(caseworker)
    assert "summary.pdf" in client.get(f"/cases/{case.pk}/").content.decode()

    response = client.get(f"/cases/{case.pk}/summary.pdf")

    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert response.content.startswith(b"%PDF-")
    assert response["Cache-Control"] == "private, no-store"
    assert f"{case.reference}-summary.pdf" in response["Content-Disposition"]
    event = AuditEvent.objects.get(action="case.summary_printed")
    assert event.actor == caseworker and event.data == {"photos": [photo.pk]}


def test_the_summary_holds_photos_details_timeline_outcome_and_signatures(
    caseworker, partner, org_review
):
    reviewers = [UserFactory(organisation=org_review, role="reviewer") for _ in range(2)]
    senior = UserFactory(organisation=org_review, role="senior_reviewer")
    face = ready_photo_with_embedding(user=caseworker, seed=1, side="case")
    candidate_pair_record(
        case_face=face,
        report_face=ready_photo_with_embedding(user=partner, seed=2, side="report"),
        score=0.95,
    )
    candidate = Candidate.objects.get()
    candidate_decide(user=reviewers[0], candidate=candidate, decision="confirm", note="Ears.")
    candidate_decide(user=reviewers[1], candidate=candidate, decision="reject", note="Chin.")
    candidate_resolve(user=senior, candidate=candidate, decision="confirm", reason="The scar.")
    case = MissingCase.objects.get(pk=face.photo.case_id)
    request = RequestFactory().get("/")
    request.user = caseworker

    html = case_summary_html(request=request, case=case)

    assert case.given_name in html and case.last_seen_place in html
    assert 'src="data:image/jpeg;base64,' in html  # the photo, inlined
    assert "Reviewers disagreed; a senior reviewer confirmed" in html and "The scar." in html
    assert "Timeline" in html
    assert html.count("Signature</p>") == 3
    assert "Printed by caseworker on" in html


def test_an_erased_case_prints_nothing(client, caseworker):
    case = MissingCaseFactory(created_by=caseworker)
    case_consent_withdraw(user=caseworker, case=case, reason="Asked by the mother")
    client.force_login(caseworker)
    assert client.get(f"/cases/{case.pk}/summary.pdf").status_code == 302
    assert not AuditEvent.objects.filter(action="case.summary_printed").exists()
