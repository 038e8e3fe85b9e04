"""DCAT-AP 3.0.0 export of the catalogue, built and serialised in bounded chunks.

A catalogue page is read CHUNK datasets at a time; each chunk becomes an rdflib Graph that is
serialised and dropped before the next one is read, so memory does not grow with the page,
let alone with the catalogue. Every node is an IRI (no blank nodes), so the serialisations of
the chunks join into one document: Turtle by concatenation, JSON-LD as the items of one
``@graph``, RDF/XML as the content of one ``rdf:RDF`` element.

Concepts come from the EU Publications Office authority tables, places from the INSEE COG
(``http://id.insee.fr/geo/…``), media types from IANA.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from urllib.parse import quote, urlencode, urlsplit

import sqlalchemy as sa
from rdflib import Graph, Literal, Namespace, URIRef
from rdflib.namespace import DCAT, DCTERMS, FOAF, RDF, SKOS, XSD
from rdflib.plugins.serializers.jsonld import from_rdf
from sqlmodel import Session, select

from catalogue import resources, search
from catalogue.auth import ANONYMOUS, Actor
from catalogue.errors import Invalid
from catalogue.models import Committee, Dataset, Licence, Organization, Resource, Territory
from catalogue.vocabularies import FREQUENCIES, THEMES, AccessType, DatasetState, ResourceType

CHUNK = 100
MAX_ITEMS_PER_PAGE = search.MAX_LIMIT
SITE_NAME = "Catalogue du Comité territorial de la donnée"

DCT = DCTERMS
GSP = Namespace("http://www.opengis.net/ont/geosparql#")
HYDRA = Namespace("http://www.w3.org/ns/hydra/core#")
LOCN = Namespace("http://www.w3.org/ns/locn#")
SPDX = Namespace("http://spdx.org/rdf/terms#")
VCARD = Namespace("http://www.w3.org/2006/vcard/ns#")
PREFIXES = {"dcat": DCAT, "dct": DCT, "foaf": FOAF, "gsp": GSP, "hydra": HYDRA, "locn": LOCN,
            "rdf": RDF, "skos": SKOS, "spdx": SPDX, "vcard": VCARD, "xsd": XSD}
# Prefixes of the IRIs ctd mints, under its base URL (Turtle only: RDF/XML declares the
# namespaces of properties alone, and JSON-LD has its fixed context).
LOCAL_PREFIXES = {"dataset": "/datasets/", "distribution": "/api/v1/resources/",
                  "organization": "/organizations/"}
JSONLD_CONTEXT = {prefix: str(namespace) for prefix, namespace in PREFIXES.items()}

EU = "http://publications.europa.eu/resource/authority/"
INSEE = "http://id.insee.fr/geo/"
IANA = "https://www.iana.org/assignments/media-types/"
# The algorithm IRI the DCAT-AP vocabulary shape asks for (https, unlike the spdx: terms).
SHA256 = URIRef("https://spdx.org/rdf/terms#checksumAlgorithm_sha256")


@dataclass(frozen=True)
class Scheme:
    """An EU authority table: its concepts also take the class ``range`` (what DCAT-AP expects
    of the property using them) and carry the French ``labels``."""

    name: str
    title: str
    range: URIRef | None
    labels: dict[str, str]

    @property
    def iri(self) -> URIRef:
        return URIRef(EU + self.name)

    def concept(self, code: str) -> URIRef:
        return URIRef(f"{EU}{self.name}/{code}")


FILE_TYPES = {
    "CSV": "CSV", "TSV": "TSV", "JSON": "JSON", "JSON_LD": "JSON-LD", "GEOJSON": "GeoJSON",
    "XML": "XML", "RDF_XML": "RDF/XML", "RDF_TURTLE": "RDF Turtle", "XLSX": "Excel XLSX",
    "XLS": "Excel XLS", "ODS": "Tableur OpenDocument", "PDF": "PDF", "ZIP": "ZIP",
    "GZIP": "GNU zip", "SHP": "Shapefile", "KML": "KML", "KMZ": "KMZ", "GML": "GML",
    "GPKG": "GeoPackage", "GPX": "GPX", "PARQUET": "Parquet", "GTFS": "GTFS", "HTML": "HTML",
    "TXT": "Texte", "DOC": "Word DOC", "DOCX": "Word DOCX", "ODT": "Texte OpenDocument",
    "PNG": "PNG", "JPEG": "JPEG", "WMS_SRVC": "WMS", "WFS_SRVC": "WFS",
}
# ctd format labels (catalogue.files) whose EU file type has another code.
FILE_TYPE_ALIASES = {"TURTLE": "RDF_TURTLE", "TTL": "RDF_TURTLE", "JSON-LD": "JSON_LD",
                     "JSONLD": "JSON_LD", "RDF": "RDF_XML", "JPG": "JPEG", "GZ": "GZIP",
                     "WMS": "WMS_SRVC", "WFS": "WFS_SRVC"}
ACCESS_RIGHTS = {AccessType.open: "PUBLIC", AccessType.restricted: "RESTRICTED",
                 AccessType.protected: "NON_PUBLIC"}

THEME = Scheme("data-theme", "Thèmes de données", None, THEMES)
FREQUENCY = Scheme("frequency", "Fréquences de mise à jour", DCT.Frequency, FREQUENCIES)
ACCESS_RIGHT = Scheme("access-right", "Droits d'accès", DCT.RightsStatement,
                      {"PUBLIC": "Public", "RESTRICTED": "Restreint", "NON_PUBLIC": "Non public"})
FILE_TYPE = Scheme("file-type", "Types de fichier", DCT.MediaTypeOrExtent, FILE_TYPES)
LANGUAGE = Scheme("language", "Langues", DCT.LinguisticSystem, {"FRA": "français"})
# Zone levels (catalogue.territories) and their path in the INSEE COG IRIs.
INSEE_LEVELS = {"commune": "commune", "epci": "intercommunalite",
                "departement": "departement", "region": "region"}

# Characters kept as they are in an IRI; any other is percent-encoded.
_IRI_SAFE = "!#$%&'()*+,-./:;=?@[]_~"
# Characters XML 1.0 cannot carry at all: an RDF/XML document with one would not parse.
_NOT_XML = re.compile("[^\t\n\r\x20-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")
_MEDIA_TYPE = re.compile(r"[a-z0-9][a-z0-9!#$&^_.+-]*/[a-z0-9][a-z0-9!#$&^_.+-]*")
_SHA256 = re.compile(r"[0-9a-f]{64}")
_XMLNS = re.compile(r'xmlns(?::(\w+))?="([^"]*)"')


# --- terms --------------------------------------------------------------------------------

def safe_iri(text: str) -> str:
    """``text`` with the characters an IRI may not hold percent-encoded."""
    return quote(text, safe=_IRI_SAFE)


def _web_iri(url: str | None) -> URIRef | None:
    """An absolute http(s) or ftp IRI, or None for anything else (a relative or odd URL)."""
    if not url:
        return None
    try:
        parts = urlsplit(url.strip())
    except ValueError:
        return None
    if parts.scheme.lower() not in ("http", "https", "ftp") or not parts.netloc:
        return None
    return URIRef(safe_iri(url.strip()))


def _text(value: str, lang: str | None = "fr") -> Literal:
    """A literal every serialisation carries intact (XML cannot hold control characters)."""
    return Literal(_NOT_XML.sub("", value), lang=lang)


def _decimal(value: int) -> Literal:
    """The canonical xsd:decimal form (with its point), which Turtle writes without a
    datatype yet reads back unchanged; "12" would come back as "12.0"."""
    return Literal(f"{value}.0", datatype=XSD.decimal)


def _wkt_box(minx: float, miny: float, maxx: float, maxy: float) -> Literal:
    ring = f"{minx} {miny}, {maxx} {miny}, {maxx} {maxy}, {minx} {maxy}, {minx} {miny}"
    return Literal(f"POLYGON(({ring}))", datatype=GSP.wktLiteral)


def new_graph(base: str | None = None) -> Graph:
    """An empty graph with our prefixes, and those of the IRIs built on ``base``: in Turtle
    they shorten every mention of a dataset, distribution or organisation, and save rdflib
    the costly failed look-up of a prefix for each (a third of the serialisation time)."""
    # SimpleMemory: no named graphs to keep track of, so adding a triple costs less.
    graph = Graph(store="SimpleMemory", bind_namespaces="none")
    for prefix, namespace in PREFIXES.items():
        graph.bind(prefix, namespace)
    if base is not None:
        for prefix, path in LOCAL_PREFIXES.items():
            graph.bind(prefix, Namespace(base + path))
    return graph


def _scheme(graph: Graph, scheme: Scheme) -> URIRef:
    graph.add((scheme.iri, RDF.type, SKOS.ConceptScheme))
    graph.add((scheme.iri, DCT.title, _text(scheme.title)))
    return scheme.iri


def _described(graph: Graph, node: URIRef, kind: URIRef) -> bool:
    """Whether ``node`` is described already: what many datasets share is described once
    per graph (a look-up costs less than adding its triples again)."""
    return (node, RDF.type, kind) in graph


def _concept(graph: Graph, scheme: Scheme, code: str) -> URIRef:
    iri = scheme.concept(code)
    if _described(graph, iri, SKOS.Concept):
        return iri
    graph.add((iri, RDF.type, SKOS.Concept))
    if scheme.range is not None:
        graph.add((iri, RDF.type, scheme.range))
    graph.add((iri, SKOS.prefLabel, _text(scheme.labels[code])))
    graph.add((iri, SKOS.inScheme, _scheme(graph, scheme)))
    return iri


def _file_type(fmt: str | None) -> str | None:
    """The EU file-type code of a ctd format label, None when the EU table has none."""
    if not fmt:
        return None
    code = FILE_TYPE_ALIASES.get(fmt.upper(), fmt.upper())
    return code if code in FILE_TYPES else None


# --- datasets -----------------------------------------------------------------------------

@dataclass
class _Refs:
    """What the datasets of a chunk refer to, loaded in a few queries for the whole chunk."""

    base: str
    actor: Actor
    publishers: dict[int, sa.Row]
    licence_urls: dict[str, str | None]
    resources: dict[int, list[Resource]]
    territories: dict[str, sa.Row]

    @classmethod
    def load(cls, session: Session, datasets: list[Dataset], base: str, actor: Actor) -> _Refs:
        publishers = session.exec(
            select(Organization.id, Organization.slug, Organization.name, Organization.siren)
            .where(Organization.id.in_({d.publisher_id for d in datasets}))).all()
        files: dict[int, list[Resource]] = {}
        for resource in session.exec(select(Resource).where(
                Resource.dataset_id.in_([d.id for d in datasets])).order_by(Resource.id)):
            files.setdefault(resource.dataset_id, []).append(resource)
        zones = {zone for d in datasets for zone in d.spatial_zones}
        areas = session.exec(
            select(Territory.id, Territory.name, Territory.minx, Territory.miny,
                   Territory.maxx, Territory.maxy).where(Territory.id.in_(zones))).all()
        return cls(base, actor, {p.id: p for p in publishers},
                   dict(session.exec(select(Licence.id, Licence.url)).all()), files,
                   {a.id: a for a in areas})


def datasets_graph(session: Session, datasets: list[Dataset], base: str, actor: Actor,
                   catalog: URIRef | None = None) -> Graph:
    """The datasets with all they refer to, listed in ``catalog`` when given. What a remote
    link reveals follows ``resources.to_out`` for ``actor``."""
    graph = new_graph(base)
    if not datasets:
        return graph
    refs = _Refs.load(session, datasets, base, actor)
    for dataset in datasets:
        node = _dataset(graph, dataset, refs)
        if catalog is not None:
            graph.add((catalog, DCAT.dataset, node))
    return graph


def _dataset(graph: Graph, d: Dataset, refs: _Refs) -> URIRef:
    node = URIRef(f"{refs.base}/datasets/{d.slug}")
    graph.add((node, RDF.type, DCAT.Dataset))
    graph.add((node, DCT.identifier, Literal(str(node))))
    graph.add((node, DCT.title, _text(d.title)))
    # The description is mandatory in DCAT-AP.
    graph.add((node, DCT.description, _text(d.description.strip() or d.title)))
    for keyword in d.keywords:
        graph.add((node, DCAT.keyword, _text(keyword)))
    graph.add((node, DCT.issued, Literal(d.created)))
    graph.add((node, DCT.modified, Literal(d.modified)))
    graph.add((node, DCT.publisher, _organization(graph, refs.publishers[d.publisher_id],
                                                  refs.base)))
    for theme in d.themes:
        if theme in THEME.labels:
            graph.add((node, DCAT.theme, _concept(graph, THEME, theme)))
    if d.frequency in FREQUENCY.labels:
        graph.add((node, DCT.accrualPeriodicity, _concept(graph, FREQUENCY, d.frequency)))
    graph.add((node, DCT.accessRights,
               _concept(graph, ACCESS_RIGHT, ACCESS_RIGHTS[AccessType(d.access_type)])))
    _spatial(graph, node, d, refs)
    _temporal(graph, node, d)
    _contact(graph, node, d)
    _table_schema(graph, node, d)
    for resource in refs.resources.get(d.id, []):
        graph.add((node, DCAT.distribution, _distribution(graph, resource, d, refs)))
    return node


def _organization(graph: Graph, org: sa.Row, base: str) -> URIRef:
    node = URIRef(f"{base}/organizations/{org.slug}")
    if _described(graph, node, FOAF.Agent):
        return node
    graph.add((node, RDF.type, FOAF.Agent))
    graph.add((node, FOAF.name, _text(org.name, lang=None)))
    if org.siren:
        graph.add((node, DCT.identifier, Literal(org.siren)))
    return node


def _zone_iri(zone: str) -> URIRef | None:
    """The INSEE COG IRI of a zone (``fr:epci:245400676`` → …/intercommunalite/245400676);
    None for areas outside the COG (level ``other``)."""
    parts = zone.split(":")
    path = INSEE_LEVELS.get(parts[1]) if len(parts) == 3 else None
    return URIRef(f"{INSEE}{path}/{safe_iri(parts[2])}") if path else None


def _spatial(graph: Graph, node: URIRef, d: Dataset, refs: _Refs) -> None:
    """One Location per known area (an INSEE IRI), and the dataset's own geometry."""
    for zone in d.spatial_zones:
        place = _zone_iri(zone)
        if place is None:
            continue
        graph.add((node, DCT.spatial, place))
        if _described(graph, place, DCT.Location):
            continue
        graph.add((place, RDF.type, DCT.Location))
        if (area := refs.territories.get(zone)) is not None:
            graph.add((place, SKOS.prefLabel, _text(area.name)))
            graph.add((place, DCAT.bbox, _wkt_box(area.minx, area.miny, area.maxx, area.maxy)))
    if d.spatial_geometry:
        place = URIRef(f"{node}#spatial")
        graph.add((node, DCT.spatial, place))
        graph.add((place, RDF.type, DCT.Location))
        graph.add((place, LOCN.geometry, Literal(d.spatial_geometry,
                                                 datatype=GSP.geoJSONLiteral)))
        if d.minx is not None:
            graph.add((place, DCAT.bbox, _wkt_box(d.minx, d.miny, d.maxx, d.maxy)))


