"""Who may do what: every action of the API, tried by each of the six callers over HTTP.

Each test is one action; its parameters are the callers with the status each must get
(``roles(...)`` takes all six, so every row of the matrix is written out). A refused write
(401, 403, or a 409 refusal) must leave the database rows and the stored files exactly as
they were, and every error is an RFC 9457 problem document.
"""

from __future__ import annotations

import functools
import hashlib
import io
import shutil

import pytest
import sqlalchemy as sa

CALLERS = ("anonymous", "vendor", "publisher", "other_publisher", "coordinator", "admin")
# Reference data the application never writes through these endpoints (EPCI territories
# excepted, which are compared separately).
UNCHANGING_TABLES = {"licence", "territory", "alembic_version"}

CONTENT = "id;libellé;montant\n1;Médiathèque;12 500,00\n".encode() + bytes(range(256)) * 64
REMOTE = "https://partage.example.org/secret/budget-2025.csv?jeton=abc123"


def roles(*, anonymous: int, vendor: int, publisher: int, other_publisher: int,
          coordinator: int, admin: int):
    """Parametrize a test over the six callers, with the status each one must get."""
    expected = {"anonymous": anonymous, "vendor": vendor, "publisher": publisher,
                "other_publisher": other_publisher, "coordinator": coordinator,
                "admin": admin}
    return ("who", "status"), [pytest.param(who, expected[who], id=who) for who in CALLERS]


# --- the state a refused write must not change -------------------------------------------

@pytest.fixture(autouse=True)
def no_stored_files(database):
    """Start without the files of earlier tests: ids are reused once their rows are cleared,
    and a stale file at the same path would hide a file wrongly written by a refused call."""
    from catalogue.config import load_settings

    shutil.rmtree(load_settings().files_dir, ignore_errors=True)


@functools.cache
def written_tables(engine: sa.Engine) -> list[str]:
    """All tables of the database (search index included) but the reference ones."""
    return sorted(set(sa.inspect(engine).get_table_names()) - UNCHANGING_TABLES)


def snapshot() -> dict:
    """Every row of every table the application writes, and every stored file."""
    from catalogue import db
    from catalogue.config import load_settings

    engine = db.get_engine()
    state: dict = {}
    with engine.connect() as connection:
        for table in written_tables(engine):
            rows = connection.execute(sa.text(f'SELECT * FROM "{table}"')).all()
            state[table] = sorted((tuple(row) for row in rows), key=repr)
        state["territory"] = (
            connection.execute(sa.text("SELECT count(*) FROM territory")).scalar_one(),
            sorted(connection.execute(sa.text(
                "SELECT id, name, geometry FROM territory WHERE level = 'epci'")).all()),
        )
    files_dir = load_settings().files_dir
    state["files"] = sorted(
        (str(path.relative_to(files_dir)), path.stat().st_mtime_ns,
         hashlib.sha256(path.read_bytes()).hexdigest())
        for path in files_dir.rglob("*") if path.is_file()) if files_dir.exists() else []
    return state


def assert_problem(response, status: int) -> None:
    assert response.headers["content-type"].startswith("application/problem+json"), (
        response.headers["content-type"])
    body = response.json()
    assert body["status"] == status
    assert isinstance(body["detail"], str) and body["detail"].strip()
    if status == 401:
        assert response.headers.get("www-authenticate", "").startswith("Bearer")


def call(client, world, who: str, method: str, url: str, status: int, **kwargs):
    """Make the request as ``who``; check its status, its problem body if it failed, and
    that nothing changed if it was refused."""
    refused = status in (401, 403)
    before = snapshot() if refused else None
    response = client.request(method, url, headers=world.headers(who), **kwargs)
    assert response.status_code == status, (
        f"{method} {url} as {who}: {response.status_code} {response.text}")
    if status >= 400:
        assert_problem(response, status)
    if refused:
        assert snapshot() == before, f"refused {method} {url} as {who} changed the state"
    return response


def as_admin(client, world, method: str, url: str, **kwargs):
    return client.request(method, url, headers=world.headers("admin"), **kwargs)


# --- fixture data, made by the catalogue's logic as the operator -------------------------

