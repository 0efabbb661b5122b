"""Bounded lists that keep v1's bare-array bodies: at most `limit` rows (100 unless asked,
at most 500) in id order, the next page named by a `Link: <...>; rel="next"` header (RFC
8288, `after` the last id), and `X-Total-Count` for how many rows match on all pages."""

from __future__ import annotations

from typing import Any, TypeVar
from urllib.parse import urlencode

from django.db.models import Model, QuerySet
from drf_spectacular.utils import OpenApiParameter
from rest_framework import serializers
from rest_framework.request import Request

Row = TypeVar("Row", bound=Model)

# Lists were unbounded before; a default a client need not ask for keeps every answer small.
PAGE_SIZE_DEFAULT = 100
PAGE_SIZE_MAX = 500


class PageFilter(serializers.Serializer):
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


def page_filters_read(*, request: Request, spec: type[PageFilter]) -> dict[str, Any]:
    """The request's filters and page, validated (400 `validation_error` otherwise)."""
    filters = spec(data=request.query_params)
    filters.is_valid(raise_exception=True)
    return dict(filters.validated_data)


def id_page(
    *, request: Request, queryset: QuerySet[Row], validated: dict[str, Any]
) -> tuple[list[Row], dict[str, str]]:
    """One page of an already filtered queryset, with its `Link` and `X-Total-Count`."""
    headers = {"X-Total-Count": str(queryset.count())}
    limit = validated["limit"]
    chosen = queryset.order_by("pk")
    if "after" in validated:
        chosen = chosen.filter(pk__gt=validated["after"])
    # One more than asked says whether a next page exists.
    page = list(chosen[: limit + 1])
    if len(page) <= limit:
        return page, headers
    page = page[:limit]
    query = {**request.query_params.dict(), "after": str(page[-1].pk)}
    next_url = request.build_absolute_uri(f"{request.path}?{urlencode(query)}")
    return page, {**headers, "Link": f'<{next_url}>; rel="next"'}
