"""The reviewers' API: the queue of candidates and the decision on one."""

from __future__ import annotations

from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_field
from rest_framework import serializers, status
from rest_framework.pagination import PageNumberPagination
from rest_framework.response import Response
from rest_framework.views import APIView

from cases.access.http import AuthenticatedRequest
from cases.records.selectors import case_get
from matching.evidence.words import evidence_lines
from matching.models import Candidate, ReviewDecision
from matching.review.decisions import candidate_decide
from matching.review.outcomes import CANDIDATE_OUTCOMES, candidate_outcome
from matching.selectors import candidate_get, candidate_list
from matching.spaces.calibration import score_band
from reunite.kernel.api.pages import PAGE_HEADERS, PageFilter, id_page, page_filters_read
from reunite.kernel.api.schema import problems
from reunite.kernel.api.serializers import ContactOutput


class CandidateOutput(serializers.ModelSerializer):
    score = serializers.FloatField(
        source="best_score", help_text="Higher means more alike. A similarity, not a probability."
    )
    band = serializers.SerializerMethodField(help_text="The score in words, for reviewers.")
    # The API's v1 name for the embedding space the candidate was found in.
    model_name = serializers.CharField(source="space", max_length=64)
    likelihood_ratio = serializers.FloatField(
        read_only=True,
        help_text="How much more often all the evidence together (the face, names, "
        "relatives, places, languages, dates, age and sex) is seen for the same child than "
        "for different children. Orders the queue; not a probability.",
    )
    evidence = serializers.SerializerMethodField(
        help_text="Each kind of evidence beyond the face, in words: how well the two records "
        "agree (`weight`: for, neutral or against). Never the names themselves."
    )

    @extend_schema_field(
        {
            "type": "array",
            "items": {
                "type": "object",
                "properties": {
                    "kind": {"type": "string"},
                    "words": {"type": "string"},
                    "weight": {"type": "string", "enum": ["for", "neutral", "against"]},
                },
                "required": ["kind", "words", "weight"],
            },
        }
    )
    def get_evidence(self, candidate: Candidate) -> list[dict[str, str]]:
        return [
            {"kind": line.kind, "words": line.words, "weight": line.weight}
            for line in evidence_lines(evidence=candidate.evidence)
        ]

    def get_band(self, candidate: Candidate) -> dict[str, str]:
        band = score_band(
            score=candidate.best_score,
            age_gap_years=candidate.age_gap_years,
            fmr=candidate.false_match_rate,
            cell=candidate.age_cell,
            threshold=candidate.threshold,
        )
        return {"key": band.key, "words": band.words, "explanation": band.explanation}

    class Meta:
        model = Candidate
        fields = [
            "id",
            "case",
            "found_report",
            "score",
            "band",
            "evidence_score",
            "agreeing_pairs",
            "age_gap_years",
            "false_match_rate",
            "age_cell",
            "held_back",
            "hold_reasons",
            "compatibility",
            "likelihood_ratio",
            "evidence",
            "threshold",
            "profile",
            "model_name",
            "status",
            "created_at",
        ]


class CandidateListApi(APIView):
    # Typed as a page of candidates in the schema (`review_candidates_list`).
    pagination_class = PageNumberPagination

    @extend_schema(
        summary="Candidates for review (reviewers)",
        description="A page of possible matches, filtered by `status` and `held_back`.",
        parameters=[
            OpenApiParameter("status", enum=Candidate.Status.values, required=False),
            OpenApiParameter(
                "held_back",
                bool,
                required=False,
                description="true: only candidates held back for incompatible details.",
            ),
        ],
        responses={200: CandidateOutput(many=True), **problems(400)},
    )
    def get(self, request: AuthenticatedRequest) -> Response:
        status_filter = request.query_params.get("status")
        if status_filter and status_filter not in Candidate.Status.values:
            raise serializers.ValidationError({"status": f"One of {Candidate.Status.values}."})
        held_back_param = request.query_params.get("held_back", "false").strip().lower()
        if held_back_param not in {"true", "false", "1", "0"}:
            raise serializers.ValidationError({"held_back": "true or false."})
        candidates = candidate_list(
            user=request.user, status=status_filter, held_back=held_back_param in {"true", "1"}
        )
        paginator = self.pagination_class()
        page = paginator.paginate_queryset(candidates, request, view=self)
        return paginator.get_paginated_response(CandidateOutput(page, many=True).data)


