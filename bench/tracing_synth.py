"""Synthetic tracing information for a cross-age face set, with a documented error model.

No public data set joins children's faces across ages with what tracers record, so each
person of the face set gets made-up tracing information (issue 25, point 2). Seeded: the
same seed gives the same people, names and errors.

**Who they are.** Each person gets a language at random (Arabic, Ukrainian, Swahili-speaking
Kenyan, French-speaking Congolese), a sex at random, a given name and a family name drawn
from that language's list below (real, common names; Arabic and Ukrainian ones with their
native spelling), a mother and a father (given names from the same lists, the family
name), a home village in a district, and the language spoken. The case side (a caseworker
talking to the family) writes every name in Latin letters, correctly.

**The found side's errors** (what a child or a finder gets wrong), per found photo:

| what | model |
| --- | --- |
| too young to give a name | no names under 3; names with probability 0.5 at 3-5, 0.9 from 6 |
| another script | a name written in its native script (Arabic, Cyrillic), probability 0.3 |
| nickname | a known short form (Sasha for Oleksandr, Hamoudi for Mohammed), probability 0.2 |
| misspelling | one letter dropped, doubled or swapped with its neighbour, probability 0.15 |
| missing family name | the family name given with probability 0.4 (from 6 only) |
| mother's name | given name only: probability 0 under 3, 0.4 at 3-5, 0.7 from 6 |
| father's name | half as often as the mother's; both with the errors above |
| home village | probability 0 under 4, 0.3 at 4-5, 0.7 from 6 |
| wrong village | a village of the same district, one time in five |
| age estimate | true age + normal error, sd 1.5 + 0.1 x age years; a 3-year range |
| sex | unknown on the report one time in ten |
| language | noted by the finder with probability 0.8 |
| **gross errors**, which no spelling rule can bridge: | |
| another given name | a name carers used, of the same language and sex, probability 0.05 |
| another family name | the family the child stayed with, probability 0.05 |
| a carer for a parent | a name of the same language instead of the mother's or father's, 0.1 |
| home elsewhere | a village of another district (where the family fled), 0.1 |
| wrong language | the finder notes another of the four languages, probability 0.05 |

The lists are small (12 given names per sex per language), so different children share
names far more often than in life: false agreements here are pessimistic.
"""

from __future__ import annotations

import datetime as dt
import random
from dataclasses import dataclass

