"""API views for cases, found reports and photos. Each view: check the role, validate, call a
service or selector, serialise. Errors are RFC 9457 problems (cases/api_errors.py).
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.http import JsonResponse
from django.urls import register_converter
from django.views.decorators.csrf import csrf_exempt
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import (
    OpenApiExample,
    OpenApiParameter,
    OpenApiResponse,
    extend_schema,
    extend_schema_field,
)
from rest_framework import serializers, status
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from cases import bulk, reports, selectors, services
from cases.api_errors import PROBLEM_CONTENT_TYPE, ProblemOutput, problem_body
from cases.converters import AnyPathConverter, RecordIdConverter
from cases.idempotency import KEY_MAX_LENGTH, case_create_idempotent, report_create_idempotent
from cases.images import PhotoRejected
from cases.models import FoundReport, MissingCase, Photo
from cases.outcomes import (
    Outcome,
    ProcessingState,
    case_outcome,
    cases_with_outcome,
    processing_state,
    report_outcome,
    reports_with_outcome,
)
from cases.permissions import Action, action_require
from cases.throttling import ApiBulkRateThrottle, ApiClientRateThrottle
from matching import interfaces as matching

# `<rid:...>` in reunite/urls.py: ids too long for the database are a 404, not a 500.
register_converter(RecordIdConverter, "rid")
register_converter(AnyPathConverter, "anything")

_ERROR_TEXT = {
    400: "Invalid request (`validation_error`) or refused photo (`photo_corrupt`, ...).",
    401: "No key, or an unknown or revoked key.",
    403: "Your role may not do this.",
    404: "No such record in your organisation.",
    409: "The report was withdrawn or erased (`report_not_active`).",
    413: "Photo or request too large (`photo_too_large`, `photo_too_many_pixels`).",
    415: "Photo type not accepted (`photo_unsupported_type`).",
    422: "Idempotency-Key reused with a different request (`idempotency_key_reused`).",
    429: "Too many requests (`throttled`) or daily limit (`daily_limit_reached`); see Retry-After.",
}


def problems(*codes: int) -> dict:
    """Schema entries for the error responses an operation can give (always 401, 403, 429)."""
    return {
        (code, PROBLEM_CONTENT_TYPE): OpenApiResponse(ProblemOutput, description=_ERROR_TEXT[code])
        for code in sorted({401, 403, 429, *codes})
    }


IDEMPOTENCY_KEY = OpenApiParameter(
    "Idempotency-Key",
    OpenApiTypes.STR,
    OpenApiParameter.HEADER,
    required=False,
    description="Any unique string up to 200 characters (a UUID is good). Sending the same "
    "key again returns the first response's record with 200 and never creates a second. "
    "The same key with a different body is refused (422).",
)


def _idempotency_key(request: Request) -> str:
    key = request.headers.get("Idempotency-Key", "").strip()
    if len(key) > KEY_MAX_LENGTH:
        raise serializers.ValidationError(
            {"Idempotency-Key": [f"At most {KEY_MAX_LENGTH} characters."]}
        )
    return key


def _form_fields(request: Request) -> dict[str, Any]:
    """The request's non-file fields; the body must be an object (JSON) or a form."""
    if not hasattr(request.data, "items"):
        raise serializers.ValidationError({"non_field_errors": ["Send a JSON object or a form."]})
    return {k: v for k, v in request.data.items() if k != "photos"}


class FaceOutput(serializers.Serializer):
    id = serializers.IntegerField()
    x = serializers.IntegerField()
    y = serializers.IntegerField()
    w = serializers.IntegerField()
    h = serializers.IntegerField()
    is_selected = serializers.BooleanField()


class PhotoOutput(serializers.ModelSerializer):
    faces = FaceOutput(many=True, read_only=True)

    class Meta:
        model = Photo
        fields = [
            "id",
            "status",
            "rejection_code",
            "rejection_reason",
            "width",
            "height",
            "taken_on",
            "age_in_photo",
            "created_at",
            "faces",
        ]


class ContactOutput(serializers.Serializer):
    organisation = serializers.CharField()
    email = serializers.CharField(allow_blank=True)


