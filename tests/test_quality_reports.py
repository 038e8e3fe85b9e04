"""Stored quality reports end to end: uploads and harvested files scanned in the background
by real Huey consumers (SQLite and Redis storages), the dataset's scores and history through
the HTTP API, who may ask for a scan and who sees the values, hostile files, an unreachable
queue, and the ``ctd score`` / ``ctd quality`` commands."""

from __future__ import annotations

import hashlib
import json
import os
import struct
import subprocess
import sys
import time
import zlib
from dataclasses import dataclass
from pathlib import Path

import pytest
import redis
from portals import serve
from portals.ckan import CkanPortal
from sqlmodel import select
from typer.testing import CliRunner

from catalogue import db, jobs
from catalogue.auth import OPERATOR
from catalogue.cli import app
from catalogue.models import Resource
from connectors import harvest, sources
from connectors.models import HarvestSource, JobStatus
from connectors.schemas import SourceConfig, SourceCreate
from quality import background, rubric
from quality.models import QualityReport, ReportKind, ReportStatus

REDIS_URL = "redis://127.0.0.1:6379/11"
CTD = Path(sys.executable).parent / "ctd"
PROBLEM = "application/problem+json"
WAIT = 30

# A file following scdl/subventions (schema.data.gouv.fr), every cell filled.
SUBVENTIONS = """\
nomAttribuant;idAttribuant;dateConvention;referenceDecision;nomBeneficiaire;idBeneficiaire;\
rnaBeneficiaire;objet;montant;nature;conditionsVersement;datesPeriodeVersement;idRAE;\
notificationUE;pourcentageSubvention;dispositifAide
Ville de Nancy;21540395700017;2024-02-12;DEL-2024-011;Association Jeunesse Nancy;\
44306184100025;W543001234;Centre de loisirs d'été;12500.5;aide en numéraire;unique;\
2024-03-01;A1;non;0.4;Politique de la ville
Ville de Nancy;21540395700017;2024-03-04;DEL-2024-027;Club sportif du Haut-du-Lièvre;\
50123456700018;W543004321;Tournoi régional de handball;3000;aide en nature;échelonné;\
2024-04-01/2024-09-30;B2;non;0.25;Sport pour tous
Ville de Nancy;21540395700017;2024-05-21;DEL-2024-052;Compagnie théâtrale Stanislas;\
79865432100044;W543009876;Festival de théâtre de rue;8000;aide en numéraire;unique;\
2024-06-15;C3;oui;0.8;Culture
Ville de Nancy;21540395700017;2024-06-10;DEL-2024-064;Banque alimentaire de la Meurthe;\
31245678900012;W543005555;Distribution de colis;15000;aide en numéraire;échelonné;\
2024-07-01/2024-12-31;D4;non;0.6;Solidarité
""".encode()
# Codes with their leading zeros and Corsica's letters.
CODES = (b"code_insee;code_postal;commune;population\n"
         b"01053;01000;Bourg-en-Bresse;41000\n"
         b"2A004;20000;Ajaccio;70000\n"
         b"08105;08000;Charleville-M\xc3\xa9zi\xc3\xa8res;46000\n"
         b"54395;54000;Nancy;104000\n")
# The same postal codes once a spreadsheet typed them as numbers.
LOST_ZEROS = (b"code_postal;commune\n8000;Charleville-M\xc3\xa9zi\xc3\xa8res\n1000;Bourg\n"
              b"54000;Nancy\n75001;Paris\n")
# Schools: repeated values (so with top values) and an extra cell in row 5.
SCHOOLS = ("code_insee;commune;type\n54395;Nancy;maternelle\n54395;Nancy;élémentaire\n"
           "01053;Bourg-en-Bresse;maternelle\n88160;Épinal;maternelle;en trop\n").encode()
# Row 3 misses a cell, row 4 has one too many (the header is row 1).
RAGGED = b"a;b;c\n1;2;3\n4;5\n6;7;8;9\n10;11;12\n"
# Bytes that are neither UTF-8 nor cp1252 (0x81 is unassigned in cp1252).
BAD_BYTES = b"nom;ville\nA;caf\xe9\nB;ok\nC;\x81\x8d\n"


def png() -> bytes:
    """A real 1×1 PNG image."""
    def chunk(kind: bytes, data: bytes) -> bytes:
        return (struct.pack(">I", len(data)) + kind + data
                + struct.pack(">I", zlib.crc32(kind + data)))
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", 1, 1, 8, 2, 0, 0, 0))
            + chunk(b"IDAT", zlib.compress(b"\x00\xff\x00\x00")) + chunk(b"IEND", b""))


