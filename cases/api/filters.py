"""Query filters of the list endpoints (`cases_list`, `found_reports_list`)."""

from __future__ import annotations

from typing import Any, TypeVar

from django.db.models import QuerySet
from rest_framework import serializers
from rest_framework.request import Request

from cases.models import FoundReport, MissingCase

Record = TypeVar("Record", FoundReport, MissingCase)


class _RecordListFilter(serializers.Serializer):
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


def records_filter(
    *, request: Request, queryset: QuerySet[Record], spec: type[_RecordListFilter]
) -> QuerySet[Record]:
    """`queryset` narrowed by the request's query filters (400 `validation_error` if invalid)."""
    filters = spec(data=request.query_params)
    filters.is_valid(raise_exception=True)
    lookups: dict[str, Any] = {}
    for name, lookup in (
        ("external_ref", "external_ref"),
        ("status", "status"),
        ("created_after", "created_at__gte"),
        ("created_before", "created_at__lt"),
    ):
        if name in filters.validated_data:
            lookups[lookup] = filters.validated_data[name]
    return queryset.filter(**lookups)
