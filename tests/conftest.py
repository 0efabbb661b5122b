"""Shared fixtures: organisations, a user per role, API clients and real face photos."""

from __future__ import annotations

import csv
from collections import defaultdict
from pathlib import Path

import pytest
from django.conf import settings
from django.utils import translation

from cases.models import User
from matching.index.sync import index_forget_cache
from tests.factories import OrganisationFactory, UserFactory
from tests.support.api import api_client_for
from tests.support.data import textured_photo


@pytest.fixture(autouse=True)
def _fresh_index(settings, tmp_path):
    """Each test gets its own index folder, so no test sees another's faces."""
    settings.FACE_INDEX_DIR = tmp_path / "index"
    settings.MEDIA_ROOT = tmp_path / "media"
    settings.AUDIT_CHECKPOINT_FILE = tmp_path / "audit-checkpoints"
    index_forget_cache()
    yield
    index_forget_cache()


@pytest.fixture(autouse=True)
def _language_reset():
    """A request leaves its language active in the thread; the next test starts in English."""
    yield
    translation.activate(settings.LANGUAGE_CODE)


@pytest.fixture(scope="session")
def object_store():
    """A real S3-compatible server (moto's, in its own process) for the whole session."""
    from tests.support.objectstore import object_store_running

    with object_store_running() as store:
        yield store


@pytest.fixture
def s3_photo_storage(settings, object_store):
    """Photos go to a fresh bucket on the S3-compatible server, as on many machines."""
    import uuid

    from tests.support.objectstore import ACCESS_KEY, REGION, SECRET_KEY

    bucket = f"reunite-{uuid.uuid4().hex[:12]}"
    object_store.client().create_bucket(Bucket=bucket)
    settings.STORAGES = {
        **settings.STORAGES,
        "photos": {
            "BACKEND": "storages.backends.s3.S3Storage",
            "OPTIONS": {
                **settings.S3_PHOTO_OPTIONS,
                "bucket_name": bucket,
                "endpoint_url": object_store.endpoint_url,
                "region_name": REGION,
                "access_key": ACCESS_KEY,
                "secret_key": SECRET_KEY,
            },
        },
    }
    return bucket


@pytest.fixture
def background_tasks(settings):
    """The embedded default as served: tasks run on the background thread after commit.

    Needs `django_db(transaction=True)` (the thread sees only committed rows); waits for the
    thread at the end so no task outlives the test's database.
    """
    from reunite.kernel.tasks import background_tasks_wait

    settings.TASKS_IN_BACKGROUND = True
    yield background_tasks_wait
    assert background_tasks_wait(timeout=120), "background tasks still running"


@pytest.fixture
def real_engine(settings):
    """The real models (YuNet, SFace, dlib) instead of the fake engine tests default to."""
    settings.FACE_ENGINE = "deepface"


@pytest.fixture
def matching_pair(tmp_path: Path) -> tuple[Path, Path]:
    """Two photos of one "child" for the fake engine: a case photo and a found photo."""
    data = textured_photo(seed=1)
    paths = (tmp_path / "missing.png", tmp_path / "found.png")
    for path in paths:
        path.write_bytes(data)
    return paths


@pytest.fixture
def group_photo(tmp_path: Path) -> Path:
    """A photo with two faces on the fake engine."""
    path = tmp_path / "group.png"
    path.write_bytes(textured_photo(seed=2, size=(480, 200)))
    return path


@pytest.fixture(scope="session")
def faces_dir() -> Path:
    path = Path(settings.FACES_DIR)
    if not (path / "lfw-dev" / "manifest.csv").is_file():
        pytest.fail(f"Test photos not found at {path}; set REUNITE_FACES_DIR.")
    return path


@pytest.fixture(scope="session")
def lfw_people(faces_dir: Path) -> dict[str, list[Path]]:
    """Identity -> photo paths, from the development set's manifest."""
    people: dict[str, list[Path]] = defaultdict(list)
    with open(faces_dir / "lfw-dev" / "manifest.csv") as handle:
        for row in csv.DictReader(handle):
            people[row["identity"]].append(faces_dir / row["path"])
    return dict(people)


@pytest.fixture(scope="session")
def same_person_pair(lfw_people: dict[str, list[Path]]) -> tuple[Path, Path]:
    name = sorted(p for p, photos in lfw_people.items() if len(photos) >= 2)[0]
    first, second = sorted(lfw_people[name])[:2]
    return first, second


@pytest.fixture(scope="session")
def distractor_photos(lfw_people: dict[str, list[Path]]) -> list[Path]:
    """Photos of people who appear only once: other children who must not match."""
    return [photos[0] for name, photos in sorted(lfw_people.items()) if len(photos) == 1]


@pytest.fixture
def org_family():
    return OrganisationFactory(name="Family Links", kind="guardian_support")


@pytest.fixture
def org_ngo():
    return OrganisationFactory(name="Hope Street NGO", kind="ngo")


@pytest.fixture
def org_review():
    return OrganisationFactory(name="Review Agency", kind="agency")


@pytest.fixture
def caseworker(org_family) -> User:
    return UserFactory(username="caseworker", organisation=org_family, role=User.Role.CASEWORKER)


@pytest.fixture
def partner(org_ngo) -> User:
    return UserFactory(username="partner", organisation=org_ngo, role=User.Role.PARTNER)


@pytest.fixture
def reviewer(org_review) -> User:
    return UserFactory(username="reviewer", organisation=org_review, role=User.Role.REVIEWER)


@pytest.fixture
def reviewer2(org_review) -> User:
    return UserFactory(username="reviewer2", organisation=org_review, role=User.Role.REVIEWER)


@pytest.fixture
def api_for():
    return api_client_for
