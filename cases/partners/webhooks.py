"""Telling a filing organisation, over HTTP, that a report's coarse outcome changed.

Each event is stored as a WebhookDelivery (the delivery log) before it is sent, so nothing is
lost. The body is signed with HMAC-SHA256 over "<timestamp>.<body>" with the endpoint's
secret; receivers refuse signatures older than the replay window. Failed deliveries are
retried with exponential backoff by a periodic sweep, up to WEBHOOK_MAX_ATTEMPTS.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import json
import secrets
import socket
import time
from urllib.parse import urlsplit

import requests
from django.conf import settings
from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from cases.access.addresses import address_public
from cases.access.permissions import Action, action_require
from cases.audit.trail import audit_record
from cases.models import FoundReport, ReportOutcome, User, WebhookDelivery, WebhookEndpoint
from cases.partners.outcomes import (
    Outcome,
    outcome_contact,
    report_outcome,
    reports_with_outcome,
)
from cases.partners.tasks import webhook_deliver_task
from cases.records.storage import secret_decrypt, secret_encrypt
from reunite.kernel.errors import InvalidInput, model_validate

SIGNATURE_HEADER = "Reunite-Signature"
EVENT_OUTCOME_CHANGED = "report.outcome_changed"
# A delivery being attempted is leased this long, so two sweeps never send it twice at once.
ATTEMPT_LEASE = dt.timedelta(minutes=2)


def signature_make(*, secret: str, timestamp: int, body: bytes) -> str:
    mac = hmac.new(secret.encode(), f"{timestamp}.".encode() + body, hashlib.sha256)
    return f"t={timestamp},v1={mac.hexdigest()}"


def signature_verify(
    *, secret: str, header: str, body: bytes, tolerance: int = 300, now: float | None = None
) -> bool:
    """True when `header` signs `body` with `secret` and is at most `tolerance` seconds old."""
    try:
        parts = dict(item.split("=", 1) for item in header.split(","))
        timestamp = int(parts["t"])
    except (KeyError, ValueError):
        return False
    if abs((now if now is not None else time.time()) - timestamp) > tolerance:
        return False
    expected = signature_make(secret=secret, timestamp=timestamp, body=body).split("v1=", 1)[1]
    return hmac.compare_digest(expected, parts.get("v1", ""))


def webhook_url_check(*, url: str) -> None:
    """Refuse URLs we must not call: not HTTPS, or pointing into a private network.

    WEBHOOK_ALLOW_PRIVATE_URLS (development and tests only) allows http and local addresses.
    """
    parts = urlsplit(url)
    allow_private = settings.WEBHOOK_ALLOW_PRIVATE_URLS
    if parts.scheme not in (("http", "https") if allow_private else ("https",)):
        raise InvalidInput({"url": _("Use an https:// URL.")})
    if not parts.hostname:
        raise InvalidInput({"url": _("The URL has no host.")})
    if allow_private:
        return
    try:
        infos = socket.getaddrinfo(parts.hostname, parts.port or 443, proto=socket.IPPROTO_TCP)
    except (socket.gaierror, UnicodeError) as exc:
        raise InvalidInput({"url": _("The host name does not resolve.")}) from exc
    for info in infos:
        if not address_public(str(info[4][0])):
            raise InvalidInput({"url": _("The URL points to a private or local address.")})


@transaction.atomic
def webhook_endpoint_create(*, user: User, url: str) -> tuple[WebhookEndpoint, str]:
    """Register a URL for the user's organisation. Returns it and its secret (shown once)."""
    action_require(user=user, action=Action.WEBHOOK_MANAGE)
    webhook_url_check(url=url)
    secret = f"whsec_{secrets.token_urlsafe(32)}"
    endpoint = WebhookEndpoint(
        organisation=user.organisation,
        url=url,
        secret=secret_encrypt(text=secret),
        created_by=user,
    )
    model_validate(endpoint)
    endpoint.save()
    audit_record(actor=user, action="webhook.created", obj=endpoint, data={"url": url})
    return endpoint, secret


@transaction.atomic
def webhook_endpoint_disable(*, user: User, endpoint: WebhookEndpoint) -> WebhookEndpoint:
    action_require(user=user, action=Action.WEBHOOK_MANAGE)
    if endpoint.disabled_at is None:
        endpoint.disabled_at = timezone.now()
        endpoint.save(update_fields=["disabled_at"])
        audit_record(actor=user, action="webhook.disabled", obj=endpoint)
    return endpoint


def _deliver_enqueue(delivery_id: int) -> None:
    # robust: the delivery row is stored; the retry sweep sends it if the broker is down.
    transaction.on_commit(lambda: webhook_deliver_task.delay(delivery_id), robust=True)


