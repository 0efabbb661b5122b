"""Every kind of evidence as a likelihood ratio, and one combined ratio with the face's.

A likelihood ratio says how much more often this evidence is seen when the two records are
the same child than when they are different children. Ratios multiply; missing evidence (a
field left empty on either side) is neutral, ratio 1.

**Calibration.** No data set joins missing-child cases with found-child reports, so the
ratios in `ratios.json` are fitted on synthetic records (bench/evidence_fit.py: the error
model of bench/tracing_synth.py, training seeds only), jointly, so that correlated evidence
is not counted twice. `PRIORS` are the documented starting values (docs/evidence.md); only
the dates still use them. A deployment with reviewed decisions should refit on its own.

The face's ratio comes from its age-calibrated false-match rate (matching/spaces/rates.py,
stored on every candidate pair): the share of the same children whose faces score this
high, taken as a fixed prior (`FACE_HIT_RATE_PRIOR`), over the share of different
children who do (the pair's false-match rate).
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from cases.models import FoundReport, MissingCase
from matching.evidence.names import Agreement, best, name_tokens, names_split, token_agreement
from matching.evidence.places import place_compare

# Of the same children photographed across the years, about this share clear the shipped
# face thresholds (38-40 % on held-out cross-age photos, issue 25): the face's ratio at a
# false-match rate f is this over f. A prior, stated as such.
FACE_HIT_RATE_PRIOR = 0.4
# No face ratio above this: a face alone never outweighs everything else without bound.
FACE_RATIO_MAX = 1e5

# (kind, agreement) -> ratio, as first written down (docs/evidence.md gives the reasons).
PRIORS: dict[tuple[str, str], float] = {
    ("given_name", "strong"): 20.0,
    ("given_name", "some"): 3.0,
    ("given_name", "differ"): 0.5,
    ("family_name", "strong"): 10.0,
    ("family_name", "some"): 2.0,
    ("family_name", "differ"): 0.5,
    ("relatives", "two"): 100.0,
    ("relatives", "one"): 20.0,
    ("relatives", "some"): 2.0,
    ("relatives", "none"): 0.5,
    ("home_place", "same"): 5.0,
    ("home_place", "same_area"): 2.0,
    ("home_place", "differ"): 0.5,
    ("home_place", "near"): 3.0,
    ("home_place", "region"): 1.0,
    ("home_place", "far"): 0.5,
    ("place_seen", "same"): 2.0,
    ("place_seen", "same_area"): 1.5,
    ("place_seen", "differ"): 1.0,
    ("place_seen", "near"): 1.5,
    ("place_seen", "region"): 1.2,
    ("place_seen", "far"): 1.0,
    ("languages", "shared"): 1.5,
    ("languages", "none_shared"): 0.7,
    ("dates", "within_month"): 1.5,
    ("dates", "within_year"): 1.0,
    ("dates", "later"): 1.0,
    ("dates", "found_before_last_seen"): 0.1,
    ("sex", "same"): 1.9,
    ("sex", "different"): 0.05,
    ("age", "compatible"): 1.5,
    ("age", "borderline"): 1.0,
    ("age", "incompatible"): 0.1,
}


def _fitted() -> dict[tuple[str, str], float]:
    data = json.loads((Path(__file__).with_name("ratios.json")).read_text())
    return {(kind, a): float(r) for kind, rs in data["ratios"].items() for a, r in rs.items()}


# The ratios in use: fitted where bench/evidence_fit.py fits them, priors elsewhere.
RATIOS: dict[tuple[str, str], float] = {**PRIORS, **_fitted()}
# The order reviewers read them in.
KINDS = (
    "given_name",
    "family_name",
    "relatives",
    "home_place",
    "place_seen",
    "languages",
    "dates",
    "age",
    "sex",
)


def combined_threshold(*, target_fmr: float) -> float:
    """The one threshold on the combined ratio: what a face at the candidate threshold
    (`target_fmr` strangers in a comparison) carries alone. The face alone still reaches
    review as before; other evidence can carry a weaker face over the same line."""
    return FACE_HIT_RATE_PRIOR / target_fmr


def face_ratio(*, fmr: float | None, target_fmr: float, above_threshold: bool) -> float:
    """The face's ratio from its calibrated false-match rate; without a calibrated rate
    (an operator's threshold override), a face above its threshold counts as one at the
    target rate, and one below it counts nothing (1)."""
    if not fmr or fmr <= 0:
        return FACE_HIT_RATE_PRIOR / target_fmr if above_threshold else 1.0
    return min(FACE_RATIO_MAX, FACE_HIT_RATE_PRIOR / fmr)


@dataclass(frozen=True)
class Evidence:
    kind: str
    agreement: str
    ratio: float
    days: int | None = None
    km: int | None = None  # places: how far apart, when the gazetteer locates both

    def as_data(self) -> dict[str, Any]:
        data: dict[str, Any] = {"kind": self.kind, "agreement": self.agreement}
        data["ratio"] = self.ratio
        if self.days is not None:
            data["days"] = self.days
        if self.km is not None:
            data["km"] = self.km
        return data


@dataclass(frozen=True)
class Assessment:
    items: list[Evidence] = field(default_factory=list)
    face: float = 1.0

    @property
    def other(self) -> float:
        ratio = 1.0
        for item in self.items:
            ratio *= item.ratio
        return ratio

    @property
    def combined(self) -> float:
        return self.face * self.other

    def as_data(self) -> dict[str, Any]:
        return {
            "items": [item.as_data() for item in self.items],
            "face_ratio": round(self.face, 3),
            "other_ratio": round(self.other, 4),
        }


def _item(kind: str, agreement: str, days: int | None = None, km: int | None = None) -> Evidence:
    return Evidence(
        kind=kind, agreement=agreement, ratio=RATIOS[(kind, agreement)], days=days, km=km
    )


def evidence_assess(
    *, case: MissingCase, report: FoundReport, compatibility: dict[str, Any], face: float
) -> Assessment:
    """Each kind of evidence the two records both give, with its ratio; `compatibility`
    is candidates/compatibility.py's notes (sex, age, dates)."""
    items = [
        item
        for item in (
            _given_name(case=case, report=report),
            _family_name(case=case, report=report),
            _relatives(case=case, report=report),
            _place("home_place", case.home_place, report.home_place),
            _place("place_seen", case.last_seen_place, report.found_place),
            _languages(case=case, report=report),
            _dates(case=case, report=report),
            _note("age", compatibility.get("age")),
            _note("sex", compatibility.get("sex")),
        )
        if item is not None
    ]
    return Assessment(items=items, face=face)


def _given_name(*, case: MissingCase, report: FoundReport) -> Evidence | None:
    given = [t for n in (case.given_name, *names_split(case.other_names)) for t in name_tokens(n)]
    said = [t for n in names_split(report.child_names) for t in name_tokens(n)]
    if not given or not said:
        return None
    return _item("given_name", best([token_agreement(a, b) for a in said for b in given]))


def _family_name(*, case: MissingCase, report: FoundReport) -> Evidence | None:
    family = name_tokens(case.family_name)
    # A child who gives two names gives a family name after the first one.
    later = [t for n in names_split(report.child_names) for t in name_tokens(n)[1:]]
    if not family or not later:
        return None
    return _item("family_name", best([token_agreement(a, b) for a in later for b in family]))


def _entry_agreement(a: str, b: str) -> Agreement:
    ta, tb = name_tokens(a), name_tokens(b)
    if not ta or not tb:
        return Agreement.DIFFER
    if len(ta) > 1 and len(tb) > 1:
        # Relatives often share the family name: only their own (first) names count.
        return token_agreement(ta[0], tb[0])
    return best([token_agreement(x, y) for x in ta for y in tb])


def _relatives(*, case: MissingCase, report: FoundReport) -> Evidence | None:
    known = names_split(case.relatives_names)
    if case.consent_given_by and case.consent_relationship:
        known.append(case.consent_given_by)  # the guardian who asked for the search
    told = names_split(report.relatives_names)
    if not known or not told:
        return None
    agreeing, some, used = 0, False, set()
    for name in told:
        grades = [(_entry_agreement(name, k), i) for i, k in enumerate(known) if i not in used]
        strong = [i for grade, i in grades if grade == Agreement.STRONG]
        if strong:
            agreeing += 1
            used.add(strong[0])
        elif any(grade == Agreement.SOME for grade, _ in grades):
            some = True
    if agreeing:
        return _item("relatives", "two" if agreeing > 1 else "one")
    return _item("relatives", "some" if some else "none")


def _place(kind: str, known: str, told: str) -> Evidence | None:
    compared = place_compare(known, told)
    if compared is None:
        return None
    agreement, km = compared
    return _item(kind, agreement.value, km=km)


def _languages(*, case: MissingCase, report: FoundReport) -> Evidence | None:
    known = [t for n in names_split(case.languages) for t in name_tokens(n)]
    told = [t for n in names_split(report.languages) for t in name_tokens(n)]
    if not known or not told:
        return None
    shared = any(token_agreement(a, b) == Agreement.STRONG for a in known for b in told)
    return _item("languages", "shared" if shared else "none_shared")


def _dates(*, case: MissingCase, report: FoundReport) -> Evidence:
    days = (report.found_on - case.last_seen_on).days
    if days < 0:
        return _item("dates", "found_before_last_seen", days=days)
    if days <= 31:
        return _item("dates", "within_month", days=days)
    return _item("dates", "within_year" if days <= 366 else "later", days=days)


def _note(kind: str, note: str | None) -> Evidence | None:
    if note is None or (kind, note) not in RATIOS:
        return None  # "unknown": neutral
    return _item(kind, note)
