"""The API answers, documents itself, and turns every bad input into a problem document."""

from __future__ import annotations


def test_healthz_and_openapi(client):
    assert client.get("/healthz").json() == {"status": "ok"}
    spec = client.get("/openapi.json").json()
    assert "/api/v1/datasets" in spec["paths"]
    assert client.get("/docs").status_code == 200


def test_unknown_route_is_a_problem(client):
    response = client.get("/api/v1/nothing-here")
    assert response.status_code == 404
    assert response.headers["content-type"].startswith("application/problem+json")
    assert response.json()["status"] == 404


def test_create_dataset_and_find_it(client, world):
    headers = world.headers("publisher")
    response = client.post("/api/v1/datasets", headers=headers, json={
        "title": "Subventions aux associations 2024", "publisher": "ville-de-nancy",
        "licence": "fr-lo-2.0", "keywords": ["subventions"], "themes": ["ECON"],
        "state": "published"})
    assert response.status_code == 201, response.text
    body = response.json()
    assert body["slug"] == "subventions-aux-associations-2024"
    assert body["spatial"]["zones"] == ["fr:commune:54395"]
    found = client.get("/api/v1/datasets", params={"q": "subvention"}).json()
    assert [d["slug"] for d in found["datasets"]] == ["subventions-aux-associations-2024"]
    assert found["facets"]["publisher"][0]["value"] == "ville-de-nancy"
