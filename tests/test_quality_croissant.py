"""Croissant 1.1 + RAI documents and datasheets of datasets, end to end through the live
server: every demo dataset, its files scanned, validated by mlcroissant (which reads the
document only and is kept from downloading anything), fields typed from the scan, checksums
of the files served, no value quoted from the data; files without a checksum, links and APIs;
the French datasheet; unknown and unseen datasets."""

from __future__ import annotations

import hashlib
import io
import json
import re

import mlcroissant as mlc  # imported once per module: it takes a second
import pytest
import requests
from markupsafe import escape
from sqlmodel import select

from catalogue import datasets, db, resources
from catalogue.auth import OPERATOR
from catalogue.models import Dataset
from catalogue.schemas import DatasetCreate, DatasetUpdate, ResourceCreate
from quality import reports
from quality.models import ReportStatus

PROBLEM = "application/problem+json"
CROISSANT = "http://mlcommons.org/croissant/1.1"
RAI = "http://mlcommons.org/croissant/RAI/1.0"
SECTIONS = ["Motivation", "Composition", "Processus de collecte", "Prétraitement / nettoyage",
            "Usages", "Diffusion", "Maintenance"]
REQUIRED = ["@context", "@type", "dct:conformsTo", "name", "description", "license", "url",
            "creator", "datePublished"]
# Profile types and the only Croissant type each may take besides sc:Text.
TYPES = {"boolean": "sc:Boolean", "integer": "sc:Integer", "number": "sc:Float",
         "date": "sc:Date", "datetime": "sc:DateTime", "time": "sc:Time"}
# The one warning mlcroissant may give: ctd knows no version of a dataset.
VERSION_WARNING = 'Property "https://schema.org/version" is recommended'
# Personal data that no filter may hide from rai:personalSensitiveInformation.
PERSONAL = {"identifier", "direct", "sensitive"}
# What the documents draw from the files; the rest is the catalogue's metadata.
DRAWN = {"distribution", "recordSet", "rai:dataCollectionMissingData",
         "rai:dataPreprocessingProtocol", "rai:personalSensitiveInformation", "rai:dataBiases",
         "rai:dataLimitations", "rai:dataUseCases"}
USE_CASES = {"open": "Publishable as open data", "agreement_only": "Shareable only under a "
             "data-sharing agreement", "do_not_share": "Not to be shared outside the publisher"}
DATE = re.compile(r"^\d{4}-\d{2}-\d{2}")
# Codes with their leading zeros and Corsica's letters, beside a count.
CODES = (b"code_insee;code_postal;nom commune;population\n"
         b"01053;01000;Bourg-en-Bresse;41000\n"
         b"2A004;20000;Ajaccio;70000\n"
         b"08105;08000;Charleville-M\xc3\xa9zi\xc3\xa8res;46000\n"
         b"54395;54000;Nancy;104000\n")


@pytest.fixture(autouse=True)
def job_queue(monkeypatch, tmp_path):
    """Scans queued when files are stored stay in a queue of the test's own, never consumed:
    the tests scan in the foreground."""
    monkeypatch.setenv("CTD_JOBS_URL", f"sqlite:///{tmp_path / 'jobs.sqlite'}")


@pytest.fixture
def offline(monkeypatch):
    """mlcroissant fetches files with requests: any attempt fails the test."""
    def refuse(*args, **kwargs):
        raise AssertionError(f"mlcroissant tried to download: {args} {kwargs}")

    monkeypatch.setattr(requests, "get", refuse)
    monkeypatch.setattr(requests.Session, "request", refuse)


def scan_all(slug: str | None = None) -> dict[int, dict]:
    """Scan every stored tabular file (of the dataset ``slug`` only, if given) in the
    foreground; per resource id, its report body, status, dataset slug and access, and the
    sha256 of the file on disk."""
    scanned = {}
    query = select(Dataset) if slug is None else select(Dataset).where(Dataset.slug == slug)
    with db.session_scope() as session:
        for dataset in session.exec(query).all():
            for resource in resources.list_for(session, dataset):
                if not reports.scannable(resource):
                    continue
                report = reports.scan_now(session, resource, dataset)
                path = reports.stored_file(resource)
                scanned[resource.id] = {
                    "body": report.body, "status": report.status, "slug": dataset.slug,
                    "open": dataset.access_type == "open",
                    "sha256": hashlib.sha256(path.read_bytes()).hexdigest()}
    return scanned


