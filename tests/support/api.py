"""API clients with a key, and a webhook receiver on 127.0.0.1."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from rest_framework.test import APIClient

from cases.access.apikeys import apikey_create
from cases.models import User


@dataclass
class Receiver:
    """A webhook receiver on 127.0.0.1: records each request, answers `status`."""

    url: str = ""
    status: int = 204
    requests: list[dict] = field(default_factory=list)

    def bodies(self) -> list[dict]:
        return [json.loads(r["body"]) for r in self.requests]


@contextmanager
def webhook_receiver() -> Iterator[Receiver]:
    receiver = Receiver()

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
            receiver.requests.append({"headers": dict(self.headers), "body": body})
            self.send_response(receiver.status)
            self.send_header("Content-Length", "0")
            self.end_headers()

        def log_message(self, *args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    receiver.url = f"http://127.0.0.1:{server.server_address[1]}/hooks/reunite"
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield receiver
    finally:
        server.shutdown()
        server.server_close()


def api_client_verified(user: User) -> APIClient:
    """A session client past the second factor: how reviewers, org admins and operators use
    the API (they cannot hold keys)."""
    from tests.support.otp import force_login_verified

    client = APIClient()
    force_login_verified(client, user)
    return client


def api_client_for(user: User) -> APIClient:
    _, key = apikey_create(user=user, created_by=None)
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {key}")
    return client
