"""The programme's figures: counts, waits and rates over cases, reports and candidates.

Every figure is one query (the charts and tables read the same result), and none returns
a record: only counts, times and rates. `ProgrammeScope` carries the filters: one
organisation (an org admin's own, or one an operator picked) or all of them, and a date
range. Works on SQLite and PostgreSQL alike: no database-specific function is used;
medians and 90th percentiles are worked out from the one query's durations in Python.
"""

from __future__ import annotations

import datetime as dt
import statistics
from dataclasses import dataclass, field
from typing import Any

from django.db.models import (
    Case,
    CharField,
    Count,
    DateTimeField,
    Exists,
    F,
    IntegerField,
    Min,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
    Value,
    When,
)
from django.db.models.functions import Coalesce, ExtractYear, TruncMonth
from django.utils import formats, timezone
from django.utils.translation import gettext as _

from cases.access.permissions import Action, action_require, user_can
from cases.models import FoundReport, MissingCase, Organisation, Sex, User
from cases.records.ages import CHILD_AGE_BANDS
from matching.models import (
    Candidate,
    DisputeResolution,
    Duplicate,
    ReunificationStage,
    ReunificationStep,
    ReviewDecision,
)
from matching.review.decisions import CONFIRMATIONS_REQUIRED
from reunite.kernel.errors import NotAllowed

# Counts from 1 to this are shown as "fewer than 5" in the fairness figures, so no child
# can be singled out by a group's count.
SUPPRESS_BELOW = 5
# A candidate that reviewers confirmed, whatever the case owner found afterwards.
EVER_CONFIRMED = (Candidate.Status.CONFIRMED, Candidate.Status.NOT_SAME_CHILD)
OPEN_CASE = (MissingCase.Status.OPEN, MissingCase.Status.POSSIBLE_MATCH)
OUTCOME_STAGES = (
    ReunificationStage.VERIFIED_SAME,
    ReunificationStage.VERIFIED_NOT_SAME,
    ReunificationStage.REUNITED,
    ReunificationStage.HANDED_TO_AUTHORITY,
)
# Years between the two photos of a candidate's best pair (docs/accuracy.md uses the same).
AGE_GAP_BANDS = ((0, 5, "0-5 years"), (5, 10, "5-10 years"), (10, 200, "10+ years"))
UNKNOWN = "not recorded"


@dataclass(frozen=True)
class ProgrammeScope:
    """Whose records and which dates. `organisation` None: every organisation."""

    organisation: Organisation | None
    start: dt.date
    end: dt.date  # inclusive

    @property
    def since(self) -> dt.datetime:
        return dt.datetime.combine(self.start, dt.time.min, tzinfo=dt.UTC)

    @property
    def until(self) -> dt.datetime:
        return dt.datetime.combine(self.end + dt.timedelta(days=1), dt.time.min, tzinfo=dt.UTC)

    def months(self) -> list[dt.date]:
        month, months = self.start.replace(day=1), []
        while month <= self.end:
            months.append(month)
            month = (month + dt.timedelta(days=32)).replace(day=1)
        return months

    def in_range(self, lookup: str) -> Q:
        return Q(**{f"{lookup}__gte": self.since, f"{lookup}__lt": self.until})

    def owns(self, *paths: str) -> Q:
        """Rows whose record at any of `paths` (an organisation FK path) is in scope."""
        if self.organisation is None:
            return Q()
        q = Q()
        for path in paths:
            q |= Q(**{path: self.organisation})
        return q


def programme_scope_get(
    *,
    user: User,
    organisation_id: int | None = None,
    start: dt.date | None = None,
    end: dt.date | None = None,
) -> ProgrammeScope:
    """The scope the user may read: an org admin's own organisation whatever they ask; an
    operator's choice, or all. The last twelve months by default."""
    action_require(user=user, action=Action.PROGRAMME_VIEW)
    today = timezone.now().date()
    end = min(end or today, today)
    start = start or (end.replace(day=1) - dt.timedelta(days=335)).replace(day=1)
    if start > end:
        start, end = end, start
    if user_can(user, Action.ALL_ORGANISATIONS):
        organisation = (
            Organisation.objects.filter(pk=organisation_id).first() if organisation_id else None
        )
    elif user.organisation is None:
        raise NotAllowed(_("Only members of an organisation may do this."))
    else:
        organisation = user.organisation
    return ProgrammeScope(organisation=organisation, start=start, end=end)


