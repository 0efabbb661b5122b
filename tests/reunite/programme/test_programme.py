"""The programme page: every figure checked against a count made here, from records made
through the services; who may read it; what the CSV holds; the audit row."""

import csv
import datetime as dt
import io
import re

import numpy as np
import pytest
from django.test import Client
from django.utils import timezone

from cases.models import AuditEvent, FoundReport, MissingCase, User
from matching.candidates.duplicates import duplicate_pair_record
from matching.candidates.pairs import candidate_pair_record
from matching.models import Candidate, Duplicate, ReunificationStep, ReviewDecision
from matching.review.decisions import candidate_decide, candidate_resolve
from matching.review.reunification import reunification_step_record
from reunite.programme.selectors import (
    ProgrammeScope,
    group_shown,
    programme_disputes,
    programme_duplicates,
    programme_fairness_age,
    programme_fairness_age_gap,
    programme_fairness_sex,
    programme_outcomes,
    programme_records,
    programme_review_queue,
    programme_scope_get,
    programme_wait_first_decision,
    programme_wait_first_step,
)
from tests.factories import MissingCaseFactory, UserFactory
from tests.support.faces import ready_photo_with_embedding
from tests.support.otp import force_login_verified

pytestmark = pytest.mark.django_db

NOTE = "Ears and chin."


@pytest.fixture
def senior(org_review) -> User:
    return UserFactory(organisation=org_review, role=User.Role.SENIOR_REVIEWER)


@pytest.fixture
def programme(caseworker, partner, reviewer, reviewer2, senior) -> dict[str, Candidate]:
    """Seven candidates, each between its own case and report, taken to every end."""
    made = {}
    for seed, name in enumerate(
        ["reunited", "not_same", "handed", "senior_same", "senior_not", "unsure", "pending"]
    ):
        case_face = ready_photo_with_embedding(user=caseworker, seed=10 + seed, side="case")
        report_face = ready_photo_with_embedding(user=partner, seed=50 + seed, side="report")
        if name in ("reunited", "not_same"):
            # Photographed at 2; found at about 10: eight years between the photos.
            case_face.photo.age_in_photo = 2
            case_face.photo.save(update_fields=["age_in_photo"])
        candidate_pair_record(case_face=case_face, report_face=report_face, score=0.95)
        made[name] = Candidate.objects.get(case=case_face.photo.case)

    def decide(name, *decisions):
        for person, decision in zip((reviewer, reviewer2), decisions, strict=False):
            candidate_decide(user=person, candidate=made[name], decision=decision, note=NOTE)

    def steps(name, *stages):
        for stage in stages:
            reunification_step_record(user=caseworker, candidate=made[name], stage=stage, note=NOTE)

    decide("reunited", "confirm", "confirm")
    steps("reunited", "contact_made", "verified_same", "reunited")
    decide("not_same", "confirm", "confirm")
    steps("not_same", "contact_made", "verified_not_same")
    decide("handed", "confirm", "confirm")
    steps("handed", "handed_to_authority")
    decide("senior_same", "reject", "confirm")
    candidate_resolve(user=senior, candidate=made["senior_same"], decision="confirm", reason=NOTE)
    decide("senior_not", "reject")
    candidate_resolve(user=senior, candidate=made["senior_not"], decision="reject", reason=NOTE)
    decide("unsure", "unsure")
    # Two more cases, boys of 3, with no candidate.
    for _ in range(2):
        MissingCaseFactory(created_by=caseworker, sex="male", age_min=3, age_max=4)
    # One possible duplicate between two of the caseworker's cases.
    faces = [c.best_case_face for c in (made["reunited"], made["pending"])]
    duplicate_pair_record(face=faces[0], other_face=faces[1], score=0.9, threshold=0.8)
    for candidate in made.values():
        candidate.refresh_from_db()
    return made


def _shift(model, days: float, **filters) -> None:
    """Move rows back in time (the services stamp `now`)."""
    for row in model.objects.filter(**filters):
        model.objects.filter(pk=row.pk).update(created_at=row.created_at - dt.timedelta(days=days))


def _scope(org=None) -> ProgrammeScope:
    today = timezone.now().date()
    return ProgrammeScope(organisation=org, start=today - dt.timedelta(days=120), end=today)