def make_dataset(slug: str, *, state: str = "published", access_type: str = "open",
                 publisher: str = "ville-de-nancy") -> None:
    from catalogue import auth, datasets, db
    from catalogue.schemas import DatasetCreate

    with db.session_scope() as session:
        datasets.create(session, auth.OPERATOR, DatasetCreate(
            title=f"Jeu {slug}", slug=slug, publisher=publisher, state=state,
            access_type=access_type, licence="fr-lo-2.0"))


def add_link(slug: str, url: str = REMOTE) -> int:
    from catalogue import auth, datasets, db, resources
    from catalogue.schemas import ResourceCreate

    with db.session_scope() as session:
        dataset = datasets.find(session, auth.OPERATOR, slug)
        return resources.create_link(session, auth.OPERATOR, dataset,
                                     ResourceCreate(title="Budget 2025", url=url)).id


def add_upload(slug: str, content: bytes = CONTENT) -> int:
    from catalogue import auth, datasets, db, resources

    with db.session_scope() as session:
        dataset = datasets.find(session, auth.OPERATOR, slug)
        return resources.create_upload(session, auth.OPERATOR, dataset, io.BytesIO(content),
                                       "Budget 2025.csv").id


def dataset_state(client, world, slug: str) -> str | None:
    """The dataset's state as the admin sees it, or None if it does not exist."""
    response = as_admin(client, world, "GET", f"/api/v1/datasets/{slug}")
    if response.status_code == 404:
        return None
    assert response.status_code == 200, response.text
    return response.json()["state"]


def member_roles(client, slug: str) -> dict[str, str]:
    response = client.get(f"/api/v1/committees/{slug}")
    assert response.status_code == 200, response.text
    return {m["organization"]: m["role"] for m in response.json()["members"]}


# --- organizations -----------------------------------------------------------------------

@pytest.mark.parametrize(*roles(anonymous=401, vendor=403, publisher=403, other_publisher=403,
                                coordinator=403, admin=201))
def test_create_organization(client, world, who, status):
    response = call(client, world, who, "POST", "/api/v1/organizations", status, json={
        "name": "Association Données Ouvertes", "slug": "asso-donnees", "kind": "association"})
    found = client.get("/api/v1/organizations/asso-donnees")
    if status == 201:
        assert response.json()["slug"] == "asso-donnees"
        assert found.status_code == 200
        assert found.json()["name"] == "Association Données Ouvertes"
    else:
        assert found.status_code == 404


@pytest.mark.parametrize(*roles(anonymous=401, vendor=403, publisher=200, other_publisher=403,
                                coordinator=403, admin=200))
def test_update_organization(client, world, who, status):
    url = "/api/v1/organizations/ville-de-nancy"
    response = call(client, world, who, "PATCH", url, status,
                    json={"website": "https://www.nancy.fr"})
    website = client.get(url).json()["website"]
    if status == 200:
        assert response.json()["website"] == "https://www.nancy.fr"
        assert website == "https://www.nancy.fr"
    else:
        assert website is None


@pytest.mark.parametrize(*roles(anonymous=401, vendor=403, publisher=403, other_publisher=403,
                                coordinator=403, admin=200))
def test_update_vendor_organization(client, world, who, status):
    """A vendor role gives no right over its own company's record."""
    url = "/api/v1/organizations/donnees-conseil-sas"
    call(client, world, who, "PATCH", url, status, json={"contact_email": "contact@dc.fr"})
    assert client.get(url).json()["contact_email"] == (
        "contact@dc.fr" if status == 200 else None)


@pytest.mark.parametrize(*roles(anonymous=401, vendor=403, publisher=403, other_publisher=403,
                                coordinator=403, admin=200))
def test_change_organization_kind(client, world, who, status):
    """Only an admin changes an organization's kind, even its own publisher."""
    url = "/api/v1/organizations/ville-de-nancy"
    call(client, world, who, "PATCH", url, status,
         json={"kind": "commune", "name": "Ville de Nancy (54)"})
    assert client.get(url).json()["name"] == (
        "Ville de Nancy (54)" if status == 200 else "Ville de Nancy")


@pytest.mark.parametrize(*roles(anonymous=401, vendor=403, publisher=403, other_publisher=403,
                                coordinator=403, admin=204))
