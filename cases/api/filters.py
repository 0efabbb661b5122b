"""Query filters and pages of the list endpoints (`cases_list`, `found_reports_list`).

Every answer is bounded: at most `limit` records (100 unless asked, at most 500), in id
order. v1's body stays a bare array, so the page travels in headers: `Link: <...>;
rel="next"` (RFC 8288) names the next page (`after` the last id) until the last page, and
`X-Total-Count` says how many records the filters match on all pages together.
"""

from __future__ import annotations

from typing import Any, TypeVar

from django.db.models import QuerySet
from rest_framework import serializers
from rest_framework.request import Request

from cases.models import FoundReport, MissingCase
from reunite.kernel.api.pages import (
    PAGE_HEADERS,
    PAGE_SIZE_DEFAULT,
    PAGE_SIZE_MAX,
    PageFilter,
    id_page,
    page_filters_read,
)

Record = TypeVar("Record", FoundReport, MissingCase)

__all__ = [
    "PAGE_HEADERS",
    "PAGE_SIZE_DEFAULT",
    "PAGE_SIZE_MAX",
    "CaseListFilter",
    "ReportListFilter",
    "records_page",
]


class _RecordListFilter(PageFilter):
    external_ref = serializers.CharField(
        required=False, max_length=100, help_text="Only the record with this external_ref."
    )
    created_after = serializers.DateTimeField(
        required=False, help_text="Only records created at or after this time (ISO 8601)."
    )
    created_before = serializers.DateTimeField(
        required=False, help_text="Only records created before this time (ISO 8601)."
    )


class ReportListFilter(_RecordListFilter):
    status = serializers.ChoiceField(choices=FoundReport.Status.choices, required=False)


class CaseListFilter(_RecordListFilter):
    status = serializers.ChoiceField(choices=MissingCase.Status.choices, required=False)


def records_page(
    *, request: Request, queryset: QuerySet[Record], spec: type[_RecordListFilter]
) -> tuple[list[Record], dict[str, str]]:
    """One page of the records the request's filters ask for, with its `Link` and
    `X-Total-Count` headers (400 `validation_error` for an invalid filter or limit)."""
    validated = page_filters_read(request=request, spec=spec)
    return id_page(request=request, queryset=_narrowed(queryset, validated), validated=validated)


def _narrowed(queryset: QuerySet[Record], validated: dict[str, Any]) -> QuerySet[Record]:
    lookups: dict[str, Any] = {}
    for name, lookup in (
        ("external_ref", "external_ref"),
        ("status", "status"),
        ("created_after", "created_at__gte"),
        ("created_before", "created_at__lt"),
    ):
        if name in validated:
            lookups[lookup] = validated[name]
    return queryset.filter(**lookups)
