from __future__ import annotations

import numpy as np
from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from cases.models import FoundReport, MissingCase, Photo


class Face(models.Model):
    """A face found in a photo, with its box in the stored photo's pixels."""

    photo = models.ForeignKey(Photo, on_delete=models.CASCADE, related_name="faces")
    ordinal = models.PositiveSmallIntegerField()
    x = models.PositiveIntegerField()
    y = models.PositiveIntegerField()
    w = models.PositiveIntegerField()
    h = models.PositiveIntegerField()
    detector_score = models.FloatField()
    # The face a person (or the only detection) says is the child.
    is_selected = models.BooleanField(default=False)
    selected_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        ordering = ["photo", "ordinal"]
        constraints = [
            models.UniqueConstraint(fields=["photo", "ordinal"], name="face_ordinal_unique"),
            models.UniqueConstraint(
                fields=["photo"], condition=Q(is_selected=True), name="one_selected_face_per_photo"
            ),
        ]

    def __str__(self) -> str:
        return f"Face {self.ordinal} of photo {self.photo_id}"


class EmbeddingSpace(models.Model):
    """One embedding space (space of its embeddings) and whether matching uses it.

    Exactly one space is active: photos are embedded into it and searched in its index.
    While another is being built (after a model change) new photos are embedded into both,
    and `manage.py reembed` fills in the rest; the switch-over is one audited step.
    """

    class Status(models.TextChoices):
        BUILDING = "building", _("Being built")
        ACTIVE = "active", _("In use")
        RETIRED = "retired", _("Retired")

    name = models.CharField(max_length=64, unique=True)
    # The calibration profile (matching/profiles/) that defines the space and its thresholds.
    profile = models.CharField(max_length=200)
    model_version = models.CharField(max_length=400, blank=True)
    status = models.CharField(max_length=16, choices=Status.choices)
    created_at = models.DateTimeField(auto_now_add=True)
    started_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    activated_at = models.DateTimeField(null=True, blank=True)
    activated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    retired_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["status"], condition=Q(status="active"), name="one_active_generation"
            ),
            models.UniqueConstraint(
                fields=["status"], condition=Q(status="building"), name="one_building_generation"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.name} ({self.status})"


class Embedding(models.Model):
    """A face's embedding in one space. The FAISS index is derived from these rows."""

    face = models.ForeignKey(Face, on_delete=models.CASCADE, related_name="embeddings")
    side = models.CharField(max_length=8, choices=Photo.Side.choices)
    space = models.CharField(max_length=64)
    model_version = models.CharField(max_length=400)
    vector = models.BinaryField()
    created_at = models.DateTimeField(auto_now_add=True)
    indexed_at = models.DateTimeField(null=True, blank=True)
    searched_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["face", "space"], name="one_embedding_per_space"),
        ]
        indexes = [models.Index(fields=["space", "side"], name="embedding_space_side")]

    def __str__(self) -> str:
        return f"Embedding of face {self.face_id} ({self.space})"

    def as_array(self) -> np.ndarray:
        return np.frombuffer(bytes(self.vector), dtype=np.float32)


class ReunificationStage(models.TextChoices):
    """What the case owner did after a confirmation, in the order it usually happens."""

    CONTACT_MADE = "contact_made", _("Contact made with the found child's organisation")
    VERIFICATION_PLANNED = "verification_planned", _("In-person verification planned")
    VERIFIED_SAME = "verified_same", _("Verified in person: the same child")
    VERIFIED_NOT_SAME = "verified_not_same", _("Verified in person: not the same child")
    REUNITED = "reunited", _("Reunited with the family")
    HANDED_TO_AUTHORITY = "handed_to_authority", _("Handed to the authority responsible")


