import io
import os
import subprocess
import sys
from pathlib import Path

import pytest
from cryptography.fernet import Fernet
from django.conf import settings as django_settings
from django.core.management import CommandError, call_command
from django.test import Client
from django_otp.oath import totp
from django_otp.plugins.otp_totp.models import TOTPDevice
from rest_framework.test import APIClient

from cases.access import apikeys
from cases.models import ApiKey, AuditEvent
from tests.factories import UserFactory
from tests.support.api import api_client_verified
from tests.support.otp import current_code, force_login_verified, totp_device_for

pytestmark = pytest.mark.django_db

SETUP = "/accounts/2fa/"


@pytest.fixture(autouse=True)
def _second_factor_on(settings):
    settings.REQUIRE_2FA = True


@pytest.fixture
def orgadmin(org_family):
    return UserFactory(username="orgadmin", organisation=org_family, role="org_admin")


def test_reviewer_without_second_factor_is_sent_to_setup(reviewer):
    client = Client()
    client.force_login(reviewer)

    response = client.get("/review/")

    assert response.status_code == 302
    assert response["Location"].startswith(f"{SETUP}?next=")


def test_session_api_call_without_second_factor_is_refused(reviewer):
    client = Client()
    client.force_login(reviewer)
    response = client.get("/api/v1/review/candidates/")
    assert response.status_code == 403
    problem = response.json()
    assert problem["code"] == "second_factor_required"
    # Reviewers cannot hold an API key, so the message must not send them to one.
    assert "API key" not in problem["detail"]
    assert "/accounts/2fa/" in problem["detail"]


@pytest.mark.parametrize("role", ["reviewer", "org_admin", "operator"])
def test_second_factor_roles_cannot_hold_api_keys(role, org_review):
    user = UserFactory(username=f"a-{role}", organisation=org_review, role=role)
    with pytest.raises(CommandError, match="second factor"):
        call_command("create_api_token", user.username, stdout=io.StringIO())
    assert not ApiKey.objects.filter(user=user).exists()


def test_a_key_made_for_a_reviewer_before_the_rule_is_refused(reviewer):
    prefix, key = "0badf00d", "rk_0badf00d_made-before-the-rule"
    ApiKey.objects.create(user=reviewer, prefix=prefix, key_hash=apikeys._hash(key))
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {key}")
    response = client.get("/api/v1/review/candidates/")
    assert response.status_code == 401
    assert "second factor" in response.json()["detail"]


def test_reviewer_uses_the_api_in_a_session_past_the_second_factor(reviewer):
    assert api_client_verified(reviewer).get("/api/v1/review/candidates/").status_code == 200


def test_partner_and_caseworker_keys_still_work(caseworker, partner):
    for user in (caseworker, partner):
        out = io.StringIO()
        call_command("create_api_token", user.username, stdout=out)
        client = APIClient()
        client.credentials(HTTP_AUTHORIZATION=f"Token {out.getvalue().strip()}")
        assert client.get("/api/v1/found-reports/").status_code == 200


def test_caseworker_is_not_asked_for_a_second_factor(caseworker):
    client = Client()
    client.force_login(caseworker)
    response = client.get("/api/v1/cases/")
    assert response.status_code == 200


def test_setup_shows_a_qr_code_and_secret_and_a_right_code_enrols(orgadmin):
    client = Client()
    client.force_login(orgadmin)

    page = client.get(SETUP)
    assert page.status_code == 200
    assert b"<svg" in page.content
    device = TOTPDevice.objects.get(user=orgadmin, confirmed=False)
    assert page.context["secret"].encode() in page.content

    wrong = client.post(SETUP, {"token": "000000", "next": "/cases/"})
    assert wrong.status_code == 400
    # django-otp now throttles the device for a second; skip the wait.
    device.refresh_from_db()
    device.throttle_reset()
    response = client.post(SETUP, {"token": current_code(device), "next": "/cases/"})

    assert response.status_code == 302 and response["Location"] == "/cases/"
    device.refresh_from_db()
    assert device.confirmed
    assert client.get("/api/v1/cases/").status_code == 200  # verified session now passes
    actions = set(AuditEvent.objects.values_list("action", flat=True))
    assert {"auth.second_factor_enrolled", "auth.second_factor_verified"} <= actions
    assert "auth.second_factor_failed" in actions


