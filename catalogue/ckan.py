"""The catalogue in CKAN's dialect: the read actions of the CKAN Action API v3, their
parameters, and records shaped as CKAN 2.10 shapes them, so that CKAN clients and harvesters
(ckanapi, ckanext-harvest, udata's CKAN backend, another ctd) read ctd unchanged.

Mapping: a dataset is a package (``name`` = slug), a publisher an organization, a theme of
the EU data-theme table a group (``name`` = its code in lower case), a keyword a tag. The
HTTP envelope lives in ``catalogue.api.ckan``.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime, time
from typing import Any

import sqlalchemy as sa
from sqlmodel import Session, select

from catalogue import datasets, organizations, search, slugs
from catalogue.auth import Actor
from catalogue.errors import CatalogueError, Invalid, NotFound
from catalogue.models import Dataset, DatasetFacet, Licence, Organization, Resource
from catalogue.schemas import DatasetOut
from catalogue.vocabularies import THEMES, DatasetState

CKAN_VERSION = "2.10.4"
SITE_TITLE = "Catalogue du Comité territorial de la donnée"
ROWS_MAX = 1000
LIST_MAX = 1000
FACET_LIMIT = 50

# CKAN search field → catalogue facet.
FIELDS = {"organization": "publisher", "owner_org": "publisher", "tags": "keyword",
          "res_format": "format", "license_id": "licence", "groups": "theme",
          "access_type": "access_type"}
# Fields CKAN clients add to every query and whose only value here is the one given.
CONSTANT_FIELDS = {"dataset_type": "dataset", "type": "dataset", "capacity": "public",
                   "state": "active"}
SORT_FIELDS = {"score": "relevance", "metadata_modified": "modified",
               "metadata_created": "created", "title_string": "title", "title": "title",
               "name": "name", "id": "id"}
DEFAULT_SORT = "score desc, metadata_modified desc"


class SearchQueryError(CatalogueError):
    """A ``q``, ``fq`` or ``sort`` that cannot be understood (CKAN's Search Query Error)."""

    status = 400
    title = "Search Query Error"


@dataclass
class Call:
    """One action call: its parameters, who calls, and the absolute base URL for links."""

    params: dict[str, Any]
    actor: Actor
    base: str


# --- parameters ---------------------------------------------------------------------------

def _integer(call: Call, name: str, default: int | None, low: int = 0,
             high: int | None = None) -> int | None:
    value = call.params.get(name)
    if value is None or value == "":
        return default
    if isinstance(value, str) and re.fullmatch(r"\s*[+-]?\d{1,18}\s*", value):
        number = int(value)
    elif isinstance(value, int) and not isinstance(value, bool):
        number = value
    else:
        raise Invalid(f"{name} : nombre entier attendu.", field=name)
    if number < low:
        raise Invalid(f"{name} : doit être supérieur ou égal à {low}.", field=name)
    if high is not None and number > high:
        raise Invalid(f"{name} : doit être inférieur ou égal à {high}.", field=name)
    return number


def _boolean(call: Call, name: str, default: bool = False) -> bool:
    value = call.params.get(name)
    if value is None or value == "":
        return default
    if isinstance(value, bool):
        return value
    text = str(value).strip().lower()
    if text in ("true", "1", "yes", "on"):
        return True
    if text in ("false", "0", "no", "off"):
        return False
    raise Invalid(f"{name} : booléen attendu (true ou false).", field=name)


def _text(call: Call, name: str) -> str | None:
    value = call.params.get(name)
    if value is None:
        return None
    if not isinstance(value, str):
        raise Invalid(f"{name} : texte attendu.", field=name)
    return value


def _required_id(call: Call) -> str:
    ref = _text(call, "id")
    if not ref:
        raise Invalid("id : paramètre obligatoire manquant.", field="id")
    return ref


def _string_list(call: Call, name: str) -> list[str] | None:
    """A list given as such (JSON body) or as a JSON text (query string)."""
    value = call.params.get(name)
    if value is None or value == "":
        return None
    if isinstance(value, str):
        try:
            value = json.loads(value)
        except ValueError:
            value = [value]
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise Invalid(f"{name} : liste de textes attendue.", field=name)
    return value


# --- the Solr-like query syntax -----------------------------------------------------------

_TOKEN = re.compile(r"""
    \s*(?:
      (?P<op>AND|OR|&&|\|\|)(?=\s|$)
    | (?P<not>NOT)\s+
    | (?P<sign>[+-])?(?P<field>[A-Za-z_][\w.]*):
      (?: "(?P<quoted>(?:[^"\\]|\\.)*)"
        | \((?P<group>[^()]*)\)
        | \[(?P<range>[^\[\]]*)\]
        | (?P<bare>[^\s()\[\]"]+) )
    | "(?P<phrase>(?:[^"\\]|\\.)*)"
    | (?P<word>[^\s:()\[\]"]+)(?!:)
    )\s*""", re.VERBOSE)


@dataclass
class Term:
    field: str | None
    values: list[str]
    negated: bool = False
    range: tuple[str, str] | None = None


def _unescape(text: str) -> str:
    return re.sub(r"\\(.)", r"\1", text)


def parse_terms(text: str) -> list[Term]:
    """Split Solr-style ``field:value`` terms (quoted, grouped with OR, ranges ``[a TO b]``,
    negated with ``-`` or ``NOT``) and bare words; terms are all required."""
    terms, position, negate_next = [], 0, False
    text = text.strip()
    while position < len(text):
        match = _TOKEN.match(text, position)
        if not match or match.end() == position:
            raise SearchQueryError(f"Requête mal formée près de « {text[position:][:40]} ».")
        position = match.end()
        if match["op"]:
            continue
        if match["not"]:
            negate_next = True
            continue
        negated = negate_next or match["sign"] == "-"
        negate_next = False
        if match["field"] is None:
            words = match["phrase"] if match["phrase"] is not None else match["word"]
            terms.append(Term(None, [_unescape(words)], negated))
            continue
        field = match["field"]
        if match["range"] is not None:
            low, sep, high = match["range"].strip().partition(" TO ")
            if not sep or not low.strip() or not high.strip():
                raise SearchQueryError(f"Intervalle mal formé pour {field} : « [a TO b] » "
                                       "attendu.")
            terms.append(Term(field, [], negated, (low.strip(), high.strip())))
        elif match["group"] is not None:
            values = [v.strip().strip('"') for v in re.split(r"\s+OR\s+|\s+", match["group"])
                      if v.strip() and v.strip() != "OR"]
            if not values:
                raise SearchQueryError(f"Groupe vide pour {field}.")
            terms.append(Term(field, [_unescape(v) for v in values], negated))
        else:
            value = match["quoted"] if match["quoted"] is not None else match["bare"]
            terms.append(Term(field, [_unescape(value)], negated))
    if negate_next:
        raise SearchQueryError("NOT doit précéder un terme.")
    return terms


def _instant(text: str, field: str, end: bool) -> datetime | None:
    if text == "*":
        return None
    try:
        if re.fullmatch(r"\d{4}-\d{2}-\d{2}", text):
            moment = datetime.combine(date.fromisoformat(text), time.max if end else time.min)
        else:
            moment = datetime.fromisoformat(text)
    except ValueError:
        raise SearchQueryError(f"Date invalide pour {field} : « {text} » (ISO 8601 ou *)."
                               ) from None
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)


