"""/admin/ is read-only for what carries the two-person rule, the evidence and photo states."""

import pytest
from django.urls import reverse

from cases.models import Photo, User
from matching.candidates.pairs import candidate_pair_record
from matching.models import Candidate, Embedding, Face, ReviewDecision
from matching.review.decisions import candidate_decide
from tests.factories import UserFactory
from tests.support.faces import ready_photo_with_embedding
from tests.support.otp import force_login_verified

pytestmark = pytest.mark.django_db


@pytest.fixture
def admin_client(client):
    superuser = UserFactory(
        username="root", role=User.Role.OPERATOR, organisation=None, is_staff=True
    )
    superuser.is_superuser = True
    superuser.save()
    return force_login_verified(client, superuser)


@pytest.fixture
def records(caseworker, partner, reviewer):
    case_face = ready_photo_with_embedding(user=caseworker, seed=1, side="case")
    report_face = ready_photo_with_embedding(user=partner, seed=2, side="report")
    candidate_pair_record(case_face=case_face, report_face=report_face, score=0.95)
    candidate = Candidate.objects.get()
    decision = candidate_decide(user=reviewer, candidate=candidate, decision="reject", note="No.")
    return {
        "candidate": candidate,
        "reviewdecision": decision,
        "face": case_face,
        "embedding": Embedding.objects.filter(face=case_face).get(),
        "photo": case_face.photo,
    }


READ_ONLY = ["candidate", "reviewdecision", "face", "embedding", "photo"]


def _url(obj, view: str, *args) -> str:
    meta = obj._meta
    return reverse(f"admin:{meta.app_label}_{meta.model_name}_{view}", args=args)


@pytest.mark.parametrize("name", READ_ONLY)
def test_admin_lists_and_shows_but_cannot_add_or_delete(admin_client, records, name):
    obj = records[name]
    assert admin_client.get(_url(obj, "changelist")).status_code == 200
    page = admin_client.get(_url(obj, "change", obj.pk))
    assert page.status_code == 200
    assert b'name="_save"' not in page.content
    assert admin_client.get(_url(obj, "add")).status_code == 403
    assert admin_client.post(_url(obj, "add"), {}).status_code == 403
    assert admin_client.post(_url(obj, "delete", obj.pk), {"post": "yes"}).status_code == 403
    assert type(obj).objects.filter(pk=obj.pk).exists()


def test_admin_cannot_confirm_repoint_or_change_photo_states(admin_client, records, org_ngo):
    candidate, photo = records["candidate"], records["photo"]
    other_case = ready_photo_with_embedding(user=photo.uploaded_by, seed=9, side="case")
    response = admin_client.post(
        _url(candidate, "change", candidate.pk),
        {"status": "confirmed", "case": other_case.photo.case_id, "best_score": 1.0},
    )
    assert response.status_code == 403
    candidate.refresh_from_db()
    assert candidate.status == Candidate.Status.DISPUTED
    assert candidate.case_id == photo.case_id

    response = admin_client.post(_url(photo, "change", photo.pk), {"status": "rejected"})
    assert response.status_code == 403
    assert Photo.objects.get(pk=photo.pk).status == Photo.Status.READY

    decision = records["reviewdecision"]
    response = admin_client.post(_url(decision, "change", decision.pk), {"decision": "confirm"})
    assert response.status_code == 403
    assert ReviewDecision.objects.get(pk=decision.pk).decision == "reject"
    face = records["face"]
    assert admin_client.post(_url(face, "change", face.pk), {"x": 0}).status_code == 403
    assert Face.objects.get(pk=face.pk).x == 10


def test_changelists_offer_no_bulk_delete(admin_client, records):
    for name in READ_ONLY:
        page = admin_client.get(_url(records[name], "changelist"))
        assert b"delete_selected" not in page.content


def test_operators_fix_a_candidate_with_the_audited_command(records, caseworker):
    from django.core.management import call_command

    from cases.models import AuditEvent

    candidate = records["candidate"]
    call_command("candidate_withdraw", str(candidate.pk), reason="Wrong photo on the report.")
    candidate.refresh_from_db()
    assert candidate.status == Candidate.Status.WITHDRAWN
    event = AuditEvent.objects.get(action="candidate.withdrawn")
    assert event.actor is None
    assert event.data == {"from": "disputed", "reason": "Wrong photo on the report."}
