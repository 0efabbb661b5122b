"""Photo files at rest, behind Django's storage API (the `photos` storage in STORAGES).

Files are encrypted here, before the storage sees them, so a bucket or disk holds only
ciphertext. The storage is the local filesystem by default and S3-compatible object storage
for embed workers on many machines (reunite/settings/storage.py). Nothing serves them from a
public URL.
"""

from __future__ import annotations

import base64
import hashlib
import uuid
from functools import cache

from cryptography.fernet import Fernet
from django.conf import settings
from django.core.files.base import ContentFile
from django.core.files.storage import Storage, storages


@cache
def _fernet() -> Fernet:
    key: str | bytes = settings.PHOTO_ENCRYPTION_KEY
    if not key:
        # Development only: production settings refuse to start without a real key.
        key = base64.urlsafe_b64encode(hashlib.sha256(settings.SECRET_KEY.encode()).digest())
    return Fernet(key)


def _storage() -> Storage:
    return storages["photos"]


def photo_file_write(*, data: bytes) -> str:
    """Encrypt and store bytes; returns the file's name in the photo storage."""
    name = uuid.uuid4().hex
    return _storage().save(f"photos/{name[:2]}/{name}.enc", ContentFile(_fernet().encrypt(data)))


def photo_file_read(*, path: str) -> bytes:
    with _storage().open(path, "rb") as handle:
        return _fernet().decrypt(handle.read())


def photo_file_delete(*, path: str) -> None:
    _storage().delete(path)  # a file already gone is not an error, on disk or in a bucket


def photo_file_exists(*, path: str) -> bool:
    return _storage().exists(path)


def photo_files_list(*, older_than: float) -> list[str]:
    """Names of the stored photo files last written before `older_than` (a Unix time)."""
    storage = _storage()
    bucket = getattr(storage, "bucket", None)
    if bucket is not None:
        # Object storage: one paged listing carries every object's time (no HEAD per file).
        return sorted(
            item.key
            for item in bucket.objects.filter(Prefix="photos/")
            if item.key.endswith((".enc", ".tmp")) and item.last_modified.timestamp() < older_than
        )
    if not storage.exists("photos"):
        return []
    names = []
    for folder in storage.listdir("photos")[0]:
        for file in storage.listdir(f"photos/{folder}")[1]:
            name = f"photos/{folder}/{file}"
            if name.endswith((".enc", ".tmp")) and (
                storage.get_modified_time(name).timestamp() < older_than
            ):
                names.append(name)
    return sorted(names)


def secret_encrypt(*, text: str) -> str:
    """Encrypt a short secret (e.g. a webhook signing secret) with the at-rest key."""
    return _fernet().encrypt(text.encode()).decode()


def secret_decrypt(*, token: str) -> str:
    return _fernet().decrypt(token.encode()).decode()
