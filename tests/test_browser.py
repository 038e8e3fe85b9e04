"""Pages in a real headless Chromium on the live server: what citizens and officials see,
checked with axe-core (no serious violation) and kept as screenshots (test-artefacts/)."""

from __future__ import annotations

import io
from datetime import date

from conftest import check_page

from catalogue import auth, datasets, db, resources
from catalogue.schemas import DatasetCreate


def agreement_in_force() -> None:
    """The test world's vendor under an agreement with the Ville de Nancy, in force."""
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
        agreements.approve(session, cdo, request)
        agreements.sign(session, vendor, request)
        agreements.countersign(session, cdo, request)


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
