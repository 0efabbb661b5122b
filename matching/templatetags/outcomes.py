"""`{% candidate_decided candidate as decided %}`: who decided a candidate, in words.

A tag rather than view context so the case page, the candidate page and the senior's page
say it the same way.
"""

from __future__ import annotations

from django import template

from matching.models import Candidate
from matching.selectors import CandidateDecided
from matching.selectors import candidate_decided as decided_read
from matching.selectors import drawn_face_note as drawn_note_read

register = template.Library()


@register.simple_tag
def candidate_decided(candidate: Candidate) -> CandidateDecided:
    return decided_read(candidate=candidate)


@register.simple_tag
def drawn_face_note(face_id: int) -> str:
    """`{% drawn_face_note face_id as note %}`: why a person outlined a face no detector found."""
    return drawn_note_read(face_id=face_id)
