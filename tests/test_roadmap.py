"""A committee's roadmap: use cases on their own territory, budget lines with exact totals,
priority datasets whose lateness is derived, who may write what, and `ctd roadmap`."""

from __future__ import annotations

import json
from datetime import date, timedelta

import pytest
import shapely
from typer.testing import CliRunner

from catalogue.cli import app

ROADMAP = "/api/v1/committees/comite-test/roadmap"
# A square near Remiremont (Vosges), far from Nancy and Épinal's own territory.
DRAWN = {"type": "Polygon", "coordinates": [[[6.55, 48.0], [6.65, 48.0], [6.65, 48.05],
                                             [6.55, 48.05], [6.55, 48.0]]]}
runner = CliRunner()


def problem(response, status: int) -> dict:
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith("application/problem+json")
    body = response.json()
    assert body["status"] == status and body["detail"]
    return body


def post(client, world, path: str, body: dict, who: str = "coordinator", status: int = 201):
    response = client.post(ROADMAP + path, json=body, headers=world.headers(who))
    assert response.status_code == status, response.text
    return response.json()


def use_case(client, world, **fields) -> dict:
    return post(client, world, "/use-cases", {"title": "Collecte des déchets",
                                              "lead": "ville-de-nancy", "zones": ["54395"],
                                              **fields})


def priority(client, world, uc: str, due: date, **fields) -> dict:
    return post(client, world, "/datasets", {"use_case": uc, "title": "Subventions",
                                             "responsible": "ville-de-nancy",
                                             "due": due.isoformat(), **fields})


def area(geojson: dict) -> float:
    return shapely.from_geojson(json.dumps(geojson)).area


def test_use_case_territory_from_zones_is_their_union(client, world):
    body = use_case(client, world, zones=["54395", "fr:commune:88160", "54395"],
                    partners=["ville-d-epinal", "donnees-conseil-sas"],
                    description="Tournées mutualisées.")
    assert body["slug"] == "collecte-des-dechets" and body["status"] == "proposed"
    assert body["zones"] == ["fr:commune:54395", "fr:commune:88160"]
    assert body["drawn_geometry"] is None
    assert body["lead"] == {"slug": "ville-de-nancy", "name": "Ville de Nancy"}
    assert [p["slug"] for p in body["partners"]] == ["donnees-conseil-sas", "ville-d-epinal"]
    nancy = client.get("/api/v1/territories/54395").json()
    epinal = client.get("/api/v1/territories/88160").json()
    assert body["geometry"]["type"] == "MultiPolygon"
    assert area(body["geometry"]) == pytest.approx(
        area(nancy["geometry"]) + area(epinal["geometry"]), rel=1e-6)
    minx, miny, maxx, maxy = body["bbox"]
    assert miny < 48.2 < 48.7 < maxy and minx < 6.2 < maxx

    departement = use_case(client, world, title="Action sociale", zones=["54"])
    assert departement["zones"] == ["fr:departement:54"]
    assert departement["bbox"][3] > 49.5  # Meurthe-et-Moselle reaches Longwy
    assert client.get(f"{ROADMAP}/use-cases/action-sociale").json()["zones"] == \
        ["fr:departement:54"]


def test_use_case_territory_from_a_drawn_area_or_both(client, world):
    drawn = use_case(client, world, title="Eau", zones=[], geometry=DRAWN)
    assert drawn["zones"] == [] and drawn["bbox"] == [6.55, 48.0, 6.65, 48.05]
    assert area(drawn["geometry"]) == pytest.approx(area(DRAWN))

    both = use_case(client, world, title="Mobilité", zones=["54395"], geometry=DRAWN)
    nancy = client.get("/api/v1/territories/54395").json()
    assert area(both["geometry"]) == pytest.approx(area(nancy["geometry"]) + area(DRAWN))
    assert both["bbox"][1] == 48.0 and both["bbox"][3] > 48.65

    # Changing the zones keeps the drawn area; removing both leaves no territory: refused.
    patched = client.patch(f"{ROADMAP}/use-cases/mobilite", json={"zones": []},
                           headers=world.headers("coordinator")).json()
    assert patched["zones"] == [] and patched["bbox"] == [6.55, 48.0, 6.65, 48.05]
    body = problem(client.patch(f"{ROADMAP}/use-cases/mobilite", json={"geometry": None},
                                headers=world.headers("coordinator")), 422)
    assert "territoire pertinent" in body["detail"]


