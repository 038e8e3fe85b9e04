"""Controlled vocabularies of the catalogue (English ids; French labels where people read them)."""

from __future__ import annotations

from enum import StrEnum


class OrganizationKind(StrEnum):
    commune = "commune"
    epci = "epci"
    departement = "departement"
    region = "region"
    syndicat = "syndicat"
    opsn = "opsn"
    state_service = "state_service"
    committee = "committee"
    company = "company"
    research = "research"
    association = "association"


# Kinds whose territory is an INSEE-coded area of the reference.
INSEE_KINDS = {OrganizationKind.commune, OrganizationKind.departement, OrganizationKind.region}
# Kinds that have a territory at all (an EPCI or syndicat through its member communes).
TERRITORIAL_KINDS = INSEE_KINDS | {OrganizationKind.epci, OrganizationKind.syndicat}


class MemberRole(StrEnum):
    member = "member"
    observer = "observer"
    partner = "partner"


class AccessType(StrEnum):
    open = "open"
    restricted = "restricted"
    protected = "protected"


ACCESS_TYPE_LABELS = {"open": "ouvert", "restricted": "restreint", "protected": "protégé"}


class PersonalData(StrEnum):
    unknown = "unknown"
    yes = "yes"
    no = "no"


class DatasetState(StrEnum):
    draft = "draft"
    published = "published"
    archived = "archived"
    deleted = "deleted"


class Granularity(StrEnum):
    commune = "commune"
    epci = "epci"
    departement = "departement"
    region = "region"
    iris = "iris"
    point = "point"


class ResourceType(StrEnum):
    main = "main"
    documentation = "documentation"
    api = "api"
    other = "other"


class Role(StrEnum):
    admin = "admin"
    committee_coordinator = "committee_coordinator"
    publisher = "publisher"
    vendor = "vendor"


class TerritoryLevel(StrEnum):
    region = "region"
    departement = "departement"
    epci = "epci"
    commune = "commune"
    other = "other"


# EU Publications Office data-theme authority table
# (http://publications.europa.eu/resource/authority/data-theme).
THEMES: dict[str, str] = {
    "AGRI": "Agriculture, pêche, sylviculture et alimentation",
    "ECON": "Économie et finances",
    "EDUC": "Éducation, culture et sport",
    "ENER": "Énergie",
    "ENVI": "Environnement",
    "GOVE": "Gouvernement et secteur public",
    "HEAL": "Santé",
    "INTR": "Questions internationales",
    "JUST": "Justice, système juridique et sécurité publique",
    "OP_DATPRO": "Données provisoires",
    "REGI": "Régions et villes",
    "SOCI": "Population et société",
    "TECH": "Science et technologie",
    "TRAN": "Transports",
}

# EU Publications Office frequency authority table
# (http://publications.europa.eu/resource/authority/frequency), the codes in common use.
FREQUENCIES: dict[str, str] = {
    "CONT": "En continu",
    "UPDATE_CONT": "Mise à jour continue",
    "HOURLY": "Toutes les heures",
    "DAILY": "Quotidienne",
    "WEEKLY": "Hebdomadaire",
    "BIWEEKLY": "Toutes les deux semaines",
    "MONTHLY": "Mensuelle",
    "BIMONTHLY": "Tous les deux mois",
    "QUARTERLY": "Trimestrielle",
    "ANNUAL_2": "Semestrielle",
    "ANNUAL": "Annuelle",
    "BIENNIAL": "Tous les deux ans",
    "TRIENNIAL": "Tous les trois ans",
    "IRREG": "Irrégulière",
    "NEVER": "Jamais",
    "OTHER": "Autre",
    "UNKNOWN": "Inconnue",
}

# The licences a dataset may carry (CRPA D323-2-1 lists the first two for free re-use).
LICENCES: list[tuple[str, str, str | None]] = [
    ("fr-lo-2.0", "Licence Ouverte / Open Licence 2.0",
     "https://www.etalab.gouv.fr/licence-ouverte-open-licence/"),
    ("odbl-1.0", "Open Database License (ODbL) 1.0", "https://opendatacommons.org/licenses/odbl/1-0/"),
    ("cc-by-4.0", "Creative Commons Attribution 4.0", "https://creativecommons.org/licenses/by/4.0/"),
    ("cc0-1.0", "Creative Commons Zero 1.0", "https://creativecommons.org/publicdomain/zero/1.0/"),
    ("other", "Autre licence", None),
    ("notspecified", "Licence non précisée", None),
]


class UseCaseStatus(StrEnum):
    """Where a use case of a committee's roadmap stands."""

    proposed = "proposed"
    in_progress = "in_progress"
    done = "done"
    abandoned = "abandoned"


class RoadmapDatasetStatus(StrEnum):
    """Where a priority dataset of a roadmap stands; lateness is derived from its due date."""

    planned = "planned"
    in_progress = "in_progress"
    published = "published"