def _month(value: dt.datetime | dt.date) -> dt.date:
    return (value.date() if isinstance(value, dt.datetime) else value).replace(day=1)


# --- Cases and reports over time ---------------------------------------------------------


@dataclass
class RecordsFigure:
    open_cases: int = 0
    possible_matches: int = 0
    active_reports: int = 0
    # month -> {"cases": n, "reports": n, "closed": n, "open": n}: registered, closed (or
    # erased) in the month, and cases open (or being verified) at the month's end.
    by_month: dict[dt.date, dict[str, int]] = field(default_factory=dict)


RECORD_KINDS = ("cases", "reports", "closed", "open")


def programme_records(*, scope: ProgrammeScope) -> RecordsFigure:
    """Cases and found reports registered per month, cases closed per month, cases open at
    each month's end, and how many are open now. One query (a UNION of grouped counts).

    A case ends once, when it is closed (reunited or closed) or erased, and never reopens,
    so the cases open at a month's end are those registered before it less those ended
    before it: two counts before the range, then the months' own counts added up.
    """
    cases = MissingCase.objects.filter(scope.owns("organisation")).alias(
        ended_at=Coalesce("closed_at", "erased_at")
    )
    reports = FoundReport.objects.filter(scope.owns("organisation"))
    no_month = Value(None, output_field=DateTimeField())

    def grouped(qs: QuerySet, kind: str, month: Any) -> QuerySet:
        return (
            qs.annotate(kind=Value(kind, output_field=CharField()), month=month)
            .values("kind", "month")
            .annotate(n=Count("id"))
            .values_list("kind", "month", "n")
            .order_by()
        )

    union = grouped(
        cases.filter(scope.in_range("created_at")), "cases", TruncMonth("created_at")
    ).union(
        grouped(cases.filter(scope.in_range("ended_at")), "closed", TruncMonth("ended_at")),
        grouped(reports.filter(scope.in_range("created_at")), "reports", TruncMonth("created_at")),
        grouped(cases.filter(created_at__lt=scope.since), "cases_before", no_month),
        grouped(cases.filter(ended_at__lt=scope.since), "ended_before", no_month),
        grouped(cases.filter(status=MissingCase.Status.OPEN), "open", no_month),
        grouped(cases.filter(status=MissingCase.Status.POSSIBLE_MATCH), "possible", no_month),
        grouped(reports.filter(status=FoundReport.Status.ACTIVE), "active", no_month),
        all=True,
    )
    figure = RecordsFigure(by_month={m: dict.fromkeys(RECORD_KINDS, 0) for m in scope.months()})
    before: dict[str, int] = {}
    for kind, month, n in union:
        if kind == "open":
            figure.open_cases = n
        elif kind == "possible":
            figure.possible_matches = n
        elif kind == "active":
            figure.active_reports = n
        elif month is None:
            before[kind] = n
        else:
            figure.by_month.setdefault(_month(month), dict.fromkeys(RECORD_KINDS, 0))
            figure.by_month[_month(month)][kind] = n
    still_open = before.get("cases_before", 0) - before.get("ended_before", 0)
    for month in sorted(figure.by_month):
        row = figure.by_month[month]
        still_open += row["cases"] - row["closed"]
        row["open"] = still_open
    return figure


# --- The review queue now -----------------------------------------------------------------

QUEUE_AGES = (
    (0, 1, "under a day"),
    (1, 7, "1-7 days"),
    (7, 30, "7-30 days"),
    (30, None, "30 days or more"),
)


@dataclass
class QueueFigure:
    waiting: int
    disputed: int
    held_back: int
    oldest_waiting: dt.datetime | None
    oldest_disputed: dt.datetime | None
    # "under a day" -> candidates waiting for review that long
    by_age: dict[str, int]


