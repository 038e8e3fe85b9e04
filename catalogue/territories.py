"""French administrative areas: the shipped reference, imports, and spatial matching.

A territory is keyed by its zone id, ``fr:<level>:<code>`` (``fr:commune:54395``,
``fr:departement:54``, ``fr:region:44``, ``fr:epci:245400676``), the form data.gouv.fr uses
for spatial zones. People may also write a bare INSEE code (see ``zone_id``).
"""

from __future__ import annotations

import gzip
import json
import re
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import numpy as np
import shapely
import sqlalchemy as sa
from sqlmodel import Session, select

from catalogue.errors import Invalid, NotFound
from catalogue.models import Territory, utcnow
from catalogue.vocabularies import TerritoryLevel

REFERENCE_DIR = Path(__file__).parent / "data" / "territories"
REFERENCE_FILES = {
    "regions-version-simplifiee": TerritoryLevel.region,
    "departements-version-simplifiee": TerritoryLevel.departement,
    "communes-54-meurthe-et-moselle": TerritoryLevel.commune,
    "communes-55-meuse": TerritoryLevel.commune,
    "communes-57-moselle": TerritoryLevel.commune,
    "communes-88-vosges": TerritoryLevel.commune,
    "communes-bretagne": TerritoryLevel.commune,
}
# Two areas "intersect" when they share at least this share of the smaller one's area:
# simplified boundaries from different files overlap by slivers along shared borders.
MIN_OVERLAP = 0.01

_COMMUNE = re.compile(r"(\d{2}|2[AB])\d{3}")
_DEPARTEMENT = re.compile(r"\d{2}|2[AB]|97\d")
_SIREN = re.compile(r"\d{9}")


def infer_level(code: str) -> TerritoryLevel:
    """The level a bare code denotes: 5 characters a commune, 9 digits an EPCI (SIREN),
    2 or 3 characters a département (a région needs the ``region:`` prefix)."""
    if _COMMUNE.fullmatch(code):
        return TerritoryLevel.commune
    if _SIREN.fullmatch(code):
        return TerritoryLevel.epci
    if _DEPARTEMENT.fullmatch(code):
        return TerritoryLevel.departement
    raise Invalid(f"Code de territoire non reconnu : « {code} ».", field="territory")


def zone_id(ref: str) -> str:
    """Normalise ``fr:commune:54395``, ``commune:54395`` or ``54395`` to a zone id."""
    parts = ref.strip().split(":")
    if parts[0] == "fr":
        parts = parts[1:]
    if len(parts) == 1:
        return f"fr:{infer_level(parts[0].upper())}:{parts[0].upper()}"
    if len(parts) == 2 and parts[0] in TerritoryLevel.__members__ and parts[1]:
        return f"fr:{parts[0]}:{parts[1].upper()}"
    raise Invalid(f"Référence de territoire non reconnue : « {ref} ».", field="territory")


def get(session: Session, ref: str) -> Territory:
    territory = session.get(Territory, zone_id(ref))
    if territory is None:
        raise NotFound(f"Territoire inconnu : « {ref} ».")
    return territory


def code_of(zone: str) -> str:
    return zone.rsplit(":", 1)[-1]


# --- geometry helpers -------------------------------------------------------------------

def parse_geometry(value: dict | str, field: str = "geometry") -> shapely.Geometry:
    """A GeoJSON geometry (WGS84) given by a person, checked."""
    try:
        text = value if isinstance(value, str) else json.dumps(value)
        geometry = shapely.from_geojson(text)
    except (shapely.errors.GEOSException, ValueError, TypeError) as error:
        raise Invalid(f"Géométrie GeoJSON illisible : {error}", field=field) from None
    if geometry.is_empty:
        raise Invalid("La géométrie est vide.", field=field)
    minx, miny, maxx, maxy = geometry.bounds
    if minx < -180 or maxx > 180 or miny < -90 or maxy > 90:
        raise Invalid("Les coordonnées doivent être en WGS84 (longitude, latitude).", field=field)
    if not geometry.is_valid:
        geometry = shapely.make_valid(geometry)
    return geometry


def to_geojson(geometry: shapely.Geometry) -> str:
    return shapely.to_geojson(geometry)


def bbox_of(geometry: shapely.Geometry | None) -> dict[str, float | None]:
    if geometry is None:
        return {"minx": None, "miny": None, "maxx": None, "maxy": None}
    minx, miny, maxx, maxy = geometry.bounds
    return {"minx": minx, "miny": miny, "maxx": maxx, "maxy": maxy}


def union(geometries: list[str]) -> shapely.Geometry | None:
    """Union of GeoJSON geometries (None when there is none)."""
    if not geometries:
        return None
    if len(geometries) == 1:
        return shapely.from_geojson(geometries[0])
    return shapely.union_all([shapely.from_geojson(g) for g in geometries])


def zones_geometry(session: Session, zones: list[str]) -> shapely.Geometry | None:
    rows = session.exec(select(Territory.geometry).where(Territory.id.in_(zones))).all()
    return union(list(rows))


# --- loading and importing ------------------------------------------------------------

