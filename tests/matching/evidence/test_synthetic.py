"""The benchmark's synthetic tracing information: seeded, and its names meet the case's."""

import math
import random
import sys
from pathlib import Path

import pytest

from matching.evidence.names import Agreement, name_agreement

sys.path.insert(0, str(Path(__file__).resolve().parents[3] / "bench"))

from tracing_synth import GIVEN, name_told, people_make


def test_the_same_seed_makes_the_same_people():
    ids = [f"{n:03d}" for n in range(1, 42, 2)]
    assert people_make(identities=ids, seed=25) == people_make(identities=ids, seed=25)
    assert people_make(identities=ids, seed=25) != people_make(identities=ids, seed=26)


def test_names_in_their_native_script_agree_with_the_latin_spelling():
    for language in ("arabic", "ukrainian"):
        for latin, native in GIVEN[language]["female"] + GIVEN[language]["male"]:
            assert name_agreement(native, latin) != Agreement.DIFFER, (latin, native)


def test_told_names_mostly_still_agree():
    rng = random.Random(1)
    names = [n for lang in GIVEN.values() for sex in lang.values() for n in sex]
    told = [(name, name_told(rng, name)) for name in names * 5]
    agree = sum(name_agreement(said, name[0]) != Agreement.DIFFER for name, said in told)
    assert agree / len(told) > 0.8


def test_the_joint_fit_does_not_count_correlated_evidence_twice():
    from evidence_fit import fit

    # "b" is seen exactly when "a" is: together they are one piece of evidence, worth 4.
    rows = [(True, [("k", "a"), ("k", "b")])] * 80 + [(True, [])] * 20
    rows += [(False, [("k", "a"), ("k", "b")])] * 20 + [(False, [])] * 80
    a, b = fit(rows, [("k", "a"), ("k", "b")], l2=1e-6)
    assert math.exp(a + b) == pytest.approx(4.0, rel=0.01)


@pytest.mark.django_db
def test_synthetic_pairs_point_the_right_way():
    from evidence_fit import pairs_make

    rows = pairs_make(seed=1000, people=60, others=5)
    same = [items for is_same, items in rows if is_same]
    assert len(same) == 60 and len(rows) == 60 * 6
    strong = sum(("given_name", "strong") in items for items in same)
    assert strong > len(same) / 3


def test_names_that_agree_strongly_share_a_key():
    from matching.evidence.names import name_keys, name_tokens, token_agreement

    rng = random.Random(3)
    names = [n for lang in GIVEN.values() for sex in lang.values() for n in sex]
    for name, said in [(name, name_told(rng, name)) for name in names * 20]:
        (a,), (b,) = name_tokens(name[0]), name_tokens(said)
        if token_agreement(a, b) == Agreement.STRONG:
            assert name_keys(name[0]) & name_keys(said), (name, said)
