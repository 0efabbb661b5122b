from django.contrib import admin
from django.http import HttpRequest

from matching.models import Candidate, EmbeddingGeneration, ReviewDecision


class DecisionInline(admin.TabularInline):
    model = ReviewDecision
    extra = 0
    readonly_fields = ["reviewer", "decision", "note", "created_at"]


@admin.register(Candidate)
class CandidateAdmin(admin.ModelAdmin):
    list_display = ["id", "case", "found_report", "best_score", "agreeing_pairs", "status"]
    list_filter = ["status"]
    inlines = [DecisionInline]
    readonly_fields = ["best_score", "best_case_face", "best_report_face", "agreeing_pairs"]


@admin.register(EmbeddingGeneration)
class EmbeddingGenerationAdmin(admin.ModelAdmin):
    """Read-only: generations change only through `manage.py reembed`, which audits it."""

    list_display = ["space", "status", "profile", "activated_at", "retired_at"]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False