def test_budget_lines_and_totals_are_exact(client, world):
    use_case(client, world)
    use_case(client, world, title="Eau potable", zones=["88160"])
    first = post(client, world, "/use-cases/collecte-des-dechets/budget-lines",
                 {"label": "Étude", "amount": 0.1, "funder": "Région Grand Est", "year": 2026})
    assert first["amount"] == "0.10" and first["year"] == 2026
    post(client, world, "/use-cases/collecte-des-dechets/budget-lines",
         {"label": "Capteurs", "amount": 0.2, "funder": "Région Grand Est"})
    post(client, world, "/use-cases/collecte-des-dechets/budget-lines",
         {"label": "Plateforme", "amount": "12000.50", "funder": "France 2030"})
    post(client, world, "/use-cases/eau-potable/budget-lines",
         {"label": "Animation", "amount": 0.1, "funder": " Région Grand Est "})

    roadmap = client.get(ROADMAP).json()
    assert roadmap["committee"] == {"slug": "comite-test", "name": "Comité de test"}
    totals = {u["slug"]: u["total"] for u in roadmap["use_cases"]}
    assert totals == {"collecte-des-dechets": "12000.80", "eau-potable": "0.10"}
    assert roadmap["totals_by_funder"] == {"France 2030": "12000.50",
                                           "Région Grand Est": "0.40"}
    assert roadmap["totals"]["budget"] == "12000.90"
    assert roadmap["totals"]["use_cases"] == 2

    response = client.delete(f"{ROADMAP}/use-cases/collecte-des-dechets/budget-lines/"
                             f"{first['id']}", headers=world.headers("coordinator"))
    assert response.status_code == 204
    assert client.get(f"{ROADMAP}/use-cases/collecte-des-dechets").json()["total"] == \
        "12000.70"
    problem(client.delete(f"{ROADMAP}/use-cases/eau-potable/budget-lines/{first['id']}",
                          headers=world.headers("coordinator")), 404)

    for amount in (-1, 0.123, "beaucoup", 1e15):
        problem(client.post(f"{ROADMAP}/use-cases/eau-potable/budget-lines",
                            json={"label": "x", "amount": amount, "funder": "État"},
                            headers=world.headers("coordinator")), 422)


def test_priority_datasets_lateness_is_derived(client, world):
    use_case(client, world)
    today = date.today()
    late = priority(client, world, "collecte-des-dechets", today - timedelta(days=1),
                    table_schema="SCDL-subventions")
    on_time = priority(client, world, "collecte-des-dechets", today + timedelta(days=30),
                       title="Équipements", responsible="ville-d-epinal", status="in_progress")
    done = priority(client, world, "collecte-des-dechets", today - timedelta(days=90),
                    title="Budget", status="published")
    assert late["late"] and late["status"] == "planned"
    assert late["table_schema"] == "scdl-subventions" and late["use_case"] == \
        "collecte-des-dechets"
    assert not on_time["late"] and on_time["responsible"]["slug"] == "ville-d-epinal"
    assert not done["late"]

    roadmap = client.get(ROADMAP).json()
    assert [d["id"] for d in roadmap["datasets"]] == [done["id"], late["id"], on_time["id"]]
    assert [d["id"] for d in roadmap["use_cases"][0]["datasets"]] == \
        [done["id"], late["id"], on_time["id"]]
    assert roadmap["totals"] | {"budget": None} == {
        "budget": None, "use_cases": 1, "datasets": 3, "published": 1, "late": 1}

    # Moving the due date ends the lateness; deleting the use case takes its datasets along.
    patched = client.patch(f"{ROADMAP}/datasets/{late['id']}",
                           json={"due": (today + timedelta(days=7)).isoformat()},
                           headers=world.headers("coordinator")).json()
    assert not patched["late"]
    assert client.delete(f"{ROADMAP}/use-cases/collecte-des-dechets",
                         headers=world.headers("coordinator")).status_code == 204
    assert client.get(ROADMAP).json()["datasets"] == []


