"""Database tables of the catalogue (SQLModel). Enumerated values are stored as plain strings."""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal

import sqlalchemy as sa
from sqlalchemy.types import TypeDecorator
from sqlmodel import Field, SQLModel

from catalogue.vocabularies import (
    AccessType,
    DatasetState,
    MemberRole,
    OrganizationKind,
    PersonalData,
    ResourceType,
    RoadmapDatasetStatus,
    Role,
    TerritoryLevel,
    UseCaseStatus,
)


class UTCDateTime(TypeDecorator):
    """Stores naive UTC, returns aware UTC: the same on SQLite and PostgreSQL."""

    impl = sa.DateTime
    cache_ok = True

    def process_bind_param(self, value, dialect):
        if value is not None and value.tzinfo is not None:
            value = value.astimezone(UTC).replace(tzinfo=None)
        return value

    def process_result_value(self, value, dialect):
        return value.replace(tzinfo=UTC) if value is not None else None


def utcnow() -> datetime:
    return datetime.now(UTC)


def _new_list() -> list:
    return []


def _json_list():
    """A JSON list column. Its factory is a plain function: pydantic inspects the signature
    of default factories, and for the builtin ``list`` that costs a millisecond per record."""
    return Field(default_factory=_new_list, sa_type=sa.JSON)


def _timestamp(**kw):
    return Field(default_factory=utcnow, sa_type=UTCDateTime, **kw)


def _enum(length: int = 32, **kw):
    return Field(sa_type=sa.String(length), **kw)


class Bbox(SQLModel):
    """Bounding-box columns (WGS84) kept beside a GeoJSON geometry for fast pre-filtering."""

    minx: float | None = None
    miny: float | None = None
    maxx: float | None = None
    maxy: float | None = None


class Licence(SQLModel, table=True):
    id: str = Field(primary_key=True, max_length=32)
    title: str
    url: str | None = None


class Territory(Bbox, table=True):
    """An administrative area of the reference, keyed by its zone id (``fr:commune:54395``)."""

    id: str = Field(primary_key=True, max_length=64)
    level: TerritoryLevel = _enum(index=True)
    code: str = Field(max_length=32, index=True)
    name: str
    geometry: str = Field(sa_type=sa.Text)
    # When the row was last written: with the row count, what spatial caches are keyed by.
    updated: datetime = _timestamp()


class Organization(Bbox, table=True):
    id: int | None = Field(default=None, primary_key=True)
    slug: str = Field(max_length=100, unique=True)
    name: str
    kind: OrganizationKind = _enum()
    siren: str | None = Field(default=None, max_length=9, unique=True)
    insee_code: str | None = Field(default=None, max_length=5)
    # Member communes of an EPCI or syndicat (INSEE codes): its territory is their union.
    commune_codes: list[str] = _json_list()
    geometry: str | None = Field(default=None, sa_type=sa.Text)
    website: str | None = None
    contact_email: str | None = None
    created: datetime = _timestamp()
    modified: datetime = _timestamp()


class Committee(Bbox, table=True):
    id: int | None = Field(default=None, primary_key=True)
    slug: str = Field(max_length=100, unique=True)
    name: str
    description: str = ""
    # Union of the territorial members' geometries, recomputed when membership changes.
    geometry: str | None = Field(default=None, sa_type=sa.Text)
    created: datetime = _timestamp()
    modified: datetime = _timestamp()


class CommitteeMember(SQLModel, table=True):
    __tablename__ = "committee_member"

    committee_id: int = Field(foreign_key="committee.id", primary_key=True, ondelete="CASCADE")
    organization_id: int = Field(
        foreign_key="organization.id", primary_key=True, ondelete="CASCADE", index=True
    )
    role: MemberRole = _enum(default=MemberRole.member)


class Dataset(Bbox, table=True):
    # Serves the default listing (published, newest first) straight from the index.
    __table_args__ = (sa.Index("ix_dataset_state_modified", "state", "modified", "id"),)

    id: int | None = Field(default=None, primary_key=True)
    slug: str = Field(max_length=100, unique=True)
    title: str
    description: str = ""
    publisher_id: int = Field(foreign_key="organization.id", index=True)
    licence_id: str = Field(foreign_key="licence.id", max_length=32, default="notspecified")
    keywords: list[str] = _json_list()
    themes: list[str] = _json_list()
    access_type: AccessType = _enum(default=AccessType.open)
    contains_personal_data: PersonalData = _enum(default=PersonalData.unknown)
    frequency: str | None = Field(default=None, max_length=32)
    temporal_start: date | None = None
    temporal_end: date | None = None
    # Spatial coverage: a GeoJSON geometry, the zones it was built from, and the granularity.
    spatial_geometry: str | None = Field(default=None, sa_type=sa.Text)
    spatial_zones: list[str] = _json_list()
    spatial_granularity: str | None = Field(default=None, max_length=32)
    schema_name: str | None = None
    schema_version: str | None = None
    contact_name: str | None = None
    contact_email: str | None = None
    state: DatasetState = _enum(default=DatasetState.draft, index=True)
    created: datetime = _timestamp()
    modified: datetime = _timestamp(index=True)
    # Provenance, filled by the connectors.
    harvest_source: str | None = None
    remote_id: str | None = None
    remote_url: str | None = None
    remote_modified: datetime | None = Field(default=None, sa_type=UTCDateTime)
    # Fields the publisher edited here and wants kept: a harvest never overwrites them.
    protected_fields: list[str] = _json_list()