def test_delete_organization(client, world, who, status):
    call(client, world, who, "DELETE", "/api/v1/organizations/ville-de-nancy", status)
    found = client.get("/api/v1/organizations/ville-de-nancy")
    members = member_roles(client, "comite-test")
    if status == 204:
        assert found.status_code == 404
        assert members == {"ville-d-epinal": "member"}
    else:
        assert found.status_code == 200
        assert members == {"ville-de-nancy": "member", "ville-d-epinal": "member"}


@pytest.mark.parametrize(*roles(anonymous=401, vendor=403, publisher=403, other_publisher=403,
                                coordinator=403, admin=409))
def test_delete_organization_with_datasets(client, world, who, status):
    make_dataset("budget-nancy", state="draft")
    before = snapshot()
    call(client, world, who, "DELETE", "/api/v1/organizations/ville-de-nancy", status)
    assert snapshot() == before
    assert client.get("/api/v1/organizations/ville-de-nancy").status_code == 200


# --- committees --------------------------------------------------------------------------

@pytest.mark.parametrize(*roles(anonymous=401, vendor=403, publisher=403, other_publisher=403,
                                coordinator=403, admin=201))
def test_create_committee(client, world, who, status):
    call(client, world, who, "POST", "/api/v1/committees", status, json={
        "name": "Comité des Vosges", "slug": "comite-vosges",
        "members": [{"organization": "ville-d-epinal"}]})
    found = client.get("/api/v1/committees/comite-vosges")
    if status == 201:
        assert found.status_code == 200
        assert member_roles(client, "comite-vosges") == {"ville-d-epinal": "member"}
    else:
        assert found.status_code == 404


@pytest.mark.parametrize(*roles(anonymous=401, vendor=403, publisher=403, other_publisher=403,
                                coordinator=200, admin=200))
def test_update_committee(client, world, who, status):
    url = "/api/v1/committees/comite-test"
    call(client, world, who, "PATCH", url, status, json={"description": "Animé par la région."})
    assert client.get(url).json()["description"] == (
        "Animé par la région." if status == 200 else "")


@pytest.mark.parametrize(*roles(anonymous=401, vendor=403, publisher=403, other_publisher=403,
                                coordinator=403, admin=200))
def test_update_committee_not_coordinated(client, world, who, status):
    """A coordinator's rights stop at their own committee."""
    as_admin(client, world, "POST", "/api/v1/committees",
             json={"name": "Autre comité", "slug": "autre-comite"}).raise_for_status()
    url = "/api/v1/committees/autre-comite"
    call(client, world, who, "PATCH", url, status, json={"description": "Repris."})
    assert client.get(url).json()["description"] == ("Repris." if status == 200 else "")


@pytest.mark.parametrize(*roles(anonymous=401, vendor=403, publisher=403, other_publisher=403,
                                coordinator=200, admin=200))
def test_set_committee_member(client, world, who, status):
    call(client, world, who, "PUT", "/api/v1/committees/comite-test/members/donnees-conseil-sas",
         status, params={"role": "partner"})
    expected = {"ville-de-nancy": "member", "ville-d-epinal": "member"}
    if status == 200:
        expected["donnees-conseil-sas"] = "partner"
    assert member_roles(client, "comite-test") == expected


@pytest.mark.parametrize(*roles(anonymous=401, vendor=403, publisher=403, other_publisher=403,
                                coordinator=200, admin=200))
def test_remove_committee_member(client, world, who, status):
    call(client, world, who, "DELETE", "/api/v1/committees/comite-test/members/ville-d-epinal",
         status)
    expected = {"ville-de-nancy": "member"}
    if status != 200:
        expected["ville-d-epinal"] = "member"
    assert member_roles(client, "comite-test") == expected


@pytest.mark.parametrize(*roles(anonymous=401, vendor=403, publisher=403, other_publisher=403,
                                coordinator=403, admin=204))
def test_delete_committee(client, world, who, status):
    call(client, world, who, "DELETE", "/api/v1/committees/comite-test", status)
    assert client.get("/api/v1/committees/comite-test").status_code == (
        404 if status == 204 else 200)


