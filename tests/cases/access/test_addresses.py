"""Only a trusted proxy's X-Forwarded-For is believed (throttle, sign-in lockout, audit)."""

from __future__ import annotations

import pytest
from django.test import RequestFactory

from cases.access.addresses import client_address


@pytest.mark.parametrize(
    ("proxies", "remote", "forwarded", "expected"),
    [
        ([], "203.0.113.7", "198.51.100.1", "203.0.113.7"),  # no proxy trusted: XFF ignored
        (["10.0.0.5"], "203.0.113.7", "198.51.100.1", "203.0.113.7"),  # not from the proxy
        (["10.0.0.5"], "10.0.0.5", "198.51.100.1", "198.51.100.1"),
        # The client wrote the left part; the proxy appended the real address.
        (["10.0.0.0/8"], "10.0.0.5", "1.2.3.4, 198.51.100.1, 10.0.0.9", "198.51.100.1"),
        (["10.0.0.5"], "10.0.0.5", "not-an-address", "10.0.0.5"),
    ],
)
def test_client_address(settings, proxies, remote, forwarded, expected):
    settings.TRUSTED_PROXIES = proxies
    request = RequestFactory().get("/", REMOTE_ADDR=remote, HTTP_X_FORWARDED_FOR=forwarded)
    assert client_address(request) == expected


def test_the_throttle_counts_the_real_client_behind_a_trusted_proxy(settings):
    from cases.access.throttling import ApiClientRateThrottle

    settings.TRUSTED_PROXIES = ["10.0.0.5"]
    request = RequestFactory().get("/", REMOTE_ADDR="10.0.0.5", HTTP_X_FORWARDED_FOR="198.51.100.1")
    assert ApiClientRateThrottle().get_ident(request) == "198.51.100.1"
    settings.TRUSTED_PROXIES = []
    assert ApiClientRateThrottle().get_ident(request) == "10.0.0.5"