def _publisher_slugs(session: Session, refs: list[str]) -> list[str]:
    """Organizations named by slug or id, as slugs (unknown ones match nothing)."""
    found = []
    for ref in refs:
        organization = session.exec(select(Organization).where(
            slugs.matches(Organization, ref))).first()
        found.append(organization.slug if organization else ref)
    return found


def _apply_terms(session: Session, query: search.SearchQuery, terms: list[Term],
                 text_allowed: bool) -> tuple[list[str], bool]:
    """Put the fielded terms into ``query``; return the free-text words, and False when a
    constant field asks for what does not exist here (so nothing matches)."""
    words, possible = [], True
    for term in terms:
        if term.field is None:
            if not text_allowed:
                raise SearchQueryError(f"Terme sans champ dans fq : « {term.values[0]} » ; "
                                       "écrivez champ:valeur.")
            if term.negated:
                raise SearchQueryError("La négation d'un mot du texte n'est pas prise en "
                                       "charge ; filtrez par champ (-tags:…).")
            words += term.values
        elif term.field in ("metadata_modified", "metadata_created"):
            if term.range is None or term.negated or term.field == "metadata_created":
                raise SearchQueryError(f"{term.field} : seul un intervalle "
                                       "metadata_modified:[début TO fin] est pris en charge.")
            query.modified_from = _instant(term.range[0], term.field, end=False) or \
                query.modified_from
            query.modified_to = _instant(term.range[1], term.field, end=True) or query.modified_to
        elif term.field in CONSTANT_FIELDS:
            matches = CONSTANT_FIELDS[term.field] in term.values
            possible = possible and matches != term.negated
        elif term.field in FIELDS:
            if term.range is not None:
                raise SearchQueryError(f"{term.field} : intervalle non pris en charge.")
            facet, values = FIELDS[term.field], term.values
            if facet == "publisher":
                values = _publisher_slugs(session, values)
            elif facet == "theme":
                values = [v.upper() for v in values]
            if term.negated:
                query.exclude.setdefault(facet, []).extend(values)
            else:
                query.require.append((facet, values))
        else:
            known = sorted({*FIELDS, *CONSTANT_FIELDS, "metadata_modified"})
            raise SearchQueryError(f"Champ de recherche inconnu : « {term.field} » ; champs "
                                   f"possibles : {', '.join(known)}.")
    return words, possible


