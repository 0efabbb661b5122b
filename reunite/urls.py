from django.contrib import admin
from django.urls import path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerView

from cases import api as cases_api
from matching import api as matching_api

api_v1 = [
    path("cases/", cases_api.CaseListCreateApi.as_view(), name="case-list"),
    path("cases/<int:case_id>/", cases_api.CaseDetailApi.as_view(), name="case-detail"),
    path("cases/<int:case_id>/photos/", cases_api.CasePhotoAddApi.as_view(), name="case-photos"),
    path("found-reports/", cases_api.ReportListCreateApi.as_view(), name="report-list"),
    path(
        "found-reports/<int:report_id>/", cases_api.ReportDetailApi.as_view(), name="report-detail"
    ),
    path(
        "found-reports/<int:report_id>/photos/",
        cases_api.ReportPhotoAddApi.as_view(),
        name="report-photos",
    ),
    path("photos/<int:photo_id>/", cases_api.PhotoDetailApi.as_view(), name="photo-detail"),
    path(
        "photos/<int:photo_id>/select-face/",
        cases_api.PhotoSelectFaceApi.as_view(),
        name="photo-select-face",
    ),
    path("review/candidates/", matching_api.CandidateListApi.as_view(), name="candidate-list"),
    path(
        "review/candidates/<int:candidate_id>/decision/",
        matching_api.CandidateDecisionApi.as_view(),
        name="candidate-decision",
    ),
]

urlpatterns = [
    path("admin/", admin.site.urls),
    path("api/schema/", SpectacularAPIView.as_view(), name="schema"),
    path("api/docs/", SpectacularSwaggerView.as_view(url_name="schema"), name="api-docs"),
    *[path(f"api/v1/{p.pattern}", p.callback, name=p.name) for p in api_v1],
]
