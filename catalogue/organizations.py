"""Organizations: members of committees, publishers of datasets, vendors."""

from __future__ import annotations

import json

import shapely
from sqlmodel import Session, select

from catalogue import committees, slugs, territories
from catalogue.auth import Actor
from catalogue.errors import Conflict, Invalid, NotFound
from catalogue.models import Dataset, Organization, utcnow
from catalogue.schemas import OrganizationCreate, OrganizationOut, OrganizationUpdate
from catalogue.vocabularies import INSEE_KINDS, OrganizationKind, TerritoryLevel


def find(session: Session, ref: str) -> Organization:
    """By slug, or by numeric id."""
    org = session.exec(select(Organization).where(slugs.matches(Organization, ref))).first()
    if org is None:
        raise NotFound(f"Organisation inconnue : « {ref} ».")
    return org


def list_all(session: Session, kind: str | None = None) -> list[Organization]:
    query = select(Organization).order_by(Organization.name)
    if kind:
        query = query.where(Organization.kind == kind)
    return list(session.exec(query))


def zones(org: Organization) -> list[str]:
    """The reference areas an organization's territory is made of."""
    if org.kind in INSEE_KINDS and org.insee_code:
        return [f"fr:{org.kind}:{org.insee_code}"]
    if org.kind == OrganizationKind.epci and org.siren and org.commune_codes:
        return [f"fr:epci:{org.siren}"]
    return [f"fr:commune:{code}" for code in org.commune_codes]


def _apply_territory(session: Session, org: Organization, geometry: dict | None) -> None:
    """Derive the geometry: from the INSEE code, from the member communes, or as given."""
    if org.kind in INSEE_KINDS:
        if not org.insee_code:
            raise Invalid(f"Une organisation de type {org.kind} a un code INSEE.",
                          field="insee_code")
        try:
            shape = shapely.from_geojson(
                territories.get(session, f"{org.kind}:{org.insee_code}").geometry)
        except NotFound:
            raise Invalid(f"Code INSEE inconnu pour un(e) {org.kind} : « {org.insee_code} ».",
                          field="insee_code") from None
    elif org.insee_code:
        raise Invalid("Seules les communes, départements et régions ont un code INSEE ; "
                      "une intercommunalité donne ses communes (commune_codes).",
                      field="insee_code")
    elif org.commune_codes:
        known = set(session.exec(select(territories.Territory.code).where(
            territories.Territory.id.in_([f"fr:commune:{c}" for c in org.commune_codes]))))
        if unknown := [c for c in org.commune_codes if c not in known]:
            raise Invalid(f"Communes inconnues : {', '.join(unknown)}.", field="commune_codes")
        shape = territories.zones_geometry(
            session, [f"fr:commune:{c}" for c in org.commune_codes])
        if org.kind == OrganizationKind.epci and org.siren:
            territories.add_area(session, TerritoryLevel.epci, org.siren, org.name, shape)
    elif geometry is not None:
        shape = territories.parse_geometry(geometry)
    else:
        shape = None
    org.geometry = territories.to_geojson(shape) if shape is not None else None
    for name, value in territories.bbox_of(shape).items():
        setattr(org, name, value)


def _check_siren_free(session: Session, siren: str | None, org_id: int | None) -> None:
    if siren:
        other = session.exec(select(Organization).where(Organization.siren == siren)).first()
        if other is not None and other.id != org_id:
            raise Conflict(f"Le SIREN {siren} est déjà celui de « {other.name} ».")


def create(session: Session, actor: Actor, data: OrganizationCreate) -> Organization:
    actor.require(actor.admin, "créer une organisation")
    _check_siren_free(session, data.siren, None)
    org = Organization(**data.model_dump(exclude={"slug", "geometry"}),
                       slug=slugs.claim(session, Organization, data.slug, data.name,
                                        "une autre organisation"))
    org.commune_codes = list(dict.fromkeys(org.commune_codes))
    _apply_territory(session, org, data.geometry)
    session.add(org)
    session.flush()
    return org


def update(session: Session, actor: Actor, org: Organization,
           data: OrganizationUpdate) -> Organization:
    actor.require(actor.publishes_for(org.id), f"modifier l'organisation « {org.slug} »")
    changes = data.model_dump(exclude_unset=True)
    if "kind" in changes:
        actor.require(actor.admin, "changer le type d'une organisation")
    _check_siren_free(session, changes.get("siren"), org.id)
    geometry = changes.pop("geometry", None)
    for name, value in changes.items():
        setattr(org, name, value)
    territorial = {"kind", "insee_code", "commune_codes", "geometry", "siren"}
    if territorial & data.model_fields_set:
        _apply_territory(session, org, geometry if "geometry" in data.model_fields_set
                         else (json.loads(org.geometry) if org.geometry else None))
        committees.recompute_for_organization(session, org.id)
    org.modified = utcnow()
    session.add(org)
    session.flush()
    return org


def delete(session: Session, actor: Actor, org: Organization) -> None:
    actor.require(actor.admin, "supprimer une organisation")
    if session.exec(select(Dataset.id).where(Dataset.publisher_id == org.id)).first():
        raise Conflict(f"L'organisation « {org.slug} » publie des jeux de données : "
                       "supprimez-les ou transférez-les d'abord.")
    if roles := committees.roadmap_roles(session, org.id):
        raise Conflict(f"L'organisation « {org.slug} » est {' ; '.join(roles)} : confiez "
                       "ces rôles à un autre membre d'abord.")
    committee_ids = committees.of_organization(session, org.id)
    session.delete(org)
    session.flush()
    for committee_id in committee_ids:
        committees.recompute_territory(session, committees.get(session, committee_id))


def to_out(org: Organization, with_geometry: bool = False) -> OrganizationOut:
    return OrganizationOut(
        **{k: v for k, v in org if k not in ("geometry", "minx", "miny", "maxx", "maxy")},
        bbox=[org.minx, org.miny, org.maxx, org.maxy] if org.minx is not None else None,
        geometry=json.loads(org.geometry) if with_geometry and org.geometry else None,
    )
