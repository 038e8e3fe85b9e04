"""The harvest's pages: the sources a person may see, a source with the buttons their role
allows (refused server side too), a job with its live progress, in a real browser as well;
and `ctd harvest follow`, the progress bar of a job run in the background."""

from __future__ import annotations

import re
import threading
import time
from contextlib import contextmanager

import httpx
import pytest
import sqlalchemy as sa
from conftest import check_page, sign_in
from portals import serve
from portals.ckan import CkanPortal
from test_web_pages import Page, check_accessible
from test_web_pages import sign_in as sign_in_client
from typer.testing import CliRunner

from catalogue import db
from catalogue.auth import OPERATOR
from catalogue.cli import app
from connectors import harvest, sources

NANCY, EPINAL = "portail-nancy", "portail-epinal"


def add_source(client: httpx.Client, world, who: str, url: str, name: str = NANCY,
               organization: str = "ville-de-nancy", **config) -> dict:
    """A CKAN source through the API: validated at once when ``who`` coordinates."""
    response = client.post("/api/v1/harvest/sources", headers=world.headers(who), json={
        "name": name, "type": "ckan", "url": url, "organization": organization,
        "config": config})
    assert response.status_code == 201, response.text
    return response.json()


def run_now(name: str) -> int:
    """Harvest ``name`` in this process, as `ctd harvest run` does; the job's id."""
    with db.session_scope() as session:
        job = harvest.create_job(session, sources.find(session, OPERATOR, name))
    return harvest.run_job(job.id).id


@contextmanager
def signed_in(live_server: str, world, who: str):
    """A browser-like client (cookies, CSRF) signed in on the pages as ``who``."""
    with httpx.Client(base_url=live_server, timeout=30) as client:
        assert sign_in_client(client, world.tokens[who]).status_code == 303
        yield client


def csrf(client: httpx.Client, path: str) -> str:
    page = Page(client.get(path).text)
    return next(a["value"] for a in page.all("input") if a.get("name") == "csrf")


def post_form(client: httpx.Client, path: str, action: str, **fields) -> httpx.Response:
    """Post the form of ``path`` whose action is ``action``, with its CSRF field."""
    return client.post(action, data={"csrf": csrf(client, path)} | fields)


def source_names(response: httpx.Response) -> list[str]:
    return re.findall(r'<th scope="row"><a href="/moissonnage/([^"]+)">', response.text)


def refresh_state(body: str) -> str | None:
    """The ``data-refresh`` of the progress element, None once the job is finished."""
    tag = re.search(r'<section id="avancement"[^>]*>', body).group(0)
    assert 'aria-live="polite"' in tag
    found = re.search(r'data-refresh="(\d+)"', tag)
    return found.group(1) if found else None


class GatedPortal(CkanPortal):
    """A CKAN portal that holds every answer until the test opens ``gate``: its harvest
    stays in progress as long as the test needs."""

    def __init__(self, **kwargs) -> None:
        super().__init__(**kwargs)
        self.gate = threading.Event()

    def handle(self, request):
        self.gate.wait(timeout=60)
        return super().handle(request)


@contextmanager
def gated_portal(count: int):
    portal = GatedPortal(count=count)
    try:
        with serve(portal) as url:
            yield portal, url
    finally:
        portal.gate.set()


# --- httpx ----------------------------------------------------------------------------------

@pytest.mark.parametrize("path", ["/moissonnage", "/moissonnage/portail-nancy",
                                  "/moissonnage/taches/1", "/moissonnage/sante.svg"])
def test_anonymous_is_invited_to_sign_in(client, world, path):
    response = client.get(path)
    assert response.status_code == 401
    page = check_accessible(response)
    assert "Connexion requise" in response.text
    assert "Authentification requise pour consulter" in response.text
    assert page.link("Connectez-vous") == "/connexion"