class Resource(SQLModel, table=True):
    id: int | None = Field(default=None, primary_key=True)
    dataset_id: int = Field(foreign_key="dataset.id", index=True, ondelete="CASCADE")
    title: str
    description: str = ""
    url: str | None = None
    # Path of an uploaded file, relative to the files directory.
    file_path: str | None = None
    # Path of the copy of a remote file a harvest fetched (relative to the files directory),
    # kept for quality scans; the public link stays ``url``.
    local_copy: str | None = None
    format: str | None = Field(default=None, max_length=32)
    media_type: str | None = None
    size: int | None = Field(default=None, sa_type=sa.BigInteger)
    sha256: str | None = Field(default=None, max_length=64)
    type: ResourceType = _enum(default=ResourceType.main)
    last_modified: datetime = _timestamp()
    created: datetime = _timestamp()


class DatasetFacet(SQLModel, table=True):
    """Search index: one row per (dataset, facet, value), derived from the dataset by
    ``catalogue.search.index_dataset``; facets are publisher, theme, keyword, licence,
    format, access_type and zone."""

    __tablename__ = "dataset_facet"
    __table_args__ = (sa.Index("ix_dataset_facet_value", "facet", "value", "dataset_id"),)

    dataset_id: int = Field(foreign_key="dataset.id", primary_key=True, ondelete="CASCADE")
    facet: str = Field(primary_key=True, max_length=16)
    value: str = Field(primary_key=True, max_length=200)


class User(SQLModel, table=True):
    __tablename__ = "users"

    id: int | None = Field(default=None, primary_key=True)
    name: str = Field(max_length=100, unique=True)
    email: str | None = None
    created: datetime = _timestamp()


class RoleAssignment(SQLModel, table=True):
    __tablename__ = "role_assignment"
    __table_args__ = (
        sa.UniqueConstraint("user_id", "role", "organization_id", "committee_id"),
    )

    id: int | None = Field(default=None, primary_key=True)
    user_id: int = Field(foreign_key="users.id", index=True, ondelete="CASCADE")
    role: Role = _enum()
    organization_id: int | None = Field(default=None, foreign_key="organization.id",
                                        ondelete="CASCADE")
    committee_id: int | None = Field(default=None, foreign_key="committee.id",
                                     ondelete="CASCADE")


class ApiToken(SQLModel, table=True):
    __tablename__ = "api_token"

    id: int | None = Field(default=None, primary_key=True)
    user_id: int = Field(foreign_key="users.id", index=True, ondelete="CASCADE")
    # sha256 of the token: the token itself is shown once and never stored.
    token_hash: str = Field(max_length=64, unique=True)
    label: str = ""
    created: datetime = _timestamp()
    last_used: datetime | None = Field(default=None, sa_type=UTCDateTime)


# --- a committee's roadmap (feuille de route) ---------------------------------------------

class RoadmapUseCase(Bbox, table=True):
    """A priority use case of a committee's roadmap, on its own relevant territory: zones of
    the reference, a drawn area, or both; ``geometry`` is their union."""

    __tablename__ = "roadmap_use_case"
    __table_args__ = (sa.UniqueConstraint("committee_id", "slug"),)

    id: int | None = Field(default=None, primary_key=True)
    committee_id: int = Field(foreign_key="committee.id", index=True, ondelete="CASCADE")
    slug: str = Field(max_length=100)
    title: str
    description: str = ""
    zones: list[str] = _json_list()
    drawn_geometry: str | None = Field(default=None, sa_type=sa.Text)
    geometry: str | None = Field(default=None, sa_type=sa.Text)
    lead_id: int = Field(foreign_key="organization.id", index=True)
    status: UseCaseStatus = _enum(default=UseCaseStatus.proposed)
    created: datetime = _timestamp()
    modified: datetime = _timestamp()


class RoadmapPartner(SQLModel, table=True):
    """An organization taking part in a use case beside its lead."""

    __tablename__ = "roadmap_use_case_partner"

    use_case_id: int = Field(foreign_key="roadmap_use_case.id", primary_key=True,
                             ondelete="CASCADE")
    organization_id: int = Field(foreign_key="organization.id", primary_key=True,
                                 ondelete="CASCADE", index=True)


class RoadmapBudgetLine(SQLModel, table=True):
    """A line of a use case's financial part: an amount in euros and who funds it."""

    __tablename__ = "roadmap_budget_line"

    id: int | None = Field(default=None, primary_key=True)
    use_case_id: int = Field(foreign_key="roadmap_use_case.id", index=True, ondelete="CASCADE")
    label: str
    amount: Decimal = Field(sa_type=sa.Numeric(14, 2))
    funder: str = Field(max_length=200)
    year: int | None = None


class RoadmapDataset(SQLModel, table=True):
    """A dataset a roadmap asks a member to open first, for one of its use cases."""

    __tablename__ = "roadmap_dataset"

    id: int | None = Field(default=None, primary_key=True)
    committee_id: int = Field(foreign_key="committee.id", index=True, ondelete="CASCADE")
    use_case_id: int = Field(foreign_key="roadmap_use_case.id", index=True, ondelete="CASCADE")
    title: str
    description: str = ""
    responsible_id: int = Field(foreign_key="organization.id", index=True)
    due: date
    status: RoadmapDatasetStatus = _enum(default=RoadmapDatasetStatus.planned)
    schema_name: str | None = Field(default=None, max_length=100)
    # The catalogue dataset, once published by the responsible member.
    dataset_id: int | None = Field(default=None, foreign_key="dataset.id", ondelete="SET NULL")
    created: datetime = _timestamp()
    modified: datetime = _timestamp()