def test_who_may_write_the_roadmap(client, world):
    body = {"title": "Déchets", "lead": "ville-de-nancy", "zones": ["54395"]}
    problem(client.post(f"{ROADMAP}/use-cases", json=body), 401)
    for who in ("publisher", "other_publisher", "vendor"):
        problem(client.post(f"{ROADMAP}/use-cases", json=body, headers=world.headers(who)), 403)
    use_case(client, world, **body)
    post(client, world, "/use-cases", {**body, "title": "Eau"}, who="admin")

    assert client.get(ROADMAP).status_code == 200
    assert client.get(f"{ROADMAP}/use-cases/dechets").json()["title"] == "Déchets"
    problem(client.patch(f"{ROADMAP}/use-cases/dechets", json={"status": "done"},
                         headers=world.headers("other_publisher")), 403)
    problem(client.delete(f"{ROADMAP}/use-cases/dechets"), 401)
    problem(client.post(f"{ROADMAP}/use-cases/dechets/budget-lines",
                        json={"label": "x", "amount": 1, "funder": "État"},
                        headers=world.headers("publisher")), 403)
    item = priority(client, world, "dechets", date(2027, 6, 30))
    problem(client.delete(f"{ROADMAP}/datasets/{item['id']}",
                          headers=world.headers("publisher")), 403)
    updated = client.patch(f"{ROADMAP}/use-cases/dechets", json={
        "status": "in_progress", "lead": "ville-d-epinal", "partners": ["ville-de-nancy"]},
        headers=world.headers("coordinator")).json()
    assert updated["status"] == "in_progress" and updated["lead"]["slug"] == "ville-d-epinal"
    assert [p["slug"] for p in updated["partners"]] == ["ville-de-nancy"]


def test_responsible_publisher_reports_progress(client, world):
    use_case(client, world)
    item = priority(client, world, "collecte-des-dechets", date(2020, 1, 1))
    path = f"{ROADMAP}/datasets/{item['id']}"
    nancy, epinal = world.headers("publisher"), world.headers("other_publisher")

    progress = client.patch(path, json={"status": "in_progress"}, headers=nancy).json()
    assert progress["status"] == "in_progress" and progress["late"]
    problem(client.patch(path, json={"title": "Autre chose"}, headers=nancy), 403)
    problem(client.patch(path, json={"status": "published"}, headers=epinal), 403)
    problem(client.patch(path, json={"status": "published"}), 401)

    for publisher, headers in (("ville-de-nancy", nancy), ("ville-d-epinal", epinal)):
        response = client.post("/api/v1/datasets", headers=headers, json={
            "title": f"Subventions {publisher}", "publisher": publisher, "state": "published"})
        assert response.status_code == 201, response.text
    body = problem(client.patch(path, json={"dataset": "subventions-ville-d-epinal"},
                                headers=nancy), 422)
    assert "ville-d-epinal" in body["detail"] and body["errors"][0]["field"] == "dataset"
    problem(client.patch(path, json={"dataset": "pas-de-tel-jeu"}, headers=nancy), 422)

    linked = client.patch(path, json={"dataset": "subventions-ville-de-nancy"},
                          headers=nancy).json()
    assert linked["status"] == "published" and not linked["late"]
    assert linked["dataset"] == {"slug": "subventions-ville-de-nancy",
                                 "title": "Subventions ville-de-nancy"}
    problem(client.patch(path, json={"status": "planned"}, headers=nancy), 422)
    problem(client.patch(path, json={"responsible": "ville-d-epinal"},
                         headers=world.headers("coordinator")), 422)
    unlinked = client.patch(path, json={"dataset": None, "status": "in_progress"},
                            headers=nancy).json()
    assert unlinked["dataset"] is None and unlinked["status"] == "in_progress"
    assert client.get(ROADMAP).json()["totals"]["late"] == 1