def _sort(text: str | None, has_text: bool) -> str:
    """The catalogue sort for a CKAN ``sort`` (its first usable clause)."""
    for clause in (text or DEFAULT_SORT).split(","):
        parts = clause.split()
        if not parts:
            continue
        if len(parts) > 2 or parts[0] not in SORT_FIELDS or (
                len(parts) == 2 and parts[1].lower() not in ("asc", "desc")):
            raise SearchQueryError(f"Tri invalide : « {clause.strip()} » ; champs possibles : "
                                   f"{', '.join(SORT_FIELDS)}, suivis de asc ou desc.")
        name = SORT_FIELDS[parts[0]]
        descending = len(parts) == 2 and parts[1].lower() == "desc"
        if name == "relevance":
            if has_text:
                return name
            continue
        return f"-{name}" if descending else name
    return "-modified"


# --- records ------------------------------------------------------------------------------

def _timestamp(moment: datetime | None) -> str | None:
    """CKAN's form: naive UTC ISO 8601."""
    if moment is None:
        return None
    return moment.astimezone(UTC).replace(tzinfo=None).isoformat()


def _absolute(base: str, url: str | None) -> str | None:
    return base + url if url and url.startswith("/") else url


def organization_dict(org: Organization, package_count: int | None = None) -> dict:
    record = {
        "id": str(org.id), "name": org.slug, "title": org.name, "display_name": org.name,
        "type": "organization", "is_organization": True, "state": "active",
        "approval_status": "approved", "description": "", "image_url": "", "image_display_url": "",
        "created": _timestamp(org.created),
        "extras": [{"key": k, "value": v} for k, v in (
            ("kind", str(org.kind)), ("siren", org.siren), ("insee_code", org.insee_code),
            ("website", org.website)) if v],
    }
    if package_count is not None:
        record["package_count"] = package_count
    return record


def group_dict(code: str, package_count: int | None = None) -> dict:
    record = {"id": code.lower(), "name": code.lower(), "title": THEMES[code],
              "display_name": THEMES[code], "type": "group", "is_organization": False,
              "state": "active", "approval_status": "approved", "description": "",
              "image_url": "", "image_display_url": "",
              "url": f"http://publications.europa.eu/resource/authority/data-theme/{code}"}
    if package_count is not None:
        record["package_count"] = package_count
    return record


def licence_dict(licence: Licence) -> dict:
    return {"id": licence.id, "title": licence.title, "url": licence.url or "",
            "status": "active"}


def _resource_dict(out, position: int, base: str) -> dict:
    return {
        "id": str(out.id), "package_id": None, "position": position, "state": "active",
        "url": _absolute(base, out.url), "url_type": "upload" if out.uploaded else None,
        "name": out.title, "description": out.description, "format": out.format or "",
        "mimetype": out.media_type, "size": out.size, "hash": out.sha256 or "",
        "resource_type": str(out.type), "created": _timestamp(out.created),
        "last_modified": _timestamp(out.last_modified),
    }


