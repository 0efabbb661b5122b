"""Reads for matching: embeddings for the index, and candidates for reviewers."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass

import numpy as np
from django.conf import settings
from django.db import connection, transaction
from django.db.models import Count, IntegerField, OuterRef, Q, QuerySet, Subquery, Value
from django.db.models.functions import Coalesce
from django.http import Http404
from django.utils.translation import gettext as _

from cases.access.permissions import Action, action_require, user_can
from cases.models import AuditEvent, FoundReport, MissingCase, Organisation, Photo, User
from matching.models import (
    Candidate,
    Duplicate,
    Embedding,
    EmbeddingSpace,
    Face,
    ReunificationStage,
    ReunificationStep,
)


def _live_embeddings(*, space: str, side: str) -> QuerySet[Embedding]:
    """Embeddings that may be searched: selected faces of ready photos of live records."""
    # A subquery, not a join: PostgreSQL misjudged the join's outer rows as one and read a
    # million faces by nested loops (11 s at 1M a side, 3.6 s this way).
    withdrawn = FoundReport.objects.filter(status=FoundReport.Status.WITHDRAWN)
    return Embedding.objects.filter(
        space=space,
        side=side,
        face__is_selected=True,
        face__photo__status=Photo.Status.READY,
    ).exclude(face__photo__found_report__in=withdrawn)


def embedding_face_ids(*, space: str, side: str) -> set[int]:
    return set(_live_embeddings(space=space, side=side).values_list("face_id", flat=True))


def embedding_vectors(
    *, space: str, side: str, face_ids: Iterable[int] | None = None
) -> Iterator[tuple[int, np.ndarray]]:
    rows = _live_embeddings(space=space, side=side)
    if face_ids is not None:
        rows = rows.filter(face_id__in=list(face_ids))
    for face_id, vector in rows.values_list("face_id", "vector").iterator(chunk_size=5000):
        yield face_id, np.frombuffer(bytes(vector), dtype=np.float32)


# A case in one of these makes no candidate; a candidate made before it closed waits on nobody.
CLOSED_CASE_STATUSES = (
    MissingCase.Status.REUNITED,
    MissingCase.Status.CLOSED,
    MissingCase.Status.ERASED,
)


def case_is_closed(*, case: MissingCase) -> bool:
    return case.status in CLOSED_CASE_STATUSES


def candidate_list(
    *,
    user: User,
    status: str | None = None,
    held_back: bool | None = False,
    closed_cases: bool = False,
) -> QuerySet[Candidate]:
    """The review queue: the highest combined likelihood ratio (face and other evidence)
    first, then the best face evidence, then oldest.

    By default only candidates whose details are compatible, at most
    REUNITE_CANDIDATES_PER_REPORT waiting per found child (`candidates_capped`);
    `held_back=True` lists the ones held back for incompatible sex, age or dates or
    evidence that falls short together (each with its reasons), and
    `held_back=None` lists both. A reviewer never sees candidates that involve their own
    organisation. A candidate still waiting whose case was since reunited or closed waits
    on nobody: it is listed only with `closed_cases=True` (its own page says why).
    """
    action_require(user=user, action=Action.CANDIDATE_REVIEW)
    queryset = Candidate.objects.select_related("case", "found_report").order_by(
        "-likelihood_ratio", "-evidence_score", "-best_score", "created_at"
    )
    if not closed_cases:
        queryset = queryset.exclude(
            case__status__in=CLOSED_CASE_STATUSES,
            status__in=[Candidate.Status.PENDING, Candidate.Status.DISPUTED],
        )
    if user.organisation_id is not None:
        queryset = queryset.exclude(
            Q(case__organisation_id=user.organisation_id)
            | Q(found_report__organisation_id=user.organisation_id)
        )
    if status:
        queryset = queryset.filter(status=status)
    if held_back is not None:
        queryset = queryset.filter(held_back=held_back)
    if held_back is False:
        queryset = candidates_capped(queryset)
    return queryset


def candidates_capped(queryset: QuerySet[Candidate]) -> QuerySet[Candidate]:
    """At most REUNITE_CANDIDATES_PER_REPORT waiting candidates per found child: those with
    the highest combined likelihood ratio (ties: the best face evidence, then the oldest).
    The rest stay recorded and wait behind them."""
    better = (
        Candidate.objects.filter(
            found_report=OuterRef("found_report"),
            status=Candidate.Status.PENDING,
            held_back=False,
        )
        .filter(
            Q(likelihood_ratio__gt=OuterRef("likelihood_ratio"))
            | Q(
                likelihood_ratio=OuterRef("likelihood_ratio"),
                evidence_score__gt=OuterRef("evidence_score"),
            )
            | Q(
                likelihood_ratio=OuterRef("likelihood_ratio"),
                evidence_score=OuterRef("evidence_score"),
                pk__lt=OuterRef("pk"),
            )
        )
        .order_by()
        .values("found_report")
        .annotate(n=Count("pk"))
        .values("n")
    )
    return queryset.annotate(
        better_for_report=Coalesce(Subquery(better, output_field=IntegerField()), Value(0))
    ).filter(
        Q(better_for_report__lt=settings.CANDIDATES_PER_REPORT)
        | ~Q(status=Candidate.Status.PENDING)
    )


def candidate_get(*, user: User, candidate_id: int) -> Candidate:
    try:
        return candidate_list(user=user, held_back=None, closed_cases=True).get(pk=candidate_id)
    except (Candidate.DoesNotExist, ValueError, TypeError) as exc:
        raise Http404("No such candidate.") from exc


def candidates_for_case(*, case: MissingCase) -> QuerySet[Candidate]:
    return case.candidates.order_by("-evidence_score", "-best_score")


_Stage = ReunificationStage
# After these nothing more is recorded on the candidate.
FINAL_STAGES = frozenset({_Stage.REUNITED, _Stage.HANDED_TO_AUTHORITY, _Stage.VERIFIED_NOT_SAME})
VERIFIED_STAGES = frozenset({_Stage.VERIFIED_SAME, _Stage.VERIFIED_NOT_SAME})


def reunification_stages_open(*, steps: list[ReunificationStep]) -> list[str]:
    """The stages that may be recorded next, given the steps already recorded."""
    done = {step.stage for step in steps}
    if done & FINAL_STAGES:
        return []
    stages = [_Stage.CONTACT_MADE, _Stage.VERIFICATION_PLANNED]
    if not done & VERIFIED_STAGES:
        stages += [_Stage.VERIFIED_SAME, _Stage.VERIFIED_NOT_SAME]
    else:
        stages.append(_Stage.REUNITED)
    stages.append(_Stage.HANDED_TO_AUTHORITY)
    return [stage.value for stage in stages]


@dataclass(frozen=True)
class Reunification:
    """A confirmed candidate as its case owner sees it: the found child and whom to call."""

    candidate: Candidate
    report: FoundReport
    organisation: Organisation
    # The found child's photo behind the best pair (served audited by the portal).
    photo_id: int
    steps: list[ReunificationStep]
    stages_open: list[tuple[str, str]]


def reunifications_for_case(*, case: MissingCase) -> list[Reunification]:
    """Confirmed candidates of a case, and those whose verification has ended, with steps."""
    candidates = (
        case.candidates.filter(Q(status=Candidate.Status.CONFIRMED) | ~Q(reunification_stage=""))
        .select_related("found_report__organisation", "best_report_face")
        .prefetch_related("reunification_steps__recorded_by")
        .order_by("-updated_at")
    )
    labels = dict(ReunificationStage.choices)
    found: list[Reunification] = []
    for candidate in candidates:
        steps = list(candidate.reunification_steps.all())
        stages = (
            reunification_stages_open(steps=steps)
            if candidate.status == Candidate.Status.CONFIRMED
            else []
        )
        found.append(
            Reunification(
                candidate=candidate,
                report=candidate.found_report,
                organisation=candidate.found_report.organisation,
                photo_id=candidate.best_report_face.photo_id,
                steps=steps,
                stages_open=[(stage, str(labels[stage])) for stage in stages],
            )
        )
    return found


def photo_viewable_by_case_owner(*, user: User, photo: Photo) -> bool:
    """The found child's best photo of a confirmed candidate, for the case's organisation."""
    if not user_can(user, Action.CASE_VIEW) or user.organisation_id is None:
        return False
    return Candidate.objects.filter(
        status=Candidate.Status.CONFIRMED,
        case__organisation_id=user.organisation_id,
        best_report_face__photo_id=photo.pk,
    ).exists()


def dispute_list(*, user: User) -> QuerySet[Candidate]:
    """Disputed candidates with every decision, for a senior reviewer's final decision."""
    action_require(user=user, action=Action.DISPUTE_RESOLVE)
    return (
        candidate_list(user=user, status=Candidate.Status.DISPUTED, held_back=None)
        .select_related("case__organisation", "found_report__organisation")
        .prefetch_related("decisions__reviewer")
    )