class DecisionInput(serializers.Serializer):
    decision = serializers.ChoiceField(choices=ReviewDecision.Decision.choices)
    note = serializers.CharField(max_length=5000)


class DecisionOutput(serializers.ModelSerializer):
    candidate_status = serializers.CharField(source="candidate.status")
    reviewer = serializers.CharField(source="reviewer.username")

    class Meta:
        model = ReviewDecision
        fields = [
            "id",
            "candidate",
            "decision",
            "note",
            "reviewer",
            "created_at",
            "candidate_status",
        ]


class CandidateDecisionApi(APIView):
    @extend_schema(
        summary="Record a reviewer's decision on a candidate",
        description="`decision` (`confirm`, `reject`, `unsure`) with a `note`.",
        request=DecisionInput,
        responses={201: DecisionOutput, **problems(400, 404)},
    )
    def post(self, request: AuthenticatedRequest, candidate_id: int) -> Response:
        # Role and access first: a forbidden caller gets 403/404, never a validation error.
        candidate = candidate_get(user=request.user, candidate_id=candidate_id)
        serializer = DecisionInput(data=request.data)
        serializer.is_valid(raise_exception=True)
        record = candidate_decide(
            user=request.user, candidate=candidate, **serializer.validated_data
        )
        record.candidate.refresh_from_db()
        return Response(DecisionOutput(record).data, status=status.HTTP_201_CREATED)


class CaseCandidateOutput(serializers.ModelSerializer):
    """What a caseworker's own system may read about a case's candidates: coarse only."""

    outcome = serializers.SerializerMethodField(
        help_text="`under_review` (pending or disputed), `possible_match_confirmed`, then "
        "`verified_same_child`, `reunited` or `handed_to_authority` as the case owner records "
        "them, or `not_a_match` (withdrawn, rejected, or verified in person as another child)."
    )
    contact = serializers.SerializerMethodField(
        help_text="The found report's organisation, once two reviewers confirmed."
    )

    @extend_schema_field(serializers.ChoiceField(choices=[o.value for o in CANDIDATE_OUTCOMES]))
    def get_outcome(self, candidate: Candidate) -> str:
        return candidate_outcome(status=candidate.status, stage=candidate.reunification_stage).value

    @extend_schema_field(ContactOutput(allow_null=True))
    def get_contact(self, candidate: Candidate) -> dict | None:
        if candidate.status != Candidate.Status.CONFIRMED:
            return None
        organisation = candidate.found_report.organisation
        return {
            "organisation": organisation.name,
            "name": organisation.contact_name,
            "email": organisation.contact_email,
            "phone": organisation.contact_phone,
        }

    class Meta:
        model = Candidate
        fields = ["id", "outcome", "contact", "created_at", "updated_at"]


class CaseCandidateListApi(APIView):
    @extend_schema(
        summary="A case's possible matches, coarse outcome only",
        description="What reviewers decided on each possible match, and the other side's "
        "contact once confirmed. No scores. At most `limit` (100 unless asked, at most 500) "
        "in id order: follow the `Link` header to the next page; `X-Total-Count` says how "
        "many there are.",
        parameters=[PageFilter, *PAGE_HEADERS],
        responses={200: CaseCandidateOutput(many=True), **problems(400, 404)},
    )
    def get(self, request: AuthenticatedRequest, case_id: int) -> Response:
        case = case_get(user=request.user, case_id=case_id)
        validated = page_filters_read(request=request, spec=PageFilter)
        candidates, headers = id_page(
            request=request,
            queryset=Candidate.objects.filter(case=case).select_related(
                "found_report__organisation"
            ),
            validated=validated,
        )
        return Response(CaseCandidateOutput(candidates, many=True).data, headers=headers)
