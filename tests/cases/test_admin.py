"""/admin/ is no path to power: every registered model, tried through its real forms.

An operator (with a second factor) and a break-glass superuser each try to add, change and
delete every model the admin shows. Each attempt is refused, or it is one of the few writes
the admin allows and lands in the audit chain with the fields' values before and after.
"""

from __future__ import annotations

import datetime as dt

import pytest
from axes.models import AccessAttempt, AccessFailureLog, AccessLog
from django.contrib import admin
from django.core.management import call_command
from django.forms.models import model_to_dict
from django.test import Client
from django.urls import reverse
from django.utils import timezone
from django_otp.plugins.otp_totp.models import TOTPDevice

from cases.access.accounts import user_role_set
from cases.access.checks import superuser_check
from cases.models import ApiKey, AuditEvent, MissingCase, Organisation, User
from matching.candidates.pairs import candidate_pair_record
from matching.models import (
    Candidate,
    DisputeResolution,
    Duplicate,
    EmbeddingSpace,
    ReunificationStep,
)
from matching.review.decisions import candidate_decide
from reunite.kernel.errors import NotAllowed as PermissionDenied
from tests.factories import MissingCaseFactory, UserFactory
from tests.support.faces import ready_photo_with_embedding
from tests.support.otp import force_login_verified

pytestmark = pytest.mark.django_db

# The one model whose records /admin/ may add and change (audited); nothing is ever deleted.
AUDITED_WRITES = {Organisation}


@pytest.fixture(params=["operator", "superuser"])
def admin_user(request) -> User:
    """The demo's operator (staff, not superuser), and a break-glass superuser."""
    user = UserFactory(
        username=request.param,
        role=User.Role.OPERATOR,
        organisation=None,
        is_staff=True,
        is_superuser=request.param == "superuser",
    )
    return user


@pytest.fixture
def admin_client(admin_user) -> Client:
    return force_login_verified(Client(), admin_user)


@pytest.fixture
def records(caseworker, partner, reviewer, org_review) -> dict[type, object]:
    """One record of every model the admin shows."""
    case_face = ready_photo_with_embedding(user=caseworker, seed=1, side="case")
    report_face = ready_photo_with_embedding(user=partner, seed=2, side="report")
    candidate_pair_record(case_face=case_face, report_face=report_face, score=0.95)
    candidate = Candidate.objects.get()
    decision = candidate_decide(user=reviewer, candidate=candidate, decision="reject", note="No.")
    senior = UserFactory(organisation=org_review, role=User.Role.SENIOR_REVIEWER)
    other_case = MissingCaseFactory(created_by=caseworker)
    first, second = sorted([case_face.photo.case, other_case], key=lambda c: c.pk)
    out: dict[type, object] = {
        type(o): o
        for o in [
            org_review,
            caseworker,
            case_face.photo.case,
            report_face.photo.found_report,
            case_face.photo,
            case_face,
            case_face.embeddings.get(),
            candidate,
            candidate.pairs.get(),
            decision,
            EmbeddingSpace.objects.first(),
            ApiKey.objects.create(user=partner, prefix="abcd1234", key_hash="0" * 64),
            AuditEvent.objects.first(),
            DisputeResolution.objects.create(
                candidate=candidate, resolved_by=senior, decision="reject", reason="Scar differs."
            ),
            ReunificationStep.objects.create(
                candidate=candidate, stage="contact_made", note="Called.", recorded_by=caseworker
            ),
            Duplicate.objects.create(
                side="case", case_a=first, case_b=second, best_score=0.97, threshold=0.9
            ),
            AccessAttempt.objects.create(
                username="x", ip_address="198.51.100.1", user_agent="t", failures_since_start=1
            ),
            AccessLog.objects.create(username="x", ip_address="198.51.100.1", user_agent="t"),
            AccessFailureLog.objects.create(
                username="x", ip_address="198.51.100.1", user_agent="t"
            ),
        ]
    }
    return out