# --- datasets ----------------------------------------------------------------------------

@pytest.mark.parametrize(*roles(anonymous=401, vendor=403, publisher=201, other_publisher=403,
                                coordinator=403, admin=201))
def test_create_dataset(client, world, who, status):
    response = call(client, world, who, "POST", "/api/v1/datasets", status, json={
        "title": "Budget primitif 2025", "slug": "budget-primitif-2025",
        "publisher": "ville-de-nancy", "state": "published"})
    if status == 201:
        assert response.json()["publisher"]["slug"] == "ville-de-nancy"
        assert dataset_state(client, world, "budget-primitif-2025") == "published"
    else:
        assert dataset_state(client, world, "budget-primitif-2025") is None


@pytest.mark.parametrize(*roles(anonymous=401, vendor=403, publisher=200, other_publisher=403,
                                coordinator=403, admin=200))
def test_update_dataset(client, world, who, status):
    make_dataset("budget-2025")
    response = call(client, world, who, "PATCH", "/api/v1/datasets/budget-2025", status,
                    json={"title": "Budget 2025 (voté)", "access_type": "restricted"})
    read = as_admin(client, world, "GET", "/api/v1/datasets/budget-2025").json()
    if status == 200:
        assert response.json()["title"] == "Budget 2025 (voté)"
        assert (read["title"], read["access_type"]) == ("Budget 2025 (voté)", "restricted")
    else:
        assert (read["title"], read["access_type"]) == ("Jeu budget-2025", "open")


@pytest.mark.parametrize(*roles(anonymous=404, vendor=404, publisher=200, other_publisher=404,
                                coordinator=404, admin=200))
def test_update_draft_dataset(client, world, who, status):
    """A draft does not exist for those who may not see it: writing to it is a 404 too."""
    make_dataset("brouillon", state="draft")
    before = snapshot()
    call(client, world, who, "PATCH", "/api/v1/datasets/brouillon", status,
         json={"title": "Brouillon relu"})
    if status == 404:
        assert snapshot() == before
    read = as_admin(client, world, "GET", "/api/v1/datasets/brouillon").json()
    assert read["title"] == ("Brouillon relu" if status == 200 else "Jeu brouillon")


@pytest.mark.parametrize(*roles(anonymous=401, vendor=403, publisher=204, other_publisher=403,
                                coordinator=403, admin=204))
def test_delete_dataset(client, world, who, status):
    make_dataset("budget-2025")
    call(client, world, who, "DELETE", "/api/v1/datasets/budget-2025", status)
    listed = [d["slug"] for d in client.get("/api/v1/datasets").json()["datasets"]]
    if status == 204:
        assert dataset_state(client, world, "budget-2025") == "deleted"
        assert listed == []
    else:
        assert dataset_state(client, world, "budget-2025") == "published"
        assert listed == ["budget-2025"]


# --- reading -----------------------------------------------------------------------------

def read_everywhere(client, world, who: str, slug: str, resource_id: int, status: int):
    """The dataset, its resources list, its resource and its file: all visible or all 404."""
    dataset = call(client, world, who, "GET", f"/api/v1/datasets/{slug}", status)
    listing = call(client, world, who, "GET", f"/api/v1/datasets/{slug}/resources", status)
    resource = call(client, world, who, "GET", f"/api/v1/resources/{resource_id}", status)
    download = call(client, world, who, "GET", f"/api/v1/resources/{resource_id}/download",
                    status)
    if status == 200:
        assert dataset.json()["slug"] == slug
        assert [r["id"] for r in dataset.json()["resources"]] == [resource_id]
        assert [r["id"] for r in listing.json()] == [resource_id]
        assert resource.json()["dataset"] == slug
        assert download.content == CONTENT
    return dataset


@pytest.mark.parametrize("state", ["published", "archived"])
@pytest.mark.parametrize(*roles(anonymous=200, vendor=200, publisher=200, other_publisher=200,
                                coordinator=200, admin=200))
def test_read_public_dataset(client, world, who, status, state):
    make_dataset("budget-2025", state=state)
    resource_id = add_upload("budget-2025")
    body = read_everywhere(client, world, who, "budget-2025", resource_id, status).json()
    assert body["state"] == state


