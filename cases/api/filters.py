"""Query filters and pages of the list endpoints (`cases_list`, `found_reports_list`).

Pages are asked for, not imposed: without `limit` a list answers every record, as v1
always did, so no existing client loses records. With `limit`, records come in id order,
at most `limit` of them, and a `Link: <...>; rel="next"` header names the next page
(`after` the last id), until a page has no next.
"""

from __future__ import annotations

from typing import Any, TypeVar
from urllib.parse import urlencode

from django.db.models import QuerySet
from drf_spectacular.utils import OpenApiParameter
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
    limit = serializers.IntegerField(
        required=False,
        min_value=1,
        max_value=500,
        help_text="At most this many records, in id order; the `Link` header names the next "
        "page. Without it, every record.",
    )
    after = serializers.IntegerField(
        required=False, min_value=0, help_text="Only records with a greater id (the next page)."
    )


class ReportListFilter(_RecordListFilter):
    status = serializers.ChoiceField(choices=FoundReport.Status.choices, required=False)


class CaseListFilter(_RecordListFilter):
    status = serializers.ChoiceField(choices=MissingCase.Status.choices, required=False)


LINK = OpenApiParameter(
    "Link",
    type=str,
    location=OpenApiParameter.HEADER,
    response=[200],
    description='With `limit`: `<address of the next page>; rel="next"`, absent on the last.',
)


def records_page(
    *, request: Request, queryset: QuerySet[Record], spec: type[_RecordListFilter]
) -> tuple[QuerySet[Record] | list[Record], dict[str, str]]:
    """The records the request's filters ask for, and the `Link` header of the next page
    (400 `validation_error` for an invalid filter)."""
    filters = spec(data=request.query_params)
    filters.is_valid(raise_exception=True)
    chosen = _narrowed(queryset, filters.validated_data)
    limit = filters.validated_data.get("limit")
    if "after" in filters.validated_data:
        chosen = chosen.filter(pk__gt=filters.validated_data["after"]).order_by("pk")
    if limit is None:
        return chosen, {}
    # One more than asked says whether a next page exists.
    page = list(chosen.order_by("pk")[: limit + 1])
    if len(page) <= limit:
        return page, {}
    page = page[:limit]
    query = {**request.query_params.dict(), "after": str(page[-1].pk)}
    next_url = request.build_absolute_uri(f"{request.path}?{urlencode(query)}")
    return page, {"Link": f'<{next_url}>; rel="next"'}


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
