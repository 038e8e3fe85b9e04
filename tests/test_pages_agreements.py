"""The sharing agreements' pages: the access-request form (French errors keeping what was
typed, CSRF), the requests and review queues, a request's page whose buttons are only the
actions the API lists for the reader (and whose forged actions are refused), and the whole
path in a real browser: a vendor asks, the city's CDO approves."""

from __future__ import annotations

import html
import io
import re
from datetime import date, timedelta

import httpx
import pytest
from conftest import check_page, sign_in
from test_web_pages import Page, check_accessible

from catalogue import auth, datasets, db, resources
from catalogue.schemas import DatasetCreate

REQUESTS = "/api/v1/access-requests"


def restricted_dataset(title: str = "Fréquentation des piscines") -> str:
    """A published, restricted dataset of the Ville de Nancy with a CSV file, made through
    the logic (as tests/test_browser.py's agreement_in_force does); its slug."""
    with db.session_scope() as session:
        cdo = auth.actor_for(session, auth.grant_role(session, "publisher", auth.Role.publisher,
                                                      organization="ville-de-nancy"))
        dataset = datasets.create(session, cdo, DatasetCreate(
            title=title, publisher="ville-de-nancy", licence="other",
            access_type="restricted", state="published"))
        resources.create_upload(session, cdo, dataset, io.BytesIO(b"bassin;entrees\nA;3\n"),
                                "piscines.csv")
        return dataset.slug


def shown(response: httpx.Response) -> str:
    """The page's text with its character references resolved (« n'a » is « n&#39;a »)."""
    return html.unescape(response.text)


def csrf_of(response: httpx.Response) -> str:
    return next(a["value"] for a in Page(response.text).all("input") if a.get("name") == "csrf")


@pytest.fixture
def people(live_server, world):
    """A signed-in browser-like client for each role of the test world."""
    opened: dict[str, httpx.Client] = {}

    def person(who: str) -> httpx.Client:
        if who not in opened:
            client = httpx.Client(base_url=live_server, timeout=30)
            if who != "anonymous":
                form = client.get("/connexion")
                signed = client.post("/connexion", data={"token": world.tokens[who],
                                                         "csrf": csrf_of(form)})
                assert signed.status_code == 303, signed.text
            opened[who] = client
        return opened[who]

    yield person
    for client in opened.values():
        client.close()


def good_form(slug: str) -> dict[str, str | list[str]]:
    today = date.today()
    return {"title": "Étude de la fréquentation", "datasets": slug,
            "purposes": ["scientific-research"], "personal_data": "none",
            "role": "controller", "hosting_country": "FR", "subprocessors_declared": "none",
            "start": today.isoformat(), "end": (today + timedelta(days=365)).isoformat(),
            "max_requests": "100", "max_bytes": "100000000"}


def submit_form(client: httpx.Client, slug: str, **changes) -> httpx.Response:
    form = client.get("/demandes/nouvelle", params={"jeu": slug})
    assert form.status_code == 200, form.text
    return client.post("/demandes/nouvelle",
                       data={**good_form(slug), **changes, "csrf": csrf_of(form)})


def made_request(people, slug: str) -> int:
    """A request submitted through the form by the vendor; its number."""
    sent = submit_form(people("vendor"), slug)
    assert sent.status_code == 303, shown(sent)
    number = int(re.fullmatch(r"/demandes/(\d+)\?fait=submit", sent.headers["location"])[1])
    return number


def post_action(client: httpx.Client, number: int, action: str, **fields) -> httpx.Response:
    page = client.get(f"/demandes/{number}")
    return client.post(f"/demandes/{number}/{action}", data={**fields, "csrf": csrf_of(page)})


def buttons(response: httpx.Response) -> list[str]:
    return [re.sub(r"\s+", " ", b).strip()
            for b in re.findall(r"<button[^>]*>(.*?)</button>", response.text, re.S)]


# --- the form ------------------------------------------------------------------------------

