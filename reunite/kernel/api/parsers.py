"""Request body parsers with bounds on what a body may make the process do."""

from __future__ import annotations

from typing import Any

from rest_framework.exceptions import ParseError
from rest_framework.parsers import JSONParser

# No request of this API nests deeper than a handful of levels (bulk: envelope, report,
# photo). Python's decoder and every recursive walk after it fail near 1,000.
JSON_MAX_DEPTH = 32


def json_depth_exceeds(data: Any, *, limit: int) -> bool:
    """Whether `data` nests deeper than `limit` (an iterative walk: no recursion)."""
    stack: list[tuple[Any, int]] = [(data, 1)]
    while stack:
        value, depth = stack.pop()
        if isinstance(value, dict):
            children: Any = value.values()
        elif isinstance(value, list):
            children = value
        else:
            continue
        if depth > limit:
            return True
        stack.extend((child, depth + 1) for child in children)
    return False


class BoundedJSONParser(JSONParser):
    """DRF's JSON parser, refusing bodies nested deeper than JSON_MAX_DEPTH with a 400."""

    def parse(self, stream: Any, media_type: str | None = None, parser_context: Any = None) -> Any:
        too_deep = f"The JSON body nests deeper than {JSON_MAX_DEPTH} levels."
        try:
            data = super().parse(stream, media_type, parser_context)
        except RecursionError as exc:
            raise ParseError(too_deep) from exc
        if json_depth_exceeds(data, limit=JSON_MAX_DEPTH):
            raise ParseError(too_deep)
        return data
