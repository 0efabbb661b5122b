# Every audit row carries a MAC over its own content, made at insert time with
# REUNITE_AUDIT_CHAIN_KEY (cases/audit/trail.py), so a row inserted in SQL is never sealed.
#
# Rows already in the database (docs/safeguards.md, "Upgrading"):
# - sealed rows keep no MAC; their keyed chain links still cover them, and they may only form
#   the start of the chain;
# - rows still waiting for their seal were written by the code before this migration: they
#   get their MAC here, as the old seal would have sealed them a minute later;
# - the chain's head at this moment is written as a signed checkpoint, so everything sealed
#   before the upgrade is compared by every later `audit_verify`.
# The MAC and checkpoint formats are copied from cases/audit/ as they are now (a migration
# never imports app code); they must stay byte-for-byte the same as those.

import datetime as dt
import hashlib
import hmac
import ipaddress
import json
import os
import secrets

from django.conf import settings
from django.db import migrations, models
from django.utils import timezone


def _key(purpose):
    if settings.AUDIT_CHAIN_KEY:
        master = settings.AUDIT_CHAIN_KEY.encode()
    else:
        master = hashlib.sha256(f"reunite-audit-chain|{settings.SECRET_KEY}".encode()).digest()
    return hmac.new(master, f"reunite-audit|{purpose}".encode(), hashlib.sha256).digest()


def _canonical(value):
    return json.dumps(value, sort_keys=True, separators=(",", ":"), default=str).encode()


def _row_mac(event):
    content = {
        "nonce": event.nonce,
        "created_at": event.created_at.astimezone(dt.UTC).isoformat(),
        "actor_id": event.actor_id,
        "actor_label": event.actor_label,
        "organisation_id": event.organisation_id,
        "action": event.action,
        "object_type": event.object_type,
        "object_id": event.object_id,
        "ip_address": str(ipaddress.ip_address(event.ip_address)) if event.ip_address else None,
        "data": event.data,
    }
    return hmac.new(_key("row"), _canonical(content), hashlib.sha256).hexdigest()


def _checkpoint_write(count, head):
    path = settings.AUDIT_CHECKPOINT_FILE
    if not path:
        return
    at = timezone.now().isoformat()
    mac = hmac.new(_key("checkpoint"), f"{count}|{head}|{at}".encode(), hashlib.sha256).hexdigest()
    data = (json.dumps({"count": count, "hash": head, "at": at, "mac": mac}) + "\n").encode()
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "a+b") as handle:
        if handle.seek(0, os.SEEK_END):
            handle.seek(-1, os.SEEK_END)
            if handle.read(1) != b"\n":
                data = b"\n" + data
        handle.write(data)
        handle.flush()
        os.fsync(handle.fileno())


def forward(apps, schema_editor):
    AuditEvent = apps.get_model("cases", "AuditEvent")
    for event in AuditEvent.objects.filter(sequence__isnull=True, mac__isnull=True).iterator():
        event.nonce = secrets.token_hex(16)
        event.mac = _row_mac(event)
        event.save(update_fields=["nonce", "mac"])
    head = (
        AuditEvent.objects.filter(sequence__isnull=False)
        .order_by("-sequence")
        .values_list("sequence", "hash")
        .first()
    )
    if head is not None:
        _checkpoint_write(*head)


class Migration(migrations.Migration):
    dependencies = [
        ("cases", "0011_notification_email"),
    ]

    operations = [
        migrations.AddField(
            model_name="auditevent",
            name="mac",
            field=models.CharField(blank=True, max_length=64, null=True, unique=True),
        ),
        migrations.AddField(
            model_name="auditevent",
            name="nonce",
            field=models.CharField(blank=True, default="", max_length=32),
        ),
        migrations.RunPython(forward, migrations.RunPython.noop),
    ]
