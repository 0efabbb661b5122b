"""PFIF 1.4 interchange: export a case as a person record, import persons (docs/pfif.md)."""

from __future__ import annotations

import logging
from typing import Any

from django.conf import settings
from django.http import HttpResponse
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiExample, OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import serializers
from rest_framework.parsers import BaseParser
from rest_framework.response import Response
from rest_framework.views import APIView

from cases.access.http import AuthenticatedRequest
from cases.access.throttling import ApiBulkRateThrottle, ApiClientRateThrottle
from cases.partners import pfif
from reunite.kernel.api.problems import ProblemOutput, domain_problem, internal_problem
from reunite.kernel.api.schema import problems

logger = logging.getLogger(__name__)

PFIF_CONTENT_TYPE = "application/xml"
# RFC 7303 makes text/xml a synonym; Person Finder and many feeds send it.
PFIF_TEXT_CONTENT_TYPE = "text/xml"


class PfifXmlParser(BaseParser):
    """The raw bytes of an XML body; the PFIF service parses them safely."""

    media_type = PFIF_CONTENT_TYPE

    # Any: DRF types parsers as returning mappings; this one gives the body's bytes.
    def parse(self, stream, media_type=None, parser_context=None) -> Any:
        # One byte over the limit is enough for the service to refuse the document.
        return stream.read(settings.PFIF_MAX_BYTES + 1) if stream is not None else b""


class PfifTextXmlParser(PfifXmlParser):
    media_type = PFIF_TEXT_CONTENT_TYPE


class PfifImportResultOutput(serializers.Serializer):
    person_record_id = serializers.CharField()
    kind = serializers.ChoiceField(choices=pfif.Kind.ALL)
    status = serializers.IntegerField(
        help_text="201 filed, 200 already filed (the same person_record_id), or the error's."
    )
    id = serializers.IntegerField(allow_null=True)
    reference = serializers.CharField(allow_blank=True)
    dropped = serializers.ListField(
        child=serializers.CharField(),
        help_text="PFIF fields present in the record that Reunite does not keep.",
    )
    warnings = serializers.ListField(
        child=serializers.CharField(),
        help_text="What was ignored or assumed while reading the record: elements of other "
        "namespaces (also those outside any person), a note without author_name.",
    )
    error = ProblemOutput(allow_null=True)
    outcome = serializers.ChoiceField(
        choices=["created", "existing", "skipped"],
        help_text="`created` filed now, `existing` filed before (the same person_record_id), "
        "`skipped`: not imported, nothing of it stored; `reason` says why.",
    )
    reason = serializers.CharField(
        allow_null=True,
        help_text="Why the record was skipped, in words (e.g. an adult: Reunite files "
        "children only); null when it was imported.",
    )


class PfifSkippedNoteOutput(serializers.Serializer):
    note_record_id = serializers.CharField()
    person_record_id = serializers.CharField(allow_blank=True)
    reason = serializers.CharField()


class PfifImportOutput(serializers.Serializer):
    created = serializers.IntegerField()
    existing = serializers.IntegerField()
    skipped = serializers.IntegerField(help_text="Persons not imported (see each `reason`).")
    failed = serializers.IntegerField(help_text="The same as `skipped`, kept for v1 clients.")
    detail = serializers.CharField(
        help_text="What the import did, in words; says so when nothing was imported."
    )
    results = PfifImportResultOutput(many=True)
    notes_skipped = PfifSkippedNoteOutput(
        many=True,
        help_text="Notes left out: unreadable, or their person is not in the document. (The "
        "notes of a skipped person go with it and are not listed.)",
    )


class CasePfifExportApi(APIView):
    @extend_schema(
        summary="Export a case as a PFIF 1.4 person record with notes",
        description="Valid against the PFIF 1.4 schema. The photo is included (as a data URI) "
        "only if the guardian agreed to share it (`consent_photo_sharing`); the guardian's "
        "details, the exact birth date and the distinguishing marks never are. Audited.",
        operation_id="cases_pfif_retrieve",
        responses={
            (200, PFIF_CONTENT_TYPE): OpenApiResponse(
                OpenApiTypes.STR, description="A PFIF 1.4 document with one person."
            ),
            **problems(404, 409),
        },
    )
    def get(self, request: AuthenticatedRequest, case_id: int) -> HttpResponse:
        document = pfif.case_pfif_export(user=request.user, case_id=case_id)
        return HttpResponse(
            document,
            content_type=f"{PFIF_CONTENT_TYPE}; charset=utf-8",
            headers={"Cache-Control": "private, no-store"},
        )


