"""Running a harvest job.

The source's connector gathers remote datasets one at a time. They are written into the
catalogue in batches, each batch inside a savepoint (replayed one record per savepoint when a
record fails, so that it fails alone), and each batch committed with its search index rows
and the job's counts: dataset, resources, index and harvest item together, or nothing. A job
killed at any moment therefore leaves whole datasets only, and the next run (from the last
successful cursor) ends with exactly the right ones. A thread beats the job's heartbeat while
its process lives, so that a dead job is told from a slow one.

Deletions are judged only on a complete listing: a dataset missing from it is marked missing,
and archived once the grace period is over — never hard-deleted. When too large a share
disappears at once, nothing is marked and the source is flagged for a person.
"""

from __future__ import annotations

import importlib
import logging
import os
import socket
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

import sqlalchemy as sa
from pydantic import TypeAdapter, ValidationError
from sqlmodel import Session, select

from catalogue import datasets, events, search, slugs, territories
from catalogue.auth import Actor
from catalogue.config import load_settings
from catalogue.db import get_engine
from catalogue.errors import CatalogueError, Conflict
from catalogue.fetch import Fetcher, FetchError
from catalogue.models import Dataset, Organization, Resource, utcnow
from catalogue.schemas import (
    ContactPoint,
    DatasetCreate,
    DatasetUpdate,
    SpatialIn,
    TableSchemaRef,
    TemporalCoverage,
    WebUrl,
)
from catalogue.text import slugify
from catalogue.vocabularies import DatasetState, Granularity
from connectors.models import (
    HarvestItem,
    HarvestJob,
    HarvestSource,
    ItemStatus,
    JobStatus,
    SourceType,
)
from connectors.records import Gathering, ItemError, RemoteDataset
from connectors.schemas import SourceConfig

log = logging.getLogger(__name__)

# The module of each source type, imported on first use (some pull in rdflib or ijson).
CONNECTORS: dict[str, str] = {
    SourceType.ckan: "connectors.ckan", SourceType.udata: "connectors.udata",
    SourceType.ods: "connectors.ods", SourceType.dcat: "connectors.dcat",
    SourceType.scdl_catalogue: "connectors.scdl",
}
# A running job's heartbeat beats this often; one older than STALE_AFTER is taken for dead.
HEARTBEAT_SECONDS = 20
STALE_AFTER = timedelta(minutes=2)
# A pending job nobody picked up within this time is given up.
PENDING_TIMEOUT = timedelta(days=1)
# Writes are committed (with the job's counts and heartbeat) at least this often, and in
# batches of at most this many records.
COMMIT_EVERY_SECONDS = 1.0
BATCH_SIZE = 200
# What storing a bad record can raise; anything else is a bug and fails the job.
STORE_ERRORS = (CatalogueError, ValidationError, ValueError, sa.exc.SQLAlchemyError)

_web_url = TypeAdapter(WebUrl)


def _resource_values(record: RemoteDataset) -> dict[str, dict]:
    """The columns of each remote resource with a usable link, by URL (the first of each)."""
    now = utcnow()
    values: dict[str, dict] = {}
    for remote in record.resources:
        try:
            url = _web_url.validate_python(remote.url)
        except ValidationError:
            continue
        values.setdefault(url, {
            "url": url, "title": (remote.title or url)[:300],
            "description": remote.description or "",
            "format": (remote.format or "")[:32] or None, "media_type": remote.media_type,
            "size": remote.size, "sha256": remote.sha256, "type": remote.type,
            "last_modified": remote.last_modified or now})
    return values


def worker_id() -> str:
    return f"{socket.gethostname()}:{os.getpid()}"


def _process_gone(worker: str | None) -> bool:
    """True when ``worker`` names a process of this host that no longer exists."""
    host, _, pid = (worker or "").rpartition(":")
    if host != socket.gethostname() or not pid.isdigit():
        return False
    try:
        os.kill(int(pid), 0)
    except ProcessLookupError:
        return True
    except PermissionError:
        return False
    return False


