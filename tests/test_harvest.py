"""The harvest runner end to end, through the CKAN connector against a fixture CKAN portal
and a second live ctd: identity, incremental runs, deletions and their circuit breaker,
faults, protected fields, links between sources, and a job killed with SIGKILL."""

from __future__ import annotations

import hashlib
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from portals import serve
from portals.ckan import CkanPortal
from sqlmodel import select

from catalogue import datasets, db
from catalogue.auth import OPERATOR
from catalogue.fetch import Fetcher
from catalogue.models import Dataset, Resource
from catalogue.schemas import DatasetCreate, DatasetUpdate
from catalogue.vocabularies import DatasetState
from connectors import harvest, sources
from connectors.models import HarvestItem, HarvestJob, HarvestSource, ItemStatus, JobStatus
from connectors.schemas import SourceConfig, SourceCreate

BIN = Path(sys.executable).parent


def add_source(url: str, name: str = "portail-nancy", type: str = "ckan",
               owner: str = "ville-de-nancy", **config) -> str:
    with db.session_scope() as session:
        sources.create(session, OPERATOR, SourceCreate(
            name=name, type=type, url=url, organization=owner,
            config=SourceConfig(**config)))
    return name


def run(name: str, fetcher: Fetcher | None = None, **options) -> HarvestJob:
    with db.session_scope() as session:
        source = session.exec(select(HarvestSource).where(HarvestSource.name == name)).one()
        job = harvest.create_job(session, source)
    return harvest.run_job(job.id, fetcher=fetcher, **options)


def harvested(name: str = "portail-nancy") -> dict[str, Dataset]:
    with db.session_scope() as session:
        return {d.remote_id: d for d in session.exec(
            select(Dataset).where(Dataset.harvest_source == name))}


def counts(job: HarvestJob) -> dict[str, int]:
    return {k: getattr(job, k) for k in ("added", "updated", "unchanged", "linked",
                                         "archived", "errored")}


def quick_fetcher(**options) -> Fetcher:
    return Fetcher(backoff=0.01, **options)


def test_first_harvest_maps_every_dataset_with_its_resources(world):
    portal = CkanPortal(count=25)
    with serve(portal) as url:
        add_source(url)
        job = run("portail-nancy")
    assert job.status == JobStatus.done, job.message
    assert counts(job) == {"added": 25, "updated": 0, "unchanged": 0, "linked": 0,
                           "archived": 0, "errored": 0}
    found = harvested()
    assert set(found) == set(portal.packages)
    with db.session_scope() as session:
        package = next(iter(portal.packages.values()))
        dataset = found[package.id]
        out = datasets.to_out(session, OPERATOR, [dataset])[0]
        assert out.title == package.title
        assert out.publisher.slug == "ville-de-nancy"
        assert out.state == DatasetState.published
        assert out.licence.id == "fr-lo-2.0"
        assert out.frequency == "MONTHLY"
        assert out.provenance.remote_url == f"{url}/dataset/{package.name}"
        assert [r.format for r in out.resources] == ["CSV", "CSV", "CSV"]
        assert out.spatial.bbox == [6.18, 48.69, 6.18, 48.69]
        source = session.exec(select(HarvestSource)).one()
        assert source.cursor is not None


def test_unchanged_rerun_reads_only_the_changes_and_writes_nothing(world):
    portal = CkanPortal(count=25)
    with serve(portal) as url:
        add_source(url)
        run("portail-nancy")
        before = {d.id: d.modified for d in harvested().values()}
        portal.requests.clear()
        job = run("portail-nancy")
    assert job.status == JobStatus.done and job.incremental
    assert job.added == job.updated == job.archived == 0
    assert {d.id: d.modified for d in harvested().values()} == before
    # One page of changes (the record at the cursor itself) and one page of ids.
    searches = [r for r in portal.requests if r.path.endswith("package_search")]
    assert len(searches) == 2
    assert "metadata_modified:[" in searches[0].query["fq"]
    assert searches[1].query["fl"] == "id metadata_modified"