def test_roadmap_follows_deletions(client, world):
    use_case(client, world, lead="ville-d-epinal", partners=["donnees-conseil-sas"])
    item = priority(client, world, "collecte-des-dechets", date(2027, 6, 30))
    post(client, world, "/use-cases/collecte-des-dechets/budget-lines",
         {"label": "Étude", "amount": 10, "funder": "État"})
    admin = world.headers("admin")
    assert client.post("/api/v1/datasets", headers=admin, json={
        "title": "Subventions", "publisher": "ville-de-nancy", "state": "published"}
    ).status_code == 201
    assert client.patch(f"{ROADMAP}/datasets/{item['id']}", json={"dataset": "subventions"},
                        headers=admin).json()["dataset"]["slug"] == "subventions"
    assert client.delete("/api/v1/datasets/subventions", headers=admin).status_code == 204
    [shown] = client.get(ROADMAP).json()["datasets"]
    assert shown["dataset"] is None and shown["status"] == "published"

    # A partner goes with its organization; a lead keeps its organization.
    assert client.delete("/api/v1/organizations/donnees-conseil-sas",
                         headers=admin).status_code == 204
    assert client.get(f"{ROADMAP}/use-cases/collecte-des-dechets").json()["partners"] == []
    refused = problem(client.delete("/api/v1/organizations/ville-d-epinal", headers=admin),
                      409)
    assert "pilote du cas d'usage « Collecte des déchets »" in refused["detail"]
    # Nor can the lead, or the member responsible for a priority dataset, leave the committee
    # or become a mere observer.
    for path, method, body in (
            ("/members/ville-d-epinal", "DELETE", None),
            ("/members/ville-d-epinal?role=observer", "PUT", None),
            ("", "PATCH", {"members": [{"organization": "ville-de-nancy"}]})):
        left = problem(client.request(method, f"/api/v1/committees/comite-test{path}",
                                      json=body, headers=admin), 409)
        assert "reste membre du comité tant qu'il est pilote" in left["detail"], left
    assert client.delete("/api/v1/committees/comite-test", headers=admin).status_code == 204
    problem(client.get(ROADMAP), 404)


