"""DCAT connector: a DCAT / DCAT-AP catalogue in Turtle, RDF/XML or JSON-LD, paged with Hydra.

The feed is read page by page, each page parsed into its own small graph, so memory follows
the page size and never the catalogue's.

Cursor: a JSON object mapping each page URL to ``{"sha256", "etag", "last_modified", "next",
"ids", "hashes"}`` — the page's hash and validators, its next page, the remote ids it lists
and, in the same order, the first 16 hex digits of each dataset's ``content_hash`` ("" for a
dataset that could not be mapped). On a re-run a page answering 304, or with the same bytes,
is not parsed: its ``next`` and ``ids`` come from the cursor and its datasets are not
yielded. On a page that did change, only the datasets whose hash differs from the previous
run's (wherever they were listed then) are yielded.

Paging stops with an ``ItemError(stage="gather")`` when a next page is one already read (the
loop that made ckanext-dcat exhaust memory) or after ``config["max_pages"]`` pages
(``MAX_PAGES`` by default); a page after the first that cannot be fetched or parsed stops it
with an ``ItemError`` of that stage. The datasets read until then are yielded, but
``present`` stays None: no dataset is considered deleted after an incomplete listing.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from datetime import date
from typing import Any
from urllib.parse import urljoin, urlsplit

import shapely.geometry
import shapely.wkt
from rdflib import BNode, Graph, Literal, Namespace, URIRef
from rdflib.namespace import DCAT, DCTERMS, RDF, RDFS, SKOS
from rdflib.term import Node

from catalogue.dcat import EU, GSP, HYDRA, IANA, INSEE, LOCN, SPDX, VCARD
from catalogue.fetch import Fetcher, FetchError, Response
from connectors import mapping
from connectors.records import Gathering, ItemError, RemoteDataset, RemoteResource

MAX_PAGES = 10_000
ACCEPT = ("text/turtle, application/x-turtle;q=0.95, application/rdf+xml;q=0.9, "
          "application/ld+json;q=0.8, */*;q=0.1")
# DCAT-AP 1.x wrote the bounds of a period with schema.org.
SCHEMA = Namespace("http://schema.org/")

_PARSERS_BY_TYPE = {
    "text/turtle": "turtle", "application/x-turtle": "turtle", "text/n3": "n3",
    "application/n-triples": "nt", "application/rdf+xml": "xml", "application/xml": "xml",
    "text/xml": "xml", "application/ld+json": "json-ld", "application/json": "json-ld",
}
_PARSERS_BY_EXTENSION = {"ttl": "turtle", "n3": "n3", "nt": "nt", "rdf": "xml", "xml": "xml",
                         "owl": "xml", "jsonld": "json-ld", "json": "json-ld"}
_GUESSES = ("turtle", "xml", "json-ld")
_HTML = re.compile(rb"\s*(<!doctype html|<html)", re.IGNORECASE)
# Levels of the INSEE COG whose codes RemoteDataset.insee_codes holds, with their code shape.
_INSEE_IRI = re.compile(
    re.escape(INSEE).replace("http", "https?", 1)
    + r"(?:commune/(\d{5}|2[AB]\d{3})|departement/(\d{2,3}|2[AB])|region/(\d{2}))/?$")
_SCHEMA_SITE = "https://schema.data.gouv.fr/"
_VERSION = re.compile(r"v?\d+(\.\d+)*|latest")
_SHA256 = re.compile(r"[0-9a-f]{64}")
_MEDIA_TYPE = re.compile(r"[a-z0-9][a-z0-9!#$&^_.+-]*/[a-z0-9][a-z0-9!#$&^_.+-]*")
# EU file-type codes whose usual short format differs.
_FILE_TYPES = {"RDF_TURTLE": "TURTLE", "JSON_LD": "JSON-LD", "RDF_XML": "RDF",
               "WMS_SRVC": "WMS", "WFS_SRVC": "WFS"}
_SERVICES = {"API", "WMS", "WFS", "WMTS", "WCS", "CSW", "SPARQL", "ARCGIS REST"}
# Media subtypes whose usual short format is not their upper-cased last part.
_SUBTYPES = {"vnd.openxmlformats-officedocument.spreadsheetml.sheet": "XLSX",
             "vnd.ms-excel": "XLS", "ld+json": "JSON-LD", "geo+json": "GEOJSON",
             "vnd.oasis.opendocument.spreadsheet": "ODS"}
_CRS84 = re.compile(r"^\s*<http://www\.opengis\.net/def/crs/OGC/1\.3/CRS84>\s*")


@dataclass
class _Page:
    """A page read: its cursor entry, and its records unless it was unchanged."""

    entry: dict[str, Any]
    # Each record with its short hash.
    records: list[tuple[RemoteDataset | ItemError, str]] | None
    # The size of the whole catalogue, when the page's paging node gives it.
    total: int | None = None


def gather(gathering: Gathering, fetcher: Fetcher) -> Iterator[RemoteDataset | ItemError]:
    previous: dict[str, dict[str, Any]] = json.loads(gathering.cursor or "{}")
    known = _known_hashes(previous)
    limit = int(gathering.config.get("max_pages") or MAX_PAGES)
    contexts: dict[str, Any] = {}
    pages: dict[str, dict[str, Any]] = {}
    present: set[str] = set()
    complete, changed, url = True, False, gathering.url
    while url:
        if (stop := _paging_stop(url, pages, limit)) is not None:
            yield stop
            complete = False
            break
        try:
            page = _read_page(fetcher, url, previous.get(url), contexts)
        except FetchError as error:
            if not pages:
                raise
            yield ItemError(None, error.stage, error.message, http=error.http())
            complete = False
            break
        if not pages and gathering.cursor is None:
            # Only a full gather yields the whole catalogue.
            gathering.total = page.total
        pages[url] = page.entry
        if page.records is not None:
            changed = True
            yield from _changed(page, known, present)
        present.update(page.entry["ids"])
        url = page.entry["next"]
    gathering.new_cursor = json.dumps(pages, ensure_ascii=False)
    gathering.present = present if complete else None
    gathering.unchanged = complete and not changed


def _known_hashes(pages: dict[str, dict[str, Any]]) -> dict[str, str]:
    """Each remote id of the previous run with its dataset's short hash."""
    return {remote_id: short for entry in pages.values()
            for remote_id, short in zip(entry["ids"], entry.get("hashes", []), strict=False)}