def test_changes_additions_and_deletions_after_the_grace_period(world):
    portal = CkanPortal(count=25)
    ids = list(portal.packages)
    with serve(portal) as url:
        add_source(url, grace_days=0)
        run("portail-nancy")
        portal.modify(ids[0])
        portal.modify(ids[1])
        new = portal.add()
        portal.delete(ids[2])
        job = run("portail-nancy")
    assert job.status == JobStatus.done, job.message
    assert (job.added, job.updated, job.archived) == (1, 2, 1)
    found = harvested()
    assert found[ids[2]].state == DatasetState.archived
    assert "Version 2" in found[ids[0]].description
    assert new.id in found
    assert len(found) == 26  # archived, never deleted


def test_a_vanished_dataset_waits_for_the_grace_period_and_may_come_back(world):
    portal = CkanPortal(count=10)
    ids = list(portal.packages)
    with serve(portal) as url:
        add_source(url)  # grace period: 7 days
        run("portail-nancy")
        gone = portal.packages[ids[0]]
        portal.delete(ids[0])
        job = run("portail-nancy")
        assert job.archived == 0
        assert harvested()[ids[0]].state == DatasetState.published
        with db.session_scope() as session:
            item = session.exec(select(HarvestItem).where(HarvestItem.remote_id == ids[0])).one()
            assert item.status == ItemStatus.missing and item.missing_since is not None
        portal.packages[gone.id] = gone
        job = run("portail-nancy")
    with db.session_scope() as session:
        item = session.exec(select(HarvestItem).where(HarvestItem.remote_id == ids[0])).one()
        assert item.status == ItemStatus.active and item.missing_since is None


def test_circuit_breaker_when_half_the_datasets_vanish(world):
    portal = CkanPortal(count=20)
    ids = list(portal.packages)
    with serve(portal) as url:
        add_source(url, grace_days=0)
        run("portail-nancy")
        for package_id in ids[:10]:
            portal.delete(package_id)
        job = run("portail-nancy")
        assert job.status == JobStatus.done_with_errors
        assert job.archived == 0
        assert "10 jeux de données sur 20" in job.message
        assert all(d.state == DatasetState.published for d in harvested().values())
        with db.session_scope() as session:
            source = session.exec(select(HarvestSource)).one()
            assert source.needs_review
        # A person looked at the source and accepts the deletions.
        job = run("portail-nancy", accept_deletions=True)
    assert job.status == JobStatus.done and job.archived == 10
    assert sum(d.state == DatasetState.archived for d in harvested().values()) == 10
    with db.session_scope() as session:
        assert session.exec(select(HarvestSource)).one().needs_review is None


def test_duplicate_ids_across_pages_are_dropped(world):
    portal = CkanPortal(count=12)
    first = next(iter(portal.packages))
    # While the harvester reads the second page, the first dataset is edited: sorted by
    # metadata_modified it moves to the last page and is listed twice, and the dataset that
    # slid back onto the first page is not listed at all (then read by itself).
    portal.touch_before_page[5] = first
    with serve(portal) as url:
        add_source(url, page_size=5)
        job = run("portail-nancy")
    assert job.status == JobStatus.done
    assert job.added == 12 and job.seen == 12
    assert len(harvested()) == 12


def test_harvested_slug_colliding_with_a_local_dataset_gets_another(world):
    with db.session_scope() as session:
        datasets.create(session, OPERATOR, DatasetCreate(
            title="Local", slug="jeu-00001", publisher="ville-d-epinal"))
    portal = CkanPortal(count=3)
    with serve(portal) as url:
        add_source(url)
        job = run("portail-nancy")
    assert job.added == 3
    slugs = sorted(d.slug for d in harvested().values())
    assert slugs == ["jeu-00001-2", "jeu-00002", "jeu-00003"]


def test_protected_fields_are_not_overwritten(world):
    portal = CkanPortal(count=3)
    package_id = next(iter(portal.packages))
    with serve(portal) as url:
        add_source(url)
        run("portail-nancy")
        with db.session_scope() as session:
            dataset = harvested()[package_id]
            datasets.update(session, OPERATOR, session.get(Dataset, dataset.id), DatasetUpdate(
                title="Titre revu par la référente données", protected_fields=["title"]))
        portal.modify(package_id)
        job = run("portail-nancy")
    assert job.updated == 1
    dataset = harvested()[package_id]
    assert dataset.title == "Titre revu par la référente données"
    assert "Version 2" in dataset.description