def test_sources_are_scoped_like_the_api(client, live_server, world):
    add_source(client, world, "publisher", "https://data.nancy.example.fr")
    add_source(client, world, "other_publisher", "https://data.epinal.example.fr",
               name=EPINAL, organization="ville-d-epinal")
    seen = {}
    for who in ("publisher", "other_publisher", "coordinator", "admin", "vendor"):
        with signed_in(live_server, world, who) as browser:
            response = browser.get("/moissonnage")
            assert response.status_code == 200, who
            check_accessible(response)
            seen[who] = source_names(response)
            api = client.get("/api/v1/harvest/sources", headers=world.headers(who)).json()
            assert seen[who] == [s["name"] for s in api], who
    assert seen == {"publisher": [NANCY], "other_publisher": [EPINAL],
                    "coordinator": [EPINAL, NANCY], "admin": [EPINAL, NANCY], "vendor": []}
    with signed_in(live_server, world, "other_publisher") as epinal:
        for refused in (epinal.get(f"/moissonnage/{NANCY}"),
                        post_form(epinal, "/moissonnage", f"/moissonnage/{NANCY}/lancer")):
            assert refused.status_code == 404
            assert "Source de moissonnage inconnue" in refused.text
    with signed_in(live_server, world, "vendor") as vendor:
        assert "Aucune source de moissonnage ne vous est accessible" in vendor.get(
            "/moissonnage").text


def test_sources_table_says_type_organisation_validation_and_last_job(client, live_server,
                                                                        world):
    portal = CkanPortal(count=3)
    with serve(portal) as url:
        add_source(client, world, "coordinator", url)
        job_id = run_now(NANCY)
    add_source(client, world, "publisher", "https://data.example.fr", name="a-valider")
    with signed_in(live_server, world, "publisher") as browser:
        response = browser.get("/moissonnage")
        page = check_accessible(response)
        body = response.text
        assert any(a.get("aria-current") == "page" and a.get("href") == "/moissonnage"
                   for a in page.all("a"))
        assert "<caption>2 source(s) de moissonnage" in body
        rows = {name: " ".join(row.split()) for name, row in re.findall(
            r'<tr>\s*<th scope="row"><a href="/moissonnage/([^"]+)">.*?</th>(.*?)</tr>', body,
            re.S)}
        assert "CKAN" in rows[NANCY] and "Ville de Nancy" in rows[NANCY]
        assert "validée" in rows[NANCY] and "à la demande" in rows[NANCY]
        assert f'href="/moissonnage/taches/{job_id}">Terminée' in rows[NANCY]
        assert "3 ajouté(s), 0 mis à jour, 0 archivé(s), 0 en erreur" in rows[NANCY]
        assert "à valider" in rows["a-valider"] and "jamais moissonnée" in rows["a-valider"]
        assert page.link(NANCY) == f"/moissonnage/{NANCY}"
        image = page.all("img")[0]
        assert image["src"] == "/moissonnage/sante.svg" and "tableau" in image["alt"]
        chart = browser.get(image["src"])
        assert chart.status_code == 200
        assert chart.headers["content-type"].startswith("image/svg+xml")
        assert NANCY in chart.text and "a-valider" in chart.text


def test_publisher_sees_no_validate_button_and_is_refused(client, live_server, world):
    add_source(client, world, "publisher", "https://data.example.fr")
    path = f"/moissonnage/{NANCY}"
    with signed_in(live_server, world, "publisher") as publisher:
        response = publisher.get(path)
        check_accessible(response)
        assert "Valider la source" not in response.text
        assert "Lancer un moissonnage" not in response.text
        assert "en attente" in response.text
        refused = post_form(publisher, path, f"{path}/valider")
        assert refused.status_code == 403
        check_accessible(refused)
        assert "Action refusée" in refused.text
        assert "réservé aux coordinateurs du comité" in refused.text
        # A run of a source not validated yet: refused, in French, on the source page.
        conflict = post_form(publisher, path, f"{path}/lancer")
        assert conflict.status_code == 409
        check_accessible(conflict)
        assert "doit être validée par un coordinateur" in conflict.text
        assert "<h1>Source de moissonnage « portail-nancy »</h1>" in conflict.text
        # A form without its CSRF field is refused before anything is done.
        for action in ("valider", "lancer"):
            forged = publisher.post(f"{path}/{action}", data={})
            assert forged.status_code == 403
            assert "anti-falsification" in forged.text
    assert client.get(f"/api/v1/harvest/sources/{NANCY}", headers=world.headers(
        "publisher")).json()["validated"] is False
    assert client.get("/api/v1/harvest/jobs", headers=world.headers("admin")).json() == []
    with signed_in(live_server, world, "coordinator") as coordinator:
        assert "Valider la source" in coordinator.get(path).text
        validated = post_form(coordinator, path, f"{path}/valider")
        assert validated.status_code == 303 and validated.headers["location"] == path
        after = coordinator.get(path).text
        assert "validée par coordinator" in after and "Valider la source" not in after
    with signed_in(live_server, world, "publisher") as publisher:
        assert "Lancer un moissonnage" in publisher.get(path).text


