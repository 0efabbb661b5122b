"""Re-embedding into a new space: built in the background, switched in one audited step.

These run on the fake engine: what is tested is the bookkeeping, not the model.
"""

import io
import json

import numpy as np
import pytest
from django.core.management import call_command
from PIL import Image

from cases.models import AuditEvent, Photo
from cases.records.services import PhotoUpload, case_create, photo_add, report_create
from cases.safeguards.erasure import case_biometrics_erase
from matching.index.sync import index_get
from matching.models import Candidate, Embedding, EmbeddingSpace
from matching.selectors import space_progress
from matching.spaces import services as space_services
from matching.spaces.active import space_active, space_building
from matching.spaces.calibration import profile_active
from matching.spaces.services import SpaceError, space_abandon, space_build_start, space_switch
from tests.support.data import CASE_FIELDS, REPORT_FIELDS

pytestmark = pytest.mark.django_db(transaction=True)


def _textured(seed: int) -> bytes:
    rng = np.random.default_rng(seed)
    pixels = rng.integers(0, 256, size=(240, 240, 3), dtype=np.uint8)
    out = io.BytesIO()
    Image.fromarray(pixels).save(out, format="PNG")
    return out.getvalue()


@pytest.fixture(autouse=True)
def _fake_engine(settings):
    settings.FACE_ENGINE = "fake"


@pytest.fixture
def other_profile(tmp_path, settings):
    data = {**profile_active().data, "name": "other-test", "model_name": "Other"}
    path = tmp_path / "other-test.json"
    path.write_text(json.dumps(data))
    return str(path)


@pytest.fixture
def matched(caseworker, partner):
    case = _case(caseworker, seed=1)
    report, _ = report_create(
        user=partner, photos=[PhotoUpload(data=_textured(1))], external_ref="R-1", **REPORT_FIELDS
    )
    assert Candidate.objects.filter(case=case, found_report=report).exists()
    return case, report


def _case(user, *, seed: int):
    return case_create(user=user, photos=[PhotoUpload(data=_textured(seed))], **CASE_FIELDS)


def test_a_new_installation_starts_on_the_configured_profile():
    embedding_space = space_active()
    assert embedding_space.name == profile_active().space
    assert embedding_space.status == EmbeddingSpace.Status.ACTIVE


def test_reembedding_builds_a_new_space_while_the_old_one_keeps_matching(
    matched, caseworker, partner, other_profile
):
    case, report = matched
    old = space_active().name
    building = space_build_start(user=None, profile=other_profile)
    assert building.status == EmbeddingSpace.Status.BUILDING
    # Tasks ran in-process on commit: every stored face is in the new space too.
    progress = space_progress(space="Other")
    assert progress.complete and progress.embedded == 2
    assert space_active().name == old

    # A photo arriving during the build is embedded into both spaces.
    photo = photo_add(user=caseworker, owner=case, upload=PhotoUpload(data=_textured(7)))
    spaces = set(Embedding.objects.filter(face__photo=photo).values_list("space", flat=True))
    assert spaces == {old, "Other"}
    # Only the active space is searched and indexed meanwhile.
    assert not Embedding.objects.filter(space="Other", searched_at__isnull=False).exists()

    space_switch(user=None, space="Other")
    assert space_active().name == "Other"
    assert EmbeddingSpace.objects.get(name=old).status == "retired"
    event = AuditEvent.objects.get(action="generation.switched")
    assert event.data["from"] == old and event.data["faces"] == 3
    # Every face was searched again in the new space, and its index holds them.
    assert not Embedding.objects.filter(space="Other", searched_at__isnull=True).exists()
    report_face = Embedding.objects.get(space="Other", face__photo__found_report=report)
    hits = index_get(space="Other", side="case", dim=128).search(vector=report_face.as_array(), k=5)
    assert hits and hits[0].score == pytest.approx(1.0, abs=1e-5)