def _temporal(graph: Graph, node: URIRef, d: Dataset) -> None:
    if d.temporal_start is None and d.temporal_end is None:
        return
    period = URIRef(f"{node}#temporal")
    graph.add((node, DCT.temporal, period))
    graph.add((period, RDF.type, DCT.PeriodOfTime))
    if d.temporal_start is not None:
        graph.add((period, DCAT.startDate, Literal(d.temporal_start)))
    if d.temporal_end is not None:
        graph.add((period, DCAT.endDate, Literal(d.temporal_end)))


def _contact(graph: Graph, node: URIRef, d: Dataset) -> None:
    if not d.contact_name and not d.contact_email:
        return
    contact = URIRef(f"{node}#contact")
    graph.add((node, DCAT.contactPoint, contact))
    graph.add((contact, RDF.type, VCARD.Kind))
    graph.add((contact, VCARD.fn, _text(d.contact_name or d.contact_email, lang=None)))
    if d.contact_email:
        graph.add((contact, VCARD.hasEmail, URIRef("mailto:" + safe_iri(d.contact_email))))


def _table_schema(graph: Graph, node: URIRef, d: Dataset) -> None:
    """The Table Schema on schema.data.gouv.fr the data follows."""
    if not d.schema_name:
        return
    path = f"{d.schema_name}/{d.schema_version}/" if d.schema_version else f"{d.schema_name}/"
    standard = URIRef("https://schema.data.gouv.fr/" + safe_iri(path))
    graph.add((node, DCT.conformsTo, standard))
    graph.add((standard, RDF.type, DCT.Standard))
    title = f"{d.schema_name} {d.schema_version}" if d.schema_version else d.schema_name
    graph.add((standard, DCT.title, _text(title, lang=None)))