def test_an_unreachable_queue_is_a_503_message_and_a_failed_job(client, live_server, world,
                                                                 monkeypatch):
    monkeypatch.setenv("CTD_JOBS_URL", "redis://127.0.0.1:1/0")  # nothing listens there
    add_source(client, world, "coordinator", "https://data.example.fr")
    path = f"/moissonnage/{NANCY}"
    with signed_in(live_server, world, "publisher") as publisher:
        response = post_form(publisher, path, f"{path}/lancer")
    assert response.status_code == 503
    check_accessible(response)
    assert "des tâches est injoignable" in response.text
    assert "Échouée" in response.text  # the job it could not queue, in the history
    assert [j["status"] for j in client.get("/api/v1/harvest/jobs", headers=world.headers(
        "admin")).json()] == ["failed"]


def test_a_finished_job_shows_its_outcome_and_item_errors(client, live_server, world):
    portal = CkanPortal(count=2, resources=1)
    with serve(portal) as url:
        portal.files_base = f"{url}/files"
        add_source(client, world, "coordinator", url, download_files=True,
                   max_file_bytes=10)
        job_id = run_now(NANCY)
    with signed_in(live_server, world, "publisher") as publisher:
        source = publisher.get(f"/moissonnage/{NANCY}")
        check_accessible(source)
        assert f'<a href="/moissonnage/taches/{job_id}">n° {job_id}</a>' in source.text
        response = publisher.get(f"/moissonnage/taches/{job_id}")
    check_accessible(response)
    body = response.text
    assert refresh_state(body) is None and "<progress" not in body
    assert "<strong>Terminée avec des erreurs</strong>" in body
    api = client.get(f"/api/v1/harvest/jobs/{job_id}", headers=world.headers("publisher"))
    detail = api.json()
    assert detail["errored"] == 2 and len(detail["errors"]) == 2
    for error in detail["errors"]:
        assert error["remote_id"] in body
    assert "2 jeu(x) de données non pris" in body and "download" in body
    assert re.search(r"<dt>En erreur</dt>\s*<dd>2</dd>", body)
    assert re.search(r"<dt>Ajoutés</dt>\s*<dd>2</dd>", body)


def test_a_job_in_progress_refreshes_until_it_is_done(client, live_server, world,
                                                      background_jobs):
    with gated_portal(count=4) as (portal, url):
        add_source(client, world, "coordinator", url)
        path = f"/moissonnage/{NANCY}"
        with signed_in(live_server, world, "publisher") as publisher:
            started = post_form(publisher, path, f"{path}/lancer")
            assert started.status_code == 303
            job_page = started.headers["location"]
            assert re.fullmatch(r"/moissonnage/taches/\d+", job_page)
            running = publisher.get(job_page)
            check_accessible(running)
            assert refresh_state(running.text) == "1000"
            assert re.search(r"<strong>(En attente|En cours)</strong>", running.text)
            # No total is known while gathering: an indeterminate bar, with its label.
            assert re.search(r'<label for="barre-avancement">0 jeu\(x\) de données lu\(s\)',
                             running.text)
            assert re.search(r'<progress id="barre-avancement">', running.text)
            # While it runs, the source page links to it instead of offering another run.
            source = publisher.get(path).text
            assert "Lancer un moissonnage" not in source
            assert f'href="{job_page}">suivre la tâche' in source
            portal.gate.set()
            deadline = time.monotonic() + 60
            while refresh_state(body := publisher.get(job_page).text) is not None:
                assert time.monotonic() < deadline, "the job did not finish"
                time.sleep(0.2)
    assert "<strong>Terminée</strong>" in body and "<h2 id=\"avancement-titre\">Résultat" in body
    assert re.search(r"<dt>Ajoutés</dt>\s*<dd>4</dd>", body)
    assert "Aucune : tous les jeux de données lus ont été pris." in body