@transaction.atomic
def report_outcome_notify(*, report_id: int) -> bool:
    """Work out the report's outcome; if it changed since last told, queue a webhook event
    to each of its organisation's endpoints. Returns True when it changed. Idempotent.
    """
    report = (
        reports_with_outcome(FoundReport.objects.select_for_update().filter(pk=report_id))
        .select_related("organisation")
        .first()
    )
    if report is None or report.status != FoundReport.Status.ACTIVE:
        return False
    outcome = report_outcome(report=report)
    told = ReportOutcome.objects.filter(found_report=report).first()
    previous = told.outcome if told else Outcome.NO_MATCH_SO_FAR.value
    if outcome.state.value == previous:
        return False
    now = timezone.now()
    ReportOutcome.objects.update_or_create(
        found_report=report, defaults={"outcome": outcome.state.value, "changed_at": now}
    )
    contact = outcome_contact(outcome)
    data = {
        "report_id": report.pk,
        "reference": report.reference,
        "external_ref": report.external_ref,
        "outcome": {
            "state": outcome.state.value,
            "contact": contact,
            "decided_by": outcome.decided_by.value if outcome.decided_by else None,
        },
        "previous_state": previous,
    }
    endpoints = list(report.organisation.webhook_endpoints.filter(disabled_at__isnull=True))
    if endpoints:
        # Audited only when it leaves Reunite; the outcome itself is derived, not an action.
        audit_record(
            actor=None,
            action="report.outcome_sent",
            obj=report,
            organisation=report.organisation,
            data={"from": previous, "to": outcome.state.value, "endpoints": len(endpoints)},
        )
    for endpoint in endpoints:
        delivery = WebhookDelivery.objects.create(
            endpoint=endpoint, event_type=EVENT_OUTCOME_CHANGED, payload={}
        )
        delivery.payload = {
            "id": str(delivery.event_id),
            "type": EVENT_OUTCOME_CHANGED,
            "created_at": now.isoformat(),
            "data": data,
        }
        delivery.save(update_fields=["payload"])
        _deliver_enqueue(delivery.pk)
    return True


def _backoff(attempts: int) -> dt.timedelta:
    return dt.timedelta(
        seconds=min(settings.WEBHOOK_RETRY_BASE_SECONDS * 2 ** (attempts - 1), 6 * 3600)
    )


def webhook_delivery_attempt(*, delivery_id: int) -> str:
    """Try to deliver one event, if it is due. Records the attempt; returns the new status.

    The HTTP call happens outside any transaction; a lease keeps two workers from sending
    the same delivery at once.
    """
    now = timezone.now()
    due = Q(next_attempt_at__isnull=True) | Q(next_attempt_at__lte=now)
    claimed = (
        WebhookDelivery.objects.filter(pk=delivery_id, status=WebhookDelivery.Status.PENDING)
        .filter(due)
        .update(next_attempt_at=now + ATTEMPT_LEASE)
    )
    delivery = WebhookDelivery.objects.select_related("endpoint").filter(pk=delivery_id).first()
    if delivery is None:
        return "gone"
    if not claimed:
        return delivery.status
    endpoint = delivery.endpoint
    body = json.dumps(delivery.payload, sort_keys=True, separators=(",", ":")).encode()
    timestamp = int(time.time())
    status_code, error = None, ""
    if endpoint.disabled_at is not None:
        error = "Endpoint disabled."
    else:
        try:
            webhook_url_check(url=endpoint.url)
            response = requests.post(
                endpoint.url,
                data=body,
                headers={
                    "Content-Type": "application/json",
                    "User-Agent": "Reunite-Webhooks/1",
                    "Reunite-Event-Id": str(delivery.event_id),
                    "Reunite-Event-Type": delivery.event_type,
                    SIGNATURE_HEADER: signature_make(
                        secret=secret_decrypt(token=endpoint.secret),
                        timestamp=timestamp,
                        body=body,
                    ),
                },
                timeout=settings.WEBHOOK_TIMEOUT_SECONDS,
                allow_redirects=False,
            )
            status_code = response.status_code
            if not 200 <= status_code < 300:
                error = f"HTTP {status_code}"
        except InvalidInput as exc:
            error = "; ".join(exc.messages)[:300]
        except requests.RequestException as exc:
            error = f"{type(exc).__name__}: {exc}"[:300]

    attempts = delivery.attempts + 1
    done = at = timezone.now()
    if not error:
        fields = {
            "status": WebhookDelivery.Status.DELIVERED,
            "delivered_at": done,
            "next_attempt_at": None,
        }
    elif attempts >= settings.WEBHOOK_MAX_ATTEMPTS or endpoint.disabled_at is not None:
        fields = {"status": WebhookDelivery.Status.FAILED, "next_attempt_at": None}
    else:
        fields = {"next_attempt_at": at + _backoff(attempts)}
    WebhookDelivery.objects.filter(pk=delivery.pk).update(
        attempts=attempts,
        last_attempt_at=at,
        last_status_code=status_code,
        last_error=error,
        **fields,
    )
    return str(fields.get("status", WebhookDelivery.Status.PENDING))


def webhook_deliveries_due(*, limit: int = 500) -> list[int]:
    """Ids of pending deliveries whose next attempt is due (for the periodic sweep)."""
    now = timezone.now()
    return list(
        WebhookDelivery.objects.filter(status=WebhookDelivery.Status.PENDING)
        .filter(Q(next_attempt_at__isnull=True) | Q(next_attempt_at__lte=now))
        .order_by("next_attempt_at", "id")
        .values_list("pk", flat=True)[:limit]
    )
