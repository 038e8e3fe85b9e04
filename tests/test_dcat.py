"""DCAT-AP 3.0.0 export over HTTP: valid against the official SHACL shapes, the same graph in
every serialisation, paged with Hydra, filtered by date, and no more visible than the JSON API
(drafts, links of restricted datasets)."""

from __future__ import annotations

from datetime import UTC, datetime
from urllib.parse import parse_qs, urlsplit

import httpx
import pyshacl
import pytest
from conftest import SHARED
from rdflib import Graph, Literal, Namespace, URIRef
from rdflib.compare import isomorphic
from rdflib.namespace import DCTERMS, FOAF, RDF, SH
from typer.testing import CliRunner

from catalogue import dcat
from catalogue.cli import app

DCAT_AP = SHARED / "reference" / "dcat-ap"
# A plain Namespace: pytest's collection trips a warning of rdflib's DCAT DefinedNamespace.
DCAT = Namespace("http://www.w3.org/ns/dcat#")
HYDRA = Namespace("http://www.w3.org/ns/hydra/core#")
SPDX = Namespace("http://spdx.org/rdf/terms#")
PARSERS = {"text/turtle": "turtle", "application/ld+json": "json-ld",
           "application/rdf+xml": "xml"}
EXTENSIONS = ("ttl", "jsonld", "rdf")
# rdflib's own JSON-LD parser still builds a ConjunctiveGraph.
pytestmark = pytest.mark.filterwarnings("ignore:ConjunctiveGraph is deprecated:DeprecationWarning")
runner = CliRunner()


def ctd(*args: str) -> str:
    result = runner.invoke(app, list(args))
    assert result.exit_code == 0, result.output
    return result.stdout


def parse(response: httpx.Response) -> Graph:
    """The response's graph, read by rdflib with the parser its media type names."""
    assert response.status_code == 200, response.text
    media_type = response.headers["content-type"].split(";")[0]
    return Graph().parse(data=response.text, format=PARSERS[media_type])


def datasets_of(graph: Graph) -> list[URIRef]:
    return list(graph.objects(None, DCAT.dataset))


def paging(graph: Graph) -> URIRef:
    (node,) = graph.subjects(RDF.type, HYDRA.PagedCollection)
    return node


def problem(response: httpx.Response, status: int) -> dict:
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith("application/problem+json")
    return response.json()


@pytest.fixture(scope="module")
def demo_export(live_server) -> dict[str, httpx.Response]:
    """The demo catalogue, loaded and fetched once for the module (loading is the slow part;
    the data itself is wiped after the first test using this): whole on one page in Turtle,
    and its second page of 7 in every format and negotiated variant."""
    ctd("demo")
    exports = {}
    with httpx.Client(base_url=live_server, timeout=30) as client:
        exports["whole"] = client.get("/catalog.ttl", params={"items_per_page": 1000})
        page = {"page": 2, "items_per_page": 7}
        for extension in EXTENSIONS:
            exports[extension] = client.get(f"/catalog.{extension}", params=page)
        for accept in (*PARSERS, None, "text/html, application/rdf+xml;q=0.8, */*;q=0.1"):
            headers = {"Accept": accept} if accept else {}
            exports[f"Accept: {accept}"] = client.get("/catalog", params=page, headers=headers)
        exports["published"] = client.get("/api/v1/datasets", params={"limit": 100})
    return exports


def shacl_results(data: Graph, *shape_files: str) -> tuple[bool, Graph, str]:
    shapes = Graph()
    for name in shape_files:
        shapes.parse(DCAT_AP / name)
    return pyshacl.validate(data, shacl_graph=shapes)


# --- DCAT-AP conformance ------------------------------------------------------------------

