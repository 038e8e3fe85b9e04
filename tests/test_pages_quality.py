"""The quality package's sections of the pages: a dataset's quality report (scores, findings,
the GDPR verdict, what each reader may see, the « Analyser » button) followed live while its
files are scanned — with httpx and in a real Chromium — and a committee's map, reference-data
coverage matrix and score chart."""

from __future__ import annotations

import html
import re

import pytest
from conftest import check_page, running_consumers
from sqlmodel import select
from test_web_pages import Page, check_accessible, sign_in, token_for

from catalogue import db
from catalogue.models import Dataset
from quality import datasheet, reports
from quality.models import QualityReport, ReportKind, ReportStatus

SCHOOLS = ("code_insee;commune;type\n54395;Nancy;maternelle\n54395;Nancy;élémentaire\n"
           "01053;Bourg-en-Bresse;maternelle\n88160;Épinal;maternelle;en trop\n").encode()
CODES = (b"code_insee;code_postal;commune;population\n01053;01000;Bourg-en-Bresse;41000\n"
         b"08105;08000;Charleville-M\xc3\xa9zi\xc3\xa8res;46000\n54395;54000;Nancy;104000\n")
# A PNG image's signature and header, named .csv.
PNG = b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01\x00\x00\x00\x01\x08\x02"
REPORT = re.compile(r'<div id="rapport-qualite"[^>]*>')


@pytest.fixture(autouse=True)
def job_queue(monkeypatch, tmp_path) -> str:
    """The scans a test asks for wait in a queue of its own: none runs unless the test runs
    it (``reports.run_scan``) or starts consumers on it."""
    url = f"sqlite:///{tmp_path / 'jobs.sqlite'}"
    monkeypatch.setenv("CTD_JOBS_URL", url)
    return url


# Helpers


def run_pending_scans(*slugs: str) -> None:
    """Run now, as a consumer would, the scans waiting for the datasets ``slugs``."""
    with db.session_scope() as session:
        pending = session.exec(select(QualityReport.id).join(
            Dataset, Dataset.id == QualityReport.dataset_id).where(
            QualityReport.kind == ReportKind.resource,
            QualityReport.status == ReportStatus.pending,
            Dataset.slug.in_(slugs))).all()
    assert pending, slugs
    for report_id in pending:
        reports.run_scan(report_id)


def quality_section(response) -> str:
    """The « Qualité » section of a dataset's page, entities decoded."""
    body = response.text
    start = body.index('<section aria-labelledby="qualite">')
    return html.unescape(body[start:body.index("</section>", start)])


def text_of(fragment: str) -> str:
    return " ".join(re.sub(r"<[^>]+>", " ", fragment).split())


def quality_json(client, slug: str, headers: dict | None = None) -> dict:
    response = client.get(f"/api/v1/datasets/{slug}/quality", headers=headers or {})
    assert response.status_code == 200, response.text
    return response.json()


def create_dataset(client, headers: dict, slug: str, **fields) -> None:
    body = {"slug": slug, "title": f"Écoles et communes ({slug})",
            "publisher": "ville-de-nancy", "licence": "fr-lo-2.0", "state": "published",
            "description": "Liste des écoles de la Ville de Nancy avec leur commune, pour "
                           "vérifier les pages de qualité."} | fields
    response = client.post("/api/v1/datasets", json=body, headers=headers)
    assert response.status_code == 201, response.text


def upload(client, headers: dict, slug: str, name: str, content: bytes) -> dict:
    response = client.post(f"/api/v1/datasets/{slug}/resources/upload", headers=headers,
                           files={"file": (name, content)}, data={"title": name})
    assert response.status_code == 201, response.text
    return response.json()


def csrf_of(response) -> str:
    return next(a["value"] for a in Page(response.text).all("input") if a.get("name") == "csrf")


# A dataset's report


