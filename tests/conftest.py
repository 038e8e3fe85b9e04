"""Test fixtures: a real database of its own per run (a fresh SQLite file, or a fresh
PostgreSQL database when CTD_TEST_DATABASE_URL names a server), and a live server on a free
loopback port."""

from __future__ import annotations

import csv
import os
import socket
import threading
import time
from contextlib import contextmanager
from pathlib import Path

import httpx
import pytest
import sqlalchemy as sa
import uvicorn

SHARED = Path(__file__).resolve().parents[1].parent / "shared"
IRVE_EXAMPLE = SHARED / "reference" / "schemas" / "irve-statique.exemple-valide.csv"


@pytest.fixture(scope="session")
def data_dir(tmp_path_factory) -> Path:
    return tmp_path_factory.mktemp("ctd-data")


@pytest.fixture(scope="session", autouse=True)
def database(data_dir) -> str:
    """Point ctd at an isolated database and data directory for the whole run."""
    server = os.environ.get("CTD_TEST_DATABASE_URL")
    from catalogue import db

    if server:
        url, drop = db.scratch_database(server, f"ctd_test_{os.getpid()}")
    else:
        url, drop = f"sqlite:///{data_dir / 'test.sqlite'}", lambda: None
    os.environ["CTD_DATABASE_URL"] = url
    os.environ["CTD_DATA_DIR"] = str(data_dir)
    os.environ["CTD_MAX_UPLOAD_BYTES"] = str(256 * 1024)
    # Fixture portals listen on loopback, which harvests refuse unless allow-listed.
    os.environ["CTD_HARVEST_ALLOWED_HOSTS"] = "127.0.0.1"
    db.upgrade()
    yield url
    drop()


KEPT_TABLES = {"licence", "territory", "alembic_version"}
# On PostgreSQL a trigger refuses DELETE on these (the access log, signed agreements);
# TRUNCATE … CASCADE empties them.
APPEND_ONLY = {"access_log_entry", "access_log_node", "access_log_checkpoint", "agreement",
               "agreement_signature"}


@pytest.fixture(autouse=True)
def clean_database(database):
    """Every test starts from the reference data only."""
    yield
    from sqlmodel import SQLModel

    from catalogue import db

    engine = db.get_engine(database)
    with engine.begin() as connection:
        if engine.dialect.name == "sqlite":
            connection.execute(sa.text("DELETE FROM dataset_fts"))
        for table in reversed(SQLModel.metadata.sorted_tables):
            if table.name in APPEND_ONLY and engine.dialect.name == "postgresql":
                connection.execute(sa.text(f"TRUNCATE {table.name} CASCADE"))
            elif table.name not in KEPT_TABLES:
                connection.execute(table.delete())
        connection.execute(sa.text("DELETE FROM territory WHERE level IN ('epci', 'other')"))