_STATES = {DatasetState.published: "active", DatasetState.archived: "active",
           DatasetState.draft: "draft", DatasetState.deleted: "deleted"}


def _extras(out: DatasetOut) -> list[dict]:
    spatial, temporal, schema = out.spatial, out.temporal, out.table_schema
    values = {
        "spatial": json.dumps(spatial.geometry, separators=(",", ":"))
        if spatial and spatial.geometry else None,
        "spatial_zones": ",".join(spatial.zones) if spatial and spatial.zones else None,
        "spatial_granularity": spatial.granularity if spatial else None,
        "access_type": str(out.access_type),
        "contains_personal_data": str(out.contains_personal_data),
        "frequency": out.frequency,
        "temporal_start": temporal.start.isoformat() if temporal and temporal.start else None,
        "temporal_end": temporal.end.isoformat() if temporal and temporal.end else None,
        "schema": schema.name if schema else None,
        "schema_version": schema.version if schema else None,
        "archived": "true" if out.state == DatasetState.archived else None,
        "harvest_source": out.provenance.harvest_source if out.provenance else None,
        "remote_id": out.provenance.remote_id if out.provenance else None,
    }
    return [{"key": key, "value": str(value)} for key, value in values.items()
            if value is not None]


def package_dicts(session: Session, call: Call, found: list[Dataset]) -> list[dict]:
    """CKAN records of these datasets, loaded in a few queries for the whole list."""
    outs = datasets.to_out(session, call.actor, found, with_geometry=True)
    publishers = {o.slug: o for o in session.exec(select(Organization).where(
        Organization.slug.in_({out.publisher.slug for out in outs})))}
    records = []
    for out in outs:
        org = publishers[out.publisher.slug]
        files = [_resource_dict(r, i, call.base) | {"package_id": str(out.id)}
                 for i, r in enumerate(out.resources)]
        tags = [{"name": k, "display_name": k, "state": "active"} for k in out.keywords]
        groups = [group_dict(code) for code in out.themes]
        records.append({
            "id": str(out.id), "name": out.slug, "title": out.title, "notes": out.description,
            "type": "dataset", "state": _STATES[out.state], "private": False,
            "license_id": out.licence.id, "license_title": out.licence.title,
            "license_url": out.licence.url or "",
            "author": None, "author_email": None,
            "maintainer": out.contact_point.name if out.contact_point else None,
            "maintainer_email": out.contact_point.email if out.contact_point else None,
            "owner_org": str(org.id), "organization": organization_dict(org),
            "tags": tags, "num_tags": len(tags), "groups": groups,
            "resources": files, "num_resources": len(files),
            "metadata_created": _timestamp(out.created),
            "metadata_modified": _timestamp(out.modified),
            "url": out.provenance.remote_url if out.provenance else None, "version": None,
            "extras": _extras(out),
        })
    return records


# --- the actions --------------------------------------------------------------------------

def status_show(session: Session, call: Call) -> dict:
    """Which software and site answer."""
    return {"ckan_version": CKAN_VERSION, "site_title": SITE_TITLE, "site_url": call.base,
            "site_description": "ctd : catalogue, qualité et accords de partage des données "
                                "d'un Comité territorial de la donnée.",
            "locale_default": "fr", "error_emails_to": None, "extensions": ["ctd"]}


def _published():
    return Dataset.state == DatasetState.published


def package_list(session: Session, call: Call) -> list[str]:
    """Names of the published datasets, in name order (``limit``, ``offset``)."""
    limit = _integer(call, "limit", None, low=0)
    offset = _integer(call, "offset", 0)
    return list(session.exec(select(Dataset.slug).where(_published())
                             .order_by(Dataset.slug).offset(offset).limit(limit)))


def package_show(session: Session, call: Call) -> dict:
    """One dataset by id or name; drafts only for their publisher."""
    dataset = datasets.find(session, call.actor, _required_id(call))
    return package_dicts(session, call, [dataset])[0]


def resource_show(session: Session, call: Call) -> dict:
    """One resource by id, if its dataset may be seen."""
    ref = _required_id(call)
    resource = session.get(Resource, int(ref)) if ref.isdigit() and len(ref) < 19 else None
    dataset = session.get(Dataset, resource.dataset_id) if resource else None
    if dataset is None or not datasets.can_see(call.actor, dataset):
        raise NotFound(f"Ressource inconnue : « {ref} ».")
    record = package_dicts(session, call, [dataset])[0]
    return next(r for r in record["resources"] if r["id"] == str(resource.id))


