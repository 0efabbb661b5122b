"""Reading the audit log: who may see which records, and the CSV export (itself audited).

The trail itself (writing, verifying, the event registry) is in cases/audit/; reading it
is an access question, answered by the permission matrix.
"""

from __future__ import annotations

import csv
import datetime as dt
import json
from collections.abc import Iterable
from typing import IO, Any

from django.db.models import QuerySet

from cases.access.permissions import Action, action_require, user_can
from cases.audit.trail import audit_record
from cases.models import AuditEvent, User


def audit_event_list(
    *,
    user: User,
    action: str = "",
    actor: str = "",
    object_type: str = "",
    object_id: str = "",
    since: dt.datetime | None = None,
    until: dt.datetime | None = None,
) -> QuerySet[AuditEvent]:
    """Audit records the user may see: operators see all, org admins their organisation's."""
    action_require(user=user, action=Action.AUDIT_VIEW)
    events = AuditEvent.objects.select_related("organisation").order_by("-id")
    if not user_can(user, Action.ALL_ORGANISATIONS):
        # Past action_require, anyone but an operator has an organisation.
        assert user.organisation_id is not None
        events = events.filter(organisation_id=user.organisation_id)
    if action:
        events = events.filter(action__startswith=action)
    if actor:
        events = events.filter(actor_label=actor)
    if object_type:
        events = events.filter(object_type=object_type)
    if object_id:
        events = events.filter(object_id=object_id)
    if since:
        events = events.filter(created_at__gte=since)
    if until:
        events = events.filter(created_at__lt=until)
    return events


AUDIT_CSV_COLUMNS = [
    "sequence",
    "created_at",
    "actor_label",
    "organisation",
    "action",
    "object_type",
    "object_id",
    "ip_address",
    "data",
]


def _record_links(user: User, events: list[AuditEvent]) -> dict[tuple[str, str], dict]:
    """A label in words and, where the reader may open it, a link, for each record named."""
    from django.urls import reverse

    from cases.models import ApiKey, FoundReport, MissingCase, Photo

    ids: dict[str, set[int]] = {}
    for e in events:
        if e.object_id.isdigit():
            ids.setdefault(e.object_type, set()).add(int(e.object_id))
    own = user.organisation_id

    def link(name: str, pk: int, org_id: int | None, action: Action) -> str:
        return reverse(name, args=[pk]) if org_id == own and user_can(user, action) else ""

    out: dict[tuple[str, str], dict] = {}
    for case in MissingCase.objects.filter(pk__in=ids.get("cases.missingcase", ())):
        out["cases.missingcase", str(case.pk)] = {
            "label": f"Case {case.reference}",
            "url": link("case-detail", case.pk, case.organisation_id, Action.CASE_VIEW),
        }
    for report in FoundReport.objects.filter(pk__in=ids.get("cases.foundreport", ())):
        out["cases.foundreport", str(report.pk)] = {
            "label": f"Found report {report.reference}",
            "url": link("report-detail", report.pk, report.organisation_id, Action.REPORT_VIEW),
        }
    photos = Photo.objects.filter(pk__in=ids.get("cases.photo", ())).select_related(
        "case", "found_report"
    )
    for photo in photos:
        if photo.case is not None:
            label = f"A photo of case {photo.case.reference}"
            url = link("case-detail", photo.case.pk, photo.organisation_id, Action.CASE_VIEW)
        else:
            assert photo.found_report is not None
            label = f"A photo of found report {photo.found_report.reference}"
            url = link(
                "report-detail", photo.found_report.pk, photo.organisation_id, Action.REPORT_VIEW
            )
        out["cases.photo", str(photo.pk)] = {"label": label, "url": url}
    for key in ApiKey.objects.filter(pk__in=ids.get("cases.apikey", ())):
        out["cases.apikey", str(key.pk)] = {"label": f"API key {key.prefix}…", "url": ""}
    for pk in ids.get("matching.candidate", ()):
        url = (
            reverse("review-candidate", args=[pk])
            if user_can(user, Action.CANDIDATE_REVIEW)
            else ""
        )
        out["matching.candidate", str(pk)] = {"label": f"Possible match #{pk}", "url": url}
    return out


def audit_event_rows(*, user: User, events: Iterable[AuditEvent]) -> list[dict[str, Any]]:
    """Audit records in words: who, what, and the record it concerns with a link to it."""
    from cases.audit.events import audit_event_words

    events = list(events)
    records = _record_links(user, events)
    rows = []
    for e in events:
        record = records.get((e.object_type, e.object_id))
        if record is None and e.object_type:
            # A record since erased, or a kind with no page: say what it was.
            kind = e.object_type.split(".")[-1].replace("missingcase", "case")
            record = {"label": f"{kind.capitalize()} {e.object_id} (no longer held)", "url": ""}
        rows.append(
            {
                "event": e,
                "words": audit_event_words(e.action),
                "record": record,
                "organisation": e.organisation.name if e.organisation else "",
            }
        )
    return rows


def audit_events_csv(*, user: User, out: IO[str], **filters: Any) -> int:
    """Write the user's visible audit records as CSV to `out`; the export is itself audited.

    Returns the number of rows written.
    """
    events = audit_event_list(user=user, **filters)
    writer = csv.writer(out)
    writer.writerow(AUDIT_CSV_COLUMNS)
    rows = 0
    for event in events.iterator(chunk_size=2000):
        writer.writerow(
            [
                event.sequence,
                event.created_at.isoformat(),
                event.actor_label,
                event.organisation.name if event.organisation else "",
                event.action,
                event.object_type,
                event.object_id,
                event.ip_address or "",
                json.dumps(event.data, sort_keys=True),
            ]
        )
        rows += 1
    audit_record(
        actor=user,
        action="audit.exported",
        data={"rows": rows, "filters": {k: str(v) for k, v in filters.items() if v}},
    )
    return rows
