"""Pages in a real headless Chromium on the live server: what citizens and officials see,
checked with axe-core (no serious violation) and kept as screenshots (test-artefacts/)."""

from __future__ import annotations

import io
from datetime import date

from conftest import check_page, sign_in

from catalogue import auth, datasets, db, resources
from catalogue.schemas import DatasetCreate


def agreement_in_force() -> int:
    """The test world's vendor under an agreement with the Ville de Nancy, in force; its
    id."""
    from sharing_agreements import agreements, requests
    from sharing_agreements.schemas import RequestCreate

    with db.session_scope() as session:
        cdo = auth.actor_for(session, auth.grant_role(session, "publisher", auth.Role.publisher,
                                                      organization="ville-de-nancy"))
        vendor = auth.actor_for(session, auth.grant_role(session, "vendor", auth.Role.vendor,
                                                         organization="donnees-conseil-sas"))
        dataset = datasets.create(session, cdo, DatasetCreate(
            title="Fréquentation des piscines", publisher="ville-de-nancy", licence="other",
            access_type="restricted", state="published"))
        resources.create_upload(session, cdo, dataset, io.BytesIO(b"bassin;entrees\nA;3\n"),
                                "piscines.csv")
        request = requests.create(session, vendor, RequestCreate(
            title="Étude de la fréquentation", datasets=[dataset.slug],
            purposes=["scientific-research"], hosting_country="FR", subprocessors=[],
            start=date.today(), end=date(date.today().year + 1, 12, 31), max_requests=100,
            max_bytes=10**8))
        requests.submit(session, vendor, request)
        agreement = agreements.approve(session, cdo, request)
        agreements.sign(session, vendor, request)
        agreements.countersign(session, cdo, request)
        return agreement.id


def test_the_public_register_of_agreements(page, world):
    agreement_in_force()
    page.goto("/registre")
    assert page.get_by_role("heading", level=1).inner_text() == \
        "Registre public des conventions de partage de données"
    row = page.get_by_role("row").filter(has_text="Fréquentation des piscines")
    assert "Données Conseil SAS" in row.inner_text() and "en vigueur" in row.inner_text()
    # The dataset link is reachable with the keyboard.
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.tagName") == "A"
    check_page(page, "registre")


def test_search_and_a_facet_then_the_dataset_and_its_publisher(page, demo):
    page.goto("/")
    check_page(page, "accueil")
    page.get_by_label("Rechercher des jeux de données").fill("subventions")
    page.keyboard.press("Enter")
    page.wait_for_url("**/jeux-de-donnees?q=subventions*")
    heading = page.locator("#resultats")
    before = int(heading.inner_text().split()[0])
    assert before > 1
    # A facet link narrows the results to one publisher.
    facets = page.locator("aside.facets")
    facets.get_by_role("link", name="Ville de Nancy", exact=False).first.click()
    page.wait_for_url("**publisher=ville-de-nancy*")
    after = int(heading.inner_text().split()[0])
    assert 0 < after < before
    titles = page.locator("ol.result-list h3").all_inner_texts()
    assert titles and all("Ville de Nancy" in t for t in titles)
    check_page(page, "recherche")
    # The dataset page, then its publisher's.
    page.locator("ol.result-list h3 a").first.click()
    assert "Ville de Nancy" in page.get_by_role("heading", level=1).inner_text()
    check_page(page, "jeu-de-donnees")
    page.get_by_role("link", name="Ville de Nancy", exact=True).first.click()
    page.wait_for_url("**/organisations/ville-de-nancy")
    check_page(page, "organisation")


def test_signing_in_with_a_token_shows_who_is_there(page, world):
    page.goto("/connexion")
    check_page(page, "connexion")
    page.get_by_label("Jeton d'accès").fill(world.tokens["publisher"])
    page.get_by_role("button", name="Se connecter").click()
    assert page.get_by_role("button", name="Se déconnecter").is_visible()
    assert "publisher" in page.locator("header").inner_text()