@pytest.mark.parametrize(*roles(anonymous=404, vendor=404, publisher=200, other_publisher=404,
                                coordinator=404, admin=200))
def test_read_draft_dataset(client, world, who, status):
    make_dataset("brouillon", state="draft")
    resource_id = add_upload("brouillon")
    read_everywhere(client, world, who, "brouillon", resource_id, status)


@pytest.mark.parametrize(*roles(anonymous=404, vendor=404, publisher=404, other_publisher=404,
                                coordinator=404, admin=200))
def test_read_deleted_dataset(client, world, who, status):
    make_dataset("budget-2025")
    resource_id = add_upload("budget-2025")
    as_admin(client, world, "DELETE", "/api/v1/datasets/budget-2025").raise_for_status()
    body = read_everywhere(client, world, who, "budget-2025", resource_id, status)
    if status == 200:
        assert body.json()["state"] == "deleted"


# --- resources ---------------------------------------------------------------------------

def resource_ids(client, world, slug: str) -> list[int]:
    response = as_admin(client, world, "GET", f"/api/v1/datasets/{slug}/resources")
    assert response.status_code == 200, response.text
    return [r["id"] for r in response.json()]


@pytest.mark.parametrize(*roles(anonymous=401, vendor=403, publisher=201, other_publisher=403,
                                coordinator=403, admin=201))
def test_add_link_resource(client, world, who, status):
    make_dataset("budget-2025")
    response = call(client, world, who, "POST", "/api/v1/datasets/budget-2025/resources", status,
                    json={"title": "Export", "url": "https://data.example.org/budget.csv"})
    if status == 201:
        body = response.json()
        assert (body["url"], body["format"], body["uploaded"]) == (
            "https://data.example.org/budget.csv", "CSV", False)
        assert resource_ids(client, world, "budget-2025") == [body["id"]]
    else:
        assert resource_ids(client, world, "budget-2025") == []


@pytest.mark.parametrize(*roles(anonymous=401, vendor=403, publisher=201, other_publisher=403,
                                coordinator=403, admin=201))
def test_upload_resource(client, world, who, status):
    make_dataset("budget-2025")
    response = call(client, world, who, "POST", "/api/v1/datasets/budget-2025/resources/upload",
                    status, files={"file": ("Budget 2025.csv", CONTENT, "text/csv")},
                    data={"title": "Budget voté"})
    if status == 201:
        body = response.json()
        assert body["uploaded"] is True
        assert (body["size"], body["sha256"]) == (len(CONTENT), hashlib.sha256(CONTENT).hexdigest())
        assert resource_ids(client, world, "budget-2025") == [body["id"]]
        download = client.get(body["url"])
        assert download.status_code == 200
        assert download.content == CONTENT
    else:
        assert resource_ids(client, world, "budget-2025") == []


@pytest.mark.parametrize(*roles(anonymous=401, vendor=403, publisher=200, other_publisher=403,
                                coordinator=403, admin=200))
def test_update_resource(client, world, who, status):
    make_dataset("budget-2025")
    resource_id = add_link("budget-2025", "https://data.example.org/budget.csv")
    call(client, world, who, "PATCH", f"/api/v1/resources/{resource_id}", status,
         json={"title": "Budget rectifié", "url": "https://data.example.org/v2.csv"})
    body = as_admin(client, world, "GET", f"/api/v1/resources/{resource_id}").json()
    assert (body["title"], body["url"]) == (
        ("Budget rectifié", "https://data.example.org/v2.csv") if status == 200
        else ("Budget 2025", "https://data.example.org/budget.csv"))


def stored_file(resource_id: int):
    from catalogue import db
    from catalogue.config import load_settings
    from catalogue.models import Resource

    with db.session_scope() as session:
        return load_settings().files_dir / session.get(Resource, resource_id).file_path


@pytest.mark.parametrize(*roles(anonymous=401, vendor=403, publisher=204, other_publisher=403,
                                coordinator=403, admin=204))
