"""Dataset search: the derived index (full text and facets) and the query.

Full text is native on each engine: PostgreSQL's ``french`` configuration over ``unaccent``
(table ``dataset_search``), SQLite FTS5 over text folded and stemmed by ``catalogue.text``
(table ``dataset_fts``). Facets, filters and spatial zones live in ``dataset_facet``.
Both are rebuilt from the dataset by ``index_datasets``, in the same transaction as the change.
"""

from __future__ import annotations

import base64
import json
from dataclasses import dataclass, field
from datetime import datetime

import shapely
import sqlalchemy as sa
from sqlmodel import Session, select

from catalogue import territories
from catalogue.auth import Actor
from catalogue.db import is_postgres
from catalogue.errors import Invalid, NotFound
from catalogue.models import (
    Committee,
    CommitteeMember,
    Dataset,
    DatasetFacet,
    Licence,
    Organization,
    Resource,
)
from catalogue.text import terms, words
from catalogue.vocabularies import THEMES, DatasetState

FACETS = ("publisher", "theme", "licence", "format", "access_type")
# Facets a query may filter on, exclude, or count (``keyword`` is counted only on request).
FILTERABLE = (*FACETS, "keyword")
# Zone value of a dataset whose coverage is a drawn geometry rather than known areas:
# such datasets are matched geometrically.
FREE_GEOMETRY = "~geometry"
FACET_VALUES_SHOWN = 30
MAX_LIMIT = 1000

_fts = sa.table("dataset_fts", sa.column("rowid"), sa.column("title"), sa.column("keywords"),
                sa.column("publisher"), sa.column("description"))
_pg = sa.table("dataset_search", sa.column("dataset_id"), sa.column("document"))
_F = DatasetFacet.__table__
_D = Dataset.__table__

_PG_DOCUMENT = sa.text(
    "INSERT INTO dataset_search (dataset_id, document) VALUES (:id, "
    "setweight(to_tsvector('french', unaccent(:title)), 'A') || "
    "setweight(to_tsvector('french', unaccent(:keywords)), 'B') || "
    "setweight(to_tsvector('french', unaccent(:publisher)), 'C') || "
    "setweight(to_tsvector('french', unaccent(:description)), 'D'))"
)


# --- the index ----------------------------------------------------------------------------

def _chunks(items: list, size: int = 2000):
    for start in range(0, len(items), size):
        yield items[start:start + size]


def index_datasets(session: Session, datasets: list[Dataset]) -> None:
    """Rebuild the search rows of these datasets (deleted ones are dropped from the index)."""
    session.flush()
    postgres = is_postgres(session)
    for chunk in _chunks(datasets):
        ids = [d.id for d in chunk]
        session.execute(sa.delete(_F).where(_F.c.dataset_id.in_(ids)))
        if postgres:
            session.execute(sa.delete(_pg).where(_pg.c.dataset_id.in_(ids)))
        else:
            session.execute(sa.delete(_fts).where(_fts.c.rowid.in_(ids)))
        live = [d for d in chunk if d.state != DatasetState.deleted]
        if not live:
            continue
        publishers = {o.id: o for o in session.exec(select(Organization).where(
            Organization.id.in_({d.publisher_id for d in live})))}
        formats: dict[int, set[str]] = {}
        for dataset_id, fmt in session.exec(select(Resource.dataset_id, Resource.format).where(
                Resource.dataset_id.in_(ids), Resource.format.is_not(None))):
            formats.setdefault(dataset_id, set()).add(fmt.upper())
        facets, texts = [], []
        for d in live:
            publisher = publishers[d.publisher_id]
            values = {
                ("publisher", publisher.slug), ("licence", d.licence_id),
                ("access_type", str(d.access_type)),
                *(("theme", t) for t in d.themes),
                *(("keyword", k.lower()[:200]) for k in d.keywords),
                *(("format", f) for f in formats.get(d.id, ())),
                *(("zone", z) for z in d.spatial_zones),
            }
            if d.spatial_geometry and not d.spatial_zones:
                values.add(("zone", FREE_GEOMETRY))
            facets += [{"dataset_id": d.id, "facet": f, "value": v} for f, v in values]
            text = {"title": d.title, "keywords": " ".join(d.keywords),
                    "publisher": publisher.name, "description": d.description or ""}
            if postgres:
                texts.append({"id": d.id, **text})
            else:
                texts.append({"rowid": d.id, **{k: " ".join(terms(v)) for k, v in text.items()}})
        session.execute(sa.insert(_F), facets)
        session.execute(_PG_DOCUMENT if postgres else sa.insert(_fts), texts)


