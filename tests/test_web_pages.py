"""The web pages: French, accessible, without external resources; search with facets, a
dataset, an organisation, sign-in with its cookie, CSRF on forms, French error pages."""

from __future__ import annotations

import html
import re
from html.parser import HTMLParser
from urllib.parse import urlsplit

import httpx
import pytest

FRENCH_404 = "introuvable"


class Page(HTMLParser):
    """What the checks need from a page: elements with their attributes, headings, links."""

    def __init__(self, html: str):
        super().__init__(convert_charrefs=True)
        self.elements: list[tuple[str, dict[str, str]]] = []
        self.headings: list[int] = []
        self.links: list[tuple[str, str]] = []
        self.title = ""
        self._in_title = False
        self._link: list | None = None
        self.feed(html)

    def handle_starttag(self, tag, attrs):
        attributes = {k: v or "" for k, v in attrs}
        self.elements.append((tag, attributes))
        if re.fullmatch(r"h[1-6]", tag):
            self.headings.append(int(tag[1]))
        if tag == "title":
            self._in_title = True
        if tag == "a" and "href" in attributes:
            self._link = [attributes["href"], ""]

    def handle_endtag(self, tag):
        if tag == "title":
            self._in_title = False
        if tag == "a" and self._link is not None:
            self.links.append((self._link[0], " ".join(self._link[1].split())))
            self._link = None

    def handle_data(self, data):
        if self._in_title:
            self.title += data
        if self._link is not None:
            self._link[1] += data

    def all(self, tag: str) -> list[dict[str, str]]:
        return [a for t, a in self.elements if t == tag]

    def link(self, text_part: str) -> str:
        for href, text in self.links:
            if text_part in text:
                return href
        raise AssertionError(f"no link with « {text_part} »")


def check_accessible(response: httpx.Response) -> Page:
    """The layout's RGAA basics, on any page."""
    assert response.headers["content-type"].startswith("text/html")
    text = response.text
    assert re.search(r'<html lang="fr"', text)
    page = Page(text)
    assert page.all("h1") and len(page.all("h1")) == 1
    assert page.title.strip().endswith("— ctd")
    # Headings never skip a level downwards.
    for previous, current in zip(page.headings, page.headings[1:], strict=False):
        assert current <= previous + 1, page.headings
    labelled = {a.get("for") for a in page.all("label")}
    for tag in ("input", "select", "textarea"):
        for attributes in page.all(tag):
            if attributes.get("type") in ("hidden", "submit"):
                continue
            assert attributes.get("id") in labelled or attributes.get("aria-label"), attributes
    for _, attributes in page.elements:
        if "tabindex" in attributes:
            assert int(attributes["tabindex"]) <= 0
    # Nothing is loaded from another site (links to other sites are fine).
    for tag, attributes in page.elements:
        loaded = attributes.get("src") or (attributes.get("href") if tag == "link" else None)
        if loaded:
            url = urlsplit(loaded)
            assert not url.scheme and not url.netloc, loaded
    assert 'href="#contenu"' in text and 'id="contenu"' in text
    assert "Aller au contenu" in text
    return page


def token_for(user: str, organization: str) -> str:
    """A new token of a publisher of ``organization`` (on the demo data)."""
    from catalogue import auth, db
    from catalogue.vocabularies import Role

    with db.session_scope() as session:
        account = auth.grant_role(session, user, Role.publisher, organization=organization)
        return auth.create_token(session, account)


def sign_in(client: httpx.Client, token: str) -> httpx.Response:
    form = client.get("/connexion")
    csrf = Page(form.text).all("input")
    field = next(a["value"] for a in csrf if a.get("name") == "csrf")
    return client.post("/connexion", data={"token": token, "csrf": field})


def test_every_page_is_french_and_accessible(client, demo):
    for path in ("/", "/jeux-de-donnees", "/jeux-de-donnees?q=subvention",
                 "/jeux-de-donnees/subventions-ville-de-nancy", "/organisations/ville-de-nancy",
                 "/connexion"):
        response = client.get(path)
        assert response.status_code == 200, path
        check_accessible(response)
    home = Page(client.get("/").text)
    assert any(a.get("aria-current") == "page" and a.get("href") == "/" for a in home.all("a"))
    assert home.link("Registre") == "/registre"


def test_home_counts_and_search_box(client, demo):
    body = client.get("/").text
    assert re.search(r"<strong>32</strong> jeu\(x\) de données", body)
    assert 'action="/jeux-de-donnees"' in body and 'for="recherche-accueil"' in body
    assert 'href="/comites/ctd-lorraine"' in body