def _distribution(graph: Graph, r: Resource, d: Dataset, refs: _Refs) -> URIRef:
    node = URIRef(f"{refs.base}/api/v1/resources/{r.id}")
    graph.add((node, RDF.type, DCAT.Distribution))
    graph.add((node, DCT.title, _text(r.title)))
    if r.description.strip():
        graph.add((node, DCT.description, _text(r.description)))
    # The same rule as the JSON API: files, and links of non-open datasets, are reached
    # through ctd's download endpoint; only open datasets show where a link points.
    url = resources.to_out(r, d, refs.actor).url
    if url == resources.DOWNLOAD_PATH.format(id=r.id):
        url = refs.base + url
    target = _web_iri(url)
    # accessURL is mandatory: an unusable link falls back on the resource's own record.
    graph.add((node, DCAT.accessURL, target or node))
    if target is not None and r.type != ResourceType.api:
        graph.add((node, DCAT.downloadURL, target))
    if code := _file_type(r.format):
        graph.add((node, DCT.format, _concept(graph, FILE_TYPE, code)))
    media_type = (r.media_type or "").split(";")[0].strip().lower()
    if _MEDIA_TYPE.fullmatch(media_type):
        iana = URIRef(IANA + media_type)
        graph.add((node, DCAT.mediaType, iana))
        graph.add((iana, RDF.type, DCT.MediaType))
    if r.size is not None:
        graph.add((node, DCAT.byteSize, _decimal(r.size)))
    if r.sha256 and _SHA256.fullmatch(r.sha256):
        checksum = URIRef(f"{node}#checksum")
        graph.add((node, SPDX.checksum, checksum))
        graph.add((checksum, RDF.type, SPDX.Checksum))
        graph.add((checksum, SPDX.algorithm, SHA256))
        graph.add((SHA256, RDF.type, SPDX.ChecksumAlgorithm))
        graph.add((checksum, SPDX.checksumValue, Literal(r.sha256, datatype=XSD.hexBinary)))
    if (licence := _web_iri(refs.licence_urls.get(d.licence_id))) is not None:
        graph.add((node, DCT.license, licence))
        graph.add((licence, RDF.type, DCT.LicenseDocument))
    graph.add((node, DCT.modified, Literal(r.last_modified)))
    return node