class Candidate(models.Model):
    """A possible match between one case and one report, for people to review."""

    class Status(models.TextChoices):
        PENDING = "pending", _("Waiting for review")
        CONFIRMED = "confirmed", _("Confirmed by two reviewers")
        DISPUTED = "disputed", _("Disputed: waiting for a senior reviewer")
        WITHDRAWN = "withdrawn", _("Withdrawn")
        # A senior reviewer's final decision on a disputed candidate.
        REJECTED = "rejected", _("Rejected: not the same child")
        # Confirmed, then checked in person: never proposed again as the same pair.
        NOT_SAME_CHILD = "not_same_child", _("Verified in person: not the same child")

    case = models.ForeignKey(MissingCase, on_delete=models.CASCADE, related_name="candidates")
    found_report = models.ForeignKey(
        FoundReport, on_delete=models.CASCADE, related_name="candidates"
    )
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.PENDING)
    space = models.CharField(max_length=64)
    threshold = models.FloatField()
    # Cosine similarity; higher means more alike. Not a probability.
    best_score = models.FloatField()
    best_case_face = models.ForeignKey(Face, on_delete=models.PROTECT, related_name="+")
    best_report_face = models.ForeignKey(Face, on_delete=models.PROTECT, related_name="+")
    agreeing_pairs = models.PositiveIntegerField(default=1)
    # The threshold profile (matching/profiles/) in force when this candidate was scored.
    profile = models.CharField(max_length=64, blank=True)
    # All photo pairs combined (calibration.evidence_score): orders the queue.
    evidence_score = models.FloatField(default=0.0)
    # Years between the ages in the best pair's two photos, when both are known.
    age_gap_years = models.FloatField(null=True, blank=True)
    # The shown pair's calibrated false-match rate at its score, and its age cell (e.g.
    # "under 6|6-12"): see matching.spaces.rates. Empty for profiles without age cells.
    false_match_rate = models.FloatField(null=True, blank=True)
    age_cell = models.CharField(max_length=32, blank=True)
    # Sex, age and dates checked against each other; see services.search.compatibility_check.
    compatibility = models.JSONField(default=dict, blank=True)
    # Every kind of evidence beyond the face (names, relatives, places, languages, dates,
    # age, sex), each with its agreement and likelihood ratio, and the face's own ratio
    # (matching/evidence/ratios.py). Keys and words only: never a name.
    evidence = models.JSONField(default=dict, blank=True)
    # The face's ratio times every other kind's: one number, same child against different
    # children. Orders the queue and picks the candidates kept per found child.
    likelihood_ratio = models.FloatField(default=1.0)
    # Incompatible metadata: kept, listed separately, with the reasons shown.
    held_back = models.BooleanField(default=False)
    hold_reasons = models.JSONField(default=list, blank=True)
    # The last reunification step the case owner recorded (outcomes read it).
    reunification_stage = models.CharField(
        max_length=24, choices=ReunificationStage.choices, blank=True
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-evidence_score", "-best_score", "created_at"]
        constraints = [
            models.UniqueConstraint(fields=["case", "found_report"], name="one_candidate_per_pair"),
        ]
        indexes = [
            models.Index(fields=["status", "-best_score", "created_at"]),
            models.Index(fields=["held_back", "status", "-evidence_score"]),
            models.Index(
                fields=["found_report", "status", "-likelihood_ratio"],
                name="candidate_report_ratio",
            ),
        ]

    def __str__(self) -> str:
        return f"Candidate {self.pk}: {self.case_id} ↔ {self.found_report_id}"


class CandidatePair(models.Model):
    """The score of one (case face, report face) pair behind a candidate."""

    candidate = models.ForeignKey(Candidate, on_delete=models.CASCADE, related_name="pairs")
    case_face = models.ForeignKey(Face, on_delete=models.CASCADE, related_name="+")
    report_face = models.ForeignKey(Face, on_delete=models.CASCADE, related_name="+")
    score = models.FloatField()
    # Years between the ages in the two photos, when both are known (dates or ages).
    age_gap_years = models.FloatField(null=True, blank=True)
    # The case side is an age-progressed image: searched, but never shown as a photo.
    from_age_progressed = models.BooleanField(default=False)
    # Each recogniser's own cosine behind a fused score, e.g. {"SFace": 0.61, "Dlib": 0.93}.
    model_scores = models.JSONField(default=dict, blank=True)
    # The threshold this pair had to clear (it depends on the ages in the two photos).
    threshold = models.FloatField(null=True, blank=True)
    # How often strangers with these ages and faces like these score this high (per
    # comparison), and the age cell it was read from; see matching.spaces.rates.
    false_match_rate = models.FloatField(null=True, blank=True)
    age_cell = models.CharField(max_length=32, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-score"]
        constraints = [
            models.UniqueConstraint(fields=["case_face", "report_face"], name="one_score_per_pair"),
        ]

    def __str__(self) -> str:
        return f"{self.case_face_id} ↔ {self.report_face_id}: {self.score:.3f}"


class ReviewDecision(models.Model):
    class Decision(models.TextChoices):
        CONFIRM = "confirm", _("Same child")
        REJECT = "reject", _("Not the same child")
        UNSURE = "unsure", _("Needs more information")

    candidate = models.ForeignKey(Candidate, on_delete=models.CASCADE, related_name="decisions")
    reviewer = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="review_decisions"
    )
    decision = models.CharField(max_length=8, choices=Decision.choices)
    note = models.TextField()
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["created_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["candidate", "reviewer"], name="one_decision_per_reviewer"
            ),
            models.CheckConstraint(condition=~Q(note=""), name="decision_note_required"),
        ]

    def __str__(self) -> str:
        return f"{self.reviewer} → {self.decision} on {self.candidate_id}"


