"""The published schema, read from a live server as a partner's developer would."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import requests


@pytest.fixture
def live_schema(live_server, tmp_path: Path) -> Path:
    response = requests.get(f"{live_server.url}/api/schema/?format=json", timeout=30)
    response.raise_for_status()
    path = tmp_path / "openapi.json"
    path.write_text(json.dumps(response.json()))
    return path
