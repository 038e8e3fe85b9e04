"""The CKAN Action API, read by CKAN's own client library and command line (ckanapi) on a live
server: every dataset reachable by paging and by id or name, filters and facets as CKAN
harvesters use them, drafts only for their publisher, and CKAN-style errors."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path

import ckanapi
import pytest
from sqlmodel import select

from catalogue import auth, datasets, db
from catalogue.models import Dataset
from catalogue.schemas import DatasetCreate, SpatialIn


def remote(live_server: str, token: str | None = None) -> ckanapi.RemoteCKAN:
    return ckanapi.RemoteCKAN(live_server, apikey=token, user_agent="ctd-tests")


def rest_total(client, **params) -> int:
    response = client.get("/api/v1/datasets", params={"limit": 1, **params})
    assert response.status_code == 200, response.text
    return response.json()["total"]


def names(ckan, **params) -> set[str]:
    result = ckan.action.package_search(rows=1000, **params)
    assert result["count"] == len(result["results"])
    return {d["name"] for d in result["results"]}


# --- ckanapi reads the whole demo catalogue -----------------------------------------------

def test_ckanapi_pages_through_every_dataset_and_reads_each(client, demo, live_server):
    ckan = remote(live_server)
    assert ckan.action.status_show()["ckan_version"].startswith("2.")
    total = rest_total(client)
    assert total == 32
    seen: list[str] = []
    start = 0
    while True:
        page = ckan.action.package_search(q="*:*", start=start, rows=7, sort="name asc")
        assert page["count"] == total
        if not page["results"]:
            break
        seen += [d["name"] for d in page["results"]]
        start += 7
        assert start <= 100
    assert len(seen) == total == len(set(seen)) and seen == sorted(seen)
    assert sorted(ckan.action.package_list()) == seen
    rest = {d["slug"]: d for d in client.get("/api/v1/datasets", params={"limit": 100})
            .json()["datasets"]}
    for name in seen:
        record = ckan.action.package_show(id=name)
        assert record == ckan.action.package_show(id=record["id"])
        assert record["name"] == name and record["title"] == rest[name]["title"]
        assert record["organization"]["name"] == rest[name]["publisher"]["slug"]
        assert record["owner_org"] == record["organization"]["id"]
        assert [r["id"] for r in record["resources"]] == [
            str(r["id"]) for r in rest[name]["resources"]]
        assert all(r["url"].startswith(("http://", "https://")) for r in record["resources"])
        extras = {e["key"]: e["value"] for e in record["extras"]}
        assert extras["access_type"] == rest[name]["access_type"]
        assert json.loads(extras["spatial"])["type"] in ("Polygon", "MultiPolygon")
    organizations = ckan.action.organization_list(all_fields=True)
    assert len(organizations) == 8
    assert sum(o["package_count"] for o in organizations) == total
    assert ckan.action.organization_list(limit=3, offset=6) == [
        o["name"] for o in organizations[6:]]
    nancy = ckan.action.organization_show(id="ville-de-nancy", include_datasets=True)
    assert nancy["package_count"] == len(nancy["packages"]) > 0
    assert {p["organization"]["name"] for p in nancy["packages"]} == {"ville-de-nancy"}


def test_ckanapi_dump_gets_as_many_datasets_as_the_rest_api(client, demo, live_server,
                                                           tmp_path):
    output = tmp_path / "datasets.jsonl"
    scripts = Path(sys.executable).parent  # ckanapi starts its workers by name, from PATH
    command = ["ckanapi", "dump", "datasets", "--all", "-r", live_server, "-q", "-p", "2",
               "-O", str(output)]
    done = subprocess.run(command, capture_output=True, text=True, timeout=180,
                          env={**os.environ, "PATH": f"{scripts}{os.pathsep}{os.environ['PATH']}"})
    assert done.returncode == 0, done.stderr
    records = [json.loads(line) for line in output.read_text().splitlines()]
    assert len(records) == rest_total(client) == 32
    assert len({r["id"] for r in records}) == 32
    assert all(r["resources"] and r["organization"] for r in records)


# --- filters and facets -------------------------------------------------------------------

def test_filters_match_the_rest_api(client, demo, live_server):
    ckan = remote(live_server)
    nancy = names(ckan, fq="organization:ville-de-nancy")
    assert len(nancy) == rest_total(client, publisher="ville-de-nancy") > 0
    org_id = ckan.action.organization_show(id="ville-de-nancy")["id"]
    assert names(ckan, fq=f"owner_org:{org_id}") == nancy
    assert names(ckan, fq="-organization:ville-de-nancy").isdisjoint(nancy)
    assert len(names(ckan, fq="NOT organization:ville-de-nancy")) == 32 - len(nancy)
    subsidies = names(ckan, fq="tags:subventions")
    assert len(subsidies) == 6
    assert names(ckan, fq="tags:subventions organization:ville-de-nancy") == subsidies & nancy
    assert names(ckan, fq="+tags:subventions +organization:ville-de-nancy") == subsidies & nancy
    budgets = names(ckan, fq='tags:"budget"')
    assert names(ckan, fq="tags:(subventions OR budget)") == subsidies | budgets
    assert names(ckan, fq_list=["tags:subventions", "-organization:ville-de-nancy"]) == (
        subsidies - nancy)
    assert len(names(ckan, fq="groups:econ")) == rest_total(client, theme="ECON")
    assert len(names(ckan, fq="license_id:odbl-1.0")) == rest_total(client, licence="odbl-1.0")
    csv = names(ckan, fq="res_format:CSV")
    assert len(csv) == rest_total(client, format="CSV") > 0
    assert names(ckan, fq="-res_format:CSV").isdisjoint(csv)
    assert names(ckan, fq="+dataset_type:dataset +capacity:public") == names(ckan)
    assert names(ckan, fq="dataset_type:harvest") == set()
    assert names(ckan, q="subvention") == subsidies
    assert names(ckan, q="tags:subventions") == subsidies
    epinal = names(ckan, fq="organization:ville-d-epinal")
    around_nancy = names(ckan, ext_bbox="6.1,48.6,6.3,48.8")
    assert nancy <= around_nancy and around_nancy.isdisjoint(epinal)


def test_facets_count_like_the_rest_api(client, demo, live_server):
    result = remote(live_server).action.package_search(
        q="subvention", rows=0, **{
            "facet.field": json.dumps(["organization", "groups", "res_format", "license_id",
                                       "tags"]), "facet.limit": 3})
    assert result["count"] == 6 and result["results"] == []
    facets = result["search_facets"]
    assert set(facets) == {"organization", "groups", "res_format", "license_id", "tags"}
    assert all(len(f["items"]) <= 3 for f in facets.values())
    rest = client.get("/api/v1/datasets", params={"q": "subvention"}).json()["facets"]
    assert {i["name"]: i["count"] for i in facets["res_format"]["items"]} == {
        v["value"]: v["count"] for v in rest["format"][:3]}
    assert {i["name"] for i in facets["groups"]["items"]} == {"econ", "gove"}
    assert result["facets"]["tags"]["subventions"] == 6
    unlimited = remote(live_server).action.package_search(
        rows=0, **{"facet.field": ["organization"], "facet.limit": -1})
    assert len(unlimited["search_facets"]["organization"]["items"]) == 6


def test_sorts_and_modified_range(client, demo, live_server):
    ckan = remote(live_server)
    by_name = [d["name"] for d in ckan.action.package_search(rows=1000, sort="name desc")[
        "results"]]
    assert by_name == sorted(by_name, reverse=True)
    with db.session_scope() as session:
        newest = session.exec(select(Dataset).where(Dataset.slug == by_name[0])).one()
        newest.modified = datetime(2030, 1, 1, tzinfo=UTC)
    recent = ckan.action.package_search(
        fq="metadata_modified:[2029-12-31T23:00:00Z TO *]", sort="metadata_modified desc")
    assert [d["name"] for d in recent["results"]] == [by_name[0]]
    assert recent["results"][0]["metadata_modified"] == "2030-01-01T00:00:00"
    older = names(ckan, fq="metadata_modified:[* TO 2029-12-31]")
    assert len(older) == 31 and by_name[0] not in older
    latest = ckan.action.current_package_list_with_resources(limit=2)
    assert latest[0]["name"] == by_name[0] and latest[0]["resources"]


def test_groups_tags_licences_and_resources(demo, live_server):
    ckan = remote(live_server)
    assert "econ" in ckan.action.group_list()
    econ = ckan.action.group_show(id="econ", include_datasets=True)
    assert econ["title"] == "Économie et finances"
    assert econ["package_count"] == len(econ["packages"]) > 0
    assert "subventions" in ckan.action.tag_list()
    assert ckan.action.tag_list(query="subv") == ["subventions"]
    assert {"fr-lo-2.0", "odbl-1.0"} <= {lic["id"] for lic in ckan.action.license_list()}
    record = ckan.action.package_show(id="subventions-ville-de-nancy")
    resource = record["resources"][0]
    assert ckan.action.resource_show(id=resource["id"]) == resource
    assert resource["package_id"] == record["id"] and len(resource["hash"]) == 64
    assert "by id or name" in ckan.action.help_show(name="package_show")


# --- who sees what ------------------------------------------------------------------------

def _add(title: str, publisher: str, **fields) -> str:
    with db.session_scope() as session:
        return datasets.create(session, auth.OPERATOR, DatasetCreate(
            title=title, publisher=publisher, **fields)).slug


def test_drafts_only_for_their_publisher(world, live_server):
    published = _add("Budget de Nancy", "ville-de-nancy", state="published")
    draft = _add("Budget en préparation", "ville-de-nancy", state="draft",
                 spatial=SpatialIn(insee_codes=["54395"]))
    publisher = remote(live_server, world.tokens["publisher"])
    assert publisher.action.package_show(id=draft)["state"] == "draft"
    assert names(publisher, include_drafts=True) == {published, draft}
    assert names(publisher) == {published}
    for who in (None, "other_publisher", "vendor"):
        ckan = remote(live_server, world.tokens[who] if who else None)
        with pytest.raises(ckanapi.NotFound):
            ckan.action.package_show(id=draft)
        assert names(ckan, include_drafts=True) == {published}
        assert ckan.action.package_list() == [published]
    with pytest.raises(ckanapi.NotAuthorized):
        remote(live_server, "ctd_not-a-token").action.package_show(id=published)


def test_restricted_links_stay_hidden(world, live_server, client):
    slug = _add("Aides sociales", "ville-de-nancy", state="published",
                access_type="restricted")
    created = client.post(f"/api/v1/datasets/{slug}/resources", headers=world.headers(
        "publisher"), json={"title": "Fichier", "url": "https://secret.example/aides.csv"})
    assert created.status_code == 201, created.text
    (resource,) = remote(live_server).action.package_show(id=slug)["resources"]
    assert "secret.example" not in json.dumps(resource)
    assert resource["url"] == f"{live_server}/api/v1/resources/{resource['id']}/download"
    (own,) = remote(live_server, world.tokens["publisher"]).action.package_show(
        id=slug)["resources"]
    assert own["url"] == "https://secret.example/aides.csv"


# --- errors -------------------------------------------------------------------------------

def test_errors_are_ckan_errors(world, live_server):
    ckan = remote(live_server)
    _add("Budget de Nancy", "ville-de-nancy", state="published")
    for fq in ['organization:"unterminated', "unknown_field:x", "tags:(", "bare words",
               "metadata_modified:[2020 TO *]", "metadata_modified:[yesterday TO *]",
               "NOT", "organization:[a TO b]"]:
        with pytest.raises(ckanapi.SearchQueryError):
            ckan.action.package_search(fq=fq)
    for params in [{"sort": "nonsense desc"}, {"sort": "name sideways"},
                   {"ext_bbox": "1,2,3"}, {"facet.field": ["nonsense"]}]:
        with pytest.raises(ckanapi.SearchQueryError):
            ckan.action.package_search(**params)
    for params in [{"rows": 100000}, {"rows": -1}, {"start": -5}, {"rows": "ten"},
                   {"include_drafts": "perhaps"}, {"q": "budget\x00"}]:
        with pytest.raises(ckanapi.ValidationError):
            ckan.action.package_search(**params)
    for action, params in [("package_show", {"id": "unknown"}),
                           ("package_show", {"id": "99999999999999999999999"}),
                           ("resource_show", {"id": "123456"}),
                           ("resource_show", {"id": "not-an-id"}),
                           ("organization_show", {"id": "unknown"}),
                           ("group_show", {"id": "unknown"})]:
        with pytest.raises(ckanapi.NotFound):
            ckan.call_action(action, params)
    with pytest.raises(ckanapi.ValidationError):
        ckan.action.package_show()


def test_error_envelopes_and_status_codes(client):
    cases = [
        ("get", "/api/3/action/package_search?fq=x:y", None, 400, "Search Query Error"),
        ("get", "/api/3/action/package_search?rows=100000", None, 409, "Validation Error"),
        ("get", "/api/3/action/package_show?id=nope", None, 404, "Not Found Error"),
        ("post", "/api/3/action/package_show", {"id": "nope"}, 404, "Not Found Error"),
        ("get", "/api/3/action/package_create", None, 400, "Bad Request"),
    ]
    for method, url, body, status, kind in cases:
        response = client.request(method, url, json=body)
        assert response.status_code == status, (url, response.text)
        answer = response.json()
        assert answer["success"] is False and answer["error"]["__type"] == kind
        assert answer["error"]["message"] and answer["help"].startswith("http")
    bad_json = client.post("/api/3/action/package_search", content=b"{not json",
                           headers={"Content-Type": "application/json"})
    assert bad_json.status_code == 400 and bad_json.json()["success"] is False
    not_object = client.post("/api/3/action/package_search", json=[1, 2])
    assert not_object.status_code == 400
    refused = client.get("/api/3/action/package_list",
                         headers={"Authorization": "ctd_forged"})
    assert refused.status_code == 403
    assert refused.json()["error"]["__type"] == "Authorization Error"
    form = client.post("/api/3/action/package_search", data={"rows": "0"})
    assert form.status_code == 200 and form.json()["result"]["results"] == []
