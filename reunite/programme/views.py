"""The programme page: figures for organisation admins (their organisation) and operators
(every organisation, or one), with charts, a table under each, and a CSV of the figures.

The page and its CSV are audited like other sensitive views; the chart images draw the
same aggregates the audited page showed, and hold no record.
"""

from __future__ import annotations

import csv
import datetime as dt
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode

from django import forms
from django.http import Http404, HttpResponse
from django.shortcuts import render
from django.urls import reverse
from django.utils import formats
from django.utils.functional import Promise
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, pgettext_lazy

from cases.access.http import AuthenticatedHttpRequest, portal
from cases.access.permissions import Action, user_can
from cases.audit.trail import audit_record
from cases.models import Organisation, User
from cases.portal.views import filters_ignored_say
from matching.models import Duplicate, ReunificationStage
from reunite.programme import charts
from reunite.programme.selectors import (
    DISPUTE_ENDS,
    OUTCOMES,
    QUEUE_AGES,
    ProgrammeScope,
    Shown,
    WaitFigure,
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

DATE = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")
OUTCOME_WORDS = {
    "confirmed": gettext_lazy("Confirmed by reviewers"),
    ReunificationStage.VERIFIED_SAME: gettext_lazy("Verified: same child"),
    ReunificationStage.VERIFIED_NOT_SAME: gettext_lazy("Verified: not the same child"),
    ReunificationStage.REUNITED: gettext_lazy("Reunited"),
    ReunificationStage.HANDED_TO_AUTHORITY: gettext_lazy("Handed to an authority"),
}
DISPUTE_WORDS = {
    "waiting": gettext_lazy("Waiting for a senior reviewer"),
    "same_child": gettext_lazy("Senior reviewer: same child"),
    "not_same_child": gettext_lazy("Senior reviewer: not the same child"),
    "withdrawn": gettext_lazy("Withdrawn"),
}
RECORD_WORDS = {
    "cases": gettext_lazy("Cases registered"),
    "reports": gettext_lazy("Found reports registered"),
    "closed": gettext_lazy("Cases closed or erased"),
}
# The selectors' English keys for a row, as the reader reads them (numbers stay as they are).
GROUP_WORDS = {
    "female": pgettext_lazy("sex", "female"),
    "male": pgettext_lazy("sex", "male"),
    "unknown": pgettext_lazy("sex", "unknown"),
    "not recorded": gettext_lazy("not recorded"),
    "0-5 years": gettext_lazy("0-5 years"),
    "5-10 years": gettext_lazy("5-10 years"),
    "10+ years": gettext_lazy("10+ years"),
    "under a day": gettext_lazy("under a day"),
    "1-7 days": gettext_lazy("1-7 days"),
    "7-30 days": gettext_lazy("7-30 days"),
    "30 days or more": gettext_lazy("30 days or more"),
}


def _words(key: str) -> str:
    return str(GROUP_WORDS.get(key, key))


class ProgrammeFilterForm(forms.Form):
    start = forms.DateField(required=False, widget=DATE, label=gettext_lazy("From"))
    end = forms.DateField(required=False, widget=DATE, label=gettext_lazy("Until"))
    organisation = forms.ModelChoiceField(
        queryset=Organisation.objects.order_by("name"),
        required=False,
        empty_label=gettext_lazy("Every organisation"),
        label=gettext_lazy("Organisation"),
    )

    def __init__(self, *args: Any, user: User, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        # Only operators choose; an org admin always reads their own organisation.
        if not user_can(user, Action.ALL_ORGANISATIONS):
            del self.fields["organisation"]


def _scope(request: AuthenticatedHttpRequest) -> tuple[ProgrammeFilterForm, ProgrammeScope]:
    form = ProgrammeFilterForm(request.GET or None, user=request.user)
    data: dict[str, Any] = {}
    if form.is_bound:
        form.is_valid()
        # The fields that are understood still filter; the others are said to be ignored.
        filters_ignored_say(request, form)
        data = form.cleaned_data
    organisation = data.get("organisation")
    scope = programme_scope_get(
        user=request.user,
        organisation_id=organisation.pk if organisation else None,
        start=data.get("start"),
        end=data.get("end"),
    )
    return form, scope


def _query(scope: ProgrammeScope, request: AuthenticatedHttpRequest) -> str:
    query = {"start": scope.start.isoformat(), "end": scope.end.isoformat()}
    if scope.organisation is not None and user_can(request.user, Action.ALL_ORGANISATIONS):
        query["organisation"] = str(scope.organisation.pk)
    return urlencode(query)


@dataclass(frozen=True)
class Figure:
    """One chart: its image's name, its title, and the table under it."""

    name: str
    title: str
    columns: list[str]
    # Each cell is (text, link or "").
    rows: list[list[tuple[str, str]]]
    note: str = ""

    def cells(self) -> list[list[tuple[str, str, str]]]:
        """Each row's cells with their column's name (the label a phone shows beside it)."""
        return [
            [(text, link, column) for (text, link), column in zip(row, self.columns, strict=True)]
            for row in self.rows
        ]


def _cell(value: Any, link: str = "") -> tuple[str, str]:
    return (str(value), link)


def _days(value: float | None) -> str:
    return "—" if value is None else f"{value:.1f}"


def _wait_figure(name: str, title: str, wait: WaitFigure, *, note: str) -> Figure:
    return Figure(
        name,
        title,
        [_("Counted"), _("Median (days)"), _("90th percentile (days)")],
        [[_cell(wait.count), _cell(_days(wait.median_days)), _cell(_days(wait.p90_days))]],
        note=note,
    )


def _fairness_rows(shown: list[Shown]) -> list[list[tuple[str, str]]]:
    return [
        [
            _cell(_words(s.group)),
            _cell(s.cases),
            _cell(s.candidates),
            _cell(s.per_case),
            _cell(s.confirmation_rate),
            _cell(s.not_same_rate),
        ]
        for s in shown
    ]


FAIRNESS_COLUMNS = [
    gettext_lazy("Group"),
    gettext_lazy("Cases registered"),
    gettext_lazy("Candidates"),
    gettext_lazy("Candidates per case"),
    gettext_lazy("Confirmed"),
    gettext_lazy("Not the same child after confirmation"),
]


def programme_tables(*, scope: ProgrammeScope, user: User) -> list[Figure]:
    """Every figure's table (one query each), with links to the lists the user may see."""
    own = scope.organisation is not None and scope.organisation.pk == user.organisation_id
    cases = reverse("case-list") if own and user_can(user, Action.CASE_VIEW) else ""
    reports = reverse("report-list") if own and user_can(user, Action.REPORT_VIEW) else ""
    months = scope.months()

    records = programme_records(scope=scope)
    queue = programme_review_queue(scope=scope)
    first_decision = programme_wait_first_decision(scope=scope)
    first_step = programme_wait_first_step(scope=scope)
    outcomes = programme_outcomes(scope=scope)
    disputes = programme_disputes(scope=scope)
    duplicates = programme_duplicates(scope=scope)
    fairness = {
        "fairness-sex": (_("By the child's recorded sex"), programme_fairness_sex(scope=scope)),
        "fairness-age": (
            _("By the child's age band when last seen"),
            programme_fairness_age(scope=scope),
        ),
        "fairness-gap": (
            _("By the age gap between the two photos"),
            programme_fairness_age_gap(scope=scope),
        ),
    }

    now = [
        (_("Open cases"), records.open_cases, cases and f"{cases}?status=open"),
        (
            _("Possible matches being verified"),
            records.possible_matches,
            cases and f"{cases}?status=possible_match",
        ),
        (_("Active found reports"), records.active_reports, reports),
    ]
    figures = [
        Figure(
            "now",
            _("Open now"),
            [_("Figure"), _("Count")],
            [[_cell(words), _cell(n, link)] for words, n, link in now],
        ),
        Figure(
            "records",
            _("Cases and found reports over time"),
            [_("Month"), *map(str, RECORD_WORDS.values()), _("Cases open at the month's end")],
            [
                [
                    _cell(formats.date_format(m, "F Y")),
                    *[_cell(records.by_month[m][k]) for k in (*RECORD_WORDS, "open")],
                ]
                for m in months
            ],
        ),
        Figure(
            "queue",
            _("The review queue now, by how long candidates have waited"),
            [_("Waiting"), _("Candidates")],
            [[_cell(_words(words)), _cell(queue.by_age[words])] for _, _, words in QUEUE_AGES]
            + [
                [_cell(_("Waiting for review, in all")), _cell(queue.waiting)],
                [_cell(_("Oldest waiting since")), _cell(_when(queue.oldest_waiting))],
                [_cell(_("Disputed, waiting for a senior reviewer")), _cell(queue.disputed)],
                [_cell(_("Oldest disputed since")), _cell(_when(queue.oldest_disputed))],
                [_cell(_("Held back (details do not fit)")), _cell(queue.held_back)],
            ],
        ),
        _wait_figure(
            "wait-decision",
            _("Days from a found report to the first reviewer's decision"),
            first_decision,
            note=_("Reports whose first decision was made in the date range."),
        ),
        _wait_figure(
            "wait-step",
            _("Days from a confirmation to the first reunification step"),
            first_step,
            note=_("Confirmed candidates whose first step was recorded in the date range."),
        ),
        Figure(
            "outcomes",
            _("Outcomes per month"),
            [_("Month"), *map(str, OUTCOME_WORDS.values())],
            [
                [
                    _cell(formats.date_format(m, "F Y")),
                    *[_cell(outcomes[m][k]) for k in OUTCOMES],
                ]
                for m in months
            ],
        ),
        Figure(
            "disputes",
            _("Disputes raised in the date range, and how they ended"),
            [_("Ending"), _("Candidates")],
            [[_cell(DISPUTE_WORDS[k]), _cell(disputes[k])] for k in DISPUTE_ENDS],
        ),
        Figure(
            "duplicates",
            _("Possible duplicate registrations found"),
            [_("Answer"), _("Two cases"), _("Two found reports")],
            [
                [_cell(label), _cell(duplicates["case"][value]), _cell(duplicates["report"][value])]
                for value, label in Duplicate.Status.choices
            ],
        ),
    ]
    for name, (title, rows) in fairness.items():
        figures.append(
            Figure(
                name,
                title,
                [str(column) for column in FAIRNESS_COLUMNS],
                _fairness_rows([group_shown(r) for r in rows]),
                note=(
                    _("Candidates found in the date range.")
                    if name == "fairness-gap"
                    else _("Cases registered in the date range, and their candidates.")
                ),
            )
        )
    return figures


def _when(value: dt.datetime | None) -> str:
    return "—" if value is None else formats.date_format(value, "j M Y")


@portal(Action.PROGRAMME_VIEW)
def programme(request: AuthenticatedHttpRequest) -> HttpResponse:
    """The programme page, or its figures as CSV (`?format=csv`): aggregates, never records."""
    form, scope = _scope(request)
    as_csv = request.GET.get("format") == "csv"
    audit_record(
        actor=request.user,
        action="programme.viewed",
        data={
            "organisation": scope.organisation.pk if scope.organisation else "all",
            "start": scope.start.isoformat(),
            "end": scope.end.isoformat(),
            "format": "csv" if as_csv else "page",
        },
    )
    figures = programme_tables(scope=scope, user=request.user)
    if as_csv:
        response = HttpResponse(content_type="text/csv")
        response["Content-Disposition"] = 'attachment; filename="reunite-programme.csv"'
        response["Cache-Control"] = "private, no-store"
        writer = csv.writer(response)
        writer.writerow(["figure", "row", "column", "value"])
        writer.writerows(_csv_rows(figures))
        return response
    return render(
        request,
        "portal/programme.html",
        {
            "form": form,
            "scope": scope,
            "query": _query(scope, request),
            "figures": figures,
            "charted": CHARTS.keys(),
        },
    )


def _csv_rows(figures: list[Figure]) -> Iterator[list[str]]:
    for figure in figures:
        for row in figure.rows:
            for column, (text, _link) in zip(figure.columns[1:], row[1:], strict=True):
                yield [figure.title, row[0][0], column, text]


def _months_chart(scope: ProgrammeScope) -> bytes:
    records = programme_records(scope=scope)
    months = scope.months()
    return charts.chart_months(
        title=_("Registered and closed per month (bars), cases open at each month's end (line)"),
        months=months,
        series={
            str(words): [records.by_month[m][k] for m in months]
            for k, words in RECORD_WORDS.items()
        },
        line=(_("Cases open"), [records.by_month[m]["open"] for m in months]),
    )


def _queue_chart(scope: ProgrammeScope) -> bytes:
    queue = programme_review_queue(scope=scope)
    keys = [words for _, _, words in QUEUE_AGES]
    return charts.chart_bars(
        title=_("Candidates waiting for review, by time waited"),
        labels=[_words(key) for key in keys],
        values=[queue.by_age[key] for key in keys],
    )


def _wait_chart(selector: Callable, title: str | Promise) -> Callable[[ProgrammeScope], bytes]:
    def draw(scope: ProgrammeScope) -> bytes:
        wait = selector(scope=scope)
        return charts.chart_bars(
            title=str(title),
            labels=[_("Median"), _("90th percentile")],
            values=[wait.median_days, wait.p90_days],
            unit="days",
            missing=_("nothing to measure yet"),
        )

    return draw


def _outcomes_chart(scope: ProgrammeScope) -> bytes:
    outcomes = programme_outcomes(scope=scope)
    months = scope.months()
    return charts.chart_months(
        title=_("Outcomes per month"),
        months=months,
        series={str(OUTCOME_WORDS[k]): [outcomes[m][k] for m in months] for k in OUTCOMES},
    )


def _disputes_chart(scope: ProgrammeScope) -> bytes:
    disputes = programme_disputes(scope=scope)
    return charts.chart_bars(
        title=_("Disputes, by how they ended"),
        labels=[str(DISPUTE_WORDS[k]) for k in DISPUTE_ENDS],
        values=[disputes[k] for k in DISPUTE_ENDS],
    )


def _duplicates_chart(scope: ProgrammeScope) -> bytes:
    table = programme_duplicates(scope=scope)
    return charts.chart_bars(
        title=_("Possible duplicates, by answer (cases and reports)"),
        labels=[str(label) for _, label in Duplicate.Status.choices],
        values=[table["case"][v] + table["report"][v] for v in Duplicate.Status.values],
    )


def _fairness_chart(selector: Callable, title: str | Promise) -> Callable[[ProgrammeScope], bytes]:
    def draw(scope: ProgrammeScope) -> bytes:
        shown = [group_shown(r) for r in selector(scope=scope)]
        return charts.chart_bars(
            title=str(title),
            labels=[_words(s.group) for s in shown],
            values=[s.confirmation_value for s in shown],
            unit="%",
        )

    return draw


CHARTS: dict[str, Callable[[ProgrammeScope], bytes]] = {
    "records": _months_chart,
    "queue": _queue_chart,
    "wait-decision": _wait_chart(
        programme_wait_first_decision, gettext_lazy("Report to first decision")
    ),
    "wait-step": _wait_chart(programme_wait_first_step, gettext_lazy("Confirmation to first step")),
    "outcomes": _outcomes_chart,
    "disputes": _disputes_chart,
    "duplicates": _duplicates_chart,
    "fairness-sex": _fairness_chart(programme_fairness_sex, gettext_lazy("Confirmed, by sex")),
    "fairness-age": _fairness_chart(programme_fairness_age, gettext_lazy("Confirmed, by age band")),
    "fairness-gap": _fairness_chart(
        programme_fairness_age_gap, gettext_lazy("Confirmed, by age gap")
    ),
}


@portal(Action.PROGRAMME_VIEW)
def programme_chart(request: AuthenticatedHttpRequest, name: str) -> HttpResponse:
    """One chart as SVG, for the same filters as the page (one query)."""
    draw = CHARTS.get(name)
    if draw is None:
        raise Http404("No such chart.")
    _, scope = _scope(request)
    response = HttpResponse(draw(scope), content_type="image/svg+xml")
    response["Cache-Control"] = "private, no-store"
    # The image's own policy: no script, and the drawing's style attributes only.
    response["Content-Security-Policy"] = "default-src 'none'; style-src 'unsafe-inline'"
    return response