def croissant(client, ref: str, headers: dict | None = None) -> tuple[dict, mlc.Metadata]:
    """The dataset's document, validated by mlcroissant (which raises ValidationError on any
    error; the only warning allowed is the missing version), and what mlcroissant read."""
    response = client.get(f"/api/v1/datasets/{ref}/croissant", headers=headers or {})
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith("application/ld+json")
    metadata = mlc.Dataset(jsonld=json.loads(response.text)).metadata
    warnings = [str(w) for w in metadata.ctx.issues.warnings]
    assert all(VERSION_WARNING in w for w in warnings), warnings
    return response.json(), metadata


def resource_id(node: dict) -> int:
    return int(node["@id"].removeprefix("resource-").removesuffix("-records"))


def leaves(value) -> list[str]:
    if isinstance(value, dict):
        return [s for v in value.values() for s in leaves(v)]
    if isinstance(value, list):
        return [s for v in value for s in leaves(v)]
    return [value] if isinstance(value, str) else []


def quoted(body: dict) -> tuple[set[str], set[str]]:
    """Values a report quotes from the data: every top value, min and max; and those that
    would be recognisable inside a sentence (identifiers, e-mails: 6 characters or more with
    a digit or an @, dates aside since metadata dates may equal them)."""
    values = set()
    for column in (body.get("profile") or {}).get("columns") or []:
        values |= {str(value) for value, _ in column.get("top_values") or []}
        values |= {str(column[key]) for key in ("min", "max") if column.get(key) is not None}
    telling = {v for v in values if len(v) >= 6 and re.search(r"[\d@]", v) and not DATE.match(v)}
    return values, telling


def check_no_values(document: dict, bodies: list[dict]) -> None:
    """Nothing drawn from the files (the resources, their record sets, the RAI texts) quotes
    the data. The metadata may hold the same strings (a publisher's SIREN is a value of
    the IRVE files), so it is left aside."""
    drawn = [value for key, value in document.items() if key in DRAWN]
    strings = set(leaves(drawn))
    text = json.dumps(drawn, ensure_ascii=False)
    for body in bodies:
        values, telling = quoted(body)
        names = {c["name"] for c in body["profile"]["columns"]}
        assert not (strings & values) - names
        assert not [v for v in telling if v in text]


def check_fields(record_set: dict, body: dict) -> None:
    columns = {c["name"]: c for c in body["profile"]["columns"]}
    assert [f["name"] for f in record_set["field"]] == list(columns)
    for field in record_set["field"]:
        column = columns[field["name"]]
        assert field["source"] == {"fileObject": {"@id": f"resource-{resource_id(record_set)}"},
                                   "extract": {"column": field["name"]}}
        if column["type"] == "geopoint":
            assert field["dataType"] == ["sc:GeoCoordinates", "sc:Text"]
        elif field["dataType"] != "sc:Text":
            # A type other than text is the one the scan found, on every value.
            assert field["dataType"] == TYPES[column["type"]]
            assert column["type_conformance"] == 1
        if column["type"] in ("code", "string") or column["leading_zeros"]:
            assert field["dataType"] == "sc:Text", field


def check_datasheet(client, slug: str, document: dict, scanned: dict) -> None:
    """The datasheet is French, accessible HTML with the seven sections of Gebru et al.,
    without external assets, drawn from the same facts as the Croissant document."""
    response = client.get(f"/api/v1/datasets/{slug}/datasheet")
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith("text/html")
    page = response.text
    assert page.startswith("<!DOCTYPE html>")
    assert '<html lang="fr">' in page
    assert "Fiche descriptive du jeu de données" in page
    assert re.findall(r'<h2 id="[\w-]+">(.*?)</h2>', page) == ["Sommaire", *SECTIONS]
    assert page.count("<table>") == page.count("<caption>")
    assert 'scope="col"' in page and 'scope="row"' in page
    assert not re.search(r"<script|<img|rel=\"stylesheet\"|src=", page)
    # The same checksum and columns as the Croissant document, and no value quoted (but
    # what the metadata says too, like the publisher's SIREN).
    assert scanned["sha256"] in page
    for field in document["recordSet"][0]["field"]:
        assert f"<code>{escape(field['name'])}</code>" in page
    metadata = json.dumps({k: v for k, v in document.items() if k not in DRAWN})
    assert not [v for v in quoted(scanned["body"])[1] if v in page and v not in metadata]


# The demo catalogue


