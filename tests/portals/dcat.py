"""A DCAT-AP portal: a synthetic catalogue of ``count`` datasets drawn from ``seed``, served
in Turtle, RDF/XML or JSON-LD, paged with Hydra, with ETags and 304s.

Pages are written on request with string templates from plain records (one model, three
writers) and kept until the catalogue changes: a page of 100 datasets costs 15 to 30 ms,
where building and serialising it with rdflib costs 10 to 30 times more.

Paging comes in the two forms harvesters meet: ``view`` (a ``hydra:PartialCollectionView``
with ``hydra:next`` IRIs) and ``paged`` (ckanext-dcat's ``hydra:PagedCollection`` with
``hydra:nextPage`` literals). With ``loop`` page 3's next page is page 2.
"""

from __future__ import annotations

import hashlib
import json
import random
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from xml.sax.saxutils import escape, quoteattr

from portals import Portal, Reply, Request

PREFIXES = {
    "dcat": "http://www.w3.org/ns/dcat#",
    "dct": "http://purl.org/dc/terms/", "gsp": "http://www.opengis.net/ont/geosparql#",
    "hydra": "http://www.w3.org/ns/hydra/core#", "locn": "http://www.w3.org/ns/locn#",
    "rdf": "http://www.w3.org/1999/02/22-rdf-syntax-ns#",
    "spdx": "http://spdx.org/rdf/terms#", "vcard": "http://www.w3.org/2006/vcard/ns#",
    "xsd": "http://www.w3.org/2001/XMLSchema#",
}
CONTENT_TYPES = {"turtle": "text/turtle; charset=utf-8", "xml": "application/rdf+xml",
                 "json-ld": "application/ld+json"}
BASE = "https://data.example.org"
EU = "http://publications.europa.eu/resource/authority/"
IANA = "https://www.iana.org/assignments/media-types/"
LICENCES = ["https://www.etalab.gouv.fr/licence-ouverte-open-licence/",
            "https://opendatacommons.org/licenses/odbl/1-0/",
            "https://creativecommons.org/licenses/by/4.0/"]
THEMES = ["TRAN", "ENVI", "ECON", "REGI", "SOCI", "GOVE"]
FREQUENCIES = ["ANNUAL", "MONTHLY", "DAILY", "IRREG"]
# Lorraine communes: INSEE code, name, a point inside.
COMMUNES = [("54395", "Nancy", 6.18, 48.69), ("57463", "Metz", 6.18, 49.12),
            ("88160", "Épinal", 6.45, 48.17), ("55029", "Bar-le-Duc", 5.16, 48.77)]
WORDS = ["vélos", "stationnement", "budget", "arbres", "déchets", "écoles", "bus", "eau"]
START = datetime(2024, 1, 1, tzinfo=UTC)


@dataclass
class Iri:
    value: str


@dataclass
class Lit:
    value: str
    lang: str | None = None
    datatype: str | None = None


Node = tuple[str, list[tuple[str, Iri | Lit]]]


@dataclass
class FakeDataset:
    """One dataset of the portal; ``n`` drives every derived value."""

    n: int
    title: str
    keywords: list[str]
    modified: datetime
    # Without dct:identifier, the IRI is the remote id (every seventh dataset).
    with_identifier: bool = True

    @property
    def key(self) -> str:
        return f"jeu-{self.n:05d}"

    @property
    def iri(self) -> str:
        return f"{BASE}/datasets/{self.key}"

    @property
    def remote_id(self) -> str:
        return self.key if self.with_identifier else self.iri