def programme_review_queue(*, scope: ProgrammeScope) -> QueueFigure:
    """The review queue as it stands (not filtered by date): its size, and how long its
    oldest candidates have waited. One aggregate query."""
    now = timezone.now()
    waiting = Q(status=Candidate.Status.PENDING, held_back=False)
    ages = {}
    for i, (low, high, _label) in enumerate(QUEUE_AGES):
        q = waiting & Q(created_at__lte=now - dt.timedelta(days=low))
        if high is not None:
            q &= Q(created_at__gt=now - dt.timedelta(days=high))
        ages[f"age_{i}"] = Count("id", filter=q)
    row = Candidate.objects.filter(
        scope.owns("case__organisation", "found_report__organisation")
    ).aggregate(
        n_waiting=Count("id", filter=waiting),
        n_disputed=Count("id", filter=Q(status=Candidate.Status.DISPUTED)),
        n_held_back=Count("id", filter=Q(status=Candidate.Status.PENDING, held_back=True)),
        oldest_waiting=Min("created_at", filter=waiting),
        oldest_disputed=Min("created_at", filter=Q(status=Candidate.Status.DISPUTED)),
        **ages,
    )
    return QueueFigure(
        waiting=row["n_waiting"],
        disputed=row["n_disputed"],
        held_back=row["n_held_back"],
        oldest_waiting=row["oldest_waiting"],
        oldest_disputed=row["oldest_disputed"],
        by_age={words: row[f"age_{i}"] for i, (_, _, words) in enumerate(QUEUE_AGES)},
    )


# --- Waiting times ------------------------------------------------------------------------


@dataclass(frozen=True)
class WaitFigure:
    count: int
    median_days: float | None
    p90_days: float | None


def _wait(durations: list[float]) -> WaitFigure:
    if not durations:
        return WaitFigure(count=0, median_days=None, p90_days=None)
    ordered = sorted(durations)
    # Linear interpolation between the closest ranks (numpy's default percentile).
    p90 = (
        statistics.quantiles(ordered, n=10, method="inclusive")[-1]
        if len(ordered) > 1
        else ordered[0]
    )
    return WaitFigure(count=len(ordered), median_days=statistics.median(ordered), p90_days=p90)


def _days(start: dt.datetime, end: dt.datetime) -> float:
    return (end - start).total_seconds() / 86400


def programme_wait_first_decision(*, scope: ProgrammeScope) -> WaitFigure:
    """From a found report's registration to the first reviewer's decision on any of its
    candidates, for first decisions made in the date range. One query, read from the
    decisions' side (far fewer rows than reports)."""
    rows = (
        ReviewDecision.objects.filter(scope.owns("candidate__found_report__organisation"))
        .values("candidate__found_report_id", "candidate__found_report__created_at")
        .annotate(first=Min("created_at"))
        .filter(first__gte=scope.since, first__lt=scope.until)
        .values_list("candidate__found_report__created_at", "first")
        .order_by()
    )
    return _wait([_days(created, first) for created, first in rows])


def confirmed_at(candidate: str = "pk") -> Coalesce:
    """When reviewers confirmed a candidate (`candidate`: the outer query's candidate id):
    the senior's "same child" after a dispute, or else the second reviewer's "same child"
    (`CONFIRMATIONS_REQUIRED`)."""
    nth_confirm = Subquery(
        ReviewDecision.objects.filter(
            candidate=OuterRef(candidate), decision=ReviewDecision.Decision.CONFIRM
        )
        .order_by("created_at", "id")
        .values("created_at")[CONFIRMATIONS_REQUIRED - 1 : CONFIRMATIONS_REQUIRED]
    )
    senior = Subquery(
        DisputeResolution.objects.filter(
            candidate=OuterRef(candidate), decision=DisputeResolution.Decision.CONFIRM
        ).values("created_at")[:1]
    )
    return Coalesce(senior, nth_confirm, output_field=DateTimeField())


def programme_wait_first_step(*, scope: ProgrammeScope) -> WaitFigure:
    """From a confirmation to the case owner's first reunification step, for first steps
    recorded in the date range. One query, read from the steps' side."""
    rows = (
        ReunificationStep.objects.filter(
            scope.owns("candidate__case__organisation", "candidate__found_report__organisation")
        )
        .values("candidate_id")
        .annotate(first=Min("created_at"))
        .filter(first__gte=scope.since, first__lt=scope.until)
        .annotate(confirmed=confirmed_at("candidate_id"))
        .filter(confirmed__isnull=False)
        .values_list("confirmed", "first")
        .order_by()
    )
    return _wait([_days(confirmed, first) for confirmed, first in rows])


# --- Outcomes per month -------------------------------------------------------------------

OUTCOMES = ("confirmed", *[str(stage) for stage in OUTCOME_STAGES])