def gallery_size(*, space: str, side: str) -> int:
    """How many faces one search on `side` compares against (for expected false candidates)."""
    return _live_embeddings(space=space, side=side).count()


def photo_viewable_by_reviewer(*, user: User, photo: Photo) -> bool:
    """Reviewers see a photo only while they have a part in a candidate it belongs to: one
    waiting for review, or a disputed one for a senior reviewer. Once a candidate is
    confirmed, rejected, withdrawn or verified, no reviewer's part is left and nor is access.
    """
    if not user_can(user, Action.CANDIDATE_REVIEW):
        return False
    still_theirs = Q(status=Candidate.Status.PENDING)
    if user_can(user, Action.DISPUTE_RESOLVE):
        still_theirs |= Q(status=Candidate.Status.DISPUTED)
    queue = candidate_list(user=user, held_back=None, closed_cases=True).filter(still_theirs)
    if photo.side == Photo.Side.CASE:
        return queue.filter(case_id=photo.case_id).exists()
    return queue.filter(found_report_id=photo.found_report_id).exists()


# --- Embedding generations -----------------------------------------------------------------


def faces_to_embed(*, space: str) -> QuerySet[Face]:
    """Faces matching would search that have no embedding in this space yet."""
    return (
        Face.objects.filter(is_selected=True, photo__status=Photo.Status.READY)
        .exclude(photo__found_report__status=FoundReport.Status.WITHDRAWN)
        .exclude(embeddings__space=space)
        .order_by("pk")
    )