def test_demo_catalogue_conforms_to_dcat_ap(demo_export, live_server):
    data = parse(demo_export["whole"])
    published = demo_export["published"].json()
    assert len(datasets_of(data)) == published["total"] >= 30
    catalog = URIRef(f"{live_server}/catalog")
    assert data.value(catalog, DCTERMS.publisher) == URIRef(
        f"{live_server}/committees/ctd-lorraine")
    assert len(set(data.subjects(RDF.type, DCAT.Distribution))) >= 30
    conforms, _, text = shacl_results(data, "dcat-ap-3.0.0-shapes.ttl",
                                      "dcat-ap-3.0.0-range.ttl")
    assert conforms, text


def test_only_publishers_and_places_are_outside_eu_vocabularies(demo_export):
    """Publishers are not EU corporate bodies and places are INSEE areas, not EU places
    (warnings); every other controlled value comes from its EU table."""
    data = parse(demo_export["whole"])
    # The rules on these properties have values to check.
    for prop in (DCAT.theme, DCTERMS.accrualPeriodicity, DCTERMS.accessRights, DCTERMS.format,
                 DCTERMS.language, DCAT.mediaType, SPDX.algorithm, DCAT.themeTaxonomy):
        assert any(data.triples((None, prop, None))), prop
    _, report, _ = shacl_results(data, "dcat-ap-3.0.0-mdr-vocabularies.shape.ttl")
    failing = set()
    for result in report.objects(None, SH.result):
        focus = report.value(result, SH.focusNode)
        path = report.value(result, SH.resultPath)
        kinds = " ".join(sorted(data.qname(kind) for kind in data.objects(focus, RDF.type)))
        failing.add((kinds, data.qname(path) if path is not None else None))
    assert failing == {("dcat:Catalog", "dct:publisher"), ("dcat:Dataset", "dct:publisher"),
                       ("dcat:Dataset", "dct:spatial")}


def without_paging(graph: Graph) -> Graph:
    """The graph less its Hydra paging, whose links name the format asked for."""
    page = paging(graph)
    for triple in list(graph.triples((page, None, None))):
        graph.remove(triple)
    return graph


def test_every_serialisation_gives_the_same_graph(demo_export):
    turtle = parse(demo_export["ttl"])
    assert len(datasets_of(turtle)) == 7
    for name, response in demo_export.items():
        if name in ("whole", "published", "ttl"):
            continue
        graph = parse(response)
        extension = name if name in EXTENSIONS else None
        assert str(graph.value(paging(graph), HYDRA.next)).split("?")[0].endswith(
            f"/catalog.{extension}" if extension else "/catalog"), name
        assert isomorphic(without_paging(graph), without_paging(parse(demo_export["ttl"]))), \
            name
    media_types = {name: demo_export[name].headers["content-type"] for name in EXTENSIONS}
    assert media_types == {"ttl": "text/turtle; charset=utf-8", "jsonld": "application/ld+json",
                           "rdf": "application/rdf+xml"}
    negotiated = {accept: demo_export[f"Accept: {accept}"] for accept in
                  (*PARSERS, None, "text/html, application/rdf+xml;q=0.8, */*;q=0.1")}
    assert {a: r.headers["content-type"].split(";")[0] for a, r in negotiated.items()} == {
        "text/turtle": "text/turtle", "application/ld+json": "application/ld+json",
        "application/rdf+xml": "application/rdf+xml", None: "text/turtle",
        "text/html, application/rdf+xml;q=0.8, */*;q=0.1": "application/rdf+xml"}
    assert all(r.headers["vary"] == "Accept" for r in negotiated.values())


