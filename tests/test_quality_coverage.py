"""The reference-data coverage matrix of a committee, end to end: datasets created and files
uploaded through the HTTP API, their scans run for real, the matrix read as JSON and CSV by
the public and through ``ctd quality coverage``; and on the demo committee."""

from __future__ import annotations

import csv
import io
import json

import pytest
from sqlmodel import select
from typer.testing import CliRunner

from catalogue import db
from catalogue.cli import app
from catalogue.models import Dataset
from quality import background, coverage, reports
from quality.models import QualityReport, ReportKind
from quality.schema import load_schema

PROBLEM = "application/problem+json"
LABELS = ["Subventions", "Délibérations", "Budget", "Équipements", "Menus collectifs",
          "Prénoms", "Infrastructures de recharge (IRVE)"]
SCHEMAS = ["scdl-subventions", "scdl-deliberations", "scdl-budget", "scdl-equipements",
           "scdl-menus-collectifs", "scdl-prenoms", "irve-statique"]
# Births in Nancy, as scdl/prenoms describes them.
PRENOMS = [["Nancy", "54395", "F", "Louise", "12", "2024"],
           ["Nancy", "54395", "M", "Gabriel", "15", "2024"],
           ["Nancy", "54395", "F", "Jade", "9", "2024"]]


@pytest.fixture(autouse=True)
def job_queue(monkeypatch, tmp_path) -> None:
    """The scans an upload queues go to a queue of this test's own, never consumed: the
    tests run them here with ``reports.run_scan``."""
    monkeypatch.setenv("CTD_JOBS_URL", f"sqlite:///{tmp_path / 'jobs.sqlite'}")
    background.install()


def to_csv(rows: list[list[str]]) -> bytes:
    out = io.StringIO()
    csv.writer(out, lineterminator="\n").writerows(rows)
    return out.getvalue().encode()


def fields(schema: str) -> list[dict]:
    return load_schema(schema)["fields"]


def subventions_file() -> bytes:
    """One subsidy, each field given the example value the schema itself documents."""
    spec = fields("scdl-subventions")
    return to_csv([[f["name"] for f in spec], [f["example"] for f in spec]])


def irve_file(irve_rows: list[list[str]]) -> bytes:
    """The official IRVE example with two broken cells: a SIREN of 8 digits (pattern) and a
    power with its unit (not a number)."""
    rows = [list(row) for row in irve_rows]
    rows[1][rows[0].index("siren_amenageur")] = "13002526"
    rows[2][rows[0].index("puissance_nominale")] = "22 kW"
    return to_csv(rows)


def create_dataset(client, headers: dict, slug: str, publisher: str = "ville-de-nancy",
                   **extra) -> None:
    body = {
        "slug": slug, "title": f"Jeu de données {slug}", "publisher": publisher,
        "licence": "fr-lo-2.0", "state": "published",
        "description": "Données publiées par la collectivité au format du Socle commun des "
                       "données locales, mises à jour chaque année.",
        "keywords": ["SCDL", "données de référence"], "themes": ["GOVE"],
        "frequency": "ANNUAL", "temporal": {"start": "2024-01-01", "end": "2024-12-31"},
        "contact_point": {"name": "Service données", "email": "donnees@nancy.fr"},
    } | extra
    response = client.post("/api/v1/datasets", json=body, headers=headers)
    assert response.status_code == 201, response.text


def upload_and_scan(client, headers: dict, slug: str, name: str, content: bytes) -> None:
    """Upload a file, then run for real the scan the upload queued."""
    response = client.post(f"/api/v1/datasets/{slug}/resources/upload", headers=headers,
                           files={"file": (name, content)},
                           data={"description": f"Le fichier {name}."})
    assert response.status_code == 201, response.text
    with db.session_scope() as session:
        pending = session.exec(select(QualityReport.id).where(
            QualityReport.resource_id == response.json()["id"],
            QualityReport.kind == ReportKind.resource)).one()
    reports.run_scan(pending)


def scores_of(slug: str) -> dict:
    with db.session_scope() as session:
        dataset = session.exec(select(Dataset).where(Dataset.slug == slug)).one()
        return reports.dataset_scores(session, dataset)


def assert_graded_as_dataset_scores(entry: dict) -> None:
    """The grades the matrix shows are those ``dataset_scores`` gives the dataset."""
    scores = scores_of(entry["slug"])
    assert entry["metadata"] == {k: scores["metadata"][k] for k in ("value", "grade")}
    assert entry["ai_fitness"] == {k: scores["ai_fitness"][k] for k in ("value", "grade", "band")}
    assert entry["verdict"] == scores["verdict"]["verdict"]
    assert entry["ai_training"] == scores["verdict"]["ai_training"]


