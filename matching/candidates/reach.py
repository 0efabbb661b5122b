"""Faces the other evidence reaches beyond the index's nearest.

The index returns the `REUNITE_SEARCH_TOP_K` nearest faces. In a gallery of thousands, a
child photographed years earlier often scores below a hundred strangers, so a weak face
that the names would carry over the line (pairs.py::pair_carried_by_evidence) is never
seen: projected to 10,000 gallery faces, the benchmark's children under 13 found fell
from 65 % to 21 % (docs/evidence.md). So a new photo's record is also compared, by its
other evidence alone, with every live record of the other side that gives a name, as its
face is compared with every face; the faces of records whose evidence could carry a weak
face (a name, a family name or a relative's agreeing, or the same home, and the ratio
at least `REACH_RATIO`) are scored exactly and join the search's hits, to be decided like any
other. Names' keys (`name_keys`) are compared first, so most records cost a set
intersection, not a full assessment.

Purpose limit: only a case against reports or a report against cases, inside the search
step; what comes back is face hits, never names.
"""

from __future__ import annotations

import numpy as np

from cases.models import FoundReport, MissingCase, Photo
from matching.candidates.compatibility import compatibility_check
from matching.evidence.names import name_keys
from matching.evidence.ratios import evidence_assess
from matching.index.store import Hit
from matching.models import Embedding
from matching.selectors import embedding_named_records_faces, embedding_vectors_of

# Other evidence worth at least about one agreeing name (a given name 21, a parent 10): less
# could carry only a face strong enough to be among the index's nearest anyway.
REACH_RATIO = 10.0
# What reaching takes: a name, a family name or a relative's name agreeing, or one home.
REACHING = {
    ("given_name", "strong"),
    ("family_name", "strong"),
    ("relatives", "one"),
    ("relatives", "two"),
    ("home_place", "same"),
}


def evidence_reaches(*, items: list[tuple[str, str]], other: float) -> bool:
    """Whether a pair's other evidence (kind, agreement) reaches beyond the nearest faces."""
    return other >= REACH_RATIO and any(item in REACHING for item in items)


def evidence_hits(*, embedding: Embedding, known: set[int], floor: float) -> list[Hit]:
    """Faces of the other side, not in `known`, whose records' other evidence reaches
    `REACH_RATIO` with nothing in conflict, scored exactly against `embedding`; those
    under `floor` are left out."""
    if (
        Embedding.objects.filter(face_id=embedding.face_id, searched_at__isnull=False)
        .exclude(pk=embedding.pk)
        .exists()
    ):
        # Searched before in another space (a switch-over searches every face again): what
        # the names reached then keeps its candidate, and comparing every record with
        # every other again would cost the one index writer hours.
        return []
    photo = embedding.face.photo
    own: MissingCase | FoundReport | None = (
        photo.case if embedding.side == Photo.Side.CASE else photo.found_report
    )
    if own is None or not _gives_names(own):
        return []
    other_side = Photo.Side.REPORT if embedding.side == Photo.Side.CASE else Photo.Side.CASE
    faces = embedding_named_records_faces(space=embedding.space, side=other_side)
    if not faces:
        return []
    model = FoundReport if other_side == Photo.Side.REPORT else MissingCase
    ids = list(faces)
    mine = name_keys(*_names(own))
    reached: list[int] = []
    # A bounded IN list at a time: SQLite caps a statement's parameters.
    for start in range(0, len(ids), 2000):
        for record in model.objects.filter(pk__in=ids[start : start + 2000]):
            if not mine & name_keys(*_names(record)):
                continue  # no name of one could agree with a name of the other
            case, report = _case_and_report(own, record)
            check = compatibility_check(case=case, report=report)
            if check.hold_reasons:
                continue
            assessment = evidence_assess(
                case=case, report=report, compatibility=check.notes, face=1.0
            )
            items = [(item.kind, item.agreement) for item in assessment.items]
            if evidence_reaches(items=items, other=assessment.other):
                reached += [face_id for face_id in faces[record.pk] if face_id not in known]
    if not reached:
        return []
    vectors = embedding_vectors_of(space=embedding.space, side=other_side, face_ids=reached)
    vector = embedding.as_array()
    hits = [Hit(face_id=f, score=float(np.dot(v, vector))) for f, v in vectors.items()]
    return [hit for hit in hits if hit.score >= floor]


def _case_and_report(
    a: MissingCase | FoundReport, b: MissingCase | FoundReport
) -> tuple[MissingCase, FoundReport]:
    if isinstance(a, MissingCase) and isinstance(b, FoundReport):
        return a, b
    assert isinstance(b, MissingCase) and isinstance(a, FoundReport)  # one of each side
    return b, a


def _names(record: MissingCase | FoundReport) -> tuple[str, ...]:
    # The home place's first part counts as a name here: one home can reach too.
    home = record.home_place.split(",")[0]
    if isinstance(record, MissingCase):
        return (
            record.given_name,
            record.other_names,
            record.family_name,
            record.relatives_names,
            record.consent_given_by,
            home,
        )
    return (record.child_names, record.relatives_names, home)


def _gives_names(record: MissingCase | FoundReport) -> bool:
    if isinstance(record, MissingCase):
        return bool(record.given_name or record.other_names or record.relatives_names)
    return bool(record.child_names or record.relatives_names)