def test_what_a_dataset_says(client, demo, live_server):
    graph = parse(client.get("/datasets/subventions-ville-de-nancy.ttl"))
    node = URIRef(f"{live_server}/datasets/subventions-ville-de-nancy")
    eu = "http://publications.europa.eu/resource/authority/"
    assert graph.value(node, DCTERMS.title) == Literal(
        "Subventions attribuées aux associations — Ville de Nancy", lang="fr")
    assert graph.value(node, DCTERMS.accrualPeriodicity) == URIRef(eu + "frequency/ANNUAL")
    assert graph.value(node, DCTERMS.accessRights) == URIRef(eu + "access-right/PUBLIC")
    assert set(graph.objects(node, DCAT.theme)) == {URIRef(eu + "data-theme/ECON"),
                                                    URIRef(eu + "data-theme/GOVE")}
    publisher = graph.value(node, DCTERMS.publisher)
    assert publisher == URIRef(f"{live_server}/organizations/ville-de-nancy")
    assert graph.value(publisher, DCTERMS.identifier) == Literal("215403957")
    places = set(graph.objects(node, DCTERMS.spatial))
    assert URIRef("http://id.insee.fr/geo/commune/54395") in places
    assert URIRef(f"{node}#spatial") in places
    period = graph.value(node, DCTERMS.temporal)
    assert str(graph.value(period, DCAT.startDate)) == "2024-01-01"
    schema = graph.value(node, DCTERMS.conformsTo)
    assert str(graph.value(schema, DCTERMS.title)) == "scdl/subventions 2.1.1"
    (distribution,) = graph.objects(node, DCAT.distribution)
    resource = client.get("/api/v1/datasets/subventions-ville-de-nancy").json()["resources"][0]
    download = f"{live_server}/api/v1/resources/{resource['id']}/download"
    assert graph.value(distribution, DCAT.downloadURL) == URIRef(download)
    assert graph.value(distribution, DCTERMS.format) == URIRef(eu + "file-type/CSV")
    assert int(float(graph.value(distribution, DCAT.byteSize))) == resource["size"]
    checksum = graph.value(distribution, SPDX.checksum)
    assert str(graph.value(checksum, SPDX.checksumValue)) == resource["sha256"]


# --- paging and filtering -----------------------------------------------------------------

