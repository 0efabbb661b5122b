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
from django.urls import reverse
from django.utils import timezone
from django.utils.dateformat import format as date_format
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from cases.access.permissions import Action, action_require, user_can
from cases.audit.events import audit_event_words
from cases.audit.trail import audit_record
from cases.models import ApiKey, AuditEvent, FoundReport, MissingCase, Photo, User
from matching import interfaces as matching

FORMER_ACCOUNT = gettext_lazy("a former account")


def account_name(*, user: User | None, label: str = "", full: bool = False) -> str:
    """How the audit log and timelines name an account today.

    A live account by its username (or full name); a deactivated or erased one as "a former
    account"; the service's own steps (no account, label "system") as "Reunite".
    """
    if user is None:
        return "Reunite" if label in ("", "system") else str(FORMER_ACCOUNT)
    if not user.is_active:
        return str(FORMER_ACCOUNT)
    return (user.get_full_name() if full else "") or user.username


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
            "label": _("Case %(reference)s") % {"reference": case.reference},
            "url": link("case-detail", case.pk, case.organisation_id, Action.CASE_VIEW),
        }
    for report in FoundReport.objects.filter(pk__in=ids.get("cases.foundreport", ())):
        out["cases.foundreport", str(report.pk)] = {
            "label": _("Found report %(reference)s") % {"reference": report.reference},
            "url": link("report-detail", report.pk, report.organisation_id, Action.REPORT_VIEW),
        }
    photos = Photo.objects.filter(pk__in=ids.get("cases.photo", ())).select_related(
        "case", "found_report"
    )
    for photo in photos:
        if photo.case is not None:
            label = _("A photo of case %(reference)s") % {"reference": photo.case.reference}
            url = link("case-detail", photo.case.pk, photo.organisation_id, Action.CASE_VIEW)
        else:
            assert photo.found_report is not None
            label = _("A photo of found report %(reference)s") % {
                "reference": photo.found_report.reference
            }
            url = link(
                "report-detail", photo.found_report.pk, photo.organisation_id, Action.REPORT_VIEW
            )
        out["cases.photo", str(photo.pk)] = {"label": label, "url": url}
    may_manage = user_can(user, Action.USER_MANAGE)
    for account in User.objects.filter(pk__in=ids.get("cases.user", ())):
        mine = account.organisation_id == own and may_manage
        out["cases.user", str(account.pk)] = {
            "label": account_name(user=account),
            "url": reverse("org-users") if mine and account.is_active else "",
        }
    for pk in ids.get("cases.user", ()):
        out.setdefault(("cases.user", str(pk)), {"label": str(FORMER_ACCOUNT), "url": ""})
    for key in ApiKey.objects.filter(pk__in=ids.get("cases.apikey", ())):
        out["cases.apikey", str(key.pk)] = {
            "label": _("API key %(prefix)s…") % {"prefix": key.prefix},
            "url": "",
        }
    for pk in ids.get(matching.CANDIDATE_OBJECT_TYPE, ()):
        url = (
            reverse("review-candidate", args=[pk])
            if user_can(user, Action.CANDIDATE_REVIEW)
            else ""
        )
        out[matching.CANDIDATE_OBJECT_TYPE, str(pk)] = {
            "label": _("Possible match #%(number)s") % {"number": pk},
            "url": url,
        }
    return out


# What an erased record was, in the audit log's words ("Case 12 (no longer held)").
_RECORD_KINDS = {
    "case": gettext_lazy("Case"),
    "foundreport": gettext_lazy("Foundreport"),
    "photo": gettext_lazy("Photo"),
    "user": gettext_lazy("User"),
    "apikey": gettext_lazy("Apikey"),
    "candidate": gettext_lazy("Candidate"),
}


def audit_event_rows(*, user: User, events: Iterable[AuditEvent]) -> list[dict[str, Any]]:
    """Audit records in words: who, what, and the record it concerns with a link to it."""
    events = list(events)
    records = _record_links(user, events)
    actor_ids = {e.actor_id for e in events if e.actor_id is not None}
    actors = {a.pk: a for a in User.objects.filter(pk__in=actor_ids)}
    rows = []
    for e in events:
        who = account_name(
            user=actors.get(e.actor_id) if e.actor_id is not None else None, label=e.actor_label
        )
        record = records.get((e.object_type, e.object_id))
        if record is None and e.object_type:
            # A record since erased, or a kind with no page: say what it was.
            kind = e.object_type.split(".")[-1].replace("missingcase", "case")
            label = _("%(kind)s %(number)s (no longer held)") % {
                "kind": str(_RECORD_KINDS.get(kind, kind.capitalize())),
                "number": e.object_id,
            }
            record = {"label": label, "url": ""}
        rows.append(
            {
                "event": e,
                "words": audit_event_words(e.action),
                "who": who,
                "detail": audit_event_detail(event=e, who=who),
                "record": record,
                "organisation": e.organisation.name if e.organisation else "",
            }
        )
    return rows


