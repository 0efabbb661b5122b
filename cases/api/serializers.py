"""Output serializers shared by the cases, reports, bulk and photo APIs."""

from __future__ import annotations

from typing import Any

from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from cases.models import Photo
from cases.partners.outcomes import (
    RECORD_OUTCOMES,
    DecidedBy,
    ProcessingState,
    outcome_contact,
    processing_state,
)
from matching import interfaces as matching
from reunite.kernel.api.serializers import ContactOutput


class FaceOutput(serializers.Serializer):
    id = serializers.IntegerField()
    x = serializers.IntegerField()
    y = serializers.IntegerField()
    w = serializers.IntegerField()
    h = serializers.IntegerField()
    is_selected = serializers.BooleanField()


class _PhotoFacesOutput(serializers.ListSerializer):
    """A photo's faces, read from matching (its table), not by walking a relation into it."""

    def get_attribute(self, instance: Photo) -> list:
        return matching.photo_faces(photo=instance)


class PhotoOutput(serializers.ModelSerializer):
    faces = _PhotoFacesOutput(child=FaceOutput(), read_only=True)

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


class OutcomeOutput(serializers.Serializer):
    state = serializers.ChoiceField(
        choices=[o.value for o in RECORD_OUTCOMES],
        help_text="`no_match_so_far`; `under_review`: reviewers are looking at a possible "
        "match; `possible_match_confirmed`: two reviewers confirmed one, see `contact`; then, "
        "as the case owner records them after checking in person: `verified_same_child`, "
        '`reunited` or `handed_to_authority`. A verified "not the same child" returns the '
        "record to `no_match_so_far` (or `under_review`): it is searched again.",
    )
    contact = ContactOutput(
        allow_null=True,
        help_text="Who to talk to at the other side's organisation; only once confirmed.",
    )
    decided_by = serializers.ChoiceField(
        choices=[d.value for d in DecidedBy],
        allow_null=True,
        help_text="Who confirmed the possible match, once confirmed: `two_reviewers`, or "
        "`senior_reviewer_after_disagreement` (reviewers disagreed and a senior reviewer "
        "made the final decision). `null` before a confirmation.",
    )


def _outcome_data(view: Any) -> dict:
    return {
        "state": view.state.value,
        "contact": outcome_contact(view),
        "decided_by": view.decided_by.value if view.decided_by else None,
    }


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