def test_user_with_a_device_is_sent_to_verify_and_a_code_passes(reviewer):
    device = totp_device_for(reviewer)
    client = Client()
    client.force_login(reviewer)

    assert client.get(SETUP)["Location"].startswith("/accounts/2fa/verify/")
    response = client.post("/accounts/2fa/verify/", {"token": current_code(device)})

    assert response.status_code == 302
    assert client.get("/api/v1/review/candidates/").status_code == 200


def test_demo_secret_gives_codes_authenticator_apps_would_show(reviewer):
    device = totp_device_for(reviewer)
    assert device.verify_token(f"{totp(b'12345678901234567890'):06d}")


def test_the_test_helper_signs_in_past_the_second_factor(reviewer):
    client = force_login_verified(Client(), reviewer)
    assert client.get("/api/v1/review/candidates/").status_code == 200


def test_second_factor_can_be_switched_off(reviewer, settings):
    settings.REQUIRE_2FA = False
    client = Client()
    client.force_login(reviewer)
    assert client.get("/api/v1/review/candidates/").status_code == 200


def test_repeated_failed_sign_ins_lock_out_the_username_from_that_address(caseworker, settings):
    settings.AXES_ENABLED = True
    caseworker.set_password("a-long-test-password")
    caseworker.save()
    client = Client(REMOTE_ADDR="198.51.100.9")
    for _ in range(settings.AXES_FAILURE_LIMIT):
        client.post("/accounts/login/", {"username": "caseworker", "password": "wrong"})

    response = client.post(
        "/accounts/login/", {"username": "caseworker", "password": "a-long-test-password"}
    )

    assert response.status_code == 429
    assert "_auth_user_id" not in client.session
    other = Client(REMOTE_ADDR="198.51.100.10")
    other.post("/accounts/login/", {"username": "caseworker", "password": "a-long-test-password"})
    assert "_auth_user_id" in other.session


def test_sessions_time_out():
    assert django_settings.SESSION_COOKIE_AGE == 8 * 60 * 60
    assert django_settings.SESSION_EXPIRE_AT_BROWSER_CLOSE


def test_check_deploy_is_clean_under_production_settings(tmp_path: Path):
    env = {
        k: v
        for k, v in os.environ.items()
        # Test-only switches (e.g. DJANGO_ALLOW_ASYNC_UNSAFE for browser tests) stay out.
        if k
        not in {"DATABASE_URL", "REDIS_URL", "DJANGO_SETTINGS_MODULE", "DJANGO_ALLOW_ASYNC_UNSAFE"}
    }
    env.update(
        DJANGO_SECRET_KEY="k7#Qv9!tLz2@pXr4$wNc8^bHs6&mJd1*fYg3(eUa5)oKi0-RlTzVqPxWn",
        REUNITE_PHOTO_ENCRYPTION_KEY=Fernet.generate_key().decode(),
        REUNITE_DATA_DIR=str(tmp_path),
    )
    result = subprocess.run(
        [
            sys.executable,
            "manage.py",
            "check",
            "--deploy",
            "--settings=reunite.settings.production",
            "--fail-level",
            "WARNING",
        ],
        cwd=django_settings.BASE_DIR,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout


def test_operator_without_second_factor_is_sent_to_setup_even_for_the_admin():
    operator = UserFactory(organisation=None, role="operator", is_staff=True, is_superuser=True)
    client = Client()
    client.force_login(operator)
    for url in ("/audit/", "/admin/"):
        response = client.get(url)
        assert response.status_code == 302, url
        assert response["Location"].startswith(f"{SETUP}?next=")