def test_every_demo_dataset_has_a_valid_croissant_document_and_datasheet(
        demo, client, live_server, offline):
    scanned = scan_all()
    with db.session_scope() as session:
        slugs = [d.slug for d in session.exec(select(Dataset)).all()]
    assert len(slugs) == 32 and len(scanned) == 32
    assert all(s["status"] == ReportStatus.done for s in scanned.values())
    data_types, zeros = set(), 0
    for slug in slugs:
        document, read = croissant(client, slug)
        assert all(key in document for key in REQUIRED)
        # mlcroissant reads the RAI properties where the vocabulary puts them.
        assert read.data_limitations == document["rai:dataLimitations"]
        assert read.personal_sensitive_information == \
            document["rai:personalSensitiveInformation"]
        assert document["@type"] == "sc:Dataset"
        assert document["dct:conformsTo"] == [CROISSANT, RAI]
        assert document["creator"]["@type"] == "sc:Organization"
        assert document["@context"]["rai"] == "http://mlcommons.org/croissant/RAI/"
        assert document["@context"]["dct"] == "http://purl.org/dc/terms/"
        mine = {rid: s for rid, s in scanned.items() if s["slug"] == slug}

        # One FileObject per resource: its bytes are those served, whose sha256 it gives.
        [file] = document["distribution"]
        rid = resource_id(file)
        assert file["sha256"] == mine[rid]["sha256"]
        assert file["encodingFormat"] == "text/csv"
        assert file["contentUrl"] == f"{live_server}/api/v1/resources/{rid}/download"
        download = client.get(file["contentUrl"])
        if mine[rid]["open"]:
            assert hashlib.sha256(download.content).hexdigest() == file["sha256"]
        else:
            assert download.status_code == 401

        # One record set per scanned table, its fields typed from the scan.
        [record_set] = document["recordSet"]
        body = mine[resource_id(record_set)]["body"]
        check_fields(record_set, body)
        data_types |= {str(f["dataType"]) for f in record_set["field"]}
        zeros += sum(1 for c in body["profile"]["columns"] if c["leading_zeros"])

        # RAI facts: null rates, personal data by column, coverage, scores, verdict.
        gaps = [c["name"] for c in body["profile"]["columns"] if c["null_count"]]
        assert all(name in document["rai:dataCollectionMissingData"] for name in gaps[:15])
        personal = " ".join(document["rai:personalSensitiveInformation"])
        for detection in body.get("personal") or []:
            if detection["category"] in PERSONAL:
                assert f"column {detection['column']}:" in personal
        assert document["rai:dataCollectionTimeframe"] == "2024-01-01/2024-12-31"
        assert document["rai:dataBiases"][0].startswith("Covers the territory of")
        assert document["rai:dataReleaseMaintenancePlan"].startswith("Maintained by")
        assert document["rai:dataLimitations"]
        if mine[rid]["open"]:
            assert document["license"].startswith("https://")
        else:
            assert document["license"] == {"@type": "sc:CreativeWork", "name": "Autre licence"}
        # The use cases follow the verdict the quality page gives.
        verdict = client.get(f"/api/v1/datasets/{slug}/quality").json()["scores"]["verdict"]
        assert document["rai:dataUseCases"][0].startswith(USE_CASES[verdict["verdict"]])
        assert verdict["verdict"] != "open" or mine[rid]["open"]
        check_no_values(document, [body])
        check_datasheet(client, slug, document, mine[rid])

    # The demo's types all show up, and its codes with leading zeros stay text.
    assert {"sc:Integer", "sc:Float", "sc:Date", "sc:Boolean", "sc:Text"} <= data_types
    assert zeros > 0


def test_personal_identifiers_are_described_and_kept_as_text(demo, client, offline):
    scan_all("aides-sociales-departement-54")
    document, _ = croissant(client, "aides-sociales-departement-54")
    fields = {f["name"]: f for f in document["recordSet"][0]["field"]}
    # A NIR is 15 digits without a leading zero: an identifier all the same.
    assert fields["nir"]["dataType"] == "sc:Text"
    assert fields["iban"]["dataType"] == "sc:Text"
    personal = " ".join(document["rai:personalSensitiveInformation"])
    assert "column nir: French social security number (NIR)" in personal
    assert "column iban: bank account number (IBAN)" in personal
    assert "The publisher declares that the dataset contains personal data." in personal
    assert document["rai:dataUseCases"]


# Files without a checksum, links, APIs, codes