class OutcomeOutput(serializers.Serializer):
    state = serializers.ChoiceField(
        choices=[o.value for o in Outcome],
        help_text="`no_match_so_far`; `under_review`: reviewers are looking at a possible "
        "match; `possible_match_confirmed`: two reviewers confirmed one, see `contact`.",
    )
    contact = ContactOutput(
        allow_null=True,
        help_text="Who to talk to at the other side's organisation; only once confirmed.",
    )


def _outcome_data(view: Any) -> dict:
    contact = (
        {"organisation": view.contact_organisation, "email": view.contact_email}
        if view.contact_organisation
        else None
    )
    return {"state": view.state.value, "contact": contact}


@extend_schema_field(OutcomeOutput)
class OutcomeField(serializers.Field):
    def __init__(self, outcome_of: Any, **kwargs: Any) -> None:
        self.outcome_of = outcome_of
        super().__init__(source="*", read_only=True, **kwargs)

    def to_representation(self, value: Any) -> dict:
        return _outcome_data(self.outcome_of(value))


@extend_schema_field(
    serializers.ChoiceField(
        choices=[s.value for s in ProcessingState],
        help_text="Photos of this record: still `processing`, `needs_face_selection`, "
        "`no_usable_photo` (all rejected), `complete`, or `no_photos`.",
    )
)
class ProcessingStateField(serializers.Field):
    def __init__(self, **kwargs: Any) -> None:
        super().__init__(source="*", read_only=True, **kwargs)

    def to_representation(self, value: Any) -> str:
        return processing_state(photos=list(value.photos.all())).value


def _uploads(request: Request, field: str) -> list[services.PhotoUpload]:
    """Read uploaded files, refusing oversized ones from their size before reading them."""
    files = request.FILES.getlist(field)
    if len(files) > settings.PHOTOS_PER_REQUEST:
        raise PhotoRejected(
            code="too_many_photos",
            detail=f"Send at most {settings.PHOTOS_PER_REQUEST} photos in one request.",
        )
    taken = request.data.getlist("photo_taken_on") if hasattr(request.data, "getlist") else []
    ages = request.data.getlist("photo_age_in_photo") if hasattr(request.data, "getlist") else []
    uploads = []
    for i, upload in enumerate(files):
        if upload.size > settings.PHOTO_MAX_BYTES:
            raise PhotoRejected(
                code="photo_too_large",
                detail=(
                    f"{upload.name} is {upload.size / 1e6:.1f} MB; the limit is "
                    f"{settings.PHOTO_MAX_BYTES / 1e6:.0f} MB."
                ),
                status=413,
                index=i,
            )
        meta = PhotoMetaInput(
            data={
                "taken_on": taken[i] if i < len(taken) and taken[i] else None,
                "age_in_photo": ages[i] if i < len(ages) and ages[i] else None,
            }
        )
        meta.is_valid(raise_exception=True)
        uploads.append(
            services.PhotoUpload(
                data=upload.read(), filename=upload.name or "", **meta.validated_data
            )
        )
    return uploads


class PhotoMetaInput(serializers.Serializer):
    taken_on = serializers.DateField(required=False, allow_null=True)
    age_in_photo = serializers.IntegerField(
        required=False, allow_null=True, min_value=0, max_value=25
    )


# --- Cases -----------------------------------------------------------------------------------


class CaseOutput(serializers.ModelSerializer):
    photos = PhotoOutput(many=True, read_only=True)
    processing_state = ProcessingStateField()
    outcome = OutcomeField(lambda case: case_outcome(case=case))

    class Meta:
        model = MissingCase
        fields = [
            "id",
            "reference",
            "status",
            "external_ref",
            "given_name",
            "family_name",
            "other_names",
            "sex",
            "date_of_birth",
            "age_min",
            "age_max",
            "last_seen_on",
            "last_seen_place",
            "description",
            "distinguishing_marks",
            "consent_given_by",
            "consent_relationship",
            "consent_given_at",
            "consent_method",
            "consent_scope",
            "created_at",
            "photos",
            "processing_state",
            "outcome",
        ]