def test_cases_and_reports_per_month_and_open_now(programme, org_family, org_ngo):
    # One case registered two months ago, and one of the reports too.
    case = programme["pending"].case
    _shift(MissingCase, 62, pk=case.pk)
    _shift(FoundReport, 62, pk=programme["pending"].found_report_id)
    figure = programme_records(scope=_scope())
    by_month: dict = {}
    for model, kind in ((MissingCase, "cases"), (FoundReport, "reports")):
        for row in model.objects.all():
            month = row.created_at.date().replace(day=1)
            by_month.setdefault(month, {}).setdefault(kind, 0)
            by_month[month][kind] += 1
    for row in MissingCase.objects.exclude(closed_at=None):
        month = row.closed_at.date().replace(day=1)
        by_month.setdefault(month, {}).setdefault("closed", 0)
        by_month[month]["closed"] += 1
    assert len(by_month) >= 2
    for month, counts in by_month.items():
        for kind in ("cases", "reports", "closed"):
            assert figure.by_month[month][kind] == counts.get(kind, 0)
    assert sum(v["cases"] for v in figure.by_month.values()) == 9
    for month, counts in figure.by_month.items():
        month_end = dt.datetime.combine(
            (month + dt.timedelta(days=32)).replace(day=1), dt.time.min, tzinfo=dt.UTC
        )
        still_open = [
            c
            for c in MissingCase.objects.all()
            if c.created_at < month_end and (c.closed_at or c.erased_at or month_end) >= month_end
        ]
        assert counts["open"] == len(still_open), month
    # The current month's end: the open cases and those being verified, as now.
    assert figure.by_month[max(figure.by_month)]["open"] == 8
    assert figure.open_cases == MissingCase.objects.filter(status="open").count() == 6
    assert figure.possible_matches == 2  # handed, senior_same (the reunited case is closed)
    assert figure.possible_matches == MissingCase.objects.filter(status="possible_match").count()
    assert figure.active_reports == 7
    # An organisation sees its own records only.
    own = programme_records(scope=_scope(org_ngo))
    assert own.open_cases == 0 and own.active_reports == 7
    assert programme_records(scope=_scope(org_family)).active_reports == 0


def test_review_queue_size_and_oldest(programme):
    _shift(Candidate, 10, pk=programme["pending"].pk)
    queue = programme_review_queue(scope=_scope())
    pending = [c for c in Candidate.objects.all() if c.status == "pending" and not c.held_back]
    assert queue.waiting == len(pending) == 1
    assert queue.oldest_waiting == min(c.created_at for c in pending)
    assert queue.by_age == {"under a day": 0, "1-7 days": 0, "7-30 days": 1, "30 days or more": 0}
    assert queue.disputed == 1  # "unsure", waiting for a senior reviewer
    assert queue.oldest_disputed == programme["unsure"].created_at


def test_waits_are_medians_and_90th_percentiles_of_the_records(programme):
    for days, name in zip((1, 3, 8, 20, 2, 5, 30), programme, strict=True):
        _shift(FoundReport, days, pk=programme[name].found_report_id)
    for days, name in zip((4, 9, 1), ("reunited", "not_same", "handed"), strict=True):
        _shift(ReviewDecision, days, candidate=programme[name])

    def days(start, end):
        return (end - start).total_seconds() / 86400

    first_decisions = []
    for report in FoundReport.objects.all():
        times = [d.created_at for c in report.candidates.all() for d in c.decisions.all()]
        if times:
            first_decisions.append(days(report.created_at, min(times)))
    wait = programme_wait_first_decision(scope=_scope())
    assert wait.count == len(first_decisions) == 6
    assert wait.median_days == pytest.approx(np.median(first_decisions))
    assert wait.p90_days == pytest.approx(np.percentile(first_decisions, 90))

    to_step = []
    for candidate in Candidate.objects.exclude(reunification_steps=None):
        resolution = getattr(candidate, "resolution", None)
        confirms = sorted(d.created_at for d in candidate.decisions.filter(decision="confirm"))
        confirmed = resolution.created_at if resolution else confirms[1]
        first = min(s.created_at for s in candidate.reunification_steps.all())
        to_step.append(days(confirmed, first))
    wait = programme_wait_first_step(scope=_scope())
    assert wait.count == len(to_step) == 3
    assert wait.median_days == pytest.approx(np.median(to_step))
    assert wait.p90_days == pytest.approx(np.percentile(to_step, 90))


def test_outcomes_per_month(programme):
    _shift(ReunificationStep, 35, candidate=programme["handed"])
    outcomes = programme_outcomes(scope=_scope())
    expected: dict = {}
    for step in ReunificationStep.objects.exclude(stage__in=["contact_made"]):
        month = step.created_at.date().replace(day=1)
        expected.setdefault(month, {}).setdefault(step.stage, 0)
        expected[month][step.stage] += 1
    month_now = timezone.now().date().replace(day=1)
    confirmed = [c for c in programme.values() if c.status in ("confirmed", "not_same_child")]
    expected[month_now]["confirmed"] = len(confirmed)
    for month, counts in expected.items():
        for kind, n in counts.items():
            assert outcomes[month][kind] == n, (month, kind)
    assert outcomes[month_now] == {
        "confirmed": 4,
        "verified_same": 1,
        "verified_not_same": 1,
        "reunited": 1,
        "handed_to_authority": 0,
    }


def test_disputes_and_duplicates(programme, org_ngo):
    disputes = programme_disputes(scope=_scope())
    assert disputes == {"waiting": 1, "same_child": 1, "not_same_child": 1, "withdrawn": 0}
    assert sum(disputes.values()) == (
        Candidate.objects.filter(decisions__decision__in=["reject", "unsure"]).distinct().count()
    )
    duplicates = programme_duplicates(scope=_scope())
    assert duplicates["case"]["pending"] == Duplicate.objects.filter(side="case").count() == 1
    assert sum(duplicates["report"].values()) == 0
    # The partner's organisation owns neither case.
    assert programme_duplicates(scope=_scope(org_ngo))["case"]["pending"] == 0