def _url(model: type, view: str, *args: object) -> str:
    meta = model._meta
    return reverse(f"admin:{meta.app_label}_{meta.model_name}_{view}", args=args)


def _form_data(obj) -> dict[str, object]:
    """What the change form would post back: every field's value, with None left out."""
    data = {}
    for name, value in model_to_dict(obj).items():
        if value is None:
            continue
        if isinstance(value, list):
            value = [getattr(v, "pk", v) for v in value]
        data[name] = value
    return data


REGISTERED = sorted(admin.site._registry, key=lambda m: m._meta.label)


def test_every_registered_model_has_a_record_here(records):
    assert set(REGISTERED) <= set(records), "add a record of the new admin model to `records`"


def test_no_groups_and_no_second_factor_devices_in_the_admin():
    from django.contrib.auth.models import Group

    assert Group not in admin.site._registry
    assert TOTPDevice not in admin.site._registry


@pytest.mark.parametrize("model", REGISTERED, ids=lambda m: m._meta.label)
def test_every_admin_model_refuses_add_change_and_delete_or_audits_it(admin_client, records, model):
    obj = records[model]
    obj.refresh_from_db()
    before = _form_data(obj)
    assert admin_client.get(_url(model, "changelist")).status_code == 200
    page = admin_client.get(_url(model, "change", obj.pk))
    assert page.status_code == 200
    audited = model in AUDITED_WRITES
    assert (b'name="_save"' in page.content) is audited

    changed = dict(before)
    for name, value in before.items():
        if (
            isinstance(value, str)
            and value
            and "@" not in value
            and name not in {"kind", "purpose", "time_zone"}
        ):
            changed[name] = value + " (edited)"
    audit_rows = AuditEvent.objects.count()
    response = admin_client.post(_url(model, "change", obj.pk), changed)
    if audited:
        assert response.status_code == 302, response.context["adminform"].form.errors
        event = AuditEvent.objects.filter(action="admin.changed").latest("id")
        assert event.data["changes"]["name"] == {
            "from": before["name"],
            "to": before["name"] + " (edited)",
        }
    else:
        assert response.status_code == 403
        assert _form_data(model.objects.get(pk=obj.pk)) == before
        # No write, so no "admin" record (the superuser's request record aside).
        assert not AuditEvent.objects.filter(
            action__startswith="admin.", id__gt=audit_rows
        ).exists()

    add = admin_client.post(_url(model, "add"), {**changed, "name": "Added"})
    assert add.status_code == (302 if audited else 403)
    assert admin_client.post(_url(model, "delete", obj.pk), {"post": "yes"}).status_code == 403
    assert model.objects.filter(pk=obj.pk).exists()
    changelist = admin_client.get(_url(model, "changelist"))
    assert b"delete_selected" not in changelist.content


def test_the_add_user_page_no_longer_500s_it_is_refused(admin_client, org_review):
    assert admin_client.get("/admin/cases/user/add/").status_code == 403
    response = admin_client.post(
        "/admin/cases/user/add/",
        {"username": "new", "password1": "x-long-pass-1", "password2": "x-long-pass-1"},
    )
    assert response.status_code == 403
    assert not User.objects.filter(username="new").exists()


def test_the_operator_cannot_make_themselves_a_reviewer_and_decide(
    admin_client, admin_user, records, org_review
):
    """The issue's walk-through: self-promotion in /admin/, then a decision. Both refused."""
    data = {
        **_form_data(admin_user),
        "role": User.Role.REVIEWER,
        "organisation": org_review.pk,
        "is_superuser": "on",
        "user_permissions": [],
        "groups": [],
    }
    response = admin_client.post(_url(User, "change", admin_user.pk), data)
    assert response.status_code == 403
    admin_user.refresh_from_db()
    assert admin_user.role == User.Role.OPERATOR and admin_user.organisation is None

    # Not through the portal's account page or the service either.
    assert admin_client.get("/org/users/").status_code == 403
    with pytest.raises(PermissionDenied):
        user_role_set(actor=admin_user, user=admin_user, role=User.Role.REVIEWER)

    candidate = records[Candidate]
    response = admin_client.post(
        f"/review/candidates/{candidate.pk}/decision/", {"decision": "reject", "note": "x"}
    )
    assert response.status_code == 403
    assert candidate.decisions.count() == 1


