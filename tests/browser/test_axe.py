"""Every portal page scanned with axe-core: no serious or critical violation, at desktop
and phone width (where no page may be wider than the screen either).

To add a page, add a line to PAGES: who opens it and its path, with `{name}` for the ids
that `_world` makes (add one there if the page needs a new kind of record).
"""

from __future__ import annotations

from dataclasses import dataclass

import pytest
from django.test import Client

from cases.models import Photo, User
from cases.records.storage import photo_file_write
from cases.safeguards.erasure import case_consent_withdraw
from cases.safeguards.retention import case_close
from matching.candidates.pairs import candidate_pair_record
from matching.models import Candidate, Duplicate, Face
from matching.review.decisions import candidate_decide
from tests.factories import UserFactory
from tests.support.axe import axe_blocking
from tests.support.browser import screenshot
from tests.support.data import image_bytes
from tests.support.faces import ready_photo_with_embedding
from tests.support.otp import force_login_verified, totp_device_for

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@dataclass(frozen=True)
class AxePage:
    who: str  # a key of _users(): whose session opens the page ("anonymous": nobody's)
    path: str  # formatted with _world's ids
    name: str
    ready: str = ""  # a selector to wait for, on pages drawn by a script


PAGES = [
    AxePage("anonymous", "/accounts/login/", "sign-in"),
    AxePage("caseworker", "/", "dashboard"),
    AxePage("caseworker", "/notifications/", "notifications"),
    AxePage("caseworker", "/cases/", "case list"),
    AxePage("caseworker", "/cases/?q=nobody", "case list, nothing found"),
    AxePage("caseworker", "/cases/new/", "case form"),
    AxePage("caseworker", "/cases/{case}/", "case page"),
    AxePage("caseworker", "/cases/{case}/edit/", "case edit form"),
    AxePage("caseworker", "/cases/{case}/photos/add/", "add photos"),
    AxePage("caseworker", "/cases/{case}/close/", "close case"),
    AxePage("caseworker", "/cases/{case}/withdraw-consent/", "withdraw consent"),
    AxePage("caseworker", "/photos/{group_photo}/select-face/", "face picker"),
    AxePage("caseworker", "/reports/", "report list"),
    AxePage("caseworker", "/reports/new/", "report form"),
    AxePage("caseworker", "/reports/{own_report}/", "report page"),
    AxePage("caseworker", "/reports/{own_report}/edit/", "report edit form"),
    AxePage("caseworker", "/reports/{own_report}/photos/add/", "add photos to a report"),
    AxePage("caseworker", "/photos/{own_report_photo}/remove/", "remove a wrong photo"),
    AxePage("caseworker", "/photos/{case_photo}/remove/", "set aside a photo in a candidate"),
    AxePage("caseworker", "/no-such-page/", "404"),
    AxePage("partner", "/", "403 for a partner"),
    AxePage("reviewer", "/review/", "review queue"),
    AxePage("reviewer", "/review/disputed/", "disputed"),
    AxePage("reviewer", "/review/held-back/", "held back"),
    AxePage("reviewer", "/review/candidates/{candidate}/", "candidate"),
    AxePage("reviewer", "/review/?organisation=abc", "review queue, filter ignored"),
    AxePage("caseworker", "/review/", "403 for a caseworker"),
    AxePage("caseworker", "/cases/{confirmed_case}/", "case page after a confirmation"),
    AxePage("caseworker", "/cases/{duplicate_case}/", "case page with a possible duplicate"),
    AxePage("senior", "/review/disputed/", "disputed, senior reviewer"),
    AxePage("senior", "/review/disputed/{disputed}/", "final decision on a dispute"),
    AxePage("caseworker", "/cases/{erased_case}/", "case page after consent withdrawal"),
    AxePage("caseworker", "/cases/{erased_case}/edit/", "edit refused on an erased case"),
    AxePage("reviewer", "/review/candidates/{closed_candidate}/", "candidate of a reunited case"),
    AxePage("orgadmin", "/audit/", "audit log"),
    AxePage("orgadmin", "/org/api-keys/", "API keys"),
    AxePage("orgadmin", "/org/profile/", "organisation profile"),
    AxePage("orgadmin", "/org/api-keys/{api_key}/revoke/", "revoke a key"),
    AxePage("orgadmin", "/org/users/", "users"),
    AxePage("orgadmin", "/programme/", "programme"),
    AxePage("anonymous", "/accounts/password-reset/", "password reset"),
    AxePage("anonymous", "/accounts/password-reset/sent/", "password reset sent"),
    AxePage("anonymous", "/accounts/reset/MQ/no-such-token/", "a used account link"),
    AxePage("new_reviewer", "/accounts/2fa/", "2FA setup"),
    AxePage("unverified_reviewer", "/accounts/2fa/verify/", "2FA verify"),
    AxePage("anonymous", "/api/docs/", "API docs", ready=".opblock-tag"),
]


def _candidate(caseworker: User, partner: User, seed: int) -> Candidate:
    case_face = ready_photo_with_embedding(user=caseworker, seed=seed, side="case")
    report_face = ready_photo_with_embedding(user=partner, seed=seed + 1, side="report")
    candidate_pair_record(case_face=case_face, report_face=report_face, score=0.95)
    return Candidate.objects.get(case=case_face.photo.case_id)