def reap(session: Session) -> int:
    """Mark interrupted the jobs whose process died or whose heartbeat stopped, and give up
    jobs left pending too long: no job stays "running" forever."""
    now = utcnow()
    count = 0
    for job in session.exec(select(HarvestJob).where(
            HarvestJob.status.in_([JobStatus.running, JobStatus.pending]))):
        if job.status == JobStatus.running:
            dead = _process_gone(job.worker) or (job.heartbeat or job.created) < now - STALE_AFTER
            message = ("Interrompue : le processus qui la menait s'est arrêté avant la fin "
                       f"(dernier signe de vie {_french_time(job.heartbeat or job.created)}).")
        else:
            dead = job.created < now - PENDING_TIMEOUT
            message = "Abandonnée : aucun processus de tâches ne l'a prise en charge."
        if dead:
            job.status, job.finished, job.message = JobStatus.interrupted, now, message
            session.add(job)
            count += 1
    return count


def _french_time(moment: datetime) -> str:
    return moment.strftime("le %d/%m/%Y à %H:%M:%S UTC")


def create_job(session: Session, source: HarvestSource) -> HarvestJob:
    """A pending job for ``source``; refused while one is pending or running, or while the
    source is not validated or disabled."""
    reap(session)
    if source.validated_at is None:
        raise Conflict(f"La source « {source.name} » doit être validée par un coordinateur "
                       "ou un administrateur avant sa première moisson.")
    if not source.enabled:
        raise Conflict(f"La source « {source.name} » est désactivée.")
    current = session.exec(select(HarvestJob).where(
        HarvestJob.source_id == source.id,
        HarvestJob.status.in_([JobStatus.pending, JobStatus.running]))).first()
    if current is not None:
        raise Conflict(f"Une moisson de « {source.name} » est déjà en cours "
                       f"(tâche n° {current.id}).")
    job = HarvestJob(source_id=source.id)
    session.add(job)
    session.flush()
    return job


def run_job(job_id: int, *, accept_deletions: bool = False,
            progress: Callable[[HarvestJob, int | None], None] | None = None,
            fetcher: Fetcher | None = None) -> HarvestJob:
    """Run a pending job to its end and return it. ``progress(job, total)`` is called after
    each commit; ``accept_deletions`` lets a person override the deletion circuit breaker."""
    with Session(get_engine(), expire_on_commit=False) as session:
        now = utcnow()
        # Taken atomically: a queue may deliver a task twice, and only one run may start.
        taken = session.execute(sa.update(HarvestJob).where(
            HarvestJob.id == job_id, HarvestJob.status == JobStatus.pending).values(
            status=JobStatus.running, worker=worker_id(), started=now, heartbeat=now))
        session.commit()
        job = session.get(HarvestJob, job_id)
        if taken.rowcount != 1:
            return job
        source = session.get(HarvestSource, job.source_id)
        job.incremental = source.cursor is not None
        run = _Run(session, job, source, accept_deletions, progress)
        own_fetcher = fetcher is None
        fetcher = fetcher or Fetcher()
        heartbeat = _Heartbeat(job_id)
        heartbeat.start()
        try:
            run.run(fetcher)
        except FetchError as error:
            run.abandon(JobStatus.failed, _fetch_message(error))
        except Exception as error:
            log.exception("harvest job %s failed", job_id)
            run.abandon(JobStatus.failed, f"Erreur inattendue : {error!r}"[:1000])
        except BaseException:
            run.abandon(JobStatus.interrupted, "Interrompue à la demande.")
            raise
        finally:
            heartbeat.stop()
            if own_fetcher:
                fetcher.close()
        return job


class _Heartbeat(threading.Thread):
    """Beats a running job's heartbeat whatever the run is doing (a long download, a wait
    the source asked for), as long as its process lives."""

    def __init__(self, job_id: int) -> None:
        super().__init__(name=f"heartbeat-{job_id}", daemon=True)
        self.job_id, self.stopped = job_id, threading.Event()

    def run(self) -> None:
        while not self.stopped.wait(HEARTBEAT_SECONDS):
            try:
                with get_engine().begin() as connection:
                    connection.execute(sa.update(HarvestJob).where(
                        HarvestJob.id == self.job_id, HarvestJob.status == JobStatus.running)
                        .values(heartbeat=utcnow()))
            except sa.exc.OperationalError:
                log.warning("heartbeat of job %s skipped: database busy", self.job_id)

    def stop(self) -> None:
        self.stopped.set()
        self.join(timeout=10)


