"""The benchmark's synthetic tracing information: seeded, and its names meet the case's."""

import random
import sys
from pathlib import Path

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