def test_an_operators_edit_of_a_case_is_refused(admin_client, records):
    case = records[MissingCase]
    data = {**_form_data(case), "given_name": "Changed", "legal_hold": "on"}
    response = admin_client.post(_url(MissingCase, "change", case.pk), data)
    assert response.status_code == 403
    case.refresh_from_db()
    assert case.given_name != "Changed"


def test_adding_an_organisation_is_audited_field_by_field(admin_client, admin_user):
    response = admin_client.post(
        _url(Organisation, "add"),
        {
            "name": "New Shelter",
            "kind": "ngo",
            "purpose": "reunite_missing",
            "contact_name": "Kim",
            "contact_email": "kim@example.org",
            "contact_phone": "",
            "daily_report_limit": "",
            "daily_photo_limit": "",
            "time_zone": "Africa/Nairobi",
            "offline_draft_hours": "24",
        },
    )
    assert response.status_code == 302
    organisation = Organisation.objects.get(name="New Shelter")
    assert organisation.approved_at is None  # approving is the audited command's job
    event = AuditEvent.objects.get(action="admin.added")
    assert event.actor == admin_user
    assert event.object_id == str(organisation.pk)
    assert event.data["changes"]["name"] == {"from": None, "to": "New Shelter"}
    assert event.data["changes"]["kind"] == {"from": None, "to": "ngo"}


def test_staff_without_the_operator_role_sees_nothing(org_family):
    caseworker = UserFactory(organisation=org_family, role="caseworker", is_staff=True)
    client = force_login_verified(Client(), caseworker)
    assert client.get(_url(Organisation, "changelist")).status_code == 403
    page = client.get("/admin/")
    assert b"/admin/cases/" not in page.content


def test_every_superuser_request_is_audited(client, org_family):
    root = UserFactory(
        username="root", role="operator", organisation=None, is_staff=True, is_superuser=True
    )
    force_login_verified(client, root)
    client.get("/admin/cases/organisation/?q=secret")
    event = AuditEvent.objects.filter(action="superuser.request").latest("id")
    assert event.actor == root
    assert event.data == {"method": "GET", "path": "/admin/cases/organisation/", "status": 200}


def test_an_operators_requests_are_not_recorded_one_by_one(admin_client, admin_user):
    admin_client.get("/admin/")
    recorded = AuditEvent.objects.filter(action="superuser.request").exists()
    assert recorded is admin_user.is_superuser


def test_deploy_check_warns_about_a_superuser_outside_a_break_glass_window(settings):
    assert superuser_check() == []
    UserFactory(username="root", role="operator", organisation=None, is_superuser=True)
    settings.BREAK_GLASS_UNTIL = None
    warnings = superuser_check()
    assert [w.id for w in warnings] == ["reunite.W001"] and "root" in warnings[0].msg
    settings.BREAK_GLASS_UNTIL = timezone.now() + dt.timedelta(hours=2)
    assert superuser_check() == []
    settings.BREAK_GLASS_UNTIL = timezone.now() - dt.timedelta(minutes=1)
    assert len(superuser_check()) == 1


def test_the_demo_operator_is_staff_not_superuser():
    call_command("load_demo")
    operator = User.objects.get(username="operator")
    assert operator.is_staff and not operator.is_superuser
    assert superuser_check() == []


def test_the_admins_password_change_goes_to_the_audited_reset(admin_client, admin_user):
    response = admin_client.post(
        "/admin/password_change/",
        {"old_password": "a-long-test-password", "new_password1": "x", "new_password2": "x"},
    )
    assert response.status_code == 302
    assert response["Location"] == "/accounts/password-reset/"
    admin_user.refresh_from_db()
    assert admin_user.check_password("a-long-test-password")