def test_a_job_whose_portal_announced_its_size_shows_a_determinate_bar(client, live_server,
                                                                      world):
    """A CKAN portal says how many datasets it holds: the bar shows the share read."""
    from catalogue.models import utcnow
    from connectors.models import HarvestJob, HarvestSource, JobStatus

    with serve(CkanPortal(count=1)) as url:
        add_source(client, world, "coordinator", url)
    with db.session_scope() as session:
        source = session.exec(sa.select(HarvestSource).where(
            HarvestSource.name == NANCY)).scalar_one()
        job = HarvestJob(source_id=source.id, status=JobStatus.running, seen=30, expected=120,
                         worker=harvest.worker_id(), started=utcnow(), heartbeat=utcnow())
        session.add(job)
        session.commit()
        job_id = job.id
    with signed_in(live_server, world, "publisher") as publisher:
        body = publisher.get(f"/moissonnage/taches/{job_id}").text
    assert refresh_state(body) == "1000"
    assert re.search(r'<label for="barre-avancement">30 jeu\(x\) de données lu\(s\) sur 120 '
                     r'annoncé\(s\) par le portail</label>', body)
    assert '<progress id="barre-avancement" value="30" max="120">' in body


def test_a_flagged_source_can_be_run_accepting_deletions(client, live_server, world,
                                                         background_jobs):
    portal = CkanPortal(count=5)
    with serve(portal) as url:
        add_source(client, world, "coordinator", url, grace_days=0)
        run_now(NANCY)
        for package_id in list(portal.packages)[:3]:
            portal.delete(package_id)
        run_now(NANCY)  # 3 of 5 vanished at once: nothing archived, the source flagged
        path = f"/moissonnage/{NANCY}"
        with signed_in(live_server, world, "publisher") as publisher:
            flagged = publisher.get(path)
            check_accessible(flagged)
            assert "ont disparu d&#39;un coup" in flagged.text
            assert 'name="accept_deletions"' in flagged.text
            started = post_form(publisher, path, f"{path}/lancer", accept_deletions="1")
            assert started.status_code == 303
            job_page = started.headers["location"]
            deadline = time.monotonic() + 60
            while refresh_state(body := publisher.get(job_page).text) is not None:
                assert time.monotonic() < deadline, "the job did not finish"
                time.sleep(0.2)
            assert re.search(r"<dt>Archivés \(disparus de la source\)</dt>\s*<dd>3</dd>", body)
            cleared = publisher.get(path).text
            assert "À vérifier" not in cleared and 'name="accept_deletions"' not in cleared


def test_unknown_and_bad_job_numbers_are_french_pages(live_server, world):
    with signed_in(live_server, world, "admin") as admin:
        unknown = admin.get("/moissonnage/taches/99999")
        assert unknown.status_code == 404 and "Moisson inconnue" in unknown.text
        assert admin.get("/moissonnage/taches/0").status_code == 400
        assert admin.get("/moissonnage/taches/abc").status_code == 400
        missing = admin.get("/moissonnage/rien")
        assert missing.status_code == 404 and "Source de moissonnage inconnue" in missing.text


# --- a real browser -------------------------------------------------------------------------