class CaseInput(serializers.ModelSerializer):
    photos = serializers.ListField(
        child=serializers.ImageField(),
        required=False,
        write_only=True,
        help_text="Repeat for several photos. Optional `photo_taken_on`/`photo_age_in_photo` "
        "fields, repeated in the same order, date them.",
    )

    class Meta:
        model = MissingCase
        fields = [
            f
            for f in CaseOutput.Meta.fields
            if f
            not in {
                "id",
                "reference",
                "status",
                "created_at",
                "photos",
                "processing_state",
                "outcome",
            }
        ]
        fields += ["photos"]
        # A repeated external_ref returns the existing case, not a validation error.
        validators: list = []


def _case_output(case: MissingCase) -> dict:
    fresh = cases_with_outcome(MissingCase.objects.filter(pk=case.pk)).prefetch_related("photos")
    return CaseOutput(fresh.get()).data


class CaseListCreateApi(APIView):
    @extend_schema(
        summary="List your organisation's cases",
        operation_id="cases_list",
        responses={200: CaseOutput(many=True), **problems()},
    )
    def get(self, request: Request) -> Response:
        cases = cases_with_outcome(selectors.case_list(user=request.user))
        return Response(CaseOutput(cases, many=True).data)

    @extend_schema(
        summary="Create a case (multipart, with photos)",
        parameters=[IDEMPOTENCY_KEY],
        request=CaseInput,
        responses={
            200: OpenApiResponse(CaseOutput, description="A retry: the existing case."),
            201: CaseOutput,
            **problems(400, 413, 415, 422),
        },
    )
    def post(self, request: Request) -> Response:
        action_require(user=request.user, action=Action.CASE_CREATE)
        serializer = CaseInput(data=_form_fields(request))
        serializer.is_valid(raise_exception=True)
        fields = dict(serializer.validated_data)
        fields.pop("photos", None)
        case, created = case_create_idempotent(
            user=request.user,
            idempotency_key=_idempotency_key(request),
            photos=_uploads(request, "photos"),
            **fields,
        )
        return Response(
            _case_output(case), status=status.HTTP_201_CREATED if created else status.HTTP_200_OK
        )


class CaseUpdateInput(CaseInput):
    class Meta(CaseInput.Meta):
        # external_ref is how retries find the case, so it never changes.
        fields = [f for f in CaseInput.Meta.fields if f not in {"photos", "external_ref"}]


class CaseDetailApi(APIView):
    @extend_schema(summary="A case", responses={200: CaseOutput, **problems(404)})
    def get(self, request: Request, case_id: int) -> Response:
        case = selectors.case_get(user=request.user, case_id=case_id)
        return Response(_case_output(case))

    @extend_schema(
        summary="Update a case's details",
        description="Send only the fields that change. Candidates are re-checked against "
        "the new sex, ages and dates.",
        request=CaseUpdateInput,
        responses={200: CaseOutput, **problems(400, 404)},
    )
    def patch(self, request: Request, case_id: int) -> Response:
        case = selectors.case_get(user=request.user, case_id=case_id, action=Action.CASE_EDIT)
        serializer = CaseUpdateInput(instance=case, data=_form_fields(request), partial=True)
        serializer.is_valid(raise_exception=True)
        case = services.case_update(user=request.user, case=case, **serializer.validated_data)
        return Response(_case_output(case))


class ConsentWithdrawInput(serializers.Serializer):
    reason = serializers.CharField(
        max_length=500, help_text="How and when the guardian withdrew consent."
    )


class CaseConsentWithdrawApi(APIView):
    @extend_schema(
        summary="Record that the guardian withdrew consent, and erase the case now",
        description="Photos, faces, embeddings, index entries and candidates are erased at "
        "once; a tombstone without personal data stays for the audit trail.",
        request=ConsentWithdrawInput,
        responses={200: CaseOutput, **problems(400, 404)},
    )
    def post(self, request: Request, case_id: int) -> Response:
        from cases.erasure import case_consent_withdraw

        case = selectors.case_get(user=request.user, case_id=case_id, action=Action.CASE_EDIT)
        serializer = ConsentWithdrawInput(data=request.data)
        serializer.is_valid(raise_exception=True)
        case = case_consent_withdraw(
            user=request.user, case=case, reason=serializer.validated_data["reason"]
        )
        return Response(_case_output(case))


class PhotoAddInput(PhotoMetaInput):
    image = serializers.ImageField()