def _search_query(session: Session, call: Call
                  ) -> tuple[search.SearchQuery, bool, list[str]]:
    """The catalogue query, whether anything can match, and the CKAN facet fields asked for."""
    query = search.SearchQuery(facets=())
    words, possible = [], True
    q = _text(call, "q")
    if q and q.strip() not in ("*:*", "*"):
        words, possible = _apply_terms(session, query, parse_terms(q), text_allowed=True)
    fq_list = _string_list(call, "fq_list") or []
    if fq := _text(call, "fq"):
        fq_list.append(fq)
    for fq in fq_list:
        _, possible_here = _apply_terms(session, query, parse_terms(fq), text_allowed=False)
        possible = possible and possible_here
    query.q = " ".join(words) or None
    query.sort = _sort(_text(call, "sort"), query.q is not None)
    if bbox := _text(call, "ext_bbox"):
        query.bbox = bbox
    if _boolean(call, "include_drafts"):
        query.drafts_for = call.actor
    fields = []
    if _boolean(call, "facet", True):
        fields = list(dict.fromkeys(_string_list(call, "facet.field") or []))
        unknown = [f for f in fields if f not in FIELDS or f == "owner_org"]
        if unknown:
            raise SearchQueryError(f"Facette inconnue : « {unknown[0]} » ; facettes possibles "
                                   f": {', '.join(f for f in FIELDS if f != 'owner_org')}.")
        query.facets = tuple(dict.fromkeys(FIELDS[f] for f in fields))
        limit = _integer(call, "facet.limit", FACET_LIMIT, low=-1)
        query.facet_limit = None if limit < 0 else limit
    return query, possible, fields


def package_search(session: Session, call: Call) -> dict:
    """Published datasets matching ``q`` and ``fq``, paged by ``start``/``rows``, with facets."""
    rows = _integer(call, "rows", 10, high=ROWS_MAX)
    start = _integer(call, "start", 0)
    query, possible, fields = _search_query(session, call)
    query.offset, query.limit = start, max(rows, 1)
    mincount = _integer(call, "facet.mincount", 1)
    if not possible:
        page = search.SearchPage([], 0, {name: [] for name in query.facets}, None)
    else:
        try:
            page = search.search(session, query)
        except Invalid as error:  # a bad bbox, sort or facet: the query is at fault
            raise SearchQueryError(error.detail) from None
    results = _results(session, call, page.datasets[:rows]) if rows else []
    search_facets, facets = {}, {}
    for name in fields:
        # Group names are theme codes in lower case.
        items = [{"name": v.value.lower() if name == "groups" else v.value,
                  "display_name": v.label, "count": v.count}
                 for v in page.facets.get(FIELDS[name], []) if v.count >= mincount]
        search_facets[name] = {"title": name, "items": items}
        facets[name] = {item["name"]: item["count"] for item in items}
    return {"count": page.total, "results": results, "facets": facets,
            "search_facets": search_facets, "sort": _text(call, "sort") or DEFAULT_SORT}


# Fields a ``fl`` list may name without building the whole records.
_LIGHT_FIELDS = {"id": lambda d: str(d.id), "name": lambda d: d.slug, "title": lambda d: d.title,
                 "metadata_modified": lambda d: _timestamp(d.modified)}


def _results(session: Session, call: Call, found: list[Dataset]) -> list[dict]:
    """Full records, or with ``fl`` (CKAN's field list, space- or comma-separated) only the
    fields asked: what a harvester listing ids needs, at a fraction of the cost."""
    fl = (_text(call, "fl") or "").replace(",", " ").split()
    if not fl:
        return package_dicts(session, call, found)
    if all(name in _LIGHT_FIELDS for name in fl):
        return [{name: _LIGHT_FIELDS[name](d) for name in fl} for d in found]
    return [{name: record.get(name) for name in fl}
            for record in package_dicts(session, call, found)]