def test_the_form_is_french_accessible_and_filled_in_from_the_dataset(people):
    slug = restricted_dataset()
    form = people("vendor").get("/demandes/nouvelle", params={"jeu": slug})
    assert form.status_code == 200
    page = check_accessible(form)
    assert "Fréquentation des piscines" in form.text
    assert re.search(rf'<textarea id="champ-datasets"[^>]*>{slug}</textarea>', form.text)
    # Every purpose of the vocabulary, with its French label; fields grouped and described.
    assert "Recherche scientifique" in form.text and "Statistique publique" in form.text
    assert len(page.all("fieldset")) >= 6 and len(page.all("legend")) == len(
        page.all("fieldset"))
    described = [a for t, a in page.elements if t in ("input", "select", "textarea")
                 and a.get("type") not in ("hidden", "radio")
                 and not a.get("name", "").startswith(("legal_bases",))]
    assert all(a.get("aria-describedby") for a in described), described
    assert {a["type"] for a in page.all("input") if a.get("name") in ("start", "end")} == {
        "date"}


def test_invalid_input_comes_back_in_french_with_what_was_typed(people, client, world):
    slug = restricted_dataset()
    vendor = people("vendor")
    sent = submit_form(vendor, slug, title="ab", purposes=[], max_requests="beaucoup",
                       end=(date.today() - timedelta(days=3)).isoformat(),
                       hosting_provider="Hébergeur « Nord »", subprocessors_declared="list",
                       subprocessors="Sans pays")
    assert sent.status_code == 422
    check_accessible(sent)
    alert = shown(sent)[shown(sent).index('role="alert"'):]
    for message in ("Écrivez au moins 3 caractères.", "Choisissez au moins une finalité.",
                    "Indiquez un nombre entier.", "Ligne 1 : écrivez « nom ; code du pays »"):
        assert message in alert
    # Each message also stands next to its field, which says it is invalid.
    assert re.search(r'<p class="field-error" id="erreur-title">', shown(sent))
    assert re.search(r'id="champ-title" name="title" value="ab" required '
                     r'aria-describedby="aide-title erreur-title" aria-invalid="true"',
                     shown(sent))
    assert 'value="Hébergeur « Nord »"' in shown(sent)
    assert '<option value="FR" selected>' in shown(sent)
    assert ">Sans pays</textarea>" in shown(sent)
    # The period: the end must follow the start (the model's own check).
    sent = submit_form(vendor, slug, end=(date.today() - timedelta(days=3)).isoformat())
    assert sent.status_code == 422 and "la fin de l'accès doit suivre son début" in \
        shown(sent).lower()
    # The logic's refusals come back the same way: an unknown dataset, a bad country.
    sent = submit_form(vendor, slug, datasets=f"{slug}\ninconnu")
    assert sent.status_code == 422
    assert "Jeu de données inconnu : « inconnu »." in shown(sent)
    assert 'id="erreur-datasets"' in shown(sent) and f"{slug}\ninconnu</textarea>" in shown(sent)
    sent = submit_form(vendor, slug, subprocessors_declared="list",
                       subprocessors="Nuage SAS ; ZZ")
    assert sent.status_code == 422 and "Ligne 1 : pays inconnu : « ZZ »" in shown(sent)
    # Nothing was created.
    assert client.get(REQUESTS, headers=world.headers("vendor")).json() == []


def test_a_form_without_its_csrf_field_is_refused(people, client, world):
    slug = restricted_dataset()
    vendor = people("vendor")
    refused = vendor.post("/demandes/nouvelle", data=good_form(slug))
    assert refused.status_code == 403 and "anti-falsification" in shown(refused)
    number = made_request(people, slug)
    cdo = people("publisher")
    refused = cdo.post(f"/demandes/{number}/approve", data={"note": ""})
    assert refused.status_code == 403 and "anti-falsification" in shown(refused)
    assert client.get(f"{REQUESTS}/{number}", headers=world.headers("vendor")
                      ).json()["state"] == "under_review"


def test_only_vendors_get_the_form_and_the_public_is_asked_to_sign_in(people):
    slug = restricted_dataset()
    for url in ("/demandes", f"/demandes/nouvelle?jeu={slug}", "/demandes/1"):
        page = people("anonymous").get(url)
        assert page.status_code == 401, url
        assert "Connexion requise" in shown(page) and 'href="/connexion"' in shown(page)
        check_accessible(page)
    refused = people("publisher").get(f"/demandes/nouvelle?jeu={slug}")
    assert refused.status_code == 403
    assert "Vous n'avez pas le droit de demander un accès" in shown(refused)
    form = people("publisher").get("/connexion")
    posted = people("publisher").post("/demandes/nouvelle",
                                      data={**good_form(slug), "csrf": csrf_of(form)})
    assert posted.status_code == 403


# --- lists, a request, its actions ---------------------------------------------------------

