import numpy as np
import pytest

from cases.models import FoundReport
from matching.selectors import embedding_live_face_ids, embedding_vectors_of
from matching.spaces.active import space_active
from tests.support.faces import ready_photo_with_embedding

pytestmark = pytest.mark.django_db


def test_stored_vectors_of_both_sides_come_in_one_read(caseworker, django_assert_num_queries):
    case_face = ready_photo_with_embedding(user=caseworker, seed=1, side="case")
    report_face = ready_photo_with_embedding(user=caseworker, seed=2, side="report")
    space = space_active().name

    with django_assert_num_queries(1):
        found = embedding_vectors_of(
            space=space,
            side=("case", "report"),
            face_ids=[case_face.pk, report_face.pk, report_face.pk + 1000],
        )

    assert set(found) == {case_face.pk, report_face.pk}
    np.testing.assert_array_equal(found[report_face.pk], report_face.embeddings.get().as_array())
    assert embedding_vectors_of(space=space, side="case", face_ids=[report_face.pk]) == {}


def test_a_withdrawn_reports_faces_are_not_searchable(caseworker):
    kept = ready_photo_with_embedding(user=caseworker, seed=1, side="report")
    withdrawn = ready_photo_with_embedding(user=caseworker, seed=2, side="report")
    FoundReport.objects.filter(pk=withdrawn.photo.found_report_id).update(
        status=FoundReport.Status.WITHDRAWN
    )

    live = embedding_live_face_ids(space=space_active().name, side="report")

    assert live.tolist() == [kept.pk]
