"""`ctd demo` builds the Lorraine committee; the CLI speaks French and fails cleanly."""

from __future__ import annotations

import json

import pytest
import sqlalchemy as sa
from typer.testing import CliRunner

from catalogue import db
from catalogue.cli import app

runner = CliRunner()


def ctd(*args: str, code: int = 0):
    result = runner.invoke(app, list(args))
    assert result.exit_code == code, result.output
    return result


def counts() -> dict[str, int]:
    with db.get_engine().connect() as connection:
        return {t: connection.execute(sa.text(f"SELECT count(*) FROM {t}")).scalar_one()
                for t in ["organization", "committee_member", "dataset", "resource", "users",
                          "api_token", "role_assignment"]}


def test_demo_answers_the_acceptance_searches(client, demo):
    def search(**params):
        body = client.get("/api/v1/datasets", params={"limit": 100, **params}).json()
        return body, {d["slug"] for d in body["datasets"]}

    body, found = search(q="subvention")
    assert found and all(s.startswith("subventions-") for s in found) and len(found) == 6
    assert set(body["facets"]) == {"publisher", "theme", "licence", "format", "access_type"}
    _, found = search(q="deliberation")
    assert len(found) == 6 and all(s.startswith("deliberations-") for s in found)
    _, nancy = search(territory="54395")
    assert "subventions-ville-de-nancy" in nancy and "subventions-grand-nancy" in nancy
    assert "subventions-departement-54" in nancy
    assert not any(s.endswith("ville-d-epinal") for s in nancy)
    _, epinal = search(territory="88160")
    assert "budget-ville-d-epinal" in epinal and "budget-ville-de-nancy" not in epinal


def test_demo_is_real_and_idempotent(client, demo):
    before = counts()
    assert before["dataset"] >= 30 and before["resource"] >= 30
    ctd("demo")
    assert counts() == before
    committee = client.get("/api/v1/committees/ctd-lorraine").json()
    assert committee["name"] == "Comité territorial de la donnée de Lorraine"
    assert {m["organization"] for m in committee["members"]} >= {
        "grand-nancy", "ville-de-nancy", "metz-metropole", "ville-de-metz", "departement-54",
        "ville-d-epinal"}
    # The committee's territory spans from Metz to Épinal.
    minx, miny, maxx, maxy = committee["bbox"]
    assert miny < 48.18 < 49.12 < maxy
    demo_datasets = client.get("/api/v1/datasets", params={"limit": 100}).json()["datasets"]
    personal = [d for d in demo_datasets if d["contains_personal_data"] == "yes"]
    assert personal and all(d["access_type"] != "open" for d in personal)


def test_demo_files_follow_their_schema_and_are_served(client, demo):
    dataset = client.get("/api/v1/datasets/subventions-ville-de-nancy").json()
    assert dataset["table_schema"] == {"name": "scdl/subventions", "version": "2.1.1"}
    resource = dataset["resources"][0]
    response = client.get(resource["url"])
    assert response.status_code == 200
    header = response.text.splitlines()[0].split(",")
    assert header[:3] == ["nomAttribuant", "idAttribuant", "dateConvention"]
    assert len(response.content) == resource["size"]
    protected = client.get("/api/v1/datasets/aides-sociales-departement-54").json()
    assert client.get(protected["resources"][0]["url"]).status_code == 401


def test_lists_as_json_records(demo):
    orgs = json.loads(ctd("orgs", "list", "--format", "json").stdout)
    assert {"slug", "name", "kind", "siren"} <= set(orgs[0])
    assert "ville-de-metz" in {o["slug"] for o in orgs}
    records = json.loads(ctd("datasets", "list", "--format", "json",
                             "--publisher", "ville-d-epinal").stdout)
    assert len(records) == 5 and all(r["publisher"]["slug"] == "ville-d-epinal"
                                     for r in records)
    shown = json.loads(ctd("datasets", "show", "budget-ville-d-epinal").stdout)
    assert shown["spatial"]["zones"] == ["fr:commune:88160"]
    assert "Ville de Metz" in ctd("orgs", "list").stdout


def test_cli_create_and_token(client, world):
    ctd("orgs", "create", "--name", "Ville de Rennes", "--kind", "commune",
        "--insee-code", "35238")
    ctd("datasets", "create", "--title", "Parkings relais", "--publisher", "ville-de-rennes",
        "--theme", "TRAN", "--keyword", "stationnement")
    result = ctd("token", "create", "--user", "cdo-rennes", "--role", "publisher",
                 "--organization", "ville-de-rennes")
    token = result.stdout.strip().splitlines()[-1]
    assert token.startswith("ctd_")
    response = client.patch("/api/v1/datasets/parkings-relais", json={"description": "P+R"},
                            headers={"Authorization": f"Bearer {token}"})
    assert response.status_code == 200
    found = client.get("/api/v1/datasets", params={"territory": "35238"}).json()
    assert [d["slug"] for d in found["datasets"]] == ["parkings-relais"]


@pytest.mark.parametrize("args, message", [
    (["orgs", "create", "--name", "X", "--kind", "company", "--siren", "123456789"],
     "SIREN invalide"),
    (["orgs", "create", "--name", "X", "--kind", "commune", "--insee-code", "99999"],
     "Code INSEE inconnu"),
    (["orgs", "show", "nobody"], "Organisation inconnue"),
    (["datasets", "create", "--title", "T", "--publisher", "ville-de-nancy", "--licence",
      "wtfpl"], "Licence inconnue"),
    (["token", "create", "--user", "u", "--role", "publisher"], "demande une organisation"),
    (["territories", "import", "/nonexistent.geojson"], "fichier introuvable"),
])
def test_cli_errors_are_french_and_change_nothing(world, args, message):
    before = counts()
    result = ctd(*args, code=1)
    assert message in result.output
    assert "Traceback" not in result.output
    assert counts() == before


def test_territories_import(client, world, tmp_path):
    area = {"type": "FeatureCollection", "features": [{
        "type": "Feature", "properties": {"code": "200000001", "nom": "Syndicat des eaux"},
        "geometry": {"type": "Polygon", "coordinates": [[[6.1, 48.6], [6.3, 48.6],
                                                          [6.3, 48.75], [6.1, 48.75],
                                                          [6.1, 48.6]]]}}]}
    path = tmp_path / "syndicat.geojson"
    path.write_text(json.dumps(area))
    assert "1 territoire" in ctd("territories", "import", str(path), "--level", "other").stdout
    territory = client.get("/api/v1/territories/other:200000001").json()
    assert territory["name"] == "Syndicat des eaux"
    ctd("datasets", "create", "--title", "Réseau d'eau potable", "--publisher",
        "ville-de-nancy", "--territory", "other:200000001")
    found = client.get("/api/v1/datasets", params={"territory": "54395"}).json()
    assert "reseau-d-eau-potable" in {d["slug"] for d in found["datasets"]}
    broken = tmp_path / "broken.geojson"
    broken.write_text('{"type": "FeatureCollection", "features": [{"type": "Feature", '
                      '"properties": {"nom": "Sans code"}, "geometry": null}]}')
    assert "code" in ctd("territories", "import", str(broken), code=1).output
