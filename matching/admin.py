from django.contrib import admin

from matching.models import Candidate, ReviewDecision


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
