"""A minimal Reunite partner client: file a found report safely, read its state, verify a
webhook. Uses only `requests`. tests/cases/api/test_partner_client.py runs it against a live server.
"""

from __future__ import annotations

import hashlib
import hmac
import time
import uuid
from pathlib import Path

import requests


class ReuniteClient:
    def __init__(self, base_url: str, key: str, timeout: float = 30.0) -> None:
        self.base_url = base_url.rstrip("/")
        self.session = requests.Session()
        self.session.headers["Authorization"] = f"Token {key}"
        self.timeout = timeout

    def file_report(self, fields: dict, photos: list[Path], attempts: int = 5) -> dict:
        """File a found report; safe to call again after any failure (it never duplicates).

        One Idempotency-Key for every attempt of this report, plus its external_ref: a retry
        after a timeout gets the report the first attempt created (HTTP 200, same body).
        """
        key = str(uuid.uuid4())
        for attempt in range(attempts):
            files = [("photos", (p.name, p.read_bytes(), "image/jpeg")) for p in photos]
            try:
                response = self.session.post(
                    f"{self.base_url}/api/v1/found-reports/",
                    data=fields,
                    files=files,
                    headers={"Idempotency-Key": key},
                    timeout=self.timeout,
                )
            except requests.ConnectionError:
                time.sleep(2**attempt)
                continue
            if response.status_code == 429 or response.status_code >= 500:
                time.sleep(int(response.headers.get("Retry-After", 2**attempt)))
                continue
            if response.status_code >= 400:
                problem = response.json()  # RFC 9457: type, title, status, detail, errors
                raise ValueError(f"{problem['code']}: {problem['detail']} {problem.get('errors')}")
            return response.json()
        raise RuntimeError("Reunite did not answer; try again later with the same external_ref.")

    def report(self, report_id: int) -> dict:
        response = self.session.get(
            f"{self.base_url}/api/v1/found-reports/{report_id}/", timeout=self.timeout
        )
        response.raise_for_status()
        return response.json()


def webhook_verify(
    *, secret: str, signature_header: str, body: bytes, tolerance: int = 300
) -> bool:
    """Check a Reunite-Signature header ("t=<unix time>,v1=<hex HMAC-SHA256>") on raw body."""
    try:
        parts = dict(item.split("=", 1) for item in signature_header.split(","))
        timestamp = int(parts["t"])
    except (KeyError, ValueError):
        return False
    if abs(time.time() - timestamp) > tolerance:  # an old signature: a replay
        return False
    expected = hmac.new(secret.encode(), f"{timestamp}.".encode() + body, hashlib.sha256)
    return hmac.compare_digest(expected.hexdigest(), parts.get("v1", ""))
