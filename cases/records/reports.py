"""Changes a filing organisation makes to its own found reports after filing them."""

from __future__ import annotations

from typing import Any

from django.db import transaction
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from cases.access.permissions import Action, action_require
from cases.audit.trail import audit_record
from cases.models import FoundReport, Photo, User
from cases.records import services
from matching import interfaces as matching
from reunite.kernel.errors import InvalidInput, model_validate

# The one list of a report's fields its organisation fills in and may change later, in the
# order forms show them. external_ref is set once: it is how retries find the report.
REPORT_EDITABLE_FIELDS = (
    "found_on",
    "found_place",
    "estimated_age_min",
    "estimated_age_max",
    "sex",
    "child_names",
    "relatives_names",
    "home_place",
    "languages",
    "distinguishing_marks",
    "notes",
    "legal_basis",
)


class ReportNotActive(InvalidInput):
    """The report was withdrawn or erased: it can no longer change.

    Also InvalidInput, so forms and callers that catch that show it as one; the API answers
    its own 409 problem with the message as `detail`.
    """

    code = "report_not_active"
    status = 409
    title = gettext_lazy("Report withdrawn or erased")

    @property
    def detail(self) -> str:
        return " ".join(self.messages)

    def problem_extra(self) -> dict[str, Any]:
        return {}


def _require_active(report: FoundReport) -> None:
    if report.status != FoundReport.Status.ACTIVE:
        raise ReportNotActive(
            _("Report %(reference)s is %(status)s; it cannot change.")
            % {"reference": report.reference, "status": report.get_status_display().lower()}
        )


@transaction.atomic
def report_update(*, user: User, report: FoundReport, **fields: Any) -> FoundReport:
    """Change a report's details. external_ref stays: it is how retries find the report."""
    action_require(user=user, action=Action.REPORT_EDIT)
    unknown = set(fields) - set(REPORT_EDITABLE_FIELDS)
    if unknown:
        raise InvalidInput({name: _("This field cannot be changed.") for name in sorted(unknown)})
    report = FoundReport.objects.select_for_update().get(pk=report.pk)
    _require_active(report)
    for name, value in fields.items():
        setattr(report, name, value)
    model_validate(report)
    report.save()
    audit_record(actor=user, action="report.updated", obj=report, data={"fields": sorted(fields)})
    matching.candidates_recheck(candidate_ids=matching.candidate_ids_list(owner=report))
    return report


def report_photo_add(*, user: User, report: FoundReport, upload: services.PhotoUpload) -> Photo:
    """Add one photo to an active report."""
    _require_active(report)
    return services.photo_add(user=user, owner=report, upload=upload)