@dataclass(frozen=True)
class GenerationProgress:
    space: str
    status: str
    embedded: int
    missing: int

    @property
    def total(self) -> int:
        return self.embedded + self.missing

    @property
    def complete(self) -> bool:
        return self.missing == 0


def space_progress(*, space: str) -> GenerationProgress:
    embedding_space = EmbeddingSpace.objects.get(name=space)
    embedded = (
        Embedding.objects.filter(
            space=space, face__is_selected=True, face__photo__status=Photo.Status.READY
        )
        .exclude(face__photo__found_report__status=FoundReport.Status.WITHDRAWN)
        .count()
    )
    return GenerationProgress(
        space=space,
        status=embedding_space.status,
        embedded=embedded,
        missing=faces_to_embed(space=space).count(),
    )


# --- The face index's log ------------------------------------------------------------------


@contextmanager
def _bulk_read() -> Iterator[None]:
    """A transaction in which PostgreSQL plans server-side cursors for reading every row.

    By default it plans them to return the first 10% fast (nested loops), which made a
    full read of a million embeddings four times slower.
    """
    with transaction.atomic():
        if connection.vendor == "postgresql":
            with connection.cursor() as cursor:
                cursor.execute("SET LOCAL cursor_tuple_fraction = 1.0")
        yield


def embedding_vector_batches(
    *, space: str, side: str, face_ids: Iterable[int] | None = None, size: int = 20_000
) -> Iterator[tuple[np.ndarray, np.ndarray]]:
    """One side's searchable (face ids, vectors) in batches: a full rebuild's reads."""
    rows = _live_embeddings(space=space, side=side)
    if face_ids is not None:
        rows = rows.filter(face_id__in=list(face_ids))
    ids: list[int] = []
    blobs: list[bytes] = []
    # One buffer a batch, not one array a row: the rows' bytes are the vectors already.
    with _bulk_read():
        for face_id, vector in rows.values_list("face_id", "vector").iterator(chunk_size=size):
            ids.append(face_id)
            blobs.append(bytes(vector))
            if len(ids) == size:
                yield _vector_batch(ids, blobs)
                ids, blobs = [], []
    if ids:
        yield _vector_batch(ids, blobs)