# Fixtures and helpers


@pytest.fixture(autouse=True)
def job_queue(monkeypatch, tmp_path) -> str:
    """Jobs queued by a test stay in a queue of its own (none is consumed unless a test starts
    consumers on it)."""
    url = f"sqlite:///{tmp_path / 'jobs.sqlite'}"
    monkeypatch.setenv("CTD_JOBS_URL", url)
    background.install()
    return url


def start_workers(monkeypatch, storage: str, job_queue: str) -> jobs.InProcessWorkers:
    if storage == "redis":
        redis.Redis.from_url(REDIS_URL).flushdb()
        monkeypatch.setenv("CTD_JOBS_URL", REDIS_URL)
    else:
        monkeypatch.setenv("CTD_JOBS_URL", job_queue)
    workers = jobs.InProcessWorkers(workers=2)
    workers.start()
    return workers


@pytest.fixture(params=["sqlite", "redis"])
def consumer(request, monkeypatch, job_queue):
    """Background consumers in threads, on the job storage of the parameter."""
    workers = start_workers(monkeypatch, request.param, job_queue)
    yield request.param
    workers.stop()


@pytest.fixture
def sqlite_consumer(monkeypatch, job_queue):
    workers = start_workers(monkeypatch, "sqlite", job_queue)
    yield
    workers.stop()


def create_dataset(client, headers, slug: str, **fields) -> dict:
    body = {
        "slug": slug, "title": f"Subventions aux associations ({slug})",
        "publisher": "ville-de-nancy", "licence": "fr-lo-2.0", "state": "published",
        "description": "Subventions versées par la Ville de Nancy aux associations en 2024 : "
                       "bénéficiaires, objets, montants et périodes de versement, "
                       "au format du SCDL.",
        "keywords": ["subventions", "associations"], "themes": ["ECON"],
        "frequency": "ANNUAL", "temporal": {"start": "2024-01-01", "end": "2024-12-31"},
        "contact_point": {"name": "Service données", "email": "donnees@nancy.fr"},
    } | fields
    response = client.post("/api/v1/datasets", json=body, headers=headers)
    assert response.status_code == 201, response.text
    return response.json()


def upload(client, headers, slug: str, name: str, content: bytes, **form) -> dict:
    response = client.post(f"/api/v1/datasets/{slug}/resources/upload", headers=headers,
                           files={"file": (name, content)},
                           data={"description": f"Le fichier {name}."} | form)
    assert response.status_code == 201, response.text
    return response.json()


def quality(client, slug: str, headers: dict | None = None) -> dict:
    response = client.get(f"/api/v1/datasets/{slug}/quality", headers=headers or {})
    assert response.status_code == 200, response.text
    return response.json()


def wait_for_reports(client, headers, slug: str, resource_ids: list[int],
                     timeout: float = WAIT) -> dict:
    """Poll the dataset's quality until each resource has a finished report and no scan is
    under way; the last quality page."""
    deadline = time.monotonic() + timeout
    while True:
        page = quality(client, slug, headers)
        items = {r["resource_id"]: r for r in page["resources"]}
        if all(items[i]["report"] and not items[i]["scan_in_progress"] for i in resource_ids):
            return page
        if time.monotonic() > deadline:
            pytest.fail(f"the scans of {resource_ids} did not finish: {items}")
        time.sleep(0.1)


def item_of(page: dict, resource_id: int) -> dict:
    return next(r for r in page["resources"] if r["resource_id"] == resource_id)


def criterion(score: dict, id_: str) -> dict:
    return next(c for c in score["criteria"] if c["id"] == id_)


def assert_problem(response, status: int) -> dict:
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith(PROBLEM)
    body = response.json()
    assert body["status"] == status and body["detail"]
    return body


def assert_explained(score: dict, name: str) -> None:
    """A score with its value, grade and criteria, each explained, with a fix when below full
    marks."""
    assert score["name"] == name and score["rubric_version"] == rubric.VERSION
    assert isinstance(score["value"], int) and 0 <= score["value"] <= 100
    assert score["grade"] == rubric.grade(score["value"])
    assert score["criteria"]
    for c in score["criteria"]:
        assert c["label"] and c["explanation"], c
        if c["value"] is not None and c["value"] < 1:
            assert c["fix"], c


def reports_of(resource_id: int) -> list[QualityReport]:
    with db.session_scope() as session:
        return list(session.exec(select(QualityReport).where(
            QualityReport.resource_id == resource_id).order_by(QualityReport.id)))


