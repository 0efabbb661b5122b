"""Browser helpers: screenshots into test-artifacts/ and signing in through the form."""

from __future__ import annotations

import os
from pathlib import Path

ARTIFACTS = Path(
    os.environ.get("REUNITE_TEST_ARTIFACTS", Path(__file__).resolve().parents[2] / "test-artifacts")
)


def screenshot(page, name: str) -> None:
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"{name}.png"), full_page=True)


def sign_in(page, username: str, password: str = "a-long-test-password") -> None:
    page.goto("/accounts/login/")
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Sign in").click()


def sign_in_with_code(page, user) -> None:
    """Sign in, then pass the second factor with the user's current TOTP code."""
    from playwright.sync_api import expect

    from tests.support.otp import current_code, totp_device_for

    device = totp_device_for(user)
    sign_in(page, user.username)
    expect(page.get_by_role("heading", name="Enter your code")).to_be_visible()
    page.get_by_label("Code").fill(current_code(device))
    page.get_by_role("button", name="Verify").click()
