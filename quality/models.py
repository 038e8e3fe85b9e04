"""Quality tables: the stored reports (per resource and per dataset, with their history) and
the expectation suites datasets carry."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Any

import sqlalchemy as sa
from sqlmodel import Field, SQLModel

from catalogue.models import UTCDateTime, utcnow


class ReportKind(StrEnum):
    # A scan of one resource's file.
    resource = "resource"
    # The dataset's scores, from its metadata and its resources' latest scans.
    dataset = "dataset"
    # A run of the dataset's Great Expectations suite.
    expectations = "expectations"


class ReportStatus(StrEnum):
    pending = "pending"
    running = "running"
    done = "done"
    # The file could not be read (hostile, broken, missing) or the scan itself failed.
    failed = "failed"


FINISHED = (ReportStatus.done, ReportStatus.failed)


def _new_dict() -> dict:
    """Not the builtin ``dict``: see ``catalogue.models._json_list``."""
    return {}


class QualityReport(SQLModel, table=True):
    """One report. The latest finished one of a resource (or dataset) is its current report;
    the earlier ones are its history."""

    __tablename__ = "quality_report"
    __table_args__ = (sa.Index("ix_quality_report_dataset_kind", "dataset_id", "kind", "id"),)

    id: int | None = Field(default=None, primary_key=True)
    dataset_id: int = Field(foreign_key="dataset.id", ondelete="CASCADE")
    resource_id: int | None = Field(default=None, foreign_key="resource.id", index=True,
                                    ondelete="CASCADE")
    kind: ReportKind = Field(sa_type=sa.String(16))
    status: ReportStatus = Field(sa_type=sa.String(16), default=ReportStatus.pending)
    # sha256 of the file scanned: a scan of unchanged content is not run again.
    content_hash: str | None = Field(default=None, max_length=64)
    # The schema asked for (the dataset's declared schema), if any.
    schema_ref: str | None = None
    rubric_version: str = Field(max_length=16)
    # {"metadata": Score, "ai_fitness": Score} as JSON (see quality.scores).
    scores: dict[str, Any] = Field(default_factory=_new_dict, sa_type=sa.JSON)
    # The rest of the report: file facts, findings, schema check, profile; or a suite's run.
    body: dict[str, Any] = Field(default_factory=_new_dict, sa_type=sa.JSON)
    # Why a report failed, in French.
    message: str | None = None
    created: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    finished: datetime | None = Field(default=None, sa_type=UTCDateTime)


class ExpectationSuite(SQLModel, table=True):
    """A dataset's Great Expectations suite, as GX JSON."""

    __tablename__ = "expectation_suite"

    dataset_id: int = Field(foreign_key="dataset.id", primary_key=True, ondelete="CASCADE")
    suite: dict[str, Any] = Field(default_factory=_new_dict, sa_type=sa.JSON)
    updated: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    updated_by: str | None = None
