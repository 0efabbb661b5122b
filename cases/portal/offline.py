"""Field capture: the installable web app's manifest, service worker and draft key.

The service worker and the pages' scripts are static files (`static/js/offline-*.js`); this
module serves the worker from the site root (its scope is the whole portal) with the URLs
of the vendored Workbox builds, and gives a signed-in page the key its drafts are
encrypted with (made at sign-in, kept in the server's session only:
cases/access/draft_keys.py). See docs/safeguards.md.
"""

from __future__ import annotations

import json
from typing import cast

from django.contrib.auth import views as auth_views
from django.contrib.staticfiles import finders
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.middleware.csrf import get_token
from django.shortcuts import render
from django.templatetags.static import static
from django.views.decorators.http import require_GET

from cases.access.draft_keys import draft_key_get
from cases.access.http import AuthenticatedHttpRequest
from cases.access.permissions import Action, role_allows, user_can

WORKBOX = "vendor/workbox-7.4.1"
WORKBOX_MODULES = ("workbox-core", "workbox-routing", "workbox-strategies")
# Long side of a photo after the device downscales it; the engine uses far less.
PHOTO_LONG_SIDE = 1600


@require_GET
def service_worker(request: HttpRequest) -> HttpResponse:
    """The worker script at /sw.js, preceded by the URLs of the scripts it imports."""
    path = finders.find("js/offline-sw.js")
    if not path:  # pragma: no cover - the file ships with the code
        return HttpResponse(status=404)
    with open(path, encoding="utf-8") as handle:
        body = handle.read()
    assets = {
        "workbox": [static(f"{WORKBOX}/{name}.prod.js") for name in WORKBOX_MODULES],
        "drafts": static("js/offline-drafts.js"),
        "offlinePage": "/offline/",
    }
    response = HttpResponse(
        f"self.REUNITE_ASSETS = {json.dumps(assets)};\n{body}",
        content_type="text/javascript; charset=utf-8",
    )
    response["Service-Worker-Allowed"] = "/"
    # The browser checks for a new worker on each visit; a stale one is never kept.
    response["Cache-Control"] = "no-cache"
    return response


@require_GET
def manifest(request: HttpRequest) -> HttpResponse:
    """The web app manifest: installs Reunite's capture pages on a phone's home screen."""
    body = {
        "name": "Reunite field capture",
        "short_name": "Reunite",
        "description": "File found-child reports and cases, also without a connection.",
        "start_url": "/",
        "scope": "/",
        "display": "standalone",
        "background_color": "#ffffff",
        "theme_color": "#1d4e89",
        "icons": [
            {"src": static("img/icon-192.png"), "sizes": "192x192", "type": "image/png"},
            {"src": static("img/icon-512.png"), "sizes": "512x512", "type": "image/png"},
        ],
        "shortcuts": [
            {"name": "File a found-child report", "url": "/reports/new/"},
            {"name": "Register a case", "url": "/cases/new/"},
        ],
    }
    return HttpResponse(json.dumps(body), content_type="application/manifest+json")


@require_GET
def offline_key(request: HttpRequest) -> HttpResponse:
    """This session's draft key and what the organisation asks of the device.

    Answers 403 (JSON, never a redirect) without a signed-in portal user, so a script that
    asks after the session ended learns that its drafts cannot be read any more.
    """
    user = request.user
    if not user.is_authenticated or not role_allows(user.role, Action.PORTAL_USE):
        response: HttpResponse = JsonResponse({"signed_in": False}, status=403)
    else:
        organisation = user.organisation
        authed = cast(AuthenticatedHttpRequest, request)
        response = JsonResponse(
            {
                "signed_in": True,
                "user": user.pk,
                "key": draft_key_get(session=request.session),
                "csrf": get_token(request),
                "draft_hours": organisation.offline_draft_hours if organisation else 24,
                "photo_original": bool(organisation and organisation.photo_upload_original),
                "photo_long_side": PHOTO_LONG_SIDE,
                "can": {
                    "report": user_can(authed.user, Action.REPORT_CREATE),
                    "case": user_can(authed.user, Action.CASE_CREATE),
                },
            }
        )
    response["Cache-Control"] = "no-store"
    return response


def offline_page(request: HttpRequest) -> HttpResponse:
    """What the worker shows for a page it has no copy of while offline (no data in it)."""
    return render(request, "offline.html")


class LogoutView(auth_views.LogoutView):
    """Sign-out also tells the browser to erase this site's caches and stored data: drafts
    and copies of pages kept for offline use go with the session (the page's script wipes
    them too, for browsers that ignore the header)."""

    def post(self, request, *args, **kwargs):
        response = super().post(request, *args, **kwargs)
        response["Clear-Site-Data"] = '"cache", "storage"'
        return response
