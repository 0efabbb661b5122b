"""A strict Content-Security-Policy on every page (issue 23, point 5): scripts and styles only
from our static files, or by the response's nonce; no inline script or style attribute left
in a template. tests/browser/ fails any page whose script or style the policy blocks."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from django.conf import settings

from tests.support.otp import force_login_verified

pytestmark = pytest.mark.django_db

TEMPLATES = Path(settings.BASE_DIR) / "templates"
# E-mails are read in mail clients, never under our header.
NOT_SERVED = ("emails/",)


def _policy(response) -> dict[str, list[str]]:
    header = response["Content-Security-Policy"]
    return {
        name: values
        for name, *values in (part.split() for part in header.split(";") if part.strip())
    }


def test_a_portal_page_gets_the_strict_policy(client, caseworker):
    client.force_login(caseworker)
    policy = _policy(client.get("/cases/"))
    assert policy["default-src"] == ["'self'"]
    assert policy["script-src"] == ["'self'"]  # no nonce on a page with no inline block
    assert policy["style-src"] == ["'self'"]
    assert policy["object-src"] == ["'none'"] and policy["base-uri"] == ["'none'"]
    assert policy["frame-ancestors"] == ["'none'"] and policy["form-action"] == ["'self'"]
    header = client.get("/cases/")["Content-Security-Policy"]
    assert "unsafe-inline" not in header and "unsafe-eval" not in header


def test_the_sign_in_and_error_pages_carry_it_too(client):
    for response in (client.get("/accounts/login/"), client.get("/no-such-page/")):
        assert "script-src 'self'" in response["Content-Security-Policy"]


def test_the_face_pickers_boxes_come_in_a_style_block_with_the_responses_nonce(
    client, caseworker, group_photo
):
    from cases.models import Photo
    from cases.records.services import PhotoUpload, case_create
    from tests.support.data import CASE_FIELDS

    case = case_create(
        user=caseworker, photos=[PhotoUpload(data=group_photo.read_bytes())], **CASE_FIELDS
    )
    photo = Photo.objects.get(case=case)
    client.force_login(caseworker)
    response = client.get(f"/photos/{photo.pk}/select-face/")
    assert response.status_code == 200
    (nonce,) = re.findall(r"<style nonce=\"([^\"]+)\">", response.content.decode())
    assert _policy(response)["style-src"] == ["'self'", f"'nonce-{nonce}'"]
    assert ' style="' not in response.content.decode()


def test_the_api_docs_start_swagger_ui_by_nonce_and_allow_its_data_icons(client):
    response = client.get("/api/docs/")
    assert response.status_code == 200
    (nonce,) = re.findall(r"<script nonce=\"([^\"]+)\">", response.content.decode())
    policy = _policy(response)
    assert f"'nonce-{nonce}'" in policy["script-src"]
    assert "data:" in policy["img-src"]
    assert "'unsafe-inline'" not in response["Content-Security-Policy"]


def test_no_portal_template_has_an_inline_script_a_style_attribute_or_a_handler():
    inline_script = re.compile(r"<script(?![^>]*\bsrc=)(?![^>]*\bnonce=)[^>]*>", re.I)
    style_attribute = re.compile(r"\sstyle\s*=", re.I)
    handler = re.compile(r"\son[a-z]+\s*=\s*[\"']", re.I)
    found = []
    for path in sorted(TEMPLATES.rglob("*.html")):
        name = path.relative_to(TEMPLATES).as_posix()
        if name.startswith(NOT_SERVED):
            continue
        text = path.read_text(encoding="utf-8")
        for what, pattern in (
            ("inline script", inline_script),
            ("style attribute", style_attribute),
            ("event handler attribute", handler),
        ):
            if pattern.search(text):
                found.append(f"{name}: {what}")
    assert not found, found


def test_a_reviewer_page_with_crops_has_the_same_policy(client, reviewer):
    force_login_verified(client, reviewer)
    assert _policy(client.get("/review/"))["script-src"] == ["'self'"]
