"""The role x action matrix, cell by cell, and the API by role and by organisation."""

import io

import pytest
from django.conf import settings
from django.core.management import call_command

from cases.access.permissions import Action, permissions_matrix_markdown, role_allows, user_can
from cases.models import User
from matching.models import Candidate
from tests.factories import OrganisationFactory, UserFactory
from tests.support.api import api_client_verified
from tests.support.faces import ready_photo_with_embedding

pytestmark = pytest.mark.django_db

# Written out by hand, so a change to the matrix must be made twice, on purpose.
ALLOWED = {
    "caseworker": {
        "portal.use",
        "case.create",
        "case.view",
        "case.edit",
        "case.share",
        "report.create",
        "report.view",
        "report.edit",
        "photo.view",
        "photo.add",
        "photo.select_face",
        "duplicate.decide",
        "webhook.manage",
        "apikey.hold",
    },
    "partner": {
        "report.create",
        "report.view",
        "report.edit",
        "photo.add",
        "photo.select_face",
        "webhook.manage",
        "apikey.hold",
    },
    "reviewer": {"portal.use", "candidate.review"},
    "senior_reviewer": {"portal.use", "candidate.review", "dispute.resolve"},
    "org_admin": {
        "portal.use",
        "case.view",
        "report.view",
        "photo.view",
        "apikey.manage",
        "audit.view",
        "user.manage",
        "organisation.edit",
        "programme.view",
    },
    "operator": {
        "portal.use",
        "apikey.manage",
        "audit.view",
        "organisations.all",
        "organisation.approve",
        "organisation.pause",
        "legal_hold.manage",
        "admin.use",
        "programme.view",
    },
}
CELLS = [(role, action) for role in User.Role.values for action in Action]


def _user(role: str) -> User:
    if role == "operator":
        return UserFactory(organisation=None, role=role)
    return UserFactory(role=role)


@pytest.mark.parametrize(("role", "action"), CELLS, ids=[f"{r}-{a}" for r, a in CELLS])
def test_matrix_cell(role, action):
    assert user_can(_user(role), action) is (action.value in ALLOWED[role])


@pytest.mark.parametrize("role", [r for r in User.Role.values if r != "operator"])
@pytest.mark.parametrize("state", ["unapproved", "paused"])
def test_unapproved_or_paused_organisation_may_do_nothing(role, state):
    from django.utils import timezone

    organisation = OrganisationFactory(
        approved_at=None if state == "unapproved" else timezone.now(),
        paused_at=timezone.now() if state == "paused" else None,
    )
    user = UserFactory(role=role, organisation=organisation)
    assert not any(user_can(user, action) for action in Action)


def test_inactive_user_may_do_nothing():
    user = UserFactory(role="caseworker", is_active=False)
    assert not any(user_can(user, action) for action in Action)


def test_docs_permissions_md_matches_the_code():
    doc = (settings.BASE_DIR / "docs" / "permissions.md").read_text()
    assert doc == permissions_matrix_markdown(), (
        "Run: python manage.py permissions_matrix > docs/permissions.md"
    )
    out = io.StringIO()
    call_command("permissions_matrix", stdout=out)
    assert out.getvalue() == doc


# --- The API, by role and by organisation -----------------------------------------------


@pytest.fixture
def world(caseworker, partner, reviewer, org_family, org_ngo):
    """A case (Family Links), a report (Hope Street) and a candidate between them."""
    case_face = ready_photo_with_embedding(user=caseworker, seed=11, side="case")
    report_face = ready_photo_with_embedding(user=partner, seed=12, side="report")
    Candidate.objects.create(
        case=case_face.photo.case,
        found_report=report_face.photo.found_report,
        space="test",
        threshold=0.925,
        best_score=0.97,
        best_case_face=case_face,
        best_report_face=report_face,
    )
    return {
        "case": case_face.photo.case,
        "report": report_face.photo.found_report,
        "case_photo": case_face.photo,
        "report_photo": report_face.photo,
        "candidate": Candidate.objects.get(),
        "orgadmin": UserFactory(organisation=org_family, role="org_admin"),
        "other_caseworker": UserFactory(role="caseworker"),
        "other_partner": UserFactory(role="partner"),
        "reviewer_in_filing_org": UserFactory(organisation=org_ngo, role="reviewer"),
    }


def _user_for(name, world, caseworker, partner, reviewer):
    return {"caseworker": caseworker, "partner": partner, "reviewer": reviewer}.get(name) or world[
        name
    ]


# Valid bodies, so a refusal is about permission and not about the input. Photo uploads are
# sent without a photo, and the face is already chosen: allowed requests there get 400.
VALID_BODIES = {
    "/api/v1/cases/": {
        "given_name": "Amina",
        "date_of_birth": "2016-04-02",
        "last_seen_on": "2025-01-10",
        "last_seen_place": "Market square",
        "consent_given_by": "Fatima",
        "consent_given_at": "2025-01-11T09:00:00Z",
        "consent_method": "in_person",
    },
    "/api/v1/found-reports/": {
        "external_ref": "X-1",
        "found_on": "2025-06-01",
        "found_place": "Shelter",
        "estimated_age_min": 6,
        "estimated_age_max": 9,
    },
    "/api/v1/review/candidates/{candidate}/decision/": {"decision": "confirm", "note": "Same."},
}