def test_links_apis_and_codes(world, client, live_server, offline):
    with db.session_scope() as session:
        dataset = datasets.create(session, OPERATOR, DatasetCreate(
            title="Codes officiels des communes", publisher="ville-de-nancy",
            licence="fr-lo-2.0", state="published",
            description="Codes INSEE et postaux de quelques communes, avec leur population."))
        table = resources.create_upload(session, OPERATOR, dataset, io.BytesIO(CODES),
                                        "codes.csv")
        notice = resources.create_upload(session, OPERATOR, dataset,
                                         io.BytesIO(b"%PDF-1.4\n%%EOF\n"), "notice.pdf",
                                         type="documentation")
        link = resources.create_link(session, OPERATOR, dataset, ResourceCreate(
            title="Fichier distant", url="https://example.org/communes.csv"))
        api = resources.create_link(session, OPERATOR, dataset, ResourceCreate(
            title="API des communes", url="https://example.org/api/communes", type="api"))
        session.flush()
        reports.scan_now(session, table, dataset)
        ids = {"table": table.id, "notice": notice.id, "link": link.id, "api": api.id}

    # Without an update frequency the dataset is not live: a link without a checksum is
    # left out (mlcroissant requires one), and said so.
    document, _ = croissant(client, "codes-officiels-des-communes")
    assert document["isLiveDataset"] is False
    files = {resource_id(f): f for f in document["distribution"]}
    assert set(files) == {ids["table"], ids["notice"]}
    assert files[ids["notice"]]["encodingFormat"] == "application/pdf"
    assert len(files[ids["notice"]]["sha256"]) == 64
    limits = " ".join(document["rai:dataLimitations"])
    assert "communes.csv is not described in the distribution: a link ctd has not fetched" in limits
    assert "communes is not described in the distribution: an API endpoint" in limits
    assert "delimiter ';'" in limits
    [record_set] = document["recordSet"]
    assert resource_id(record_set) == ids["table"]
    types = {f["name"]: f["dataType"] for f in record_set["field"]}
    assert types == {"code_insee": "sc:Text", "code_postal": "sc:Text",
                     "nom commune": "sc:Text", "population": "sc:Integer"}
    named = record_set["field"][2]
    assert named["@id"].endswith("/nom%20commune")
    assert named["source"]["extract"] == {"column": "nom commune"}

    # A monthly dataset is live: the link is listed, without a checksum, as the
    # specification advises for files that change; an API never is a FileObject.
    with db.session_scope() as session:
        found = datasets.find(session, OPERATOR, "codes-officiels-des-communes")
        datasets.update(session, OPERATOR, found, DatasetUpdate(frequency="MONTHLY"))
    document, _ = croissant(client, "codes-officiels-des-communes")
    assert document["isLiveDataset"] is True
    files = {resource_id(f): f for f in document["distribution"]}
    assert set(files) == {ids["table"], ids["notice"], ids["link"]}
    assert "sha256" not in files[ids["link"]]
    assert files[ids["link"]]["contentUrl"] == "https://example.org/communes.csv"
    assert files[ids["link"]]["encodingFormat"] == "text/csv"
    assert "monthly" in document["rai:dataReleaseMaintenancePlan"]


# Who sees what


def test_unknown_and_unseen_datasets_are_404_problems(world, client):
    for path in ("croissant", "datasheet"):
        response = client.get(f"/api/v1/datasets/inconnu/{path}")
        assert response.status_code == 404
        assert response.headers["content-type"].startswith(PROBLEM)
        assert response.json()["status"] == 404
    with db.session_scope() as session:
        datasets.create(session, OPERATOR, DatasetCreate(
            title="Brouillon", slug="brouillon", publisher="ville-de-nancy"))
    for path in ("croissant", "datasheet"):
        assert client.get(f"/api/v1/datasets/brouillon/{path}").status_code == 404
        assert client.get(f"/api/v1/datasets/brouillon/{path}",
                          headers=world.headers("other_publisher")).status_code == 404
        assert client.get(f"/api/v1/datasets/brouillon/{path}",
                          headers=world.headers("publisher")).status_code == 200
    # Its publisher gets a valid document even without a licence or any file.
    document, _ = croissant(client, "brouillon", world.headers("publisher"))
    assert document["license"] == {"@type": "sc:CreativeWork", "name": "Licence non précisée"}
    assert document["distribution"] == [] and document["recordSet"] == []
