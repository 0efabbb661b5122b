"""The one error base: InvalidInput and NotAllowed answer exactly as Django's
ValidationError and PermissionDenied did, in the API and in the portal."""

import pytest
from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.core.exceptions import ValidationError as DjangoValidationError
from django.test import RequestFactory
from rest_framework import exceptions

from reunite.kernel.api.problems import domain_problem, problem_exception_handler
from reunite.kernel.errors import InvalidInput, NotAllowed
from reunite.kernel.middleware import DomainErrorMiddleware


@pytest.mark.parametrize(
    "message",
    [
        "This case has been erased.",
        ["One.", "Two."],
        {"reason": "Say why."},
        {"note": ["A note is required."], "__all__": ["Both at once."]},
    ],
)
def test_invalid_input_is_the_same_problem_as_a_django_validation_error(message):
    ours = domain_problem(InvalidInput(message))
    django = domain_problem(DjangoValidationError(message))
    assert ours == django
    body, headers = ours
    assert body["code"] == "validation_error" and body["status"] == 400 and headers == {}


def test_invalid_input_reads_like_a_django_validation_error():
    for message in ("Choose one.", {"reason": "Say why."}):
        ours, django = InvalidInput(message), DjangoValidationError(message)
        assert str(ours) == str(django)
        assert ours.messages == django.messages
    assert InvalidInput({"reason": "Say why."}).message_dict == {"reason": ["Say why."]}
    # A message for the request as a whole sits where a form shows such messages.
    assert InvalidInput("Choose one.").message_dict == {"__all__": ["Choose one."]}
    # A model's own error, given whole, keeps its fields.
    model_error = DjangoValidationError({"time_zone": "Use an IANA name."})
    assert InvalidInput(model_error).message_dict == model_error.message_dict


@pytest.mark.parametrize("message", ["Your role may not do this (case_view).", ""])
def test_not_allowed_is_the_same_problem_as_a_django_permission_denied(message):
    ours = problem_exception_handler(NotAllowed(message), {})
    django = problem_exception_handler(DjangoPermissionDenied(message), {})
    assert ours is not None and django is not None
    assert (ours.status_code, ours.data, ours["Content-Type"]) == (
        django.status_code,
        django.data,
        django["Content-Type"],
    )
    assert NotAllowed.title == str(exceptions.PermissionDenied.default_detail)


def test_the_portal_answers_not_allowed_with_the_403_handler():
    middleware = DomainErrorMiddleware(lambda request: None)  # type: ignore[arg-type]
    request = RequestFactory().get("/cases/")
    with pytest.raises(DjangoPermissionDenied, match="only your organisation"):
        middleware.process_exception(request, NotAllowed("You may close only your organisation"))
    assert middleware.process_exception(request, ValueError("not ours")) is None