# (Latin, native script or "") per name.
GIVEN = {
    "arabic": {
        "female": [
            ("Amina", "أمينة"),
            ("Fatima", "فاطمة"),
            ("Khadija", "خديجة"),
            ("Mariam", "مريم"),
            ("Aisha", "عائشة"),
            ("Zainab", "زينب"),
            ("Huda", "هدى"),
            ("Nour", "نور"),
            ("Salma", "سلمى"),
            ("Layla", "ليلى"),
            ("Rania", "رانيا"),
            ("Hala", "هالة"),
        ],
        "male": [
            ("Mohammed", "محمد"),
            ("Ahmed", "أحمد"),
            ("Omar", "عمر"),
            ("Yusuf", "يوسف"),
            ("Ali", "علي"),
            ("Hassan", "حسن"),
            ("Ibrahim", "إبراهيم"),
            ("Khalid", "خالد"),
            ("Mustafa", "مصطفى"),
            ("Tariq", "طارق"),
            ("Samir", "سمير"),
            ("Karim", "كريم"),
        ],
    },
    "ukrainian": {
        "female": [
            ("Olena", "Олена"),
            ("Iryna", "Ірина"),
            ("Oksana", "Оксана"),
            ("Kateryna", "Катерина"),
            ("Nataliia", "Наталія"),
            ("Yuliia", "Юлія"),
            ("Sofiia", "Софія"),
            ("Anna", "Анна"),
            ("Tetiana", "Тетяна"),
            ("Mariia", "Марія"),
            ("Viktoriia", "Вікторія"),
            ("Daryna", "Дарина"),
        ],
        "male": [
            ("Oleksandr", "Олександр"),
            ("Andrii", "Андрій"),
            ("Dmytro", "Дмитро"),
            ("Mykola", "Микола"),
            ("Ivan", "Іван"),
            ("Serhii", "Сергій"),
            ("Taras", "Тарас"),
            ("Bohdan", "Богдан"),
            ("Yurii", "Юрій"),
            ("Maksym", "Максим"),
            ("Volodymyr", "Володимир"),
            ("Artem", "Артем"),
        ],
    },
    "swahili": {
        "female": [
            (n, "")
            for n in [
                "Amani",
                "Neema",
                "Zawadi",
                "Imani",
                "Rehema",
                "Wanjiru",
                "Achieng",
                "Nyokabi",
                "Akinyi",
                "Wambui",
                "Mwanaisha",
                "Halima",
            ]
        ],
        "male": [
            (n, "")
            for n in [
                "Juma",
                "Baraka",
                "Hamisi",
                "Musa",
                "Daudi",
                "Otieno",
                "Kamau",
                "Mwangi",
                "Kiprop",
                "Onyango",
                "Salim",
                "Jabari",
            ]
        ],
    },
    "french": {
        "female": [
            (n, "")
            for n in [
                "Marie",
                "Claire",
                "Camille",
                "Grace",
                "Esther",
                "Divine",
                "Josephine",
                "Ruth",
                "Chantal",
                "Aline",
                "Nadine",
                "Rachel",
            ]
        ],
        "male": [
            (n, "")
            for n in [
                "Jean",
                "Pierre",
                "Patrick",
                "Emmanuel",
                "Joseph",
                "Olivier",
                "Christian",
                "Fiston",
                "Eric",
                "Junior",
                "Blaise",
                "Didier",
            ]
        ],
    },
}
FAMILY = {
    "arabic": [
        ("Haddad", "حداد"),
        ("Khalil", "خليل"),
        ("Nasser", "ناصر"),
        ("Saleh", "صالح"),
        ("Mansour", "منصور"),
        ("Hamdan", "حمدان"),
        ("Darwish", "درويش"),
        ("Issa", "عيسى"),
    ],
    "ukrainian": [
        ("Kovalenko", "Коваленко"),
        ("Shevchenko", "Шевченко"),
        ("Bondarenko", "Бондаренко"),
        ("Tkachenko", "Ткаченко"),
        ("Melnyk", "Мельник"),
        ("Kravchenko", "Кравченко"),
        ("Oliinyk", "Олійник"),
        ("Polishchuk", "Поліщук"),
    ],
    "swahili": [
        (n, "")
        for n in [
            "Odhiambo",
            "Mwangi",
            "Kamau",
            "Njoroge",
            "Ochieng",
            "Kiprono",
            "Wekesa",
            "Barasa",
        ]
    ],
    "french": [
        (n, "")
        for n in ["Kabila", "Mukendi", "Ilunga", "Kasongo", "Tshimanga", "Mbuyi", "Lukusa", "Ngoy"]
    ],
}
NICKNAMES = {
    "Mohammed": "Hamoudi",
    "Fatima": "Fatma",
    "Khadija": "Dija",
    "Ibrahim": "Brahim",
    "Mustafa": "Moustafa",
    "Oleksandr": "Sasha",
    "Kateryna": "Katia",
    "Iryna": "Ira",
    "Dmytro": "Dima",
    "Volodymyr": "Volodia",
    "Mykola": "Kolia",
    "Yuliia": "Yulia",
    "Josephine": "Jose",
    "Emmanuel": "Manu",
    "Mwanaisha": "Aisha",
}
PLACES = {
    "arabic": {
        "Idlib": ["Saraqib", "Binnish", "Taftanaz", "Maarrat Misrin"],
        "Daraa": ["Nawa", "Tafas", "Jasim", "Inkhil"],
    },
    "ukrainian": {
        "Kharkiv oblast": ["Chuhuiv", "Izium", "Balakliia", "Kupiansk"],
        "Kherson oblast": ["Beryslav", "Skadovsk", "Oleshky", "Kakhovka"],
    },
    "swahili": {
        "Turkana": ["Kakuma", "Lodwar", "Lokichoggio", "Kalokol"],
        "Kilifi": ["Malindi", "Watamu", "Mtwapa", "Kaloleni"],
    },
    "french": {
        "Nord-Kivu": ["Rutshuru", "Masisi", "Beni", "Lubero"],
        "Sud-Kivu": ["Uvira", "Kalehe", "Fizi", "Walungu"],
    },
}
LANGUAGE_NAMES = {
    "arabic": "Arabic",
    "ukrainian": "Ukrainian",
    "swahili": "Swahili",
    "french": "French",
}


@dataclass(frozen=True)
class Person:
    language: str
    sex: str
    given: tuple[str, str]
    family: tuple[str, str]
    mother: tuple[str, str]
    father: tuple[str, str]
    district: str
    village: str
    birth: dt.date


