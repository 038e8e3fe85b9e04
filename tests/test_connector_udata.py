"""The udata connector against a live fixture portal speaking data.gouv.fr's API v1: field
mapping, paging, incremental gathers and what they tell about deletions, and failures."""

from __future__ import annotations

from datetime import date, datetime

import pytest
from portals import serve
from portals.udata import UdataPortal

from catalogue.fetch import Fetcher, FetchError
from catalogue.vocabularies import ResourceType
from connectors import udata
from connectors.records import Gathering, ItemError, RemoteDataset

LISTING = "/api/1/datasets/"


@pytest.fixture
def fetcher():
    with Fetcher(allowed_hosts={"127.0.0.1"}, backoff=0.01, retries=2) as client:
        yield client


def run(url: str, fetcher: Fetcher, cursor: str | None = None,
        organization: str = "ville-de-nancy"):
    gathering = Gathering(url, {"organization": organization}, cursor=cursor)
    items = list(udata.gather(gathering, fetcher))
    records = {i.remote_id: i for i in items if isinstance(i, RemoteDataset)}
    return records, [i for i in items if isinstance(i, ItemError)], gathering


def moment(text: str) -> datetime:
    return datetime.fromisoformat(text)


def test_maps_every_field(fetcher):
    portal = UdataPortal(count=14)
    with serve(portal) as url:
        records, errors, _ = run(url, fetcher)
        raw = {i: portal.dataset(i, url) for i in range(14)}
    assert not errors and len(records) == 14
    first, source = records[raw[0]["id"]], raw[0]
    assert first.title == "Stationnements vélos – Nancy (2018)"
    assert first.remote_url == f"{url}/datasets/{source['slug']}/" == source["page"]
    assert first.identifier == f"{url}/api/1/datasets/{source['id']}/"
    assert first.original_domain is None
    assert first.name == source["slug"]
    assert first.description.startswith("Données **stationnements vélos** publiées par")
    assert first.licence == "fr-lo-2.0"
    assert first.keywords == ["velo", "stationnement", "mobilite", "nancy"]
    assert first.themes == []
    assert first.frequency == "MONTHLY"
    assert (first.temporal_start, first.temporal_end) == (date(2018, 1, 1), date(2018, 12, 31))
    assert first.insee_codes == ["54395", "54", "44"]  # country:fr left out
    assert first.geometry == source["spatial"]["geom"]
    assert first.geometry["type"] == "MultiPolygon"
    assert first.granularity == "point"
    assert (first.schema_name, first.schema_version) == (
        "etalab/schema-stationnement-cyclable", "0.3.2")
    assert (first.contact_name, first.contact_email) == (
        "Service données et numérique", "opendata@ville-de-nancy.fr")
    assert first.modified == moment(source["last_modified"])
    assert first.created == moment(source["created_at"])
    [resource] = first.resources
    main = source["resources"][0]
    assert (resource.url, resource.title, resource.remote_id) == (
        main["url"], "Fichier principal (CSV)", main["id"])
    assert resource.description == "Séparateur point-virgule, encodage UTF-8."
    assert (resource.format, resource.media_type, resource.size) == (
        "CSV", "text/csv", main["filesize"])
    assert resource.sha256 == main["checksum"]["value"] and main["checksum"]["type"] == "sha256"
    assert resource.type == "main"
    assert resource.last_modified == moment(main["last_modified"])

    harvested = records[raw[3]["id"]]
    assert harvested.identifier == "https://data.grandnancy.eu/dataset/grand-nancy-3"
    assert harvested.original_domain == "data.grandnancy.eu"
    assert harvested.granularity == "epci"
    assert (harvested.contact_name, harvested.contact_email) == (None, None)
    assert [r.type for r in harvested.resources] == [
        "main", "documentation", "api", "update" if "update" in ResourceType.__members__
        else "other"]
    assert [r.format for r in harvested.resources] == ["CSV", "PDF", "JSON", "CSV"]
    assert [r.sha256 is None for r in harvested.resources] == [False, True, True, True]
    assert harvested.resources[2].size is None

    def field(name: str) -> list:
        return [getattr(records[raw[i]["id"]], name) for i in range(14)]

    assert field("licence")[:7] == ["fr-lo-2.0", "fr-lo-2.0", "odbl-1.0", "cc-by-4.0",
                                    "cc0-1.0", "notspecified", "other"]
    assert field("frequency")[:12] == ["MONTHLY", "ANNUAL", "MONTHLY", "DAILY", "WEEKLY",
                                       "IRREG", "NEVER", "ANNUAL", "QUARTERLY", "NEVER",
                                       "UNKNOWN", "MONTHLY"]
    assert field("granularity")[:12] == ["point", "commune", "commune", "epci", "iris", None,
                                         "point", None, "departement", "region", "point", None]
    assert field("temporal_start")[4] is None  # no temporal coverage
    assert (field("insee_codes")[5], field("geometry")[5]) == ([], None)  # no spatial coverage


