"""Maps and charts drawn on the server as SVG, read through the HTTP API: a committee's map
coloured by coverage or quality with its datasets' footprints, the distribution of its
members' scores, and the health of the harvest sources."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from datetime import timedelta

import pytest
from sqlmodel import select

from catalogue import db
from catalogue.models import Organization, utcnow
from connectors.models import HarvestJob, HarvestSource, JobStatus, SourceType
from quality import background

SVG = "{http://www.w3.org/2000/svg}"
PROBLEM = "application/problem+json"
DEMO_MEMBERS = {"grand-nancy", "ville-de-nancy", "metz-metropole", "ville-de-metz",
                "departement-54", "ville-d-epinal"}


@pytest.fixture(autouse=True)
def job_queue(monkeypatch, tmp_path) -> None:
    """The scans uploads queue go to a queue of this test's own, never consumed."""
    monkeypatch.setenv("CTD_JOBS_URL", f"sqlite:///{tmp_path / 'jobs.sqlite'}")
    background.install()


def get_svg(client, path: str, **kw) -> ET.Element:
    response = client.get(path, **kw)
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith("image/svg+xml")
    return ET.fromstring(response.text)


def groups(root: ET.Element, prefix: str) -> dict[str, ET.Element]:
    return {g.get("id"): g for g in root.iter(f"{SVG}g")
            if (g.get("id") or "").startswith(prefix)}


def fill_of(group: ET.Element) -> str:
    (path,) = group.iter(f"{SVG}path")
    style = dict(item.strip().split(":", 1) for item in path.get("style").split(";")
                 if item.strip())
    return style["fill"].strip()


def texts(root: ET.Element) -> str:
    return " ".join("".join(t.itertext()) for t in root.iter(f"{SVG}text"))


@pytest.fixture
def published(client, world) -> None:
    """Nancy publishes its subsidies, declaring the SCDL schema; Épinal publishes nothing."""
    response = client.post("/api/v1/datasets", headers=world.headers("publisher"), json={
        "slug": "subventions-nancy", "title": "Subventions de la Ville de Nancy",
        "publisher": "ville-de-nancy", "licence": "fr-lo-2.0", "state": "published",
        "description": "Les subventions attribuées par la Ville de Nancy aux associations.",
        "table_schema": {"name": "scdl-subventions"}})
    assert response.status_code == 201, response.text


def test_the_map_colours_members_by_coverage(client, published):
    root = get_svg(client, "/api/v1/committees/comite-test/map.svg")
    assert root.find(f"{SVG}title").text == \
        "Carte du comité « Comité de test » : couverture des données de référence"
    assert "Ville de Nancy" in root.find(f"{SVG}desc").text
    members = groups(root, "member-")
    assert set(members) == {"member-ville-de-nancy", "member-ville-d-epinal"}
    for group in members.values():
        assert len(list(group.iter(f"{SVG}path"))) == 1
    # Nancy covers one reference schema of seven, Épinal none.
    assert fill_of(members["member-ville-de-nancy"]) != fill_of(members["member-ville-d-epinal"])
    assert set(groups(root, "footprint-")) == {"footprint-subventions-nancy"}
    assert groups(root, "committee-outline")
    legend = texts(root)
    assert "Couverture des données de référence" in legend
    assert "0 %" in legend and "100 %" in legend
    assert "Ville d'Épinal" in legend


def test_the_map_colours_members_by_quality(client, published):
    root = get_svg(client, "/api/v1/committees/comite-test/map.svg",
                   params={"colour": "quality"})
    assert "aptitude à l'IA" in root.find(f"{SVG}title").text
    members = groups(root, "member-")
    # Épinal publishes nothing: hatched grey, no colour of the scale.
    assert fill_of(members["member-ville-d-epinal"]).startswith("url(#")
    assert fill_of(members["member-ville-de-nancy"]).startswith("#")
    assert "Note moyenne d'aptitude à l'IA" in texts(root)


