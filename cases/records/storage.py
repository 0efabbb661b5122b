"""Photo files at rest, behind Django's storage API (the `photos` storage in STORAGES).

Files are encrypted here, before the storage sees them, so a bucket or disk holds only
ciphertext. The storage is the local filesystem by default and S3-compatible object storage
for embed workers on many machines (reunite/settings/storage.py). Nothing serves them from a
public URL.

Encryption uses MultiFernet: new files (and webhook secrets) are encrypted with the current
key, `PHOTO_ENCRYPTION_KEY`; older keys in `PHOTO_ENCRYPTION_OLD_KEYS` still decrypt, so a
key can be rotated while the service runs (`manage.py photo_key_rotate` re-encrypts).
"""

from __future__ import annotations

import base64
import errno
import hashlib
import os
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from functools import cache
from pathlib import Path

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from django.conf import settings
from django.core.files.base import ContentFile
from django.core.files.storage import Storage, storages
from django.core.signals import setting_changed
from django.dispatch import receiver
from django.utils.translation import gettext as _

from reunite.kernel.errors import DependencyUnavailable

_KEY_SETTINGS = {"PHOTO_ENCRYPTION_KEY", "PHOTO_ENCRYPTION_OLD_KEYS", "SECRET_KEY"}


def _current_key() -> str | bytes:
    key: str | bytes = settings.PHOTO_ENCRYPTION_KEY
    if not key:
        # Development only: production settings refuse to start without a real key.
        key = base64.urlsafe_b64encode(hashlib.sha256(settings.SECRET_KEY.encode()).digest())
    return key


@cache
def _fernet() -> MultiFernet:
    # The first key encrypts; every key is tried in turn to decrypt.
    keys = [_current_key(), *settings.PHOTO_ENCRYPTION_OLD_KEYS]
    return MultiFernet([Fernet(key) for key in keys])


@cache
def _fernet_current() -> Fernet:
    return Fernet(_current_key())


@receiver(setting_changed)
def _keys_changed(*, setting: str, **kwargs: object) -> None:
    if setting in _KEY_SETTINGS:
        _fernet.cache_clear()
        _fernet_current.cache_clear()


def encryption_keys() -> list[bytes]:
    """Every key in use, current first, as bytes (backups check none of them leaks)."""
    keys = [_current_key(), *settings.PHOTO_ENCRYPTION_OLD_KEYS]
    return [key.encode() if isinstance(key, str) else key for key in keys]


def _storage() -> Storage:
    return storages["photos"]


# Failures of the storage itself, not of one file: full, read-only, refused or broken.
_UNAVAILABLE_ERRNOS = {
    errno.ENOSPC,
    errno.EDQUOT,
    errno.EROFS,
    errno.EACCES,
    errno.EPERM,
    errno.EIO,
}


class PhotoStorageUnavailable(DependencyUnavailable):
    """The photo storage cannot be used now: a 503 with Retry-After."""

    code = "storage_unavailable"

    def __init__(self) -> None:
        super().__init__(
            _(
                "Photo storage is unavailable (full, read-only or unreachable). Nothing was "
                "stored; retry after Retry-After."
            )
        )


def _object_storage_down(exc: Exception) -> bool:
    try:
        from botocore.exceptions import BotoCoreError, ClientError
    except ImportError:  # no object storage installed
        return False
    if isinstance(exc, BotoCoreError):  # unreachable, timed out
        return True
    if isinstance(exc, ClientError):
        response: dict = exc.response or {}
        status = response.get("ResponseMetadata", {}).get("HTTPStatusCode") or 0
        return status >= 500 or status == 403
    return False


@contextmanager
def _storage_guarded() -> Iterator[None]:
    """Turn the storage being down (not a file being missing) into PhotoStorageUnavailable."""
    try:
        yield
    except OSError as exc:
        if exc.errno in _UNAVAILABLE_ERRNOS:
            raise PhotoStorageUnavailable() from exc
        raise
    except Exception as exc:
        if _object_storage_down(exc):
            raise PhotoStorageUnavailable() from exc
        raise


def photo_file_write(*, data: bytes) -> str:
    """Encrypt and store bytes; returns the file's name in the photo storage."""
    name = uuid.uuid4().hex
    token = _fernet().encrypt(data)
    with _storage_guarded():
        return _storage().save(f"photos/{name[:2]}/{name}.enc", ContentFile(token))


def photo_file_read(*, path: str) -> bytes:
    with _storage_guarded(), _storage().open(path, "rb") as handle:
        token = handle.read()
    return _fernet().decrypt(token)


def photo_file_delete(*, path: str) -> None:
    with _storage_guarded():
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


def photo_file_rotate(*, path: str) -> bool:
    """Re-encrypt one file with the current key. Returns False if it already was, or is gone.

    The new file replaces the old one atomically, so a reader sees one or the other, and
    both decrypt while the old key is still configured.
    """
    token = _stored_bytes(path)
    if token is None or _token_is_current(token):
        return False
    _stored_replace(path, _fernet().rotate(token))
    return True


def photo_file_stored_bytes(*, path: str) -> bytes | None:
    """A stored file's bytes as stored (still encrypted), or None if it is gone (backups)."""
    return _stored_bytes(path)


def photo_storage_is_local() -> bool:
    """Whether photo files are in a local folder (MEDIA_ROOT) rather than object storage."""
    try:
        _storage().path("photos")
    except NotImplementedError:
        return False
    return True


def _stored_bytes(path: str) -> bytes | None:
    storage = _storage()
    if not storage.exists(path):
        return None
    try:
        with storage.open(path, "rb") as handle:
            return handle.read()
    except FileNotFoundError:
        return None


def _stored_replace(path: str, data: bytes) -> None:
    storage = _storage()
    try:
        local = Path(storage.path(path))
    except NotImplementedError:
        # Object storage: a PUT replaces the object whole (the storage overwrites names).
        storage.save(path, ContentFile(data))
        return
    # The orphan sweep removes a ".tmp" left by a crash.
    tmp = local.with_suffix(".tmp")
    tmp.write_bytes(data)
    os.replace(tmp, local)


def photo_token_decrypts(*, token: bytes) -> bool:
    """Whether the configured keys (current or old) decrypt this stored file's bytes."""
    try:
        _fernet().decrypt(token)
    except InvalidToken:
        return False
    return True


def photo_file_is_current(*, path: str) -> bool | None:
    """Whether a file is encrypted with the current key; None if it is gone."""
    token = _stored_bytes(path)
    return None if token is None else _token_is_current(token)


def _token_is_current(token: bytes) -> bool:
    try:
        _fernet_current().decrypt(token)
    except InvalidToken:
        return False
    return True


def secret_rotate(*, token: str) -> str | None:
    """A secret re-encrypted with the current key, or None if it already is."""
    if _token_is_current(token.encode()):
        return None
    return _fernet().rotate(token.encode()).decode()


def secret_encrypt(*, text: str) -> str:
    """Encrypt a short secret (e.g. a webhook signing secret) with the at-rest key."""
    return _fernet().encrypt(text.encode()).decode()


def secret_decrypt(*, token: str) -> str:
    return _fernet().decrypt(token.encode()).decode()