class DcatPortal(Portal):
    """``syntax``: turtle, xml or json-ld; ``paging``: view or paged; ``path`` serves the
    pages (``?page=N``, the first without it); ``content_type`` overrides the syntax's."""

    def __init__(self, count: int = 50, seed: int = 0, page_size: int = 20,
                 syntax: str = "turtle", paging: str = "view", loop: bool = False,
                 path: str = "/catalog", content_type: str | None = None) -> None:
        super().__init__()
        self.random = random.Random(seed)
        self.page_size, self.syntax, self.paging, self.loop = page_size, syntax, paging, loop
        self.path = path
        self.content_type = content_type or CONTENT_TYPES[syntax]
        self.datasets: dict[str, FakeDataset] = {}
        # Rendered pages by (base URL, page number), dropped whenever a dataset changes.
        self._bodies: dict[tuple[str, int], bytes] = {}
        self._next_n = 1
        self.add(count)

    # --- changing the catalogue -----------------------------------------------------------

    def add(self, count: int = 1) -> list[FakeDataset]:
        added = []
        for _ in range(count):
            n = self._next_n
            self._next_n += 1
            dataset = FakeDataset(
                n, f"Jeu de données {n} : {self.random.choice(WORDS)}",
                self.random.sample(WORDS, 2), START + timedelta(hours=n),
                with_identifier=n % 7 != 0)
            self.datasets[dataset.key] = dataset
            added.append(dataset)
        self._bodies.clear()
        return added

    def modify(self, key: str, title: str | None = None) -> FakeDataset:
        dataset = self.datasets[key]
        dataset.title = title or dataset.title + " (mis à jour)"
        dataset.modified += timedelta(days=1)
        self._bodies.clear()
        return dataset

    def delete(self, key: str) -> None:
        del self.datasets[key]
        self._bodies.clear()

    def remote_ids(self) -> set[str]:
        return {dataset.remote_id for dataset in self.datasets.values()}

    # --- serving --------------------------------------------------------------------------

    @property
    def pages(self) -> int:
        return max(1, -(-len(self.datasets) // self.page_size))

    def handle(self, request: Request) -> Reply:
        if request.path != self.path:
            return Reply(404, b"not found", "text/plain")
        page = int(request.query.get("page") or 1)
        if not 1 <= page <= self.pages:
            return Reply(404, b"no such page", "text/plain")
        base = f"http://{request.headers['host']}"
        body = self._bodies.get((base, page)) or self._bodies.setdefault(
            (base, page), self.render(base, page))
        etag = '"' + hashlib.sha256(body).hexdigest()[:32] + '"'
        if request.headers.get("if-none-match") == etag:
            return Reply(304, b"", self.content_type, {"ETag": etag})
        return Reply(200, body, self.content_type, {"ETag": etag})

    def page_url(self, base: str, page: int) -> str:
        return f"{base}{self.path}?page={page}"

    def render(self, base: str, page: int) -> bytes:
        """One page of the catalogue in the portal's syntax."""
        start = (page - 1) * self.page_size
        chosen = list(self.datasets.values())[start:start + self.page_size]
        nodes = [self._catalog(chosen), *self._paging(base, page)]
        for dataset in chosen:
            nodes.extend(dataset_nodes(dataset))
        return WRITERS[self.syntax](nodes)

    def _catalog(self, chosen: list[FakeDataset]) -> Node:
        properties: list[tuple[str, Iri | Lit]] = [
            ("rdf:type", Iri(PREFIXES["dcat"] + "Catalog")),
            ("dct:title", Lit("Catalogue de test", "fr"))]
        properties += [("dcat:dataset", Iri(dataset.iri)) for dataset in chosen]
        return f"{BASE}/catalog", properties

    def _paging(self, base: str, page: int) -> list[Node]:
        url = self.page_url(base, page)
        following = 2 if self.loop and page == 3 else page + 1
        has_next = following <= self.pages
        if self.paging == "view":
            properties = [("rdf:type", Iri(PREFIXES["hydra"] + "PartialCollectionView")),
                          ("hydra:first", Iri(self.page_url(base, 1))),
                          ("hydra:last", Iri(self.page_url(base, self.pages)))]
            if has_next:
                properties.append(("hydra:next", Iri(self.page_url(base, following))))
            return [(f"{BASE}/catalog", [("hydra:view", Iri(url))]), (url, properties)]
        properties = [("rdf:type", Iri(PREFIXES["hydra"] + "PagedCollection")),
                      ("hydra:totalItems", Lit(str(len(self.datasets)),
                                               datatype=PREFIXES["xsd"] + "integer")),
                      ("hydra:itemsPerPage", Lit(str(self.page_size),
                                                 datatype=PREFIXES["xsd"] + "integer")),
                      ("hydra:firstPage", Lit(self.page_url(base, 1))),
                      ("hydra:lastPage", Lit(self.page_url(base, self.pages)))]
        if has_next:
            properties.append(("hydra:nextPage", Lit(self.page_url(base, following))))
        return [(url, properties)]


def dataset_nodes(d: FakeDataset) -> list[Node]:
    """The dataset and the nodes it points to: places, period, contact, distributions."""
    code, name, lon, lat = COMMUNES[d.n % len(COMMUNES)]
    xsd = PREFIXES["xsd"]
    own = f"{d.iri}#spatial"
    point = (Lit(json.dumps({"type": "Point", "coordinates": [lon, lat]}),
                 datatype=PREFIXES["gsp"] + "geoJSONLiteral") if d.n % 2 == 0
             else Lit(f"POINT({lon} {lat})", datatype=PREFIXES["gsp"] + "wktLiteral"))
    properties: list[tuple[str, Iri | Lit]] = [
        ("rdf:type", Iri(PREFIXES["dcat"] + "Dataset")),
        ("dct:title", Lit(d.title, "fr")), ("dct:title", Lit(f"Dataset {d.n}", "en")),
        ("dct:description", Lit(f"Description du jeu {d.n}.\nSur deux lignes « {name} ».",
                                "fr")),
        ("dcat:landingPage", Iri(f"{BASE}/pages/{d.key}")),
        ("dcat:theme", Iri(f"{EU}data-theme/{THEMES[d.n % len(THEMES)]}")),
        ("dct:accrualPeriodicity", Iri(f"{EU}frequency/{FREQUENCIES[d.n % 4]}")),
        ("dct:spatial", Iri(f"http://id.insee.fr/geo/commune/{code}")),
        ("dct:spatial", Iri(own)),
        ("dct:temporal", Iri("_:t" + d.key.replace("-", ""))),
        ("dct:issued", Lit(START.date().isoformat(), datatype=xsd + "date")),
        ("dct:modified", Lit(d.modified.isoformat(), datatype=xsd + "dateTime")),
        ("dcat:contactPoint", Iri(f"{d.iri}#contact")),
        ("dcat:distribution", Iri(f"{d.iri}/csv")),
    ]
    properties += [("dcat:keyword", Lit(keyword, "fr")) for keyword in d.keywords]
    if d.with_identifier:
        properties.append(("dct:identifier", Lit(d.key)))
    licence = Iri(LICENCES[d.n % 3])
    if d.n % 2 == 0:
        properties.append(("dct:license", licence))
    if d.n % 5 == 0:
        properties.append(("dct:conformsTo",
                           Iri("https://schema.data.gouv.fr/scdl/subventions/2.1.1/")))
    checksum = f"{d.iri}/csv#checksum"
    digest = hashlib.sha256(d.key.encode()).hexdigest()
    return [
        (d.iri, properties),
        (own, [("rdf:type", Iri(PREFIXES["dct"] + "Location")), ("locn:geometry", point)]),
        ("_:t" + d.key.replace("-", ""), [
            ("rdf:type", Iri(PREFIXES["dct"] + "PeriodOfTime")),
            ("dcat:startDate", Lit("2023-01-01", datatype=xsd + "date")),
            ("dcat:endDate", Lit("2023-12-31", datatype=xsd + "date"))]),
        (f"{d.iri}#contact", [("rdf:type", Iri(PREFIXES["vcard"] + "Kind")),
                              ("vcard:fn", Lit(f"Service données de {name}")),
                              ("vcard:hasEmail", Iri("mailto:donnees@example.org"))]),
        (f"{d.iri}/csv", [
            ("rdf:type", Iri(PREFIXES["dcat"] + "Distribution")),
            ("dct:title", Lit(f"Fichier {d.n}", "fr")),
            ("dcat:downloadURL", Iri(f"{BASE}/files/{d.key}.csv")),
            ("dcat:accessURL", Iri(f"{BASE}/pages/{d.key}")),
            ("dct:format", Iri(f"{EU}file-type/CSV")),
            ("dcat:mediaType", Iri(f"{IANA}text/csv")),
            ("dcat:byteSize", Lit(f"{1000 + d.n}.0", datatype=xsd + "decimal")),
            ("spdx:checksum", Iri(checksum)),
            *([("dct:license", licence)] if d.n % 2 else [])]),
        (checksum, [("spdx:algorithm", Iri(PREFIXES["spdx"] + "checksumAlgorithm_sha256")),
                    ("spdx:checksumValue", Lit(digest, datatype=xsd + "hexBinary"))]),
    ]


# --- writers ------------------------------------------------------------------------------

def _turtle_term(term: Iri | Lit) -> str:
    if isinstance(term, Iri):
        return term.value if term.value.startswith("_:") else f"<{term.value}>"
    text = (term.value.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n")
            .replace("\r", "\\r"))
    if term.lang:
        return f'"{text}"@{term.lang}'
    return f'"{text}"^^<{term.datatype}>' if term.datatype else f'"{text}"'


def write_turtle(nodes: list[Node]) -> bytes:
    lines = [f"@prefix {prefix}: <{iri}> ." for prefix, iri in PREFIXES.items()]
    for subject, properties in nodes:
        name = subject if subject.startswith("_:") else f"<{subject}>"
        body = " ;\n    ".join(f"{p} {_turtle_term(o)}" for p, o in properties)
        lines.append(f"\n{name}\n    {body} .")
    return "\n".join(lines).encode() + b"\n"


def _xml_property(prop: str, term: Iri | Lit) -> str:
    if isinstance(term, Iri):
        if term.value.startswith("_:"):
            return f"<{prop} rdf:nodeID={quoteattr(term.value[2:])}/>"
        return f"<{prop} rdf:resource={quoteattr(term.value)}/>"
    attributes = (f" xml:lang={quoteattr(term.lang)}" if term.lang else
                  f" rdf:datatype={quoteattr(term.datatype)}" if term.datatype else "")
    return f"<{prop}{attributes}>{escape(term.value)}</{prop}>"


def write_rdfxml(nodes: list[Node]) -> bytes:
    namespaces = "".join(f"\n   xmlns:{p}={quoteattr(iri)}" for p, iri in PREFIXES.items())
    parts = [f'<?xml version="1.0" encoding="utf-8"?>\n<rdf:RDF{namespaces}>']
    for subject, properties in nodes:
        about = (f"rdf:nodeID={quoteattr(subject[2:])}" if subject.startswith("_:")
                 else f"rdf:about={quoteattr(subject)}")
        inner = "\n    ".join(_xml_property(p, o) for p, o in properties)
        parts.append(f"  <rdf:Description {about}>\n    {inner}\n  </rdf:Description>")
    parts.append("</rdf:RDF>\n")
    return "\n".join(parts).encode()


def _jsonld_term(term: Iri | Lit) -> dict[str, str]:
    if isinstance(term, Iri):
        return {"@id": term.value}
    if term.lang:
        return {"@value": term.value, "@language": term.lang}
    if term.datatype:
        return {"@value": term.value, "@type": term.datatype}
    return {"@value": term.value}


def write_jsonld(nodes: list[Node]) -> bytes:
    graph = []
    for subject, properties in nodes:
        item: dict[str, object] = {"@id": subject}
        for prop, term in properties:
            item.setdefault(prop, []).append(_jsonld_term(term))
        graph.append(item)
    return json.dumps({"@context": PREFIXES, "@graph": graph}, ensure_ascii=False).encode()


WRITERS = {"turtle": write_turtle, "xml": write_rdfxml, "json-ld": write_jsonld}
