"""URL converters for the API."""

from __future__ import annotations


class RecordIdConverter:
    """A positive database id that fits a 64-bit column (a longer number is a 404, not a 500)."""

    regex = "[1-9][0-9]{0,17}"

    def to_python(self, value: str) -> int:
        return int(value)

    def to_url(self, value: int) -> str:
        return str(value)


class AnyPathConverter:
    """Any rest of a path, line breaks included (for the API's catch-all 404)."""

    regex = "(?s:.*)"

    def to_python(self, value: str) -> str:
        return value

    def to_url(self, value: str) -> str:
        return value