def test_publisher_starts_a_harvest_and_follows_it_live(page, client, world,
                                                        background_jobs):
    with gated_portal(count=5) as (portal, url):
        add_source(client, world, "coordinator", url)
        sign_in(page, world.tokens["publisher"])
        page.get_by_role("link", name="Moissonnage").click()
        page.get_by_role("heading", name="Moissonnage", level=1).wait_for()
        # The health chart is drawn for the signed-in person (the session cookie).
        page.wait_for_function("() => { const chart = document.querySelector('figure img');"
                               " return chart.complete && chart.naturalWidth > 0; }")
        check_page(page, "moissonnage")
        page.get_by_role("link", name=NANCY).click()
        page.get_by_role("heading", name=f"Source de moissonnage « {NANCY} »").wait_for()
        assert page.get_by_role("button", name="Valider la source").count() == 0
        check_page(page, "source-moissonnage")
        page.get_by_role("button", name="Lancer un moissonnage").click()
        page.wait_for_url(re.compile(r"/moissonnage/taches/\d+$"))
        progress = page.locator("#avancement")
        assert progress.get_attribute("data-refresh") == "1000"
        assert progress.get_attribute("aria-live") == "polite"
        assert page.locator("#barre-avancement").count() == 1
        portal.gate.set()
        page.locator('#avancement[data-refreshed="done"]').wait_for(timeout=60_000)
    assert progress.get_attribute("data-refresh") is None
    assert "Terminée" in progress.locator(".harvest-status").inner_text()
    assert page.locator("#barre-avancement").count() == 0
    check_page(page, "tache-moissonnage")
    page.get_by_role("link", name=NANCY).first.click()
    page.get_by_role("heading", name="Moissonnages récents").wait_for()
    assert "Terminée" in page.locator("table").inner_text()


# --- ctd harvest follow ---------------------------------------------------------------------

def test_cli_follow_shows_a_background_run_to_its_end(world, background_jobs):
    runner = CliRunner()
    with serve(CkanPortal(count=3)) as url:
        added = runner.invoke(app, ["harvest", "add", "--type", "ckan", "--url", url,
                                    "--organization", "ville-de-nancy", "--name", "nancy"])
        assert added.exit_code == 0, added.output
        queued = runner.invoke(app, ["harvest", "run", "nancy", "--background"])
        assert queued.exit_code == 0, queued.output
        job_id = re.search(r"Moisson n° (\d+) confiée", queued.output).group(1)
        assert f"ctd harvest follow {job_id}" in queued.output
        followed = runner.invoke(app, ["harvest", "follow", job_id, "--interval", "0.1",
                                       "--timeout", "60"])
    assert followed.exit_code == 0, followed.output
    assert f"Moisson n° {job_id} terminée : 3 ajouté(s)" in followed.output


def test_cli_follow_of_a_failed_job_exits_non_zero(world, background_jobs):
    runner = CliRunner()
    with serve(CkanPortal(count=0)) as url:
        pass  # nothing listens there any more
    runner.invoke(app, ["harvest", "add", "--type", "ckan", "--url", url,
                        "--organization", "ville-de-nancy", "--name", "eteinte"])
    queued = runner.invoke(app, ["harvest", "run", "eteinte", "--background"])
    job_id = re.search(r"Moisson n° (\d+) confiée", queued.output).group(1)
    followed = runner.invoke(app, ["harvest", "follow", job_id, "--interval", "0.1",
                                   "--timeout", "60"])
    assert followed.exit_code == 1
    assert "échouée" in followed.output and "connexion impossible" in followed.output
    unknown = runner.invoke(app, ["harvest", "follow", "99999"])
    assert unknown.exit_code == 1 and "Moisson inconnue" in unknown.output


def test_cli_follow_gives_up_after_its_timeout(world, monkeypatch, tmp_path):
    monkeypatch.setenv("CTD_JOBS_URL", f"sqlite:///{tmp_path / 'jobs.sqlite'}")
    runner = CliRunner()
    runner.invoke(app, ["harvest", "add", "--type", "ckan", "--url", "https://data.example.fr",
                        "--organization", "ville-de-nancy", "--name", "nancy"])
    # Queued, but no consumer runs: the job stays pending.
    queued = runner.invoke(app, ["harvest", "run", "nancy", "--background"])
    job_id = re.search(r"Moisson n° (\d+) confiée", queued.output).group(1)
    followed = runner.invoke(app, ["harvest", "follow", job_id, "--timeout", "1",
                                   "--interval", "0.2"])
    assert followed.exit_code == 1
    assert "n'est pas finie après 1 s" in followed.output
    assert f"ctd harvest follow {job_id}" in followed.output