def test_delete_resource(client, world, who, status):
    make_dataset("budget-2025")
    resource_id = add_upload("budget-2025")
    stored = stored_file(resource_id)
    assert stored.read_bytes() == CONTENT
    call(client, world, who, "DELETE", f"/api/v1/resources/{resource_id}", status)
    if status == 204:
        assert resource_ids(client, world, "budget-2025") == []
        assert as_admin(client, world, "GET", f"/api/v1/resources/{resource_id}").status_code \
            == 404
        assert not stored.exists()
    else:
        assert resource_ids(client, world, "budget-2025") == [resource_id]
        assert stored.read_bytes() == CONTENT


# --- files -------------------------------------------------------------------------------

@pytest.mark.parametrize(*roles(anonymous=200, vendor=200, publisher=200, other_publisher=200,
                                coordinator=200, admin=200))
def test_download_open_file(client, world, who, status):
    make_dataset("budget-2025")
    resource_id = add_upload("budget-2025")
    response = call(client, world, who, "GET", f"/api/v1/resources/{resource_id}/download",
                    status)
    assert response.content == CONTENT
    assert response.headers["content-length"] == str(len(CONTENT))


@pytest.mark.parametrize("access_type", ["restricted", "protected"])
@pytest.mark.parametrize(*roles(anonymous=401, vendor=403, publisher=200, other_publisher=403,
                                coordinator=403, admin=200))
def test_download_non_open_file(client, world, who, status, access_type):
    make_dataset("budget-2025", access_type=access_type)
    resource_id = add_upload("budget-2025")
    # The metadata stays public; only the file is kept back.
    assert call(client, world, who, "GET", "/api/v1/datasets/budget-2025", 200).json()[
        "access_type"] == access_type
    response = call(client, world, who, "GET", f"/api/v1/resources/{resource_id}/download",
                    status)
    if status == 200:
        assert response.content == CONTENT
    else:
        assert CONTENT[:20] not in response.content


def remote_urls_seen(client, world, who: str, slug: str, resource_id: int,
                     status: int = 200) -> tuple[list[str], bool]:
    """The resource's url in every answer that describes it as ``who`` gets them, and
    whether the remote host appears anywhere in those answers."""
    dataset = call(client, world, who, "GET", f"/api/v1/datasets/{slug}", status)
    listing = call(client, world, who, "GET", f"/api/v1/datasets/{slug}/resources", status)
    resource = call(client, world, who, "GET", f"/api/v1/resources/{resource_id}", status)
    search = call(client, world, who, "GET", "/api/v1/datasets", status)
    found = [d for d in search.json()["datasets"] if d["slug"] == slug]
    assert len(found) == 1
    urls = [dataset.json()["resources"][0]["url"], listing.json()[0]["url"],
            resource.json()["url"], found[0]["resources"][0]["url"]]
    texts = [dataset.text, listing.text, resource.text, search.text]
    return urls, any("partage.example.org" in text for text in texts)


@pytest.mark.parametrize("access_type", ["restricted", "protected"])
@pytest.mark.parametrize(*roles(anonymous=401, vendor=403, publisher=404, other_publisher=403,
                                coordinator=403, admin=404))
def test_remote_link_of_non_open_dataset(client, world, who, status, access_type):
    """Who may not read the files sees the download address, never the remote one; the
    download address refuses them, and tells the others the file is at the remote one."""
    make_dataset("budget-2025", access_type=access_type)
    resource_id = add_link("budget-2025")
    urls, leaked = remote_urls_seen(client, world, who, "budget-2025", resource_id)
    reader = status == 404
    assert urls == [REMOTE if reader else f"/api/v1/resources/{resource_id}/download"] * 4
    assert leaked is reader
    response = call(client, world, who, "GET", f"/api/v1/resources/{resource_id}/download",
                    status)
    if not reader:
        assert "partage.example.org" not in response.text
        assert "location" not in response.headers


@pytest.mark.parametrize(*roles(anonymous=200, vendor=200, publisher=200, other_publisher=200,
                                coordinator=200, admin=200))
def test_remote_link_of_open_dataset(client, world, who, status):
    make_dataset("budget-2025")
    resource_id = add_link("budget-2025")
    urls, leaked = remote_urls_seen(client, world, who, "budget-2025", resource_id, status)
    assert urls == [REMOTE] * 4
    assert leaked is True