def test_switch_refuses_while_faces_are_missing(matched, other_profile, monkeypatch):
    monkeypatch.setattr(space_services, "space_reembed_enqueue", lambda space: 0)
    space_build_start(user=None, profile=other_profile)
    assert space_progress(space="Other").missing == 2
    with pytest.raises(SpaceError, match="still lacks 2 of 2"):
        space_switch(user=None, space="Other")
    monkeypatch.undo()
    # The command resumes what is missing and switches once complete.
    out = io.StringIO()
    call_command("reembed", "--switch", "--timeout", "60", stdout=out)
    assert "Switched" in out.getvalue()
    assert space_active().name == "Other"


def test_erasure_covers_every_generation(matched, caseworker, other_profile):
    case, _ = matched
    space_build_start(user=None, profile=other_profile)
    assert Embedding.objects.filter(face__photo__case=case).count() == 2
    case_biometrics_erase(actor=caseworker, case=case, reason="Test erasure")
    assert not Embedding.objects.filter(face__photo__case=case).exists()
    assert not Photo.objects.filter(case=case).exists()


def test_abandoning_a_build_keeps_the_active_space(matched, other_profile):
    old = space_active().name
    space_build_start(user=None, profile=other_profile)
    space_abandon(user=None, space="Other")
    assert space_building() is None and space_active().name == old
    assert not Embedding.objects.filter(space="Other").exists()
    assert AuditEvent.objects.filter(action="generation.abandoned").exists()


def test_status_and_refusals_are_plain(matched, other_profile):
    out = io.StringIO()
    call_command("reembed", "--status", stdout=out)
    assert "Nothing is being built" in out.getvalue()
    with pytest.raises(SpaceError, match="already the active space"):
        space_build_start(user=None, profile=profile_active().name)


def test_a_failing_new_space_never_costs_a_photo_its_active_embedding(
    matched, caseworker, other_profile, monkeypatch
):
    from matching.faces import processing

    case, _ = matched
    space_build_start(user=None, profile=other_profile)
    real = processing.face_vector_compute

    def broken(*, embedding_space, **kwargs):  # type: ignore[no-untyped-def]
        if embedding_space.name == "Other":
            raise RuntimeError("model crashed")
        return real(embedding_space=embedding_space, **kwargs)

    monkeypatch.setattr(processing, "face_vector_compute", broken)
    photo = photo_add(user=caseworker, owner=case, upload=PhotoUpload(data=_textured(9)))
    photo.refresh_from_db()
    assert photo.status == Photo.Status.READY
    spaces = set(Embedding.objects.filter(face__photo=photo).values_list("space", flat=True))
    assert spaces == {space_active().name}
    assert space_progress(space="Other").missing == 1


def test_a_wave_one_deployment_keeps_dlib_until_it_switches(matched):

    # As after the upgrade migration on a database of wave-1 embeddings.
    EmbeddingSpace.objects.all().delete()
    Embedding.objects.update(space="Dlib")
    # What migration 0003 makes of them (its code reads the models as they were then).
    EmbeddingSpace.objects.create(name="Dlib", profile="dlib-lfw-dev-v1", status="active")
    assert space_active().name == "Dlib"
    assert profile_active().name == "dlib-lfw-dev-v1"  # its thresholds, not the new space's

    out = io.StringIO()
    call_command("reembed", "--switch", "--timeout", "60", stdout=out)
    shipped = space_active()
    assert shipped.profile == "sface-dlib-ages-v2" and shipped.name != "Dlib"
    assert profile_active().name == "sface-dlib-ages-v2"
    assert EmbeddingSpace.objects.get(name="Dlib").status == "retired"


def test_reembedding_runs_the_model_with_no_transaction_open(matched, other_profile, monkeypatch):
    from django.db import connection

    from matching.engine.fake import FakeEngine

    seen: list[bool] = []
    real = FakeEngine.embed

    def watched(self, image, face):  # type: ignore[no-untyped-def]
        seen.append(connection.in_atomic_block)
        return real(self, image, face)

    monkeypatch.setattr(FakeEngine, "embed", watched)
    space_build_start(user=None, profile=other_profile)  # re-embeds on commit
    assert space_progress(space="Other").missing == 0
    assert seen and not any(seen)
