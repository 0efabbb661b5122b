"""`.env.example` lists every environment variable the settings read, and nothing else."""

import ast
import re
from pathlib import Path

SETTINGS_DIR = Path(__file__).resolve().parents[2] / "reunite" / "settings"
ENV_EXAMPLE = SETTINGS_DIR.parents[1] / ".env.example"


def _variables_read() -> set[str]:
    """Names passed to reunite/env.py's helpers anywhere in reunite/settings/."""
    names = set()
    for path in SETTINGS_DIR.glob("*.py"):
        for node in ast.walk(ast.parse(path.read_text())):
            if (
                isinstance(node, ast.Call)
                and isinstance(node.func, ast.Name)
                and node.func.id.startswith("env_")
                and node.func.id != "env_file_load"
                and node.args
                and isinstance(node.args[0], ast.Constant)
            ):
                names.add(node.args[0].value)
    return names


def _variables_listed() -> set[str]:
    # Listed as `NAME=value`, commented out or not.
    pattern = re.compile(r"^#?\s*([A-Z][A-Z0-9_]+)=", re.MULTILINE)
    return set(pattern.findall(ENV_EXAMPLE.read_text()))


def test_env_example_lists_every_variable_the_settings_read():
    read = _variables_read()
    assert len(read) > 40  # the scan found the settings
    assert sorted(read - _variables_listed()) == []


def test_env_example_lists_no_variable_the_settings_do_not_read():
    # DJANGO_SETTINGS_MODULE is read by Django itself, before any settings module.
    assert sorted(_variables_listed() - _variables_read() - {"DJANGO_SETTINGS_MODULE"}) == []


def test_request_and_form_limits_come_from_their_own_variables(monkeypatch):
    import importlib

    from reunite.settings import uploads

    monkeypatch.setenv("REUNITE_REQUEST_MAX_BYTES", "1234567")
    monkeypatch.setenv("REUNITE_FORM_MAX_BYTES", "7654")
    try:
        reloaded = importlib.reload(uploads)
        assert (reloaded.REQUEST_MAX_BYTES, reloaded.DATA_UPLOAD_MAX_MEMORY_SIZE) == (1234567, 7654)
    finally:
        monkeypatch.undo()
        importlib.reload(uploads)


def test_photo_storage_is_local_unless_s3_is_asked_for(monkeypatch):
    import importlib

    import pytest

    from reunite.settings import storage

    assert storage.STORAGES["photos"]["BACKEND"].endswith("FileSystemStorage")
    monkeypatch.setenv("REUNITE_PHOTO_STORAGE", "s3")
    monkeypatch.setenv("REUNITE_S3_BUCKET", "photos-x")
    monkeypatch.setenv("REUNITE_S3_ENDPOINT_URL", "http://minio:9000")
    try:
        reloaded = importlib.reload(storage)
        photos = reloaded.STORAGES["photos"]
        assert photos["BACKEND"] == "storages.backends.s3.S3Storage"
        assert photos["OPTIONS"]["bucket_name"] == "photos-x"
        assert photos["OPTIONS"]["endpoint_url"] == "http://minio:9000"
        assert photos["OPTIONS"]["default_acl"] is None  # objects stay private
        monkeypatch.setenv("REUNITE_PHOTO_STORAGE", "ftp")
        with pytest.raises(ValueError, match="local` or `s3"):
            importlib.reload(storage)
    finally:
        monkeypatch.undo()
        importlib.reload(storage)