def test_fairness_counts_and_their_suppression(programme):
    by_sex = {r.group: r for r in programme_fairness_sex(scope=_scope())}
    girls = MissingCase.objects.filter(sex="female")
    assert by_sex["female"].cases == girls.count() == 7
    assert by_sex["female"].candidates == Candidate.objects.filter(case__in=girls).count() == 7
    assert by_sex["female"].confirmed == 4
    assert by_sex["female"].not_same_child == 1
    assert (by_sex["male"].cases, by_sex["male"].candidates) == (2, 0)
    shown = group_shown(by_sex["female"])
    assert (shown.cases, shown.candidates, shown.per_case) == ("7", "7", "1.00")
    # 4 of 7 confirmed: the count of 4 would single out children, so no rate is shown.
    assert shown.confirmation_rate == "too few" and shown.not_same_rate == "too few"
    assert group_shown(by_sex["male"]).cases == "fewer than 5"

    by_age = {r.group: r for r in programme_fairness_age(scope=_scope())}
    assert by_age["6-11"].cases == 7 and by_age["0-5"].cases == 2
    gaps = {r.group: r for r in programme_fairness_age_gap(scope=_scope())}
    apart = [c for c in Candidate.objects.all() if c.age_gap_years and 5 <= c.age_gap_years < 10]
    assert gaps["5-10 years"].candidates == len(apart) == 2
    assert gaps["5-10 years"].confirmed == 2 and gaps["5-10 years"].not_same_child == 1
    assert gaps["not recorded"].candidates == Candidate.objects.filter(age_gap_years=None).count()
    assert gaps["0-5 years"].candidates == 0 and gaps["10+ years"].candidates == 0


def test_the_page_for_an_org_admin_links_to_their_lists_and_is_audited(programme, org_family):
    admin = UserFactory(organisation=org_family, role=User.Role.ORG_ADMIN)
    client = force_login_verified(Client(), admin)
    page = client.get("/programme/")
    assert page.status_code == 200
    html = page.content.decode()
    assert 'href="/cases/?status=open">6</a>' in html
    assert "Programme</a>" in html  # in the header for those allowed
    event = AuditEvent.objects.filter(action="programme.viewed").get()
    assert event.actor == admin and event.data["organisation"] == org_family.pk
    # Another organisation, asked for in the query, is ignored: their own figures only.
    client.get("/programme/", {"organisation": programme["pending"].found_report.organisation_id})
    assert AuditEvent.objects.filter(action="programme.viewed").last().data["organisation"] == (
        org_family.pk
    )
    chart = client.get("/programme/charts/records.svg")
    assert chart["Content-Type"] == "image/svg+xml" and b"<svg" in chart.content
    assert b"<style" not in chart.content
    assert client.get("/programme/charts/nothing.svg").status_code == 404


def test_csv_holds_aggregates_only(programme):
    operator = UserFactory(organisation=None, role=User.Role.OPERATOR)
    client = force_login_verified(Client(), operator)
    response = client.get("/programme/", {"format": "csv"})
    assert response.status_code == 200
    rows = list(csv.reader(io.StringIO(response.content.decode())))
    assert rows[0] == ["figure", "row", "column", "value"]
    body = response.content.decode()
    words = set(re.findall(r"[\w-]+", body))
    for case in MissingCase.objects.all():
        # Whole words: a given name such as "Marc" is also the start of "March".
        assert case.reference not in words and case.given_name not in words
    assert ["Open now", "Open cases", "Count", "6"] in rows
    assert AuditEvent.objects.filter(action="programme.viewed", actor=operator).exists()


@pytest.mark.parametrize("role", ["caseworker", "reviewer", "senior_reviewer"])
def test_others_may_not_read_it(role, org_review):
    user = UserFactory(organisation=org_review, role=role)
    client = force_login_verified(Client(), user)
    assert client.get("/programme/").status_code == 403
    assert client.get("/programme/charts/records.svg").status_code == 403


def test_operators_read_every_organisation_or_one(org_family):
    operator = UserFactory(organisation=None, role=User.Role.OPERATOR)
    assert programme_scope_get(user=operator).organisation is None
    chosen = programme_scope_get(user=operator, organisation_id=org_family.pk)
    assert chosen.organisation == org_family


def test_a_filter_not_understood_is_said_and_ignored(org_family):
    admin = UserFactory(organisation=org_family, role=User.Role.ORG_ADMIN)
    client = force_login_verified(Client(), admin)
    page = client.get("/programme/", {"start": "soon", "end": "2026-01-31"})
    assert page.status_code == 200
    assert "“From” was not understood, so it was ignored" in page.content.decode()
    assert page.context["scope"].end == dt.date(2026, 1, 31)