def test_a_scan_under_way_then_its_report(client, demo):
    path = "/jeux-de-donnees/subventions-ville-de-nancy"
    # The demo's files wait for a consumer: the section says so and asks to be refreshed.
    waiting = client.get(path)
    check_accessible(waiting)
    section = quality_section(waiting)
    assert section.startswith('<section aria-labelledby="qualite">\n'
                              '  <h2 id="qualite">Qualité</h2>')
    container = REPORT.search(section).group(0)
    assert 'data-refresh="1000"' in container and 'aria-live="polite"' in container
    assert "Analyse en cours…" in section and "Subventions attribuées aux associations (CSV)" \
        in section
    assert f'href="{path}#qualite"' in section  # without the script, a reload
    assert 'href="/api/v1/datasets/subventions-ville-de-nancy/quality"' in section

    run_pending_scans("subventions-ville-de-nancy")
    done = client.get(path)
    check_accessible(done)
    section = quality_section(done)
    assert "data-refresh" not in REPORT.search(section).group(0)
    assert "Analyse en cours" not in section
    assert 'href="/api/v1/datasets/subventions-ville-de-nancy/quality"' in section
    # The scores and grades the API gives, explained.
    api = quality_json(client, "subventions-ville-de-nancy")
    text = text_of(section)
    for name in ("metadata", "ai_fitness", "minimisation"):
        score = api["scores"][name]
        row = f"{datasheet.SCORE_NAMES[name]} {score['value']}/100 {score['grade']} ("
        assert row in text, row
    assert "Critères de la note « Aptitude à l'entraînement d'IA »" in text
    # What the file scan found: a declared schema followed, nothing personal.
    item = api["resources"][0]["report"]
    assert item["report"]["schema"]["valid"] is True
    assert f"Schéma {item['report']['schema']['ref']} (déclaré par le producteur) : ✓ fichier " \
           "conforme" in text
    assert "Aucun problème de structure ni d'écart au schéma relevé." in text
    assert "Aucune donnée personnelle détectée dans ce fichier." in text
    # The GDPR verdict.
    assert api["scores"]["verdict"]["verdict"] == "open"
    assert datasheet.VERDICTS["open"] in text and datasheet.AI_TRAINING["allowed"] in text


def test_personal_data_and_what_each_reader_sees_of_it(client, demo):
    run_pending_scans("inscriptions-scolaires-ville-de-nancy", "aides-sociales-departement-54")
    path = "/jeux-de-donnees/inscriptions-scolaires-ville-de-nancy"
    public = client.get(path)
    check_accessible(public)
    text = text_of(quality_section(public))
    api = quality_json(client, "inscriptions-scolaires-ville-de-nancy")
    verdict = api["scores"]["verdict"]
    assert (verdict["verdict"], verdict["ai_training"]) == ("agreement_only", "blocked")
    assert datasheet.VERDICTS["agreement_only"] in text
    assert datasheet.AI_TRAINING["blocked"] in text
    assert "identifiant direct ; quasi-identifiant" in text
    for reason in verdict["reasons"]:
        assert reason in text
    # The columns holding personal data, their kind and why, never a value.
    for kind in ("nom de personne", "adresse électronique", "date de naissance",
                 "numéro de téléphone"):
        assert kind in text, kind
    assert "« email_responsable » adresse électronique identifiant direct" in text
    assert "Risque de réidentification : 100 % des 200 enregistrements sont isolables" in text
    assert "Supprimer « nom »." in text  # a remedy, with the score it would reach
    # The public sees no value of the files: no profile extremes, no frequent values.
    assert "Valeurs les plus fréquentes" not in text
    assert "ne sont montrées qu'à ceux qui peuvent lire les fichiers" in text

    # The publisher sees what the API shows it: the frequent values of the columns that may
    # be quoted.
    publisher = token_for("cdo-nancy", "ville-de-nancy")
    full = quality_json(client, "inscriptions-scolaires-ville-de-nancy",
                        {"Authorization": f"Bearer {publisher}"})
    columns = full["resources"][0]["report"]["report"]["profile"]["columns"]
    quoted = next(c for c in columns if c["top_values"] and len(str(c["top_values"][0][0])) > 5)
    value = str(quoted["top_values"][0][0])
    assert value not in text
    assert sign_in(client, publisher).status_code == 303
    signed = client.get(path)
    check_accessible(signed)
    signed_text = text_of(quality_section(signed))
    assert "Valeurs les plus fréquentes" in signed_text and value in signed_text
    # Names, e-mails and phones are never quoted, even to the publisher.
    hidden = next(c for c in columns if c["name"] == "email_responsable")
    assert hidden["top_values"] == [] and "@" not in signed_text

    # Blocking identifiers: nothing may be shared.
    blocked = text_of(quality_section(client.get("/jeux-de-donnees/aides-sociales-departement-54")))
    assert datasheet.VERDICTS["do_not_share"] in blocked
    assert "NIR (numéro de sécurité sociale)" in blocked and "IBAN (compte bancaire)" in blocked
    assert "identifiant direct bloquant" in blocked
    assert "inapte à l'entraînement d'IA" in blocked