@pytest.fixture(scope="session")
def irve_rows() -> list[list[str]]:
    """The rows of the official IRVE example file, header first."""
    with IRVE_EXAMPLE.open(encoding="utf-8", newline="") as fh:
        return list(csv.reader(fh))


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="session")
def live_server(database) -> str:
    """The real application served by uvicorn on a free loopback port."""
    from catalogue.app import create_app

    port = _free_port()
    server = uvicorn.Server(uvicorn.Config(create_app(), host="127.0.0.1", port=port,
                                           log_level="warning"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not server.started:
        if time.monotonic() > deadline:
            raise RuntimeError("the test server did not start")
        time.sleep(0.02)
    yield f"http://127.0.0.1:{port}"
    server.should_exit = True
    thread.join(timeout=10)


@pytest.fixture
def client(live_server):
    with httpx.Client(base_url=live_server, timeout=30) as c:
        yield c


@contextmanager
def running_consumers(jobs_url: str, workers: int = 2):
    """Huey consumers in threads of this process, on the job storage ``jobs_url``."""
    from catalogue import jobs

    previous = os.environ.get("CTD_JOBS_URL")
    os.environ["CTD_JOBS_URL"] = jobs_url
    running = jobs.InProcessWorkers(workers=workers)
    running.start()
    try:
        yield
    finally:
        running.stop()
        if previous is None:
            del os.environ["CTD_JOBS_URL"]
        else:
            os.environ["CTD_JOBS_URL"] = previous


@pytest.fixture
def background_jobs(tmp_path):
    """Background consumers on a SQLite job storage of the test's own."""
    with running_consumers(f"sqlite:///{tmp_path / 'jobs.sqlite'}"):
        yield


class World:
    """Two communes of a committee, a vendor, and a user with a token for each role."""

    def __init__(self):
        from catalogue import auth, committees, db, organizations
        from catalogue.schemas import CommitteeCreate, MemberIn, OrganizationCreate
        from catalogue.vocabularies import Role

        with db.session_scope() as session:
            operator = auth.OPERATOR
            for name, kind, siren, code in [
                ("Ville de Nancy", "commune", "215403957", "54395"),
                ("Ville d'Épinal", "commune", "218801603", "88160"),
                ("Données Conseil SAS", "company", None, None),
            ]:
                organizations.create(session, operator, OrganizationCreate(
                    name=name, kind=kind, siren=siren, insee_code=code))
            committees.create(session, operator, CommitteeCreate(
                name="Comité de test", slug="comite-test",
                members=[MemberIn(organization="ville-de-nancy"),
                         MemberIn(organization="ville-d-epinal")]))
            self.tokens = {}
            for user, role, org, committee in [
                ("admin", Role.admin, None, None),
                ("coordinator", Role.committee_coordinator, None, "comite-test"),
                ("publisher", Role.publisher, "ville-de-nancy", None),
                ("other_publisher", Role.publisher, "ville-d-epinal", None),
                ("vendor", Role.vendor, "donnees-conseil-sas", None),
            ]:
                account = auth.grant_role(session, user, role, organization=org,
                                          committee=committee)
                self.tokens[user] = auth.create_token(session, account)

    def headers(self, who: str) -> dict[str, str]:
        if who == "anonymous":
            return {}
        return {"Authorization": f"Bearer {self.tokens[who]}"}


@pytest.fixture
def world() -> World:
    return World()


@pytest.fixture
def demo() -> None:
    """The demo catalogue of `ctd demo`: the Lorraine committee and its 32 datasets."""
    from typer.testing import CliRunner

    from catalogue.cli import app

    result = CliRunner().invoke(app, ["demo"])
    assert result.exit_code == 0, result.output


# --- a real browser ------------------------------------------------------------------------

# Debian's Chromium (installed by .ci/run); another binary with CTD_TEST_CHROMIUM.
CHROMIUM = os.environ.get("CTD_TEST_CHROMIUM", "/usr/bin/chromium")
# Screenshots of the pages the browser tests visit, kept as test artefacts.
ARTEFACTS = Path(os.environ.get("CTD_TEST_ARTEFACTS",
                                Path(__file__).resolve().parents[1] / "test-artefacts"))


@pytest.fixture(scope="session")
def browser():
    """Headless Chromium driven by Playwright, for the whole run."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=CHROMIUM,
                                              args=["--no-sandbox", "--disable-gpu"])
        yield launched
        launched.close()


@pytest.fixture
def page(browser, live_server):
    """A fresh browser context (no cookies) on the live server, French first."""
    context = browser.new_context(base_url=live_server, locale="fr-FR",
                                  viewport={"width": 1280, "height": 900})
    context.set_default_timeout(15_000)
    yield context.new_page()
    context.close()


def check_page(page, name: str) -> None:
    """Save a screenshot of the page as an artefact, and run axe-core in it: no serious or
    critical accessibility violation."""
    from axe_playwright_python.sync_playwright import Axe

    ARTEFACTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(ARTEFACTS / f"{name}.png"), full_page=True)
    results = Axe().run(page)
    serious = [f"{v['id']} ({v['impact']}): {v['help']} — "
               + "; ".join(node["target"][0] for node in v["nodes"][:3])
               for v in results.response["violations"] if v["impact"] in ("serious",
                                                                          "critical")]
    assert not serious, f"{name}: " + "\n".join(serious)


def sign_in(page, token: str) -> None:
    """Sign in on the pages with an API token, as a person would."""
    page.goto("/connexion")
    page.get_by_label("Jeton d'accès").fill(token)
    page.get_by_role("button", name="Se connecter").click()
    page.get_by_role("button", name="Se déconnecter").wait_for()