# Uploads scanned in the background


def test_an_upload_is_scanned_in_the_background_and_its_dataset_scored(
        client, world, consumer):
    publisher = world.headers("publisher")
    dataset = create_dataset(client, publisher, "subventions-2024",
                             table_schema={"name": "scdl/subventions"})
    assert dataset["table_schema"]["name"] == "scdl/subventions"
    resource = upload(client, publisher, "subventions-2024", "subventions-2024.csv",
                      SUBVENTIONS)
    sha256 = hashlib.sha256(SUBVENTIONS).hexdigest()
    assert resource["sha256"] == sha256
    page = wait_for_reports(client, publisher, "subventions-2024", [resource["id"]])

    assert page["dataset"] == "subventions-2024"
    assert page["rubric_version"] == rubric.VERSION
    assert set(page["scores"]) == {"metadata", "ai_fitness", "minimisation", "verdict"}
    # Subsidies to associations: nothing personal, publishable as open data.
    assert page["scores"]["minimisation"]["value"] == 100
    assert page["scores"]["minimisation"]["resource_id"] == resource["id"]
    assert page["scores"]["verdict"]["verdict"] == "open"
    assert page["scores"]["verdict"]["ai_training"] == "allowed"
    assert_explained(page["scores"]["metadata"], "metadata")
    assert_explained(page["scores"]["ai_fitness"], "ai_fitness")
    ai = page["scores"]["ai_fitness"]
    assert ai["gate"]["id"] == "licence_gate" and ai["gate"]["value"] == 1.0
    assert ai["band"] == rubric.AI_BANDS[ai["grade"]] and ai["details"]["not_assessed"] == []
    # The declared schema is followed, so the file's interoperability is full.
    assert criterion(ai, "interoperability")["value"] == 1.0
    assert criterion(page["scores"]["metadata"], "schema")["value"] == 1.0

    item = item_of(page, resource["id"])
    assert item["scannable"] is True and item["scan_in_progress"] is False
    report = item["report"]
    assert report["status"] == "done" and report["message"] is None, report
    assert report["kind"] == "resource" and report["content_hash"] == sha256
    assert report["schema_ref"] == "scdl/subventions"
    assert report["rubric_version"] == rubric.VERSION and report["finished"]
    body = report["report"]
    assert body["file"]["sha256"] == sha256 and body["file"]["rows"] == 4
    assert body["file"]["columns"] == 16 and body["file"]["format"] == "csv"
    assert body["findings"] == [] and body["schema_error"] is None
    assert body["schema"]["ref"] == "scdl/subventions" and body["schema"]["origin"] == "declared"
    assert body["schema"]["valid"] is True
    columns = {c["name"]: c for c in body["profile"]["columns"]}
    assert columns["montant"]["type"] == "number" and columns["montant"]["max"]
    assert columns["dateConvention"]["type"] == "date"
    assert_explained(report["scores"]["ai_fitness"], "ai_fitness")

    kinds = [(h["kind"], h["resource_id"]) for h in page["history"]]
    assert ("resource", resource["id"]) in kinds and ("dataset", None) in kinds
    assert [h["id"] for h in page["history"]] == sorted(
        (h["id"] for h in page["history"]), reverse=True)
    latest_scores = next(h for h in page["history"] if h["kind"] == "dataset")["scores"]
    assert latest_scores["ai_fitness"] == {"value": ai["value"], "grade": ai["grade"]}

    shown = client.get(f"/api/v1/quality/reports/{report['id']}", headers=publisher)
    assert shown.status_code == 200 and shown.json() == report


def test_unchanged_content_is_not_scanned_again_unless_forced(client, world, sqlite_consumer):
    publisher = world.headers("publisher")
    create_dataset(client, publisher, "codes")
    resource = upload(client, publisher, "codes", "codes.csv", CODES)
    page = wait_for_reports(client, publisher, "codes", [resource["id"]])
    first = item_of(page, resource["id"])["report"]
    history = len(page["history"])

    again = client.post(f"/api/v1/resources/{resource['id']}/scan", headers=publisher)
    assert again.status_code == 200, again.text
    assert again.json()["id"] == first["id"] and again.json()["status"] == "done"

    forced = client.post(f"/api/v1/resources/{resource['id']}/scan", params={"force": True},
                         headers=publisher)
    assert forced.status_code == 202, forced.text
    second = forced.json()
    assert second["id"] > first["id"] and second["status"] in ("pending", "running", "done")
    assert second["content_hash"] == first["content_hash"]
    deadline = time.monotonic() + WAIT
    while (shown := client.get(f"/api/v1/quality/reports/{second['id']}",
                               headers=publisher).json())["status"] != "done":
        assert time.monotonic() < deadline, shown
        time.sleep(0.1)
    page = quality(client, "codes", publisher)
    assert item_of(page, resource["id"])["report"]["id"] == second["id"]
    assert len(page["history"]) > history
    scans = [h["id"] for h in page["history"] if h["kind"] == "resource"]
    assert {first["id"], second["id"]} <= set(scans)
    # The new report is the one an unchanged rescan gives back now.
    third = client.post(f"/api/v1/resources/{resource['id']}/scan", headers=publisher)
    assert third.status_code == 200 and third.json()["id"] == second["id"]


