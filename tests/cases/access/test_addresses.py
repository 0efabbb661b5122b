"""Only a trusted proxy's X-Forwarded-For is believed (throttle, sign-in lockout, audit), and
webhooks call only public addresses, never an IPv6 form of an IPv4 one."""

from __future__ import annotations

import pytest
from django.test import RequestFactory

from cases.access.addresses import address_public, client_address
from cases.partners.webhooks import webhook_url_check
from reunite.kernel.errors import InvalidInput as ValidationError


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


@pytest.mark.parametrize(
    "address",
    [
        "64:ff9b::7f00:1",  # NAT64 of 127.0.0.1
        "64:ff9b::a00:1",  # NAT64 of 10.0.0.1
        "64:ff9b::808:808",  # NAT64 of a public address: still a way around the check
        "64:ff9b:1::7f00:1",  # NAT64, local-use prefix
        "2002:7f00:1::1",  # 6to4 of 127.0.0.1
        "2002:808:808::1",  # 6to4 of a public address
        "::ffff:127.0.0.1",  # IPv4-mapped
        "::ffff:8.8.8.8",
        "2001:0:4136:e378:8000:63bf:3fff:fdd2",  # Teredo
        "::1",
        "fe80::1%eth0",
        "10.1.2.3",
        "169.254.169.254",
        "not an address",
    ],
)
def test_transition_forms_and_private_addresses_are_not_public(address):
    assert not address_public(address)


@pytest.mark.parametrize("address", ["8.8.8.8", "2001:4860:4860::8888", "2606:4700::1111"])
def test_public_addresses_are_public(address):
    assert address_public(address)


@pytest.mark.parametrize(
    "url",
    [
        "https://[64:ff9b::7f00:1]/",
        "https://[64:ff9b:1::a00:1]/hook",
        "https://[2002:7f00:1::1]/",
        "https://[::ffff:127.0.0.1]/",
        "https://[2001:0:4136:e378:8000:63bf:3fff:fdd2]/",
    ],
)
def test_a_webhook_url_in_an_ipv6_transition_form_is_refused(settings, url):
    settings.WEBHOOK_ALLOW_PRIVATE_URLS = False
    with pytest.raises(ValidationError, match="private or local"):
        webhook_url_check(url=url)