def test_zones_and_granularity_as_full_objects():
    """With X-Get-Datasets-Full-Objects udata gives objects; older zones carry a validity."""
    record = udata.to_record({
        "id": "5d0c9a3e8b4c4127a1e3c0b1", "title": "Adresses",
        "spatial": {"zones": [{"id": "fr:commune:2A004", "name": "Ajaccio"},
                              "fr:departement:2A@latest", "fr:epci:200067940"],
                    "granularity": {"id": "fr:iris", "name": "Iris"}},
    })
    assert record.insee_codes == ["2A004", "2A"]
    assert record.granularity == "iris"


def test_pages_through_next_page_within_the_organization(fetcher):
    portal = UdataPortal(count=230, others=20)
    with serve(portal) as url:
        records, errors, gathering = run(url, fetcher)
        newest = max(moment(portal.dataset(i, url)["last_modified"]) for i in range(250)
                     if portal.owner(i) == "ville-de-nancy")
    assert not errors
    assert set(records) == set(portal.ids()) == gathering.present
    assert len(records) == gathering.total == 230
    assert gathering.new_cursor == newest.isoformat()
    paths = [(r.path, r.query.get("page")) for r in portal.requests]
    assert paths == [("/api/1/organizations/ville-de-nancy/", None), (LISTING, "1"),
                     (LISTING, "2"), (LISTING, "3")]
    listing = portal.requests[1].query
    assert listing == {"organization": portal.org_id("ville-de-nancy"), "sort": "created",
                       "page_size": "100", "page": "1"}

    portal.requests.clear()
    with serve(portal) as url:
        by_id, _, _ = run(url, fetcher, organization=portal.org_id("ville-de-nancy"))
    assert set(by_id) == set(records)
    assert all(r.path == LISTING for r in portal.requests)  # no slug to resolve


def test_incremental_gather_reads_only_what_changed(fetcher):
    portal = UdataPortal(count=150)
    with serve(portal) as url:
        _, _, first = run(url, fetcher)
        ids = portal.ids()
        portal.modify(ids[10], title="Stationnements vélos sécurisés")
        portal.delete(ids[20])
        portal.archive(ids[21])
        portal.make_private(ids[22])
        [added] = portal.add()
        portal.requests.clear()
        records, errors, second = run(url, fetcher, cursor=first.new_cursor)
        requests = list(portal.requests)
        newest = moment(portal.dataset(portal.index_of(added), url)["last_modified"])

        third_records, _, third = run(url, fetcher, cursor=second.new_cursor)

    assert not errors
    assert set(records) == {ids[10], added}
    assert records[ids[10]].title == "Stationnements vélos sécurisés"
    assert second.present == set(ids) - {ids[20], ids[21], ids[22]} | {added}
    assert second.new_cursor == newest.isoformat() and second.total == 2
    listing = [r for r in requests if r.path == LISTING]
    assert len(listing) == 2
    assert all(r.headers["x-fields"] == udata.LIGHT_MASK for r in listing)
    assert sorted(r.path for r in requests if r.path.startswith(LISTING) and r.path != LISTING
                  ) == sorted(f"/api/1/datasets/{i}/" for i in (ids[10], added))
    assert third_records == {} and third.present == second.present
    assert third.new_cursor == second.new_cursor


