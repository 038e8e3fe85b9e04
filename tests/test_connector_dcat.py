"""The DCAT connector against live fixture portals (three syntaxes, two Hydra paging forms,
loops, garbage) and against ctd's own DCAT-AP export, through a real Fetcher."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime
from urllib.parse import urlencode

import httpx
import pytest
from portals import Portal, Reply, Request, serve
from portals.dcat import BASE, COMMUNES, DcatPortal

from catalogue.fetch import Fetcher, FetchError
from connectors import dcat
from connectors.records import Gathering, ItemError, RemoteDataset

# rdflib's JSON-LD parser still builds a ConjunctiveGraph.
pytestmark = pytest.mark.filterwarnings("ignore:ConjunctiveGraph is deprecated:DeprecationWarning")
SYNTAXES = ("turtle", "xml", "json-ld")


class Mounts(Portal):
    """Portals served by one server, each under its own path prefix: a server takes half a
    second to shut down, so the module starts a single one."""

    def __init__(self) -> None:
        super().__init__()
        self.portals: dict[str, Portal] = {}

    def handle(self, request: Request) -> Reply:
        portal = self.portals.get("/" + request.path.split("/")[1])
        return portal.respond(request) if portal else Reply(404, b"", "text/plain")


class StaticPortal(Portal):
    """Fixed bodies by path and query, each with its content type."""

    def __init__(self, bodies: dict[str, tuple[str, str]]) -> None:
        super().__init__()
        self.bodies = bodies

    def handle(self, request: Request) -> Reply:
        query = urlencode(request.query)
        body, content_type = self.bodies.get(request.path + (f"?{query}" if query else ""),
                                             ("", ""))
        return Reply(200, body.encode(), content_type) if body else Reply(404, b"", "text/plain")


@pytest.fixture(scope="module")
def mounts():
    router = Mounts()
    with serve(router) as url:
        yield router, url


@pytest.fixture
def dcat_portal(mounts):
    """``dcat_portal(**options)`` mounts a new DcatPortal; gives it and its catalogue URL."""
    router, url = mounts

    def mount(**options) -> tuple[DcatPortal, str]:
        prefix = f"/p{len(router.portals)}"
        options["path"] = prefix + options.get("path", "/catalog")
        router.portals[prefix] = portal = DcatPortal(**options)
        return portal, url + options["path"]

    return mount


@pytest.fixture
def fetcher():
    with Fetcher(allowed_hosts={"127.0.0.1"}, backoff=0.01, retries=1, timeout=10) as f:
        yield f


def gather(url: str, fetcher: Fetcher, cursor: str | None = None,
           **config) -> tuple[Gathering, list[RemoteDataset | ItemError]]:
    gathering = Gathering(url, config, cursor=cursor)
    return gathering, list(dcat.gather(gathering, fetcher))


def by_id(records: list) -> dict[str, RemoteDataset]:
    assert all(isinstance(r, RemoteDataset) for r in records), records
    return {r.remote_id: r for r in records}


# --- mapping ------------------------------------------------------------------------------

def test_what_a_dataset_becomes(fetcher, dcat_portal):
    portal, catalog = dcat_portal(count=10, page_size=10)
    _, records = gather(catalog, fetcher)
    datasets = by_id(records)
    tenth = datasets["jeu-00010"]
    assert tenth.title == portal.datasets["jeu-00010"].title
    assert tenth.identifier == f"{BASE}/datasets/jeu-00010"
    assert tenth.remote_url == f"{BASE}/pages/jeu-00010"
    assert tenth.description.startswith("Description du jeu 10.\n")
    assert tenth.licence == "odbl-1.0"
    assert tenth.keywords == portal.datasets["jeu-00010"].keywords
    assert (tenth.themes, tenth.frequency) == (["SOCI"], "DAILY")
    assert (tenth.temporal_start, tenth.temporal_end) == (date(2023, 1, 1), date(2023, 12, 31))
    code, name, lon, lat = COMMUNES[10 % 4]
    assert tenth.insee_codes == [code]
    assert tenth.geometry == {"type": "Point", "coordinates": [lon, lat]}
    assert (tenth.schema_name, tenth.schema_version) == ("scdl/subventions", "2.1.1")
    assert (tenth.contact_name, tenth.contact_email) == (f"Service données de {name}",
                                                         "donnees@example.org")
    assert tenth.modified == datetime(2024, 1, 1, 10, tzinfo=UTC)
    assert tenth.created == datetime(2024, 1, 1, tzinfo=UTC)
    (resource,) = tenth.resources
    assert resource.url == f"{BASE}/files/jeu-00010.csv"
    assert (resource.title, resource.format, resource.media_type) == ("Fichier 10", "CSV",
                                                                      "text/csv")
    assert (resource.size, resource.type) == (1010, "main")
    assert len(resource.sha256) == 64
    # No dct:identifier: the IRI is the id; the licence is on the distribution only; the
    # geometry is WKT.
    seventh = datasets[f"{BASE}/datasets/jeu-00007"]
    assert seventh.licence == "odbl-1.0"
    _, _, lon, lat = COMMUNES[7 % 4]
    assert seventh.geometry == {"type": "Point", "coordinates": [lon, lat]}
    assert seventh.schema_name is None


@pytest.mark.parametrize("paging", ["view", "paged"])
@pytest.mark.parametrize("syntax", SYNTAXES)
def test_every_page_in_every_syntax(fetcher, dcat_portal, syntax, paging):
    portal, catalog = dcat_portal(count=24, page_size=5, syntax=syntax, paging=paging, seed=3)
    gathering, records = gather(catalog, fetcher)
    assert set(by_id(records)) == portal.remote_ids() == gathering.present
    assert len(records) == 24
    pages = json.loads(gathering.new_cursor)
    assert list(pages) == [catalog] + [f"{catalog}?page={n}" for n in range(2, 6)]
    assert [page["next"] for page in pages.values()][-1] is None
    assert sum(len(page["ids"]) for page in pages.values()) == 24
    assert len(portal.requests) == 5 and not gathering.unchanged
    # Only ckanext-dcat's PagedCollection announces the total here.
    assert gathering.total == (24 if paging == "paged" else None)


@pytest.mark.parametrize(("path", "content_type", "syntax"), [
    ("/catalog.rdf", "text/plain", "xml"),
    ("/catalog.jsonld", "application/octet-stream", "json-ld"),
    ("/export", "application/octet-stream", "json-ld"),
    ("/export", "text/plain", "xml"),
])
def test_the_parser_follows_the_extension_else_guesses(fetcher, dcat_portal, path,
                                                       content_type, syntax):
    portal, catalog = dcat_portal(count=12, page_size=5, syntax=syntax, path=path,
                                  content_type=content_type)
    gathering, records = gather(catalog, fetcher)
    assert set(by_id(records)) == portal.remote_ids() == gathering.present


CKAN_PAGE = """<?xml version="1.0" encoding="utf-8"?>
<rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#"
  xmlns:rdfs="http://www.w3.org/2000/01/rdf-schema#" xmlns:dct="http://purl.org/dc/terms/"
  xmlns:dcat="http://www.w3.org/ns/dcat#" xmlns:hydra="http://www.w3.org/ns/hydra/core#"
  xmlns:schema="http://schema.org/" xmlns:locn="http://www.w3.org/ns/locn#"
  xmlns:vcard="http://www.w3.org/2006/vcard/ns#">
  <hydra:PagedCollection rdf:about="{page}">
    <hydra:totalItems rdf:datatype="http://www.w3.org/2001/XMLSchema#integer">2</hydra:totalItems>
    {next}
  </hydra:PagedCollection>
  <dcat:Catalog rdf:about="https://ckan.example.org"><dcat:dataset>
    <dcat:Dataset rdf:about="https://ckan.example.org/dataset/{slug}">
      <dct:identifier>{slug}-uuid</dct:identifier>
      <dct:title>Arbres d'alignement {slug}</dct:title>
      <dcat:keyword>arbres</dcat:keyword>
      <dct:temporal><dct:PeriodOfTime>
        <schema:startDate>2020-01-01</schema:startDate>
      </dct:PeriodOfTime></dct:temporal>
      <dct:spatial><dct:Location><locn:geometry
        rdf:datatype="https://www.iana.org/assignments/media-types/application/vnd.geo+json"
        >{{"type": "Point", "coordinates": [6.2, 48.7]}}</locn:geometry></dct:Location>
      </dct:spatial>
      <dcat:contactPoint><vcard:Organization><vcard:fn>Service SIG</vcard:fn>
        <vcard:hasEmail>mailto:sig@example.org</vcard:hasEmail>
      </vcard:Organization></dcat:contactPoint>
      <dcat:distribution><dcat:Distribution>
        <dct:title>arbres.csv</dct:title>
        <dcat:accessURL rdf:resource="https://ckan.example.org/arbres.csv"/>
        <dct:format><dct:IMT><rdf:value>CSV</rdf:value><rdfs:label>CSV</rdfs:label></dct:IMT>
        </dct:format>
        <dcat:mediaType>text/csv</dcat:mediaType>
        <dct:license rdf:resource="http://opendatacommons.org/licenses/odbl/1-0/"/>
        <dcat:byteSize rdf:datatype="http://www.w3.org/2001/XMLSchema#decimal">1234</dcat:byteSize>
      </dcat:Distribution></dcat:distribution>
    </dcat:Dataset>
  </dcat:dataset></dcat:Catalog>
