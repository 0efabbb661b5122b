"""The one base for the project's domain errors.

A domain error knows its stable `code`, its HTTP `status` and a `title`; the one API handler
(reunite/kernel/api/problems.py) turns any of them into an RFC 9457 problem, and the portal shows
`detail`. Domain code never builds HTTP bodies.
"""

from __future__ import annotations

from typing import Any


class ReuniteError(Exception):
    code: str = "error"
    status: int = 400
    title: str = "Request refused"

    @property
    def detail(self) -> str:
        return str(self)

    def problem_extra(self) -> dict[str, Any]:
        """Extra members of the problem body (e.g. per-field `errors`)."""
        return {}

    def headers(self) -> dict[str, str]:
        """HTTP headers that go with the problem (e.g. Retry-After)."""
        return {}


# How long a client should wait before retrying when a dependency is down.
DEPENDENCY_RETRY_AFTER_SECONDS = 30


class DependencyUnavailable(ReuniteError):
    """Something Reunite depends on (photo storage, ...) failed; retrying later may work.

    The API answers 503 with Retry-After, and the portal its 503 page.
    """

    code = "service_unavailable"
    status = 503
    title = "Service unavailable"

    def headers(self) -> dict[str, str]:
        return {"Retry-After": str(DEPENDENCY_RETRY_AFTER_SECONDS)}