def test_search_and_a_facet_link_narrow_the_results(client, demo):
    response = client.get("/jeux-de-donnees")
    page = check_accessible(response)
    total = int(re.search(r'<h2 id="resultats">(\d+) jeux', response.text).group(1))
    assert total == client.get("/api/v1/datasets").json()["total"]
    link = page.link("Ville de Nancy")
    assert "publisher=ville-de-nancy" in link
    narrowed = client.get(link)
    check_accessible(narrowed)
    count = int(re.search(r'<h2 id="resultats">(\d+) jeu', narrowed.text).group(1))
    api = client.get("/api/v1/datasets", params={"publisher": "ville-de-nancy"}).json()
    assert 0 < count == api["total"] < total
    # The active filter is shown, with a link removing it.
    assert "Filtres actifs" in narrowed.text
    removed = client.get(Page(narrowed.text).link("retirer"))
    assert f'<h2 id="resultats">{total} jeux' in removed.text
    # Text search and facets combine; the form keeps the filters.
    both = client.get("/jeux-de-donnees", params={"q": "subvention",
                                                  "publisher": "ville-de-nancy"})
    assert re.search(r'<h2 id="resultats">1 jeu de données', both.text)
    assert '<input type="hidden" name="publisher" value="ville-de-nancy">' in both.text
    # Pagination with the cursor.
    assert "Page suivante" in response.text
    second = client.get(page.link("Page suivante"))
    assert second.status_code == 200 and "Première page" in second.text
    first_titles = set(re.findall(r'<h3><a href="(/jeux-de-donnees/[^"]+)"', response.text))
    next_titles = set(re.findall(r'<h3><a href="(/jeux-de-donnees/[^"]+)"', second.text))
    assert next_titles and not first_titles & next_titles


def test_bad_search_parameters_give_a_french_page(client, demo):
    response = client.get("/jeux-de-donnees", params={"cursor": "nimportequoi"})
    assert response.status_code == 422
    assert response.headers["content-type"].startswith("text/html")
    assert "Curseur de pagination invalide" in response.text


def test_dataset_page(client, demo):
    response = client.get("/jeux-de-donnees/subventions-ville-de-nancy")
    page = check_accessible(response)
    body = response.text
    assert page.link("Ville de Nancy") == "/organisations/ville-de-nancy"
    for href in ("/datasets/subventions-ville-de-nancy.ttl",
                 "/datasets/subventions-ville-de-nancy.jsonld",
                 "/api/v1/datasets/subventions-ville-de-nancy/croissant",
                 "/api/v1/datasets/subventions-ville-de-nancy/datasheet",
                 "/api/v1/datasets/subventions-ville-de-nancy/quality"):
        assert f'href="{href}"' in body
    assert '<h2 id="qualite">Qualité</h2>' in body
    assert "Licence" in body and "Fréquence de mise à jour" in body and "Contact" in body
    download = page.link("Télécharger")
    assert client.get(download).status_code == 200


def test_download_links_only_for_those_who_may_read_files(client, demo):
    path = "/jeux-de-donnees/inscriptions-scolaires-ville-de-nancy"
    anonymous = client.get(path)
    check_accessible(anonymous)
    assert "Télécharger" not in anonymous.text and "Réservé (restreint)" in anonymous.text
    assert sign_in(client, token_for("cdo-epinal", "ville-d-epinal")).status_code == 303
    assert "Télécharger" not in client.get(path).text
    publisher = token_for("cdo-nancy", "ville-de-nancy")
    assert sign_in(client, publisher).status_code == 303
    signed = client.get(path)
    check_accessible(signed)
    assert "Télécharger" in signed.text
    assert client.get(Page(signed.text).link("Télécharger"),
                      headers={"Authorization": f"Bearer {publisher}"}).status_code == 200


def test_organization_page(client, demo):
    response = client.get("/organisations/ville-de-nancy")
    page = check_accessible(response)
    assert "<h1>Ville de Nancy</h1>" in response.text
    assert "215403957" in response.text and "commune" in response.text
    assert page.link("Subventions").startswith("/jeux-de-donnees/subventions-")
    # Restricted datasets are listed (their metadata is public), drafts are not.
    assert "Inscriptions scolaires" in response.text
    assert "Comité territorial de la donnée de Lorraine" in response.text


@pytest.mark.parametrize("path", ["/jeux-de-donnees/inconnu", "/organisations/inconnue"])
def test_unknown_slugs_give_a_french_404_page(client, world, path):
    response = client.get(path)
    assert response.status_code == 404
    check_accessible(response)
    assert FRENCH_404 in response.text.lower() and "inconnu" in response.text
    # The API keeps its problem documents.
    api = client.get("/api/v1/datasets/inconnu")
    assert api.status_code == 404
    assert api.headers["content-type"] == "application/problem+json"


