"""The portal's shared set-up: a case and a report with a candidate, and every page."""

import pytest
from django.urls import reverse

from cases.models import User
from matching.candidates.pairs import candidate_pair_record
from matching.models import Candidate
from tests.factories import FoundReportFactory, UserFactory
from tests.support.faces import ready_photo_with_embedding


@pytest.fixture
def world(caseworker, partner, reviewer):
    """A case and a report with a photo each, a candidate between them, an admin."""
    case_face = ready_photo_with_embedding(user=caseworker, seed=1, side="case")
    report_face = ready_photo_with_embedding(user=partner, seed=2, side="report")
    candidate_pair_record(case_face=case_face, report_face=report_face, score=0.95)
    admin = UserFactory(role=User.Role.ORG_ADMIN, organisation=caseworker.organisation)
    own_report = FoundReportFactory(created_by=caseworker)
    return {
        "case": case_face.photo.case,
        "report": report_face.photo.found_report,
        "own_report": own_report,
        "case_photo": case_face.photo,
        "candidate": Candidate.objects.get(),
        "admin": admin,
    }


@pytest.fixture
def portal_pages(caseworker, reviewer, partner, world) -> dict:
    """Every portal page, by who opens it (None: signed out); the language checks walk them."""
    case, photo, candidate = world["case"], world["case_photo"], world["candidate"]
    return {
        None: ["/accounts/login/", "/accounts/password-reset/", "/no-such-page/"],
        caseworker: [
            "/",
            "/cases/",
            "/cases/new/",
            reverse("case-detail", args=[case.pk]),
            reverse("case-edit", args=[case.pk]),
            reverse("case-close", args=[case.pk]),
            reverse("case-consent-withdraw", args=[case.pk]),
            reverse("case-photo-add", args=[case.pk]),
            reverse("photo-select-face", args=[photo.pk]),
            reverse("photo-remove", args=[photo.pk]),
            "/reports/",
            "/reports/new/",
            reverse("report-detail", args=[world["own_report"].pk]),
            "/notifications/",
            "/account/",
            "/review/",  # a 403 page for a caseworker
        ],
        reviewer: [
            "/review/",
            "/review/disputed/",
            "/review/held-back/",
            reverse("review-candidate", args=[candidate.pk]),
            "/account/",
        ],
        world["admin"]: [
            "/org/api-keys/",
            "/org/users/",
            "/audit/",
            "/org/profile/",
            "/programme/",
        ],
        partner: ["/"],
    }