def _changed(page: _Page, known: dict[str, str],
             listed: set[str]) -> Iterator[RemoteDataset | ItemError]:
    """The page's records that differ from the previous run's, each id once per gather."""
    for record, short in page.records:
        remote_id = record.remote_id
        if remote_id is not None:
            if remote_id in listed or (short and known.get(remote_id) == short):
                continue
            listed.add(remote_id)
        yield record


def _paging_stop(url: str, pages: dict[str, Any], limit: int) -> ItemError | None:
    if url in pages:
        return ItemError(None, "gather", (
            f"Hydra paging loops: the next page is {url}, read already. Gather stopped "
            f"after {len(pages)} pages; no deletion is inferred."),
            http={"url": url, "status": None, "content_type": None})
    if len(pages) >= limit:
        return ItemError(None, "gather", (
            f"More than {limit} pages: gather stopped before {url}; no deletion is "
            "inferred."), http={"url": url, "status": None, "content_type": None})
    return None


# --- pages --------------------------------------------------------------------------------

def _read_page(fetcher: Fetcher, url: str, old: dict[str, Any] | None,
               contexts: dict[str, Any]) -> _Page:
    old = old or {}
    response = fetcher.get(url, headers={"Accept": ACCEPT}, etag=old.get("etag"),
                           last_modified=old.get("last_modified"))
    if response.not_modified and old:
        return _Page(old, None)
    digest = hashlib.sha256(response.content).hexdigest()
    validators = {"sha256": digest, "etag": response.headers.get("etag"),
                  "last_modified": response.headers.get("last-modified")}
    if old.get("sha256") == digest:
        return _Page({**old, **validators}, None)
    graph = _parse(response, url, lambda context: _context(fetcher, context, contexts))
    records = [(record, _short_hash(record))
               for record in (_record(graph, node) for node in _dataset_nodes(graph))]
    keyed = [(record.remote_id, short) for record, short in records if record.remote_id]
    entry = {**validators, "next": _next_page(graph, url),
             "ids": [remote_id for remote_id, _ in keyed], "hashes": [s for _, s in keyed]}
    return _Page(entry, records, _total(graph))


