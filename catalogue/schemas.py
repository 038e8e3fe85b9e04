"""What the API and the CLI accept and return (Pydantic), apart from the database tables."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Annotated, Any, Literal
from urllib.parse import urlsplit

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, model_validator
from stdnum.fr import siren as stdnum_siren

from catalogue.vocabularies import (
    FREQUENCIES,
    THEMES,
    AccessType,
    DatasetState,
    Granularity,
    MemberRole,
    OrganizationKind,
    PersonalData,
    ResourceType,
    RoadmapDatasetStatus,
    UseCaseStatus,
)

SLUG_PATTERN = r"^[a-z0-9]+(?:-[a-z0-9]+)*$"


def _not_all_digits(value: str) -> str:
    if value.isdigit():
        raise ValueError("un identifiant ne peut pas être fait que de chiffres")
    return value


Slug = Annotated[str, Field(pattern=SLUG_PATTERN, max_length=100),
                 AfterValidator(_not_all_digits)]


def _siren(value: str | None) -> str | None:
    if value is None:
        return None
    compact = stdnum_siren.compact(value)
    if not stdnum_siren.is_valid(compact):
        raise ValueError("SIREN invalide (9 chiffres et clé de Luhn)")
    return compact


def _themes(values: list[str]) -> list[str]:
    unknown = [v for v in values if v not in THEMES]
    if unknown:
        raise ValueError(f"thèmes inconnus {unknown} ; valeurs possibles : {sorted(THEMES)}")
    return list(dict.fromkeys(values))


def _frequency(value: str | None) -> str | None:
    if value is not None and value not in FREQUENCIES:
        raise ValueError(f"fréquence inconnue ; valeurs possibles : {list(FREQUENCIES)}")
    return value


def _email(value: str | None) -> str | None:
    if value is not None and ("@" not in value or value.startswith("@") or " " in value):
        raise ValueError("adresse électronique invalide")
    return value


def _web_url(value: str) -> str:
    """An absolute http(s) or ftp URL: what a resource link must be for anyone to follow."""
    value = value.strip()
    try:
        parts = urlsplit(value)
    except ValueError:
        parts = None
    if (parts is None or parts.scheme.lower() not in ("http", "https", "ftp")
            or not parts.hostname or any(c.isspace() or ord(c) < 32 for c in value)):
        raise ValueError("adresse web absolue attendue (http://, https:// ou ftp://), "
                         "sans espace")
    return value


def _keywords(values: list[str]) -> list[str]:
    return list(dict.fromkeys(v.strip() for v in values if v.strip()))


Siren = Annotated[str | None, AfterValidator(_siren)]
Themes = Annotated[list[str], AfterValidator(_themes)]
Frequency = Annotated[str | None, AfterValidator(_frequency)]
Email = Annotated[str | None, AfterValidator(_email)]
WebUrl = Annotated[str, Field(max_length=2000), AfterValidator(_web_url)]
Keywords = Annotated[list[Annotated[str, Field(max_length=200)]], AfterValidator(_keywords)]
Title = Annotated[str, Field(min_length=1, max_length=500)]
GeoJSON = dict[str, Any]


def has_nul(value: Any) -> bool:
    """Whether a NUL character hides anywhere in a value (no database keeps it the same)."""
    if isinstance(value, str):
        return "\x00" in value
    if isinstance(value, dict):
        return any(has_nul(k) or has_nul(v) for k, v in value.items())
    if isinstance(value, list | tuple):
        return any(has_nul(v) for v in value)
    return False


class Input(BaseModel):
    model_config = ConfigDict(extra="forbid")

    @model_validator(mode="before")
    @classmethod
    def _no_nul(cls, data: Any) -> Any:
        if has_nul(data):
            raise ValueError("le caractère NUL (\\x00) n'est pas accepté")
        return data


# --- organizations ------------------------------------------------------------------------

class OrganizationCreate(Input):
    slug: Slug | None = None
    name: Title
    kind: OrganizationKind
    siren: Siren = None
    insee_code: str | None = Field(default=None, max_length=5)
    commune_codes: list[str] = Field(default_factory=list, max_length=2000)
    geometry: GeoJSON | None = None
    website: str | None = None
    contact_email: Email = None


class OrganizationUpdate(Input):
    name: Title | None = None
    kind: OrganizationKind | None = None
    siren: Siren = None
    insee_code: str | None = Field(default=None, max_length=5)
    commune_codes: list[str] | None = Field(default=None, max_length=2000)
    geometry: GeoJSON | None = None
    website: str | None = None
    contact_email: Email = None


class OrganizationRef(BaseModel):
    slug: str
    name: str


class OrganizationOut(BaseModel):
    id: int
    slug: str
    name: str
    kind: OrganizationKind
    siren: str | None
    insee_code: str | None
    commune_codes: list[str]
    bbox: list[float] | None
    geometry: GeoJSON | None = Field(None, description="Only on a single organization.")
    website: str | None
    contact_email: str | None
    created: datetime
    modified: datetime


# --- committees ---------------------------------------------------------------------------

class MemberIn(Input):
    organization: str
    role: MemberRole = MemberRole.member


class CommitteeCreate(Input):
    slug: Slug | None = None
    name: Title
    description: str = ""
    members: list[MemberIn] = Field(default_factory=list)


class CommitteeUpdate(Input):
    name: Title | None = None
    description: str | None = None
    members: list[MemberIn] | None = Field(None, description="Replaces the whole membership.")


class MemberOut(BaseModel):
    organization: str
    name: str
    kind: OrganizationKind
    role: MemberRole


class CommitteeOut(BaseModel):
    id: int
    slug: str
    name: str
    description: str
    members: list[MemberOut]
    bbox: list[float] | None
    geometry: GeoJSON | None = Field(None, description="Only on a single committee.")
    created: datetime
    modified: datetime


# --- datasets -----------------------------------------------------------------------------

class TemporalCoverage(Input):
    start: date | None = None
    end: date | None = None

    @model_validator(mode="after")
    def _ordered(self):
        if self.start and self.end and self.start > self.end:
            raise ValueError("le début de la couverture temporelle suit sa fin")
        return self


class SpatialIn(Input):
    insee_codes: list[str] = Field(
        default_factory=list, max_length=5000,
        description="INSEE codes (54395, 54) or zone ids (fr:region:44) of covered areas.")
    geometry: GeoJSON | None = Field(None, description="A drawn area, when no code fits.")
    granularity: Granularity | None = None


class SpatialOut(BaseModel):
    zones: list[str]
    insee_codes: list[str]
    granularity: Granularity | None
    bbox: list[float] | None
    geometry: GeoJSON | None = Field(None, description="Only on a single dataset.")


class TableSchemaRef(Input):
    name: str = Field(min_length=1, description="schema.data.gouv.fr name, e.g. scdl/subventions")
    version: str | None = None


class ContactPoint(Input):
    name: str | None = None
    email: Email = None


# Fields a harvest writes, which a publisher may protect from being overwritten.
HARVESTED_FIELDS = ("title", "description", "licence", "keywords", "themes", "frequency",
                    "temporal", "spatial", "table_schema", "contact_point", "resources")
ProtectedField = Literal[HARVESTED_FIELDS]


class DatasetFields(Input):
    description: str | None = None
    licence: str | None = None
    keywords: Keywords | None = None
    themes: Themes | None = None
    access_type: AccessType | None = None
    contains_personal_data: PersonalData | None = None
    frequency: Frequency = None
    temporal: TemporalCoverage | None = None
    spatial: SpatialIn | None = None
    table_schema: TableSchemaRef | None = None
    contact_point: ContactPoint | None = None
    protected_fields: list[ProtectedField] | None = Field(
        None, description="Fields edited here that a harvest must not overwrite.")


class DatasetCreate(DatasetFields):
    slug: Slug | None = None
    title: Title
    publisher: str = Field(description="Slug of the publishing organization.")
    state: DatasetState = DatasetState.draft


class DatasetUpdate(DatasetFields):
    title: Title | None = None
    state: DatasetState | None = None


class LicenceOut(BaseModel):
    id: str
    title: str
    url: str | None


class Provenance(BaseModel):
    harvest_source: str | None
    remote_id: str | None
    remote_url: str | None
    remote_modified: datetime | None


class ResourceOut(BaseModel):
    id: int
    dataset: str
    title: str
    description: str
    url: str | None = Field(description="Where to get the file: the download endpoint for "
                                        "uploaded files, the remote URL otherwise.")
    uploaded: bool
    format: str | None
    media_type: str | None
    size: int | None
    sha256: str | None
    type: ResourceType
    last_modified: datetime
    created: datetime


class DatasetOut(BaseModel):
    id: int
    slug: str
    title: str
    description: str
    publisher: OrganizationRef
    licence: LicenceOut
    keywords: list[str]
    themes: list[str]
    access_type: AccessType
    contains_personal_data: PersonalData
    frequency: str | None
    temporal: TemporalCoverage | None
    spatial: SpatialOut | None
    table_schema: TableSchemaRef | None
    contact_point: ContactPoint | None
    state: DatasetState
    created: datetime
    modified: datetime
    provenance: Provenance | None
    protected_fields: list[str]
    resources: list[ResourceOut]


class FacetValueOut(BaseModel):
    value: str
    label: str
    count: int


class SearchOut(BaseModel):
    total: int
    datasets: list[DatasetOut]
    facets: dict[str, list[FacetValueOut]]
    next_cursor: str | None
    next: str | None = Field(None, description="URL of the next page, if any.")


# --- resources ----------------------------------------------------------------------------

class ResourceCreate(Input):
    title: Title
    description: str = ""
    url: WebUrl = Field(description="Remote URL of the file or API.")
    format: str | None = Field(None, max_length=32)
    media_type: str | None = None
    size: int | None = Field(None, ge=0)
    sha256: str | None = Field(None, pattern=r"^[0-9a-f]{64}$")
    type: ResourceType = ResourceType.main


class ResourceUpdate(Input):
    title: Title | None = None
    description: str | None = None
    url: WebUrl | None = None
    format: str | None = Field(None, max_length=32)
    media_type: str | None = None
    type: ResourceType | None = None


# --- roadmaps -----------------------------------------------------------------------------

# Euros with cents, as the database keeps them (Numeric(14, 2)); sent back as strings.
Amount = Annotated[Decimal, Field(ge=0, max_digits=14, decimal_places=2)]
ZoneRefs = Annotated[list[Annotated[str, Field(max_length=64)]], Field(
    max_length=5000, description="INSEE codes (54395, 54), EPCI SIRENs or zone ids "
                                 "(fr:commune:54395) of the use case's territory.")]
OrganizationSlugs = Annotated[list[Annotated[str, Field(max_length=100)]], Field(max_length=200)]


class UseCaseCreate(Input):
    slug: Slug | None = None
    title: Title
    description: str = ""
    zones: ZoneRefs = Field(default_factory=list)
    geometry: GeoJSON | None = Field(None, description="A drawn area, alone or beside zones.")
    lead: str = Field(description="Slug of the leading member organization.")
    partners: OrganizationSlugs = Field(default_factory=list,
                                        description="Slugs of the partner organizations.")
    status: UseCaseStatus = UseCaseStatus.proposed


class UseCaseUpdate(Input):
    slug: Slug | None = None
    title: Title | None = None
    description: str | None = None
    zones: ZoneRefs | None = None
    geometry: GeoJSON | None = Field(None, description="null removes the drawn area.")
    lead: str | None = None
    partners: OrganizationSlugs | None = Field(None, description="Replaces the partners.")
    status: UseCaseStatus | None = None


class BudgetLineCreate(Input):
    label: Title
    amount: Amount = Field(description="Euros, at most two decimals.")
    funder: str = Field(min_length=1, max_length=200,
                        description="Who pays, e.g. « Région Grand Est », « France 2030 ».")
    year: int | None = Field(None, ge=1990, le=2100)


class RoadmapDatasetCreate(Input):
    use_case: str = Field(description="Slug of the use case it serves.")
    title: Title
    description: str = ""
    responsible: str = Field(description="Slug of the member organization that publishes it.")
    due: date
    status: RoadmapDatasetStatus = RoadmapDatasetStatus.planned
    table_schema: str | None = Field(None, description="A bundled schema: scdl-subventions, "
                                                       "irve-statique…")
    dataset: str | None = Field(None, description="Slug or id of the published dataset.")


class RoadmapDatasetUpdate(Input):
    use_case: str | None = None
    title: Title | None = None
    description: str | None = None
    responsible: str | None = None
    due: date | None = None
    status: RoadmapDatasetStatus | None = None
    table_schema: str | None = None
    dataset: str | None = Field(None, description="Slug or id of the published dataset; "
                                                  "null removes the link.")


class CommitteeRef(BaseModel):
    slug: str
    name: str


class DatasetRef(BaseModel):
    slug: str
    title: str


class BudgetLineOut(BaseModel):
    id: int
    label: str
    amount: Decimal
    funder: str
    year: int | None


class RoadmapDatasetOut(BaseModel):
    id: int
    use_case: str
    title: str
    description: str
    responsible: OrganizationRef
    due: date
    status: RoadmapDatasetStatus
    late: bool = Field(description="Due before today and not published.")
    table_schema: str | None
    dataset: DatasetRef | None
    created: datetime
    modified: datetime


class UseCaseOut(BaseModel):
    id: int
    slug: str
    title: str
    description: str
    zones: list[str]
    drawn_geometry: GeoJSON | None
    geometry: GeoJSON | None = Field(description="Union of the zones and the drawn area.")
    bbox: list[float] | None
    lead: OrganizationRef
    partners: list[OrganizationRef]
    status: UseCaseStatus
    budget_lines: list[BudgetLineOut]
    total: Decimal
    datasets: list[RoadmapDatasetOut]
    created: datetime
    modified: datetime


class RoadmapTotals(BaseModel):
    budget: Decimal
    use_cases: int
    datasets: int
    published: int
    late: int


class RoadmapOut(BaseModel):
    committee: CommitteeRef
    use_cases: list[UseCaseOut]
    datasets: list[RoadmapDatasetOut]
    totals_by_funder: dict[str, Decimal]
    totals: RoadmapTotals