def test_the_same_dataset_through_two_sources_is_linked_not_duplicated(world):
    first, second = CkanPortal(count=4, seed=1), CkanPortal(count=4, seed=1)
    first.uri_base = second.uri_base = "https://data.nancy.fr/datasets"
    with serve(first) as url_a, serve(second) as url_b:
        add_source(url_a, name="portail-nancy")
        add_source(url_b, name="miroir-region", owner="ville-d-epinal")
        assert run("portail-nancy").added == 4
        job = run("miroir-region")
    assert (job.added, job.linked) == (0, 4)
    with db.session_scope() as session:
        assert len(session.exec(select(Dataset)).all()) == 4


def test_faults_429_500_are_retried_and_garbage_fails_cleanly(world):
    portal = CkanPortal(count=5)
    with serve(portal) as url:
        add_source(url)
        portal.inject("429", "/api", times=1, seconds=1)
        portal.inject("500", "/api", times=2)
        job = run("portail-nancy", fetcher=quick_fetcher())
        assert job.status == JobStatus.done and job.added == 5
        statuses = [r for r in portal.requests]
        assert len(statuses) >= 4
        before = {d.id: (d.title, d.modified) for d in harvested().values()}
        for fault in ("html", "truncated"):
            portal.modify(next(iter(portal.packages)))
            portal.inject(fault, "/api", times=10)
            job = run("portail-nancy", fetcher=quick_fetcher())
            assert job.status == JobStatus.failed
            assert "package_search" in job.message
            assert {d.id: (d.title, d.modified) for d in harvested().values()} == before
            portal.faults.clear()


def test_timeout_fails_the_job_with_a_clear_message(world):
    portal = CkanPortal(count=2)
    with serve(portal) as url:
        add_source(url)
        portal.inject("slow", "/api", times=5, seconds=1.5)
        job = run("portail-nancy", fetcher=quick_fetcher(timeout=0.3, retries=1))
    assert job.status == JobStatus.failed
    assert "délai de réponse dépassé (timeout)" in job.message


def test_a_record_that_cannot_be_read_is_an_item_error(world):
    portal = CkanPortal(count=3)
    bad = list(portal.packages)[1]
    original = portal.record

    def record(package):
        value = original(package)
        if package.id == bad:
            value["tags"] = "pas-une-liste"
        return value

    portal.record = record
    with serve(portal) as url:
        add_source(url)
        job = run("portail-nancy")
    assert job.status == JobStatus.done_with_errors
    assert (job.added, job.errored) == (2, 1)
    with db.session_scope() as session:
        detail = sources.job_detail(session, session.get(HarvestJob, job.id), "portail-nancy")
    assert [e.remote_id for e in detail.errors] == [bad]
    assert detail.errors[0].error["stage"] == "map"


def test_sigkill_mid_job_leaves_whole_datasets_and_a_rerun_completes(world, database,
                                                                      tmp_path):
    portal = CkanPortal(count=40)
    with serve(portal) as url:
        add_source(url, page_size=4)
        portal.inject("slow", "/api", times=100, seconds=0.15)
        env = dict(os.environ, CTD_DATABASE_URL=database,
                   CTD_HARVEST_ALLOWED_HOSTS="127.0.0.1")
        process = subprocess.Popen([str(BIN / "ctd"), "harvest", "run", "portail-nancy"],
                                   env=env, stdout=subprocess.DEVNULL,
                                   stderr=subprocess.DEVNULL)
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline and len(harvested()) < 8:
            time.sleep(0.05)
        os.kill(process.pid, signal.SIGKILL)
        process.wait(timeout=10)
        partial = harvested()
        assert 8 <= len(partial) < 40
        with db.session_scope() as session:
            # Every dataset written is whole: its three resources and its item.
            for dataset in partial.values():
                assert len(session.exec(select(Resource).where(
                    Resource.dataset_id == dataset.id)).all()) == 3
            items = session.exec(select(HarvestItem)).all()
            assert {i.dataset_id for i in items} == {d.id for d in partial.values()}
            job = session.exec(select(HarvestJob)).one()
            assert job.status == JobStatus.running
        portal.faults.clear()
        rerun = run("portail-nancy")
    assert rerun.status == JobStatus.done
    with db.session_scope() as session:
        killed = session.get(HarvestJob, job.id)
        assert killed.status == JobStatus.interrupted
    found = harvested()
    assert set(found) == set(portal.packages)
    with db.session_scope() as session:
        assert len(session.exec(select(Dataset)).all()) == 40


