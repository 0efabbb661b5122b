"""Every dependency failure is a 503 with Retry-After, in the API and the portal alike
(issue 23, point 4): photo storage full, read-only or refusing, and the database down.
"""

from __future__ import annotations

import errno

import pytest
from django.core.files.storage import FileSystemStorage
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import OperationalError

from cases.models import MissingCase, Photo
from tests.factories import MissingCaseFactory
from tests.support.data import CASE_FORM, textured_photo

pytestmark = pytest.mark.django_db

STORAGE_FAULTS = {
    "disk full": errno.ENOSPC,
    "read-only": errno.EROFS,
    "permission refused": errno.EACCES,
}


@pytest.fixture(params=sorted(STORAGE_FAULTS))
def broken_storage(request, monkeypatch):
    """The local photo folder fails every write, as a full or read-only disk does."""
    code = STORAGE_FAULTS[request.param]

    def refuse(self, name, content):  # type: ignore[no-untyped-def]
        raise OSError(code, f"{errno.errorcode[code]}: {name}")

    monkeypatch.setattr(FileSystemStorage, "_save", refuse)
    return code


def _photo(seed: int = 1) -> SimpleUploadedFile:
    return SimpleUploadedFile(f"{seed}.png", textured_photo(seed=seed), "image/png")


def test_an_api_upload_to_broken_storage_is_a_503_problem(api_for, caseworker, broken_storage):
    response = api_for(caseworker).post(
        "/api/v1/cases/", {**CASE_FORM, "photos": [_photo()]}, format="multipart"
    )
    assert response.status_code == 503
    assert response["Content-Type"] == "application/problem+json"
    assert response["Retry-After"] == "30"
    body = response.json()
    assert body["code"] == "storage_unavailable" and "Retry-After" in body["detail"]
    assert errno.errorcode[broken_storage] not in response.content.decode()  # no internals
    assert not MissingCase.objects.exists()


def test_a_portal_upload_to_broken_storage_is_the_503_page(client, caseworker, broken_storage):
    case = MissingCaseFactory(created_by=caseworker)
    client.force_login(caseworker)
    client.raise_request_exception = False
    response = client.post(f"/cases/{case.pk}/photos/add/", {"photos": [_photo()]})
    assert response.status_code == 503
    assert response["Retry-After"] == "30"
    assert 'data-testid="unavailable-page"' in response.content.decode()
    assert not Photo.objects.exists()


def test_a_photo_that_cannot_be_read_is_a_503_not_a_500(api_for, caseworker, monkeypatch, client):
    from cases.records.services import PhotoUpload, case_create
    from tests.support.data import CASE_FIELDS

    case = case_create(
        user=caseworker, photos=[PhotoUpload(data=textured_photo(seed=2))], **CASE_FIELDS
    )
    photo = case.photos.get()

    def refuse(self, name, mode="rb"):  # type: ignore[no-untyped-def]
        raise PermissionError(errno.EACCES, "Permission denied")

    monkeypatch.setattr(FileSystemStorage, "_open", refuse)
    client.force_login(caseworker)
    client.raise_request_exception = False
    response = client.get(f"/photos/{photo.pk}/thumb/")
    assert response.status_code == 503 and response["Retry-After"] == "30"


def test_portal_pages_while_the_database_is_down_are_the_503_page(monkeypatch, client, caseworker):
    from django.contrib.sessions.backends.db import SessionStore

    client.force_login(caseworker)

    def refuse(self, *args, **kwargs):  # type: ignore[no-untyped-def]
        raise OperationalError('connection to server at "127.0.0.1", port 5432 failed')

    monkeypatch.setattr(SessionStore, "load", refuse)
    client.raise_request_exception = False
    response = client.get("/cases/")
    assert response.status_code == 503
    assert response["Retry-After"] == "30"
    page = response.content.decode()
    assert 'data-testid="unavailable-page"' in page and "5432" not in page


def test_an_unexpected_portal_error_is_still_the_500_page(rf):
    from reunite.kernel.api.views import server_error

    try:
        raise RuntimeError("secret internals")
    except RuntimeError:
        response = server_error(rf.get("/cases/"))
    assert response.status_code == 500 and not response.has_header("Retry-After")
    assert "secret" not in response.content.decode()


def test_an_upload_to_unreachable_object_storage_is_a_503_problem(api_for, caseworker, settings):
    import socket

    from botocore.config import Config

    with socket.socket() as probe:  # a port nothing listens on
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    settings.STORAGES = {
        **settings.STORAGES,
        "photos": {
            "BACKEND": "storages.backends.s3.S3Storage",
            "OPTIONS": {
                **settings.S3_PHOTO_OPTIONS,
                "endpoint_url": f"http://127.0.0.1:{port}",
                "region_name": "us-east-1",
                "access_key": "test",
                "secret_key": "test-secret",
                "client_config": Config(connect_timeout=1, retries={"max_attempts": 1}),
            },
        },
    }
    response = api_for(caseworker).post(
        "/api/v1/cases/", {**CASE_FORM, "photos": [_photo()]}, format="multipart"
    )
    assert response.status_code == 503, response.content
    assert response["Retry-After"] == "30"
    assert response.json()["code"] == "storage_unavailable"
    assert str(port) not in response.content.decode()
    assert not MissingCase.objects.exists()