def test_errors_are_problems(client, world):
    problem(client.get("/api/v1/committees/pas-de-comite/roadmap"), 404)
    problem(client.get(f"{ROADMAP}/use-cases/inconnu"), 404)
    use_case(client, world)
    body = problem(client.post(f"{ROADMAP}/use-cases", headers=world.headers("coordinator"),
                               json={"title": "Autre", "slug": "collecte-des-dechets",
                                     "lead": "ville-de-nancy", "zones": ["54395"]}), 409)
    assert "existe déjà" in body["detail"]
    # Without an explicit slug, a free one is made.
    assert use_case(client, world)["slug"] == "collecte-des-dechets-2"
    problem(client.patch(f"{ROADMAP}/use-cases/collecte-des-dechets-2",
                         json={"slug": "collecte-des-dechets"},
                         headers=world.headers("coordinator")), 409)

    def refused(path: str, body: dict, field: str, method: str = "POST") -> str:
        response = client.request(method, ROADMAP + path, json=body,
                                  headers=world.headers("coordinator"))
        found = problem(response, 422)
        assert found["errors"][0]["field"] == field, found
        return found["detail"]

    base = {"title": "Eau", "lead": "ville-de-nancy", "zones": ["54395"]}
    assert "n'est pas membre" in refused("/use-cases", {**base, "lead": "donnees-conseil-sas"},
                                         "lead")
    assert "Territoire inconnu" in refused("/use-cases", {**base, "zones": ["99999"]}, "zones")
    refused("/use-cases", {**base, "zones": ["n'importe quoi"]}, "zones")
    refused("/use-cases", {**base, "zones": [], "geometry": {"type": "Polygon"}}, "geometry")
    refused("/use-cases", {**base, "partners": ["inconnue"]}, "partners")
    refused("/use-cases", {**base, "status": "fini"}, "status")
    refused("/use-cases", {**base, "budget": 3}, "budget")
    refused("/use-cases/collecte-des-dechets", {"title": None}, "title", "PATCH")

    item = {"use_case": "collecte-des-dechets", "title": "Subventions",
            "responsible": "ville-de-nancy", "due": "2027-06-30"}
    refused("/datasets", {**item, "use_case": "inconnu"}, "use_case")
    refused("/datasets", {**item, "responsible": "donnees-conseil-sas"}, "responsible")
    assert "scdl-subventions" in refused("/datasets", {**item, "table_schema": "inventé"},
                                         "table_schema")
    refused("/datasets", {**item, "dataset": "inconnu"}, "dataset")
    refused("/datasets", {**item, "due": "bientôt"}, "due")
    for missing in (999999, 2**40):
        problem(client.patch(f"{ROADMAP}/datasets/{missing}", json={"status": "planned"},
                             headers=world.headers("coordinator")), 404)
    problem(client.delete(f"{ROADMAP}/use-cases/collecte-des-dechets/budget-lines/2147483648",
                          headers=world.headers("coordinator")), 404)


def ctd(*args: str, code: int = 0):
    result = runner.invoke(app, ["roadmap", *args])
    assert result.exit_code == code, result.output
    return result


def test_cli_roadmap(world, tmp_path):
    drawn = tmp_path / "zone.geojson"
    drawn.write_text(json.dumps({"type": "Feature", "properties": {}, "geometry": DRAWN}))
    assert "collecte-des-dechets" in ctd(
        "add-use-case", "comite-test", "--title", "Collecte des déchets",
        "--lead", "ville-de-nancy", "--zone", "54395", "--zone", "88160",
        "--geometry", str(drawn), "--partner", "ville-d-epinal").output
    ctd("add-budget", "comite-test", "collecte-des-dechets", "--label", "Étude",
        "--amount", "12000.50", "--funder", "Région Grand Est", "--year", "2026")
    ctd("add-budget", "comite-test", "collecte-des-dechets", "--label", "Capteurs",
        "--amount", "0.20", "--funder", "France 2030")
    created = ctd("add-dataset", "comite-test", "--use-case", "collecte-des-dechets",
                  "--title", "Points de collecte", "--responsible", "ville-de-nancy",
                  "--due", "2027-06-30", "--schema", "scdl-equipements").output
    item_id = created.split("n° ")[1].strip()
    assert "in_progress" in ctd("set-dataset", "comite-test", item_id,
                                "--status", "in_progress").output

    roadmap = json.loads(ctd("show", "comite-test", "--format", "json").stdout)
    [uc] = roadmap["use_cases"]
    assert uc["zones"] == ["fr:commune:54395", "fr:commune:88160"]
    assert uc["drawn_geometry"]["type"] == "Polygon" and uc["total"] == "12000.70"
    assert [p["slug"] for p in uc["partners"]] == ["ville-d-epinal"]
    assert roadmap["totals_by_funder"] == {"France 2030": "0.20",
                                           "Région Grand Est": "12000.50"}
    [item] = roadmap["datasets"]
    assert item["status"] == "in_progress" and item["table_schema"] == "scdl-equipements"
    table = ctd("show", "comite-test").output
    assert "Total : 12000.70 €" in table and "France 2030 : 0.20 €" in table

    assert "n'est pas membre" in ctd("add-use-case", "comite-test", "--title", "Eau",
                                     "--lead", "donnees-conseil-sas", "--zone", "54395",
                                     code=1).output
    assert "données invalides" in ctd("add-budget", "comite-test", "collecte-des-dechets",
                                      "--label", "x", "--amount", "-5", "--funder", "État",
                                      code=1).output
    assert "Comité inconnu" in ctd("show", "pas-de-comite", code=1).output
    assert "territoire pertinent" in ctd("add-use-case", "comite-test", "--title", "Eau",
                                         "--lead", "ville-de-nancy", code=1).output
    assert "prioritaire inconnu" in ctd("set-dataset", "comite-test", "424242",
                                        "--status", "planned", code=1).output
    assert "rien à modifier" in ctd("set-dataset", "comite-test", item_id, code=1).output
    assert "Traceback" not in ctd("add-use-case", "comite-test", "--title", "Eau",
                                  "--lead", "ville-de-nancy", "--geometry",
                                  str(tmp_path / "absente.geojson"), code=1).output


