"""Re-embedding every stored photo into a new space, on a real worker (or in-process)."""

from __future__ import annotations

import json

import pytest

from cases.models import Photo
from cases.records.services import PhotoUpload, case_create, report_create
from matching.index.sync import index_forget_cache, index_get
from matching.models import Candidate, Embedding
from matching.selectors import space_progress
from matching.spaces.active import space_active
from matching.spaces.calibration import profile_active
from matching.spaces.services import space_build_start, space_switch
from tests.support.data import CASE_FIELDS, REPORT_FIELDS
from tests.support.waiting import wait_until_done

pytestmark = [pytest.mark.e2e, pytest.mark.usefixtures("real_engine")]

DONE = {Photo.Status.READY, Photo.Status.REJECTED, Photo.Status.NEEDS_FACE_SELECTION}


def _unsearched(space: str) -> int:
    busy = Photo.objects.exclude(status__in=DONE).count()
    return busy + Embedding.objects.filter(space=space, searched_at__isnull=True).count()


def test_reembedding_builds_the_new_space_and_switches_over(
    pipeline, caseworker, partner, same_person_pair, distractor_photos, tmp_path
):
    case = case_create(
        user=caseworker,
        photos=[PhotoUpload(data=same_person_pair[0].read_bytes())],
        **CASE_FIELDS,
    )
    for path in distractor_photos[:3]:
        case_create(user=caseworker, photos=[PhotoUpload(data=path.read_bytes())], **CASE_FIELDS)
    report_create(
        user=partner,
        external_ref="E2E-RE",
        **REPORT_FIELDS,
        photos=[PhotoUpload(data=same_person_pair[1].read_bytes())],
    )
    old = space_active().name
    wait_until_done(lambda: _unsearched(old), what="every photo to be processed and searched")
    assert Candidate.objects.filter(case=case).exists()
    faces = Embedding.objects.filter(space=old).count()

    # A new space: SFace alone (any other profile would do).
    new = {
        **profile_active().data,
        "name": "sface-e2e",
        "model_name": "SFace-e2e",
        "space": {"weights": {"SFace": 1.0}, "flip": False, "jitters": 0},
    }
    profile = tmp_path / "sface-e2e.json"
    profile.write_text(json.dumps(new))
    space_build_start(user=None, profile=str(profile))
    wait_until_done(
        lambda: space_progress(space="SFace-e2e").missing,
        what="the worker to re-embed every face",
    )
    assert space_active().name == old  # nothing switched by itself

    space_switch(user=None, space="SFace-e2e")
    wait_until_done(lambda: _unsearched("SFace-e2e"), what="searches in the new space")
    index_forget_cache()
    index = index_get(space="SFace-e2e", side="case", dim=128)
    assert index.size == faces - 1  # every case face, in the new space's own index
    versions = set(Embedding.objects.filter(space="SFace-e2e").values_list("model_version"))
    assert all("SFace[" in v and "Dlib" not in v for (v,) in versions)