def _short_hash(record: RemoteDataset | ItemError) -> str:
    return record.content_hash()[:16] if isinstance(record, RemoteDataset) else ""


def _dataset_nodes(graph: Graph) -> list[Node]:
    return sorted(set(graph.subjects(RDF.type, DCAT.Dataset)), key=str)


def _parse(response: Response, url: str, load_context: Callable[[str], Any]) -> Graph:
    """The page's graph, read with the parser its media type names, else its URL's
    extension, else the first of turtle, RDF/XML and JSON-LD that reads it."""
    content_type = response.headers.get("content-type") or ""
    media_type = content_type.split(";")[0].strip().lower()
    if media_type in ("text/html", "application/xhtml+xml") or _HTML.match(response.content):
        raise FetchError("parse", url, (
            f"expected a DCAT catalogue (Turtle, RDF/XML or JSON-LD), got an HTML page "
            f"from {url}"), status=response.status, content_type=content_type)
    base = response.url or url
    failures = []
    for fmt in _formats(media_type, base):
        try:
            return _parse_as(response.content, fmt, base, load_context)
        except FetchError:
            raise
        except Exception as error:  # rdflib's parsers raise many kinds of errors
            failures.append(f"{fmt}: {_first_line(error)}")
    raise FetchError("parse", url, (
        f"unreadable DCAT catalogue from {url} ({content_type or 'no Content-Type'}, "
        f"{len(response.content)} bytes): " + "; ".join(failures)),
        status=response.status, content_type=content_type)


def _formats(media_type: str, url: str) -> tuple[str, ...]:
    if fmt := _PARSERS_BY_TYPE.get(media_type):
        return (fmt,)
    extension = urlsplit(url).path.rsplit("/", 1)[-1].rpartition(".")[2].lower()
    if fmt := _PARSERS_BY_EXTENSION.get(extension):
        return (fmt,)
    return _GUESSES


def _first_line(error: Exception) -> str:
    text = str(error).strip() or type(error).__name__
    return text.splitlines()[0][:300]


def _parse_as(content: bytes, fmt: str, base: str, load_context: Callable[[str], Any]) -> Graph:
    graph = Graph()
    if fmt != "json-ld":
        return graph.parse(data=content, format=fmt, publicID=base)
    document = json.loads(content)
    if isinstance(document, list):
        document = {"@graph": document}
    _inline_contexts(document, base, load_context)
    return graph.parse(data=document, format="json-ld", publicID=base)


def _inline_contexts(value: Any, base: str, load_context: Callable[[str], Any],
                     depth: int = 0) -> None:
    """Replace every remote ``@context`` by its content, fetched through the Fetcher: left
    to itself rdflib would fetch them with urllib, past the SSRF guard."""
    if isinstance(value, list):
        for item in value:
            _inline_contexts(item, base, load_context, depth)
    elif isinstance(value, dict):
        if "@context" in value:
            value["@context"] = _resolved(value["@context"], base, load_context, depth)
        for key, item in value.items():
            if key != "@context":
                _inline_contexts(item, base, load_context, depth)


def _resolved(context: Any, base: str, load_context: Callable[[str], Any], depth: int) -> Any:
    if isinstance(context, list):
        return [_resolved(item, base, load_context, depth) for item in context]
    if not isinstance(context, str):
        return context
    if depth >= 3:
        raise ValueError(f"JSON-LD contexts nested too deep ({context})")
    url = urljoin(base, context)
    document = load_context(url)
    inner = document.get("@context", {}) if isinstance(document, dict) else {}
    return _resolved(inner, url, load_context, depth + 1)


def _context(fetcher: Fetcher, url: str, cache: dict[str, Any]) -> Any:
    """A remote JSON-LD context, fetched once per gather."""
    if url not in cache:
        cache[url] = fetcher.get(url, headers={"Accept": "application/ld+json"}).json()
    return cache[url]


