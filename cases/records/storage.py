"""Photo files at rest. They are encrypted, and nothing serves them from a public URL.

Encryption uses MultiFernet: new files (and webhook secrets) are encrypted with the current
key, `PHOTO_ENCRYPTION_KEY`; older keys in `PHOTO_ENCRYPTION_OLD_KEYS` still decrypt, so a
key can be rotated while the service runs (`manage.py photo_key_rotate` re-encrypts).
"""

from __future__ import annotations

import base64
import hashlib
import os
import uuid
from functools import cache
from pathlib import Path

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from django.conf import settings
from django.core.signals import setting_changed
from django.dispatch import receiver

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


def photo_file_rotate(*, path: str) -> bool:
    """Re-encrypt one file with the current key. Returns False if it already was, or is gone.

    The new file replaces the old one atomically, so a reader sees one or the other, and
    both decrypt while the old key is still configured.
    """
    target = _root() / path
    try:
        token = target.read_bytes()
    except FileNotFoundError:
        return False
    if _token_is_current(token):
        return False
    rotated = _fernet().rotate(token)
    # The orphan sweep removes a ".tmp" left by a crash.
    tmp = target.with_suffix(".tmp")
    tmp.write_bytes(rotated)
    os.replace(tmp, target)
    return True


def photo_token_decrypts(*, token: bytes) -> bool:
    """Whether the configured keys (current or old) decrypt this stored file's bytes."""
    try:
        _fernet().decrypt(token)
    except InvalidToken:
        return False
    return True


def photo_file_is_current(*, path: str) -> bool | None:
    """Whether a file is encrypted with the current key; None if it is gone."""
    try:
        return _token_is_current((_root() / path).read_bytes())
    except FileNotFoundError:
        return None


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
