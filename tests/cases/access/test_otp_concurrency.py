"""Concurrent second-factor guesses cannot outrun django-otp's failure counter (issue 23)."""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor
from types import SimpleNamespace

import pytest
from django.db import connection
from django_otp.plugins.otp_totp import models as totp_models
from django_otp.plugins.otp_totp.models import TOTPDevice

from cases.access.otp import totp_verify
from tests.support.otp import current_code, totp_device_for

pytestmark = pytest.mark.django_db(transaction=True)

GUESSES = 40


def test_40_concurrent_wrong_codes_check_no_more_codes_than_the_counter_records(
    reviewer, monkeypatch
):
    device = totp_device_for(reviewer)
    wrong = f"{(int(current_code(device)) + 1) % 1_000_000:06d}"
    checked = 0
    counted = threading.Lock()
    real_verify = totp_models.TOTP.verify

    def counting_verify(self, *args, **kwargs):
        nonlocal checked
        with counted:
            checked += 1
        return real_verify(self, *args, **kwargs)

    monkeypatch.setattr(totp_models.TOTP, "verify", counting_verify)
    start = threading.Barrier(GUESSES)

    def guess(_: int) -> bool:
        try:
            # Each guess is its own request: its own copy of the device, read before the others.
            mine = TOTPDevice.objects.get(pk=device.pk)
            start.wait(timeout=30)
            return totp_verify(request=SimpleNamespace(user=reviewer), device=mine, token=wrong)
        finally:
            connection.close()

    with ThreadPoolExecutor(max_workers=GUESSES) as pool:
        results = list(pool.map(guess, range(GUESSES)))

    device.refresh_from_db()
    assert not any(results)
    assert checked >= 1
    # Every code checked is a failure counted: the lock serialises read, check and write.
    assert checked == device.throttling_failure_count
    # After the first failure django-otp refuses codes for 1, 2, 4, ... seconds.
    assert checked <= 3