def people_make(*, identities: list[str], seed: int) -> dict[str, Person]:
    rng = random.Random(seed)
    people = {}
    for identity in sorted(identities):
        language = rng.choice(sorted(GIVEN))
        sex = rng.choice(["female", "male"])
        district = rng.choice(sorted(PLACES[language]))
        people[identity] = Person(
            language=language,
            sex=sex,
            given=rng.choice(GIVEN[language][sex]),
            family=rng.choice(FAMILY[language]),
            mother=rng.choice(GIVEN[language]["female"]),
            father=rng.choice(GIVEN[language]["male"]),
            district=district,
            village=rng.choice(PLACES[language][district]),
            birth=dt.date(1990, 1, 1) + dt.timedelta(days=rng.randrange(3650)),
        )
    return people


def _misspell(rng: random.Random, name: str) -> str:
    if len(name) < 3:
        return name
    i = rng.randrange(1, len(name) - 1)
    kind = rng.choice(["drop", "double", "swap"])
    if kind == "drop":
        return name[:i] + name[i + 1 :]
    if kind == "double":
        return name[:i] + name[i] + name[i:]
    return name[:i] + name[i + 1] + name[i] + name[i + 2 :]


def name_told(rng: random.Random, name: tuple[str, str]) -> str:
    """One name as a child or a finder gives it, with the error model's mistakes."""
    latin, native = name
    roll = rng.random()
    if native and roll < 0.3:
        return native
    if roll < 0.5 and latin in NICKNAMES:
        return NICKNAMES[latin]
    if roll < 0.65:
        return _misspell(rng, latin)
    return latin


def _given_prob(age: float, young: float, older: float) -> float:
    return 0.0 if age < 3 else young if age < 6 else older


def case_fields(*, person: Person, age: float) -> dict:
    """What the family tells a caseworker, correctly, in Latin letters."""
    last_seen = person.birth + dt.timedelta(days=round(age * 365.25))
    return {
        "given_name": person.given[0],
        "family_name": person.family[0],
        "sex": person.sex,
        "date_of_birth": person.birth,
        "last_seen_on": last_seen,
        "last_seen_place": f"{person.village}, {person.district}",
        "relatives_names": (
            f"{person.mother[0]} {person.family[0]}, {person.father[0]} {person.family[0]}"
        ),
        "home_place": f"{person.village}, {person.district}",
        "languages": LANGUAGE_NAMES[person.language],
        "consent_given_by": f"{person.mother[0]} {person.family[0]}",
        "consent_relationship": "Mother",
    }


def _or_another(rng: random.Random, name: tuple[str, str], pool: list, p: float) -> tuple:
    """The name, or with probability p another of the pool (a gross error)."""
    return rng.choice([n for n in pool if n != name]) if rng.random() < p else name


def report_fields(*, person: Person, age: float, rng: random.Random) -> dict:
    """What a found child (this age) or the finder tells, with the documented errors."""
    found_on = person.birth + dt.timedelta(days=round(age * 365.25))
    given_pool = GIVEN[person.language]
    names = []
    if rng.random() < _given_prob(age, 0.5, 0.9):
        names.append(name_told(rng, _or_another(rng, person.given, given_pool[person.sex], 0.05)))
        if age >= 6 and rng.random() < 0.4:
            family = _or_another(rng, person.family, FAMILY[person.language], 0.05)
            names[0] += " " + name_told(rng, family)
    relatives = []
    mother = _given_prob(age, 0.4, 0.7)
    if rng.random() < mother:
        relatives.append(name_told(rng, _or_another(rng, person.mother, given_pool["female"], 0.1)))
    if rng.random() < mother / 2:
        relatives.append(name_told(rng, _or_another(rng, person.father, given_pool["male"], 0.1)))
    home = ""
    if rng.random() < (0.0 if age < 4 else 0.3 if age < 6 else 0.7):
        district, village = person.district, person.village
        roll = rng.random()
        if roll < 0.1:
            district = rng.choice([d for d in sorted(PLACES[person.language]) if d != district])
            village = rng.choice(PLACES[person.language][district])
        elif roll < 0.3:
            village = rng.choice([v for v in PLACES[person.language][district] if v != village])
        home = f"{village}, {district}"
    language = person.language
    if rng.random() < 0.05:
        language = rng.choice([a for a in sorted(LANGUAGE_NAMES) if a != language])
    estimate = max(0.0, age + rng.gauss(0, 1.5 + 0.1 * age))
    low = max(0, round(estimate) - 1)
    other_district = rng.choice(sorted(PLACES[person.language]))
    return {
        "child_names": ", ".join(names),
        "relatives_names": ", ".join(relatives),
        "home_place": home,
        "languages": LANGUAGE_NAMES[language] if rng.random() < 0.8 else "",
        "sex": person.sex if rng.random() >= 0.1 else "unknown",
        "estimated_age_min": low,
        "estimated_age_max": low + 2,
        "found_on": found_on,
        "found_place": f"{rng.choice(PLACES[person.language][other_district])}, {other_district}",
    }
