from csp.decorators import csp_update
from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import include, path
from django.views.generic import RedirectView
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerView

from cases.api import bulk as bulk_api
from cases.api import cases as cases_api
from cases.api import pfif as pfif_api
from cases.api import photos as photos_api
from cases.api import reports as reports_api
from cases.api import webhooks as webhooks_api
from cases.portal import organisation as organisation_portal
from cases.portal import printing
from cases.portal import views as portal
from cases.portal.offline import LogoutView
from cases.portal.urls import (
    account_urls,
    apikey_urls,
    language_urls,
    offline_urls,
    otp_urls,
    user_urls,
)
from matching import urls as matching_urls
from reunite.kernel.api.converters import converters_register
from reunite.kernel.api.problems import problem_docs
from reunite.kernel.api.views import api_not_found
from reunite.ops.metrics import metrics_view
from reunite.programme import views as programme

# Under /api/ a failure is a problem+json (503 when a dependency is down), never HTML.
handler500 = "reunite.kernel.api.views.server_error"
# Elsewhere the branded pages in templates/ (403, 404, 500; 429 is django-axes' lockout).
handler403 = "reunite.kernel.api.views.permission_denied"
handler404 = "reunite.kernel.api.views.page_not_found"

# `<rid:...>`: ids too long for the database are a 404, not a 500.
converters_register()

api_v1 = [
    path("cases/", cases_api.CaseListCreateApi.as_view(), name="case-list"),
    path("cases/<rid:case_id>/", cases_api.CaseDetailApi.as_view(), name="case-detail"),
    path("cases/<rid:case_id>/photos/", cases_api.CasePhotoAddApi.as_view(), name="case-photos"),
    path(
        "cases/<rid:case_id>/withdraw-consent/",
        cases_api.CaseConsentWithdrawApi.as_view(),
        name="case-withdraw-consent",
    ),
    path("cases/<rid:case_id>/pfif/", pfif_api.CasePfifExportApi.as_view(), name="case-pfif"),
    path("pfif/import/", pfif_api.PfifImportApi.as_view(), name="pfif-import"),
    path("found-reports/", reports_api.ReportListCreateApi.as_view(), name="report-list"),
    path("found-reports/bulk/", bulk_api.ReportBulkCreateApi.as_view(), name="report-bulk"),
    path(
        "found-reports/<rid:report_id>/",
        reports_api.ReportDetailApi.as_view(),
        name="report-detail",
    ),
    path(
        "found-reports/<rid:report_id>/withdraw/",
        reports_api.ReportWithdrawApi.as_view(),
        name="report-withdraw",
    ),
    path(
        "found-reports/<rid:report_id>/photos/",
        reports_api.ReportPhotoAddApi.as_view(),
        name="report-photos",
    ),
    path("photos/<rid:photo_id>/", photos_api.PhotoDetailApi.as_view(), name="photo-detail"),
    path(
        "photos/<rid:photo_id>/select-face/",
        photos_api.PhotoSelectFaceApi.as_view(),
        name="photo-select-face",
    ),
    path("webhooks/", webhooks_api.WebhookListCreateApi.as_view(), name="webhook-list"),
    path(
        "webhooks/<rid:endpoint_id>/",
        webhooks_api.WebhookDetailApi.as_view(),
        name="webhook-detail",
    ),
    path(
        "webhooks/<rid:endpoint_id>/deliveries/",
        webhooks_api.WebhookDeliveryListApi.as_view(),
        name="webhook-deliveries",
    ),
    *matching_urls.api_urls,
    # Last: any other /api/v1/ path is a problem+json 404, not the HTML page.
    path("<anything:unknown_path>", api_not_found, name="not-found"),
]

portal_urls = [
    path("", portal.dashboard, name="dashboard"),
    path("notifications/", portal.notification_history, name="notifications"),
    path(
        "notifications/<int:notification_id>/read/",
        portal.notification_read,
        name="notification-read",
    ),
    path("cases/", portal.case_list, name="case-list"),
    path("cases/new/", portal.case_create, name="case-create"),
    path("cases/<int:case_id>/", portal.case_detail, name="case-detail"),
    path("cases/<int:case_id>/edit/", portal.case_edit, name="case-edit"),
    path("cases/<int:case_id>/summary.pdf", printing.case_summary_pdf, name="case-summary-pdf"),
    path("cases/<int:case_id>/photos/add/", portal.case_photo_add, name="case-photo-add"),
    path("cases/<int:case_id>/close/", portal.case_close, name="case-close"),
    path(
        "cases/<int:case_id>/withdraw-consent/",
        portal.case_consent_withdraw,
        name="case-consent-withdraw",
    ),
    path("org/profile/", organisation_portal.organisation_profile, name="organisation-profile"),
    path("audit/", portal.audit_log, name="audit-log"),
    path("programme/", programme.programme, name="programme"),
    path("programme/charts/<slug:name>.svg", programme.programme_chart, name="programme-chart"),
    path("reports/", portal.report_list, name="report-list"),
    path("reports/new/", portal.report_create, name="report-create"),
    path("reports/<int:report_id>/", portal.report_detail, name="report-detail"),
    path("reports/<int:report_id>/edit/", portal.report_edit, name="report-edit"),
    path("reports/<int:report_id>/photos/add/", portal.report_photo_add, name="report-photo-add"),
    path("photos/<int:photo_id>/select-face/", portal.photo_select_face, name="photo-select-face"),
    path("photos/<int:photo_id>/status/", portal.photo_status, name="photo-status"),
    path("photos/<int:photo_id>/remove/", portal.photo_remove, name="photo-remove"),
    path("photos/<int:photo_id>/<str:variant>/", portal.photo_image, name="photo-image"),
    *matching_urls.portal_urls,
]

urlpatterns = [
    # /admin/ writes nothing unaudited: an operator's own password changes by the audited
    # e-mailed link, like everyone's.
    path(
        "admin/password_change/",
        RedirectView.as_view(pattern_name="password_reset"),
        name="admin-password-change",
    ),
    path("admin/", admin.site.urls),
    # Operators' Prometheus scrape (bearer token). /healthz and /readyz: reunite/ops/health.py.
    path("metrics", metrics_view, name="metrics"),
    path(
        "accounts/login/",
        auth_views.LoginView.as_view(redirect_authenticated_user=True),
        name="login",
    ),
    # Sign-out also erases what the browser keeps for offline use (Clear-Site-Data).
    path("accounts/logout/", LogoutView.as_view(), name="logout"),
    path("accounts/2fa/", include((otp_urls, "otp"))),
    path("accounts/", include(account_urls)),
    path("org/api-keys/", include((apikey_urls, "apikeys"))),
    path("org/users/", include(user_urls)),
    path("api/schema/", SpectacularAPIView.as_view(), name="schema"),
    # Swagger UI's own stylesheet draws its icons as data: images; only this page allows them.
    path(
        "api/docs/",
        csp_update({"img-src": ["data:"]})(SpectacularSwaggerView.as_view(url_name="schema")),
        name="api-docs",
    ),
    # What each problem `type` means: every problem's `type` points here (docs/problems.md).
    path("api/problems/", problem_docs, name="problem-docs"),
    path("api/v1/", include((api_v1, "api"), namespace="api")),
    *offline_urls,
    *language_urls,
    *portal_urls,
]
