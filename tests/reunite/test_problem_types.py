"""Problem `type`s are URIs naming an entry in docs/problems.md; `code` keeps the bare code.

Every code the API can emit has an entry there: the codes are collected from the code that
emits them (the project's errors reachable from the URLconf, every literal code handed to
the problem builders, and DRF's errors, which the handler turns into problems).
"""

from __future__ import annotations

import ast
import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
from django.conf import settings
from rest_framework import exceptions as drf_exceptions

from reunite.kernel.api.problems import problem_body, problem_docs_html

pytestmark = pytest.mark.django_db

ROOT = Path(settings.BASE_DIR)
DOCS = ROOT / "docs" / "problems.md"
# Calls that build a problem (or a refused photo, which becomes one) from a literal code.
BUILDERS = {"problem_body", "_problem", "PhotoRejected"}


def _subclasses(cls: type) -> set[type]:
    found = set(cls.__subclasses__())
    return found.union(*(_subclasses(sub) for sub in list(found)))


def _literal_codes() -> set[str]:
    codes = set()
    for package in ("cases", "matching", "reunite"):
        for path in (ROOT / package).rglob("*.py"):
            if "migrations" in path.parts:
                continue
            for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
                if not isinstance(node, ast.Call):
                    continue
                name = getattr(node.func, "id", getattr(node.func, "attr", ""))
                if name not in BUILDERS:
                    continue
                for keyword in node.keywords:
                    if keyword.arg == "code" and isinstance(keyword.value, ast.Constant):
                        codes.add(keyword.value.value)
    return codes


# The project's errors that the URLconf's views can reach, from a fresh interpreter: in this
# one, other tests may have imported errors only the console commands raise (backups).
_OWN_CODES = """
import django, json
django.setup()
import importlib
from django.conf import settings
from reunite.kernel.errors import ReuniteError
importlib.import_module(settings.ROOT_URLCONF)
def subclasses(cls):
    found = set(cls.__subclasses__())
    return found.union(*(subclasses(sub) for sub in list(found)))
own = {c.__dict__["code"] for c in subclasses(ReuniteError) if "code" in c.__dict__}
print(json.dumps(sorted(own)))
"""


def _own_codes() -> set[str]:
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "reunite.settings.test"}
    out = subprocess.run(
        [sys.executable, "-c", _OWN_CODES],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        check=True,
        timeout=120,
    ).stdout
    return set(json.loads(out.strip().splitlines()[-1]))


def emitted_codes() -> set[str]:
    """Every problem code the API can answer with."""
    own = _own_codes()
    # The handler answers any DRF error with its default_code; a ValidationError is
    # `validation_error` (a literal code above).
    drf = {
        c.default_code
        for c in _subclasses(drf_exceptions.APIException)
        if c.__module__ == drf_exceptions.__name__ and c is not drf_exceptions.ValidationError
    }
    return own | drf | _literal_codes()


def documented_codes() -> set[str]:
    return set(re.findall(r"^## `([a-z_]+)`$", DOCS.read_text(encoding="utf-8"), re.M))


def test_every_code_the_api_can_emit_has_an_entry_in_the_docs_and_no_other():
    emitted = emitted_codes()
    assert {"validation_error", "photo_corrupt", "throttled", "pfif_invalid"} <= emitted
    assert emitted - documented_codes() == set(), "codes without an entry in docs/problems.md"
    assert documented_codes() - emitted == set(), "entries in docs/problems.md never emitted"


def test_the_partner_docs_table_names_only_documented_codes():
    table = (ROOT / "docs" / "partner-api.md").read_text(encoding="utf-8")
    section = table[table.index("## Errors") : table.index("## Limits")]
    named = set(re.findall(r"^\| `([a-z_]+)`", section, re.M)) - {"code"}  # the header
    named |= set(re.findall(r"^\| `[a-z_]+`, `([a-z_]+)`", section, re.M))
    assert named and named <= documented_codes()


def test_type_is_an_absolute_uri_to_the_codes_entry_and_code_keeps_the_bare_code(api_for, partner):
    answer = api_for(partner).get("/api/v1/found-reports/", {"status": "lost"})

    problem = answer.json()
    assert answer["Content-Type"] == "application/problem+json"
    assert problem["code"] == "validation_error"
    assert problem["type"] == f"{settings.PROBLEM_TYPE_BASE_URI}#validation_error"
    assert re.match(r"^https?://[^/]+/api/problems/#validation_error$", problem["type"])


def test_the_base_uri_is_a_setting(settings):
    settings.PROBLEM_TYPE_BASE_URI = "https://docs.ngo.example/reunite/problems.html"
    body = problem_body(code="not_found", title="Not found", status_code=404, detail="x")
    assert body["type"] == "https://docs.ngo.example/reunite/problems.html#not_found"
    assert body["code"] == "not_found"


def test_problems_outside_drf_carry_the_uri_and_the_code_too(client, settings):
    settings.REQUEST_MAX_BYTES = 10
    too_large = client.post("/api/v1/found-reports/", b"x" * 100, content_type="text/plain")
    unknown = client.get("/api/v1/no-such-thing/")

    for answer, code in ((too_large, "request_too_large"), (unknown, "not_found")):
        assert answer.json()["code"] == code
        assert answer.json()["type"].endswith(f"/api/problems/#{code}")


def test_the_service_serves_an_entry_for_every_code_where_type_points(client):
    answer = client.get("/api/problems/")

    assert answer.status_code == 200 and answer["Content-Type"].startswith("text/html")
    page = answer.content.decode()
    for code in documented_codes():
        assert f'<h2 id="{code}">' in page
    assert "<script" not in page and "```" not in page
    assert problem_docs_html() == page


def test_the_schema_documents_the_problem_shape(client):
    schema = client.get("/api/schema/", {"format": "json"}).json()
    problem = schema["components"]["schemas"]["ProblemOutput"]

    assert set(problem["required"]) == {"type", "code", "title", "status", "detail"}
    assert problem["properties"]["type"]["format"] == "uri"
    assert "/api/problems/" in problem["properties"]["type"]["description"]
    assert "code" in problem["properties"]["type"]["description"]
    answer = schema["paths"]["/api/v1/found-reports/"]["post"]["responses"]["400"]
    assert answer["content"]["application/problem+json"]["schema"] == {
        "$ref": "#/components/schemas/ProblemOutput"
    }