def test_the_vendor_sees_its_request_and_no_reviewer_button(people, client, world):
    slug = restricted_dataset()
    number = made_request(people, slug)
    vendor = people("vendor")
    page = vendor.get(f"/demandes/{number}?fait=submit")
    assert page.status_code == 200
    assert 'role="status"' in shown(page) and "La demande est soumise" in shown(page)
    assert "en instruction" in shown(page)          # the precheck passed
    assert "conforme" in shown(page) and "https://eur-lex.europa.eu/" in shown(page)
    api = client.get(f"{REQUESTS}/{number}", headers=world.headers("vendor")).json()
    assert api["actions"] == ["withdraw"] and buttons(page) == ["Se déconnecter", "Retirer"]
    # Forged, the reviewer's action is refused by the logic, on the request's page.
    refused = post_action(vendor, number, "approve")
    assert refused.status_code == 403
    assert 'role="alert"' in shown(refused) and "approuver la demande (demande n°" in \
        shown(refused)
    assert client.get(f"{REQUESTS}/{number}", headers=world.headers("vendor")
                      ).json()["state"] == "under_review"
    # The vendor's list: state in French, the dataset, the DGA deadline.
    listed = vendor.get("/demandes")
    check_accessible(listed)
    row = shown(listed)[shown(listed).index("Mes demandes"):]
    assert f'href="/demandes/{number}"' in row and "en instruction" in row
    assert "Fréquentation des piscines" in row and "Nouvelle demande d'accès" in shown(listed)
    assert "À instruire" not in shown(listed)


def test_the_cdo_reviews_and_another_members_cdo_sees_nothing(people, client, world):
    slug = restricted_dataset()
    number = made_request(people, slug)
    queue = people("publisher").get("/demandes")
    check_accessible(queue)
    text = shown(queue)
    waiting = text[text.index("À instruire"):text.index("Autres demandes")]
    assert f'href="/demandes/{number}"' in waiting and "Données Conseil SAS" in waiting
    assert "jour(s) restant(s)" in waiting
    page = people("publisher").get(f"/demandes/{number}")
    assert buttons(page)[1:] == ["Demander des compléments", "Faire une contre-proposition",
                                 "Refuser", "Approuver"]
    other = people("other_publisher")
    assert other.get(f"/demandes/{number}").status_code == 404
    assert f'href="/demandes/{number}"' not in other.get("/demandes").text
    # The coordinator of the committee does not review a single member's request.
    assert people("coordinator").get(f"/demandes/{number}").status_code == 404
    # An action on a request the reader cannot see is refused as if it did not exist.
    page = other.get("/demandes")
    refused = other.post(f"/demandes/{number}/reject",
                         data={"reasons": "Non.", "csrf": csrf_of(page)})
    assert refused.status_code == 404


def test_a_refusal_needs_reasons_and_is_published(people, client):
    slug = restricted_dataset()
    number = made_request(people, slug)
    cdo = people("publisher")
    empty = post_action(cdo, number, "reject", reasons=" ")
    assert empty.status_code == 422 and 'aria-invalid="true"' in shown(empty)
    assert "Motifs : Ce champ est obligatoire." in shown(empty)
    done = post_action(cdo, number, "reject", reasons="Finalité trop vague.\nPrécisez-la.")
    assert done.status_code == 303 and done.headers["location"] == \
        f"/demandes/{number}?fait=reject"
    page = cdo.get(done.headers["location"])
    assert "refusée" in shown(page) and "les motifs sont publiés" in shown(page)
    assert buttons(page) == ["Se déconnecter"]
    # A second decision: the wrong state, said on the page (409).
    again = post_action(cdo, number, "approve")
    assert again.status_code == 409 and "est « refusée »" in shown(again)
    register = client.get("/registre")
    check_accessible(register)
    assert "Finalité trop vague." in shown(register) and "Précisez-la." in shown(register)


