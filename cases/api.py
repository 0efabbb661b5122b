"""API views for cases, found reports and photos. Each view: validate, call a service, serialise."""

from __future__ import annotations

from django.conf import settings
from drf_spectacular.utils import extend_schema
from rest_framework import serializers, status
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from cases import selectors, services
from cases.images import PhotoRejected
from cases.models import FoundReport, MissingCase, Photo
from cases.permissions import Action
from matching.services.processing import photo_select_face


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


class CaseOutput(serializers.ModelSerializer):
    photos = PhotoOutput(many=True, read_only=True)

    class Meta:
        model = MissingCase
        fields = [
            "id",
            "reference",
            "status",
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
            if f not in {"id", "reference", "status", "created_at", "photos"}
        ]
        fields += ["photos"]


class CaseListCreateApi(APIView):
    @extend_schema(responses=CaseOutput(many=True))
    def get(self, request: Request) -> Response:
        cases = selectors.case_list(user=request.user)
        return Response(CaseOutput(cases, many=True).data)

    @extend_schema(request=CaseInput, responses={201: CaseOutput})
    def post(self, request: Request) -> Response:
        data = {k: v for k, v in request.data.items() if k != "photos"}
        serializer = CaseInput(data=data)
        serializer.is_valid(raise_exception=True)
        fields = dict(serializer.validated_data)
        fields.pop("photos", None)
        case = services.case_create(user=request.user, photos=_uploads(request, "photos"), **fields)
        return Response(CaseOutput(case).data, status=status.HTTP_201_CREATED)


class CaseDetailApi(APIView):
    @extend_schema(responses=CaseOutput)
    def get(self, request: Request, case_id: int) -> Response:
        case = selectors.case_get(user=request.user, case_id=case_id)
        return Response(CaseOutput(case).data)


class PhotoAddInput(PhotoMetaInput):
    image = serializers.ImageField()


def _photo_add(request: Request, owner: MissingCase | FoundReport) -> Response:
    meta = PhotoMetaInput(
        data={k: request.data.get(k) or None for k in ("taken_on", "age_in_photo")}
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
    upload = services.PhotoUpload(
        data=files[0].read(), filename=files[0].name or "", **meta.validated_data
    )
    photo = services.photo_add(user=request.user, owner=owner, upload=upload)
    return Response(PhotoOutput(photo).data, status=status.HTTP_201_CREATED)


class CasePhotoAddApi(APIView):
    @extend_schema(request=PhotoAddInput, responses={201: PhotoOutput})
    def post(self, request: Request, case_id: int) -> Response:
        case = selectors.case_get(user=request.user, case_id=case_id, action=Action.PHOTO_ADD)
        return _photo_add(request, case)


class ReportOutput(serializers.ModelSerializer):
    photos = PhotoOutput(many=True, read_only=True)

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
        ]


class ReportInput(serializers.ModelSerializer):
    photos = serializers.ListField(child=serializers.ImageField(), required=False, write_only=True)

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
            "photos",
        ]
        # Duplicates are answered with the existing report, not a validation error.
        validators: list = []

    def validate(self, attrs: dict) -> dict:
        if attrs["estimated_age_min"] > attrs["estimated_age_max"]:
            raise serializers.ValidationError(
                {"estimated_age_max": "Must be at least estimated_age_min."}
            )
        return attrs


class ReportListCreateApi(APIView):
    @extend_schema(responses=ReportOutput(many=True))
    def get(self, request: Request) -> Response:
        reports = selectors.report_list(user=request.user)
        return Response(ReportOutput(reports, many=True).data)

    @extend_schema(request=ReportInput, responses={200: ReportOutput, 201: ReportOutput})
    def post(self, request: Request) -> Response:
        data = {k: v for k, v in request.data.items() if k != "photos"}
        serializer = ReportInput(data=data)
        serializer.is_valid(raise_exception=True)
        fields = dict(serializer.validated_data)
        fields.pop("photos", None)
        report, created = services.report_create(
            user=request.user, photos=_uploads(request, "photos"), **fields
        )
        return Response(
            ReportOutput(report).data,
            status=status.HTTP_201_CREATED if created else status.HTTP_200_OK,
        )


class ReportDetailApi(APIView):
    @extend_schema(responses=ReportOutput)
    def get(self, request: Request, report_id: int) -> Response:
        report = selectors.report_get(user=request.user, report_id=report_id)
        return Response(ReportOutput(report).data)


class ReportPhotoAddApi(APIView):
    @extend_schema(request=PhotoAddInput, responses={201: PhotoOutput})
    def post(self, request: Request, report_id: int) -> Response:
        report = selectors.report_get(
            user=request.user, report_id=report_id, action=Action.PHOTO_ADD
        )
        return _photo_add(request, report)


class PhotoDetailApi(APIView):
    @extend_schema(responses=PhotoOutput)
    def get(self, request: Request, photo_id: int) -> Response:
        photo = selectors.photo_get(user=request.user, photo_id=photo_id, action=Action.PHOTO_ADD)
        return Response(PhotoOutput(photo).data)


class SelectFaceInput(serializers.Serializer):
    face_id = serializers.IntegerField()


class PhotoSelectFaceApi(APIView):
    @extend_schema(request=SelectFaceInput, responses=PhotoOutput)
    def post(self, request: Request, photo_id: int) -> Response:
        serializer = SelectFaceInput(data=request.data)
        serializer.is_valid(raise_exception=True)
        photo = selectors.photo_get(
            user=request.user, photo_id=photo_id, action=Action.PHOTO_SELECT_FACE
        )
        photo = photo_select_face(
            user=request.user, photo=photo, face_id=serializer.validated_data["face_id"]
        )
        return Response(PhotoOutput(photo).data)
