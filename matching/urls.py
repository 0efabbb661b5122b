"""matching's routes: the review queue, disputes, duplicates and reunification pages, and
the review API. reunite/urls.py mounts them beside cases' routes."""

from django.urls import path

from matching.api import candidates as candidates_api
from matching.portal import disputes, reunification, review
from reunite.kernel.api.converters import converters_register

# `<rid:...>`: ids too long for the database are a 404, not a 500.
converters_register()

# Mounted under /api/v1/ (namespace "api").
api_urls = [
    path(
        "cases/<rid:case_id>/candidates/",
        candidates_api.CaseCandidateListApi.as_view(),
        name="case-candidates",
    ),
    path("review/candidates/", candidates_api.CandidateListApi.as_view(), name="candidate-list"),
    path(
        "review/candidates/<rid:candidate_id>/decision/",
        candidates_api.CandidateDecisionApi.as_view(),
        name="candidate-decision",
    ),
]

portal_urls = [
    path(
        "cases/<int:case_id>/reunification/<int:candidate_id>/",
        reunification.reunification_step,
        name="case-reunification-step",
    ),
    path("review/", review.review_queue, name="review-queue"),
    path("review/disputed/", disputes.dispute_queue, name="review-disputed"),
    path(
        "review/disputed/<int:candidate_id>/",
        disputes.dispute_resolve_view,
        name="review-dispute-resolve",
    ),
    path("review/held-back/", review.review_queue, {"held_back": True}, name="review-held-back"),
    path("review/candidates/<int:candidate_id>/", review.candidate_detail, name="review-candidate"),
    path(
        "review/candidates/<int:candidate_id>/decision/",
        review.candidate_decision,
        name="review-decision",
    ),
    path("review/faces/<int:face_id>/crop/", review.face_crop, name="face-crop"),
    path(
        "duplicates/<int:duplicate_id>/decision/",
        review.duplicate_decision,
        name="duplicate-decision",
    ),
]
