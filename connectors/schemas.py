"""What the harvest API and CLI accept and return."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from catalogue.schemas import Slug, Themes, WebUrl
from connectors.models import ItemStatus, JobStatus, Schedule, SourceType


class SourceConfig(BaseModel):
    """Filters and defaults of a source; unknown keys are refused."""

    model_config = ConfigDict(extra="forbid")

    organization: str | None = Field(
        None, description="ckan: organization name to filter on; udata: organization id or "
                          "slug (required).")
    fq: str | None = Field(None, description="ckan: an extra Solr filter.")
    where: str | None = Field(None, description="ods: an ODSQL filter on the catalogue.")
    refine: str | None = Field(None, description="ods: a facet refinement (facet:value).")
    page_size: int | None = Field(None, ge=1, le=1000,
                                  description="ckan: records asked per page (1000 by default).")
    themes: Themes | None = Field(None, description="Themes given to datasets without any.")
    licence: str | None = Field(None, description="Licence given to datasets without any.")
    download_files: bool = Field(
        False, description="Fetch the resources' files into the data directory (for quality "
                           "scans), again only when they changed.")
    max_file_bytes: int = Field(200 * 1024 * 1024, ge=1, le=50 * 1024**3,
                                description="Files larger than this are not fetched.")
    grace_days: float = Field(7, ge=0, le=365,
                              description="Days a vanished dataset waits before archiving.")
    deletion_threshold: float = Field(
        0.2, gt=0, le=1, description="Share of datasets vanishing at once above which "
                                     "nothing is archived and the source is flagged.")


class SourceCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: Slug
    type: SourceType
    url: WebUrl
    organization: str = Field(description="Slug of the owner organization.")
    config: SourceConfig = Field(default_factory=SourceConfig)
    schedule: Schedule = Schedule.manual
    enabled: bool = True


class SourceUpdate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    url: WebUrl | None = None
    config: SourceConfig | None = None
    schedule: Schedule | None = None
    enabled: bool | None = None


class JobOut(BaseModel):
    id: int
    source: str
    status: JobStatus
    incremental: bool
    added: int
    updated: int
    unchanged: int
    linked: int
    archived: int
    errored: int
    seen: int
    expected: int | None = Field(description="How many remote datasets the portal announced, "
                                             "when its protocol says.")
    message: str | None
    created: datetime
    started: datetime | None
    finished: datetime | None
    heartbeat: datetime | None


class ItemErrorOut(BaseModel):
    remote_id: str
    remote_url: str | None
    status: ItemStatus
    error: dict[str, Any] | None


class JobDetail(JobOut):
    errors: list[ItemErrorOut]


class SourceOut(BaseModel):
    name: str
    type: SourceType
    url: str
    organization: str
    config: dict[str, Any]
    schedule: Schedule
    enabled: bool
    validated: bool
    validated_by: str | None
    validated_at: datetime | None
    needs_review: str | None
    datasets: int
    last_job: JobOut | None
    created: datetime