def _next_page(graph: Graph, url: str) -> str | None:
    """The next page named by the paging node: ``hydra:next`` (PartialCollectionView) or the
    older ``hydra:nextPage`` (PagedCollection, often a plain literal, as ckanext-dcat
    writes), resolved against the page URL."""
    views = [*graph.subjects(RDF.type, HYDRA.PartialCollectionView),
             *graph.subjects(RDF.type, HYDRA.PagedCollection)]
    candidates = [node for node in views if str(node) == url] + views + [None]
    for node in candidates:
        for prop in (HYDRA.next, HYDRA.nextPage):
            for value in sorted(graph.objects(node, prop), key=str):
                if isinstance(value, URIRef | Literal) and str(value).strip():
                    return urljoin(url, str(value).strip())
    return None


def _total(graph: Graph) -> int | None:
    for value in graph.objects(None, HYDRA.totalItems):
        try:
            return int(str(value))
        except ValueError:
            continue
    return None


# --- datasets -----------------------------------------------------------------------------

def _record(graph: Graph, node: Node) -> RemoteDataset | ItemError:
    identifier = _literal(graph, node, DCTERMS.identifier)
    iri = str(node) if isinstance(node, URIRef) else None
    remote_id = identifier or iri
    remote_url = _first_iri(graph, node, DCAT.landingPage) or _web(iri)
    if not remote_id:
        return ItemError(None, "map", "a dataset with neither IRI nor dct:identifier")
    try:
        return _dataset(graph, node, remote_id, _web(iri) or identifier, remote_url)
    except Exception as error:  # one odd dataset must not stop the page
        return ItemError(remote_id, "map", f"dataset {remote_id} could not be read: "
                         f"{_first_line(error)}", remote_url=remote_url)


def _dataset(graph: Graph, node: Node, remote_id: str, identifier: str | None,
             remote_url: str | None) -> RemoteDataset | ItemError:
    title = _text(graph, node, DCTERMS.title)
    if not title:
        return ItemError(remote_id, "map", f"dataset {remote_id} has no title (dct:title)",
                         remote_url=remote_url)
    distributions = sorted(graph.objects(node, DCAT.distribution), key=str)
    start, end = _temporal(graph, node)
    contact_name, contact_email = _contact(graph, node)
    schema_name, schema_version = _schema(graph, node)
    return RemoteDataset(
        remote_id=remote_id, title=title, remote_url=remote_url,
        identifier=identifier,
        description=_text(graph, node, DCTERMS.description) or "",
        licence=_licence(graph, node, distributions),
        keywords=_keywords(graph, node),
        themes=mapping.theme_codes(_labels(graph, graph.objects(node, DCAT.theme))),
        frequency=_frequency(graph, node),
        temporal_start=start, temporal_end=end,
        insee_codes=_insee_codes(graph, node),
        geometry=_geometry(graph, node),
        schema_name=schema_name, schema_version=schema_version,
        contact_name=contact_name, contact_email=contact_email,
        modified=mapping.parse_datetime(_literal(graph, node, DCTERMS.modified)),
        created=mapping.parse_datetime(_literal(graph, node, DCTERMS.issued)),
        resources=[r for d in distributions if (r := _resource(graph, d)) is not None])


def _literals(graph: Graph, node: Node, prop: URIRef) -> list[Literal]:
    return sorted((o for o in graph.objects(node, prop) if isinstance(o, Literal)), key=str)


def _literal(graph: Graph, node: Node, prop: URIRef) -> str | None:
    """The first non-empty literal value, whatever its language."""
    return next((text for o in _literals(graph, node, prop) if (text := str(o).strip())), None)


def _text(graph: Graph, node: Node, prop: URIRef) -> str | None:
    """The French literal, else the untagged one, else any."""
    values = [o for o in _literals(graph, node, prop) if str(o).strip()]
    for wanted in (lambda lang: lang.startswith("fr"), lambda lang: not lang, lambda _: True):
        for value in values:
            if wanted((value.language or "").lower()):
                return str(value).strip()
    return None


def _first_iri(graph: Graph, node: Node, prop: URIRef) -> str | None:
    return next((_web(str(o)) for o in sorted(graph.objects(node, prop), key=str)
                 if _web(str(o))), None)