def test_the_map_and_chart_of_an_unknown_committee_are_404_problems(client, world):
    for path in ("/api/v1/committees/inconnu/map.svg",
                 "/api/v1/committees/inconnu/charts/scores.svg"):
        response = client.get(path)
        assert response.status_code == 404, response.text
        assert response.headers["content-type"].startswith(PROBLEM)
        assert "inconnu" in response.json()["detail"]


def test_a_bad_colour_is_a_422_problem(client, world):
    response = client.get("/api/v1/committees/comite-test/map.svg",
                          params={"colour": "rainbow"})
    assert response.status_code == 422, response.text
    assert response.headers["content-type"].startswith(PROBLEM)


def test_the_score_chart_has_a_group_per_member(client, published):
    root = get_svg(client, "/api/v1/committees/comite-test/charts/scores.svg")
    assert root.find(f"{SVG}title").text.startswith("Répartition des notes")
    assert set(groups(root, "ai-")) == {"ai-ville-de-nancy"}
    assert set(groups(root, "metadata-")) == {"metadata-ville-de-nancy"}
    written = texts(root)
    assert "Note (sur 100)" in written
    assert "aucun jeu de données publié" in written  # Épinal


def test_the_demo_map(client, demo):
    root = get_svg(client, "/api/v1/committees/ctd-lorraine/map.svg")
    members = groups(root, "member-")
    assert set(members) == {f"member-{slug}" for slug in DEMO_MEMBERS}
    for group in members.values():
        assert len(list(group.iter(f"{SVG}path"))) == 1
    assert len(groups(root, "footprint-")) == 32
    assert "Carte du comité « Comité territorial de la donnée de Lorraine »" in \
        root.find(f"{SVG}title").text
    # The same data draws the same document.
    first, again = (client.get("/api/v1/committees/ctd-lorraine/map.svg").text
                    for _ in range(2))
    assert first == again
    scores = get_svg(client, "/api/v1/committees/ctd-lorraine/charts/scores.svg")
    assert {g.removeprefix("ai-") for g in groups(scores, "ai-")} == DEMO_MEMBERS


def test_the_harvest_health_chart(client, world):
    with db.session_scope() as session:
        nancy = session.exec(select(Organization).where(
            Organization.slug == "ville-de-nancy")).one()
        epinal = session.exec(select(Organization).where(
            Organization.slug == "ville-d-epinal")).one()
        source = HarvestSource(name="portail-nancy", type=SourceType.ckan,
                               url="https://data.nancy.example", organization_id=nancy.id)
        other = HarvestSource(name="portail-epinal", type=SourceType.udata,
                              url="https://data.epinal.example", organization_id=epinal.id,
                              config={"organization": "epinal"})
        session.add_all([source, other])
        session.flush()
        now = utcnow()
        for status in (JobStatus.done, JobStatus.done, JobStatus.failed):
            session.add(HarvestJob(source_id=source.id, status=status, started=now,
                                   finished=now + timedelta(minutes=1)))
        session.add(HarvestJob(source_id=source.id, status=JobStatus.done_with_errors,
                               added=3, updated=2, errored=1, started=now,
                               finished=now + timedelta(minutes=2)))
    root = get_svg(client, "/api/v1/harvest/health.svg", headers=world.headers("publisher"))
    assert root.find(f"{SVG}title").text == "Santé des sources de moissonnage"
    # The publisher sees its organization's source only, as in /harvest/sources.
    assert set(groups(root, "source-")) == {"source-portail-nancy-done",
                                            "source-portail-nancy-done_with_errors",
                                            "source-portail-nancy-failed"}
    written = texts(root)
    assert "3 ajouté(s), 2 mis à jour, 1 en erreur" in written
    assert "Terminé avec erreurs" in written and "Échoué" in written
    everything = get_svg(client, "/api/v1/harvest/health.svg", headers=world.headers("admin"))
    assert "portail-epinal" in texts(everything)
    assert "aucun moissonnage terminé" in texts(everything)
    assert client.get("/api/v1/harvest/health.svg").status_code == 401
