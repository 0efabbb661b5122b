"""Names meet across spellings and scripts; places are compared as names (issue 25)."""

import pytest

from matching.evidence.names import Agreement, name_agreement, names_split, skeleton
from matching.evidence.places import PlaceAgreement, place_agreement


@pytest.mark.parametrize(
    ("a", "b"),
    [
        ("محمد", "Mohammed"),  # Arabic writes no short vowels
        ("Мухаммед", "Muhammad"),  # Cyrillic against another Latin spelling
        ("محمد", "Мухаммед"),
        ("أمينة", "Amina"),
        ("فاطمة", "Fatima"),
        ("Фатима", "Fatima"),
        ("يوسف", "Yusuf"),
        ("خديجة", "Khadija"),
        ("Олександр", "Aleksandr"),  # Ukrainian and Russian transliterations
        ("Olena", "Elena"),
        ("Hasan", "Hassan"),
        ("Ахмед", "أحمد"),
        ("Amina Hassan", "amina"),
    ],
)
def test_one_name_in_two_scripts_or_spellings_agrees_strongly(a, b):
    assert name_agreement(a, b) == Agreement.STRONG
    assert name_agreement(b, a) == Agreement.STRONG


@pytest.mark.parametrize(("a", "b"), [("Amina", "Grace"), ("Олена", "Fatima"), ("محمد", "Peter")])
def test_different_names_differ(a, b):
    assert name_agreement(a, b) == Agreement.DIFFER


def test_a_short_unvowelled_arabic_name_only_partly_agrees():
    # عمر could be Omar or Umar, but "mr" also fits other names: some agreement only.
    assert name_agreement("عمر", "Omar") == Agreement.SOME


def test_names_split_on_commas_semicolons_and_lines_and_skeletons_fold_spellings():
    assert names_split("Amina, Mina; Ami\nNana") == ["Amina", "Mina", "Ami", "Nana"]
    assert names_split("  ") == []
    assert skeleton("mukhammed") == skeleton("mohammed") == "mhmd"


def test_places_are_the_same_the_same_area_different_or_not_given():
    assert place_agreement("Kakuma camp, Turkana", "Kakuma") == PlaceAgreement.SAME
    assert place_agreement("Lodwar, Turkana", "Kakuma, Turkana") == PlaceAgreement.SAME_AREA
    assert place_agreement("Lodwar", "Kakuma") == PlaceAgreement.DIFFER
    assert place_agreement("Харків", "Kharkiv") == PlaceAgreement.SAME
    assert place_agreement("", "Kakuma") is None
