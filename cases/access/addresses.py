"""Addresses: the client's, as the throttle, the sign-in lockout and the audit trail see
it, and whether an address we are asked to call is public.

Behind a reverse proxy REMOTE_ADDR is the proxy. X-Forwarded-For is believed only when the
request comes from a proxy in REUNITE_TRUSTED_PROXIES, and then only up to the first address
that is not a trusted proxy (read from the right: anything further left the client wrote).
"""

from __future__ import annotations

import ipaddress
from functools import lru_cache
from typing import Any

from django.conf import settings


@lru_cache(maxsize=8)
def _networks(
    proxies: tuple[str, ...],
) -> tuple[ipaddress.IPv4Network | ipaddress.IPv6Network, ...]:
    return tuple(ipaddress.ip_network(p.strip(), strict=False) for p in proxies if p.strip())


def _trusted(address: str) -> bool:
    try:
        ip = ipaddress.ip_address(address.strip())
    except ValueError:
        return False
    return any(ip in network for network in _networks(tuple(settings.TRUSTED_PROXIES)))


def client_address(request: Any) -> str | None:
    """The address of whoever sent the request (for axes, `AXES_CLIENT_IP_CALLABLE`)."""
    meta = getattr(request, "META", {})
    remote = meta.get("REMOTE_ADDR")
    forwarded = meta.get("HTTP_X_FORWARDED_FOR", "")
    if not remote or not forwarded or not _trusted(remote):
        return remote
    for hop in reversed([h.strip() for h in forwarded.split(",") if h.strip()]):
        if not _trusted(hop):
            try:
                return str(ipaddress.ip_address(hop))
            except ValueError:
                return remote  # garbage from the client: fall back to the proxy
    return remote


# IPv6 forms that carry an IPv4 address, which a gateway or the host's own stack turns back
# into IPv4: Python calls several of them global, whatever the IPv4 address inside is.
IPV6_TRANSITION_NETWORKS = tuple(
    ipaddress.ip_network(n)
    for n in (
        "64:ff9b::/96",  # NAT64, well-known prefix (RFC 6052)
        "64:ff9b:1::/48",  # NAT64, local-use prefix (RFC 8215)
        "2002::/16",  # 6to4 (RFC 3056)
        "::ffff:0:0/96",  # IPv4-mapped
        "::/96",  # IPv4-compatible (deprecated)
        "2001::/32",  # Teredo (RFC 4380)
    )
)


def address_public(address: str) -> bool:
    """Whether `address` is a public unicast address that is not an IPv6 transition form.

    Webhooks call only such addresses, so a partner cannot make us call our own network.
    """
    try:
        ip = ipaddress.ip_address(address.split("%", 1)[0])
    except ValueError:
        return False
    if ip.version == 6 and any(ip in network for network in IPV6_TRANSITION_NETWORKS):
        return False
    return ip.is_global and not ip.is_multicast
