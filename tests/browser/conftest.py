"""Playwright driving Debian's Chromium against a live server."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest

# Playwright's sync API runs an event loop in this thread; the ORM calls in the tests are
# still synchronous and safe.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

CHROMIUM = os.environ.get("REUNITE_CHROMIUM", "/usr/bin/chromium")
ARTIFACTS = Path(
    os.environ.get("REUNITE_TEST_ARTIFACTS", Path(__file__).resolve().parents[2] / "test-artifacts")
)


@pytest.fixture(scope="session")
def browser() -> Iterator[object]:
    if not Path(CHROMIUM).exists():
        pytest.fail(f"{CHROMIUM} is missing: `make test` installs Debian's chromium package.")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=CHROMIUM,
            args=[
                "--no-sandbox",
                "--disable-gpu",
                "--disable-quic",
                "--no-first-run",
                "--disable-background-networking",
                "--disable-component-update",
                "--disable-sync",
            ],
        )
        yield browser
        browser.close()


@pytest.fixture
def new_page(browser, live_server):
    """Open pages at 1366x768 (or a phone width) against the live server.

    Whatever the Content-Security-Policy blocks on any page fails the test: a script or
    style the policy refuses is a page that silently stopped working. (The policy refuses
    eval too: give `wait_for_function` a function, "() => ...", not an expression.)
    """
    contexts = []
    refused: list[str] = []

    def csp_refusal(message) -> None:
        if "Content Security Policy" in message.text:
            refused.append(f"{message.location.get('url', '')}: {message.text}")

    def make(width: int = 1366, height: int = 768):
        context = browser.new_context(
            viewport={"width": width, "height": height}, base_url=live_server.url
        )
        contexts.append(context)
        page = context.new_page()
        page.on("console", csp_refusal)
        page.set_default_timeout(30_000)
        return page

    yield make
    for context in contexts:
        context.close()
    assert not refused, "\n".join(refused)