def programme_outcomes(*, scope: ProgrammeScope) -> dict[dt.date, dict[str, int]]:
    """Per month: candidates confirmed by reviewers, and the case owners' outcome steps
    (verified same child, not the same child, reunited, handed to an authority). One query."""
    owns = scope.owns("case__organisation", "found_report__organisation")
    confirmed = (
        Candidate.objects.filter(owns, status__in=EVER_CONFIRMED)
        .annotate(at=confirmed_at())
        .filter(at__gte=scope.since, at__lt=scope.until)
        .annotate(kind=Value("confirmed", output_field=CharField()), month=TruncMonth("at"))
        .values("kind", "month")
        .annotate(n=Count("id"))
        .values_list("kind", "month", "n")
        .order_by()
    )
    steps = (
        ReunificationStep.objects.filter(
            scope.owns("candidate__case__organisation", "candidate__found_report__organisation"),
            scope.in_range("created_at"),
            stage__in=OUTCOME_STAGES,
        )
        .annotate(kind=F("stage"), month=TruncMonth("created_at"))
        .values("kind", "month")
        .annotate(n=Count("id"))
        .values_list("kind", "month", "n")
        .order_by()
    )
    table = {m: dict.fromkeys(OUTCOMES, 0) for m in scope.months()}
    for kind, month, n in confirmed.union(steps, all=True):
        table.setdefault(_month(month), dict.fromkeys(OUTCOMES, 0))[kind] = n
    return table


# --- Disputes and duplicates --------------------------------------------------------------

DISPUTE_ENDS = ("waiting", "same_child", "not_same_child", "withdrawn")


def programme_disputes(*, scope: ProgrammeScope) -> dict[str, int]:
    """Candidates disputed (a reviewer said "not the same child" or "unsure") in the date
    range, by how the dispute ended. One aggregate query."""
    disputed_in_range = Exists(
        ReviewDecision.objects.filter(
            candidate=OuterRef("pk"), created_at__gte=scope.since, created_at__lt=scope.until
        ).exclude(decision=ReviewDecision.Decision.CONFIRM)
    )
    return Candidate.objects.filter(
        disputed_in_range, scope.owns("case__organisation", "found_report__organisation")
    ).aggregate(
        waiting=Count("id", filter=Q(status=Candidate.Status.DISPUTED)),
        same_child=Count("id", filter=Q(resolution__decision=DisputeResolution.Decision.CONFIRM)),
        not_same_child=Count(
            "id", filter=Q(resolution__decision=DisputeResolution.Decision.REJECT)
        ),
        withdrawn=Count("id", filter=Q(status=Candidate.Status.WITHDRAWN, resolution__isnull=True)),
    )


def programme_duplicates(*, scope: ProgrammeScope) -> dict[str, dict[str, int]]:
    """Possible duplicate registrations found in the date range, by side and by what the
    organisations answered. One query."""
    rows = (
        Duplicate.objects.filter(
            scope.in_range("created_at"),
            scope.owns(
                "case_a__organisation",
                "case_b__organisation",
                "report_a__organisation",
                "report_b__organisation",
            ),
        )
        .values("side", "status")
        .annotate(n=Count("id"))
        .values_list("side", "status", "n")
        .order_by()
    )
    table = {side: dict.fromkeys(Duplicate.Status.values, 0) for side in ("case", "report")}
    for side, status, n in rows:
        table[side][status] = n
    return table


# --- Fairness in operation ----------------------------------------------------------------


@dataclass(frozen=True)
class GroupRow:
    """One group's raw counts; `Shown` makes them fit to show."""

    group: str
    cases: int | None  # cases registered (None where the split is by candidate)
    candidates: int
    confirmed: int
    not_same_child: int


def _age_when_last_seen() -> Coalesce:
    """The child's recorded age when last seen: stated, or from the date of birth."""
    return Coalesce(
        "age_min",
        ExtractYear("last_seen_on") - ExtractYear("date_of_birth"),
        output_field=IntegerField(),
    )