@pytest.fixture
def published(client, world, irve_rows) -> None:
    """Nancy publishes subsidies (conforming), charging points (two errors), first names
    (no schema declared, recognised by the scan) and deliberations (no file yet); Épinal
    only has a draft; an observer of the committee publishes subsidies."""
    nancy, admin = world.headers("publisher"), world.headers("admin")
    create_dataset(client, nancy, "subventions-nancy",
                   table_schema={"name": "scdl-subventions"})
    upload_and_scan(client, nancy, "subventions-nancy", "subventions.csv", subventions_file())
    create_dataset(client, nancy, "bornes-nancy",
                   table_schema={"name": "etalab/schema-irve-statique", "version": "2.3.0"})
    upload_and_scan(client, nancy, "bornes-nancy", "irve.csv", irve_file(irve_rows))
    create_dataset(client, nancy, "prenoms-nancy")
    header = [f["name"] for f in fields("scdl-prenoms")]
    upload_and_scan(client, nancy, "prenoms-nancy", "prenoms.csv", to_csv([header, *PRENOMS]))
    create_dataset(client, nancy, "deliberations-nancy",
                   table_schema={"name": "scdl/deliberations", "version": "2.1.5"})
    create_dataset(client, world.headers("other_publisher"), "budget-epinal",
                   publisher="ville-d-epinal", state="draft",
                   table_schema={"name": "scdl-budget"})
    observer = client.put("/api/v1/committees/comite-test/members/donnees-conseil-sas",
                          params={"role": "observer"}, headers=admin)
    assert observer.status_code == 200, observer.text
    create_dataset(client, admin, "subventions-conseil", publisher="donnees-conseil-sas",
                   table_schema={"name": "scdl-subventions"})


def cells_of(table: dict, member: str) -> dict[str, dict]:
    row = next(row for row in table["members"] if row["slug"] == member)
    return {cell["schema"]: cell for cell in row["cells"]}


# The matrix


def test_each_member_and_reference_schema_has_a_cell(client, published):
    response = client.get("/api/v1/committees/comite-test/coverage")
    assert response.status_code == 200, response.text
    table = response.json()
    assert table["committee"] == {"slug": "comite-test", "name": "Comité de test"}
    assert [s["name"] for s in table["schemas"]] == SCHEMAS
    assert [s["label"] for s in table["schemas"]] == LABELS
    # Members only: the observer is not asked to publish, and its subsidies do not count.
    assert {row["slug"] for row in table["members"]} == {"ville-de-nancy", "ville-d-epinal"}
    assert all([c["schema"] for c in row["cells"]] == SCHEMAS for row in table["members"])
    # Nothing read from the files is quoted.
    assert "22 kW" not in response.text and "13002526" not in response.text

    nancy = cells_of(table, "ville-de-nancy")
    subsidies = nancy["scdl-subventions"]
    assert subsidies["published"] is True and subsidies["how"] == "declared"
    assert subsidies["conforms"] is True and subsidies["errors"] == 0
    assert subsidies["to_publish"] is None and subsidies["last_update"]
    [entry] = subsidies["datasets"]
    assert (entry["slug"], entry["title"]) == ("subventions-nancy",
                                               "Jeu de données subventions-nancy")
    assert entry["how"] == "declared" and entry["files_checked"] == 1
    assert_graded_as_dataset_scores(entry)
    assert {k: subsidies[k] for k in ("metadata", "ai_fitness", "verdict", "last_update")} == \
        {k: entry[k] for k in ("metadata", "ai_fitness", "verdict", "last_update")}
    assert subsidies["metadata"]["grade"] in "ABCDE" and subsidies["verdict"] == "open"

    charging = nancy["irve-statique"]
    assert charging["published"] is True and charging["how"] == "declared"
    assert charging["conforms"] is False and charging["errors"] == 2
    assert [d["slug"] for d in charging["datasets"]] == ["bornes-nancy"]
    assert_graded_as_dataset_scores(charging["datasets"][0])

    names = nancy["scdl-prenoms"]
    assert names["published"] is True and names["how"] == "detected"
    assert names["conforms"] is True and names["errors"] == 0
    assert names["datasets"][0]["slug"] == "prenoms-nancy"
    assert_graded_as_dataset_scores(names["datasets"][0])

    deliberations = nancy["scdl-deliberations"]
    assert deliberations["published"] is True and deliberations["how"] == "declared"
    assert deliberations["conforms"] is None and deliberations["errors"] is None
    assert deliberations["datasets"][0]["files_checked"] == 0

    budget = nancy["scdl-budget"]
    assert budget["published"] is False and budget["datasets"] == []
    assert budget["conforms"] is budget["metadata"] is budget["last_update"] is None
    assert budget["to_publish"] == {
        "schema": "scdl/budget",
        "title": "SCDL Budget des collectivités et établissements publics locaux",
        "url": "https://schema.data.gouv.fr/scdl/budget",
        "action": "Publiez votre budget au format du schéma SCDL Budget des collectivités et "
                  "établissements publics locaux",
        "message": "Publiez votre budget au format du schéma SCDL Budget des collectivités et "
                   "établissements publics locaux : https://schema.data.gouv.fr/scdl/budget"}

    # Épinal's draft does not count: every cell says what to publish.
    epinal = cells_of(table, "ville-d-epinal")
    assert not any(cell["published"] for cell in epinal.values())
    assert epinal["scdl-subventions"]["to_publish"]["message"] == (
        "Publiez vos subventions au format du schéma SCDL Subventions : "
        "https://schema.data.gouv.fr/scdl/subventions")
    assert epinal["irve-statique"]["to_publish"]["url"] == \
        "https://schema.data.gouv.fr/etalab/schema-irve-statique"
    assert epinal["irve-statique"]["to_publish"]["title"] == "IRVE statique"