def _vector_batch(ids: list[int], blobs: list[bytes]) -> tuple[np.ndarray, np.ndarray]:
    vectors = np.frombuffer(b"".join(blobs), dtype=np.float32).reshape(len(ids), -1)
    return np.asarray(ids, dtype=np.int64), vectors


def embedding_live_face_ids(*, space: str, side: str) -> np.ndarray:
    """Face ids of one side's searchable embeddings, as int64 (a full reconcile's reads)."""
    ids = _live_embeddings(space=space, side=side).values_list("face_id", flat=True)
    with _bulk_read():
        return np.fromiter(ids.iterator(chunk_size=50_000), dtype=np.int64)


def embedding_log_since(
    *, after_pk: int, also: Iterable[int] = ()
) -> list[tuple[int, str, str, int]]:
    """(pk, space, side, face_id) of every embedding row after `after_pk`, and `also`."""
    rows = Embedding.objects.filter(pk__gt=after_pk)
    also = list(also)
    if also:
        rows = rows.union(Embedding.objects.filter(pk__in=also))
    return sorted(rows.values_list("pk", "space", "side", "face_id"))


def embedding_live_among(*, space: str, side: str, face_ids: Iterable[int]) -> set[int]:
    """Which of these faces are searchable on this side."""
    rows = _live_embeddings(space=space, side=side).filter(face_id__in=list(face_ids))
    return set(rows.values_list("face_id", flat=True))


def embedding_named_records_faces(*, space: str, side: str) -> dict[int, list[int]]:
    """Searchable faces of one side, by record id, of live records that give a name or a
    relative's name: the records the other evidence can reach (candidates/reach.py)."""
    rows = _live_embeddings(space=space, side=side)
    if side == Photo.Side.CASE:
        named = Q(face__photo__case__given_name__gt="") | Q(face__photo__case__other_names__gt="")
        named |= Q(face__photo__case__relatives_names__gt="")
        rows = rows.filter(named).exclude(face__photo__case__status__in=CLOSED_CASE_STATUSES)
        column = "face__photo__case_id"
    else:
        named = Q(face__photo__found_report__child_names__gt="")
        named |= Q(face__photo__found_report__relatives_names__gt="")
        rows = rows.filter(named, face__photo__found_report__status=FoundReport.Status.ACTIVE)
        column = "face__photo__found_report_id"
    faces: dict[int, list[int]] = {}
    for face_id, record_id in rows.values_list("face_id", column).iterator(chunk_size=5000):
        faces.setdefault(record_id, []).append(face_id)
    return faces


def embedding_last_pk() -> int:
    last = Embedding.objects.order_by("-pk").values_list("pk", flat=True).first()
    return int(last or 0)


def embedding_vectors_of(
    *,
    space: str,
    side: str | tuple[str, ...],
    embedding_ids: Iterable[int] = (),
    face_ids: Iterable[int] = (),
) -> dict[int, np.ndarray]:
    """Stored vectors by face id, of these embedding rows and faces (a few at a time), on
    one side or several (a face is of one side, so ids never clash).

    Not filtered to searchable faces: callers check the faces they keep (an index lookup on
    one table, however large it grows).
    """
    sides = [side] if isinstance(side, str) else list(side)
    found: dict[int, np.ndarray] = {}
    for column, values in (("id", list(embedding_ids)), ("face_id", list(face_ids))):
        if not values:
            continue
        if connection.vendor == "postgresql":
            # Each search re-ranks ~100 faces: as one array parameter, not an IN list of
            # 100, PostgreSQL parses and plans it in a third of the time.
            with connection.cursor() as cursor:
                cursor.execute(
                    f"SELECT face_id, vector FROM {Embedding._meta.db_table} "  # noqa: S608
                    f"WHERE space = %s AND side = ANY(%s) AND {column} = ANY(%s)",
                    [space, sides, values],
                )
                pairs = cursor.fetchall()
        else:
            rows = Embedding.objects.filter(
                space=space, side__in=sides, **{f"{column}__in": values}
            )
            pairs = list(rows.values_list("face_id", "vector"))
        for face_id, vector in pairs:
            found[face_id] = np.frombuffer(bytes(vector), dtype=np.float32)
    return found


