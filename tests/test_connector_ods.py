"""The OpenDataSoft connector against a live fixture portal speaking the Explore API v2.1:
field mapping, paging and the switch to the export past 10,000 datasets, incremental
gathers, federation, and failures."""

from __future__ import annotations

import tempfile
from datetime import datetime
from urllib.parse import urlsplit

import pytest
from portals import serve
from portals.ods import API, OdsPortal

from catalogue.fetch import Fetcher, FetchError
from connectors import ods
from connectors.records import Gathering, ItemError, RemoteDataset

DATASETS = f"{API}/datasets"
EXPORT = f"{API}/exports/json"


@pytest.fixture
def fetcher():
    with Fetcher(allowed_hosts={"127.0.0.1"}, backoff=0.01, retries=2) as client:
        yield client


def run(url: str, fetcher: Fetcher, cursor: str | None = None, **config):
    gathering = Gathering(url, config, cursor=cursor)
    items = list(ods.gather(gathering, fetcher))
    records = {i.remote_id: i for i in items if isinstance(i, RemoteDataset)}
    return records, [i for i in items if isinstance(i, ItemError)], gathering


def test_maps_every_field(fetcher):
    portal = OdsPortal(count=20)
    with serve(portal) as url:
        records, errors, gathering = run(url, fetcher)
    assert not errors and len(records) == 20
    source = portal.dataset(0)
    first = records[source["dataset_id"]]
    host = urlsplit(url).netloc
    assert first.remote_id == first.name == "stations-de-velos-en-libre-service-nancy"
    assert first.title == "Stations de vélos en libre-service – Nancy"
    assert first.remote_url == f"{url}/explore/dataset/{first.remote_id}/"
    assert first.identifier == f"https://{host}/explore/dataset/{first.remote_id}/"
    assert first.original_domain is None
    assert first.description == (
        "Stations de vélos en libre-service sur le territoire de Nancy.\n"
        "Données publiées par la Métropole du Grand Nancy & ses communes.\n"
        "Mise à jour régulière.")
    assert first.licence == "fr-lo-2.0"
    assert first.keywords == []  # keyword is null
    assert first.themes == ["TRAN"]
    assert first.frequency == "MONTHLY"  # metas.dcat.accrualperiodicity « Mensuelle »
    assert first.insee_codes == ["54395"]  # territory ["54395", "Nancy"]
    assert (first.contact_name, first.contact_email) == (
        "Direction de la donnée", "opendata@grandnancy.eu")
    assert first.modified == datetime.fromisoformat(source["metas"]["default"]["modified"])
    assert first.created == datetime.fromisoformat(source["metas"]["dcat"]["created"])
    processed = datetime.fromisoformat(source["metas"]["default"]["data_processed"])
    exports = f"{url}{API}/datasets/{first.remote_id}/exports"
    assert [(r.url, r.title, r.format, r.media_type, r.type, r.last_modified)
            for r in first.resources] == [
        (f"{exports}/csv", "Export CSV", "CSV", "text/csv", "main", processed),
        (f"{exports}/geojson", "Export GeoJSON", "GEOJSON", "application/geo+json", "main",
         processed),
        (f"{exports}/parquet", "Export Parquet", "PARQUET", "application/vnd.apache.parquet",
         "main", processed)]

    def field(name: str) -> list:
        return [getattr(records[portal.dataset_id(i)], name) for i in range(20)]

    assert field("keywords")[1] == ["stationnement", "parking", "Nancy"]
    assert field("licence")[:4] == ["fr-lo-2.0", "odbl-1.0", "cc-by-4.0", "other"]
    assert field("insee_codes")[:3] == [["54395"], [], ["54"]]  # labels are left out
    assert field("themes")[2:5] == [["GOVE", "ECON"], ["ENVI"], ["ENVI", "EDUC"]]
    assert field("frequency")[:4] == ["MONTHLY", None, "ANNUAL", None]  # no dcat when odd
    assert field("created")[1] is None and field("contact_email")[1] is None
    assert [r.format for r in field("resources")[2]] == ["CSV", "PARQUET"]  # no geometry
    assert field("resources")[12] == []  # attachments only, no records
    assert gathering.present == set(records)


