"""axe-core in the browser tests: the script ships in a pinned PyPI package
(axe-playwright-python, requirements-dev.txt), so nothing is fetched when tests run."""

from __future__ import annotations

from functools import cache
from importlib import resources
from pathlib import Path
from typing import Any

# The impacts that fail a page; "moderate" and "minor" are reported, not failed.
BLOCKING = ("serious", "critical")


def axe_script() -> str:
    return str(resources.files("axe_playwright_python") / "axe.min.js")


@cache
def _axe_source() -> str:
    return Path(axe_script()).read_text(encoding="utf-8")


def axe_violations(page: Any) -> list[dict[str, Any]]:
    """Run axe-core on the page as it is now; every violation with its impact and nodes."""
    if not page.evaluate("typeof window.axe !== 'undefined'"):
        # Evaluated through the browser's debugging protocol: a <script> tag added to the
        # page would be refused by the Content-Security-Policy, as it should be.
        page.evaluate(_axe_source())
    return page.evaluate(
        """async () => {
            const result = await axe.run(document, {resultTypes: ["violations"]});
            return result.violations.map(v => ({
                id: v.id, impact: v.impact, help: v.help,
                nodes: v.nodes.slice(0, 5).map(n => n.target.join(" ") + " :: " + n.failureSummary),
            }));
        }"""
    )


def axe_blocking(page: Any) -> list[dict[str, Any]]:
    return [v for v in axe_violations(page) if v["impact"] in BLOCKING]
