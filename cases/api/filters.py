"""Query filters and pages of the list endpoints (`cases_list`, `found_reports_list`).

Every answer is bounded: at most `limit` records (100 unless asked, at most 500), in id
order. v1's body stays a bare array, so the page travels in headers: `Link: <...>;
rel="next"` (RFC 8288) names the next page (`after` the last id) until the last page, and
`X-Total-Count` says how many records the filters match on all pages together.
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

# Lists were unbounded before; a default a client need not ask for keeps every answer small.
PAGE_SIZE_DEFAULT = 100
PAGE_SIZE_MAX = 500


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
        max_value=PAGE_SIZE_MAX,
        default=PAGE_SIZE_DEFAULT,
        help_text=f"At most this many records, in id order ({PAGE_SIZE_DEFAULT} unless "
        f"asked, at most {PAGE_SIZE_MAX}). When more match, the `Link` header names the next "
        "page: follow it until an answer has no `Link`.",
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
    description='`<address of the next page>; rel="next"` (RFC 8288) while more records '
    "match; absent on the last page. The address keeps your filters and `limit`.",
)
TOTAL_COUNT = OpenApiParameter(
    "X-Total-Count",
    type=int,
    location=OpenApiParameter.HEADER,
    response=[200],
    description="How many records the filters match, on all pages together (`after` aside).",
)
PAGE_HEADERS = [LINK, TOTAL_COUNT]


def records_page(
    *, request: Request, queryset: QuerySet[Record], spec: type[_RecordListFilter]
) -> tuple[list[Record], dict[str, str]]:
    """One page of the records the request's filters ask for, with its `Link` and
    `X-Total-Count` headers (400 `validation_error` for an invalid filter or limit)."""
    filters = spec(data=request.query_params)
    filters.is_valid(raise_exception=True)
    matching = _narrowed(queryset, filters.validated_data)
    headers = {"X-Total-Count": str(matching.count())}
    limit = filters.validated_data["limit"]
    chosen = matching.order_by("pk")
    if "after" in filters.validated_data:
        chosen = chosen.filter(pk__gt=filters.validated_data["after"])
    # One more than asked says whether a next page exists.
    page = list(chosen[: limit + 1])
    if len(page) <= limit:
        return page, headers
    page = page[:limit]
    query = {**request.query_params.dict(), "after": str(page[-1].pk)}
    next_url = request.build_absolute_uri(f"{request.path}?{urlencode(query)}")
    return page, {**headers, "Link": f'<{next_url}>; rel="next"'}


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