def _rows_from_features(features: list[dict], level: TerritoryLevel | None) -> list[dict]:
    rows = []
    for number, feature in enumerate(features, start=1):
        properties = feature.get("properties") or {}
        code, name = properties.get("code"), properties.get("nom")
        if not code or not name or not feature.get("geometry"):
            raise Invalid(f"Entité n° {number} : il faut les propriétés « code » et « nom » "
                          "et une géométrie.")
        code = str(code).upper()
        geometry = parse_geometry(feature["geometry"])
        if geometry.geom_type not in ("Polygon", "MultiPolygon"):
            raise Invalid(f"Entité n° {number} ({code}) : un territoire est un polygone.")
        feature_level = level or infer_level(code)
        rows.append({"id": f"fr:{feature_level}:{code}", "level": str(feature_level),
                     "code": code, "name": str(name), "geometry": to_geojson(geometry),
                     **bbox_of(geometry)})
    return rows


def _upsert(session: Session, rows: list[dict]) -> int:
    now = utcnow()
    rows = [{**row, "updated": now} for row in rows]
    existing = set(session.exec(select(Territory.id).where(
        Territory.id.in_([r["id"] for r in rows]))).all()) if rows else set()
    new = [r for r in rows if r["id"] not in existing]
    if new:
        session.execute(sa.insert(Territory), new)
    for row in rows:
        if row["id"] in existing:
            session.execute(sa.update(Territory).where(Territory.id == row["id"]).values(**row))
    session.flush()
    return len(rows)


def load_reference(session: Session) -> int:
    """Load the shipped reference once (idempotent); returns how many areas were added."""
    if session.exec(select(sa.func.count()).select_from(Territory)).one():
        return 0
    count = 0
    for name, level in REFERENCE_FILES.items():
        with gzip.open(REFERENCE_DIR / f"{name}.geojson.gz", "rt", encoding="utf-8") as f:
            count += _upsert(session, _rows_from_features(json.load(f)["features"], level))
    return count


def import_file(session: Session, path: Path, level: TerritoryLevel | None = None) -> int:
    """Add or replace the areas of a GeoJSON FeatureCollection (``code`` and ``nom``)."""
    try:
        data = json.loads(Path(path).read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as error:
        raise Invalid(f"Fichier GeoJSON illisible : {error}") from None
    if not isinstance(data, dict) or data.get("type") != "FeatureCollection":
        raise Invalid("Le fichier doit contenir une FeatureCollection GeoJSON.")
    return _upsert(session, _rows_from_features(data.get("features") or [], level))


def add_area(session: Session, level: TerritoryLevel, code: str, name: str,
             geometry: shapely.Geometry) -> Territory:
    """Register an area built elsewhere (an EPCI as the union of its communes)."""
    zone = f"fr:{level}:{code}"
    _upsert(session, [{"id": zone, "level": str(level), "code": code, "name": name,
                       "geometry": to_geojson(geometry), **bbox_of(geometry)}])
    return session.get(Territory, zone)


# --- spatial matching -------------------------------------------------------------------

@dataclass(frozen=True)
class _Index:
    ids: np.ndarray
    geometries: np.ndarray
    areas: np.ndarray
    tree: shapely.STRtree


@lru_cache(maxsize=4)
def _index(url: str, version: str) -> _Index:
    from catalogue.db import get_engine

    with Session(get_engine(url)) as session:
        rows = session.exec(select(Territory.id, Territory.geometry).order_by(Territory.id)).all()
    geometries = shapely.from_geojson([g for _, g in rows])
    shapely.prepare(geometries)
    return _Index(np.array([i for i, _ in rows]), geometries, shapely.area(geometries),
                  shapely.STRtree(geometries))


def intersecting(session: Session, geometry: shapely.Geometry) -> list[str]:
    """Zone ids of the reference areas that share real ground with ``geometry``."""
    index = _current_index(session)
    found = index.tree.query(geometry, predicate="intersects")
    if not len(found):
        return []
    if geometry.geom_type in ("Point", "MultiPoint", "LineString", "MultiLineString"):
        return sorted(index.ids[found].tolist())
    candidates = index.geometries[found]
    inside = shapely.within(candidates, geometry) | shapely.contains(candidates, geometry)
    partial = found[~inside]
    overlap = shapely.area(shapely.intersection(index.geometries[partial], geometry))
    keep = overlap >= MIN_OVERLAP * np.minimum(index.areas[partial], geometry.area)
    return sorted(index.ids[found[inside]].tolist() + index.ids[partial[keep]].tolist())


def _database(session: Session) -> tuple[str, str]:
    """What the spatial caches are keyed by: the database, its number of areas and the time
    of the last write (an insert or update moves the time, a deletion the count)."""
    count, updated = session.exec(
        select(sa.func.count(), sa.func.max(Territory.updated))).one()
    return session.get_bind().engine.url.render_as_string(hide_password=False), \
        f"{count}@{updated}"


def _current_index(session: Session) -> _Index:
    return _index(*_database(session))


@lru_cache(maxsize=4096)
def _zone_matches(url: str, version: str, zone: str) -> tuple[str, ...]:
    from catalogue.db import get_engine

    with Session(get_engine(url)) as session:
        territory = session.get(Territory, zone)
        return tuple(intersecting(session, shapely.from_geojson(territory.geometry)))


def matching_zones(session: Session, zone: str) -> tuple[str, ...]:
    """Zones meaningfully intersecting a known zone (itself, the areas it lies in, the areas
    inside it, and those it partly overlaps), cached per zone."""
    return _zone_matches(*_database(session), zone)