def test_counts_per_member_per_schema_and_overall(client, published):
    table = client.get("/api/v1/committees/comite-test/coverage").json()
    members = {row["slug"]: row for row in table["members"]}
    assert {k: members["ville-de-nancy"][k] for k in (
        "published", "conforming", "not_conforming", "not_scanned", "coverage")} == {
        "published": 4, "conforming": 2, "not_conforming": 1, "not_scanned": 1,
        "coverage": 0.571}
    assert members["ville-d-epinal"]["published"] == 0
    assert members["ville-d-epinal"]["coverage"] == 0.0
    schemas = {s["name"]: s for s in table["schemas"]}
    assert schemas["scdl-subventions"]["published"] == 1
    assert schemas["scdl-subventions"]["coverage"] == 0.5
    assert schemas["scdl-subventions"]["url"] == "https://schema.data.gouv.fr/scdl/subventions"
    assert schemas["irve-statique"]["not_conforming"] == 1
    assert schemas["scdl-budget"]["published"] == 0
    assert table["totals"] == {"members": 2, "schemas": 7, "cells": 14, "published": 4,
                               "conforming": 2, "not_conforming": 1, "not_scanned": 1,
                               "coverage": 0.286}


def test_the_matrix_as_csv(client, published):
    response = client.get("/api/v1/committees/comite-test/coverage.csv")
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith("text/csv")
    assert response.headers["content-disposition"] == \
        'attachment; filename="couverture-comite-test.csv"'
    rows = list(csv.DictReader(io.StringIO(response.text)))
    assert len(rows) == 14
    assert list(rows[0]) == list(coverage.CSV_COLUMNS)
    by_cell = {(row["member"], row["schema"]): row for row in rows}
    subsidies = by_cell[("ville-de-nancy", "scdl-subventions")]
    scores = scores_of("subventions-nancy")
    assert subsidies["member_name"] == "Ville de Nancy" and subsidies["label"] == "Subventions"
    assert (subsidies["published"], subsidies["how"], subsidies["datasets"]) == (
        "oui", "declared", "subventions-nancy")
    assert (subsidies["conforms"], subsidies["errors"]) == ("oui", "0")
    assert subsidies["metadata_score"] == str(scores["metadata"]["value"])
    assert subsidies["metadata_grade"] == scores["metadata"]["grade"]
    assert subsidies["ai_fitness_score"] == str(scores["ai_fitness"]["value"])
    assert subsidies["verdict"] == "open" and subsidies["last_update"]
    assert subsidies["to_publish"] == ""
    charging = by_cell[("ville-de-nancy", "irve-statique")]
    assert (charging["conforms"], charging["errors"]) == ("non", "2")
    assert by_cell[("ville-de-nancy", "scdl-deliberations")]["conforms"] == ""
    missing = by_cell[("ville-d-epinal", "scdl-subventions")]
    assert (missing["published"], missing["datasets"], missing["metadata_score"]) == (
        "non", "", "")
    assert missing["to_publish"].startswith("Publiez vos subventions au format du schéma")