def test_many_changes_are_read_from_a_full_listing(fetcher):
    portal = UdataPortal(count=150)
    with serve(portal) as url:
        _, _, first = run(url, fetcher, organization=portal.org_id("ville-de-nancy"))
        ids = portal.ids()
        for remote_id in ids[:5]:
            portal.modify(remote_id, frequency="weekly")
        portal.requests.clear()
        records, errors, second = run(url, fetcher, first.new_cursor,
                                      portal.org_id("ville-de-nancy"))
    assert not errors
    assert set(records) == set(ids[:5])
    assert all(r.frequency == "WEEKLY" for r in records.values())
    assert second.present == set(ids)
    # Two light pages, then the two full pages: fewer requests than five single reads.
    assert [(r.path, "x-fields" in r.headers) for r in portal.requests] == [
        (LISTING, True), (LISTING, True), (LISTING, False), (LISTING, False)]


def test_deleted_private_and_archived_datasets_are_left_out(fetcher):
    portal = UdataPortal(count=10, lists_hidden=True)
    ids = portal.ids()
    portal.delete(ids[1])
    portal.archive(ids[2])
    portal.make_private(ids[3])
    hidden = {ids[1], ids[2], ids[3]}
    with serve(portal) as url:
        records, errors, full = run(url, fetcher)
        portal.modify(ids[2], title="Archivé puis modifié")
        changed, _, incremental = run(url, fetcher, cursor=full.new_cursor)
    assert not errors
    assert set(records) == full.present == set(ids) - hidden
    assert changed == {} and incremental.present == full.present


def test_a_malformed_dataset_is_an_item_error(fetcher):
    portal = UdataPortal(count=10)
    ids = portal.ids()
    portal.corrupt(ids[4])
    with serve(portal) as url:
        records, errors, gathering = run(url, fetcher)
        page = portal.dataset(4, url)["page"]
    assert set(records) == set(ids) - {ids[4]}
    [error] = errors
    assert (error.remote_id, error.stage, error.remote_url) == (ids[4], "map", page)
    assert "resources is not a list" in error.message
    assert gathering.present == set(ids)  # it is still on the portal


def test_html_instead_of_the_first_page_fails_the_gather(fetcher):
    portal = UdataPortal(count=10)
    portal.inject("html", LISTING)
    with serve(portal) as url, pytest.raises(FetchError) as raised:
        run(url, fetcher)
    assert raised.value.stage == "parse"
    assert "HTML" in raised.value.message


def test_a_failing_later_page_stops_the_listing_without_deletions(fetcher):
    portal = UdataPortal(count=250)
    with serve(portal) as url:
        gathering = Gathering(url, {"organization": "ville-de-nancy"})
        items = udata.gather(gathering, fetcher)
        first = next(items)  # the first page is read
        portal.inject("500", LISTING, times=3)
        rest = list(items)
    records = [first, *(i for i in rest if isinstance(i, RemoteDataset))]
    [error] = [i for i in rest if isinstance(i, ItemError)]
    assert len(records) == 100
    assert (error.stage, error.http["status"]) == ("fetch", 500)
    assert gathering.present is None and gathering.new_cursor is None


def test_a_paging_that_does_not_end_is_cut(fetcher):
    portal = UdataPortal(count=250, next_page_loop=True)
    with serve(portal) as url:
        records, errors, gathering = run(url, fetcher)
    assert len(records) == 200  # pages 1 and 2, then page 2 again
    [error] = errors
    assert error.stage == "gather" and "paging does not end" in error.message
    assert gathering.present is None and gathering.new_cursor is None
    assert len(portal.requests) == 1 + 2


def test_a_429_is_waited_for(fetcher):
    portal = UdataPortal(count=30)
    portal.inject("429", LISTING, seconds=0)
    with serve(portal) as url:
        records, errors, gathering = run(url, fetcher)
    assert not errors and len(records) == 30 and gathering.present == set(records)
    assert [r.path for r in portal.requests].count(LISTING) == 2


def test_the_organization_is_required(fetcher):
    with pytest.raises(ValueError, match="organization"):
        list(udata.gather(Gathering("https://www.data.gouv.fr", {}), fetcher))