def _web(url: str | None) -> str | None:
    return url if url and urlsplit(url).scheme in ("http", "https") else None


def _labels(graph: Graph, values: Iterable[Node]) -> list[str]:
    """Each value as text: a literal's text, an IRI and its labels, a blank node's labels."""
    texts: list[str] = []
    for value in values:
        if not isinstance(value, BNode):
            texts.append(str(value))
        for prop in (SKOS.prefLabel, RDFS.label, DCTERMS.title, RDF.value):
            texts.extend(str(label) for label in _literals(graph, value, prop))
    return [text.strip() for text in texts if text.strip()]


def _licence(graph: Graph, node: Node, distributions: list[Node]) -> str | None:
    for holder in (node, *distributions):
        for value in sorted(graph.objects(holder, DCTERMS.license), key=str):
            if licence := mapping.licence_id(" ".join(_labels(graph, [value]))):
                return licence
    return None


def _keywords(graph: Graph, node: Node) -> list[str]:
    """French and untagged keywords, or all of them when there are none of those."""
    values = _literals(graph, node, DCAT.keyword)
    chosen = [v for v in values if (v.language or "fr").lower().startswith("fr")] or values
    return list(dict.fromkeys(text for v in chosen if (text := str(v).strip())))


def _frequency(graph: Graph, node: Node) -> str | None:
    for text in _labels(graph, graph.objects(node, DCTERMS.accrualPeriodicity)):
        if code := mapping.frequency_code(text):
            return code
    return None


def _temporal(graph: Graph, node: Node) -> tuple[date | None, date | None]:
    for period in sorted(graph.objects(node, DCTERMS.temporal), key=str):
        start = _literal(graph, period, DCAT.startDate) or _literal(graph, period,
                                                                    SCHEMA.startDate)
        end = _literal(graph, period, DCAT.endDate) or _literal(graph, period, SCHEMA.endDate)
        if start or end:
            return mapping.parse_date(start), mapping.parse_date(end)
    return None, None


def _insee_codes(graph: Graph, node: Node) -> list[str]:
    codes = []
    for place in sorted(graph.objects(node, DCTERMS.spatial), key=str):
        if match := _INSEE_IRI.match(str(place)):
            codes.append(next(code for code in match.groups() if code))
    return list(dict.fromkeys(codes))


def _geometry(graph: Graph, node: Node) -> dict[str, Any] | None:
    """The first geometry of a place that is not an INSEE area (whose own box says nothing
    of the dataset): locn:geometry before dcat:bbox, GeoJSON or WKT in CRS84."""
    places = [p for p in sorted(graph.objects(node, DCTERMS.spatial), key=str)
              if not isinstance(p, Literal) and "//id.insee.fr/" not in str(p)]
    for prop in (LOCN.geometry, DCAT.bbox):
        for place in places:
            for value in _literals(graph, place, prop):
                if (geometry := _geojson(value)) is not None:
                    return geometry
    return None


def _geojson(value: Literal) -> dict[str, Any] | None:
    text = str(value).strip()
    if value.datatype == GSP.geoJSONLiteral or text.startswith("{"):
        try:
            geometry = json.loads(text)
        except ValueError:
            return None
        if isinstance(geometry, dict) and geometry.get("type") == "Feature":
            geometry = geometry.get("geometry")
        return geometry if isinstance(geometry, dict) and "type" in geometry else None
    if text.startswith("<") and not _CRS84.match(text):
        return None
    try:
        shape = shapely.wkt.loads(_CRS84.sub("", text))
    except Exception:  # shapely raises its own GEOSException on bad text
        return None
    return json.loads(json.dumps(shapely.geometry.mapping(shape)))


def _contact(graph: Graph, node: Node) -> tuple[str | None, str | None]:
    for contact in sorted(graph.objects(node, DCAT.contactPoint), key=str):
        name = (_text(graph, contact, VCARD.fn)
                or _text(graph, contact, VCARD["organization-name"]))
        emails = sorted(graph.objects(contact, VCARD.hasEmail), key=str)
        email = str(emails[0]).strip().removeprefix("mailto:") if emails else None
        if name or email:
            return name, email or None
    return None, None