def _when(value: Any) -> str:
    """A stored time (ISO text in the record's data) as every page writes times, in UTC."""
    try:
        parsed = dt.datetime.fromisoformat(str(value))
    except ValueError:
        return str(value) or _("a time not recorded")
    if timezone.is_aware(parsed):
        parsed = timezone.localtime(parsed)
    # The format of `|moment` (cases/templatetags/dates.py).
    return f"{date_format(parsed, 'j M Y, H:i')} UTC"


def _role(data: dict[str, Any], key: str) -> str:
    value = data.get(key) or ""
    return str(User.Role(value).label) if value in User.Role.values else str(value)


def audit_event_detail(*, event: AuditEvent, who: str) -> str:
    """A sentence for the changes that need more than the registry's words: who changed whom,
    from what to what. Empty for the rest."""
    sentence = _detail(event=event, who=who)
    # Usernames keep their case; only the words "a former account" open with a capital.
    if sentence.startswith(str(FORMER_ACCOUNT)):
        sentence = sentence[0].upper() + sentence[1:]
    return sentence


def _detail(*, event: AuditEvent, who: str) -> str:
    data = event.data or {}
    name = data.get("username", "")
    action = event.action
    values = {"who": who, "name": name}
    if action == "user.role_changed":
        return _("%(who)s changed %(name)s's role from %(from)s to %(to)s.") % {
            **values,
            "from": _role(data, "from"),
            "to": _role(data, "to"),
        }
    if action == "user.invited":
        values["role"] = _role(data, "role")
        if data.get("again"):
            return _("%(who)s invited %(name)s again as %(role)s.") % values
        return _("%(who)s invited %(name)s as %(role)s.") % values
    if action == "user.invitation_accepted":
        return _("%(name)s accepted the invitation and set a password.") % values
    if action == "user.password_reset":
        return _("%(name)s set a new password from an e-mailed link.") % values
    if action == "user.password_reset_requested":
        return _("A password reset link was e-mailed to %(name)s.") % values
    if action == "user.deactivated":
        return _("%(who)s deactivated %(name)s: active → deactivated.") % values
    if action == "user.reactivated":
        return _("%(who)s reactivated %(name)s: deactivated → active.") % values
    if action == "user.second_factor_reset":
        return (
            _(
                "%(who)s reset %(name)s's second factor; they set up a new one at their next "
                "sign-in."
            )
            % values
        )
    if action == "apikey.created" and data.get("for_user"):
        return _("%(who)s created key %(prefix)s… for %(user)s.") % {
            **values,
            "prefix": data.get("prefix", ""),
            "user": data["for_user"],
        }
    if action == "apikey.rotated":
        return _(
            "%(who)s replaced key %(prefix)s… with %(new_prefix)s…; the old key stops working "
            "at %(when)s."
        ) % {
            **values,
            "prefix": data.get("prefix", ""),
            "new_prefix": data.get("new_prefix", ""),
            "when": _when(data.get("expires_at", "")),
        }
    if action in ("admin.added", "admin.changed"):
        changes = data.get("changes") or {}
        parts = [
            f"{field}: {change.get('from')!s} → {change.get('to')!s}"
            if action == "admin.changed"
            else f"{field}: {change.get('to')!s}"
            for field, change in changes.items()
        ]
        # Model and field names are the code's own (English), as the operators' admin shows.
        values.update(
            model=data.get("model", "a record"),
            record=data.get("record", ""),
            changes="; ".join(parts),
        )
        if action == "admin.added":
            return _("%(who)s added %(model)s %(record)s: %(changes)s.") % values
        return _("%(who)s changed %(model)s %(record)s: %(changes)s.") % values
    if action == "account_change.requested":
        change = data.get("change", "")
        values["reason"] = data.get("reason", "")
        if change == "role":
            values["role"] = _role(data, "role")
            return _("%(who)s asked for a change to %(name)s (role %(role)s): %(reason)s") % values
        values["change"] = change.replace("_", " ")
        return _("%(who)s asked for a change to %(name)s (%(change)s): %(reason)s") % values
    if action == "account_change.approved":
        return _("%(who)s approved %(requested_by)s's request #%(request)s for %(name)s.") % {
            **values,
            "requested_by": data.get("requested_by", ""),
            "request": data.get("request", ""),
        }
    if action == "superuser.request":
        request = f"{data.get('method', '')} {data.get('path', '')}"
        return _("%(who)s (superuser): %(request)s → %(status)s.") % {
            **values,
            "request": request,
            "status": data.get("status", ""),
        }
    return ""


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