def reindex_all(session: Session, batch: int = 2000) -> int:
    """Rebuild the whole index (after a bulk load); returns the number of datasets read."""
    count, last = 0, 0
    while True:
        chunk = session.exec(select(Dataset).where(Dataset.id > last)
                             .order_by(Dataset.id).limit(batch)).all()
        if not chunk:
            # Fresh statistics, so planners size the facet and text subqueries right.
            session.execute(sa.text("ANALYZE"))
            return count
        index_datasets(session, list(chunk))
        count, last = count + len(chunk), chunk[-1].id


# --- the query ----------------------------------------------------------------------------

SORTS = {
    # name: (column, descending)
    "relevance": ("score", False),
    "modified": ("modified", False),
    "-modified": ("modified", True),
    "created": ("created", False),
    "-created": ("created", True),
    "title": ("title", False),
    "-title": ("title", True),
    "name": ("slug", False),
    "-name": ("slug", True),
    "id": ("id", False),
    "-id": ("id", True),
}


@dataclass
class SearchQuery:
    q: str | None = None
    publisher: list[str] = field(default_factory=list)
    committee: list[str] = field(default_factory=list)
    theme: list[str] = field(default_factory=list)
    keyword: list[str] = field(default_factory=list)
    licence: list[str] = field(default_factory=list)
    format: list[str] = field(default_factory=list)
    access_type: list[str] = field(default_factory=list)
    territory: str | None = None
    bbox: str | None = None
    # A place as "lon,lat" (WGS84): the datasets whose coverage contains it.
    point: str | None = None
    # An area (a use case's territory): the datasets whose coverage meets it.
    area: shapely.Geometry | None = None
    # Metadata modified within [modified_from, modified_to], either end open.
    modified_from: datetime | None = None
    modified_to: datetime | None = None
    # More facet conditions, all required: each (facet, values) pair matches one of its values.
    require: list[tuple[str, list[str]]] = field(default_factory=list)
    # Facet values that exclude a dataset, e.g. {"format": ["PDF"]}.
    exclude: dict[str, list[str]] = field(default_factory=dict)
    # Also find the drafts this actor publishes (all drafts for an administrator).
    drafts_for: Actor | None = None
    sort: str | None = None
    # Paging: either a cursor from the previous page, or an offset.
    cursor: str | None = None
    offset: int = 0
    limit: int = 20
    # The facets counted, and how many values of each are shown (None: all).
    facets: tuple[str, ...] = FACETS
    facet_limit: int | None = FACET_VALUES_SHOWN


@dataclass
class FacetValue:
    value: str
    label: str
    count: int


@dataclass
class SearchPage:
    datasets: list[Dataset]
    total: int
    facets: dict[str, list[FacetValue]]
    next_cursor: str | None


def _facet_values(name: str, values: list[str]) -> list[str]:
    """Values as the index holds them: keywords in lower case, formats in upper case."""
    if name == "keyword":
        return [v.lower() for v in values]
    if name == "format":
        return [v.upper() for v in values]
    return list(values)


def _has_facet(name: str, values: list[str]):
    return _D.c.id.in_(select(_F.c.dataset_id).where(
        _F.c.facet == name, _F.c.value.in_(_facet_values(name, values))))


def _parse_bbox(text: str) -> shapely.Geometry:
    try:
        minx, miny, maxx, maxy = (float(v) for v in text.split(","))
    except ValueError:
        raise Invalid("bbox attend quatre nombres : minx,miny,maxx,maxy (WGS84).",
                      field="bbox") from None
    if not (-180 <= minx < maxx <= 180 and -90 <= miny < maxy <= 90):
        raise Invalid("bbox doit vérifier minx < maxx et miny < maxy, en WGS84.", field="bbox")
    return shapely.box(minx, miny, maxx, maxy)


def _parse_point(text: str) -> shapely.Geometry:
    try:
        lon, lat = (float(v) for v in text.split(","))
    except ValueError:
        raise Invalid("point attend deux nombres : longitude,latitude (WGS84).",
                      field="point") from None
    if not (-180 <= lon <= 180 and -90 <= lat <= 90):
        raise Invalid("point : longitude entre -180 et 180, latitude entre -90 et 90.",
                      field="point")
    return shapely.Point(lon, lat)