def test_from_approval_to_an_access_token(people, client, world):
    slug = restricted_dataset()
    number = made_request(people, slug)
    vendor, cdo = people("vendor"), people("publisher")
    early = post_action(vendor, number, "sign")
    assert early.status_code == 409 and "pas de convention approuvée" in shown(early)
    assert post_action(cdo, number, "approve", note="Bon projet.").status_code == 303
    page = vendor.get(f"/demandes/{number}")
    agreement = client.get(f"{REQUESTS}/{number}", headers=world.headers("vendor")
                           ).json()["agreement"]
    assert f'name="agreement_hash" value="{agreement["hash"]}"' in shown(page)
    # The agreement's document, for the parties' sessions (the API's wants a bearer token).
    assert f'href="/conventions/{agreement["id"]}.pdf"' in shown(page)
    pdf = vendor.get(f"/conventions/{agreement['id']}.pdf")
    assert pdf.status_code == 200 and pdf.content.startswith(b"%PDF")
    document = cdo.get(f"/conventions/{agreement['id']}")
    assert document.status_code == 200 and agreement["hash"] in document.text
    assert people("other_publisher").get(f"/conventions/{agreement['id']}").status_code == 404
    assert people("anonymous").get(f"/conventions/{agreement['id']}").status_code == 401
    assert buttons(page)[1:] == ["Signer", "Retirer"]
    # A hash other than the agreement's is refused.
    wrong = post_action(vendor, number, "sign", agreement_hash="0" * 64)
    assert wrong.status_code == 409 and "ne correspond pas" in shown(wrong)
    assert post_action(vendor, number, "sign", agreement_hash=agreement["hash"]
                       ).status_code == 303
    queue = shown(cdo.get("/demandes"))
    waiting = queue[queue.index("À instruire"):queue.index("Autres demandes")]
    assert f'href="/demandes/{number}"' in waiting and "signée par le demandeur" in waiting
    assert "Contresigner" in buttons(cdo.get(f"/demandes/{number}"))
    done = post_action(cdo, number, "countersign", agreement_hash=agreement["hash"])
    assert done.status_code == 303
    assert "en vigueur" in cdo.get(done.headers["location"]).text
    granted = post_action(vendor, number, "grant")
    assert granted.status_code == 200 and "Votre jeton d'accès" in shown(granted)
    token = re.search(r"ctdg_[A-Za-z0-9_-]+", shown(granted))[0]
    scope = client.get("/api/v1/access", headers={"Authorization": f"Bearer {token}"})
    assert scope.status_code == 200, scope.text
    history = shown(vendor.get(f"/demandes/{number}"))
    for step in ("Soumettre la demande", "Approuver la demande", "Signer la convention",
                 "Contresigner la convention", "Bon projet."):
        assert step in history


def test_information_asked_is_supplied_on_the_form(people, client, world):
    slug = restricted_dataset()
    vendor = people("vendor")
    sent = submit_form(vendor, slug, hosting_country="", subprocessors_declared="")
    assert sent.status_code == 303
    number = int(re.search(r"/demandes/(\d+)", sent.headers["location"])[1])
    page = vendor.get(sent.headers["location"])
    assert "compléments demandés" in shown(page) and "complément demandé" in shown(page)
    assert f'href="/demandes/{number}/modifier"' in shown(page)
    assert f'href="/demandes/{number}/modifier"' not in shown(people("publisher").get(
        f"/demandes/{number}"))
    assert people("publisher").get(f"/demandes/{number}/modifier").status_code == 403
    form = vendor.get(f"/demandes/{number}/modifier")
    assert form.status_code == 200
    check_accessible(form)
    assert 'value="Étude de la fréquentation"' in shown(form)
    assert "Indiquez le pays où les données seront hébergées" in shown(form)
    # Still missing the sub-processors: the country is kept, the rest asked again.
    data = {**good_form(slug), "subprocessors_declared": "", "note": "Hébergement précisé.",
            "csrf": csrf_of(form)}
    again = vendor.post(f"/demandes/{number}/modifier", data=data)
    assert again.status_code == 422 and "Il manque encore" in shown(again)
    assert "sous-traitants" in shown(again)
    api = client.get(f"{REQUESTS}/{number}", headers=world.headers("vendor")).json()
    assert api["hosting"]["country"] == "FR" and api["state"] == "info_requested"
    done = vendor.post(f"/demandes/{number}/modifier",
                       data={**data, "subprocessors_declared": "list",
                             "subprocessors": "OVHcloud ; FR"})
    assert done.status_code == 303 and done.headers["location"].endswith("?fait=answer")
    api = client.get(f"{REQUESTS}/{number}", headers=world.headers("vendor")).json()
    assert api["state"] == "under_review"
    assert api["subprocessors"] == [{"name": "OVHcloud", "country": "FR"}]
    assert api["events"][-1]["note"] == "Hébergement précisé."
    # Under review, the terms no longer change.
    closed = vendor.get(f"/demandes/{number}/modifier")
    assert closed.status_code == 409 and "ne se modifie plus" in shown(closed)