# (user, method, url, expected status).
API_CASES = [
    ("caseworker", "get", "/api/v1/cases/", 200),
    ("orgadmin", "get", "/api/v1/cases/", 200),
    ("partner", "get", "/api/v1/cases/", 403),
    ("reviewer", "get", "/api/v1/cases/", 403),
    ("partner", "post", "/api/v1/cases/", 403),
    ("reviewer", "post", "/api/v1/cases/", 403),
    ("orgadmin", "post", "/api/v1/cases/", 403),
    ("caseworker", "get", "/api/v1/cases/{case}/", 200),
    ("orgadmin", "get", "/api/v1/cases/{case}/", 200),
    ("other_caseworker", "get", "/api/v1/cases/{case}/", 404),
    ("partner", "get", "/api/v1/cases/{case}/", 403),
    ("caseworker", "post", "/api/v1/cases/{case}/photos/", 400),
    ("other_caseworker", "post", "/api/v1/cases/{case}/photos/", 404),
    ("orgadmin", "post", "/api/v1/cases/{case}/photos/", 403),
    ("partner", "get", "/api/v1/found-reports/", 200),
    ("reviewer", "get", "/api/v1/found-reports/", 403),
    ("reviewer", "post", "/api/v1/found-reports/", 403),
    ("orgadmin", "post", "/api/v1/found-reports/", 403),
    ("partner", "get", "/api/v1/found-reports/{report}/", 200),
    ("other_partner", "get", "/api/v1/found-reports/{report}/", 404),
    ("caseworker", "get", "/api/v1/found-reports/{report}/", 404),
    ("reviewer", "get", "/api/v1/found-reports/{report}/", 403),
    ("partner", "post", "/api/v1/found-reports/{report}/photos/", 400),
    ("other_partner", "post", "/api/v1/found-reports/{report}/photos/", 404),
    ("caseworker", "get", "/api/v1/photos/{case_photo}/", 200),
    ("partner", "get", "/api/v1/photos/{case_photo}/", 404),
    ("reviewer", "get", "/api/v1/photos/{case_photo}/", 403),
    ("partner", "get", "/api/v1/photos/{report_photo}/", 200),
    ("other_partner", "get", "/api/v1/photos/{report_photo}/", 404),
    ("caseworker", "post", "/api/v1/photos/{case_photo}/select-face/", 400),
    ("other_caseworker", "post", "/api/v1/photos/{case_photo}/select-face/", 404),
    ("reviewer", "post", "/api/v1/photos/{case_photo}/select-face/", 403),
    ("reviewer", "get", "/api/v1/review/candidates/", 200),
    ("caseworker", "get", "/api/v1/review/candidates/", 403),
    ("partner", "get", "/api/v1/review/candidates/", 403),
    ("orgadmin", "get", "/api/v1/review/candidates/", 403),
    ("reviewer", "post", "/api/v1/review/candidates/{candidate}/decision/", 201),
    ("reviewer_in_filing_org", "post", "/api/v1/review/candidates/{candidate}/decision/", 404),
    ("caseworker", "post", "/api/v1/review/candidates/{candidate}/decision/", 403),
    ("partner", "post", "/api/v1/review/candidates/{candidate}/decision/", 403),
]


@pytest.mark.parametrize(
    ("who", "method", "url", "expected"),
    API_CASES,
    ids=[f"{w}-{m}-{u}" for w, m, u, _ in API_CASES],
)
def test_api_by_role_and_organisation(
    who, method, url, expected, world, api_for, caseworker, partner, reviewer
):
    user = _user_for(who, world, caseworker, partner, reviewer)
    ids = {k: getattr(v, "pk", None) for k, v in world.items()}
    body = dict(VALID_BODIES.get(url, {}))
    if url.endswith("select-face/"):
        body["face_id"] = world["case_photo"].faces.get().pk
    # Second-factor roles cannot hold keys; they use the API in a session past the factor.
    can_hold_key = role_allows(user.role, Action.APIKEY_HOLD)
    client = api_for(user) if can_hold_key else api_client_verified(user)
    response = getattr(client, method)(url.format(**ids), body, format="multipart")
    assert response.status_code == expected, response.content[:300]


def test_the_second_factor_follows_the_matrix():
    from cases.access.permissions import role_needs_second_factor

    needs = {role for role in User.Role.values if role_needs_second_factor(role)}
    assert needs == {
        User.Role.REVIEWER,
        User.Role.SENIOR_REVIEWER,
        User.Role.ORG_ADMIN,
        User.Role.OPERATOR,
    }
