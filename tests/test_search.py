"""Search as French users expect it: accents, case, stemming, ranking, facets, territories,
cursor paging."""

from __future__ import annotations

import pytest

from catalogue import auth, datasets, db, organizations
from catalogue.schemas import DatasetCreate, OrganizationCreate, SpatialIn


def add(title: str, publisher: str = "ville-de-nancy", **fields) -> str:
    with db.session_scope() as session:
        fields.setdefault("state", "published")
        return datasets.create(session, auth.OPERATOR, DatasetCreate(
            title=title, publisher=publisher, **fields)).slug


def slugs(client, **params) -> list[str]:
    response = client.get("/api/v1/datasets", params={"limit": 100, **params})
    assert response.status_code == 200, response.text
    return [d["slug"] for d in response.json()["datasets"]]


@pytest.fixture
def corpus(world):
    return {
        "subv": add("Subventions versées aux associations", keywords=["subventions"],
                    themes=["ECON"], licence="fr-lo-2.0"),
        "delib": add("Délibérations du conseil municipal", keywords=["délibérations"],
                     themes=["GOVE"], licence="fr-lo-2.0"),
        "irve": add("Bornes de recharge pour véhicules électriques", publisher="ville-d-epinal",
                    themes=["TRAN", "ENER"], licence="odbl-1.0"),
        "budget": add("Budget primitif", description="Le budget voté, avec les subventions "
                      "prévues pour l'année.", themes=["ECON"], licence="cc-by-4.0",
                      access_type="restricted"),
        "draft": add("Subventions en préparation", state="draft"),
    }


def test_accents_and_case_do_not_matter(client, corpus):
    for q in ["deliberation", "DÉLIBÉRATION", "Délibérations", "deliberations"]:
        assert slugs(client, q=q) == [corpus["delib"]], q
    assert slugs(client, q="vehicule electrique") == [corpus["irve"]]


def test_french_stemming_and_stop_words(client, corpus):
    assert set(slugs(client, q="subvention")) == {corpus["subv"], corpus["budget"]}
    assert slugs(client, q="les bornes de la recharge") == [corpus["irve"]]


def test_title_matches_rank_before_description_matches(client, corpus):
    assert slugs(client, q="subventions") == [corpus["subv"], corpus["budget"]]


def test_publisher_name_is_searched(client, corpus):
    assert slugs(client, q="Épinal") == [corpus["irve"]]


def test_drafts_are_not_found(client, corpus):
    assert corpus["draft"] not in slugs(client, q="subventions")
    assert corpus["draft"] not in slugs(client)


def test_facets_count_the_results(client, corpus):
    body = client.get("/api/v1/datasets").json()
    assert body["total"] == 4
    facets = {name: {v["value"]: v["count"] for v in values}
              for name, values in body["facets"].items()}
    assert facets["publisher"] == {"ville-de-nancy": 3, "ville-d-epinal": 1}
    assert facets["theme"] == {"ECON": 2, "GOVE": 1, "TRAN": 1, "ENER": 1}
    assert facets["licence"] == {"fr-lo-2.0": 2, "odbl-1.0": 1, "cc-by-4.0": 1}
    assert facets["access_type"] == {"open": 3, "restricted": 1}
    labels = {v["value"]: v["label"] for v in body["facets"]["publisher"]}
    assert labels["ville-d-epinal"] == "Ville d'Épinal"
    narrowed = client.get("/api/v1/datasets", params={"theme": "ECON"}).json()
    assert narrowed["total"] == 2
    assert {v["value"] for v in narrowed["facets"]["publisher"]} == {"ville-de-nancy"}


def test_filters_combine(client, corpus):
    assert set(slugs(client, theme="ECON", licence="cc-by-4.0")) == {corpus["budget"]}
    assert set(slugs(client, theme=["GOVE", "TRAN"])) == {corpus["delib"], corpus["irve"]}
    assert slugs(client, publisher="ville-d-epinal") == [corpus["irve"]]
    assert slugs(client, access_type="restricted") == [corpus["budget"]]
    assert slugs(client, keyword="Subventions") == [corpus["subv"]]
    assert set(slugs(client, committee="comite-test")) == {
        corpus["subv"], corpus["delib"], corpus["irve"], corpus["budget"]}
    assert slugs(client, committee="no-such-committee") == []


def test_format_facet_follows_resources(client, world, corpus):
    admin = world.headers("admin")
    response = client.post(f"/api/v1/datasets/{corpus['irve']}/resources/upload", headers=admin,
                           files={"file": ("irve.csv", b"id_pdc_itinerance\nFRS35P1\n")})
    assert response.status_code == 201, response.text
    assert slugs(client, format="csv") == [corpus["irve"]]
    formats = client.get("/api/v1/datasets").json()["facets"]["format"]
    assert formats == [{"value": "CSV", "label": "CSV", "count": 1}]


