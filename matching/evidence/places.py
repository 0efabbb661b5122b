"""Places compared: how far apart, when the gazetteer knows both; else as names.

Distances come from the gazetteer (gazetteer.py: GeoNames' places of 500 people or more,
from a registry package, names in every script): both places located, they are *the same
place* (within 3 km), *near* (25 km), *in the same region* (100 km) or *far apart*, and
reviewers read the distance. A place the gazetteer does not know, or names ambiguously, is
compared as a list of names, from the most precise to the widest ("Kakuma camp, Turkana,
Kenya"): the first names agreeing is "the same place", one of the other parts agreeing is
"the same area", none is "different places".
"""

from __future__ import annotations

import re
from enum import StrEnum

from matching.evidence.gazetteer import GENERIC, km_between, place_locate
from matching.evidence.names import Agreement, best, name_tokens, token_agreement

# Kilometres: within the first, the same place; then near; then the same region.
SAME_KM, NEAR_KM, REGION_KM = 3.0, 25.0, 100.0


class PlaceAgreement(StrEnum):
    SAME = "same"
    SAME_AREA = "same_area"
    DIFFER = "differ"
    NEAR = "near"
    REGION = "region"
    FAR = "far"


def _texts(place: str) -> list[str]:
    return [p.strip() for p in re.split(r"[,;/\n()]+", place or "") if p.strip()]


def _parts(texts: list[str]) -> list[list[str]]:
    tokens = [[t for t in name_tokens(p) if t not in GENERIC] for p in texts]
    return [t for t in tokens if t]


def place_compare(a: str, b: str) -> tuple[PlaceAgreement, int | None] | None:
    """Two places compared, with the distance in whole kilometres when the gazetteer
    locates both; None when either is not given."""
    texts_a, texts_b = _texts(a), _texts(b)
    by_name = _agreement(_parts(texts_a), _parts(texts_b))
    if by_name is None:
        return None
    here, there = place_locate(texts_a), place_locate(texts_b)
    if here is None or there is None:
        return by_name, None
    km = km_between((here.lat, here.lon), (there.lat, there.lon))
    if by_name == PlaceAgreement.SAME or km <= SAME_KM:
        return PlaceAgreement.SAME, round(km)
    band = (
        PlaceAgreement.NEAR
        if km <= NEAR_KM
        else PlaceAgreement.REGION
        if km <= REGION_KM
        else PlaceAgreement.FAR
    )
    return band, max(1, round(km))


def place_agreement(a: str, b: str) -> PlaceAgreement | None:
    """Two places compared; None when either is not given."""
    return _agreement(_parts(_texts(a)), _parts(_texts(b)))


def _agreement(parts_a: list[list[str]], parts_b: list[list[str]]) -> PlaceAgreement | None:
    if not parts_a or not parts_b:
        return None
    first = _part_agreement(parts_a[0], parts_b[0])
    if first == Agreement.STRONG:
        return PlaceAgreement.SAME
    anywhere = best([_part_agreement(x, y) for x in parts_a for y in parts_b])
    return PlaceAgreement.SAME_AREA if anywhere == Agreement.STRONG else PlaceAgreement.DIFFER


def _part_agreement(a: list[str], b: list[str]) -> Agreement:
    return best([token_agreement(x, y) for x in a for y in b])