class Duplicate(models.Model):
    """Two records of one side (two cases, or two reports) whose photos look alike.

    Possibly the same child registered twice, by two organisations or by one. Never merged:
    a caseworker of each owning organisation says "same child" (the records are then
    linked) or "different children". One row per unordered pair: `*_a` has the lower id.
    """

    class Status(models.TextChoices):
        PENDING = "pending", _("Possibly the same child")
        # One organisation said "same child"; the other has not answered yet.
        PARTLY_CONFIRMED = "partly_confirmed", _("Same child, says one organisation")
        LINKED = "linked", _("Same child: records linked")
        DIFFERENT = "different", _("Different children")

    side = models.CharField(max_length=8, choices=Photo.Side.choices)
    case_a = models.ForeignKey(
        MissingCase, null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    case_b = models.ForeignKey(
        MissingCase, null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    report_a = models.ForeignKey(
        FoundReport, null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    report_b = models.ForeignKey(
        FoundReport, null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.PENDING)
    # Cosine similarity of the closest photo pair, and the threshold it cleared.
    best_score = models.FloatField()
    threshold = models.FloatField()
    profile = models.CharField(max_length=64, blank=True)
    face_a = models.ForeignKey(
        Face, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    face_b = models.ForeignKey(
        Face, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    # {"<organisation id>": {"decision": "same"|"different", "by": user id, "at": iso}}
    decisions = models.JSONField(default=dict, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-best_score", "created_at"]
        constraints = [
            models.UniqueConstraint(fields=["case_a", "case_b"], name="one_duplicate_per_cases"),
            models.UniqueConstraint(
                fields=["report_a", "report_b"], name="one_duplicate_per_reports"
            ),
            # Exactly one pair of records, of the row's side, lower id first.
            models.CheckConstraint(
                condition=(
                    Q(
                        side="case",
                        case_a__isnull=False,
                        case_b__isnull=False,
                        report_a__isnull=True,
                        report_b__isnull=True,
                        case_a__lt=models.F("case_b"),
                    )
                    | Q(
                        side="report",
                        report_a__isnull=False,
                        report_b__isnull=False,
                        case_a__isnull=True,
                        case_b__isnull=True,
                        report_a__lt=models.F("report_b"),
                    )
                ),
                name="duplicate_one_ordered_pair",
            ),
        ]

    def __str__(self) -> str:
        a, b = self.records()
        return f"Duplicate {self.pk}: {a.reference} ≈ {b.reference}"

    def records(self) -> tuple[MissingCase | FoundReport, MissingCase | FoundReport]:
        if self.side == Photo.Side.CASE:
            assert self.case_a is not None and self.case_b is not None
            return self.case_a, self.case_b
        assert self.report_a is not None and self.report_b is not None
        return self.report_a, self.report_b


class DisputeResolution(models.Model):
    """A senior reviewer's final decision on a disputed candidate, with the reason."""

    class Decision(models.TextChoices):
        CONFIRM = "confirm", _("Same child")
        REJECT = "reject", _("Not the same child")

    candidate = models.OneToOneField(Candidate, on_delete=models.CASCADE, related_name="resolution")
    resolved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="dispute_resolutions"
    )
    decision = models.CharField(max_length=8, choices=Decision.choices)
    reason = models.TextField()
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.CheckConstraint(condition=~Q(reason=""), name="resolution_reason_required"),
        ]

    def __str__(self) -> str:
        return f"{self.resolved_by} → {self.decision} on {self.candidate_id} (final)"


class ReunificationStep(models.Model):
    """One step the case owner recorded after a confirmation, with their note."""

    candidate = models.ForeignKey(
        Candidate, on_delete=models.CASCADE, related_name="reunification_steps"
    )
    stage = models.CharField(max_length=24, choices=ReunificationStage.choices)
    note = models.TextField()
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["created_at", "id"]
        constraints = [
            models.CheckConstraint(condition=~Q(note=""), name="reunification_note_required"),
        ]

    def __str__(self) -> str:
        return f"{self.stage} on candidate {self.candidate_id}"
