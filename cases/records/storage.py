"""Photo files at rest. They are encrypted, and nothing serves them from a public URL."""

from __future__ import annotations

import base64
import hashlib
import os
import uuid
from functools import cache
from pathlib import Path

from cryptography.fernet import Fernet
from django.conf import settings


@cache
def _fernet() -> Fernet:
    key: str | bytes = settings.PHOTO_ENCRYPTION_KEY
    if not key:
        # Development only: production settings refuse to start without a real key.
        key = base64.urlsafe_b64encode(hashlib.sha256(settings.SECRET_KEY.encode()).digest())
    return Fernet(key)


def _root() -> Path:
    return Path(settings.MEDIA_ROOT)


def photo_file_write(*, data: bytes) -> str:
    """Encrypt and store bytes; returns the path relative to MEDIA_ROOT."""
    name = uuid.uuid4().hex
    relative = f"photos/{name[:2]}/{name}.enc"
    target = _root() / relative
    target.parent.mkdir(parents=True, exist_ok=True)
    tmp = target.with_suffix(".tmp")
    tmp.write_bytes(_fernet().encrypt(data))
    os.replace(tmp, target)
    return relative


def photo_file_read(*, path: str) -> bytes:
    return _fernet().decrypt((_root() / path).read_bytes())


def photo_file_delete(*, path: str) -> None:
    (_root() / path).unlink(missing_ok=True)


def photo_file_exists(*, path: str) -> bool:
    return (_root() / path).is_file()


def secret_encrypt(*, text: str) -> str:
    """Encrypt a short secret (e.g. a webhook signing secret) with the at-rest key."""
    return _fernet().encrypt(text.encode()).decode()


def secret_decrypt(*, token: str) -> str:
    return _fernet().decrypt(token.encode()).decode()