def test_hydra_paging_gives_every_published_dataset_once(client, demo, live_server):
    ctd("datasets", "create", "--title", "Brouillon de Nancy", "--publisher", "ville-de-nancy",
        "--state", "draft")
    listed = client.get("/api/v1/datasets", params={"limit": 100}).json()
    published = {URIRef(f"{live_server}/datasets/{d['slug']}") for d in listed["datasets"]}
    assert len(published) == listed["total"] >= 30
    seen, visited = [], []
    url = f"{live_server}/catalog.ttl?items_per_page=5"
    while url:
        assert url not in visited and len(visited) < 20
        visited.append(url)
        graph = parse(client.get(url))
        page = paging(graph)
        assert graph.value(page, HYDRA.totalItems).toPython() == len(published)
        assert graph.value(page, HYDRA.next) == graph.value(page, HYDRA.nextPage)
        seen += datasets_of(graph)
        url = str(graph.value(page, HYDRA.next) or "") or None
    assert len(seen) == len(set(seen)) and set(seen) == published
    assert len(visited) == -(-len(published) // 5)
    assert str(graph.value(page, HYDRA.previous)).endswith(f"page={len(visited) - 1}"
                                                           "&items_per_page=5")
    beyond = parse(client.get("/catalog.jsonld", params={"page": 99, "items_per_page": 5}))
    page = paging(beyond)
    assert datasets_of(beyond) == []
    assert beyond.value(page, HYDRA.totalItems).toPython() == len(published)
    assert beyond.value(page, HYDRA.next) is None
    assert beyond.value(page, HYDRA.lastPage) == URIRef(
        visited[-1].replace("/catalog.ttl", "/catalog.jsonld"))


def test_modified_since_filters(client, demo, live_server):
    since = datetime.now(UTC)
    token = ctd("token", "create", "--user", "admin-dcat", "--role", "admin").split()[-1]
    response = client.patch("/api/v1/datasets/budget-ville-de-nancy",
                            json={"description": "Budget primitif 2024, révisé."},
                            headers={"Authorization": f"Bearer {token}"})
    assert response.status_code == 200
    total = client.get("/api/v1/datasets").json()["total"]
    for value, expected in [(since.isoformat(), 1), (since.strftime("%Y-%m-%dT%H:%M:%S.%fZ"), 1),
                            ("2000-01-01", total), ("2000-01-01T10:00:00", total),
                            (datetime.now(UTC).isoformat(), 0)]:
        graph = parse(client.get("/catalog.rdf", params={"modified_since": value,
                                                         "items_per_page": 1}))
        page = paging(graph)
        assert graph.value(page, HYDRA.totalItems).toPython() == expected, value
        first = parse_qs(urlsplit(str(graph.value(page, HYDRA.firstPage))).query)
        assert first["items_per_page"] == ["1"]
        assert datetime.fromisoformat(first["modified_since"][0]) == dcat.parse_since(value)
    graph = parse(client.get("/catalog.ttl", params={"modified_since": since.isoformat()}))
    assert datasets_of(graph) == [URIRef(f"{live_server}/datasets/budget-ville-de-nancy")]


@pytest.mark.parametrize("path", ["/catalog.ttl", "/catalog"])
@pytest.mark.parametrize("params, field", [
    ({"page": 0}, "page"), ({"page": "deux"}, "page"), ({"page": 10**12}, "page"),
    ({"items_per_page": 0}, "items_per_page"), ({"items_per_page": 1001}, "items_per_page"),
    ({"modified_since": "hier"}, "modified_since"),
    ({"modified_since": "2024-13-01"}, "modified_since"),
    ({"modified_since": "9999-12-31T23:59:59-05:00"}, "modified_since"),
    ({"modified_since": "0001-01-01T00:00:00+05:00"}, "modified_since"),
])
def test_bad_parameters_are_problems(client, path, params, field):
    body = problem(client.get(path, params=params), 422)
    assert [e["field"].split(".")[-1] for e in body["errors"]] == [field]
    if field == "modified_since":
        assert "ISO 8601" in body["detail"] and "reçu" in body["detail"]


# --- visibility ---------------------------------------------------------------------------

def test_dataset_exports_follow_visibility(client, world, live_server):
    created = client.post("/api/v1/datasets", headers=world.headers("publisher"), json={
        "title": "Projet de plan vélo", "publisher": "ville-de-nancy"})
    assert created.status_code == 201 and created.json()["state"] == "draft"
    node = URIRef(f"{live_server}/datasets/projet-de-plan-velo")
    for extension in EXTENSIONS:
        path = f"/datasets/projet-de-plan-velo.{extension}"
        for who in ("anonymous", "other_publisher", "vendor"):
            problem(client.get(path, headers=world.headers(who)), 404)
        graph = parse(client.get(path, headers=world.headers("publisher")))
        assert (node, RDF.type, DCAT.Dataset) in graph
        # Without a description, the title stands in (DCAT-AP requires one).
        assert graph.value(node, DCTERMS.description) == Literal("Projet de plan vélo",
                                                                 lang="fr")
        assert "Jeu de données inconnu" in problem(client.get(f"/datasets/inconnu.{extension}"),
                                                   404)["detail"]
    catalogue = parse(client.get("/catalog.ttl"))
    assert (None, None, node) not in catalogue


def test_restricted_links_never_leak(client, world, live_server):
    publisher = world.headers("publisher")
    links = {}
    for title, access_type, url in [
        ("Inscriptions scolaires", "restricted", "https://intranet.nancy.example/eleves.csv"),
        ("Stations vélo", "open", "https://data.nancy.example/stations.csv"),
    ]:
        dataset = client.post("/api/v1/datasets", headers=publisher, json={
            "title": title, "publisher": "ville-de-nancy", "access_type": access_type,
            "state": "published"}).json()
        resource = client.post(f"/api/v1/datasets/{dataset['slug']}/resources",
                               headers=publisher, json={"title": "Fichier", "url": url})
        assert resource.status_code == 201
        links[access_type] = (URIRef(f"{live_server}/api/v1/resources/{resource.json()['id']}"),
                              url)
    distribution, secret = links["restricted"]
    exports = [client.get(f"/catalog.{extension}") for extension in EXTENSIONS] + [
        client.get(f"/datasets/inscriptions-scolaires.{extension}", headers=world.headers(who))
        for extension in EXTENSIONS for who in ("anonymous", "other_publisher", "vendor")]
    for response in exports:
        assert "intranet.nancy.example" not in response.text
        graph = parse(response)
        assert graph.value(distribution, DCAT.downloadURL) == URIRef(f"{distribution}/download")
        assert graph.value(distribution, DCAT.accessURL) == URIRef(f"{distribution}/download")
    open_distribution, open_url = links["open"]
    assert parse(exports[0]).value(open_distribution, DCAT.downloadURL) == URIRef(open_url)
    # Its publisher, who may read the files, sees the link, as in the JSON API.
    own = parse(client.get("/datasets/inscriptions-scolaires.ttl", headers=publisher))
    assert own.value(distribution, DCAT.downloadURL) == URIRef(secret)


# --- odd values and settings --------------------------------------------------------------

def test_odd_values_still_give_documents_every_parser_reads(client, world, live_server):
    publisher = world.headers("publisher")
    client.post("/api/v1/datasets", headers=publisher, json={
        "title": "Données\x0b brutes\x01", "description": "Ligne 1\r\nLigne 2 <b>&amp;</b>",
        "publisher": "ville-de-nancy", "keywords": ["a\"b", "c\\d"], "state": "published",
        "contact_point": {"email": "sig@nancy.example"}})
    local = client.post("/api/v1/datasets/donnees-brutes/resources", headers=publisher,
                        json={"title": "Local", "url": "fichier local.csv"})
    assert local.status_code == 422, local.text
    resource = client.post("/api/v1/datasets/donnees-brutes/resources", headers=publisher,
                           json={"title": "Maison", "url": "https://x.example/maison",
                                 "format": "maison", "media_type": "text/csv; charset=utf-8"})
    odd = client.post("/api/v1/datasets/donnees-brutes/resources", headers=publisher,
                      json={"title": "Accents", "url": "https://x.example/é/<c>.csv"})
    graphs = [parse(client.get(f"/datasets/donnees-brutes.{extension}"))
              for extension in EXTENSIONS]
    assert isomorphic(graphs[0], graphs[1]) and isomorphic(graphs[0], graphs[2])
    graph = graphs[0]
    node = URIRef(f"{live_server}/datasets/donnees-brutes")
    assert str(graph.value(node, DCTERMS.title)) == "Données brutes"
    assert str(graph.value(node, DCTERMS.description)) == "Ligne 1\r\nLigne 2 <b>&amp;</b>"
    home_made = URIRef(f"{live_server}/api/v1/resources/{resource.json()['id']}")
    assert graph.value(home_made, DCAT.downloadURL) == URIRef("https://x.example/maison")
    assert graph.value(home_made, DCTERMS.format) is None
    assert graph.value(home_made, DCAT.mediaType) == URIRef(
        "https://www.iana.org/assignments/media-types/text/csv")
    accented = URIRef(f"{live_server}/api/v1/resources/{odd.json()['id']}")
    assert graph.value(accented, DCAT.downloadURL) == URIRef(
        "https://x.example/%C3%A9/%3Cc%3E.csv")


def test_public_url_setting(client, monkeypatch):
    monkeypatch.setenv("CTD_PUBLIC_URL", "https://donnees.example.fr/")
    graph = parse(client.get("/catalog.jsonld", params={"items_per_page": 10}))
    catalog = URIRef("https://donnees.example.fr/catalog")
    assert (catalog, RDF.type, DCAT.Catalog) in graph
    # Without a committee, the catalogue is published in the site's name.
    publisher = graph.value(catalog, DCTERMS.publisher)
    assert str(graph.value(publisher, FOAF.name)) == "Catalogue du Comité territorial de la donnée"
    assert paging(graph) == URIRef(
        "https://donnees.example.fr/catalog.jsonld?page=1&items_per_page=10")


def test_rdfxml_refuses_a_namespace_the_root_does_not_declare():
    graph = dcat.new_graph()
    graph.add((URIRef("http://example.org/a"), URIRef("http://example.org/terms#b"),
               Literal("c")))
    with pytest.raises(ValueError, match="namespaces the root element does not declare"):
        "".join(dcat.serialise([graph], "xml"))
