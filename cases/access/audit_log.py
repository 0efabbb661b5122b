"""Reading the audit log: who may see which records, and the CSV export (itself audited).

The trail itself (writing, verifying, the event registry) is in cases/audit/; reading it
is an access question, answered by the permission matrix.
"""

from __future__ import annotations

import csv
import datetime as dt
import json
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