# Who may ask, who sees what


def test_only_the_datasets_publisher_may_ask_for_a_scan(client, world):
    publisher = world.headers("publisher")
    create_dataset(client, publisher, "codes")
    resource = upload(client, publisher, "codes", "codes.csv", CODES)
    path = f"/api/v1/resources/{resource['id']}/scan"
    for who in ("other_publisher", "vendor"):
        assert "droit" in assert_problem(client.post(path, headers=world.headers(who)),
                                         403)["detail"]
    anonymous = client.post(path)
    assert "Authentification" in assert_problem(anonymous, 401)["detail"]
    # The scan the upload asked for is still waiting for a consumer: it comes back.
    pending = client.post(path, headers=publisher)
    assert pending.status_code == 200, pending.text
    assert pending.json()["status"] == "pending"
    assert client.post(path, headers=world.headers("admin")).json()["id"] == pending.json()["id"]
    item = item_of(quality(client, "codes", publisher), resource["id"])
    assert item["scan_in_progress"] is True and item["report"] is None
    assert [r.status for r in reports_of(resource["id"])] == [ReportStatus.pending]


def test_the_public_sees_a_restricted_datasets_scores_but_not_its_values(
        client, world, sqlite_consumer):
    publisher = world.headers("publisher")
    create_dataset(client, publisher, "codes-restreints", access_type="restricted")
    resource = upload(client, publisher, "codes-restreints", "ecoles.csv", SCHOOLS)
    wait_for_reports(client, publisher, "codes-restreints", [resource["id"]])

    def report(headers: dict) -> dict:
        return item_of(quality(client, "codes-restreints", headers), resource["id"])["report"]

    full, public = report(publisher), report({})
    assert full["scores"] == public["scores"] and full["status"] == public["status"] == "done"
    assert full["report"]["findings"][0]["type"] == "extra-cell"
    assert "note" in full["report"]["findings"][0]
    assert public["report"]["findings"] == [
        {k: v for k, v in f.items() if k != "note"} for f in full["report"]["findings"]]
    insee = next(c for c in full["report"]["profile"]["columns"] if c["name"] == "code_insee")
    assert insee["min"] == "01053" and insee["top_values"][0] == ["54395", 2]
    for column in public["report"]["profile"]["columns"]:
        assert not {"min", "max", "top_values"} & set(column), column
        assert column["type"] and "null_rate" in column
    # The same through the report's own address, and for another publisher.
    for headers in ({}, world.headers("other_publisher"), world.headers("vendor")):
        shown = client.get(f"/api/v1/quality/reports/{full['id']}", headers=headers).json()
        assert shown["report"]["findings"] == public["report"]["findings"]
        assert shown["report"]["profile"] == public["report"]["profile"]
    assert client.get(f"/api/v1/quality/reports/{full['id']}",
                      headers=publisher).json() == full
    # The restricted access gates the dataset's AI-training fitness, as anyone sees.
    public_page = quality(client, "codes-restreints")
    assert public_page["scores"]["ai_fitness"]["details"]["usage"] == "agreement_only"
    gate = public_page["scores"]["ai_fitness"]["gate"]
    assert gate["value"] == rubric.AGREEMENT_ONLY_GATE and "convention" in gate["explanation"]


