"""The one base for the project's domain errors.

A domain error knows its stable `code`, its HTTP `status` and a `title`; the one API handler
(reunite/kernel/api/problems.py) turns any of them into an RFC 9457 problem, and the portal shows
`detail`. Domain code never builds HTTP bodies.

Domain code (services, selectors) raises these only: InvalidInput for input a person can
correct, NotAllowed for what their role or organisation may not do, a ReuniteError subclass
with its own code for the rest. Forms, serializers and models' clean() keep Django's and DRF's
errors, as those frameworks expect.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from django.core.exceptions import NON_FIELD_ERRORS
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db.models import Model
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

if TYPE_CHECKING:
    from django.utils.functional import _StrPromise as LazyStr
else:
    LazyStr = Promise


class ReuniteError(Exception):
    code: str = "error"
    status: int = 400
    # Translated when the problem is written (the API's Accept-Language); `code` never is.
    title: str | Promise = _("Request refused")

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
    title = _("Service unavailable")

    def headers(self) -> dict[str, str]:
        return {"Retry-After": str(DEPENDENCY_RETRY_AFTER_SECONDS)}


# The API's words for invalid input, whose details are in the problem's `errors`.
INVALID_INPUT_DETAIL = _("Some fields are missing or invalid; see `errors`.")


class InvalidInput(ReuniteError):
    """Input a person can correct: messages per field, or for the request as a whole.

    Built like Django's ValidationError (a message, a list, or a dict of field -> message(s),
    or a ValidationError from a model's validators) and read like one (`messages`,
    `message_dict`), so the portal puts each message beside its field. The API answers the
    same 400 `validation_error` problem as for a serializer's errors.
    """

    code = "validation_error"
    status = 400
    title = _("Invalid request")

    def __init__(
        self, message: str | LazyStr | list[str] | dict[str, Any] | DjangoValidationError
    ) -> None:
        # Django does the normalising (nested lists, params, a ValidationError given whole).
        error = DjangoValidationError(message)
        self.error_dict: dict[str, list[str]] | None = (
            error.message_dict if hasattr(error, "error_dict") else None
        )
        self.messages: list[str] = error.messages
        # str() as Django's, so logs, command output and test matches read as before.
        super().__init__(str(error))

    @property
    def message_dict(self) -> dict[str, list[str]]:
        """Messages per field; those for the request as a whole under NON_FIELD_ERRORS."""
        return self.error_dict if self.error_dict is not None else {NON_FIELD_ERRORS: self.messages}

    @property
    def detail(self) -> str:
        return str(INVALID_INPUT_DETAIL)

    def problem_extra(self) -> dict[str, Any]:
        errors = (
            self.error_dict if self.error_dict is not None else {"non_field_errors": self.messages}
        )
        return {"errors": errors}


class NotAllowed(ReuniteError):
    """The user's role, organisation or relation to the record does not allow this.

    The API answers 403 `permission_denied` with the message as `detail`; the portal its 403
    page (reunite/kernel/middleware.py).
    """

    code = "permission_denied"
    status = 403
    # DRF's words for a 403, which the API has always used as this problem's title.
    # (DRF's own translations of it are used in the catalogues too.)
    title = _("You do not have permission to perform this action.")

    @property
    def detail(self) -> str:
        return str(self) or str(self.title)


def model_validate(instance: Model, **options: Any) -> None:
    """`instance.full_clean(**options)`, its errors raised as InvalidInput.

    A model's validators and clean() keep Django's ValidationError (Django's contract); the
    services that call them raise the project's own error.
    """
    try:
        instance.full_clean(**options)
    except DjangoValidationError as exc:
        raise InvalidInput(exc) from exc
