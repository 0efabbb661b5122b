"""Console account changes need two operators: one asks, another approves; both audited."""

import io

import pytest
from django.core.management import CommandError, call_command
from django_otp.plugins.otp_totp.models import TOTPDevice

from cases.models import AuditEvent, User
from tests.factories import UserFactory
from tests.support.otp import totp_device_for

pytestmark = pytest.mark.django_db


@pytest.fixture
def operators() -> tuple[User, User]:
    return (
        UserFactory(username="op1", organisation=None, role=User.Role.OPERATOR),
        UserFactory(username="op2", organisation=None, role=User.Role.OPERATOR),
    )


def _request(*args: str) -> int:
    out = io.StringIO()
    call_command("account_change", "request", *args, stdout=out)
    return int(out.getvalue().split("#")[1].split()[0])


def test_a_second_operator_approves_and_the_change_is_applied_once(operators, caseworker):
    request_id = _request(
        "--by", "op1", "--user", "caseworker", "--change", "deactivate", "--reason", "Left."
    )
    caseworker.refresh_from_db()
    assert caseworker.is_active  # nothing until approved

    with pytest.raises(CommandError, match="cannot approve"):
        call_command("account_change", "approve", str(request_id), "--by", "op1")
    call_command("account_change", "approve", str(request_id), "--by", "op2", stdout=io.StringIO())
    caseworker.refresh_from_db()
    assert not caseworker.is_active
    with pytest.raises(CommandError, match="approved already"):
        call_command("account_change", "approve", str(request_id), "--by", "op2")

    actions = list(AuditEvent.objects.order_by("id").values_list("action", "actor_label"))
    assert actions == [
        ("account_change.requested", "op1"),
        ("account_change.approved", "op2"),
        ("user.deactivated", "system"),
    ]


def test_an_operators_lost_second_factor_is_reset_by_two_operators(operators):
    op1, _ = operators
    UserFactory(username="op3", organisation=None, role=User.Role.OPERATOR)
    totp_device_for(op1)
    request_id = _request(
        "--by", "op2", "--user", "op1", "--change", "second_factor_reset", "--reason", "Lost phone"
    )
    with pytest.raises(CommandError, match="own account"):
        call_command("account_change", "approve", str(request_id), "--by", "op1")
    call_command("account_change", "approve", str(request_id), "--by", "op3", stdout=io.StringIO())
    assert not TOTPDevice.objects.filter(user=op1).exists()


def test_a_role_outside_the_organisations_kind_is_refused(operators, caseworker):
    with pytest.raises(CommandError, match="may give these roles"):
        _request(
            "--by",
            "op1",
            "--user",
            "caseworker",
            "--change",
            "role",
            "--role",
            "reviewer",
            "--reason",
            "x",
        )


def test_only_active_operators_ask_or_approve(operators, caseworker):
    with pytest.raises(CommandError, match="not an active operator"):
        _request(
            "--by", "caseworker", "--user", "caseworker", "--change", "deactivate", "--reason", "x"
        )