def test_a_link_cannot_be_scanned_and_an_unknown_resource_is_404(client, world):
    publisher = world.headers("publisher")
    create_dataset(client, publisher, "liens")
    link = client.post("/api/v1/datasets/liens/resources", headers=publisher, json={
        "title": "Fichier distant", "url": "https://data.example.fr/subventions.csv"})
    assert link.status_code == 201, link.text
    refused = client.post(f"/api/v1/resources/{link.json()['id']}/scan", headers=publisher)
    assert "lien" in assert_problem(refused, 409)["detail"]
    notice = upload(client, publisher, "liens", "notice.pdf", b"%PDF-1.4\n%%EOF\n")
    refused = client.post(f"/api/v1/resources/{notice['id']}/scan", headers=publisher)
    assert "Format non analysable" in assert_problem(refused, 409)["detail"]
    assert_problem(client.post("/api/v1/resources/999999/scan", headers=publisher), 404)
    assert_problem(client.get("/api/v1/quality/reports/999999", headers=publisher), 404)
    assert_problem(client.get("/api/v1/datasets/inconnu/quality"), 404)
    page = quality(client, "liens")
    assert [(r["scannable"], r["report"], r["scan_in_progress"]) for r in page["resources"]] \
        == [(False, None, False), (False, None, False)]
    assert page["scores"]["ai_fitness"]["value"] is not None
    assert reports_of(link.json()["id"]) == reports_of(notice["id"]) == []


def test_a_drafts_reports_are_its_publishers_only(client, world):
    publisher = world.headers("publisher")
    create_dataset(client, publisher, "brouillon", state="draft")
    resource = upload(client, publisher, "brouillon", "codes.csv", CODES)
    assert quality(client, "brouillon", publisher)["dataset"] == "brouillon"
    assert_problem(client.get("/api/v1/datasets/brouillon/quality"), 404)
    assert_problem(client.post(f"/api/v1/resources/{resource['id']}/scan",
                               headers=world.headers("other_publisher")), 404)
    report_id = reports_of(resource["id"])[0].id
    assert_problem(client.get(f"/api/v1/quality/reports/{report_id}"), 404)
    assert client.get(f"/api/v1/quality/reports/{report_id}",
                      headers=publisher).status_code == 200


# Hostile files and an unreachable queue


def test_hostile_uploads_end_as_reports_never_as_crashes(client, world, sqlite_consumer):
    publisher = world.headers("publisher")
    create_dataset(client, publisher, "hostiles")
    image = upload(client, publisher, "hostiles", "image.csv", png())
    bad = upload(client, publisher, "hostiles", "octets.csv", BAD_BYTES)
    ragged = upload(client, publisher, "hostiles", "bancal.csv", RAGGED)
    page = wait_for_reports(client, publisher, "hostiles", [image["id"], bad["id"], ragged["id"]])

    failed = item_of(page, image["id"])["report"]
    assert failed["status"] == "failed", failed
    assert failed["message"].startswith("Fichier illisible (format-error)")
    assert "PNG" in failed["message"]
    assert failed["report"]["error"]["type"] == "format-error"
    assert failed["report"]["profile"] is None
    assert criterion(failed["scores"]["ai_fitness"], "structure")["value"] == 0.0

    encoding = item_of(page, bad["id"])["report"]
    assert encoding["status"] == "done", encoding
    findings = encoding["report"]["findings"]
    assert findings and {f["type"] for f in findings} == {"encoding-error"}
    assert findings[0]["row_number"] == 4
    structure = criterion(encoding["scores"]["ai_fitness"], "structure")
    assert structure["value"] == 0.0 and "encodage" in structure["explanation"]
    assert structure["fix"]

    broken = item_of(page, ragged["id"])["report"]
    assert broken["status"] == "done", broken
    assert sorted((f["type"], f["row_number"]) for f in broken["report"]["findings"]) == [
        ("extra-cell", 4), ("missing-cell", 3)]
    assert broken["report"]["finding_counts"] == {"extra-cell": 1, "missing-cell": 1}

    # The dataset is scored all the same, the unreadable file counting as such.
    ai = page["scores"]["ai_fitness"]
    assert_explained(ai, "ai_fitness")
    assert "illisible" in criterion(ai, "structure")["explanation"]
    assert_explained(page["scores"]["metadata"], "metadata")
    assert client.get("/healthz").json() == {"status": "ok"}