def _world(caseworker: User, partner: User, reviewers: list[User]) -> dict[str, int]:
    from cases.access.apikeys import apikey_create

    candidate = _candidate(caseworker, partner, seed=1)
    own_report = ready_photo_with_embedding(user=caseworker, seed=3, side="report")
    case = candidate.case
    group = Photo.objects.create(
        side=Photo.Side.CASE,
        case=case,
        organisation=case.organisation,
        uploaded_by=caseworker,
        file=photo_file_write(data=image_bytes(size=(400, 200), fmt="JPEG", color="grey")),
        width=400,
        height=200,
        status=Photo.Status.NEEDS_FACE_SELECTION,
    )
    for ordinal, x in enumerate((20, 220)):
        Face.objects.create(photo=group, ordinal=ordinal, x=x, y=40, w=120, h=120, detector_score=1)
    # A key of the org admin's own organisation (the caseworker's), so its pages open.
    holder = UserFactory(organisation=caseworker.organisation, role=User.Role.PARTNER)
    api_key, _ = apikey_create(user=holder, created_by=None)
    confirmed = _candidate(caseworker, partner, seed=10)
    disputed = _candidate(caseworker, partner, seed=20)
    first, second = reviewers
    for person in (first, second):
        candidate_decide(user=person, candidate=confirmed, decision="confirm", note="Same.")
    candidate_decide(user=first, candidate=disputed, decision="confirm", note="Same ears.")
    candidate_decide(user=second, candidate=disputed, decision="reject", note="Eyes differ.")
    erased = ready_photo_with_embedding(user=caseworker, seed=40, side="case").photo.case
    case_consent_withdraw(user=caseworker, case=erased, reason="Mother phoned.")
    closed = _candidate(caseworker, partner, seed=50)
    case_close(user=caseworker, case=closed.case, outcome="reunited")
    twin = ready_photo_with_embedding(user=caseworker, seed=30, side="case").photo.case
    low, high = sorted((case.pk, twin.pk))
    Duplicate.objects.create(
        side="case", case_a_id=low, case_b_id=high, best_score=0.9, threshold=0.68
    )
    return {
        "case": case.pk,
        "own_report": own_report.photo.found_report_id,
        "own_report_photo": own_report.photo.pk,
        "case_photo": candidate.best_case_face.photo_id,
        "group_photo": group.pk,
        "candidate": candidate.pk,
        "api_key": api_key.pk,
        "confirmed_case": confirmed.case_id,
        "disputed": disputed.pk,
        "duplicate_case": twin.pk,
        "erased_case": erased.pk,
        "closed_candidate": closed.pk,
    }


def _session(user: User, *, verified: bool) -> str:
    client = Client()
    if verified:
        force_login_verified(client, user)
    else:
        client.force_login(user)
    return client.cookies["sessionid"].value


def _users(caseworker, partner, reviewer, org_review) -> dict[str, str | None]:
    orgadmin = UserFactory(organisation=caseworker.organisation, role=User.Role.ORG_ADMIN)
    new_reviewer = UserFactory(organisation=org_review, role=User.Role.REVIEWER)
    unverified = UserFactory(organisation=org_review, role=User.Role.REVIEWER)
    senior = UserFactory(organisation=org_review, role=User.Role.SENIOR_REVIEWER)
    totp_device_for(unverified)
    return {
        "anonymous": None,
        "caseworker": _session(caseworker, verified=False),
        "partner": _session(partner, verified=False),
        "reviewer": _session(reviewer, verified=True),
        "orgadmin": _session(orgadmin, verified=True),
        "new_reviewer": _session(new_reviewer, verified=False),
        "unverified_reviewer": _session(unverified, verified=False),
        "senior": _session(senior, verified=True),
    }


# Every page again in Arabic, right to left (issue 28): the language cookie the switcher sets.
# English at desktop and phone width; Arabic at phone width, where right-to-left goes wrong
# first (the page wider than the screen). What axe checks that depends on the language (the
# lang and dir attributes, names, contrast) does not depend on the width; the desktop markup
# is the same markup in English, so Arabic at desktop width would find nothing new.
WIDTHS = {"en-gb": (1366, 390), "ar": (390,)}


@pytest.mark.parametrize("language", ["en-gb", "ar"])
def test_every_page_has_no_serious_or_critical_axe_violation(
    new_page, live_server, caseworker, partner, reviewer, reviewer2, org_review, language
):
    ids = _world(caseworker, partner, [reviewer, reviewer2])
    sessions = _users(caseworker, partner, reviewer, org_review)
    failures: dict[str, list[dict]] = {}
    suffix = "" if language == "en-gb" else f"-{language}"
    for width in WIDTHS[language]:
        pages = {}
        for entry in PAGES:
            if entry.who not in pages:
                page = new_page(width=width, height=844)
                cookies = [{"name": "django_language", "value": language, "url": live_server.url}]
                if sessions[entry.who]:
                    cookies.append(
                        {"name": "sessionid", "value": sessions[entry.who], "url": live_server.url}
                    )
                page.context.add_cookies(cookies)
                pages[entry.who] = page
            page = pages[entry.who]
            page.goto(entry.path.format(**ids))
            page.wait_for_load_state("load")
            if entry.ready:
                page.locator(entry.ready).first.wait_for()
            blocking = axe_blocking(page)
            # At phone width nothing may be cut off or need sideways scrolling.
            wide = page.evaluate("document.documentElement.scrollWidth")
            if width == 390 and wide > width:
                blocking.append(
                    {"id": "page-wider-than-phone", "impact": "serious", "nodes": [wide]}
                )
            if blocking:
                failures[f"{entry.name} ({entry.path}) at {width}px"] = blocking
            if blocking or width == 390:
                screenshot(page, f"axe-{entry.name.replace(' ', '-')}-{width}{suffix}")
    assert not failures, "\n".join(
        f"{where}: " + "; ".join(f"{v['id']} [{v['impact']}] {v['nodes']}" for v in found)
        for where, found in failures.items()
    )
