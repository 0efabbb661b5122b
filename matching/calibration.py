"""How scores are put into words for reviewers. Never a bare percentage."""

from __future__ import annotations

from dataclasses import dataclass

from django.conf import settings


@dataclass(frozen=True)
class Band:
    key: str
    words: str
    explanation: str


STRONG = Band("strong", "Strong similarity",
              "Scores this high are rare between different people, but they do happen.")
POSSIBLE = Band("possible", "Possible similarity",
                "Above the candidate threshold; different people often score this high too.")
WEAK = Band("weak", "Weak similarity",
            "Below the candidate threshold: weak evidence on its own.")


def score_band(*, score: float) -> Band:
    """The words a reviewer sees for a score."""
    threshold = settings.CANDIDATE_THRESHOLD
    if score >= threshold + 0.025:
        return STRONG
    if score >= threshold:
        return POSSIBLE
    return WEAK
