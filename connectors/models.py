"""Harvest tables: the sources, their jobs, and the state of each remote dataset."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Any

import sqlalchemy as sa
from sqlmodel import Field, SQLModel

from catalogue.models import UTCDateTime, utcnow


class SourceType(StrEnum):
    ckan = "ckan"
    udata = "udata"
    ods = "ods"
    dcat = "dcat"
    scdl_catalogue = "scdl-catalogue"


class Schedule(StrEnum):
    manual = "manual"
    daily = "daily"
    weekly = "weekly"
    monthly = "monthly"


class JobStatus(StrEnum):
    pending = "pending"
    running = "running"
    done = "done"
    done_with_errors = "done_with_errors"
    failed = "failed"
    interrupted = "interrupted"


FINISHED = (JobStatus.done, JobStatus.done_with_errors, JobStatus.failed, JobStatus.interrupted)


class ItemStatus(StrEnum):
    # Its dataset is in the catalogue, up to date with the source.
    active = "active"
    # Another source's dataset is the same one: this item points to it and does not write.
    linked = "linked"
    # Missing from the last complete gather: archived once the grace period is over.
    missing = "missing"
    archived = "archived"
    # The last attempt failed (see ``error``); a dataset from an earlier success stays as is.
    errored = "errored"


def _new_dict() -> dict:
    """Not the builtin ``dict``: see ``catalogue.models._json_list``."""
    return {}


def _time(**kw):
    return Field(sa_type=UTCDateTime, **kw)


class HarvestSource(SQLModel, table=True):
    __tablename__ = "harvest_source"

    id: int | None = Field(default=None, primary_key=True)
    # Never renamed: datasets name their source in their provenance.
    name: str = Field(max_length=100, unique=True)
    type: SourceType = Field(sa_type=sa.String(32))
    url: str
    organization_id: int = Field(foreign_key="organization.id", index=True)
    # Filters and defaults: see connectors.sources.CONFIG_KEYS.
    config: dict[str, Any] = Field(default_factory=_new_dict, sa_type=sa.JSON)
    schedule: Schedule = Field(default=Schedule.manual, sa_type=sa.String(16))
    enabled: bool = True
    validated_by: str | None = None
    validated_at: datetime | None = _time(default=None)
    # The change cursor the last successful job left (its meaning is the connector's).
    cursor: str | None = Field(default=None, sa_type=sa.Text)
    # Set when a job stopped itself and a person must look (e.g. too many deletions at once).
    needs_review: str | None = None
    created: datetime = _time(default_factory=utcnow)


class HarvestJob(SQLModel, table=True):
    __tablename__ = "harvest_job"
    __table_args__ = (sa.Index("ix_harvest_job_source_status", "source_id", "status"),)

    id: int | None = Field(default=None, primary_key=True)
    source_id: int = Field(foreign_key="harvest_source.id", ondelete="CASCADE")
    status: JobStatus = Field(default=JobStatus.pending, sa_type=sa.String(20))
    # Whether the gather was incremental (from a cursor) or full.
    incremental: bool = False
    added: int = 0
    updated: int = 0
    unchanged: int = 0
    archived: int = 0
    errored: int = 0
    # New remote datasets recognised as one already harvested through another source.
    linked: int = 0
    # Remote datasets (and per-item errors) the gather has yielded so far: the progress.
    seen: int = 0
    # How many the portal announced, when its protocol says (CKAN, udata, ODS, Hydra).
    expected: int | None = None
    # Why the job failed, or what it wants a person to know.
    message: str | None = None
    # ``host:pid`` of the process running it: a dead process means an interrupted job.
    worker: str | None = Field(default=None, max_length=200)
    created: datetime = _time(default_factory=utcnow)
    started: datetime | None = _time(default=None)
    finished: datetime | None = _time(default=None)
    heartbeat: datetime | None = _time(default=None)


class HarvestItem(SQLModel, table=True):
    """One remote dataset of a source, keyed by (source, remote id)."""

    __tablename__ = "harvest_item"
    __table_args__ = (sa.UniqueConstraint("source_id", "remote_id"),)

    id: int | None = Field(default=None, primary_key=True)
    source_id: int = Field(foreign_key="harvest_source.id", ondelete="CASCADE")
    remote_id: str = Field(max_length=500)
    remote_url: str | None = None
    # A global identifier (IRI, dct:identifier) by which other sources recognise it.
    identifier: str | None = Field(default=None, max_length=500, index=True)
    dataset_id: int | None = Field(default=None, foreign_key="dataset.id", index=True,
                                   ondelete="SET NULL")
    content_hash: str | None = Field(default=None, max_length=64)
    status: ItemStatus = Field(default=ItemStatus.active, sa_type=sa.String(16))
    # The last job that wrote this item.
    job_id: int | None = Field(default=None, foreign_key="harvest_job.id", index=True,
                               ondelete="SET NULL")
    missing_since: datetime | None = _time(default=None)
    # {"stage", "message", "http": {"url", "status", "content_type"}} of the last failure.
    error: dict[str, Any] | None = Field(default=None, sa_type=sa.JSON)
    # Per resource URL: {"etag", "last_modified", "sha256"} of the files fetched.
    files: dict[str, Any] = Field(default_factory=_new_dict, sa_type=sa.JSON)
    first_seen: datetime = _time(default_factory=utcnow)
    last_seen: datetime = _time(default_factory=utcnow)