def test_an_unreachable_queue_is_a_503_and_the_report_is_failed(client, world, monkeypatch,
                                                                  job_queue):
    publisher = world.headers("publisher")
    create_dataset(client, publisher, "codes")
    monkeypatch.setenv("CTD_JOBS_URL", "redis://127.0.0.1:1/0")  # nothing listens there
    # The upload itself succeeds; its scan is marked failed with the reason.
    resource = upload(client, publisher, "codes", "codes.csv", CODES)
    item = item_of(quality(client, "codes", publisher), resource["id"])
    assert item["scan_in_progress"] is False
    assert item["report"]["status"] == "failed"
    assert "injoignable" in item["report"]["message"]

    for params in ({}, {"force": True}):
        response = client.post(f"/api/v1/resources/{resource['id']}/scan", params=params,
                               headers=publisher)
        assert "injoignable" in assert_problem(response, 503)["detail"]
    statuses = [(r.status, r.message) for r in reports_of(resource["id"])]
    assert len(statuses) == 3
    assert all(s == ReportStatus.failed and "injoignable" in m for s, m in statuses)

    # Once the queue is back, a scan is queued without forcing.
    monkeypatch.setenv("CTD_JOBS_URL", job_queue)
    queued = client.post(f"/api/v1/resources/{resource['id']}/scan", headers=publisher)
    assert queued.status_code == 202, queued.text
    assert queued.json()["status"] == "pending" and len(jobs.queue()) == 1


# Harvested files


def test_a_harvest_with_downloads_scans_each_file_it_stores(world, monkeypatch, job_queue):
    portal = CkanPortal(count=2, resources=2)
    with serve(portal) as url:
        portal.files_base = f"{url}/files"
        with db.session_scope() as session:
            sources.create(session, OPERATOR, SourceCreate(
                name="portail-nancy", type="ckan", url=url, organization="ville-de-nancy",
                config=SourceConfig(download_files=True)))
            source = session.exec(select(HarvestSource)).one()
            job = harvest.create_job(session, source)
        job = harvest.run_job(job.id)
    assert job.status == JobStatus.done, job.message
    with db.session_scope() as session:
        copies = {r.id: r.sha256 for r in session.exec(select(Resource)) if r.local_copy}
        queued = list(session.exec(select(QualityReport)))
    assert len(copies) == 4
    assert sorted(r.resource_id for r in queued) == sorted(copies)
    assert {(r.kind, r.status) for r in queued} == {(ReportKind.resource, ReportStatus.pending)}
    assert all(r.content_hash == copies[r.resource_id] for r in queued)
    assert len(jobs.queue()) == 4

    # A consumer started later runs them.
    workers = start_workers(monkeypatch, "sqlite", job_queue)
    try:
        deadline = time.monotonic() + WAIT
        while True:
            done = [report for rid in copies for report in reports_of(rid)]
            if all(r.status == ReportStatus.done for r in done):
                break
            assert time.monotonic() < deadline, [(r.id, r.status, r.message) for r in done]
            time.sleep(0.1)
    finally:
        workers.stop()
    assert len(done) == 4
    for report in done:
        assert report.body["file"]["sha256"] == copies[report.resource_id]
        columns = {c["name"]: c for c in report.body["profile"]["columns"]}
        assert columns["code_insee"]["type"] == "code"
    with db.session_scope() as session:
        scored = session.exec(select(QualityReport).where(
            QualityReport.kind == ReportKind.dataset)).all()
    assert scored and all(r.scores["ai_fitness"]["value"] is not None for r in scored)


# Leading zeros


def test_codes_keep_their_zeros_and_lost_zeros_are_explained(client, world, sqlite_consumer):
    publisher = world.headers("publisher")
    create_dataset(client, publisher, "communes")
    kept = upload(client, publisher, "communes", "communes.csv", CODES)
    lost = upload(client, publisher, "communes", "codes-postaux.csv", LOST_ZEROS)
    page = wait_for_reports(client, publisher, "communes", [kept["id"], lost["id"]])

    report = item_of(page, kept["id"])["report"]
    columns = {c["name"]: c for c in report["report"]["profile"]["columns"]}
    for name in ("code_insee", "code_postal"):
        assert columns[name]["type"] == "code" and columns[name]["leading_zeros"] is True
    assert columns["code_insee"]["min"] == "01053"
    assert columns["code_postal"]["min"] == "01000"
    interoperability = criterion(report["scores"]["ai_fitness"], "interoperability")
    assert "codes intacts" in interoperability["explanation"]

    report = item_of(page, lost["id"])["report"]
    postal = report["report"]["profile"]["columns"][0]
    assert postal["name"] == "code_postal" and postal["leading_zeros"] is False
    interoperability = criterion(report["scores"]["ai_fitness"], "interoperability")
    assert "zéros initiaux" in interoperability["explanation"]
    assert "code_postal" in interoperability["explanation"]
    assert "comme du texte" in interoperability["fix"]
    # The dataset's own criterion says it too.
    dataset = criterion(page["scores"]["ai_fitness"], "interoperability")
    assert "codes-postaux.csv:code_postal" in dataset["explanation"]


