"""Filing up to 50 found reports in one request."""

from __future__ import annotations

import logging
from typing import Any

from drf_spectacular.utils import OpenApiExample, extend_schema
from rest_framework import serializers, status
from rest_framework.response import Response
from rest_framework.views import APIView

from cases.access.http import AuthenticatedRequest
from cases.access.permissions import Action, action_require
from cases.access.throttling import ApiBulkRateThrottle, ApiClientRateThrottle
from cases.api.inputs import PhotoMetaInput
from cases.api.reports import ReportFieldsInput, ReportOutput
from cases.models import FoundReport
from cases.partners import bulk
from cases.partners.outcomes import reports_with_outcome
from cases.records import services
from matching import interfaces as matching
from reunite.kernel.api.problems import ProblemOutput, domain_problem, internal_problem
from reunite.kernel.api.schema import problems

logger = logging.getLogger(__name__)


class BulkPhotoInput(PhotoMetaInput):
    filename = serializers.CharField(required=False, allow_blank=True, max_length=200)
    content_base64 = serializers.CharField(
        help_text="The image file (JPEG, PNG or WebP), base64-encoded (RFC 4648)."
    )


class BulkReportInput(ReportFieldsInput):
    # many=True makes a ListSerializer, which takes max_length; the stubs type the child.
    photos = BulkPhotoInput(many=True, required=False, max_length=10)  # type: ignore[call-arg]

    class Meta(ReportFieldsInput.Meta):
        fields = [*ReportFieldsInput.Meta.fields, "photos"]


class BulkInput(serializers.Serializer):
    # many=True makes a ListSerializer, which takes min/max_length; the stubs type the child.
    reports = BulkReportInput(  # type: ignore[call-arg]
        many=True, min_length=1, max_length=bulk.BULK_MAX_ITEMS
    )


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
    def post(self, request: AuthenticatedRequest) -> Response:
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
            ).prefetch_related(matching.photo_faces_prefetch(photos="photos"))
        }
        rows: list[dict[str, Any]] = []
        for x in results:
            error = _item_problem(x) if x.error is not None else None
            rows.append(
                {
                    "index": x.index,
                    "external_ref": x.external_ref,
                    "status": error["status"] if error else (201 if x.created else 200),
                    "report": ReportOutput(by_pk[x.report_id]).data if x.report_id else None,
                    "error": error,
                }
            )
        body = {
            "created": sum(1 for r in rows if r["status"] == 201),
            "existing": sum(1 for r in rows if r["status"] == 200),
            "failed": sum(1 for r in rows if r["status"] >= 400),
            "results": rows,
        }
        return Response(body, status=status.HTTP_200_OK)


def _item_problem(result: bulk.BulkResult) -> dict:
    assert result.error is not None
    known = domain_problem(result.error)
    if known is None:
        logger.error("bulk item %s failed", result.index, exc_info=result.error)
        return internal_problem()
    return known[0]


def _bulk_item_validate(item: dict) -> tuple[dict, list[services.PhotoUpload]]:
    serializer = BulkReportInput(data=item)
    serializer.is_valid(raise_exception=True)
    fields = dict(serializer.validated_data)
    photos = [bulk.photo_decode(index=i, **p) for i, p in enumerate(fields.pop("photos", []))]
    return fields, photos
