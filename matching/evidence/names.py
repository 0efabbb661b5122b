"""Names compared the way tracers compare them: fuzzy, phonetic and across scripts.

The one door to name matching (matching/evidence/ uses nothing else): `names_split`,
`name_agreement`, and `name_keys` to tell cheaply which names could agree. A name is first
written in Latin letters with anyascii (a maintained transliteration table for every
script: Arabic, Cyrillic, Greek, ...), then compared three ways:

- **spelling**: RapidFuzz's normalised similarity of the Latin forms ("Amina" / "Aminah");
- **consonant skeleton**: the name's consonants after folding spellings that sound alike
  (kh/h, g/h, ph/f, q/k, c/k, x/ks, ...), with vowels dropped. Arabic writes no short vowels,
  so "محمد" reads "mhmd" and meets "Mohammed", "Muhammad" and "Мухаммед" there;
- **vowelled Arabic**: an Arabic name's long vowels and endings read as a Latin writer
  hears them (initial alef "a", ي "i", و "u", final ة "a"), so "أمينة" meets "Amina".

PyICU's transliterators were the other candidate; PyICU ships only as a source
distribution that needs Debian's libicu-dev and a C++ compiler, and `make run` promises
Python alone, so anyascii (a pure-Python wheel) and the rules here do that job.
"""

from __future__ import annotations

import re
import unicodedata
from enum import StrEnum

from anyascii import anyascii
from rapidfuzz import fuzz

SEPARATORS = re.compile(r"[,;\n/]+")
_ARABIC = re.compile(r"[\u0600-\u06ff\u0750-\u077f\ufb50-\ufdff\ufe70-\ufeff]")
# Sounds that different spellings and transliterations write differently, folded to one.
_FOLDS = (
    ("sch", "s"),
    ("tch", "c"),
    ("kh", "h"),
    ("gh", "g"),
    ("ph", "f"),
    ("th", "t"),
    ("dh", "d"),
    ("sh", "s"),
    ("ch", "c"),
    ("zh", "j"),
    ("dj", "j"),
    ("dzh", "j"),
    ("ck", "k"),
    ("ou", "u"),
    ("ee", "i"),
    ("oo", "u"),
    ("x", "ks"),
    ("q", "k"),
    ("c", "k"),
    ("z", "s"),
    ("w", "v"),
    # Ukrainian Г is h in its own romanisation and g in Russian-style ones (Serhii, Sergii).
    ("g", "h"),
)
_VOWELS = set("aeiouy")


class Agreement(StrEnum):
    STRONG = "strong"  # the same name, spelled or transliterated differently at most
    SOME = "some"  # sounds alike or close in spelling: maybe the same name
    DIFFER = "differ"


def names_split(text: str) -> list[str]:
    """The separate names in a field ("Amina, Mina; Ami" is three)."""
    return [part.strip() for part in SEPARATORS.split(text or "") if part.strip()]


def name_tokens(name: str) -> list[str]:
    """A name's words ("Amina Hassan" is two), each in its Latin form."""
    return [token for token in (_latin(word) for word in name.split()) if token]


def _latin(word: str) -> str:
    arabic = bool(_ARABIC.search(word))
    if arabic:
        word = _arabic_vowelled(word)
    text = anyascii(unicodedata.normalize("NFKC", word)).lower()
    return "".join(ch for ch in text if ch.isalpha())


def _arabic_vowelled(word: str) -> str:
    """An Arabic word with its long vowels as a Latin writer hears them."""
    word = re.sub(r"[\u064b-\u065f\u0670]", "", word)  # harakat: short-vowel marks
    out = []
    for i, ch in enumerate(word):
        last = i == len(word) - 1
        if ch in "اأإآء":
            out.append("a" if i == 0 or ch == "ا" else "")
        elif ch == "ة" or (ch == "ه" and last and i > 1):
            out.append("a")
        elif ch in "يى" and i > 0:
            out.append("i")
        elif ch == "و" and i > 0:
            out.append("u")
        elif ch == "ع":
            out.append("")
        else:
            out.append(ch)
    return "".join(out)


def skeleton(token: str) -> str:
    """The consonants of a Latin-form name after folding, repeats collapsed."""
    for a, b in _FOLDS:
        token = token.replace(a, b)
    consonants = "".join(ch for ch in token if ch not in _VOWELS)
    return re.sub(r"(.)\1+", r"\1", consonants)


def token_agreement(a: str, b: str) -> Agreement:
    """Two single names (Latin forms) compared."""
    if not a or not b:
        return Agreement.DIFFER
    if a == b:
        return Agreement.STRONG
    spelling = fuzz.ratio(a, b)
    sa, sb = skeleton(a), skeleton(b)
    same_skeleton = bool(sa) and sa == sb
    if spelling >= 85 or (same_skeleton and (len(sa) >= 3 or spelling >= 70)):
        return Agreement.STRONG
    if same_skeleton or spelling >= 70 or (sa and sb and fuzz.ratio(sa, sb) >= 80):
        return Agreement.SOME
    return Agreement.DIFFER


_RANK = {Agreement.DIFFER: 0, Agreement.SOME: 1, Agreement.STRONG: 2}


def best(agreements: list[Agreement]) -> Agreement:
    return max(agreements, key=_RANK.__getitem__, default=Agreement.DIFFER)


def name_agreement(a: str, b: str) -> Agreement:
    """Two names compared word by word: the best agreement of any word with any word."""
    return best([token_agreement(x, y) for x in name_tokens(a) for y in name_tokens(b)])


def name_keys(*texts: str) -> set[str]:
    """Keys any two names that agree strongly almost always share: each word's consonant
    skeleton and its first and last two and three letters (one letter dropped, doubled or
    swapped leaves at least one of them). A cheap first look before the full comparison."""
    keys = set()
    for text in texts:
        for name in names_split(text):
            for token in name_tokens(name):
                keys.add(f"s:{skeleton(token)}")
                for n in (2, 3):
                    keys |= {f"a{n}:{token[:n]}", f"z{n}:{token[-n:]}"}
    return keys