def test_a_cdo_publishes_a_dataset_uploads_a_csv_and_sees_its_quality_report(
        page, world, background_jobs, tmp_path):
    sign_in(page, world.tokens["publisher"])
    page.get_by_role("link", name="Publier", exact=True).click()
    check_page(page, "publier")
    page.get_by_label("Titre *").fill("Équipements sportifs")
    page.get_by_label("Description").fill("Les gymnases et stades de la ville, avec leur "
                                          "adresse et leur capacité.")
    page.get_by_label("Licence").select_option(label="Licence Ouverte / Open Licence 2.0")
    page.get_by_label("publié", exact=True).check()
    page.get_by_label("Éducation, culture et sport").check()
    page.get_by_label("Mots-clés").fill("sport, équipements")
    page.get_by_role("button", name="Enregistrer le jeu de données").click()
    page.wait_for_url("**/jeux-de-donnees/equipements-sportifs?fait=publie")
    assert "Le jeu de données est enregistré" in page.get_by_role("status").inner_text()

    csv = tmp_path / "equipements.csv"
    csv.write_text("nom;commune;capacite\nGymnase Provençal;Nancy;400\n"
                   "Stade Marcel-Picot;Tomblaine;20000\nPiscine du Lac;Nancy;300\n",
                   encoding="utf-8")
    page.get_by_label("Fichier (CSV, XLSX, JSON…)").set_input_files(str(csv))
    page.get_by_role("button", name="Déposer le fichier").click()
    page.wait_for_url("**/jeux-de-donnees/equipements-sportifs?fait=fichier*")
    assert page.get_by_role("row").filter(has_text="equipements.csv").is_visible()
    # The scan runs in the background; the report replaces « Analyse en cours » when done,
    # whether it was still running when the page was shown or had already finished.
    report = page.locator("#rapport-qualite")
    report.get_by_role("heading", name="Notes", exact=True).wait_for()
    assert "Analyse en cours" not in report.inner_text()
    assert "Aptitude à l'entraînement d'IA" in report.inner_text()
    check_page(page, "jeu-de-donnees-rapport-qualite")


def test_the_committee_dashboard_shows_the_map_the_coverage_matrix_and_the_roadmap(page, demo):
    page.goto("/")
    page.get_by_role("link", name="Comité territorial de la donnée de Lorraine").click()
    page.wait_for_url("**/comites/ctd-lorraine")
    # The map is drawn by the server and loaded as an image: it must have arrived.
    map_image = page.locator('img[src*="/map.svg"]')
    map_image.scroll_into_view_if_needed()
    page.wait_for_function("img => img.complete && img.naturalWidth > 0",
                           arg=map_image.element_handle())
    assert "Carte" in map_image.get_attribute("alt")
    matrix = page.locator("table.coverage")
    assert matrix.get_by_role("rowheader", name="Ville d'Épinal").is_visible()
    assert "Non publié" in matrix.inner_text() and "Publié" in matrix.inner_text()
    # The other colouring, by quality, without JavaScript: a plain link.
    page.get_by_role("link", name="Colorer selon l'aptitude à l'IA").click()
    page.wait_for_url("**carte=qualite*")
    assert "colour=quality" in page.locator('img[src*="/map.svg"]').get_attribute("src")
    roadmap = page.locator("#feuille-de-route").locator("xpath=..")
    assert "Planifier les bornes de recharge électrique" in roadmap.inner_text()
    assert "en retard" in roadmap.inner_text()
    check_page(page, "comite-tableau-de-bord")


def test_error_pages_and_the_agreement_document_are_accessible(page, world):
    agreement = agreement_in_force()
    page.goto("/nulle-part")
    assert page.get_by_role("heading", level=1).inner_text() == "Page introuvable"
    check_page(page, "erreur-404")
    page.goto("/demandes")
    assert page.get_by_role("heading", level=1).inner_text() == "Connexion requise"
    check_page(page, "erreur-401")
    page.get_by_role("link", name="Connectez-vous avec votre jeton d'accès").click()
    page.wait_for_url("**/connexion")
    sign_in(page, world.tokens["vendor"])
    page.goto(f"/conventions/{agreement}")
    assert "Convention" in page.get_by_role("heading", level=1).inner_text()
    check_page(page, "convention")