def test_an_unknown_address_is_a_french_page_for_browsers_and_a_problem_for_clients(client):
    browser = client.get("/nulle-part", headers={"Accept": "text/html,*/*;q=0.8"})
    assert browser.status_code == 404
    check_accessible(browser)
    assert "Aucune page ne se trouve à cette adresse" in html.unescape(browser.text)
    for path, accept in (("/nulle-part", "application/json"), ("/api/v2/rien", "text/html")):
        problem = client.get(path, headers={"Accept": accept})
        assert problem.status_code == 404
        assert problem.headers["content-type"] == "application/problem+json"


def test_sign_in_with_a_good_token(client, world):
    response = sign_in(client, world.tokens["publisher"])
    assert response.status_code == 303 and response.headers["location"] == "/"
    cookie = response.headers["set-cookie"]
    assert cookie.startswith("ctd_session=")
    assert "HttpOnly" in cookie and "SameSite=lax" in cookie.replace("Lax", "lax")
    assert "Path=/" in cookie and "Secure" not in cookie
    assert world.tokens["publisher"] in cookie  # the token, signed
    home = client.get("/")
    page = check_accessible(home)
    assert '<span class="user-name">publisher</span>' in home.text
    assert "Se déconnecter" in home.text and "Se connecter<" not in home.text
    assert not any(a.get("href") == "/connexion" for a in page.all("a"))


def test_a_tampered_session_cookie_is_anonymous(client, world):
    sign_in(client, world.tokens["publisher"])
    value = client.cookies["ctd_session"]
    client.cookies.set("ctd_session", value[:-2] + ("AA" if not value.endswith("AA") else "BB"))
    assert "user-name" not in client.get("/").text


def test_sign_in_with_a_bad_token(client, world):
    response = sign_in(client, "ctd_pas-un-vrai-jeton")
    assert response.status_code == 401
    check_accessible(response)
    assert "Jeton d'accès inconnu ou révoqué" in html.unescape(response.text)
    assert "ctd_session" not in response.headers.get("set-cookie", "")
    empty = sign_in(client, "")
    assert empty.status_code == 401 and "Collez votre jeton" in empty.text


def test_sign_out_requires_csrf(client, world):
    sign_in(client, world.tokens["admin"])
    assert "user-name" in client.get("/").text
    refused = client.post("/deconnexion", data={})
    assert refused.status_code == 403
    check_accessible(refused)
    assert "anti-falsification" in refused.text
    forged = client.post("/deconnexion", data={"csrf": "faux"})
    assert forged.status_code == 403
    assert "user-name" in client.get("/").text
    home = client.get("/")
    field = next(a["value"] for a in Page(home.text).all("input") if a.get("name") == "csrf")
    done = client.post("/deconnexion", data={"csrf": field})
    assert done.status_code == 303 and done.headers["location"] == "/"
    assert 'ctd_session=""' in done.headers["set-cookie"] or "Max-Age=0" in \
        done.headers["set-cookie"]
    assert "user-name" not in client.get("/").text


def test_a_post_without_csrf_is_refused(client, world):
    response = client.post("/connexion", data={"token": world.tokens["admin"]})
    assert response.status_code == 403
    assert "set-cookie" not in response.headers or \
        "ctd_session" not in response.headers["set-cookie"]
    # A field made for another browser (another CSRF cookie) does not pass either.
    with httpx.Client(base_url=str(client.base_url)) as other:
        form = other.get("/connexion")
        field = next(a["value"] for a in Page(form.text).all("input")
                     if a.get("name") == "csrf")
    client.get("/connexion")
    stolen = client.post("/connexion", data={"token": world.tokens["admin"], "csrf": field})
    assert stolen.status_code == 403


def test_static_css(client):
    response = client.get("/static/ctd.css")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/css")
    assert ":focus-visible" in response.text and "#000091" in response.text
    assert "url(" not in response.text and "@import" not in response.text


def csrf_of(response: httpx.Response) -> str:
    return next(a["value"] for a in Page(response.text).all("input") if a.get("name") == "csrf")


def test_committee_dashboard_shows_members_and_the_roadmap(client, demo):
    response = client.get("/comites/ctd-lorraine")
    page = check_accessible(response)
    body = html.unescape(response.text)
    assert page.link("Ville d'Épinal") == "/organisations/ville-d-epinal"
    assert "observateur" in body  # the Préfecture's role
    assert "Planifier les bornes de recharge électrique" in body
    assert "Territoire pertinent : Meurthe-et-Moselle, Moselle." in body
    assert "60\u202f500 €" in body and "68\u202f000 €" in body
    # A priority dataset once published links to the catalogue; a late one says so.
    assert page.link("Points de recharge de la Métropole du Grand Nancy") == \
        "/jeux-de-donnees/irve-statique-grand-nancy"
    metz = re.search(r"Points de recharge de la Ville de Metz.*?</tr>", body, re.S).group(0)
    assert "en retard" in metz
    assert client.get("/comites/inconnu").status_code == 404