class PfifImportApi(APIView):
    parser_classes = [PfifXmlParser, PfifTextXmlParser]
    # Up to 50 records a request, like the bulk endpoint: the same two throttles.
    throttle_classes = [ApiClientRateThrottle, ApiBulkRateThrottle]

    @extend_schema(
        summary="Import PFIF 1.4 person records as found reports (or cases)",
        description="The body is a PFIF 1.4 document (at most 50 persons). Record by record, "
        "as Person Finder imports: each person is filed on its own with the same checks, "
        "daily limits and idempotency as `POST /api/v1/found-reports/` "
        "(`person_record_id` is the external reference, so sending a document again files "
        "nothing twice), and a person that cannot be filed (it breaks the schema, lacks a "
        "place or an age, or is an adult) is skipped with its `reason`, nothing of it stored. "
        "The answer is 200 whenever the document can be read, also when every person was "
        "skipped (`detail` says so); 400 `pfif_invalid` only for a document that is not "
        "well-formed PFIF 1.4 or has a DOCTYPE. Fields may come in any order; elements of "
        "other namespaces are ignored and listed in `warnings`. Photos are taken only from "
        "`data:` URIs; a remote photo_url is never fetched.",
        operation_id="pfif_import_create",
        parameters=[
            OpenApiParameter(
                "kind",
                enum=list(pfif.Kind.ALL),
                default=pfif.Kind.REPORT,
                description="File each person as a found report (partners, caseworkers) or a "
                "missing-child case (caseworkers).",
            )
        ],
        request={PFIF_CONTENT_TYPE: OpenApiTypes.STR, PFIF_TEXT_CONTENT_TYPE: OpenApiTypes.STR},
        responses={200: PfifImportOutput, **problems(400, 413, 415)},
        examples=[
            OpenApiExample(
                "One found child",
                request_only=True,
                media_type=PFIF_CONTENT_TYPE,
                value=(
                    '<pfif:pfif xmlns:pfif="http://zesty.ca/pfif/1.4"><pfif:person>'
                    "<pfif:person_record_id>ngo.example.org/p1</pfif:person_record_id>"
                    "<pfif:source_date>2025-06-01T10:00:00Z</pfif:source_date>"
                    "<pfif:full_name>Unknown</pfif:full_name><pfif:sex>female</pfif:sex>"
                    "<pfif:age>7-9</pfif:age><pfif:note>"
                    "<pfif:note_record_id>ngo.example.org/n1</pfif:note_record_id>"
                    "<pfif:author_name>Hope Street NGO</pfif:author_name>"
                    "<pfif:source_date>2025-06-01T10:00:00Z</pfif:source_date>"
                    "<pfif:status>believed_alive</pfif:status>"
                    "<pfif:last_known_location>Riverside shelter</pfif:last_known_location>"
                    "<pfif:text>Found alone near the river.</pfif:text>"
                    "</pfif:note></pfif:person></pfif:pfif>"
                ),
            )
        ],
    )
    def post(self, request: AuthenticatedRequest) -> Response:
        data = request.data if isinstance(request.data, bytes) else b""
        imported = pfif.pfif_import_document(
            user=request.user,
            data=data,
            kind=request.query_params.get("kind", pfif.Kind.REPORT),
        )
        rows = [_result_row(result) for result in imported.results]
        skipped = sum(1 for r in rows if r["outcome"] == "skipped")
        return Response(
            {
                "created": sum(1 for r in rows if r["outcome"] == "created"),
                "existing": sum(1 for r in rows if r["outcome"] == "existing"),
                "skipped": skipped,
                "failed": skipped,
                "detail": _summary(persons=len(rows), skipped=skipped),
                "results": rows,
                "notes_skipped": [
                    {
                        "note_record_id": note.note_record_id,
                        "person_record_id": note.person_record_id,
                        "reason": note.reason,
                    }
                    for note in imported.notes_skipped
                ],
            }
        )


def _summary(*, persons: int, skipped: int) -> str:
    # A document whose every person was skipped is still a 200 (it was read, record by
    # record, as v1 always answered); these words say plainly that nothing was imported.
    if persons == 0:
        return "The document holds no person records; nothing was imported."
    if skipped == persons:
        return (
            f"Nothing was imported: every person record ({persons}) was skipped; "
            "see each result's reason."
        )
    if skipped:
        return (
            f"{skipped} of {persons} person records were skipped (see each result's reason); "
            "the others are filed."
        )
    return f"Every person record ({persons}) is filed."


def _result_row(result: pfif.PfifImportResult) -> dict[str, Any]:
    error = None
    if result.error is not None:
        known = domain_problem(result.error)
        if known is None:
            logger.error("PFIF person %s failed", result.person_record_id, exc_info=result.error)
            error = internal_problem()
        else:
            error = known[0]
    outcome = "skipped" if error else ("created" if result.created else "existing")
    return {
        "person_record_id": result.person_record_id,
        "kind": result.kind,
        "status": error["status"] if error else (201 if result.created else 200),
        "id": result.record_id,
        "reference": result.reference,
        "dropped": result.dropped,
        "warnings": result.warnings,
        "error": error,
        "outcome": outcome,
        "reason": (result.reason or error["detail"]) if error else None,
    }