def _single_upload(request: Request) -> services.PhotoUpload:
    meta = PhotoMetaInput(
        data={k: request.data.get(k) or None for k in ("taken_on", "age_in_photo")}
        if hasattr(request.data, "get")
        else {}
    )
    meta.is_valid(raise_exception=True)
    files = request.FILES.getlist("image")
    if len(files) != 1:
        raise serializers.ValidationError({"image": ["Send exactly one `image` file."]})
    if files[0].size > settings.PHOTO_MAX_BYTES:
        raise PhotoRejected(
            code="photo_too_large",
            detail=f"The photo is {files[0].size / 1e6:.1f} MB; the limit is "
            f"{settings.PHOTO_MAX_BYTES / 1e6:.0f} MB.",
            status=413,
        )
    return services.PhotoUpload(
        data=files[0].read(), filename=files[0].name or "", **meta.validated_data
    )


class CasePhotoAddApi(APIView):
    @extend_schema(
        summary="Add a photo to a case",
        request=PhotoAddInput,
        responses={201: PhotoOutput, **problems(400, 404, 413, 415)},
    )
    def post(self, request: Request, case_id: int) -> Response:
        case = selectors.case_get(user=request.user, case_id=case_id, action=Action.PHOTO_ADD)
        photo = services.photo_add(user=request.user, owner=case, upload=_single_upload(request))
        return Response(PhotoOutput(photo).data, status=status.HTTP_201_CREATED)


# --- Found reports ---------------------------------------------------------------------------


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
            "found_on",
            "found_place",
            "estimated_age_min",
            "estimated_age_max",
            "sex",
            "notes",
            "legal_basis",
            "created_at",
            "photos",
            "processing_state",
            "outcome",
        ]


class ReportFieldsInput(serializers.ModelSerializer):
    class Meta:
        model = FoundReport
        fields = [
            "external_ref",
            "found_on",
            "found_place",
            "estimated_age_min",
            "estimated_age_max",
            "sex",
            "notes",
            # Optional in the API: the model's default (vital interests) applies when absent.
            "legal_basis",
        ]
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
        fields = [f for f in ReportFieldsInput.Meta.fields if f != "external_ref"]
        extra_kwargs = {f: {"required": False} for f in fields}


def _report_output(report: FoundReport) -> dict:
    fresh = reports_with_outcome(FoundReport.objects.filter(pk=report.pk)).prefetch_related(
        "photos__faces"
    )
    return ReportOutput(fresh.get()).data


class ReportListCreateApi(APIView):
    @extend_schema(
        summary="List your organisation's found reports",
        operation_id="found_reports_list",
        responses={200: ReportOutput(many=True), **problems()},
    )
    def get(self, request: Request) -> Response:
        found = reports_with_outcome(selectors.report_list(user=request.user))
        return Response(ReportOutput(found, many=True).data)

    @extend_schema(
        summary="File a found report (multipart, with photos)",
        description="Safe to retry: the same `external_ref`, or the same `Idempotency-Key`, "
        "returns the existing report with 200 and the same body; never a second report.",
        parameters=[IDEMPOTENCY_KEY],
        request=ReportInput,
        responses={
            200: OpenApiResponse(ReportOutput, description="A retry: the existing report."),
            201: ReportOutput,
            **problems(400, 413, 415, 422),
        },
    )
    def post(self, request: Request) -> Response:
        action_require(user=request.user, action=Action.REPORT_CREATE)
        serializer = ReportInput(data=_form_fields(request))
        serializer.is_valid(raise_exception=True)
        fields = dict(serializer.validated_data)
        fields.pop("photos", None)
        report, created = report_create_idempotent(
            user=request.user,
            idempotency_key=_idempotency_key(request),
            photos=_uploads(request, "photos"),
            **fields,
        )
        return Response(
            _report_output(report),
            status=status.HTTP_201_CREATED if created else status.HTTP_200_OK,
        )