def _by_case_group(scope: ProgrammeScope, group: Any) -> list[GroupRow]:
    rows = (
        MissingCase.objects.filter(scope.owns("organisation"), scope.in_range("created_at"))
        .alias(age=_age_when_last_seen())
        .annotate(group=group)
        .values("group")
        .annotate(
            n_cases=Count("id", distinct=True),
            n_candidates=Count("candidates", distinct=True),
            n_confirmed=Count(
                "candidates", filter=Q(candidates__status__in=EVER_CONFIRMED), distinct=True
            ),
            n_not_same=Count(
                "candidates",
                filter=Q(candidates__status=Candidate.Status.NOT_SAME_CHILD),
                distinct=True,
            ),
        )
        .values_list("group", "n_cases", "n_candidates", "n_confirmed", "n_not_same")
        .order_by("group")
    )
    return [GroupRow(g or UNKNOWN, c, n, k, x) for g, c, n, k, x in rows]


def programme_fairness_sex(*, scope: ProgrammeScope) -> list[GroupRow]:
    """By the missing child's recorded sex, for cases registered in the range. One query."""
    rows = {r.group: r for r in _by_case_group(scope, F("sex"))}
    return [rows.get(value, GroupRow(value, 0, 0, 0, 0)) for value in Sex.values]


def programme_fairness_age(*, scope: ProgrammeScope) -> list[GroupRow]:
    """By the missing child's recorded age band when last seen. One query."""
    band = Case(
        *[
            When(age__gte=low, age__lte=high, then=Value(f"{low}-{high}"))
            for low, high in CHILD_AGE_BANDS
        ],
        default=Value(UNKNOWN),
        output_field=CharField(),
    )
    rows = {r.group: r for r in _by_case_group(scope, band)}
    names = [f"{low}-{high}" for low, high in CHILD_AGE_BANDS] + [UNKNOWN]
    return [rows.get(name, GroupRow(name, 0, 0, 0, 0)) for name in names]


def programme_fairness_age_gap(*, scope: ProgrammeScope) -> list[GroupRow]:
    """By the years between the two photos of each candidate's best pair, for candidates
    found in the range. One query."""
    band = Case(
        *[
            When(Q(age_gap_years__gte=low, age_gap_years__lt=high), then=Value(words))
            for low, high, words in AGE_GAP_BANDS
        ],
        default=Value(UNKNOWN),
        output_field=CharField(),
    )
    rows = (
        Candidate.objects.filter(
            scope.owns("case__organisation", "found_report__organisation"),
            scope.in_range("created_at"),
        )
        .annotate(group=band)
        .values("group")
        .annotate(
            candidates=Count("id"),
            confirmed=Count("id", filter=Q(status__in=EVER_CONFIRMED)),
            not_same=Count("id", filter=Q(status=Candidate.Status.NOT_SAME_CHILD)),
        )
        .values_list("group", "candidates", "confirmed", "not_same")
        .order_by()
    )
    found = {g: GroupRow(g, None, n, k, x) for g, n, k, x in rows}
    names = [words for _, _, words in AGE_GAP_BANDS] + [UNKNOWN]
    return [found.get(name, GroupRow(name, None, 0, 0, 0)) for name in names]


@dataclass(frozen=True)
class Shown:
    """A group's figures as they may be shown: counts from 1 to 4 are words, and a rate is
    left out where its counts are too small to say anything without singling out a child."""

    group: str
    cases: str
    candidates: str
    per_case: str
    confirmation_rate: str
    not_same_rate: str
    # For the chart: None where suppressed.
    confirmation_value: float | None
    not_same_value: float | None


def count_shown(n: int | None) -> str:
    if n is None:
        return "—"
    if 0 < n < SUPPRESS_BELOW:
        return _("fewer than %(count)s") % {"count": SUPPRESS_BELOW}
    return str(n)


def _rate(part: int, whole: int | None) -> float | None:
    if not whole or whole < SUPPRESS_BELOW or 0 < part < SUPPRESS_BELOW:
        return None
    return part / whole


def group_shown(row: GroupRow) -> Shown:
    confirmation = _rate(row.confirmed, row.candidates)
    not_same = _rate(row.not_same_child, row.confirmed)
    per_case = _rate(row.candidates, row.cases) if row.cases is not None else None
    return Shown(
        group=row.group,
        cases=count_shown(row.cases),
        candidates=count_shown(row.candidates),
        per_case="—"
        if row.cases is None
        else (_("too few") if per_case is None else formats.number_format(per_case, 2)),
        confirmation_rate=_("too few") if confirmation is None else f"{confirmation:.0%}",
        not_same_rate=_("too few") if not_same is None else f"{not_same:.0%}",
        confirmation_value=confirmation,
        not_same_value=not_same,
    )