def test_harvest_a_second_live_ctd_through_its_ckan_api(world, tmp_path):
    """A real ckanapi client against a real second ctd, filled with the demo catalogue."""
    port = _free_port()
    env = dict(os.environ, CTD_DATABASE_URL=f"sqlite:///{tmp_path / 'other.sqlite'}",
               CTD_DATA_DIR=str(tmp_path / "other"))
    subprocess.run([str(BIN / "ctd"), "demo"], env=env, check=True, capture_output=True)
    server = subprocess.Popen([str(BIN / "ctd"), "serve", "--port", str(port), "--workers",
                               "0"], env=env, stdout=subprocess.DEVNULL,
                              stderr=subprocess.DEVNULL)
    base = f"http://127.0.0.1:{port}"
    try:
        _wait_for(base)
        with Fetcher() as fetcher:
            total = fetcher.get(f"{base}/api/3/action/package_search",
                                params={"rows": 0}).json()["result"]["count"]
        add_source(base, name="autre-ctd", page_size=7)
        job = run("autre-ctd")
        assert job.status == JobStatus.done, job.message
        assert job.added == total > 0
        assert len(harvested("autre-ctd")) == total
        again = run("autre-ctd")
        assert again.added == again.updated == again.archived == 0
    finally:
        server.send_signal(signal.SIGINT)
        server.wait(timeout=20)


def _free_port() -> int:
    from portals import free_port

    return free_port()


def _wait_for(base: str) -> None:
    import httpx

    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            if httpx.get(f"{base}/healthz", timeout=1).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.1)
    pytest.fail(f"the second ctd did not start on {base}")


def test_files_are_fetched_once_and_again_only_when_they_change(world, data_dir):
    portal = CkanPortal(count=3)
    with serve(portal) as url:
        portal.files_base = f"{url}/files"
        add_source(url, download_files=True)
        job = run("portail-nancy")
        assert job.status == JobStatus.done, job.message
        with db.session_scope() as session:
            copies = session.exec(select(Resource).order_by(Resource.id)).all()
            assert len(copies) == 9 and all(r.local_copy for r in copies)
            first = copies[0]
            body = (data_dir / "files" / first.local_copy).read_bytes()
            assert hashlib.sha256(body).hexdigest() == first.sha256
            assert first.size == len(body) and body.startswith(b"code_insee;valeur")
        changed = next(iter(portal.packages))
        portal.modify(changed)
        portal.requests.clear()
        job = run("portail-nancy")
        assert job.updated == 1
        fetched = [r for r in portal.requests if r.path.startswith("/files/")]
        # Only the changed dataset's three files were asked for, with their validators.
        assert len(fetched) == 3 and all("if-none-match" in r.headers for r in fetched)
        with db.session_scope() as session:
            new = session.get(Resource, first.id)
            assert (data_dir / "files" / new.local_copy).read_bytes() != body


def test_a_file_over_the_size_cap_is_an_item_error_and_the_dataset_stands(world):
    portal = CkanPortal(count=1, resources=1)
    with serve(portal) as url:
        portal.files_base = f"{url}/files"
        add_source(url, download_files=True, max_file_bytes=10)
        job = run("portail-nancy", fetcher=quick_fetcher())
    assert job.status == JobStatus.done_with_errors
    assert (job.added, job.errored) == (1, 1)
    with db.session_scope() as session:
        detail = sources.job_detail(session, session.get(HarvestJob, job.id), "portail-nancy")
        assert detail.errors[0].error["stage"] == "download"
        assert session.exec(select(Resource)).one().local_copy is None
    assert len(harvested()) == 1


def test_organization_filter_harvests_only_that_organization(world):
    portal = CkanPortal(count=4, organization="ville-de-nancy")
    for _ in range(3):
        portal.add(organization="metropole-du-grand-nancy")
    with serve(portal) as url:
        add_source(url, organization="ville-de-nancy")
        job = run("portail-nancy")
        assert job.added == 4
        searches = [r for r in portal.requests if r.path.endswith("package_search")]
        assert all("organization:ville-de-nancy" in r.query["fq"] for r in searches)
        # The listing of ids is filtered too: the other organization's datasets are not
        # taken for deletions, nor for new ones.
        again = run("portail-nancy")
    assert (again.added, again.archived) == (0, 0)
    assert len(harvested()) == 4