def test_demo_roadmap_on_an_epci(client, demo):
    """The Lorraine committee: a use case on the Grand Nancy (EPCI SIREN), a priority dataset
    already published by the département."""
    ctd("add-use-case", "ctd-lorraine", "--title", "Prévention des déchets",
        "--lead", "grand-nancy", "--zone", "245400676", "--partner", "prefecture-grand-est")
    ctd("add-dataset", "ctd-lorraine", "--use-case", "prevention-des-dechets",
        "--title", "Subventions aux associations", "--responsible", "departement-54",
        "--due", "2020-01-01", "--schema", "scdl-subventions")
    roadmap = client.get("/api/v1/committees/ctd-lorraine/roadmap").json()
    [uc] = [u for u in roadmap["use_cases"] if u["slug"] == "prevention-des-dechets"]
    [item] = [i for i in roadmap["datasets"] if i["use_case"] == "prevention-des-dechets"]
    assert uc["zones"] == ["fr:epci:245400676"] and item["late"]
    assert uc["bbox"] == client.get("/api/v1/organizations/grand-nancy").json()["bbox"]
    assert "publié par" in ctd("set-dataset", "ctd-lorraine", str(item["id"]), "--dataset",
                               "subventions-ville-de-nancy", code=1).output
    ctd("set-dataset", "ctd-lorraine", str(item["id"]), "--dataset",
        "subventions-departement-54")
    roadmap = client.get("/api/v1/committees/ctd-lorraine/roadmap").json()
    [item] = [i for i in roadmap["datasets"] if i["id"] == item["id"]]
    assert item["status"] == "published" and not item["late"]


def test_datasets_relevant_to_a_use_case_territory(client, world):
    def dataset(title: str, publisher: str, who: str, **fields) -> str:
        made = client.post("/api/v1/datasets", headers=world.headers(who), json={
            "title": title, "publisher": publisher, "state": "published", **fields})
        assert made.status_code == 201, made.text
        return made.json()["slug"]

    nancy = dataset("Collecte des ordures ménagères", "ville-de-nancy", "publisher")
    epinal = dataset("Déchèteries d'Épinal", "ville-d-epinal", "other_publisher")
    drawn = dataset("Points d'apport volontaire", "ville-d-epinal", "other_publisher",
                    spatial={"geometry": DRAWN})
    use_case(client, world, slug="dechets-nancy", zones=["54395"])
    use_case(client, world, title="Déchets vosgiens", slug="dechets-vosges", zones=[],
             geometry=DRAWN)

    def found(uc: str, **params) -> list[str]:
        response = client.get(f"{ROADMAP}/use-cases/{uc}/datasets", params=params)
        assert response.status_code == 200, response.text
        return [d["slug"] for d in response.json()["datasets"]]

    assert found("dechets-nancy") == [nancy]
    assert found("dechets-vosges") == [drawn]
    assert epinal not in found("dechets-nancy") + found("dechets-vosges")
    assert found("dechets-nancy", q="piscine") == []
    problem(client.get(f"{ROADMAP}/use-cases/inconnu/datasets"), 404)
