"""A partner generates a Python client from the live schema and runs the quick start with it.

openapi-python-client (pinned in requirements-dev.txt) reads /api/schema/ from a live
server; the generated package files a report with a photo, reads its state and lists
reports, as docs/partner-api.md shows.
"""

from __future__ import annotations

import importlib
import io
import json
import os
import re
import subprocess
import sys
import uuid
from pathlib import Path

import pytest

from cases.access.apikeys import apikey_create
from cases.models import FoundReport
from tests.factories import FoundReportFactory
from tests.support.data import textured_photo

pytestmark = pytest.mark.django_db(transaction=True)

GENERATOR = Path(sys.executable).parent / "openapi-python-client"
PACKAGE = "reunite_client"
PHOTO = {
    "id": 1,
    "rejection_code": "",
    "rejection_reason": "",
    "width": 640,
    "height": 480,
    "taken_on": None,
    "age_in_photo": None,
    "created_at": "2026-01-01T00:00:00Z",
    "faces": [],
}


def _generate(schema: Path, out: Path) -> None:
    if not GENERATOR.exists():
        pytest.fail(
            f"{GENERATOR} is missing: install the dev requirements "
            "(pip install -r requirements-dev.txt)."
        )
    config = out / "config.yml"
    config.write_text(f"package_name_override: {PACKAGE}\nproject_name_override: reunite-client\n")
    # Its post-generation hooks run ruff, which sits next to the generator.
    env = {**os.environ, "PATH": f"{GENERATOR.parent}{os.pathsep}{os.environ.get('PATH', '')}"}
    result = subprocess.run(
        [
            str(GENERATOR),
            "generate",
            "--path",
            str(schema),
            "--config",
            str(config),
            "--meta",
            "none",
            "--output-path",
            str(out / PACKAGE),
        ],
        capture_output=True,
        text=True,
        timeout=300,
        env=env,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    # A warning means an operation or a model was left out of the client. PFIF's two
    # endpoints speak XML (an interchange format, see docs/pfif.md), which JSON clients skip.
    output = result.stdout + result.stderr
    skipped = re.findall(r"WARNING parsing \w+ (\S+)", output)
    assert all("/pfif/" in path for path in skipped), output


@pytest.fixture
def generated(live_schema: Path, tmp_path: Path):
    out = tmp_path / "client"
    out.mkdir()
    _generate(live_schema, out)
    sys.path.insert(0, str(out))
    try:
        yield importlib.import_module(PACKAGE)
    finally:
        sys.path.remove(str(out))
        for name in [n for n in sys.modules if n == PACKAGE or n.startswith(f"{PACKAGE}.")]:
            del sys.modules[name]


def test_the_generated_python_client_runs_the_partner_quick_start(generated, live_server, partner):
    from reunite_client import AuthenticatedClient
    from reunite_client.api.found_reports import (
        found_reports_create,
        found_reports_list,
        found_reports_retrieve,
    )
    from reunite_client.models import ReportInputRequest
    from reunite_client.types import File

    _, key = apikey_create(user=partner, created_by=None)
    client = AuthenticatedClient(base_url=live_server.url, token=key, prefix="Token")
    photo = textured_photo(seed=7)

    def file_report(idempotency_key: str):
        body = ReportInputRequest.from_dict(
            {
                "external_ref": "HS-2025-0042",
                "found_on": "2025-06-01",
                "found_place": "Riverside shelter",
                "estimated_age_min": 7,
                "estimated_age_max": 11,
                "sex": "female",
            }
        )
        body.photos = [
            File(payload=io.BytesIO(photo), file_name="child.png", mime_type="image/png")
        ]
        return found_reports_create.sync_detailed(
            client=client, body=body, idempotency_key=idempotency_key
        )

    # 1. File a report with a photo.
    idempotency_key = str(uuid.uuid4())
    created = file_report(idempotency_key)
    assert created.status_code == 201, created.content
    report = created.parsed
    assert report.reference.startswith("F-") and len(report.photos) == 1
    # A retry is answered with the same report, never a second one.
    again = file_report(idempotency_key)
    assert again.status_code == 200 and again.parsed.id == report.id
    assert FoundReport.objects.count() == 1

    # 2. Read its state.
    state = found_reports_retrieve.sync(client=client, report_id=report.id)
    assert state.photos[0].status.value == "ready"
    assert state.processing_state.value == "complete"
    assert state.outcome.state.value == "no_match_so_far"

    # 3. List reports.
    listed = found_reports_list.sync(client=client)
    assert [r.id for r in listed] == [report.id]


def test_a_client_generated_today_parses_values_added_later_in_v1(generated, live_server, partner):
    from reunite_client import AuthenticatedClient
    from reunite_client.api.found_reports import found_reports_retrieve
    from reunite_client.models import ReportOutput
    from reunite_client.models.photo_output_status_enum import PhotoOutputStatusEnum

    _, key = apikey_create(user=partner, created_by=None)
    report = FoundReportFactory(created_by=partner)
    client = AuthenticatedClient(base_url=live_server.url, token=key, prefix="Token")
    answer = found_reports_retrieve.sync_detailed(client=client, report_id=report.pk)
    assert answer.status_code == 200, answer.content
    body = json.loads(answer.content)
    body["photos"] = [
        {**PHOTO, "status": "quarantined"},
        {**PHOTO, "id": 2, "status": "ready"},
    ]
    body["processing_state"] = "waiting_for_consent"
    body["outcome"]["state"] = "transferred_to_another_agency"
    body["outcome"]["decided_by"] = "three_reviewers"

    parsed = ReportOutput.from_dict(body)

    # Values v1 adds come through as plain strings; known ones are still the enum.
    assert parsed.processing_state == "waiting_for_consent"
    assert parsed.outcome.state == "transferred_to_another_agency"
    assert parsed.outcome.decided_by == "three_reviewers"
    assert [p.status for p in parsed.photos] == ["quarantined", PhotoOutputStatusEnum.READY]


def test_fields_always_sent_are_never_unset_in_the_generated_client(generated):
    from reunite_client.models import CaseOutput, OutcomeOutput, PhotoOutput, ReportOutput

    for model in (CaseOutput, OutcomeOutput, PhotoOutput, ReportOutput):
        # The generated models' annotations are strings (`str | Unset` for optional fields).
        unset = [name for name, hint in model.__annotations__.items() if "Unset" in str(hint)]
        assert unset == [], (model.__name__, unset)