# The CLI


def run_ctd(commands: dict[str, list[str]], tmp_path: Path) -> dict[str, Outcome]:
    """Run each command through the real ``ctd`` entry point, all at once, with a data
    directory of their own and no database."""
    env = {**os.environ, "CTD_DATA_DIR": str(tmp_path / "cli-data"), "COLUMNS": "200"}
    env.pop("CTD_DATABASE_URL", None)
    started = {name: subprocess.Popen([str(CTD), *args], stdout=subprocess.PIPE,
                                      stderr=subprocess.PIPE, text=True, env=env)
               for name, args in commands.items()}
    outcomes = {}
    for name, process in started.items():
        try:
            stdout, stderr = process.communicate(timeout=60)
        except subprocess.TimeoutExpired:
            process.kill()
            pytest.fail(f"ctd {' '.join(commands[name])} did not end")
        outcomes[name] = Outcome(process.returncode, stdout, stderr)
    return outcomes


@dataclass
class Outcome:
    code: int
    stdout: str
    stderr: str


def test_ctd_score_reads_a_file_without_a_database(tmp_path):
    files = {"codes": CODES, "subventions": SUBVENTIONS, "image": png(), "bancal": RAGGED}
    for name, content in files.items():
        (tmp_path / f"{name}.csv").write_bytes(content)
    codes, image = str(tmp_path / "codes.csv"), str(tmp_path / "image.csv")
    run = run_ctd({
        "json": ["score", codes],
        "text": ["score", str(tmp_path / "bancal.csv"), "--format", "text"],
        "valid": ["score", str(tmp_path / "subventions.csv"), "--schema", "scdl-subventions"],
        "wrong": ["score", codes, "--schema", "scdl-subventions"],
        "unknown": ["score", codes, "--schema", "inconnu"],
        "missing": ["score", str(tmp_path / "absent.csv")],
        "hostile": ["score", image],
        "hostile_text": ["score", image, "--format", "text"],
    }, tmp_path)

    assert run["json"].code == 0, run["json"].stderr
    report = json.loads(run["json"].stdout)
    assert report["status"] == "ok" and report["findings"] == []
    assert report["rubric_version"] == rubric.VERSION
    ai = report["scores"]["ai_fitness"]
    assert isinstance(ai["value"], int) and ai["grade"] == rubric.grade(ai["value"])
    assert set(ai["details"]["not_assessed"]) == {"documentation", "freshness", "provenance"}
    assert report["file"]["sha256"] == hashlib.sha256(CODES).hexdigest()
    assert report["profile"]["columns"][0]["leading_zeros"] is True
    assert not (tmp_path / "cli-data").exists()

    text = run["text"]
    assert text.code == 0, text.stderr
    assert "Aptitude à l'entraînement d'IA" in text.stdout and "4 ligne(s)" in text.stdout
    assert "À faire" in text.stdout and "extra-cell : 1, missing-cell : 1" in text.stdout

    assert run["valid"].code == 0, run["valid"].stderr
    schema = json.loads(run["valid"].stdout)["schema"]
    assert (schema["ref"], schema["origin"], schema["valid"]) == (
        "scdl-subventions", "declared", True)
    assert run["wrong"].code == 0, run["wrong"].stderr
    report = json.loads(run["wrong"].stdout)
    assert report["schema"]["valid"] is False
    assert report["finding_counts"]["missing-label"] == 16
    assert {f["field_name"] for f in report["findings"] if f["type"] == "missing-label"} >= {
        "nomAttribuant", "montant"}

    unknown = run["unknown"]
    assert unknown.code == 1 and unknown.stdout == ""
    assert "Erreur" in unknown.stderr and "schéma « inconnu » inutilisable" in unknown.stderr
    assert run["missing"].code == 1 and "fichier introuvable" in run["missing"].stderr
    hostile = run["hostile"]
    assert hostile.code == 1, hostile.stderr
    report = json.loads(hostile.stdout)
    assert report["status"] == "failed" and report["error"]["type"] == "format-error"
    assert run["hostile_text"].code == 1 and "est illisible" in run["hostile_text"].stdout