def _spatial_filter(session: Session, zones: list[str] | tuple[str, ...],
                    geometry: shapely.Geometry):
    """Datasets covering one of ``zones``, or whose drawn geometry meets ``geometry``."""
    minx, miny, maxx, maxy = geometry.bounds
    free = session.execute(
        select(_D.c.id, _D.c.spatial_geometry)
        .where(_has_facet("zone", [FREE_GEOMETRY]), _D.c.minx <= maxx, _D.c.maxx >= minx,
               _D.c.miny <= maxy, _D.c.maxy >= miny)
    ).all()
    free_ids = [i for i, g in free if shapely.intersects(shapely.from_geojson(g), geometry)]
    # One IN over the zone rows (no OR across tables), so engines use it as an id list.
    return _D.c.id.in_(select(_F.c.dataset_id).where(_F.c.facet == "zone", sa.or_(
        _F.c.value.in_(list(zones)),
        sa.and_(_F.c.value == FREE_GEOMETRY, _F.c.dataset_id.in_(free_ids)))))


def _conditions(session: Session, query: SearchQuery) -> list:
    visible = _D.c.state == DatasetState.published
    if (actor := query.drafts_for) is not None and (actor.admin or actor.publisher_of):
        drafts = _D.c.state == DatasetState.draft
        if not actor.admin:
            drafts = sa.and_(drafts, _D.c.publisher_id.in_(actor.publisher_of))
        visible = sa.or_(visible, drafts)
    conditions = [visible]
    for name in FILTERABLE:
        if values := getattr(query, name):
            conditions.append(_has_facet(name, values))
    for name, _ in [*query.require, *query.exclude.items()]:
        if name not in FILTERABLE:
            raise Invalid(f"Filtre inconnu : « {name} ».", field=name)
    conditions += [_has_facet(name, values) for name, values in query.require]
    conditions += [sa.not_(_has_facet(name, values))
                   for name, values in query.exclude.items() if values]
    if query.modified_from is not None:
        conditions.append(_D.c.modified >= query.modified_from)
    if query.modified_to is not None:
        conditions.append(_D.c.modified <= query.modified_to)
    if query.committee:
        members = (select(CommitteeMember.organization_id)
                   .join(Committee, Committee.id == CommitteeMember.committee_id)
                   .where(Committee.slug.in_(query.committee)))
        conditions.append(_D.c.publisher_id.in_(members))
    if query.territory:
        try:
            territory = territories.get(session, query.territory)
        except NotFound as error:
            raise Invalid(error.detail, field="territory") from None
        conditions.append(_spatial_filter(
            session, territories.matching_zones(session, territory.id),
            shapely.from_geojson(territory.geometry)))
    if query.bbox:
        box = _parse_bbox(query.bbox)
        conditions.append(_spatial_filter(session, territories.intersecting(session, box), box))
    if query.point:
        place = _parse_point(query.point)
        conditions.append(_spatial_filter(session, territories.intersecting(session, place),
                                          place))
    if query.area is not None:
        conditions.append(_spatial_filter(session, territories.intersecting(session, query.area),
                                          query.area))
    return conditions


def _text_match(session: Session, q: str | None):
    """(ids matching the text, subquery of (id, score) where lower is better), or None.
    The ids alone serve counting and facets; the score only orders the page."""
    if not q or not (found := words(q)):
        return None
    if is_postgres(session):
        # Our stop-word list is applied first: PostgreSQL's keeps some (« les »).
        tsquery = sa.func.plainto_tsquery("french", " ".join(found))
        matches = _pg.c.document.op("@@")(tsquery)
        score = sa.cast(-sa.func.ts_rank_cd(_pg.c.document, tsquery), sa.Float)
        ids, scored = select(_pg.c.dataset_id), select(_pg.c.dataset_id.label("id"),
                                                        score.label("score"))
    else:
        fts = sa.literal_column("dataset_fts")
        matches = fts.op("MATCH")(" ".join(f'"{t}"' for t in terms(q)))
        score = sa.func.bm25(fts, 10.0, 5.0, 2.0, 1.0)
        ids, scored = select(_fts.c.rowid), select(_fts.c.rowid.label("id"), score.label("score"))
    return ids.where(matches), scored.where(matches).subquery("match")


def _encode_cursor(values: list) -> str:
    return base64.urlsafe_b64encode(json.dumps(values).encode()).decode().rstrip("=")