# --- the catalogue ------------------------------------------------------------------------

def parse_since(text: str) -> datetime:
    """An ISO 8601 date or date-time; without a time zone, UTC."""
    try:
        moment = datetime.fromisoformat(text.strip())
        if moment.tzinfo is None:
            moment = moment.replace(tzinfo=UTC)
        return moment.astimezone(UTC)
    except (ValueError, OverflowError):
        raise Invalid(f"modified_since attend une date ou une date et heure ISO 8601 "
                      f"(2024-05-31, 2024-05-31T08:00:00Z) ; reçu « {text} ».",
                      field="modified_since") from None


@dataclass(frozen=True)
class CatalogPage:
    """One page of the published catalogue, as asked for."""

    base: str
    page: int = 1
    items_per_page: int = 100
    modified_since: datetime | None = None
    # The path asked for (``/catalog.jsonld``…): links to other pages keep its format.
    path: str = "/catalog"

    @property
    def catalog(self) -> URIRef:
        return URIRef(f"{self.base}/catalog")

    def url(self, page: int) -> URIRef:
        """The URL of another page with the same parameters and format."""
        params = {"page": page, "items_per_page": self.items_per_page}
        if self.modified_since is not None:
            params["modified_since"] = self.modified_since.isoformat()
        return URIRef(f"{self.base}{self.path}?{urlencode(params)}")