def test_territory_finds_what_covers_it(client, corpus):
    nancy = set(slugs(client, territory="54395"))
    assert corpus["delib"] in nancy and corpus["irve"] not in nancy
    assert slugs(client, territory="88160") == [corpus["irve"]]
    # A département or a région finds the communes inside it.
    assert corpus["delib"] in slugs(client, territory="54")
    assert corpus["irve"] not in slugs(client, territory="54")
    lorraine = set(slugs(client, territory="region:44"))
    assert {corpus["delib"], corpus["irve"]} <= lorraine
    assert slugs(client, territory="35238") == []  # Rennes


def test_wider_coverage_is_found_from_a_commune(client, world):
    with db.session_scope() as session:
        organizations.create(session, auth.OPERATOR, OrganizationCreate(
            name="Département de Meurthe-et-Moselle", kind="departement", insee_code="54",
            siren="225400019"))
    collèges = add("Collèges publics", publisher="departement-de-meurthe-et-moselle")
    vosges = add("Routes départementales des Vosges", publisher="ville-d-epinal",
                 spatial=SpatialIn(insee_codes=["88"]))
    assert collèges in slugs(client, territory="54395")
    assert vosges not in slugs(client, territory="54395")
    assert vosges in slugs(client, territory="88160")


def test_epci_territory(client, world):
    with db.session_scope() as session:
        organizations.create(session, auth.OPERATOR, OrganizationCreate(
            name="Métropole du Grand Nancy", kind="epci", siren="245400676",
            commune_codes=["54395", "54547", "54304"]))
    collecte = add("Collecte des déchets", publisher="metropole-du-grand-nancy")
    assert collecte in slugs(client, territory="54547")  # Vandœuvre-lès-Nancy
    assert collecte in slugs(client, territory="245400676")
    assert collecte not in slugs(client, territory="88160")


def test_drawn_geometry_and_bbox(client, world):
    square = {"type": "Polygon", "coordinates": [[[6.15, 48.68], [6.2, 48.68], [6.2, 48.7],
                                                   [6.15, 48.7], [6.15, 48.68]]]}
    drawn = add("Arbres remarquables du centre", spatial=SpatialIn(geometry=square))
    assert drawn in slugs(client, territory="54395")
    assert drawn not in slugs(client, territory="88160")
    assert drawn in slugs(client, bbox="6.1,48.6,6.3,48.75")
    assert drawn not in slugs(client, bbox="6.3,48.1,6.6,48.3")
    nancy_datasets = slugs(client, bbox="6.16,48.69,6.17,48.695")
    assert drawn in nancy_datasets


def test_a_point_finds_every_dataset_covering_it_across_members(client, world):
    square = {"type": "Polygon", "coordinates": [[[6.15, 48.68], [6.2, 48.68], [6.2, 48.7],
                                                   [6.15, 48.7], [6.15, 48.68]]]}
    drawn = add("Arbres remarquables du centre", spatial=SpatialIn(geometry=square))
    nancy = add("Délibérations du conseil municipal")
    epinal = add("Bornes de recharge d'Épinal", publisher="ville-d-epinal")
    place_stanislas = slugs(client, point="6.1833,48.6936")
    assert drawn in place_stanislas and nancy in place_stanislas
    assert epinal not in place_stanislas
    # In Nancy but outside the drawn square; then in Épinal.
    assert slugs(client, point="6.14,48.69") == [nancy]
    assert slugs(client, point="6.45,48.17") == [epinal]
    for bad in ("6.18", "a,b", "200,48"):
        response = client.get("/api/v1/datasets", params={"point": bad})
        assert response.status_code == 422
        assert response.json()["errors"][0]["field"] == "point"


def test_cursor_pages_through_everything(client, world):
    made = {add(f"Jeu de données numéro {n}", keywords=["serie"]) for n in range(23)}
    for params in [{}, {"q": "donnees"}, {"sort": "title"}, {"sort": "-created"}]:
        seen, cursor, pages = [], None, 0
        while True:
            query = {"limit": 5, **params, **({"cursor": cursor} if cursor else {})}
            body = client.get("/api/v1/datasets", params=query).json()
            assert body["total"] == 23
            seen += [d["slug"] for d in body["datasets"]]
            cursor, pages = body["next_cursor"], pages + 1
            if cursor is None:
                break
            assert body["next"].startswith("http")
            assert pages < 10
        assert len(seen) == len(set(seen)) == 23 and set(seen) == made, params
        assert pages == 5


def test_sort_by_title(client, corpus):
    titles = [d["title"] for d in client.get(
        "/api/v1/datasets", params={"sort": "title"}).json()["datasets"]]
    assert titles == sorted(titles)


def test_search_hides_restricted_links_but_shows_metadata(client, world, corpus):
    admin = world.headers("admin")
    client.post(f"/api/v1/datasets/{corpus['budget']}/resources", headers=admin, json={
        "title": "Budget détaillé", "url": "https://example.org/budget-secret.csv"})
    public = client.get("/api/v1/datasets", params={"q": "budget"}).json()["datasets"][0]
    assert public["slug"] == corpus["budget"]
    assert public["resources"][0]["url"].startswith("/api/v1/resources/")
    owner = client.get("/api/v1/datasets", params={"q": "budget"},
                       headers=world.headers("publisher")).json()["datasets"][0]
    assert owner["resources"][0]["url"] == "https://example.org/budget-secret.csv"
