"""docs/examples/partner_client.py, the example in docs/partner-api.md, really works."""

import importlib.util
import time
from pathlib import Path

import pytest

from cases.access.apikeys import apikey_create
from cases.models import FoundReport
from cases.partners.webhooks import signature_make

pytestmark = pytest.mark.django_db(transaction=True)

EXAMPLE = Path(__file__).resolve().parents[3] / "docs" / "examples" / "partner_client.py"


def _example():
    spec = importlib.util.spec_from_file_location("partner_client", EXAMPLE)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_the_documented_client_files_a_report_and_a_retry_does_not_duplicate(
    live_server, partner, same_person_pair
):
    example = _example()
    _, key = apikey_create(user=partner, created_by=None)
    client = example.ReuniteClient(live_server.url, key)
    fields = {
        "external_ref": "HS-2025-0042",
        "found_on": "2025-06-01",
        "found_place": "Riverside shelter",
        "estimated_age_min": 7,
        "estimated_age_max": 11,
    }
    report = client.file_report(fields, [same_person_pair[0]])
    again = client.file_report(fields, [same_person_pair[0]])
    assert again["id"] == report["id"]
    assert FoundReport.objects.count() == 1
    state = client.report(report["id"])
    assert state["photos"][0]["status"] == "ready"
    assert state["outcome"]["state"] == "no_match_so_far"


def test_the_documented_webhook_check_accepts_our_signature_only():
    example = _example()
    body = b'{"type":"report.outcome_changed"}'
    header = signature_make(secret="whsec_x", timestamp=int(time.time()), body=body)
    assert example.webhook_verify(secret="whsec_x", signature_header=header, body=body)
    assert not example.webhook_verify(secret="whsec_y", signature_header=header, body=body)