def _chunks(session: Session, page: CatalogPage) -> Iterator[search.SearchPage]:
    """The page's published datasets by id, CHUNK at a time; the first chunk comes even
    when empty, since it also gives the total."""
    query = search.SearchQuery(sort="id", modified_from=page.modified_since, facets=(),
                               offset=(page.page - 1) * page.items_per_page)
    left = page.items_per_page
    while True:
        found = search.search(session, replace(query, limit=min(CHUNK, left)))
        yield found
        left -= len(found.datasets)
        if left <= 0 or found.next_cursor is None:
            return
        query = replace(query, offset=0, cursor=found.next_cursor)


def _catalog_publisher(graph: Graph, session: Session, page: CatalogPage) -> URIRef:
    """The committee (the first created), or an agent named after the site."""
    committee = session.exec(select(Committee.slug, Committee.name)
                             .order_by(Committee.id).limit(1)).first()
    if committee is None:
        node, name = URIRef(f"{page.catalog}#publisher"), SITE_NAME
    else:
        node, name = URIRef(f"{page.base}/committees/{committee.slug}"), committee.name
    graph.add((node, RDF.type, FOAF.Agent))
    graph.add((node, FOAF.name, _text(name, lang=None)))
    return node


def _hydra(graph: Graph, page: CatalogPage, total: int) -> None:
    """Paging in Hydra, with both the older and the newer terms for the neighbours."""
    node = page.url(page.page)
    last = max(1, -(-total // page.items_per_page))
    graph.add((node, RDF.type, HYDRA.PagedCollection))
    graph.add((node, HYDRA.totalItems, Literal(total)))
    graph.add((node, HYDRA.itemsPerPage, Literal(page.items_per_page)))
    graph.add((node, HYDRA.firstPage, page.url(1)))
    graph.add((node, HYDRA.lastPage, page.url(last)))
    if page.page < last:
        graph.add((node, HYDRA.nextPage, page.url(page.page + 1)))
        graph.add((node, HYDRA.next, page.url(page.page + 1)))
    if page.page > 1:
        graph.add((node, HYDRA.previousPage, page.url(page.page - 1)))
        graph.add((node, HYDRA.previous, page.url(page.page - 1)))


def catalog_graph(session: Session, page: CatalogPage, total: int) -> Graph:
    """The catalogue itself and the paging of ``page``, without its datasets."""
    graph = new_graph(page.base)
    catalog = page.catalog
    graph.add((catalog, RDF.type, DCAT.Catalog))
    graph.add((catalog, DCT.title, _text(SITE_NAME)))
    graph.add((catalog, DCT.description, _text(
        "Jeux de données publiés par les collectivités et organisations membres du Comité "
        "territorial de la donnée, décrits selon le profil DCAT-AP 3.0.0.")))
    graph.add((catalog, DCT.publisher, _catalog_publisher(graph, session, page)))
    graph.add((catalog, DCT.language, _concept(graph, LANGUAGE, "FRA")))
    graph.add((catalog, DCAT.themeTaxonomy, _scheme(graph, THEME)))
    homepage = URIRef(f"{page.base}/")
    graph.add((catalog, FOAF.homepage, homepage))
    graph.add((homepage, RDF.type, FOAF.Document))
    modified = session.exec(select(sa.func.max(Dataset.modified))
                            .where(Dataset.state == DatasetState.published)).one()
    if modified is not None:
        graph.add((catalog, DCT.modified, Literal(modified)))
    _hydra(graph, page, total)
    return graph


def catalog_graphs(session: Session, page: CatalogPage) -> Iterator[Graph]:
    """The catalogue page as a sequence of graphs: the catalogue, then its datasets by
    chunks. Only published datasets appear, as the public sees them."""
    chunks = _chunks(session, page)
    first = next(chunks)
    yield catalog_graph(session, page, first.total)
    yield datasets_graph(session, first.datasets, page.base, ANONYMOUS, page.catalog)
    for found in chunks:
        yield datasets_graph(session, found.datasets, page.base, ANONYMOUS, page.catalog)


# --- serialisation ------------------------------------------------------------------------

def serialise(graphs: Iterable[Graph], fmt: str) -> Iterator[str]:
    """One document in ``fmt`` (turtle, json-ld or xml) made of the graphs, produced piece
    by piece: each graph is serialised when it comes and may then be dropped."""
    if fmt == "turtle":
        # Each piece repeats its @prefix lines, which Turtle allows.
        return (graph.serialize(format="turtle") for graph in graphs)
    if fmt == "json-ld":
        return _jsonld(graphs)
    if fmt == "xml":
        return _rdfxml(graphs)
    raise ValueError(f"unknown RDF format: {fmt}")


def _jsonld(graphs: Iterable[Graph]) -> Iterator[str]:
    yield '{"@context": ' + json.dumps(JSONLD_CONTEXT) + ',\n "@graph": ['
    first = True
    for graph in graphs:
        document = from_rdf(graph, context_data=JSONLD_CONTEXT)
        document.pop("@context", None)
        items = document.get("@graph", [document])
        if items:
            # One piece per graph: a piece per node would cost a thread hop each when
            # streamed over HTTP.
            yield ("\n" if first else ",\n") + ",\n".join(
                json.dumps(item, ensure_ascii=False) for item in items)
            first = False
    yield "\n]}\n"


RDFXML_ROOT = ('<?xml version="1.0" encoding="utf-8"?>\n<rdf:RDF\n'
               + "".join(f'   xmlns:{prefix}="{namespace}"\n'
                         for prefix, namespace in sorted(PREFIXES.items())) + ">\n")


def _rdfxml(graphs: Iterable[Graph]) -> Iterator[str]:
    yield RDFXML_ROOT
    for graph in graphs:
        yield _rdfxml_content(graph)
    yield "</rdf:RDF>\n"


def _rdfxml_content(graph: Graph) -> str:
    """The elements inside ``rdf:RDF`` of the graph in RDF/XML; an error if they need a
    namespace prefix the shared root does not declare."""
    text = graph.serialize(format="xml")
    start = text.index("<rdf:RDF")
    content = text.index(">\n", start) + 2
    declared = {prefix or "": namespace
                for prefix, namespace in _XMLNS.findall(text[start:content])}
    unknown = {prefix: namespace for prefix, namespace in declared.items()
               if str(PREFIXES.get(prefix)) != namespace}
    if unknown:
        raise ValueError(f"RDF/XML needs namespaces the root element does not declare: "
                         f"{unknown}")
    return text[content:text.rindex("</rdf:RDF>")]
