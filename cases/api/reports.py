"""Found-child reports: list, file, read, update, withdraw, add a photo."""

from __future__ import annotations

from django.urls import reverse
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import serializers
from rest_framework.response import Response
from rest_framework.views import APIView

from cases.access.http import AuthenticatedRequest
from cases.access.permissions import Action, action_require
from cases.api.filters import PAGE_HEADERS, ReportListFilter, records_page
from cases.api.inputs import (
    IDEMPOTENCY_KEY,
    PhotoAddInput,
    form_fields,
    idempotency_key,
    upload_read,
    uploads_read,
)
from cases.api.serializers import OutcomeField, PhotoOutput, ProcessingStateField
from cases.models import FoundReport
from cases.partners.idempotency import report_create_idempotent
from cases.partners.outcomes import report_outcome, reports_with_outcome
from cases.records import reports, selectors
from cases.records.reports import REPORT_EDITABLE_FIELDS
from cases.safeguards.erasure import report_withdraw
from matching import interfaces as matching
from reunite.kernel.api.responses import (
    ETAG,
    IF_MATCH,
    LOCATION,
    created_response,
    if_match_check,
    resource_response,
)
from reunite.kernel.api.schema import problems


class ReportOutput(serializers.ModelSerializer):
    photos = PhotoOutput(many=True, read_only=True)
    processing_state = ProcessingStateField()
    outcome = OutcomeField(lambda report: report_outcome(report=report))

    class Meta:
        model = FoundReport
        fields = [
            "id",
            "reference",
            "status",
            "external_ref",
            *REPORT_EDITABLE_FIELDS,
            "created_at",
            "photos",
            "processing_state",
            "outcome",
        ]


class ReportFieldsInput(serializers.ModelSerializer):
    class Meta:
        model = FoundReport
        # legal_basis is optional in the API: the model's default (vital interests) applies.
        fields = ["external_ref", *REPORT_EDITABLE_FIELDS]
        # Duplicates are answered with the existing report, not a validation error.
        validators: list = []

    def validate(self, attrs: dict) -> dict:
        low = attrs.get("estimated_age_min", getattr(self.instance, "estimated_age_min", None))
        high = attrs.get("estimated_age_max", getattr(self.instance, "estimated_age_max", None))
        if low is not None and high is not None and low > high:
            raise serializers.ValidationError(
                {"estimated_age_max": "Must be at least estimated_age_min."}
            )
        return attrs


class ReportInput(ReportFieldsInput):
    photos = serializers.ListField(
        child=serializers.ImageField(),
        required=False,
        write_only=True,
        help_text="Repeat for several photos (at most 10). Optional `photo_taken_on` / "
        "`photo_age_in_photo` fields, repeated in the same order, date them.",
    )

    class Meta(ReportFieldsInput.Meta):
        fields = [*ReportFieldsInput.Meta.fields, "photos"]


class ReportUpdateInput(ReportFieldsInput):
    class Meta(ReportFieldsInput.Meta):
        fields = list(REPORT_EDITABLE_FIELDS)
        extra_kwargs = {f: {"required": False} for f in fields}


def _report_output(report: FoundReport) -> dict:
    fresh = reports_with_outcome(FoundReport.objects.filter(pk=report.pk)).prefetch_related(
        matching.photo_faces_prefetch(photos="photos")
    )
    return ReportOutput(fresh.get()).data


class ReportListCreateApi(APIView):
    @extend_schema(
        summary="List your organisation's found reports",
        description="The found-child reports of your organisation, with their photos' states, "
        "`processing_state` and `outcome`, narrowed by the filters. At most `limit` (100 "
        "unless asked, at most 500) in id order: follow the `Link` header to the next page; "
        "`X-Total-Count` says how many match.",
        parameters=[ReportListFilter, *PAGE_HEADERS],
        responses={200: ReportOutput(many=True), **problems(400)},
    )
    def get(self, request: AuthenticatedRequest) -> Response:
        found, headers = records_page(
            request=request,
            queryset=reports_with_outcome(selectors.report_list(user=request.user)),
            spec=ReportListFilter,
        )
        return Response(ReportOutput(found, many=True).data, headers=headers)

    @extend_schema(
        summary="File a found report (multipart, with photos)",
        description="Safe to retry: the same `external_ref`, or the same `Idempotency-Key`, "
        "returns the existing report with 200 and the same body; never a second report.",
        parameters=[IDEMPOTENCY_KEY, LOCATION],
        request=ReportInput,
        responses={
            200: OpenApiResponse(ReportOutput, description="A retry: the existing report."),
            201: ReportOutput,
            **problems(400, 413, 415, 422),
        },
    )
    def post(self, request: AuthenticatedRequest) -> Response:
        action_require(user=request.user, action=Action.REPORT_CREATE)
        serializer = ReportInput(data=form_fields(request))
        serializer.is_valid(raise_exception=True)
        fields = dict(serializer.validated_data)
        fields.pop("photos", None)
        report, created = report_create_idempotent(
            user=request.user,
            idempotency_key=idempotency_key(request),
            photos=uploads_read(request, "photos"),
            **fields,
        )
        return created_response(
            _report_output(report),
            created=created,
            location=reverse("api:report-detail", kwargs={"report_id": report.pk}),
        )