def test_pages_a_hundred_at_a_time(fetcher):
    portal = OdsPortal(count=250)
    with serve(portal) as url:
        records, errors, gathering = run(url, fetcher)
    assert not errors
    assert set(records) == set(portal.ids()) == gathering.present
    assert gathering.total == 250
    newest = max(portal.default_metas(i)["metadata_processed"] for i in range(250))
    assert gathering.new_cursor == newest
    assert [r.query for r in portal.requests] == [
        {"order_by": "dataset_id", "limit": "100", "offset": str(offset)}
        for offset in (0, 100, 200)]


def test_the_fixture_refuses_what_the_api_refuses(fetcher):
    with serve(OdsPortal(count=5)) as url:
        def error(**params) -> dict:
            response = fetcher.get(f"{url}{DATASETS}", params=params, check_status=False)
            assert response.status == 400
            return response.json()

        assert error(limit=101) == {
            "error_code": "InvalidRESTParameterError",
            "message": "Invalid value for limit API parameter: 101 was found but -1 <= limit "
                       "<= 100 is expected."}
        assert error(limit=100, offset=9_950)["message"] == (
            "Invalid value for sum of offset + limit API parameter: 10050 was found but "
            "<= 10000 is expected.")
        assert error(where="modified >")["error_code"] == "ODSQLError"
        ids = fetcher.get(f"{url}{DATASETS}", params={"select": "dataset_id"}).json()
        assert ids["total_count"] == 5 and ids["results"][0] == {
            "dataset_id": "stations-de-velos-en-libre-service-nancy"}


def test_switches_to_the_export_past_ten_thousand(fetcher, monkeypatch, tmp_path):
    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path))
    portal = OdsPortal(count=10_050)
    with serve(portal) as url:
        records, errors, full = run(url, fetcher)
        requests = [(r.path, r.query) for r in portal.requests]
        ids = portal.ids()
        portal.modify(ids[9_000], title="Budget primitif 2025")
        portal.delete(ids[9_001])
        [added] = portal.add()
        portal.requests.clear()
        changed, _, incremental = run(url, fetcher, cursor=full.new_cursor)
        later = [(r.path, r.query) for r in portal.requests]
    assert not errors and len(records) == 10_050 == full.total
    assert full.present == set(ids)
    assert requests == [(DATASETS, {"order_by": "dataset_id", "limit": "100", "offset": "0"}),
                        (EXPORT, {"order_by": "dataset_id"})]
    assert list(tmp_path.iterdir()) == []  # the export's temporary file is gone

    assert set(changed) == {ids[9_000], added}
    assert incremental.present == set(ids) - {ids[9_001]} | {added}
    assert [path for path, _ in later] == [DATASETS, DATASETS, EXPORT]
    assert later[2][1] == {"select": "dataset_id", "order_by": "dataset_id"}


def test_incremental_gather_reads_what_changed_and_lists_every_id(fetcher):
    portal = OdsPortal(count=130)
    with serve(portal) as url:
        _, _, first = run(url, fetcher)
        ids = portal.ids()
        portal.modify(ids[3], title="Parkings relais")
        portal.reprocess(ids[7])  # new records, same metadata
        portal.delete(ids[9])
        [added] = portal.add()
        portal.requests.clear()
        records, errors, second = run(url, fetcher, cursor=first.new_cursor)
        queries = [r.query for r in portal.requests]
        third_records, _, third = run(url, fetcher, cursor=second.new_cursor)
    assert not errors
    assert set(records) == {ids[3], ids[7], added}
    assert records[ids[3]].title == "Parkings relais"
    assert second.present == set(ids) - {ids[9]} | {added}
    assert second.new_cursor == portal.default_metas(portal.size - 1)["metadata_processed"]
    literal = datetime.fromisoformat(first.new_cursor).strftime("%Y-%m-%dT%H:%M:%SZ")
    assert queries[0]["where"] == (
        f"(modified > date'{literal}' OR data_processed > date'{literal}' "
        f"OR metadata_processed > date'{literal}')")
    assert [q.get("select") for q in queries] == [None, "dataset_id", "dataset_id"]
    assert third_records == {} and third.present == second.present
    assert third.new_cursor == second.new_cursor


