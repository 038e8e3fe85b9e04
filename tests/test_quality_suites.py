"""Great Expectations suites of datasets: a suite stored through the API (a broken one is a
problem), run by ``ctd quality run`` on the dataset's files with the result stored, and
ctd's own checks exported as a suite that GX runs unchanged."""

from __future__ import annotations

import json

from sqlmodel import select
from typer.testing import CliRunner

from catalogue import db
from catalogue.cli import app
from catalogue.models import Dataset, Resource
from quality import reports
from quality.models import QualityReport, ReportKind, ReportStatus

PROBLEM = "application/problem+json"
CSV = ("code_insee;commune;population\n01053;Bourg-en-Bresse;41000\n2A004;Ajaccio;70000\n"
       "54395;Nancy;104000\n88160;Épinal;31000\n").encode()


def suite(*expectations: dict) -> dict:
    return {"name": "communes", "expectations": list(expectations), "meta": {}}


def not_null(column: str) -> dict:
    return {"type": "expect_column_values_to_not_be_null", "kwargs": {"column": column}}


def regex(column: str, pattern: str) -> dict:
    return {"type": "expect_column_values_to_match_regex",
            "kwargs": {"column": column, "regex": pattern}}


def publish(client, world, content: bytes = CSV) -> tuple[str, int]:
    headers = world.headers("publisher")
    response = client.post("/api/v1/datasets", headers=headers, json={
        "slug": "communes", "title": "Communes", "publisher": "ville-de-nancy",
        "state": "published", "licence": "fr-lo-2.0"})
    assert response.status_code == 201, response.text
    response = client.post("/api/v1/datasets/communes/resources/upload", headers=headers,
                           files={"file": ("communes.csv", content)})
    assert response.status_code == 201, response.text
    return "communes", response.json()["id"]


def scan(resource_id: int) -> None:
    with db.session_scope() as session:
        resource = session.get(Resource, resource_id)
        dataset = session.get(Dataset, resource.dataset_id)
        reports.scan_now(session, resource, dataset)


def test_a_suite_is_stored_only_when_gx_can_load_it(client, world):
    slug, _ = publish(client, world)
    headers = world.headers("publisher")
    assert client.get(f"/api/v1/datasets/{slug}/expectations").status_code == 404
    bad = suite({"type": "expect_column_values_to_be_purple", "kwargs": {"column": "commune"}})
    response = client.put(f"/api/v1/datasets/{slug}/expectations", headers=headers, json=bad)
    assert response.status_code == 422
    assert response.headers["content-type"].startswith(PROBLEM)
    assert "purple" in response.json()["detail"]
    good = suite(not_null("commune"), regex("code_insee", r"^(?:\d{5}|2[AB]\d{3})$"))
    response = client.put(f"/api/v1/datasets/{slug}/expectations", json=good,
                          headers=world.headers("other_publisher"))
    assert response.status_code == 403
    response = client.put(f"/api/v1/datasets/{slug}/expectations", headers=headers, json=good)
    assert response.status_code == 200, response.text
    stored = client.get(f"/api/v1/datasets/{slug}/expectations").json()
    assert [e["type"] for e in stored["suite"]["expectations"]] == [
        "expect_column_values_to_not_be_null", "expect_column_values_to_match_regex"]
    assert stored["updated_by"] == "publisher"


def test_ctd_quality_run_executes_the_suite_and_stores_the_result(client, world, tmp_path):
    slug, resource_id = publish(client, world)
    path = tmp_path / "suite.json"
    # Codes keep their zeros (01053) and Corsica's letters (2A004): the regex holds; the
    # population of two is under 50,000.
    path.write_text(json.dumps(suite(
        regex("code_insee", r"^(?:\d{5}|2[AB]\d{3})$"),
        {"type": "expect_column_values_to_be_between",
         "kwargs": {"column": "population", "min_value": 50000}})))
    result = CliRunner().invoke(app, ["quality", "run", slug, "--suite", str(path)])
    assert result.exit_code == 1, result.output
    assert "2 attente(s) évaluée(s)" in result.output
    assert "expect_column_values_to_be_between (population) : 2 valeur(s)" in result.output
    with db.session_scope() as session:
        stored = session.exec(select(QualityReport).where(
            QualityReport.kind == ReportKind.expectations)).one()
        assert stored.resource_id == resource_id and stored.status == ReportStatus.done
        assert stored.body["engine"] == "great_expectations"
        assert [r["success"] for r in stored.body["results"]] == [True, False]
    shown = client.get(f"/api/v1/datasets/{slug}/quality").json()
    assert shown["resources"][0]["expectations"]["report"]["success"] is False


def test_ctd_quality_run_without_a_suite_or_a_file_is_a_french_error(client, world):
    slug, _ = publish(client, world)
    result = CliRunner().invoke(app, ["quality", "run", slug])
    assert result.exit_code == 1 and "n'a pas de suite d'attentes" in result.output


def test_ctd_checks_exported_as_a_suite_run_unchanged_in_gx(client, world, tmp_path):
    slug, resource_id = publish(client, world)
    assert client.get(f"/api/v1/resources/{resource_id}/expectations").status_code == 409
    scan(resource_id)
    response = client.get(f"/api/v1/resources/{resource_id}/expectations")
    assert response.status_code == 200, response.text
    exported = response.json()
    assert exported["expectations"] and all("ctd" in e["meta"] for e in exported["expectations"])
    path = tmp_path / "export.json"
    path.write_text(json.dumps(exported))
    result = CliRunner().invoke(app, ["quality", "run", slug, "--suite", str(path)])
    assert result.exit_code == 0, result.output
    assert "toutes satisfaites" in result.output
    result = CliRunner().invoke(app, ["quality", "export", str(resource_id)])
    assert result.exit_code == 0 and json.loads(result.output) == exported