class ReportDetailApi(APIView):
    @extend_schema(
        summary="A found report: photo states, processing state and outcome",
        description="Poll this, or register a webhook, to follow a report. Enums in the "
        "answer are open: v1 may add values.",
        parameters=[ETAG],
        responses={200: ReportOutput, **problems(404)},
    )
    def get(self, request: AuthenticatedRequest, report_id: int) -> Response:
        report = selectors.report_get(user=request.user, report_id=report_id)
        return resource_response(_report_output(report))

    @extend_schema(
        summary="Change a report's details",
        description="Any of the fields; `external_ref` cannot change.",
        request=ReportUpdateInput,
        parameters=[IF_MATCH, ETAG],
        responses={200: ReportOutput, **problems(400, 404, 409, 412)},
    )
    def patch(self, request: AuthenticatedRequest, report_id: int) -> Response:
        report = selectors.report_get(
            user=request.user, report_id=report_id, action=Action.REPORT_EDIT
        )
        if_match_check(request, current=_report_output(report))
        serializer = ReportUpdateInput(instance=report, data=form_fields(request), partial=True)
        serializer.is_valid(raise_exception=True)
        report = reports.report_update(
            user=request.user, report=report, **serializer.validated_data
        )
        return resource_response(_report_output(report))

    @extend_schema(
        summary="Withdraw a report",
        description="Its photos, faces, embeddings, index entries and candidates are erased; "
        "a tombstone with status `withdrawn` stays so a retry does not re-create it. "
        "Withdrawing again changes nothing.",
        responses={
            200: OpenApiResponse(ReportOutput, description="The withdrawn report."),
            **problems(400, 404),
        },
    )
    def delete(self, request: AuthenticatedRequest, report_id: int) -> Response:
        report = selectors.report_get(
            user=request.user, report_id=report_id, action=Action.REPORT_EDIT
        )
        report = report_withdraw(user=request.user, report=report)
        return Response(_report_output(report))


class ReportWithdrawInput(serializers.Serializer):
    reason = serializers.CharField(required=False, allow_blank=True, max_length=300)


class ReportWithdrawApi(APIView):
    @extend_schema(
        summary="Withdraw a report, with a reason",
        description="The same as DELETE on the report, with an optional `reason` for the "
        "audit trail.",
        request=ReportWithdrawInput,
        responses={200: ReportOutput, **problems(400, 404)},
    )
    def post(self, request: AuthenticatedRequest, report_id: int) -> Response:
        report = selectors.report_get(
            user=request.user, report_id=report_id, action=Action.REPORT_EDIT
        )
        serializer = ReportWithdrawInput(data=request.data)
        serializer.is_valid(raise_exception=True)
        report = report_withdraw(
            user=request.user, report=report, reason=serializer.validated_data.get("reason", "")
        )
        return Response(_report_output(report))


class ReportPhotoAddApi(APIView):
    @extend_schema(
        summary="Add a photo to a report",
        description="Multipart: one `image`, optional `taken_on` and `age_in_photo`. Faces are "
        "found after the answer: poll `GET /api/v1/photos/{photo_id}/`.",
        request=PhotoAddInput,
        parameters=[LOCATION],
        responses={201: PhotoOutput, **problems(400, 404, 409, 413, 415)},
    )
    def post(self, request: AuthenticatedRequest, report_id: int) -> Response:
        report = selectors.report_get(
            user=request.user, report_id=report_id, action=Action.PHOTO_ADD
        )
        photo = reports.report_photo_add(
            user=request.user, report=report, upload=upload_read(request)
        )
        return created_response(
            PhotoOutput(photo).data,
            location=reverse("api:photo-detail", kwargs={"photo_id": photo.pk}),
        )