</rdf:RDF>
"""


def test_a_ckanext_dcat_feed(fetcher, mounts):
    """Blank nodes, literal (relative) next pages, schema.org periods, IMT formats."""
    router, url = mounts
    first, second = f"{url}/ckan/catalog.xml", f"{url}/ckan/catalog.xml?page=2"
    router.portals["/ckan"] = StaticPortal({
        "/ckan/catalog.xml": (CKAN_PAGE.format(
            page=first, slug="a", next="<hydra:nextPage>catalog.xml?page=2</hydra:nextPage>"),
            "application/rdf+xml"),
        "/ckan/catalog.xml?page=2": (CKAN_PAGE.format(page=second, slug="b", next=""),
                                     "application/rdf+xml")})
    gathering, records = gather(first, fetcher)
    dataset, other = records
    assert other.remote_id == "b-uuid"
    assert gathering.present == {"a-uuid", "b-uuid"} and gathering.total == 2
    assert dataset.remote_id == "a-uuid" and dataset.title == "Arbres d'alignement a"
    assert dataset.temporal_start == date(2020, 1, 1) and dataset.temporal_end is None
    assert dataset.geometry == {"type": "Point", "coordinates": [6.2, 48.7]}
    assert (dataset.contact_name, dataset.contact_email) == ("Service SIG", "sig@example.org")
    assert dataset.licence == "odbl-1.0" and dataset.keywords == ["arbres"]
    (resource,) = dataset.resources
    assert (resource.url, resource.format, resource.media_type, resource.size,
            resource.type) == ("https://ckan.example.org/arbres.csv", "CSV", "text/csv", 1234,
                               "main")
    assert resource.remote_id is None


def test_a_remote_jsonld_context_comes_through_the_fetcher(fetcher, mounts):
    router, url = mounts
    context = {"@context": {"dcat": "http://www.w3.org/ns/dcat#",
                            "dct": "http://purl.org/dc/terms/",
                            "title": {"@id": "dct:title", "@language": "fr"}}}
    page = {"@context": "context.jsonld",
            "@graph": [{"@id": "https://example.org/d/1", "@type": "dcat:Dataset",
                        "title": "Parkings"}]}
    router.portals["/ld"] = portal = StaticPortal({
        "/ld/context.jsonld": (json.dumps(context), "application/ld+json"),
        "/ld/catalog.jsonld": (json.dumps(page), "application/ld+json")})
    _, records = gather(f"{url}/ld/catalog.jsonld", fetcher)
    assert [(r.remote_id, r.title) for r in records] == [("https://example.org/d/1",
                                                          "Parkings")]
    assert [r.headers["user-agent"].split("/")[0] for r in portal.requests] == [
        "ctd-harvester", "ctd-harvester"]


# --- incremental runs ---------------------------------------------------------------------

def test_rerun_reads_only_what_changed(fetcher, dcat_portal):
    portal, catalog = dcat_portal(count=24, page_size=5)
    first, _ = gather(catalog, fetcher)
    portal.requests.clear()
    again, records = gather(catalog, fetcher, first.new_cursor)
    assert records == [] and again.unchanged
    assert again.present == portal.remote_ids()
    assert all(r.headers.get("if-none-match") for r in portal.requests)

    portal.modify("jeu-00013", "Nouveau titre")
    changed, records = gather(catalog, fetcher, again.new_cursor)
    assert [(r.remote_id, r.title) for r in records] == [("jeu-00013", "Nouveau titre")]
    assert not changed.unchanged and changed.present == portal.remote_ids()

    # Deleting one shifts every later page, yet only the new dataset is yielded.
    portal.delete("jeu-00005")
    (added,) = portal.add()
    after, records = gather(catalog, fetcher, changed.new_cursor)
    assert [r.remote_id for r in records] == [added.remote_id]
    assert "jeu-00005" not in after.present
    assert after.present == portal.remote_ids()


def test_an_unchanged_page_is_known_by_its_hash_without_etag(fetcher, dcat_portal):
    portal, catalog = dcat_portal(count=15, page_size=5)
    first, _ = gather(catalog, fetcher)
    cursor = {page: {**entry, "etag": None} for page, entry in
              json.loads(first.new_cursor).items()}
    again, records = gather(catalog, fetcher, json.dumps(cursor))
    assert records == [] and again.unchanged and again.present == portal.remote_ids()


# --- guards and garbage -------------------------------------------------------------------

def test_a_paging_loop_stops_the_gather(fetcher, dcat_portal):
    portal, catalog = dcat_portal(count=30, page_size=5, loop=True)
    gathering, records = gather(catalog, fetcher)
    *datasets, error = records
    assert len(by_id(datasets)) == 15
    assert isinstance(error, ItemError) and error.stage == "gather"
    assert "loops" in error.message and f"{catalog}?page=2" in error.message
    assert gathering.present is None and not gathering.unchanged
    assert len(portal.requests) == 3


def test_the_page_cap_stops_the_gather(fetcher, dcat_portal):
    _, catalog = dcat_portal(count=30, page_size=5)
    gathering, records = gather(catalog, fetcher, max_pages=2)
    *datasets, error = records
    assert len(by_id(datasets)) == 10
    assert error.stage == "gather" and "More than 2 pages" in error.message
    assert gathering.present is None


@pytest.mark.parametrize(("fault", "says"), [("html", "HTML page"),
                                             ("truncated", "unreadable DCAT")])
def test_garbage_on_the_first_page_fails_the_source(fetcher, dcat_portal, fault, says):
    portal, catalog = dcat_portal(count=10, page_size=10)
    portal.inject(fault, portal.path)
    with pytest.raises(FetchError) as caught:
        gather(catalog, fetcher)
    assert caught.value.stage == "parse" and says in caught.value.message
    assert caught.value.url == catalog


def test_garbage_on_a_later_page_keeps_what_came_before(fetcher, dcat_portal):
    portal, catalog = dcat_portal(count=15, page_size=5)
    gathering = Gathering(catalog, {})
    records = dcat.gather(gathering, fetcher)
    first = next(records)
    portal.inject("truncated", portal.path)
    *datasets, error = [first, *records]
    assert len(by_id(datasets)) == 5
    assert error.stage == "parse" and error.http["url"] == f"{catalog}?page=2"
    assert gathering.present is None


# --- ctd itself ---------------------------------------------------------------------------

def test_gathering_ctd_gives_every_demo_dataset(fetcher, demo, live_server):
    listed = httpx.get(f"{live_server}/api/v1/datasets", params={"limit": 100}).json()
    titles = {f"{live_server}/datasets/{d['slug']}": d["title"] for d in listed["datasets"]}
    assert len(titles) == listed["total"] >= 30
    gathering, records = gather(f"{live_server}/catalog.ttl?items_per_page=10", fetcher)
    datasets = by_id(records)
    assert {key: d.title for key, d in datasets.items()} == titles
    assert gathering.present == set(titles) and gathering.total == len(titles)
    assert len(json.loads(gathering.new_cursor)) == -(-len(titles) // 10)

    nancy = datasets[f"{live_server}/datasets/subventions-ville-de-nancy"]
    assert (nancy.themes, nancy.frequency) == (["ECON", "GOVE"], "ANNUAL")
    assert "54395" in nancy.insee_codes and nancy.geometry is not None
    assert (nancy.schema_name, nancy.schema_version) == ("scdl/subventions", "2.1.1")
    resource = httpx.get(f"{live_server}/api/v1/datasets/subventions-ville-de-nancy").json()[
        "resources"][0]
    (remote,) = nancy.resources
    assert (remote.sha256, remote.size, remote.format) == (resource["sha256"],
                                                           resource["size"], "CSV")

    again, records = gather(f"{live_server}/catalog.ttl?items_per_page=10", fetcher,
                            gathering.new_cursor)
    assert records == [] and again.unchanged