def _decode_cursor(cursor: str, sort: str) -> list:
    try:
        values = json.loads(base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)))
        if not (isinstance(values, list) and len(values) == 3 and values[0] == sort
                and isinstance(values[2], int)):
            raise ValueError
    except ValueError:
        raise Invalid("Curseur de pagination invalide.", field="cursor") from None
    if SORTS[sort][0] in ("modified", "created"):
        values[1] = datetime.fromisoformat(values[1])
    return values


def search(session: Session, query: SearchQuery) -> SearchPage:
    limit = max(1, min(query.limit, MAX_LIMIT))
    conditions = _conditions(session, query)
    text = _text_match(session, query.q)
    sort = query.sort or ("relevance" if text is not None else "-modified")
    if sort not in SORTS:
        raise Invalid(f"Tri inconnu : « {sort} » ; valeurs possibles : {', '.join(SORTS)}.",
                      field="sort")
    if sort == "relevance" and text is None:
        sort = "-modified"
    key_name, descending = SORTS[sort]
    key = text[1].c.score if key_name == "score" else _D.c[key_name]
    matching = conditions + ([_D.c.id.in_(text[0])] if text is not None else [])

    # The page is chosen on ids and sort keys alone; only its rows are then loaded.
    # Sorted by relevance, the join with the scores already restricts it to the text match.
    page = select(_D.c.id, key.label("sort_key"))
    if key_name == "score":
        page = page.where(*conditions).join(text[1], text[1].c.id == _D.c.id)
    else:
        page = page.where(*matching)
    if query.offset < 0:
        raise Invalid("Le décalage (offset) doit être positif ou nul.", field="offset")
    if query.cursor:
        _, last_key, last_id = _decode_cursor(query.cursor, sort)
        after = sa.tuple_(key, _D.c.id)
        page = page.where(after < (last_key, last_id) if descending
                          else after > (last_key, last_id))
    order = (key.desc(), _D.c.id.desc()) if descending else (key.asc(), _D.c.id.asc())
    rows = session.execute(page.order_by(*order).offset(query.offset).limit(limit + 1)).all()
    next_cursor = None
    if len(rows) > limit:
        rows = rows[:limit]
        last_id, last_key = rows[-1]
        if isinstance(last_key, datetime):
            last_key = last_key.isoformat()
        next_cursor = _encode_cursor([sort, last_key, last_id])
    loaded = {d.id: d for d in session.exec(
        select(Dataset).where(Dataset.id.in_([i for i, _ in rows])))}
    total, facets = _facets(session, select(_D.c.id).where(*matching), query)
    return SearchPage([loaded[i] for i, _ in rows], total, facets, next_cursor)


def _facets(session: Session, matching, query: SearchQuery
            ) -> tuple[int, dict[str, list[FacetValue]]]:
    """(number of matching datasets, facet counts) in one pass: every indexed dataset has
    exactly one access_type row, so their counts add up to the total."""
    unknown = set(query.facets) - set(FILTERABLE)
    if unknown:
        raise Invalid(f"Facette inconnue : « {sorted(unknown)[0]} » ; facettes possibles : "
                      f"{', '.join(FILTERABLE)}.", field="facets")
    counted = {*query.facets, "access_type"}
    counts = session.execute(
        select(_F.c.facet, _F.c.value, sa.func.count())
        .where(_F.c.dataset_id.in_(matching), _F.c.facet.in_(counted))
        .group_by(_F.c.facet, _F.c.value)
    ).all()
    total = sum(count for name, _, count in counts if name == "access_type")
    by_facet: dict[str, list[tuple[str, int]]] = {name: [] for name in query.facets}
    for name, value, count in counts:
        if name in by_facet:
            by_facet[name].append((value, count))
    for name, values in by_facet.items():
        by_facet[name] = sorted(values, key=lambda vc: (-vc[1], vc[0]))[:query.facet_limit]
    labels = {
        "publisher": dict(session.exec(select(Organization.slug, Organization.name).where(
            Organization.slug.in_([v for v, _ in by_facet.get("publisher", ())]))).all()),
        "licence": dict(session.exec(select(Licence.id, Licence.title)).all()),
        "theme": THEMES,
    }
    return total, {name: [FacetValue(v, labels.get(name, {}).get(v, v), c) for v, c in values]
                   for name, values in by_facet.items()}
