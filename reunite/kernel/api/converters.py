"""URL converters for the API, registered by the first URLconf that
needs them (matching/urls.py and reunite/urls.py both call `converters_register()`)."""

from __future__ import annotations

from django.urls import register_converter


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


_registered = False


def converters_register() -> None:
    """`<rid:...>` and `<anything:...>`, once per process, before any route uses them."""
    global _registered
    if not _registered:
        register_converter(RecordIdConverter, "rid")
        register_converter(AnyPathConverter, "anything")
        _registered = True