def current_package_list_with_resources(session: Session, call: Call) -> list[dict]:
    """The most recently modified published datasets, with their resources."""
    limit = _integer(call, "limit", 10, low=1, high=ROWS_MAX)
    offset = _integer(call, "offset", 0)
    if "page" in call.params:
        offset = (_integer(call, "page", 1, low=1) - 1) * limit
    found = session.exec(select(Dataset).where(_published())
                         .order_by(Dataset.modified.desc(), Dataset.id.desc())
                         .offset(offset).limit(limit)).all()
    return package_dicts(session, call, list(found))


def _package_counts(session: Session, facet: str) -> dict[str, int]:
    F = DatasetFacet
    return dict(session.exec(
        select(F.value, sa.func.count()).join(Dataset, Dataset.id == F.dataset_id)
        .where(F.facet == facet, _published()).group_by(F.value)).all())


def organization_list(session: Session, call: Call) -> list:
    """Publishers, in name order; with ``all_fields``, as records with their dataset count."""
    limit = _integer(call, "limit", LIST_MAX, low=0, high=LIST_MAX)
    offset = _integer(call, "offset", 0)
    found = session.exec(select(Organization).order_by(Organization.slug)
                         .offset(offset).limit(limit)).all()
    if not _boolean(call, "all_fields"):
        return [o.slug for o in found]
    counts = _package_counts(session, "publisher")
    return [organization_dict(o, counts.get(o.slug, 0)) for o in found]


def _packages_if_asked(session: Session, call: Call, query: search.SearchQuery) -> list[dict]:
    if not _boolean(call, "include_datasets"):
        return []
    query.limit = _integer(call, "limit", ROWS_MAX, low=1, high=ROWS_MAX)
    return package_dicts(session, call, search.search(session, query).datasets)


def organization_show(session: Session, call: Call) -> dict:
    """One organization by id or name; ``include_datasets`` adds its published datasets."""
    org = organizations.find(session, _required_id(call))
    record = organization_dict(org, _package_counts(session, "publisher").get(org.slug, 0))
    record["packages"] = _packages_if_asked(session, call, search.SearchQuery(
        publisher=[org.slug], facets=(), sort="name"))
    return record


def _theme(call: Call) -> str:
    code = _required_id(call).upper()
    if code not in THEMES:
        raise NotFound(f"Groupe (thème) inconnu : « {call.params['id']} ».")
    return code


def group_list(session: Session, call: Call) -> list:
    """The themes of the EU data-theme table, as groups."""
    codes = sorted(THEMES)
    if not _boolean(call, "all_fields"):
        return [c.lower() for c in codes]
    counts = _package_counts(session, "theme")
    return [group_dict(c, counts.get(c, 0)) for c in codes]


def group_show(session: Session, call: Call) -> dict:
    code = _theme(call)
    record = group_dict(code, _package_counts(session, "theme").get(code, 0))
    record["packages"] = _packages_if_asked(session, call, search.SearchQuery(
        theme=[code], facets=(), sort="name"))
    return record


def tag_list(session: Session, call: Call) -> list[str]:
    """Keywords of published datasets (``query``: those containing this text)."""
    F = DatasetFacet
    statement = (select(F.value).join(Dataset, Dataset.id == F.dataset_id)
                 .where(F.facet == "keyword", _published()).distinct().order_by(F.value))
    if text := _text(call, "query"):
        statement = statement.where(F.value.contains(text.lower(), autoescape=True))
    return list(session.exec(statement))


def license_list(session: Session, call: Call) -> list[dict]:
    return [licence_dict(lic) for lic in session.exec(select(Licence).order_by(Licence.id))]


ACTIONS: dict[str, Callable[[Session, Call], Any]] = {
    f.__name__: f for f in (
        status_show, package_list, package_search, package_show, resource_show,
        current_package_list_with_resources, organization_list, organization_show,
        group_list, group_show, tag_list, license_list)
}


def help_show(session: Session, call: Call) -> str:
    """The documentation of an action (``name``)."""
    name = _text(call, "name") or ""
    if name not in ACTIONS:
        raise NotFound(f"Action inconnue : « {name} ».")
    return ACTIONS[name].__doc__ or ""


ACTIONS["help_show"] = help_show


def run(session: Session, name: str, call: Call) -> Any:
    if name not in ACTIONS:
        raise NotFound(f"Action inconnue : « {name} » ; l'API CKAN de ctd est en lecture "
                       f"seule : {', '.join(sorted(ACTIONS))}.")
    return ACTIONS[name](session, call)