def test_findings_and_their_notes_to_whom_the_api_shows_them(client, world):
    publisher = world.headers("publisher")
    create_dataset(client, publisher, "ecoles", access_type="restricted")
    upload(client, publisher, "ecoles", "ecoles.csv", SCHOOLS)
    upload(client, publisher, "ecoles", "image.csv", PNG)
    run_pending_scans("ecoles")
    items = quality_json(client, "ecoles", publisher)["resources"]
    full = items[0]["report"]["report"]
    finding = next(f for f in full["findings"] if f["type"] == "extra-cell")
    assert finding["row_number"] == 5 and finding["note"]

    public = client.get("/jeux-de-donnees/ecoles")
    check_accessible(public)
    text = text_of(quality_section(public))
    assert "Problèmes relevés : 1 × cellule en trop." in text
    assert "Problèmes relevés dans « ecoles.csv »" in text
    assert "cellule en trop 5" in text
    # Notes quote the data: the public sees neither them nor the frequent values.
    assert finding["note"] not in text and "Détail (en anglais)" not in text
    assert "maternelle" not in text
    # A file that cannot be read says why.
    failed = items[1]["report"]
    assert failed["status"] == "failed"
    assert f"Analyse impossible. {failed['message']} (format illisible)" in text

    assert sign_in(client, world.tokens["publisher"]).status_code == 303
    signed = client.get("/jeux-de-donnees/ecoles")
    check_accessible(signed)
    section = quality_section(signed)
    assert f'<td lang="en">{finding["note"]}</td>' in section
    assert "maternelle (3)" in text_of(section)


def test_a_publisher_asks_for_the_scan_of_files_never_scanned(client, world, monkeypatch,
                                                              job_queue):
    publisher = world.headers("publisher")
    create_dataset(client, publisher, "codes")
    monkeypatch.setenv("CTD_JOBS_URL", "redis://127.0.0.1:1/0")  # nothing listens there
    upload(client, publisher, "codes", "codes.csv", CODES)
    monkeypatch.setenv("CTD_JOBS_URL", job_queue)
    path = "/jeux-de-donnees/codes"

    # The public reads why there is no report, and no button.
    public = client.get(path)
    check_accessible(public)
    text = text_of(quality_section(public))
    assert "Analyse impossible." in text and "injoignable" in text
    assert "Aucun fichier de ce jeu de données n'a encore été analysé" in text
    assert 'action="/jeux-de-donnees/codes/analyse"' not in public.text
    refused = client.post(f"{path}/analyse", data={"csrf": csrf_of(client.get("/connexion"))})
    assert refused.status_code == 401 and "Authentification requise" in refused.text
    # Nor another publisher.
    assert sign_in(client, world.tokens["other_publisher"]).status_code == 303
    other = client.get(path)
    assert 'action="/jeux-de-donnees/codes/analyse"' not in other.text
    refused = client.post(f"{path}/analyse", data={"csrf": csrf_of(other)})
    assert refused.status_code == 403 and "pas le droit" in refused.text
    assert refused.headers["content-type"].startswith("text/html")

    # The dataset's publisher has the button; the form is checked against forgery.
    assert sign_in(client, world.tokens["publisher"]).status_code == 303
    page = client.get(path)
    check_accessible(page)
    assert 'action="/jeux-de-donnees/codes/analyse"' in page.text
    assert "1 fichier(s) sans analyse : « codes.csv »." in text_of(quality_section(page))
    forged = client.post(f"{path}/analyse", data={"csrf": "forged"})
    assert forged.status_code == 403 and "falsification" in forged.text
    asked = client.post(f"{path}/analyse", data={"csrf": csrf_of(page)})
    assert asked.status_code == 303 and asked.headers["location"] == f"{path}#qualite"
    waiting = client.get(path)
    assert 'data-refresh="1000"' in REPORT.search(quality_section(waiting)).group(0)
    assert 'action="/jeux-de-donnees/codes/analyse"' not in waiting.text

    run_pending_scans("codes")
    done = quality_section(client.get(path))
    assert "data-refresh" not in REPORT.search(done).group(0)
    assert "Notes du jeu de données" in done and "sans analyse" not in done
    assert "« code_postal »" in done


def test_a_scan_under_way_turns_into_the_report_without_a_reload(page, client, world,
                                                                  job_queue):
    publisher = world.headers("publisher")
    create_dataset(client, publisher, "communes")
    upload(client, publisher, "communes", "communes.csv", CODES)  # queued, not consumed yet
    page.goto("/jeux-de-donnees/communes")
    report = page.locator("#rapport-qualite")
    assert report.get_attribute("data-refresh") == "1000"
    assert report.get_attribute("aria-live") == "polite"
    assert "Analyse en cours…" in report.inner_text()
    page.evaluate("window.notReloaded = true")

    with running_consumers(job_queue):
        page.locator('#rapport-qualite[data-refreshed="done"]').wait_for()
    assert page.evaluate("window.notReloaded") is True
    assert report.get_attribute("data-refresh") is None
    assert "Analyse en cours" not in report.inner_text()
    assert "Notes du jeu de données" in report.inner_text()
    assert "Fichiers analysés" in report.inner_text()
    check_page(page, "qualite-jeu-de-donnees")