def test_the_source_config_scopes_the_gather(fetcher):
    portal = OdsPortal(count=40)
    environment = {portal.dataset_id(i) for i in range(40) if i % 10 in (3, 4)}
    with serve(portal) as url:
        records, _, first = run(url, fetcher, where='"Environnement" IN theme')
        portal.modify(portal.dataset_id(3), keyword=["tri"])
        portal.modify(portal.dataset_id(5), keyword=["culture"])
        changed, _, second = run(url, fetcher, first.new_cursor,
                                 where='"Environnement" IN theme')
        refined, _, _ = run(url, fetcher, refine="license:Open Database License (ODbL)")
    assert set(records) == first.present == environment
    assert set(changed) == {portal.dataset_id(3)} and second.present == environment
    assert {r.licence for r in refined.values()} == {"odbl-1.0"} and len(refined) == 10


def test_federated_datasets_point_to_their_origin(fetcher):
    origin, federating = OdsPortal(count=5, seed=7), OdsPortal(count=8, federated=5, seed=7)
    with serve(origin) as origin_url, serve(federating) as url:
        federating.source_address = urlsplit(origin_url).netloc
        originals, _, _ = run(origin_url, fetcher)
        records, errors, _ = run(url, fetcher)
    assert not errors
    for index in range(5):
        copy, original = records[federating.dataset_id(index)], originals[origin.dataset_id(index)]
        assert copy.remote_id == f"{original.remote_id}@grandest"
        assert copy.original_domain == federating.source_address
        assert copy.identifier == original.identifier
        assert original.original_domain is None
    assert all(records[federating.dataset_id(i)].original_domain is None for i in (5, 6, 7))


def test_a_malformed_dataset_is_an_item_error(fetcher):
    portal = OdsPortal(count=10)
    ids = portal.ids()
    portal.corrupt(ids[2])
    with serve(portal) as url:
        records, errors, gathering = run(url, fetcher)
    assert set(records) == set(ids) - {ids[2]}
    [error] = errors
    assert (error.remote_id, error.stage) == (ids[2], "map")
    assert error.remote_url == f"{url}/explore/dataset/{ids[2]}/"
    assert "metas.default" in error.message
    assert gathering.present == set(ids)


def test_html_instead_of_the_first_page_fails_the_gather(fetcher):
    portal = OdsPortal(count=10)
    portal.inject("html", DATASETS)
    with serve(portal) as url, pytest.raises(FetchError) as raised:
        run(url, fetcher)
    assert raised.value.stage == "parse" and "HTML" in raised.value.message


def test_html_instead_of_the_export_fails_the_gather(fetcher):
    portal = OdsPortal(count=10_001)
    portal.inject("html", EXPORT)
    with serve(portal) as url, pytest.raises(FetchError) as raised:
        run(url, fetcher)
    assert raised.value.stage == "parse" and raised.value.url.startswith(f"{url}{EXPORT}")


def test_a_429_is_waited_for(fetcher):
    portal = OdsPortal(count=30)
    portal.inject("429", DATASETS, seconds=0)
    with serve(portal) as url:
        records, errors, gathering = run(url, fetcher)
    assert not errors and len(records) == 30 and gathering.present == set(records)
    assert len(portal.requests) == 2
