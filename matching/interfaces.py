"""The one door from `cases` into `matching`.

`cases` imports nothing else from `matching` (an import-linter contract in `make lint`
checks it); `matching` may import `cases` freely. Each function here is a thin, stable
name for a matching service, so `cases` never depends on how matching is laid out.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from django.db.models import Exists, OuterRef, Prefetch

from cases.models import FoundReport, MissingCase, Photo, User
from matching.candidates import pairs
from matching.faces import erasure, face_choice, processing
from matching.index import queries
from matching.models import Candidate, Face
from matching.review import outcomes, reunification
from matching.review.outcomes import (
    RECORD_OUTCOMES,
    DecidedBy,
    Outcome,
    OutcomeView,
    case_outcome,
    report_outcome,
)
from matching.selectors import (
    Reunification,
    candidates_for_case,
    photo_viewable_by_case_owner,
    photo_viewable_by_reviewer,
    reunifications_for_case,
)

__all__ = [
    "CANDIDATE_OBJECT_TYPE",
    "RECORD_OUTCOMES",
    "DecidedBy",
    "Outcome",
    "OutcomeView",
    "Reunification",
    "candidate_ids_list",
    "candidates_for_case",
    "candidates_prefetch",
    "candidates_recheck",
    "case_closed",
    "case_outcome",
    "drawn_box_face_found",
    "indexes_rebuild",
    "matching_data_delete",
    "open_candidate_exists",
    "photo_candidate_ids",
    "photo_embedded_face_id",
    "photo_face_box_check",
    "photo_face_draw",
    "photo_face_select",
    "photo_faces",
    "photo_faces_prefetch",
    "photo_matching_data_delete",
    "photo_process_enqueue",
    "photo_reject_child_not_outlined",
    "photo_set_aside",
    "photo_viewable_by_case_owner",
    "photo_viewable_by_reviewer",
    "report_outcome",
    "reunification_step_record",
    "reunifications_for_case",
]


# How the audit trail names a candidate (`object_type`), so cases never spells it out.
CANDIDATE_OBJECT_TYPE: str = Candidate._meta.label_lower


def photo_process_enqueue(*, photo_id: int) -> None:
    """Queue a stored photo for face detection and embedding once the transaction commits."""
    processing.photo_process_enqueue(photo_id=photo_id)


def photo_face_select(*, user: User, photo: Photo, face_id: int) -> Photo:
    """A person chose (or changed) the child's face in a photo; matching goes on."""
    return face_choice.photo_select_face(user=user, photo=photo, face_id=face_id)


def photo_face_draw(
    *,
    user: User,
    photo: Photo,
    x: int,
    y: int,
    w: int,
    h: int,
    reason: str = "",
    face_found: bool | None = None,
) -> Photo:
    """A person drew a box around the child's face, which no detector outlined. When no
    detector finds a face in it either, `reason` is required (audited, shown to reviewers).
    `face_found`: `drawn_box_face_found`'s answer when the caller already has it.
    """
    found = (
        face_choice.drawn_box_face_found(photo=photo, x=x, y=y, w=w, h=h)
        if face_found is None
        else face_found
    )
    return face_choice.photo_face_draw(
        user=user, photo=photo, x=x, y=y, w=w, h=h, face_found=found, reason=reason
    )


def photo_set_aside(*, user: User, photo: Photo, reason: str) -> list[int]:
    """Set aside a wrong photo in candidates under review; they are re-scored without it."""
    return face_choice.photo_set_aside(user=user, photo=photo, reason=reason)


def drawn_box_face_found(*, photo: Photo, x: int, y: int, w: int, h: int) -> bool:
    """Whether a detector finds a face in a drawn box (runs the model; no transaction)."""
    return face_choice.drawn_box_face_found(photo=photo, x=x, y=y, w=w, h=h)


def photo_face_box_check(*, photo: Photo, x: int, y: int, w: int, h: int) -> None:
    """Raise InvalidInput if a drawn box is outside the photo or too small."""
    face_choice.face_box_check(photo=photo, x=x, y=y, w=w, h=h)


def photo_reject_child_not_outlined(*, user: User, photo: Photo) -> Photo:
    """A person says the child is not among the outlined faces: reject the photo."""
    return face_choice.photo_reject_child_not_outlined(user=user, photo=photo)


def photo_embedded_face_id(*, photo: Photo) -> int | None:
    """The face matching uses for this photo (the current choice), if any."""
    face = face_choice.photo_embedded_face(photo=photo)
    return face.pk if face is not None else None


def candidates_recheck(*, candidate_ids: Iterable[int]) -> None:
    """Details changed: sex, ages and dates may now fit a candidate, or no longer fit it."""
    for candidate_id in list(candidate_ids):
        pairs.candidate_compatibility_refresh(candidate_id=candidate_id)


def indexes_rebuild() -> dict[str, int]:
    """Rebuild the face indexes from the database (after a restore). Faces per side."""
    return queries.indexes_rebuild()


def photo_candidate_ids(*, photo: Photo) -> list[int]:
    """The candidates this photo's faces are part of: while any, it can only be set aside."""
    return erasure.photo_candidate_ids(photo=photo)


def photo_matching_data_delete(*, photo: Photo) -> dict[str, int]:
    """Delete a photo's face templates and index entries (in the caller's transaction)."""
    return erasure.photo_matching_data_delete(photo=photo)


def matching_data_delete(
    *, owner: MissingCase | FoundReport, photos: list[Photo]
) -> dict[str, Any]:
    """Erase candidates, faces, embeddings and index entries of an owner's photos."""
    return erasure.matching_data_delete(owner=owner, photos=photos)


def candidates_prefetch(*, other_side: str) -> Prefetch:
    """Prefetch a record's candidates with the other side's organisation (for outcomes).

    `other_side` is `"case"` for a report's candidates, `"found_report"` for a case's.
    """
    return outcomes.candidates_prefetch(other_side=other_side)


def candidate_ids_list(*, owner: MissingCase | FoundReport) -> list[int]:
    """The candidates a case or report is one side of."""
    side = "case" if isinstance(owner, MissingCase) else "found_report"
    return list(Candidate.objects.filter(**{side: owner}).values_list("pk", flat=True))


def photo_faces(*, photo: Photo) -> list[Face]:
    """The faces found (or drawn) in a photo; uses `photo_faces_prefetch` when loaded."""
    return list(photo.faces.all())


def photo_faces_prefetch(*, photos: str = "") -> str:
    """The lookup that prefetches photos' faces, for `prefetch_related`: `photos` is the
    path to the photos (`"photos"` from a case or report), empty from photos themselves."""
    return f"{photos}__faces" if photos else "faces"


def case_closed(*, case_id: int) -> None:
    """The case was reunited or closed: its reports' partners may need telling (on commit)."""
    outcomes.case_closed_outcomes_changed(case_id=case_id)


def open_candidate_exists(*, found_report_ref: OuterRef) -> Exists:
    """A subquery: the report has a candidate still waiting for reviewers."""
    return Exists(
        Candidate.objects.filter(
            found_report=found_report_ref,
            status__in=[Candidate.Status.PENDING, Candidate.Status.DISPUTED],
        )
    )


def reunification_step_record(*, user: User, candidate_id: int, stage: str, note: str) -> None:
    """The case owner records a step after a confirmation (contact, verification, reunion)."""
    candidate = Candidate.objects.get(pk=candidate_id)
    reunification.reunification_step_record(user=user, candidate=candidate, stage=stage, note=note)