def _schema(graph: Graph, node: Node) -> tuple[str | None, str | None]:
    """A Table Schema published on schema.data.gouv.fr: its name and version, as in
    ``https://schema.data.gouv.fr/scdl/subventions/2.1.1/``."""
    for standard in sorted(graph.objects(node, DCTERMS.conformsTo), key=str):
        text = str(standard)
        if not text.startswith(_SCHEMA_SITE):
            continue
        parts = [p for p in urlsplit(text).path.split("/") if p]
        if parts and parts[0] == "schemas":
            parts = parts[1:]
        if parts and "." in parts[-1] and not _VERSION.fullmatch(parts[-1]):
            parts = parts[:-1]
        version = parts.pop() if len(parts) > 1 and _VERSION.fullmatch(parts[-1]) else None
        if parts:
            return "/".join(parts), version
    return None, None


# --- distributions ------------------------------------------------------------------------

def _resource(graph: Graph, node: Node) -> RemoteResource | None:
    download = _first_iri(graph, node, DCAT.downloadURL)
    url = download or _first_iri(graph, node, DCAT.accessURL)
    if url is None:
        return None
    media_type = _media_type(graph, node)
    fmt = _format(graph, node, media_type)
    return RemoteResource(
        url=url, remote_id=str(node) if isinstance(node, URIRef) else None,
        title=(_text(graph, node, DCTERMS.title) or fmt
               or urlsplit(url).path.rstrip("/").rsplit("/", 1)[-1] or url),
        description=_text(graph, node, DCTERMS.description) or "",
        format=fmt, media_type=media_type, size=_byte_size(graph, node),
        sha256=_sha256(graph, node),
        type=_resource_type(graph, node, download is not None, fmt, media_type),
        last_modified=mapping.parse_datetime(_literal(graph, node, DCTERMS.modified)))


def _resource_type(graph: Graph, node: Node, download: bool, fmt: str | None,
                   media_type: str | None) -> str:
    """``main`` for a file, ``api`` for a data service, ``other`` for a web page. With only
    an accessURL it is a file unless said otherwise: CKAN's DCAT export (ckanext-dcat)
    gives every resource's URL as accessURL."""
    if download:
        return "main"
    if any(graph.objects(node, DCAT.accessService)) or fmt in _SERVICES:
        return "api"
    return "other" if fmt == "HTML" or media_type == "text/html" else "main"


def _media_type(graph: Graph, node: Node) -> str | None:
    for text in _labels(graph, graph.objects(node, DCAT.mediaType)):
        text = text.lower()
        for prefix in (IANA, IANA.replace("https:", "http:")):
            text = text.removeprefix(prefix)
        if _MEDIA_TYPE.fullmatch(text):
            return text
    return None


def _format(graph: Graph, node: Node, media_type: str | None) -> str | None:
    """An upper-case short format: the code of an EU file-type IRI, a label, else the
    subtype of the media type (``text/csv`` → CSV)."""
    for text in _labels(graph, graph.objects(node, DCTERMS.format)):
        if text.startswith(EU + "file-type/"):
            code = text.rsplit("/", 1)[-1].upper()
            return _FILE_TYPES.get(code, code)
        if _MEDIA_TYPE.fullmatch(text.lower()):
            media_type = media_type or text.lower()
            continue
        if not text.startswith(("http://", "https://")):
            return text.upper()
    if media_type is None:
        return None
    subtype = media_type.split("/", 1)[1]
    return _SUBTYPES.get(subtype) or subtype.split("+")[-1].upper()


def _byte_size(graph: Graph, node: Node) -> int | None:
    text = _literal(graph, node, DCAT.byteSize)
    try:
        return int(float(text)) if text else None
    except ValueError:
        return None


def _sha256(graph: Graph, node: Node) -> str | None:
    for checksum in graph.objects(node, SPDX.checksum):
        algorithm = str(graph.value(checksum, SPDX.algorithm) or "").lower()
        value = (_literal(graph, checksum, SPDX.checksumValue) or "").lower()
        if algorithm.endswith("sha256") and _SHA256.fullmatch(value):
            return value
    return None

