"""A partner generates TypeScript types from the live schema and type-checks a call.

openapi-typescript and tsc are pinned in tests/clients/ts/package-lock.json and installed
by `make clients-ts` (`npm ci`), which `make test` runs first. Nothing is skipped: without
npm, or without the installed packages, the test fails and says what to run.
"""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

pytestmark = pytest.mark.django_db(transaction=True)

TS_DIR = Path(__file__).resolve().parent / "ts"
BIN = TS_DIR / "node_modules" / ".bin"


def _tools() -> None:
    if shutil.which("node") is None or shutil.which("npm") is None:
        pytest.fail(
            "Node.js and npm are needed for the TypeScript client test: apt-get install npm"
        )
    for tool in ("openapi-typescript", "tsc"):
        if not (BIN / tool).exists():
            pytest.fail(f"{BIN / tool} is missing: run `make clients-ts` (npm ci in {TS_DIR}).")


def _run(*args: str, cwd: Path) -> str:
    result = subprocess.run(
        list(args), cwd=cwd, capture_output=True, text=True, timeout=300, check=False
    )
    assert result.returncode == 0, result.stdout + result.stderr
    return result.stdout + result.stderr


def _generate(schema: Path, work: Path) -> None:
    # openapi-typescript through its Node API (generate.mjs), so photos are typed as Blob.
    shutil.copy(TS_DIR / "generate.mjs", work / "generate.mjs")
    _run("node", "generate.mjs", str(schema), "schema.d.ts", cwd=work)


def test_generated_typescript_types_type_check_the_partner_quick_start(live_schema, tmp_path):
    _tools()
    work = tmp_path / "ts"
    work.mkdir()
    for name in ("check.ts", "tsconfig.json"):
        shutil.copy(TS_DIR / name, work / name)
    (work / "node_modules").symlink_to(TS_DIR / "node_modules")

    _generate(live_schema, work)
    types = (work / "schema.d.ts").read_text()
    assert "found_reports_create" in types and "PaginatedCandidateOutputList" in types
    assert "photos?: Blob[]" in types

    _run(str(BIN / "tsc"), "-p", "tsconfig.json", cwd=work)


def test_a_wrong_call_does_not_type_check(live_schema, tmp_path):
    # The check above means something only if tsc refuses a call the schema does not allow.
    _tools()
    work = tmp_path / "ts"
    work.mkdir()
    shutil.copy(TS_DIR / "tsconfig.json", work / "tsconfig.json")
    (work / "check.ts").write_text(
        (TS_DIR / "check.ts").read_text().replace("// @ts-expect-error", "//")
    )
    (work / "node_modules").symlink_to(TS_DIR / "node_modules")
    _generate(live_schema, work)
    result = subprocess.run(
        [str(BIN / "tsc"), "-p", "tsconfig.json"],
        cwd=work,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert result.returncode != 0
    assert "found_on" in result.stdout
    assert "not assignable to type 'Blob'" in result.stdout
    assert '"unknown-sex"' in result.stdout
