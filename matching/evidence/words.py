"""The evidence in words for reviewers: how well each kind agrees, never the names."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.utils.formats import number_format
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from matching.evidence.ratios import KINDS

WORDS: dict[tuple[str, str], Promise] = {
    ("given_name", "strong"): _("Given name: strong agreement"),
    ("given_name", "some"): _("Given name: some agreement (sounds alike or is spelled alike)"),
    ("given_name", "differ"): _("Given name: the names differ"),
    ("family_name", "strong"): _("Family name: strong agreement"),
    ("family_name", "some"): _("Family name: some agreement (sounds alike or is spelled alike)"),
    ("family_name", "differ"): _("Family name: the names differ"),
    ("relatives", "two"): _("Parents' or relatives' names: two or more agree"),
    ("relatives", "one"): _("Parents' or relatives' names: one agrees"),
    ("relatives", "some"): _("Parents' or relatives' names: one is close, none agrees"),
    ("relatives", "none"): _("Parents' or relatives' names: none agrees"),
    ("home_place", "same"): _("Home: the same place"),
    ("home_place", "same_area"): _("Home: the same district or area"),
    ("home_place", "differ"): _("Home: the place names differ"),
    **dict.fromkeys(
        [("home_place", band) for band in ("near", "region", "far")],
        _("Home: %(km)s km apart"),
    ),
    ("place_seen", "same"): _("Where last seen and where found: the same place"),
    ("place_seen", "same_area"): _("Where last seen and where found: the same district or area"),
    ("place_seen", "differ"): _("Where last seen and where found: the place names differ"),
    **dict.fromkeys(
        [("place_seen", band) for band in ("near", "region", "far")],
        _("Where last seen and where found: %(km)s km apart"),
    ),
    ("languages", "shared"): _("Languages: one in common"),
    ("languages", "none_shared"): _("Languages: none in common"),
    ("dates", "within_month"): _("Found within a month of being last seen"),
    ("dates", "within_year"): _("Found within a year of being last seen"),
    ("dates", "later"): _("Found more than a year after being last seen"),
    ("dates", "found_before_last_seen"): _(
        "Found before being last seen: one of the dates is probably wrong"
    ),
    ("age", "compatible"): _("Age: fits"),
    ("age", "borderline"): _("Age: nearly fits"),
    ("age", "incompatible"): _("Age: does not fit"),
    ("sex", "same"): _("Sex: the same"),
    ("sex", "different"): _("Sex: differs"),
}
WEIGHT = {
    "for": _("points to the same child"),
    "neutral": _("neither way"),
    "against": _("points to different children"),
}
NOT_GIVEN: dict[str, Promise] = {
    "given_name": _("Given name: not given on both records"),
    "relatives": _("Parents' or relatives' names: not given on both records"),
    "home_place": _("Home: not given on both records"),
    "languages": _("Languages: not given on both records"),
}


@dataclass(frozen=True)
class EvidenceLine:
    kind: str
    words: str
    weight: str  # "for", "neutral" or "against"
    weight_words: str


def evidence_lines(*, evidence: dict[str, Any]) -> list[EvidenceLine]:
    """A candidate's stored evidence (Candidate.evidence) as lines a reviewer reads, in a
    fixed order; kinds neither record gives are said to be missing (they count nothing)."""
    items = {item["kind"]: item for item in evidence.get("items", [])}
    lines = []
    for kind in KINDS:
        item = items.get(kind)
        if item is None:
            if kind in NOT_GIVEN:
                lines.append(EvidenceLine(kind, str(NOT_GIVEN[kind]), "neutral", ""))
            continue
        words = WORDS.get((kind, item["agreement"]))
        if words is None:
            continue
        text = str(words)
        if "km" in item and "%(km)s" in text:
            text %= {"km": number_format(item["km"], force_grouping=True)}
        ratio = float(item.get("ratio", 1.0))
        weight = "for" if ratio > 1 else "against" if ratio < 1 else "neutral"
        lines.append(EvidenceLine(kind, text, weight, str(WEIGHT[weight])))
    return lines


def combined_words(*, ratio: float, threshold: float) -> str:
    """The combined ratio in words, against the one threshold for review."""
    if ratio >= 10 * threshold:
        return str(_("Together, the face and the other evidence point strongly to one child."))
    if ratio >= threshold * (1 - 1e-9):
        return str(_("Together, the face and the other evidence are enough for review."))
    return str(_("Together, the face and the other evidence fall short of review."))
