"""`{% record_duplicates record as rows %}`: a record's possible duplicates, for its page.

A tag rather than view context so the case and report pages need only an include line.
"""

from __future__ import annotations

from typing import Any

from django import template

from cases.models import FoundReport, MissingCase
from matching.selectors import DuplicateRow
from matching.selectors import record_duplicates as duplicates_read

register = template.Library()


@register.simple_tag(takes_context=True)
def record_duplicates(
    context: dict[str, Any], record: MissingCase | FoundReport
) -> list[DuplicateRow]:
    request = context.get("request")
    if request is None or record is None or not request.user.is_authenticated:
        return []
    return duplicates_read(user=request.user, record=record)
