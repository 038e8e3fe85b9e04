"""Harvest sources and jobs through the HTTP API and the CLI, with background jobs run by
real Huey consumers on SQLite and on Redis storage."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest
import redis
from conftest import running_consumers
from portals import free_port, serve
from portals.ckan import CkanPortal
from typer.testing import CliRunner

from catalogue import jobs
from catalogue.cli import app

REDIS_URL = "redis://127.0.0.1:6379/13"
BIN = Path(sys.executable).parent


def source_body(url: str, **extra) -> dict:
    return {"name": "portail-nancy", "type": "ckan", "url": url,
            "organization": "ville-de-nancy"} | extra


def wait_for_job(client, headers, job_id: int, timeout: float = 30) -> dict:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        job = client.get(f"/api/v1/harvest/jobs/{job_id}", headers=headers).json()
        if job["status"] not in ("pending", "running"):
            return job
        time.sleep(0.1)
    pytest.fail(f"job {job_id} did not finish")


@pytest.fixture(params=["sqlite", "redis"])
def consumer(request, tmp_path):
    """Background consumers in threads, on the job storage of the parameter."""
    if request.param == "redis":
        redis.Redis.from_url(REDIS_URL).flushdb()
        url = REDIS_URL
    else:
        url = f"sqlite:///{tmp_path / 'jobs.sqlite'}"
    with running_consumers(url):
        yield request.param


def test_publisher_adds_coordinator_validates_then_a_background_job_runs(
        client, world, consumer):
    portal = CkanPortal(count=6)
    publisher, coordinator = world.headers("publisher"), world.headers("coordinator")
    with serve(portal) as url:
        created = client.post("/api/v1/harvest/sources", json=source_body(url),
                              headers=publisher)
        assert created.status_code == 201, created.text
        assert created.json()["validated"] is False
        refused = client.post("/api/v1/harvest/sources/portail-nancy/jobs", headers=publisher)
        assert refused.status_code == 409
        assert "validée" in refused.json()["detail"]
        assert client.post("/api/v1/harvest/sources/portail-nancy/validate",
                           headers=publisher).status_code == 403
        validated = client.post("/api/v1/harvest/sources/portail-nancy/validate",
                                headers=coordinator)
        assert validated.status_code == 200 and validated.json()["validated"] is True
        started = client.post("/api/v1/harvest/sources/portail-nancy/jobs", headers=publisher)
        assert started.status_code == 202, started.text
        job = wait_for_job(client, publisher, started.json()["id"])
    assert job["status"] == "done" and job["added"] == 6 and job["expected"] == 6, job
    source = client.get("/api/v1/harvest/sources/portail-nancy", headers=publisher).json()
    assert source["datasets"] == 6 and source["last_job"]["id"] == job["id"]
    listed = client.get("/api/v1/datasets", params={"publisher": "ville-de-nancy"}).json()
    assert listed["total"] == 6


def test_sources_and_jobs_are_scoped_by_role(client, world):
    portal = CkanPortal(count=1)
    with serve(portal) as url:
        assert client.post("/api/v1/harvest/sources", json=source_body(url),
                           headers=world.headers("publisher")).status_code == 201
    assert client.get("/api/v1/harvest/sources").status_code == 401
    assert client.get("/api/v1/harvest/jobs").status_code == 401
    names = {who: [s["name"] for s in client.get(
        "/api/v1/harvest/sources", headers=world.headers(who)).json()]
        for who in ("publisher", "other_publisher", "coordinator", "admin", "vendor")}
    assert names == {"publisher": ["portail-nancy"], "other_publisher": [],
                     "coordinator": ["portail-nancy"], "admin": ["portail-nancy"],
                     "vendor": []}
    assert client.get("/api/v1/harvest/sources/portail-nancy",
                      headers=world.headers("other_publisher")).status_code == 404
    assert client.post("/api/v1/harvest/sources", json=source_body(
        "https://example.fr", name="autre", organization="ville-de-nancy"),
        headers=world.headers("other_publisher")).status_code == 403


@pytest.mark.parametrize("body, field", [
    ({"type": "sparql"}, "type"),
    ({"url": "file:///etc/passwd"}, "url"),
    ({"url": "pas une adresse"}, "url"),
    ({"name": "Avec Espaces"}, "name"),
    ({"config": {"inconnu": 1}}, "config"),
    ({"config": {"deletion_threshold": 3}}, "config"),
    ({"organization": "inconnue"}, "organization"),
])
def test_bad_source_bodies_are_problems(client, world, body, field):
    response = client.post("/api/v1/harvest/sources",
                           json=source_body("https://data.example.fr") | body,
                           headers=world.headers("admin"))
    assert response.status_code == 422, response.text
    assert response.headers["content-type"].startswith("application/problem+json")
    assert field in json.dumps(response.json())


def test_udata_source_needs_an_organization(client, world):
    response = client.post("/api/v1/harvest/sources", json=source_body(
        "https://www.data.gouv.fr", type="udata"), headers=world.headers("admin"))
    assert response.status_code == 422
    assert "config.organization" in response.text


def test_unknown_job_and_source_are_404(client, world):
    headers = world.headers("admin")
    assert client.get("/api/v1/harvest/jobs/99999", headers=headers).status_code == 404
    assert client.get("/api/v1/harvest/jobs/99999999999", headers=headers).status_code == 422
    assert client.get("/api/v1/harvest/sources/rien", headers=headers).status_code == 404


def test_cli_add_list_run_show_jobs(world):
    runner = CliRunner()
    portal = CkanPortal(count=4)
    with serve(portal) as url:
        added = runner.invoke(app, ["harvest", "add", "--type", "ckan", "--url", url,
                                    "--organization", "ville-de-nancy", "--name", "nancy",
                                    "--config", '{"grace_days": 3}'])
        assert added.exit_code == 0, added.output
        assert "validée" in added.output
        ran = runner.invoke(app, ["harvest", "run", "nancy"])
        assert ran.exit_code == 0, ran.output
        assert "4 ajouté(s)" in ran.output
    listed = runner.invoke(app, ["harvest", "list", "--format", "json"])
    record = json.loads(listed.output)[0]
    assert record["name"] == "nancy" and record["datasets"] == 4
    assert record["config"] == {"grace_days": 3.0}
    shown = json.loads(runner.invoke(app, ["harvest", "show", "nancy"]).output)
    assert shown["last_job"]["status"] == "done"
    history = json.loads(runner.invoke(app, ["harvest", "jobs", "nancy", "--format",
                                             "json"]).output)
    assert [j["added"] for j in history] == [4]


def test_cli_errors_are_french_and_exit_non_zero(world):
    runner = CliRunner()
    bad_json = runner.invoke(app, ["harvest", "add", "--type", "ckan", "--url",
                                   "https://x.fr", "--organization", "ville-de-nancy",
                                   "--name", "x", "--config", "{pas du json"])
    assert bad_json.exit_code == 1 and "JSON" in bad_json.output
    bad_value = runner.invoke(app, ["harvest", "add", "--type", "ckan", "--url",
                                    "https://x.fr", "--organization", "ville-de-nancy",
                                    "--name", "x", "--config", '{"grace_days": -1}'])
    assert bad_value.exit_code == 1 and "grace_days" in bad_value.output
    unknown = runner.invoke(app, ["harvest", "run", "inconnue"])
    assert unknown.exit_code == 1 and "inconnue" in unknown.output
    bad_org = runner.invoke(app, ["harvest", "add", "--type", "ckan", "--url", "https://x.fr",
                                  "--organization", "nulle-part", "--name", "x"])
    assert bad_org.exit_code == 1 and "Erreur" in bad_org.output


def test_cli_run_of_an_unreachable_source_fails_with_a_message(world):
    runner = CliRunner()
    # Nothing listens on this port once the portal is gone.
    with serve(CkanPortal(count=0)) as url:
        pass
    runner.invoke(app, ["harvest", "add", "--type", "ckan", "--url", url, "--organization",
                        "ville-de-nancy", "--name", "eteinte"])
    ran = runner.invoke(app, ["harvest", "run", "eteinte"])
    assert ran.exit_code == 1
    assert "échouée" in ran.output and "connexion impossible" in ran.output


def test_cli_background_run_is_queued_for_the_worker(world, monkeypatch, tmp_path):
    monkeypatch.setenv("CTD_JOBS_URL", f"sqlite:///{tmp_path / 'jobs.sqlite'}")
    runner = CliRunner()
    with serve(CkanPortal(count=2)) as url:
        runner.invoke(app, ["harvest", "add", "--type", "ckan", "--url", url,
                            "--organization", "ville-de-nancy", "--name", "nancy"])
        queued = runner.invoke(app, ["harvest", "run", "nancy", "--background"])
        assert queued.exit_code == 0, queued.output
        assert "confiée" in queued.output
        assert len(jobs.queue()) == 1
        workers = jobs.InProcessWorkers(workers=1)
        workers.start()
        try:
            deadline = time.monotonic() + 30
            while time.monotonic() < deadline:
                shown = json.loads(runner.invoke(app, ["harvest", "show", "nancy"]).output)
                if shown["last_job"]["status"] == "done":
                    break
                time.sleep(0.1)
        finally:
            workers.stop()
    assert shown["last_job"]["added"] == 2


def test_an_unreachable_job_queue_is_a_503_and_the_job_is_marked_failed(
        client, world, monkeypatch):
    monkeypatch.setenv("CTD_JOBS_URL", "redis://127.0.0.1:1/0")  # nothing listens there
    admin = world.headers("admin")
    with serve(CkanPortal(count=1)) as url:
        assert client.post("/api/v1/harvest/sources", json=source_body(url),
                           headers=admin).status_code == 201
        response = client.post("/api/v1/harvest/sources/portail-nancy/jobs", headers=admin)
    assert response.status_code == 503
    assert response.headers["content-type"].startswith("application/problem+json")
    jobs_listed = client.get("/api/v1/harvest/jobs", headers=admin).json()
    assert [j["status"] for j in jobs_listed] == ["failed"]
    assert "injoignable" in jobs_listed[0]["message"]


def test_patching_the_url_asks_for_a_new_validation(client, world):
    publisher, coordinator = world.headers("publisher"), world.headers("coordinator")
    with serve(CkanPortal(count=1)) as url:
        client.post("/api/v1/harvest/sources", json=source_body(url), headers=coordinator)
        assert client.get("/api/v1/harvest/sources/portail-nancy",
                          headers=publisher).json()["validated"] is True
        changed = client.patch("/api/v1/harvest/sources/portail-nancy", headers=publisher,
                               json={"url": "https://autre-portail.example.fr",
                                     "schedule": "weekly", "config": {"grace_days": 2}})
    assert changed.status_code == 200, changed.text
    body = changed.json()
    assert body["validated"] is False and body["schedule"] == "weekly"
    assert body["config"] == {"grace_days": 2.0}
    bad = client.patch("/api/v1/harvest/sources/portail-nancy", headers=publisher,
                       json={"schedule": "hourly"})
    assert bad.status_code == 422


def test_scheduled_sources_are_queued_when_due(world, monkeypatch, tmp_path):
    from connectors import background

    monkeypatch.setenv("CTD_JOBS_URL", f"sqlite:///{tmp_path / 'jobs.sqlite'}")
    runner = CliRunner()
    with serve(CkanPortal(count=1)) as url:
        for name, schedule in (("quotidienne", "daily"), ("manuelle", "manual")):
            runner.invoke(app, ["harvest", "add", "--type", "ckan", "--url", url,
                                "--organization", "ville-de-nancy", "--name", name,
                                "--schedule", schedule])
        assert background.start_due_sources() == 1
        assert len(jobs.queue()) == 1
        # Its job is pending now, and a day has not passed: nothing more is due.
        assert background.start_due_sources() == 0


def _start(*args: str, env: dict) -> subprocess.Popen:
    return subprocess.Popen([str(BIN / "ctd"), *args], env=env, stdout=subprocess.DEVNULL,
                            stderr=subprocess.DEVNULL)


def _stop(process: subprocess.Popen) -> None:
    process.send_signal(signal.SIGINT)
    try:
        process.wait(timeout=20)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait(timeout=10)


def test_ctd_serve_runs_queued_harvests_in_process(world, database, tmp_path):
    port = free_port()
    env = dict(os.environ, CTD_DATABASE_URL=database,
               CTD_JOBS_URL=f"sqlite:///{tmp_path / 'jobs.sqlite'}")
    server = _start("serve", "--port", str(port), env=env)
    admin = world.headers("admin")
    try:
        with serve(CkanPortal(count=3)) as url, httpx.Client(
                base_url=f"http://127.0.0.1:{port}", timeout=10) as client:
            _wait_until_up(client)
            client.post("/api/v1/harvest/sources", json=source_body(url), headers=admin)
            started = client.post("/api/v1/harvest/sources/portail-nancy/jobs", headers=admin)
            assert started.status_code == 202, started.text
            job = wait_for_job(client, admin, started.json()["id"])
    finally:
        _stop(server)
    assert job["status"] == "done" and job["added"] == 3


def test_ctd_worker_runs_what_the_api_queued(client, world, monkeypatch, tmp_path):
    jobs_url = f"sqlite:///{tmp_path / 'jobs.sqlite'}"
    monkeypatch.setenv("CTD_JOBS_URL", jobs_url)  # the live server queues there
    worker = _start("worker", "--workers", "1", env=dict(os.environ))
    admin = world.headers("admin")
    try:
        with serve(CkanPortal(count=2)) as url:
            client.post("/api/v1/harvest/sources", json=source_body(url), headers=admin)
            started = client.post("/api/v1/harvest/sources/portail-nancy/jobs", headers=admin)
            job = wait_for_job(client, admin, started.json()["id"])
    finally:
        _stop(worker)
    assert job["status"] == "done" and job["added"] == 2


def _wait_until_up(client: httpx.Client) -> None:
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            if client.get("/healthz").status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.1)
    pytest.fail("ctd serve did not start")