# A committee's sections


def test_the_committee_page_shows_its_map_coverage_and_scores(client, demo):
    run_pending_scans(*(f"{kind}-grand-nancy" for kind in (
        "subventions", "deliberations", "equipements", "budget", "irve-statique",
        "menus-collectifs")))
    response = client.get("/comites/ctd-lorraine")
    page = check_accessible(response)
    body = html.unescape(response.text)
    headings = re.findall(r'<h2 id="([^"]+)"', body)
    assert [h for h in headings if h in ("carte-territoire", "couverture-reference",
                                         "scores-membres")] == [
        "carte-territoire", "couverture-reference", "scores-membres"]

    # The map, its colourings and its values as text.
    images = {a["src"]: a["alt"] for a in page.all("img")}
    map_src = "/api/v1/committees/ctd-lorraine/map.svg?colour=coverage"
    assert images[map_src].startswith("Carte du comité « Comité territorial de la donnée de "
                                      "Lorraine » : chaque membre est coloré selon")
    assert page.link("aptitude à l'IA") == "/comites/ctd-lorraine?carte=qualite#carte-territoire"
    table = client.get("/api/v1/committees/ctd-lorraine/coverage").json()
    for row in table["members"]:
        shown = f"{row['name']} {datasheet.percent(row['coverage'])} ({row['published']} sur 7)"
        assert text_of(shown) in text_of(body), row["slug"]
    quality_map = client.get("/comites/ctd-lorraine", params={"carte": "qualite"})
    quality_page = check_accessible(quality_map)
    assert "/api/v1/committees/ctd-lorraine/map.svg?colour=quality" in \
        {a["src"] for a in quality_page.all("img")}
    assert 'href="/comites/ctd-lorraine?carte=qualite#carte-territoire" aria-current="true"' \
        in quality_map.text
    for src in (map_src, "/api/v1/committees/ctd-lorraine/map.svg?colour=quality"):
        svg = client.get(src)
        assert svg.status_code == 200 and svg.headers["content-type"] == "image/svg+xml"

    # The coverage matrix: members as row headers, schemas as column headers, words with the
    # marks, the advice of the empty cells, the JSON and CSV versions.
    matrix = body[body.index('<table class="coverage">'):]
    matrix = matrix[:matrix.index("</table>")]
    assert "<caption" in matrix
    assert ('<th scope="row"><a href="/organisations/grand-nancy">Métropole du Grand Nancy'
            '</a></th>') in matrix
    assert len(re.findall(r'<th scope="col">', matrix)) == 2 + len(table["schemas"])
    assert "Publié" in matrix and "Non publié" in matrix
    grand_nancy = next(r for r in table["members"] if r["slug"] == "grand-nancy")
    advice = next(c for c in grand_nancy["cells"] if not c["published"])["to_publish"]
    assert advice["action"].startswith("Publiez ") and advice["action"] in matrix
    assert f'<a href="{advice["url"]}">' in matrix
    assert "conforme au schéma" in matrix
    assert 'href="/api/v1/committees/ctd-lorraine/coverage">JSON</a>' in body
    assert 'href="/api/v1/committees/ctd-lorraine/coverage.csv">CSV</a>' in body

    # The score chart, with its values as text.
    scores_src = "/api/v1/committees/ctd-lorraine/charts/scores.svg"
    assert images[scores_src].startswith("Graphique des notes des jeux de données publiés")
    assert "Notes des jeux de données publiés, par membre" in body
    assert client.get(scores_src).status_code == 200


def test_a_committee_without_published_data(client, world):
    response = client.get("/comites/comite-test", params={"carte": "arc-en-ciel"})
    page = check_accessible(response)
    assert "/api/v1/committees/comite-test/map.svg?colour=coverage" in \
        {a["src"] for a in page.all("img")}
    text = text_of(html.unescape(response.text))
    for name in ("Ville de Nancy", "Ville d'Épinal"):
        assert f"{name} 0 % (0 sur 7) pas de donnée" in text  # the map's values
        assert f"{name} 0 pas de donnée pas de donnée pas de donnée" in text  # the scores'
    assert "Publiez vos subventions au format du schéma SCDL Subventions" in text
    assert "0 publication(s) sur 14 attendues" in text