class ReportDetailApi(APIView):
    @extend_schema(
        summary="A found report: photo states, processing state and outcome",
        responses={200: ReportOutput, **problems(404)},
    )
    def get(self, request: Request, report_id: int) -> Response:
        report = selectors.report_get(user=request.user, report_id=report_id)
        return Response(_report_output(report))

    @extend_schema(
        summary="Change a report's details",
        description="Any of the fields; `external_ref` cannot change.",
        request=ReportUpdateInput,
        responses={200: ReportOutput, **problems(400, 404, 409)},
    )
    def patch(self, request: Request, report_id: int) -> Response:
        report = selectors.report_get(
            user=request.user, report_id=report_id, action=Action.REPORT_EDIT
        )
        serializer = ReportUpdateInput(instance=report, data=_form_fields(request), partial=True)
        serializer.is_valid(raise_exception=True)
        report = reports.report_update(
            user=request.user, report=report, **serializer.validated_data
        )
        return Response(_report_output(report))

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
    def delete(self, request: Request, report_id: int) -> Response:
        report = selectors.report_get(
            user=request.user, report_id=report_id, action=Action.REPORT_EDIT
        )
        report = reports.report_withdraw(user=request.user, report=report)
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
    def post(self, request: Request, report_id: int) -> Response:
        report = selectors.report_get(
            user=request.user, report_id=report_id, action=Action.REPORT_EDIT
        )
        serializer = ReportWithdrawInput(data=request.data)
        serializer.is_valid(raise_exception=True)
        report = reports.report_withdraw(
            user=request.user, report=report, reason=serializer.validated_data.get("reason", "")
        )
        return Response(_report_output(report))


class ReportPhotoAddApi(APIView):
    @extend_schema(
        summary="Add a photo to a report",
        request=PhotoAddInput,
        responses={201: PhotoOutput, **problems(400, 404, 409, 413, 415)},
    )
    def post(self, request: Request, report_id: int) -> Response:
        report = selectors.report_get(
            user=request.user, report_id=report_id, action=Action.PHOTO_ADD
        )
        photo = reports.report_photo_add(
            user=request.user, report=report, upload=_single_upload(request)
        )
        return Response(PhotoOutput(photo).data, status=status.HTTP_201_CREATED)


# --- Bulk ------------------------------------------------------------------------------------


class BulkPhotoInput(PhotoMetaInput):
    filename = serializers.CharField(required=False, allow_blank=True, max_length=200)
    content_base64 = serializers.CharField(
        help_text="The image file (JPEG, PNG or WebP), base64-encoded (RFC 4648)."
    )


class BulkReportInput(ReportFieldsInput):
    photos = BulkPhotoInput(many=True, required=False, max_length=10)

    class Meta(ReportFieldsInput.Meta):
        fields = [*ReportFieldsInput.Meta.fields, "photos"]


class BulkInput(serializers.Serializer):
    reports = BulkReportInput(many=True, min_length=1, max_length=bulk.BULK_MAX_ITEMS)


class BulkItemOutput(serializers.Serializer):
    index = serializers.IntegerField(help_text="Position of the item in `reports` (0-based).")
    external_ref = serializers.CharField(allow_blank=True)
    status = serializers.IntegerField(
        help_text="201 created, 200 already filed (a retry), or the error's status."
    )
    report = ReportOutput(allow_null=True)
    error = ProblemOutput(allow_null=True)


class BulkOutput(serializers.Serializer):
    created = serializers.IntegerField()
    existing = serializers.IntegerField()
    failed = serializers.IntegerField()
    results = BulkItemOutput(many=True)


class BulkEnvelopeInput(serializers.Serializer):
    # Items are checked one by one, so one bad item cannot sink the others.
    reports = serializers.ListField(
        child=serializers.DictField(), min_length=1, max_length=bulk.BULK_MAX_ITEMS
    )


