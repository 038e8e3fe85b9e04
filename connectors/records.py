"""What every connector yields: remote datasets in one normalised shape, per-item errors,
and what the gather learnt about the source (its new change cursor, the full list of ids).

A connector is a module with a function ``gather(gathering, fetcher) -> Iterator[RemoteDataset
| ItemError]``. It yields the datasets that may have changed since ``gathering.cursor`` (all of
them when the cursor is None), one at a time — never a whole catalogue in a list. Before it
returns it sets ``gathering.new_cursor`` to the cursor of the next run and, when it could list
every dataset the source holds (cheaply: ids only), ``gathering.present`` to those ids so that
the harvest can notice deletions. A failure of the whole source (unreachable, garbage on the
first page) is raised as ``catalogue.fetch.FetchError``; a failure of one dataset is yielded
as an ``ItemError`` and the gather goes on.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import asdict, dataclass, field
from datetime import date, datetime
from typing import Any


@dataclass
class RemoteResource:
    url: str
    title: str
    remote_id: str | None = None
    description: str = ""
    # Upper-case short format (CSV, JSON, GEOJSON, PARQUET, XLSX, PDF…).
    format: str | None = None
    media_type: str | None = None
    size: int | None = None
    # Only a sha256 announced by the source; other checksum kinds are dropped.
    sha256: str | None = None
    # One of catalogue.vocabularies.ResourceType.
    type: str = "main"
    last_modified: datetime | None = None


@dataclass
class RemoteDataset:
    # The id the source gives the dataset: with the harvest source, the dataset's identity.
    remote_id: str
    title: str
    # Where a person reads the dataset on the source portal.
    remote_url: str | None = None
    # A global identifier (dct:identifier, an IRI, a URL) by which the same dataset is
    # recognised when it comes through another source.
    identifier: str | None = None
    # The portal it was republished from (ODS federation, udata harvest): when set, the
    # dataset is linked to the copy harvested from that portal rather than duplicated.
    original_domain: str | None = None
    # The source's own slug or name, used as the wished slug in ctd.
    name: str | None = None
    description: str = ""
    # A ctd licence id (catalogue.vocabularies.LICENCES), mapped by connectors.mapping.
    licence: str | None = None
    keywords: list[str] = field(default_factory=list)
    # EU data-theme codes (catalogue.vocabularies.THEMES).
    themes: list[str] = field(default_factory=list)
    # EU frequency code (catalogue.vocabularies.FREQUENCIES).
    frequency: str | None = None
    temporal_start: date | None = None
    temporal_end: date | None = None
    # INSEE codes of the covered communes / départements / régions (``54395``, ``2A``…).
    insee_codes: list[str] = field(default_factory=list)
    # A GeoJSON geometry (as a dict) when the source gives one.
    geometry: dict[str, Any] | None = None
    granularity: str | None = None
    schema_name: str | None = None
    schema_version: str | None = None
    contact_name: str | None = None
    contact_email: str | None = None
    # When the source says the dataset last changed (metadata or data).
    modified: datetime | None = None
    created: datetime | None = None
    resources: list[RemoteResource] = field(default_factory=list)

    def content_hash(self) -> str:
        """sha256 of the normalised record: equal hashes mean nothing to update."""
        text = json.dumps(asdict(self), sort_keys=True, default=str, ensure_ascii=False)
        return hashlib.sha256(text.encode()).hexdigest()


@dataclass
class ItemError:
    """One remote dataset that could not be read or mapped; the gather goes on."""

    remote_id: str | None
    # gather, fetch, parse, map (or store, set by the harvest).
    stage: str
    message: str
    remote_url: str | None = None
    # HTTP context when there was a response: {"url":…, "status":…, "content_type":…}.
    http: dict[str, Any] | None = None


@dataclass
class Gathering:
    """What a gather reads (the previous cursor, the source's config) and learns."""

    url: str
    config: dict[str, Any]
    # The cursor a previous successful run left; None for a full gather.
    cursor: str | None = None
    # Set by the connector: the cursor to keep if this run succeeds.
    new_cursor: str | None = None
    # Set by the connector: every remote id the source holds now, when it could list them
    # all; None when it could not (then no dataset is considered deleted).
    present: set[str] | None = None
    # Set by the connector when the source announces how many datasets it will yield
    # (for progress bars only).
    total: int | None = None
    # Set by the connector when the whole source is byte-identical to the previous run's
    # (same feed hash, 304 Not Modified): it yields nothing and the previous listing holds.
    unchanged: bool = False
