"""Matching's admin is read-only, for everyone: candidates, decisions, duplicates, faces and
embeddings change only through services (the two-person rule, the audit trail), never by raw
edits.
"""

from django.contrib import admin

from cases.access.admin import ReadOnlyAdmin, ReadOnlyInline
from matching.models import (
    Candidate,
    CandidatePair,
    DisputeResolution,
    Duplicate,
    Embedding,
    EmbeddingSpace,
    Face,
    ReunificationStep,
    ReviewDecision,
)


class DecisionInline(ReadOnlyInline):
    model = ReviewDecision
    fields = readonly_fields = ("reviewer", "decision", "note", "created_at")


class ReunificationStepInline(ReadOnlyInline):
    model = ReunificationStep
    fields = readonly_fields = ("stage", "note", "recorded_by", "created_at")


@admin.register(Candidate)
class CandidateAdmin(ReadOnlyAdmin):
    list_display = ["id", "case", "found_report", "best_score", "agreeing_pairs", "status"]
    list_filter = ["status", "held_back"]
    inlines = [DecisionInline, ReunificationStepInline]


@admin.register(CandidatePair)
class CandidatePairAdmin(ReadOnlyAdmin):
    list_display = ["id", "candidate", "case_face", "report_face", "score"]


@admin.register(ReviewDecision)
class ReviewDecisionAdmin(ReadOnlyAdmin):
    list_display = ["id", "candidate", "reviewer", "decision", "created_at"]
    list_filter = ["decision"]


@admin.register(Duplicate)
class DuplicateAdmin(ReadOnlyAdmin):
    """Linked or told apart by a caseworker's decision (matching/candidates/duplicates.py)."""

    list_display = ["id", "side", "status", "best_score", "created_at"]


@admin.register(DisputeResolution)
class DisputeResolutionAdmin(ReadOnlyAdmin):
    list_display = ["candidate", "resolved_by", "decision", "created_at"]


@admin.register(ReunificationStep)
class ReunificationStepAdmin(ReadOnlyAdmin):
    list_display = ["candidate", "stage", "recorded_by", "created_at"]


@admin.register(Face)
class FaceAdmin(ReadOnlyAdmin):
    list_display = ["id", "photo", "ordinal", "is_selected", "detector_score"]


@admin.register(Embedding)
class EmbeddingAdmin(ReadOnlyAdmin):
    list_display = ["id", "face", "side", "space", "indexed_at"]
    list_filter = ["space", "side"]
    # The vector is binary and means nothing to a person.
    exclude = ["vector"]


@admin.register(EmbeddingSpace)
class EmbeddingSpaceAdmin(ReadOnlyAdmin):
    """Spaces change only through `manage.py reembed`, which audits it."""

    list_display = ["name", "status", "profile", "activated_at", "retired_at"]