def test_an_unknown_committee_is_a_404_problem(client, world):
    for path in ("/api/v1/committees/inconnu/coverage", "/api/v1/committees/inconnu/coverage.csv"):
        response = client.get(path)
        assert response.status_code == 404, response.text
        assert response.headers["content-type"].startswith(PROBLEM)
        assert "inconnu" in response.json()["detail"]


def test_ctd_quality_coverage(client, published):
    runner = CliRunner()
    as_json = runner.invoke(app, ["quality", "coverage", "comite-test", "--format", "json"])
    assert as_json.exit_code == 0, as_json.output
    from_cli = json.loads(as_json.output)
    from_api = client.get("/api/v1/committees/comite-test/coverage").json()
    assert {k: v for k, v in from_cli.items() if k != "generated"} == \
        {k: v for k, v in from_api.items() if k != "generated"}

    as_csv = runner.invoke(app, ["quality", "coverage", "comite-test", "--format", "csv"])
    assert as_csv.exit_code == 0, as_csv.output
    assert len(list(csv.DictReader(io.StringIO(as_csv.output)))) == 14

    as_table = runner.invoke(app, ["quality", "coverage", "comite-test"],
                             env={"COLUMNS": "200"})
    assert as_table.exit_code == 0, as_table.output
    assert "Ville de Nancy" in as_table.output and "Prénoms" in as_table.output
    assert "4 publication(s) sur 14 attendue(s)" in as_table.output
    assert "Publiez vos subventions au format du schéma SCDL Subventions" in as_table.output

    unknown = runner.invoke(app, ["quality", "coverage", "inconnu"])
    assert unknown.exit_code == 1 and "Comité inconnu" in unknown.output


# Schema names and addresses


@pytest.mark.parametrize(("ref", "name"), [
    ("scdl-subventions", "scdl-subventions"),
    ("scdl/subventions@2.1.1", "scdl-subventions"),
    ("etalab/schema-irve-statique", "irve-statique"),
    ("https://schema.data.gouv.fr/scdl/subventions/", "scdl-subventions"),
    ("https://schema.data.gouv.fr/schemas/scdl/budget/0.8.3/schema.json", "scdl-budget"),
    ("https://gitlab.com/opendatafrance/scdl/prenoms/raw/v1.1.5/schema.json", "scdl-prenoms"),
    ("https://raw.githubusercontent.com/etalab/schema-irve/v2.2.0/statique/"
     "schema-statique.json", "irve-statique"),
    ("https://raw.githubusercontent.com/etalab/schema-irve/v2.3.0/dynamique/"
     "schema-dynamique.json", None),
    ("scdl/catalogue", None),
    ("inferred", None),
    (None, None),
])
def test_a_schema_is_known_by_its_names_and_addresses(ref, name):
    assert coverage.reference_of(ref) == name


# The demo


def test_the_demo_committee_has_a_row_per_member(client, demo):
    with db.session_scope() as session:
        pending = session.exec(select(QualityReport.id).join(
            Dataset, Dataset.id == QualityReport.dataset_id).where(
            QualityReport.kind == ReportKind.resource,
            Dataset.slug.like("%-grand-nancy"))).all()
    for report_id in pending:
        reports.run_scan(report_id)
    response = client.get("/api/v1/committees/ctd-lorraine/coverage")
    assert response.status_code == 200, response.text
    table = response.json()
    # The six members; the prefecture is an observer.
    assert {row["slug"] for row in table["members"]} == {
        "grand-nancy", "ville-de-nancy", "metz-metropole", "ville-de-metz", "departement-54",
        "ville-d-epinal"}
    grand_nancy = cells_of(table, "grand-nancy")
    assert [s for s, cell in grand_nancy.items() if cell["published"]] == [
        "scdl-subventions", "scdl-deliberations", "scdl-budget", "scdl-equipements",
        "scdl-menus-collectifs", "irve-statique"]
    assert all(cell["conforms"] is True for cell in grand_nancy.values() if cell["published"])
    assert grand_nancy["scdl-prenoms"]["to_publish"]["url"] == \
        "https://schema.data.gouv.fr/scdl/prenoms"
    # The other members' files are not scanned yet.
    assert cells_of(table, "ville-de-metz")["scdl-subventions"]["conforms"] is None
    for row in table["members"]:
        for cell in row["cells"]:
            for entry in cell["datasets"]:
                assert_graded_as_dataset_scores(entry)
    assert table["totals"]["members"] == 6 and table["totals"]["cells"] == 42
    assert table["totals"]["conforming"] == 6