def test_a_publisher_publishes_a_dataset_then_adds_a_file(client, world):
    assert client.get("/publier").status_code == 401
    sign_in(client, world.tokens["publisher"])
    form = client.get("/publier")
    check_accessible(form)
    options = [a.get("value") for a in Page(form.text).all("option")]
    assert "ville-de-nancy" in options and "ville-d-epinal" not in options
    csrf = csrf_of(form)
    # Bad input: the form again, French messages, values kept, nothing written.
    refused = client.post("/publier", data={"csrf": csrf, "title": "",
                                            "publisher": "ville-de-nancy",
                                            "access_type": "secret", "keywords": "a, b"})
    assert refused.status_code == 422
    check_accessible(refused)
    text = html.unescape(refused.text)
    assert "Titre</a> : Ce champ est obligatoire." in text
    assert "Type d'accès</a> : Choisissez une des valeurs proposées" in text
    assert "'restricted' ou 'protected'" in text
    assert 'value="a, b"' in refused.text
    assert client.get("/api/v1/datasets", headers=world.headers("publisher")).json()["total"] == 0
    # Another organisation than one's own: refused.
    assert client.post("/publier", data={"csrf": csrf, "title": "Arbres",
                                         "publisher": "ville-d-epinal"}).status_code == 403
    created = client.post("/publier", data={
        "csrf": csrf, "title": "Arbres remarquables", "publisher": "ville-de-nancy",
        "access_type": "open", "state": "published", "themes": ["ENVI", "EDUC"],
        "keywords": "arbres, patrimoine", "contains_personal_data": "no"},
        follow_redirects=True)
    assert created.status_code == 200 and created.url.path == "/jeux-de-donnees/arbres-remarquables"
    assert "Le jeu de données est enregistré" in html.unescape(created.text)
    dataset = client.get("/api/v1/datasets/arbres-remarquables").json()
    assert dataset["themes"] == ["ENVI", "EDUC"] and dataset["keywords"] == ["arbres", "patrimoine"]
    # The file, then an empty choice.
    page = client.get("/jeux-de-donnees/arbres-remarquables")
    csrf = csrf_of(page)
    uploaded = client.post("/jeux-de-donnees/arbres-remarquables/fichiers",
                           data={"csrf": csrf, "title": "Inventaire"},
                           files={"file": ("arbres.csv", b"espece;hauteur\nchene;20\n",
                                           "text/csv")}, follow_redirects=True)
    assert uploaded.status_code == 200 and "Inventaire" in uploaded.text
    assert client.get("/api/v1/datasets/arbres-remarquables").json()["resources"][0][
        "title"] == "Inventaire"
    too_large = client.post("/jeux-de-donnees/arbres-remarquables/fichiers",
                            data={"csrf": csrf}, headers={"Accept": "text/html"},
                            files={"file": ("gros.csv", b"a;b\n" * 100_000, "text/csv")})
    assert too_large.status_code == 413
    check_accessible(too_large)
    assert "Le fichier envoyé est trop volumineux : la limite est de" in too_large.text
    assert len(client.get("/api/v1/datasets/arbres-remarquables").json()["resources"]) == 1
    empty = client.post("/jeux-de-donnees/arbres-remarquables/fichiers", data={"csrf": csrf},
                        files={"file": ("", b"", "text/csv")})
    assert empty.status_code == 422 and "Choisissez un fichier" in empty.text
    assert client.post("/jeux-de-donnees/arbres-remarquables/fichiers",
                       files={"file": ("a.csv", b"a\n1\n", "text/csv")}).status_code == 403


def test_only_the_publisher_sees_the_upload_form_and_others_cannot_upload(client, world):
    sign_in(client, world.tokens["publisher"])
    csrf = csrf_of(client.get("/publier"))
    client.post("/publier", data={"csrf": csrf, "title": "Budget", "state": "published",
                                  "publisher": "ville-de-nancy", "access_type": "restricted"})
    client.cookies.clear()
    sign_in(client, world.tokens["other_publisher"])
    page = client.get("/jeux-de-donnees/budget")
    assert "Déposer un fichier" not in page.text
    # Only vendors (and the public, who will be asked to sign in) are offered to request.
    assert "/demandes/nouvelle?jeu=budget" not in page.text
    assert "/demandes/nouvelle?jeu=budget" in httpx.get(str(client.base_url.join(
        "/jeux-de-donnees/budget"))).text
    refused = client.post("/jeux-de-donnees/budget/fichiers", data={"csrf": csrf_of(page)},
                          files={"file": ("a.csv", b"a\n1\n", "text/csv")})
    assert refused.status_code == 403 and "Accès refusé" in refused.text
