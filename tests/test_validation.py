"""Bad input gets a 4xx problem document and leaves the database as it was."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from catalogue import db


def table_counts() -> dict[str, int]:
    tables = ["organization", "committee", "committee_member", "dataset", "resource",
              "dataset_facet", "users", "api_token", "territory"]
    with db.get_engine().connect() as connection:
        return {t: connection.execute(sa.text(f"SELECT count(*) FROM {t}")).scalar_one()
                for t in tables}


def assert_problem(response, status: int) -> dict:
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith("application/problem+json")
    body = response.json()
    assert body["status"] == status and body["title"] and body["detail"]
    return body


@pytest.fixture
def admin(world):
    return world.headers("admin")


def dataset_body(**changes):
    return {"title": "Budget primitif 2025", "publisher": "ville-de-nancy",
            "licence": "fr-lo-2.0", **changes}


@pytest.mark.parametrize("content", [b'{"title": "Budget', b"not json at all", b"[1, 2"])
def test_malformed_json_is_400(client, admin, content):
    before = table_counts()
    response = client.post("/api/v1/datasets", content=content,
                           headers={**admin, "Content-Type": "application/json"})
    assert_problem(response, 400)
    assert table_counts() == before


@pytest.mark.parametrize("body, field", [
    (dataset_body(licence="wtfpl"), "licence"),
    (dataset_body(themes=["NOT_A_THEME"]), "themes"),
    (dataset_body(frequency="SOMETIMES"), "frequency"),
    (dataset_body(access_type="secret"), "access_type"),
    (dataset_body(publisher="no-such-org"), "publisher"),
    (dataset_body(spatial={"insee_codes": ["99999"]}), "spatial.insee_codes"),
    (dataset_body(spatial={"geometry": {"type": "Point", "coordinates": [700000, 6800000]}}),
     "spatial.geometry"),
    (dataset_body(temporal={"start": "2025-12-31", "end": "2025-01-01"}), "temporal"),
    (dataset_body(title=""), "title"),
    (dataset_body(slug="Not A Slug"), "slug"),
    (dataset_body(unexpected="field"), "unexpected"),
    ({"publisher": "ville-de-nancy"}, "title"),
])
def test_invalid_dataset_is_422_and_changes_nothing(client, admin, body, field):
    before = table_counts()
    problem = assert_problem(client.post("/api/v1/datasets", json=body, headers=admin), 422)
    assert any(e["field"] and e["field"].startswith(field) for e in problem["errors"]), problem
    assert table_counts() == before


def test_unknown_licence_message_lists_known_ones(client, admin):
    problem = assert_problem(
        client.post("/api/v1/datasets", json=dataset_body(licence="wtfpl"), headers=admin), 422)
    assert "fr-lo-2.0" in problem["detail"]


@pytest.mark.parametrize("siren", ["123456789", "21540395", "ABCDEFGHI", "2154039570"])
def test_invalid_siren_is_422(client, admin, siren):
    before = table_counts()
    problem = assert_problem(client.post("/api/v1/organizations", headers=admin, json={
        "name": "Ville fantôme", "kind": "company", "siren": siren}), 422)
    assert problem["errors"][0]["field"] == "siren"
    assert table_counts() == before


def test_invalid_siren_on_update_changes_nothing(client, admin):
    before = client.get("/api/v1/organizations/ville-de-nancy").json()
    assert_problem(client.patch("/api/v1/organizations/ville-de-nancy", headers=admin,
                                json={"siren": "215403958"}), 422)
    assert client.get("/api/v1/organizations/ville-de-nancy").json() == before


@pytest.mark.parametrize("body, field", [
    ({"name": "Ville inconnue", "kind": "commune", "insee_code": "99999"}, "insee_code"),
    ({"name": "Sans code", "kind": "commune"}, "insee_code"),
    ({"name": "Entreprise", "kind": "company", "insee_code": "54395"}, "insee_code"),
    ({"name": "EPCI", "kind": "epci", "commune_codes": ["54395", "99999"]}, "commune_codes"),
    ({"name": "Bizarre", "kind": "martian"}, "kind"),
])
def test_invalid_organization_territory_is_422(client, admin, body, field):
    before = table_counts()
    problem = assert_problem(client.post("/api/v1/organizations", headers=admin, json=body), 422)
    assert problem["errors"][0]["field"] == field
    assert table_counts() == before


def test_duplicates_are_409(client, admin):
    assert client.post("/api/v1/datasets", json=dataset_body(slug="budget"),
                       headers=admin).status_code == 201
    before = table_counts()
    assert_problem(client.post("/api/v1/datasets", json=dataset_body(slug="budget"),
                               headers=admin), 409)
    assert_problem(client.post("/api/v1/organizations", headers=admin, json={
        "name": "Autre Nancy", "kind": "company", "siren": "215403957"}), 409)
    assert table_counts() == before


def test_oversized_upload_is_413_and_stores_nothing(client, world, admin, data_dir):
    client.post("/api/v1/datasets", json=dataset_body(slug="budget"), headers=admin)
    before = table_counts()
    files_before = sorted(p for p in (data_dir / "files").rglob("*") if p.is_file()) \
        if (data_dir / "files").exists() else []
    big = b"a;b\n" * (300 * 1024 // 4)  # 300 KiB, over the 256 KiB limit of the tests
    response = client.post("/api/v1/datasets/budget/resources/upload", headers=admin,
                           files={"file": ("budget.csv", big, "text/csv")})
    assert_problem(response, 413)
    assert table_counts() == before
    files_after = sorted(p for p in (data_dir / "files").rglob("*") if p.is_file()) \
        if (data_dir / "files").exists() else []
    assert files_after == files_before


def test_oversized_streamed_upload_is_413(client, admin):
    """A chunked body announces no length: it is counted as it arrives."""
    client.post("/api/v1/datasets", json=dataset_body(slug="budget"), headers=admin)
    before = table_counts()

    def chunks():
        yield b"--xyz\r\nContent-Disposition: form-data; name=\"file\"; filename=\"b.csv\"\r\n\r\n"
        for _ in range(400):
            yield b"x" * 1024
        yield b"\r\n--xyz--\r\n"

    response = client.post("/api/v1/datasets/budget/resources/upload", content=chunks(),
                           headers={**admin,
                                    "Content-Type": "multipart/form-data; boundary=xyz"})
    assert_problem(response, 413)
    assert table_counts() == before


@pytest.mark.parametrize("params", [
    {"territory": "99999"}, {"territory": "not-a-code"}, {"bbox": "1,2,3"},
    {"bbox": "5,49,4,48"}, {"sort": "popularity"}, {"cursor": "garbage"}, {"limit": "0"},
    {"limit": "1000"},
])
def test_bad_search_parameters_are_4xx(client, params):
    response = client.get("/api/v1/datasets", params=params)
    assert_problem(response, response.status_code)
    assert 400 <= response.status_code < 500


def test_bad_token_is_401(client):
    for header in ["Bearer nope", "Basic abc", "Bearer"]:
        response = client.get("/api/v1/datasets", headers={"Authorization": header})
        assert_problem(response, 401)
        assert response.headers["www-authenticate"] == "Bearer"


@pytest.mark.parametrize("path", [
    "/api/v1/resources/99999999999999999999", "/api/v1/resources/0",
    "/api/v1/resources/abc", "/api/v1/datasets/99999999999999999999",
    "/api/v1/organizations/99999999999999999999", "/api/v1/committees/4294967296",
])
def test_out_of_range_ids_are_4xx(client, path):
    response = client.get(path)
    assert_problem(response, response.status_code)
    assert response.status_code in (404, 422)


def test_nul_characters_are_refused_and_change_nothing(client, admin):
    before = table_counts()
    response = client.post("/api/v1/datasets", headers=admin,
                           json=dataset_body(title="Budget\u0000primitif"))
    assert_problem(response, response.status_code)
    assert response.status_code in (400, 422)
    response = client.get("/api/v1/datasets", params={"territory": "54\u0000395"})
    assert 400 <= response.status_code < 500
    assert table_counts() == before


def test_all_digit_slugs_are_refused(client, admin):
    assert_problem(client.post("/api/v1/datasets", headers=admin,
                               json=dataset_body(slug="2025")), 422)
    created = client.post("/api/v1/datasets", headers=admin, json=dataset_body(title="2025"))
    assert created.json()["slug"] == "n-2025"


@pytest.mark.parametrize("url", ["fichier.csv", "/local/path.csv", "javascript:alert(1)",
                                 "https://", "https://x.example/a b.csv", "file:///etc/passwd"])
def test_resource_links_must_be_web_urls(client, admin, url):
    assert client.post("/api/v1/datasets", json=dataset_body(slug="budget"),
                       headers=admin).status_code == 201
    before = table_counts()
    body = assert_problem(client.post("/api/v1/datasets/budget/resources", headers=admin,
                                      json={"title": "Fichier", "url": url}), 422)
    assert body["errors"][0]["field"] == "url"
    good = client.post("/api/v1/datasets/budget/resources", headers=admin,
                       json={"title": "Fichier", "url": "https://x.example/budget.csv"})
    assert good.status_code == 201, good.text
    assert_problem(client.patch(f"/api/v1/resources/{good.json()['id']}", headers=admin,
                                json={"url": url}), 422)
    after = table_counts()
    assert after["resource"] == before["resource"] + 1
    assert after["dataset_facet"] == before["dataset_facet"] + 1  # the new CSV format
