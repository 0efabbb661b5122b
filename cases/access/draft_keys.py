"""The key a signed-in session's drafts are encrypted with on the device (field capture).

It lives in the server's session only: it is made at sign-in, is the same for the whole
session, and is gone when the session ends (sign-out, expiry), so drafts left on a device
cannot be read after that. `/offline/key/` (cases/portal/offline.py) hands it to the page
and its service worker. See docs/safeguards.md.
"""

from __future__ import annotations

import base64
import secrets
from typing import Any

from django.contrib.auth.signals import user_logged_in
from django.contrib.sessions.backends.base import SessionBase
from django.dispatch import receiver
from django.http import HttpRequest

SESSION_KEY = "reunite_offline_key"


def draft_key_get(*, session: SessionBase) -> str:
    key = session.get(SESSION_KEY)
    if not key:  # a session from before keys were made at sign-in
        key = base64.b64encode(secrets.token_bytes(32)).decode()
        session[SESSION_KEY] = key
    return key


@receiver(user_logged_in, dispatch_uid="reunite_draft_key")
def _draft_key_at_sign_in(sender: Any, request: HttpRequest | None, **kwargs: Any) -> None:
    # Made before the browser holds the session: made on a first ask instead, two asks at
    # once (a page and its worker) would each make one, the session would keep the last,
    # and a draft sealed with the other could never be read or sent.
    if request is not None and hasattr(request, "session"):
        draft_key_get(session=request.session)
