"""The audit trail's keys: one secret outside the database, one derived key per use."""

from __future__ import annotations

import hashlib
import hmac

from django.conf import settings


def audit_key() -> bytes:
    """The secret the chain's links are keyed with (`REUNITE_AUDIT_CHAIN_KEY`).

    Never stored in the database: whoever can write SQL but does not hold it cannot make a
    record, a link or a checkpoint that verifies.
    """
    if settings.AUDIT_CHAIN_KEY:
        return settings.AUDIT_CHAIN_KEY.encode()
    return hashlib.sha256(f"reunite-audit-chain|{settings.SECRET_KEY}".encode()).digest()


def audit_key_for(*, purpose: str) -> bytes:
    """A key for one use only (`row`, `checkpoint`), so a MAC made for one is no use for another."""
    return hmac.new(audit_key(), f"reunite-audit|{purpose}".encode(), hashlib.sha256).digest()