def test_ctd_quality_scan_and_show(client, world, data_dir):
    runner = CliRunner()
    publisher = world.headers("publisher")
    create_dataset(client, publisher, "communes")
    resource = upload(client, publisher, "communes", "communes.csv", CODES)
    pending = reports_of(resource["id"])
    assert [r.status for r in pending] == [ReportStatus.pending]

    scanned = runner.invoke(app, ["quality", "scan", str(resource["id"]), "--format", "json"])
    assert scanned.exit_code == 0, scanned.output
    out = json.loads(scanned.output)
    assert out["status"] == "done" and out["file"]["sha256"] == resource["sha256"]
    assert set(out["scores"]) == {"ai_fitness", "minimisation"}
    first = reports_of(resource["id"])[-1]
    assert first.status == ReportStatus.done

    # Unchanged content: the report already made; --force scans again.
    again = runner.invoke(app, ["quality", "scan", str(resource["id"])])
    assert again.exit_code == 0, again.output
    assert "communes.csv" in again.output and "Aptitude à l'entraînement d'IA" in again.output
    assert reports_of(resource["id"])[-1].id == first.id
    forced = runner.invoke(app, ["quality", "scan", str(resource["id"]), "--force"])
    assert forced.exit_code == 0, forced.output
    assert reports_of(resource["id"])[-1].id > first.id

    shown = runner.invoke(app, ["quality", "show", "communes"])
    assert shown.exit_code == 0, shown.output
    assert "communes" in shown.output and "Métadonnées" in shown.output
    assert "Verdict : ouvrable en données ouvertes" in shown.output
    assert f"Ressource {resource['id']} « communes.csv » : analysée le" in shown.output
    as_json = json.loads(runner.invoke(app, ["quality", "show", "communes", "--format",
                                             "json"]).output)
    assert as_json["dataset"] == "communes" and set(as_json["scores"]) == {
        "metadata", "ai_fitness", "minimisation", "verdict"}
    assert as_json["resources"][0]["report"]["report"]["profile"]["columns"][0]["min"]

    unknown = runner.invoke(app, ["quality", "scan", "999999"])
    assert unknown.exit_code == 1 and "ressource inconnue" in unknown.output
    missing = runner.invoke(app, ["quality", "show", "inconnu"])
    assert missing.exit_code == 1 and "inconnu" in missing.output

    # A stored file gone from the disk: a failed report with its reason, not a traceback.
    with db.session_scope() as session:
        (data_dir / "files" / session.get(Resource, resource["id"]).file_path).unlink()
    gone = runner.invoke(app, ["quality", "scan", str(resource["id"]), "--force"])
    assert gone.exit_code == 1 and isinstance(gone.exception, SystemExit), gone.output
    assert "introuvable" in gone.output
    assert reports_of(resource["id"])[-1].status == ReportStatus.failed


def test_ctd_quality_scan_all_scans_every_kept_file_once(client, world):
    runner = CliRunner()
    publisher = world.headers("publisher")
    create_dataset(client, publisher, "communes")
    first = upload(client, publisher, "communes", "communes.csv", CODES)
    second = upload(client, publisher, "communes", "autres.csv",
                    CODES + b"54001;54000;Nancy;104000\n")
    scanned = runner.invoke(app, ["quality", "scan-all", "--publisher", "ville-de-nancy"])
    assert scanned.exit_code == 0, scanned.output
    assert "2 fichier(s) : 2 analysé(s), 0 inchangé(s)" in scanned.output
    assert reports_of(first["id"])[-1].status == ReportStatus.done
    assert reports_of(second["id"])[-1].status == ReportStatus.done
    again = runner.invoke(app, ["quality", "scan-all"])
    assert "2 fichier(s) : 0 analysé(s), 2 inchangé(s)" in again.output, again.output
    other = runner.invoke(app, ["quality", "scan-all", "--publisher", "ville-d-epinal"])
    assert "0 fichier(s)" in other.output
    unknown = runner.invoke(app, ["quality", "scan-all", "--publisher", "nulle-part"])
    assert unknown.exit_code == 1 and "nulle-part" in unknown.output


def test_the_scan_size_limit_comes_from_the_configuration(client, world, monkeypatch):
    """CTD_SCAN_MAX_BYTES bounds a scan's memory: a larger file is refused unread."""
    monkeypatch.setenv("CTD_SCAN_MAX_BYTES", "100")
    publisher = world.headers("publisher")
    create_dataset(client, publisher, "communes")
    resource = upload(client, publisher, "communes", "communes.csv", CODES * 2)
    result = CliRunner().invoke(app, ["quality", "scan", str(resource["id"])])
    assert result.exit_code == 1
    report = reports_of(resource["id"])[-1]
    assert report.status == ReportStatus.failed
    assert "100-byte limit" in report.message and report.message.startswith("Fichier illisible")
