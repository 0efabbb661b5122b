"""Missing-child cases: list, create, read, update, withdraw consent, add a photo."""

from __future__ import annotations

from django.urls import reverse
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import serializers
from rest_framework.response import Response
from rest_framework.views import APIView

from cases.access.http import AuthenticatedRequest
from cases.access.permissions import Action, action_require
from cases.api.filters import PAGE_HEADERS, CaseListFilter, records_page
from cases.api.inputs import (
    IDEMPOTENCY_KEY,
    PhotoAddInput,
    form_fields,
    idempotency_key,
    upload_read,
    uploads_read,
)
from cases.api.serializers import OutcomeField, PhotoOutput, ProcessingStateField
from cases.models import MissingCase
from cases.partners.idempotency import case_create_idempotent
from cases.partners.outcomes import case_outcome, cases_with_outcome
from cases.records import selectors, services
from cases.records.services import CASE_EDITABLE_FIELDS
from cases.safeguards.erasure import case_consent_withdraw
from reunite.kernel.api.responses import (
    ETAG,
    IF_MATCH,
    LOCATION,
    created_response,
    if_match_check,
    resource_response,
)
from reunite.kernel.api.schema import problems


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
            *CASE_EDITABLE_FIELDS,
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
        fields = ["external_ref", *CASE_EDITABLE_FIELDS, "photos"]
        # A repeated external_ref returns the existing case, not a validation error.
        validators: list = []


def _case_output(case: MissingCase) -> dict:
    fresh = cases_with_outcome(MissingCase.objects.filter(pk=case.pk)).prefetch_related("photos")
    return CaseOutput(fresh.get()).data


class CaseListCreateApi(APIView):
    @extend_schema(
        summary="List your organisation's cases",
        description="The missing-child cases of your organisation, with their photos' states, "
        "`processing_state` and coarse `outcome`, narrowed by the filters. At most `limit` "
        "(100 unless asked, at most 500) in id order: follow the `Link` header to the next "
        "page; `X-Total-Count` says how many match.",
        parameters=[CaseListFilter, *PAGE_HEADERS],
        responses={200: CaseOutput(many=True), **problems(400)},
    )
    def get(self, request: AuthenticatedRequest) -> Response:
        cases, headers = records_page(
            request=request,
            queryset=cases_with_outcome(selectors.case_list(user=request.user)),
            spec=CaseListFilter,
        )
        return Response(CaseOutput(cases, many=True).data, headers=headers)

    @extend_schema(
        summary="Create a case (multipart, with photos)",
        description="Multipart only. With the same `Idempotency-Key` or `external_ref`, a "
        "retry answers 200 with the case already created instead of filing a second one. "
        "Faces are found after the answer: follow each photo's `status`.",
        parameters=[IDEMPOTENCY_KEY, LOCATION],
        request=CaseInput,
        responses={
            200: OpenApiResponse(CaseOutput, description="A retry: the existing case."),
            201: CaseOutput,
            **problems(400, 413, 415, 422),
        },
    )
    def post(self, request: AuthenticatedRequest) -> Response:
        action_require(user=request.user, action=Action.CASE_CREATE)
        serializer = CaseInput(data=form_fields(request))
        serializer.is_valid(raise_exception=True)
        fields = dict(serializer.validated_data)
        fields.pop("photos", None)
        case, created = case_create_idempotent(
            user=request.user,
            idempotency_key=idempotency_key(request),
            photos=uploads_read(request, "photos"),
            **fields,
        )
        return created_response(
            _case_output(case),
            created=created,
            location=reverse("api:case-detail", kwargs={"case_id": case.pk}),
        )


class CaseUpdateInput(CaseInput):
    class Meta(CaseInput.Meta):
        # external_ref is how retries find the case, so it never changes.
        fields = list(CASE_EDITABLE_FIELDS)


class CaseDetailApi(APIView):
    @extend_schema(
        summary="A case",
        description="One case of your organisation; another organisation's is 404, like one "
        "that does not exist.",
        parameters=[ETAG],
        responses={200: CaseOutput, **problems(404)},
    )
    def get(self, request: AuthenticatedRequest, case_id: int) -> Response:
        case = selectors.case_get(user=request.user, case_id=case_id)
        return resource_response(_case_output(case))

    @extend_schema(
        summary="Update a case's details",
        description="Send only the fields that change. Candidates are re-checked against "
        "the new sex, ages and dates.",
        request=CaseUpdateInput,
        parameters=[IF_MATCH, ETAG],
        responses={200: CaseOutput, **problems(400, 404, 412)},
    )
    def patch(self, request: AuthenticatedRequest, case_id: int) -> Response:
        case = selectors.case_get(user=request.user, case_id=case_id, action=Action.CASE_EDIT)
        if_match_check(request, current=_case_output(case))
        serializer = CaseUpdateInput(instance=case, data=form_fields(request), partial=True)
        serializer.is_valid(raise_exception=True)
        case = services.case_update(user=request.user, case=case, **serializer.validated_data)
        return resource_response(_case_output(case))


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
    def post(self, request: AuthenticatedRequest, case_id: int) -> Response:
        case = selectors.case_get(user=request.user, case_id=case_id, action=Action.CASE_EDIT)
        serializer = ConsentWithdrawInput(data=request.data)
        serializer.is_valid(raise_exception=True)
        case = case_consent_withdraw(
            user=request.user, case=case, reason=serializer.validated_data["reason"]
        )
        return Response(_case_output(case))


class CasePhotoAddApi(APIView):
    @extend_schema(
        summary="Add a photo to a case",
        description="Multipart: one `image`, optional `taken_on` and `age_in_photo`. Faces are "
        "found after the answer: poll `GET /api/v1/photos/{photo_id}/`.",
        request=PhotoAddInput,
        parameters=[LOCATION],
        responses={201: PhotoOutput, **problems(400, 404, 413, 415)},
    )
    def post(self, request: AuthenticatedRequest, case_id: int) -> Response:
        case = selectors.case_get(user=request.user, case_id=case_id, action=Action.PHOTO_ADD)
        photo = services.photo_add(user=request.user, owner=case, upload=upload_read(request))
        return created_response(
            PhotoOutput(photo).data,
            location=reverse("api:photo-detail", kwargs={"photo_id": photo.pk}),
        )