class ReportBulkCreateApi(APIView):
    throttle_classes = [ApiClientRateThrottle, ApiBulkRateThrottle]

    @extend_schema(
        summary="File up to 50 found reports in one request (JSON, photos in base64)",
        description="Each item is filed on its own, in its own transaction, and gets its own "
        "result: one bad item does not sink the others. `external_ref` makes each item safe "
        "to retry: send the whole batch again after a timeout and filed items answer 200.",
        request=BulkInput,
        responses={200: BulkOutput, **problems(400, 413)},
        examples=[
            OpenApiExample(
                "Two reports",
                request_only=True,
                value={
                    "reports": [
                        {
                            "external_ref": "HS-2025-0042",
                            "found_on": "2025-06-01",
                            "found_place": "Riverside shelter",
                            "estimated_age_min": 7,
                            "estimated_age_max": 11,
                            "sex": "female",
                            "photos": [{"filename": "a.jpg", "content_base64": "/9j/4AAQ..."}],
                        },
                        {
                            "external_ref": "HS-2025-0043",
                            "found_on": "2025-06-02",
                            "found_place": "Bus station",
                            "estimated_age_min": 4,
                            "estimated_age_max": 6,
                        },
                    ]
                },
            )
        ],
    )
    def post(self, request: Request) -> Response:
        action_require(user=request.user, action=Action.REPORT_CREATE)
        envelope = BulkEnvelopeInput(data=request.data)
        envelope.is_valid(raise_exception=True)
        results = bulk.reports_file(
            user=request.user,
            items=envelope.validated_data["reports"],
            validate=_bulk_item_validate,
        )
        by_pk = {
            r.pk: r
            for r in reports_with_outcome(
                FoundReport.objects.filter(pk__in=[x.report_id for x in results if x.report_id])
            ).prefetch_related("photos__faces")
        }
        rows = [
            {
                "index": x.index,
                "external_ref": x.external_ref,
                "status": x.status,
                "report": ReportOutput(by_pk[x.report_id]).data if x.report_id else None,
                "error": x.error,
            }
            for x in results
        ]
        body = {
            "created": sum(1 for x in results if x.status == 201),
            "existing": sum(1 for x in results if x.status == 200),
            "failed": sum(1 for x in results if x.status >= 400),
            "results": rows,
        }
        return Response(body, status=status.HTTP_200_OK)


def _bulk_item_validate(item: dict) -> tuple[dict, list[services.PhotoUpload]]:
    serializer = BulkReportInput(data=item)
    serializer.is_valid(raise_exception=True)
    fields = dict(serializer.validated_data)
    photos = [bulk.photo_decode(index=i, **p) for i, p in enumerate(fields.pop("photos", []))]
    return fields, photos


# --- Photos ----------------------------------------------------------------------------------


class PhotoDetailApi(APIView):
    @extend_schema(
        summary="A photo's state and detected faces",
        responses={200: PhotoOutput, **problems(404)},
    )
    def get(self, request: Request, photo_id: int) -> Response:
        photo = selectors.photo_get(user=request.user, photo_id=photo_id, action=Action.PHOTO_ADD)
        return Response(PhotoOutput(photo).data)


class SelectFaceInput(serializers.Serializer):
    face_id = serializers.IntegerField()


class PhotoSelectFaceApi(APIView):
    @extend_schema(
        summary="Pick the child's face in a photo with several faces",
        request=SelectFaceInput,
        responses={200: PhotoOutput, **problems(400, 404)},
    )
    def post(self, request: Request, photo_id: int) -> Response:
        photo = selectors.photo_get(
            user=request.user, photo_id=photo_id, action=Action.PHOTO_SELECT_FACE
        )
        serializer = SelectFaceInput(data=request.data)
        serializer.is_valid(raise_exception=True)
        photo = matching.photo_face_select(
            user=request.user, photo=photo, face_id=serializer.validated_data["face_id"]
        )
        return Response(PhotoOutput(photo).data)


# Webhook views live in cases/api_webhooks.py; named here so reunite/urls.py has one module.
from cases.api_webhooks import WebhookDeliveryListApi as WebhookDeliveryListApi  # noqa: E402
from cases.api_webhooks import WebhookDetailApi as WebhookDetailApi  # noqa: E402
from cases.api_webhooks import WebhookListCreateApi as WebhookListCreateApi  # noqa: E402


@csrf_exempt  # it changes nothing; without this a stray POST gets the HTML CSRF page
def api_not_found(request: Any, *args: Any, **kwargs: Any) -> JsonResponse:
    """Any other path under /api/v1/: a problem, not the HTML page."""
    body = problem_body(
        code="not_found",
        title="Not found.",
        status_code=404,
        detail="No such API endpoint or record. See /api/docs/.",
    )
    return JsonResponse(body, status=404, content_type=PROBLEM_CONTENT_TYPE)
