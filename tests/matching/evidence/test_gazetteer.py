"""Places located by the gazetteer, and compared by distance (issue 25)."""

import json
import sqlite3

import pytest

from matching.evidence.gazetteer import gazetteer_build, km_between, place_locate
from matching.evidence.places import PlaceAgreement, place_compare
from matching.evidence.words import evidence_lines


def test_places_are_located_in_any_script_and_in_their_country():
    saraqib = place_locate(["Saraqib", "Idlib"])
    assert saraqib is not None and saraqib.country == "SY"
    assert place_locate(["Харків"]) == place_locate(["Kharkiv"])
    # Nawa alone is also a Japanese city; Daraa says which one.
    assert place_locate(["Nawa", "Daraa"]).country == "SY"


def test_an_ambiguous_or_unknown_place_is_not_located():
    assert place_locate(["Springfield"]) is None  # dozens of towns of one size
    assert place_locate(["Nawa"]) is None
    assert place_locate(["Somewhere nobody has mapped"]) is None


def test_two_places_compare_by_distance_when_both_are_located():
    agreement, km = place_compare("Saraqib, Idlib", "Binnish, Idlib")
    assert agreement == PlaceAgreement.NEAR and 10 <= km <= 16
    # Two spellings in two scripts of one city: the same place.
    assert place_compare("Aleppo", "حلب") == (PlaceAgreement.SAME, 0)
    assert place_compare("Izium, Kharkiv oblast", "Beryslav")[0] == PlaceAgreement.FAR
    # One place unknown: compared as names.
    assert place_compare("Masisi, Nord-Kivu", "Beni, Nord-Kivu") == (
        PlaceAgreement.SAME_AREA,
        None,
    )


def test_reviewers_read_the_distance_never_the_places():
    evidence = {"items": [{"kind": "place_seen", "agreement": "near", "ratio": 1.3, "km": 13}]}
    (line,) = [line for line in evidence_lines(evidence=evidence) if line.kind == "place_seen"]
    assert line.words == "Where last seen and where found: 13 km apart"


def test_the_table_is_built_from_the_packages_files(tmp_path):
    data = tmp_path / "data"
    data.mkdir()
    place = {"latitude": 1.0, "longitude": 2.0, "countrycode": "KE", "population": 0}
    (data / "cities500.json").write_text(
        json.dumps(
            {
                "1": {**place, "geonameid": 1, "name": "Kakuma", "alternatenames": ["Какума"]},
                "2": {**place, "geonameid": 2, "name": "Lodwar", "alternatenames": []},
            }
        )
    )
    (data / "countries.json").write_text(json.dumps({"KE": {"name": "Kenya", "iso": "KE"}}))
    path = tmp_path / "gazetteer.sqlite3"
    assert gazetteer_build(path=path, data=data) == 2
    db = sqlite3.connect(path)
    keys = {row[0] for row in db.execute("SELECT key FROM name WHERE place = 1")}
    assert keys == {"kakuma"}  # both spellings meet in one key
    assert db.execute("SELECT iso FROM country WHERE key = 'kenya'").fetchone() == ("KE",)
    assert not list(tmp_path.glob("*.partial"))


def test_distances_are_great_circle_kilometres():
    assert km_between((0.0, 0.0), (0.0, 1.0)) == pytest.approx(111.2, abs=0.1)