@dataclass(frozen=True)
class DuplicateRow:
    """One possible duplicate of a record, as its owning caseworker may see it.

    The other record is given by reference only; when it belongs to another organisation,
    with that organisation's contact and no name, no photo and no details.
    """

    duplicate_id: int
    status: str
    status_label: str
    other_side: str
    other_reference: str
    other_id: int | None  # only for one's own organisation's record (a link to its page)
    other_organisation: str
    other_contact_email: str
    same_organisation: bool
    our_decision: str
    can_decide: bool


def record_duplicates(*, user: User, record: MissingCase | FoundReport) -> list[DuplicateRow]:
    """The duplicates of one of the user's organisation's records, closest first."""
    if record.organisation_id != user.organisation_id:
        return []
    is_case = isinstance(record, MissingCase)
    action_require(user=user, action=Action.CASE_VIEW if is_case else Action.REPORT_VIEW)
    if is_case:
        rows = Duplicate.objects.filter(Q(case_a=record) | Q(case_b=record)).select_related(
            "case_a__organisation", "case_b__organisation"
        )
    else:
        rows = Duplicate.objects.filter(Q(report_a=record) | Q(report_b=record)).select_related(
            "report_a__organisation", "report_b__organisation"
        )
    can_decide = user_can(user, Action.DUPLICATE_DECIDE)
    result = []
    for duplicate in rows.order_by("-best_score", "created_at"):
        a, b = duplicate.records()
        other = b if a.pk == record.pk else a
        same = other.organisation_id == record.organisation_id
        ours = duplicate.decisions.get(str(user.organisation_id), {}).get("decision", "")
        result.append(
            DuplicateRow(
                duplicate_id=duplicate.pk,
                status=duplicate.status,
                status_label=duplicate.get_status_display(),
                other_side=duplicate.side,
                other_reference=other.reference,
                other_id=other.pk if same else None,
                other_organisation=other.organisation.name,
                other_contact_email="" if same else other.organisation.contact_email,
                same_organisation=same,
                our_decision=ours,
                can_decide=can_decide,
            )
        )
    return result


def candidate_next(*, user: User, after: Candidate) -> Candidate | None:
    """The next candidate in the queue this reviewer can still decide: waiting, details
    compatible, not decided by them, and neither side filed or uploaded by them."""
    return (
        candidate_list(user=user, status=Candidate.Status.PENDING)
        .exclude(pk=after.pk)
        .exclude(decisions__reviewer=user)
        .exclude(
            Q(case__created_by=user)
            | Q(found_report__created_by=user)
            | Q(case__photos__uploaded_by=user)
            | Q(found_report__photos__uploaded_by=user)
        )
        .distinct()
        .first()
    )


@dataclass(frozen=True)
class CandidateDecided:
    """How a candidate's review ended, in the words it was decided."""

    summary: str  # "" while review goes on
    senior_reason: str = ""
    senior_decision: str = ""


def candidate_decided(*, candidate: Candidate) -> CandidateDecided:
    """Who decided: two reviewers, or a senior reviewer after reviewers disagreed.

    Uses the candidate's `resolution` when it was select_related; the senior's reason is for
    people who may read decisions (the case owner, reviewers who have decided).
    """
    resolution = getattr(candidate, "resolution", None)
    if resolution is not None:
        summary = (
            _("Reviewers disagreed; a senior reviewer confirmed")
            if resolution.decision == "confirm"
            else _("Reviewers disagreed; a senior reviewer said not the same child")
        )
        return CandidateDecided(
            summary=summary,
            senior_reason=resolution.reason,
            senior_decision=resolution.get_decision_display(),
        )
    if candidate.status == Candidate.Status.CONFIRMED or candidate.reunification_stage:
        return CandidateDecided(summary=_("Confirmed by two reviewers"))
    return CandidateDecided(summary="")


def drawn_face_note(*, face_id: int) -> str:
    """The reason a person gave for a face they outlined where no detector found one, for
    reviewers; "" for any other face."""
    event = (
        AuditEvent.objects.filter(action="photo.face_drawn", data__face=face_id)
        .order_by("-id")
        .first()
    )
    if event is None or not event.data.get("no_face_found"):
        return ""
    return str(event.data.get("reason", ""))