def test_a_counter_offer_tightens_the_terms_and_the_vendor_accepts_it(people, client, world):
    slug = restricted_dataset()
    number = made_request(people, slug)
    cdo, vendor = people("publisher"), people("vendor")
    later = (date.today() + timedelta(days=800)).isoformat()
    refused = post_action(cdo, number, "counter-offer", reasons="Trop long.", end=later)
    assert refused.status_code == 422 and "sans la placer avant son début" in shown(refused)
    assert f'value="{later}"' in shown(refused)        # what was typed is kept
    done = post_action(cdo, number, "counter-offer", reasons="Moins de requêtes.",
                       max_requests="50", add_clauses=["SPE-ONLY"])
    assert done.status_code == 303
    page = vendor.get(f"/demandes/{number}")
    assert "Moins de requêtes." in shown(page) and "contre-proposition" in shown(page)
    assert buttons(page)[1:] == ["Accepter la contre-proposition", "Retirer"]
    assert post_action(vendor, number, "accept-counter-offer").status_code == 303
    api = client.get(f"{REQUESTS}/{number}", headers=world.headers("vendor")).json()
    assert api["state"] == "under_review" and api["max_requests"] == 50
    assert "SPE-ONLY" in api["clauses"]


# --- in a real browser ---------------------------------------------------------------------

def test_a_vendor_asks_and_the_city_approves_in_a_browser(page, browser, live_server, world):
    slug = restricted_dataset()
    sign_in(page, world.tokens["vendor"])
    page.goto(f"/demandes/nouvelle?jeu={slug}")
    check_page(page, "demande-formulaire")
    page.get_by_label("Objet de la demande").fill("Étude de la fréquentation des piscines")
    page.get_by_label("Recherche scientifique", exact=True).check()
    page.get_by_label("Pays d'hébergement").select_option("FR")
    page.get_by_label("Aucun sous-traitant").check()
    page.get_by_label("Fin de l'accès").fill(
        (date.today() + timedelta(days=365)).isoformat())
    page.get_by_label("Nombre maximal de requêtes").fill("100")
    page.get_by_label("Volume maximal").fill("100000000")
    page.get_by_role("button", name="Déposer la demande").click()
    page.wait_for_url(re.compile(r".*/demandes/\d+\?fait=submit$"))
    number = int(re.search(r"/demandes/(\d+)", page.url)[1])
    assert page.get_by_role("status").inner_text().startswith("La demande est soumise")
    assert "en instruction" in page.locator(".demande-etat").inner_text()
    precheck = page.locator("section", has=page.locator("#verification"))
    assert "conforme" in precheck.inner_text()
    check_page(page, "demande")
    assert page.get_by_role("button", name="Approuver").count() == 0

    # The Ville de Nancy's CDO, in a browser of their own.
    context = browser.new_context(base_url=live_server, locale="fr-FR",
                                  viewport={"width": 1280, "height": 900})
    try:
        cdo = context.new_page()
        sign_in(cdo, world.tokens["publisher"])
        cdo.get_by_role("link", name="Demandes d'accès").click()
        cdo.wait_for_url("**/demandes")
        queue = cdo.get_by_role("table").filter(has_text="en attente de votre décision")
        assert "Données Conseil SAS" in queue.inner_text()
        check_page(cdo, "demandes-file")
        queue.get_by_role("link", name="Étude de la fréquentation des piscines").click()
        cdo.wait_for_url(f"**/demandes/{number}")
        # The reviewer's actions: their forms (reasons, counter-offer) are accessible too.
        assert cdo.get_by_label("Motifs du refus").get_attribute("required") is not None
        check_page(cdo, "demande-instruction")
        cdo.get_by_role("button", name="Approuver").click()
        cdo.wait_for_url(f"**/demandes/{number}?fait=approve")
        assert "La demande est approuvée" in cdo.get_by_role("status").inner_text()
        assert "approuvée" in cdo.locator(".demande-etat").inner_text()
        link = cdo.get_by_role("link", name="Lire la convention")
        assert re.fullmatch(r"/conventions/\d+", link.get_attribute("href"))
        check_page(cdo, "demande-approuvee")
        link.click()
        assert "convention" in cdo.get_by_role("heading", level=1).inner_text().lower()
    finally:
        context.close()