# What each stage of a FetchError means, for the people reading a failed job.
STAGE_LABELS = {
    "ssrf": "adresse refusée (réseau privé ou local)", "connect": "connexion impossible",
    "timeout": "délai de réponse dépassé", "http": "le portail a répondu par une erreur",
    "redirect": "redirections en boucle ou trop nombreuses",
    "size": "réponse trop volumineuse", "parse": "réponse illisible",
}


def _fetch_message(error: FetchError) -> str:
    status = f", HTTP {error.status}" if error.status else ""
    label = STAGE_LABELS.get(error.stage, error.stage)
    return (f"Échec de la collecte — {label} ({error.stage}{status}) : {error.message} "
            f"— {error.url}")[:1000]


@dataclass
class _Known:
    """What the run needs of a harvest item, loaded once for the whole source."""

    id: int | None
    content_hash: str | None
    status: str
    dataset_id: int | None
    # The row itself once this run wrote it (its id may not be flushed yet).
    item: HarvestItem | None = None


class _Run:
    def __init__(self, session: Session, job: HarvestJob, source: HarvestSource,
                 accept_deletions: bool, progress) -> None:
        self.session, self.job, self.source = session, job, source
        self.accept_deletions, self.progress = accept_deletions, progress
        self.config = source.config or {}
        self.settings = SourceConfig(**self.config)
        self.organization = session.get(Organization, source.organization_id)
        self.actor = Actor(name=f"moisson {source.name}",
                           publisher_of=frozenset({source.organization_id}))
        self.known = {row.remote_id: _Known(row.id, row.content_hash, row.status,
                                            row.dataset_id)
                      for row in session.exec(select(
                          HarvestItem.remote_id, HarvestItem.id, HarvestItem.content_hash,
                          HarvestItem.status, HarvestItem.dataset_id)
                          .where(HarvestItem.source_id == source.id))}
        self.zones = set(session.exec(select(territories.Territory.id)))
        # Coverage unions already computed in this run (see datasets.create_many).
        self.spatial_memo: dict = {}
        self.total: int | None = None
        # Set when too many datasets vanished at once: the job ends with errors.
        self.tripped = False
        # Records to write, stored together at the next commit.
        self.batch: list[tuple[RemoteDataset, str]] = []
        self.last_commit = time.monotonic()
        # Datasets written since the last commit, indexed together just before it.
        self.to_index: dict[int, Dataset] = {}
        # Datasets whose files to fetch once the batch is committed (downloads never hold a
        # write transaction open).
        self.to_download: list[int] = []
        self.fetcher: Fetcher | None = None

    # --- the loop -------------------------------------------------------------------------

    def run(self, fetcher: Fetcher) -> None:
        self.fetcher = fetcher
        gathering = Gathering(url=self.source.url, config=self.config,
                              cursor=self.source.cursor)
        gather = importlib.import_module(CONNECTORS[self.source.type]).gather
        for entry in gather(gathering, fetcher):
            self.job.seen += 1
            self.total = self.job.expected = gathering.total
            if isinstance(entry, ItemError):
                self._record_error(entry)
            else:
                self._take(entry)
            if (len(self.batch) >= BATCH_SIZE
                    or time.monotonic() - self.last_commit >= COMMIT_EVERY_SECONDS):
                self._commit()
        self._commit()
        self._deletions(gathering)
        failed = self.job.errored or self.tripped
        status = JobStatus.done_with_errors if failed else JobStatus.done
        # A cursor moves on only when every item went in: an errored one is tried again.
        if status == JobStatus.done and gathering.new_cursor is not None:
            self.source.cursor = gathering.new_cursor
            self.session.add(self.source)
        self.finish(status, self.job.message)

    def _commit(self) -> None:
        """Write the pending records, index the datasets written, and commit them with the
        job's counts and heartbeat: one transaction, so the index never lags behind."""
        self._write_batch()
        search.index_datasets(self.session, list(self.to_index.values()))
        self.to_index.clear()
        self.job.heartbeat = utcnow()
        self.session.add(self.job)
        self.session.commit()
        if self.to_download:
            self._fetch_files()
        self.last_commit = time.monotonic()
        if self.progress:
            self.progress(self.job, self.total)

    def abandon(self, status: JobStatus, message: str) -> None:
        """End the job on an error: what was not committed yet is dropped, whole."""
        self.session.rollback()
        self.batch.clear()
        self.to_index.clear()
        self.to_download.clear()
        self.finish(status, message)

    def finish(self, status: JobStatus, message: str | None) -> None:
        self.job.status, self.job.message = status, message
        self.job.finished = utcnow()
        self._commit()

    # --- one remote dataset ---------------------------------------------------------------

    def _take(self, record: RemoteDataset) -> None:
        known = self.known.get(record.remote_id)
        digest = record.content_hash()
        if known and known.content_hash == digest and known.status in (
                ItemStatus.active, ItemStatus.linked):
            self.job.unchanged += 1
        else:
            self.batch.append((record, digest))

    def _write_batch(self) -> None:
        """Store the pending records in one savepoint; if one of them fails, store them
        again one savepoint each, so that it fails alone."""
        batch, self.batch = self.batch, []
        if not batch:
            return
        try:
            with self.session.begin_nested():
                stored = self._store_all(batch)
        except STORE_ERRORS:
            stored = []
            for record, digest in batch:
                try:
                    with self.session.begin_nested():
                        stored.append(self._store(record, digest))
                except STORE_ERRORS as error:
                    detail = error.detail if isinstance(error, CatalogueError) else str(error)
                    self._record_error(ItemError(record.remote_id, "store", detail[:1000],
                                                 remote_url=record.remote_url))
        for outcome, dataset, item in stored:
            setattr(self.job, outcome, getattr(self.job, outcome) + 1)
            if outcome in ("added", "updated"):
                self.to_index[dataset.id] = dataset
                if self.settings.download_files:
                    self.to_download.append(dataset.id)
            self.known[item.remote_id] = _Known(item.id, item.content_hash, item.status,
                                                item.dataset_id, item)

    def _store_all(self, batch: list[tuple[RemoteDataset, str]]) -> list[tuple]:
        """Store a batch: datasets new to the catalogue are created together, the others
        (updates, links) one after the other."""
        identifiers = [r.identifier for r, _ in batch if r.identifier]
        shared = set(self.session.exec(select(HarvestItem.identifier).where(
            HarvestItem.identifier.in_(identifiers), HarvestItem.source_id != self.source.id,
            HarvestItem.dataset_id.is_not(None)))) if identifiers else set()
        fresh, others = [], []
        for record, digest in batch:
            known = self.known.get(record.remote_id)
            new = (known is None or known.dataset_id is None) and not (
                known and known.status == ItemStatus.linked)
            if new and record.identifier not in shared and not record.original_domain:
                fresh.append((record, digest))
            else:
                others.append((record, digest))
        stored = [self._store(record, digest) for record, digest in others]
        return stored + self._create_all(fresh) if fresh else stored

    def _create_all(self, fresh: list[tuple[RemoteDataset, str]]) -> list[tuple]:
        wished = [slugify(record.name or record.title, max_length=90) for record, _ in fresh]
        taken = set(self.session.exec(select(Dataset.slug).where(
            Dataset.slug.in_([w for w in wished if w]))))
        payloads = []
        for (record, _), slug in zip(fresh, wished, strict=True):
            # The source's own name (or title) when it is free, else a free variant of it.
            if not slug or slug.isdigit() or slug in taken:
                slug = slugs.claim(self.session, Dataset, None, record.name or record.title,
                                   "un autre jeu de données", reserved=taken)
            taken.add(slug)
            payloads.append(self._validated(DatasetCreate, self._fields(record) | {
                "slug": slug, "publisher": self.organization.slug,
                "state": DatasetState.published}))
        created = datasets.create_many(self.session, self.actor, payloads, index=False,
                                       spatial_memo=self.spatial_memo)
        stored, files, now = [], [], utcnow()
        for (record, digest), dataset in zip(fresh, created, strict=True):
            self._provenance(dataset, record)
            files += [{"dataset_id": dataset.id, "created": now, **values}
                      for values in _resource_values(record).values()]
            stored.append(("added", dataset,
                           self._write_item(record, digest, dataset, ItemStatus.active)))
        if files:  # rows of new datasets: one INSERT, no objects to track
            self.session.execute(sa.insert(Resource), files)
        return stored

    def _write_item(self, record: RemoteDataset, digest: str, dataset: Dataset | None,
                    status: ItemStatus) -> HarvestItem:
        item = self._item(record.remote_id)
        item.remote_url, item.identifier = record.remote_url, record.identifier
        item.dataset_id = dataset.id if dataset is not None else None
        item.content_hash, item.status, item.job_id = digest, status, self.job.id
        item.error, item.missing_since, item.last_seen = None, None, utcnow()
        self.session.add(item)
        return item

    def _item(self, remote_id: str) -> HarvestItem:
        known = self.known.get(remote_id)
        if known is None:
            return HarvestItem(source_id=self.source.id, remote_id=remote_id[:500])
        return known.item or self.session.get(HarvestItem, known.id)

    def _store(self, record: RemoteDataset, digest: str) -> tuple[str, Dataset | None,
                                                                  HarvestItem]:
        """Write one record; return the count it adds to (added, updated, linked,
        unchanged), its dataset and its item."""
        known = self.known.get(record.remote_id)
        dataset = (self.session.get(Dataset, known.dataset_id)
                   if known and known.dataset_id else None)
        if known and known.status == ItemStatus.linked:
            outcome, status = "unchanged", ItemStatus.linked
        elif dataset is None:
            dataset = self._linked_dataset(record)
            if dataset is None:
                return self._create_all([(record, digest)])[0]
            outcome, status = "linked", ItemStatus.linked
        elif dataset.state == DatasetState.deleted:
            # Deleted here by its publisher: that choice stands.
            outcome, status = "unchanged", ItemStatus.active
        else:
            self._update(dataset, record)
            outcome, status = "updated", ItemStatus.active
        return outcome, dataset, self._write_item(record, digest, dataset, status)

    def _linked_dataset(self, record: RemoteDataset) -> Dataset | None:
        """The same dataset already harvested through another source: by a shared global
        identifier, or on the portal an ODS/udata dataset was republished from."""
        Item, Source = HarvestItem, HarvestSource
        found = None
        if record.identifier:
            found = self.session.exec(select(Item.dataset_id).where(
                Item.identifier == record.identifier, Item.source_id != self.source.id,
                Item.dataset_id.is_not(None))).first()
        if found is None and record.original_domain:
            domain = record.original_domain.lower().removeprefix("www.")
            for dataset_id, url in self.session.exec(
                    select(Item.dataset_id, Source.url).join(Source, Source.id == Item.source_id)
                    .where(Item.remote_id == record.remote_id, Item.source_id != self.source.id,
                           Item.dataset_id.is_not(None))):
                host = (sa.engine.make_url(url).host if "://" in url else "") or ""
                if host.lower().removeprefix("www.") == domain:
                    found = dataset_id
                    break
        return self.session.get(Dataset, found) if found is not None else None

    def _fields(self, record: RemoteDataset) -> dict:
        codes = [c for c in record.insee_codes if territories.zone_id(c) in self.zones]
        spatial = None
        if codes or record.geometry:
            granularity = (record.granularity if record.granularity in Granularity.__members__
                           else None)
            spatial = SpatialIn(insee_codes=codes, geometry=None if codes else record.geometry,
                                granularity=granularity)
        has_time = record.temporal_start or record.temporal_end
        return {
            "title": record.title.strip()[:300] or record.remote_id,
            "description": record.description,
            "licence": record.licence or self.settings.licence or "notspecified",
            "keywords": record.keywords,
            "themes": record.themes or self.settings.themes or [],
            "frequency": record.frequency,
            "temporal": TemporalCoverage(start=record.temporal_start, end=record.temporal_end)
            if has_time else None,
            "spatial": spatial,
            "table_schema": TableSchemaRef(name=record.schema_name,
                                           version=record.schema_version)
            if record.schema_name else None,
            "contact_point": ContactPoint(name=record.contact_name, email=record.contact_email)
            if record.contact_name or record.contact_email else None,
        }

    def _validated(self, model, fields: dict):
        """The input model; optional fields the remote got wrong (an invalid e-mail, a
        reversed period…) are dropped rather than losing the whole dataset."""
        try:
            return model(**fields)
        except ValidationError as error:
            bad = {str(e["loc"][0]) for e in error.errors() if e["loc"]}
            if not bad or bad & {"title", "publisher", "slug"}:
                raise
            return model(**{k: v for k, v in fields.items() if k not in bad})

    def _update(self, dataset: Dataset, record: RemoteDataset) -> None:
        protected = set(dataset.protected_fields)
        fields = {k: v for k, v in self._fields(record).items() if k not in protected}
        if dataset.state == DatasetState.archived:
            fields["state"] = DatasetState.published  # it came back
        data = self._validated(DatasetUpdate, fields)
        datasets.update(self.session, self.actor, dataset, data, index=False)
        self._provenance(dataset, record)
        if "resources" not in protected:
            self._sync_resources(dataset, record)

    def _provenance(self, dataset: Dataset, record: RemoteDataset) -> None:
        if dataset.harvest_source in (None, self.source.name):
            dataset.harvest_source = self.source.name
            dataset.remote_id, dataset.remote_url = record.remote_id, record.remote_url
            dataset.remote_modified = record.modified
        self.session.add(dataset)

    def _sync_resources(self, dataset: Dataset, record: RemoteDataset) -> None:
        """Match the remote resources by URL, so ids of unchanged ones stay; files uploaded
        here are never touched."""
        existing = {r.url: r for r in self.session.exec(select(Resource).where(
            Resource.dataset_id == dataset.id, Resource.file_path.is_(None)))}
        for url, values in _resource_values(record).items():
            resource = existing.pop(url, None) or Resource(dataset_id=dataset.id, **values)
            for name, value in values.items():
                setattr(resource, name, value)
            self.session.add(resource)
        for gone in existing.values():
            self.session.delete(gone)

    def _fetch_files(self) -> None:
        """Fetch the files of the datasets just written into the data directory, with the
        validators of the last fetch so that an unchanged file is not fetched again."""
        dataset_ids, self.to_download = self.to_download, []
        limit = self.settings.max_file_bytes
        files_dir = load_settings().files_dir
        rows = self.session.exec(
            select(Resource, HarvestItem)
            .join(HarvestItem, HarvestItem.dataset_id == Resource.dataset_id)
            .where(Resource.dataset_id.in_(dataset_ids), Resource.file_path.is_(None),
                   Resource.url.is_not(None), HarvestItem.source_id == self.source.id)
            .order_by(Resource.id)).all()
        for resource, item in rows:
            before = item.files.get(resource.url) or {}
            relative = f"harvest/{self.source.id}/{resource.id}"
            if (resource.local_copy and resource.sha256
                    and resource.sha256 == before.get("sha256")):
                continue  # the source announces the checksum of the copy we have
            try:
                got = self.fetcher.download(
                    resource.url, files_dir / relative, max_bytes=limit,
                    etag=before.get("etag"), last_modified=before.get("last_modified"))
            except FetchError as error:
                self.job.errored += 1
                # The dataset stands; an errored item is written again, and its files
                # fetched again, by the next run.
                item.status = ItemStatus.errored
                item.error = {"stage": "download", "message": error.message,
                              "http": error.http()}
                item.job_id = self.job.id
                self.session.add(item)
                continue
            resource.local_copy, resource.size, resource.sha256 = relative, got.size, got.sha256
            resource.media_type = resource.media_type or got.media_type
            item.files = {**item.files, resource.url: {
                "etag": got.etag, "last_modified": got.last_modified, "sha256": got.sha256}}
            self.session.add_all([resource, item])
            events.announce(self.session, events.FILE_STORED, resource_id=resource.id)
        self.session.commit()

    def _record_error(self, error: ItemError) -> None:
        self.job.errored += 1
        remote_id = error.remote_id or f"(sans identifiant n° {self.job.seen})"
        item = self._item(remote_id)
        item.status, item.job_id, item.last_seen = ItemStatus.errored, self.job.id, utcnow()
        item.remote_url = error.remote_url or item.remote_url
        item.error = {"stage": error.stage, "message": error.message, "http": error.http}
        with self.session.begin_nested():
            self.session.add(item)
        self.known[remote_id] = _Known(item.id, item.content_hash, item.status,
                                       item.dataset_id, item)

    # --- deletions ------------------------------------------------------------------------

    def _deletions(self, gathering: Gathering) -> None:
        if gathering.present is None and not gathering.unchanged:
            return
        now = utcnow()
        items = self.session.exec(select(HarvestItem).where(
            HarvestItem.source_id == self.source.id,
            HarvestItem.status.in_([ItemStatus.active, ItemStatus.linked, ItemStatus.missing,
                          ItemStatus.errored, ItemStatus.archived]))).all()
        live = [i for i in items if i.status != ItemStatus.archived]
        if gathering.unchanged:
            gone = [i for i in live if i.status == ItemStatus.missing]
            back = []
        else:
            present = gathering.present
            gone = [i for i in live if i.remote_id not in present]
            back = [i for i in items if i.remote_id in present and i.status in (
                ItemStatus.missing, ItemStatus.archived)]
        newly = [i for i in gone if i.status != ItemStatus.missing]
        share = len(newly) / max(len(live), 1)
        threshold = self.settings.deletion_threshold
        if newly and share > threshold and not self.accept_deletions:
            self.source.needs_review = (
                f"{len(newly)} jeux de données sur {len(live)} ({share:.0%}) ont disparu d'un "
                f"coup de la source (seuil : {threshold:.0%}) : rien n'a été archivé. "
                "Vérifiez la source, puis relancez la moisson en acceptant les suppressions.")
            self.job.message = self.source.needs_review
            self.session.add(self.source)
            self.tripped = True
            return
        grace = timedelta(days=self.settings.grace_days)
        for item in newly:
            item.status, item.missing_since = ItemStatus.missing, now
            self.session.add(item)
        for item in gone:
            if item.missing_since is not None and item.missing_since <= now - grace:
                self._archive(item)
        for item in back:
            self._restore(item)
        if self.accept_deletions:
            self.source.needs_review = None
            self.session.add(self.source)

    def _archive(self, item: HarvestItem) -> None:
        item.status = ItemStatus.archived
        self.session.add(item)
        dataset = self.session.get(Dataset, item.dataset_id) if item.dataset_id else None
        owned = dataset is not None and dataset.harvest_source == self.source.name
        if owned and dataset.state == DatasetState.published:
            dataset.state, dataset.modified = DatasetState.archived, utcnow()
            self.session.add(dataset)
            self.to_index[dataset.id] = dataset
        self.job.archived += 1

    def _restore(self, item: HarvestItem) -> None:
        was_archived = item.status == ItemStatus.archived
        dataset = self.session.get(Dataset, item.dataset_id) if item.dataset_id else None
        owned = dataset is not None and dataset.harvest_source == self.source.name
        item.status = ItemStatus.active if owned else ItemStatus.linked
        item.missing_since = None
        self.session.add(item)
        if was_archived and owned and dataset.state == DatasetState.archived:
            dataset.state, dataset.modified = DatasetState.published, utcnow()
            self.session.add(dataset)
            self.to_index[dataset.id] = dataset
            self.job.updated += 1
