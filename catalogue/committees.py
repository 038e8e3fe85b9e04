"""Committees (comités territoriaux de la donnée) and their membership.

A committee's territory is the union of the geometries of its territorial members
(role ``member``); it is recomputed whenever membership or a member's territory changes.
"""

from __future__ import annotations

import json

from sqlmodel import Session, select

from catalogue import slugs, territories
from catalogue.auth import Actor
from catalogue.errors import Conflict, Invalid, NotFound
from catalogue.models import (
    Committee,
    CommitteeMember,
    Organization,
    RoadmapDataset,
    RoadmapUseCase,
    utcnow,
)
from catalogue.schemas import CommitteeCreate, CommitteeOut, CommitteeUpdate, MemberIn, MemberOut
from catalogue.vocabularies import TERRITORIAL_KINDS, MemberRole


def find(session: Session, ref: str) -> Committee:
    committee = session.exec(select(Committee).where(slugs.matches(Committee, ref))).first()
    if committee is None:
        raise NotFound(f"Comité inconnu : « {ref} ».")
    return committee


def get(session: Session, committee_id: int) -> Committee:
    return session.get(Committee, committee_id)


def list_all(session: Session) -> list[Committee]:
    return list(session.exec(select(Committee).order_by(Committee.name)))


def of_organization(session: Session, organization_id: int) -> list[int]:
    return list(session.exec(select(CommitteeMember.committee_id).where(
        CommitteeMember.organization_id == organization_id)))


def members(session: Session, committee: Committee) -> list[tuple[CommitteeMember, Organization]]:
    return list(session.exec(
        select(CommitteeMember, Organization)
        .join(Organization, Organization.id == CommitteeMember.organization_id)
        .where(CommitteeMember.committee_id == committee.id).order_by(Organization.name)))


def recompute_territory(session: Session, committee: Committee) -> None:
    geometries = [org.geometry for member, org in members(session, committee)
                  if member.role == MemberRole.member and org.kind in TERRITORIAL_KINDS
                  and org.geometry]
    shape = territories.union(geometries)
    committee.geometry = territories.to_geojson(shape) if shape is not None else None
    for name, value in territories.bbox_of(shape).items():
        setattr(committee, name, value)
    committee.modified = utcnow()
    session.add(committee)
    session.flush()


def recompute_for_organization(session: Session, organization_id: int) -> None:
    for committee_id in of_organization(session, organization_id):
        recompute_territory(session, get(session, committee_id))


def roadmap_roles(session: Session, organization_id: int,
                  committee_id: int | None = None) -> list[str]:
    """What ``organization_id`` leads or must publish on roadmaps (of one committee, or of
    all), in French: a member with such a role can neither leave nor be deleted."""
    use_cases = select(RoadmapUseCase.title).where(RoadmapUseCase.lead_id == organization_id)
    items = select(RoadmapDataset.title).where(RoadmapDataset.responsible_id == organization_id)
    if committee_id is not None:
        use_cases = use_cases.where(RoadmapUseCase.committee_id == committee_id)
        items = items.where(RoadmapDataset.committee_id == committee_id)
    return ([f"pilote du cas d'usage « {t} »" for t in session.exec(use_cases)]
            + [f"responsable du jeu prioritaire « {t} »" for t in session.exec(items)])


def _set_members(session: Session, committee: Committee, wanted: list[MemberIn]) -> None:
    slugs_wanted = [m.organization for m in wanted]
    if len(set(slugs_wanted)) != len(slugs_wanted):
        raise Invalid("Une organisation figure deux fois parmi les membres.", field="members")
    orgs = {o.slug: o for o in session.exec(
        select(Organization).where(Organization.slug.in_(slugs_wanted)))}
    if unknown := [s for s in slugs_wanted if s not in orgs]:
        raise Invalid(f"Organisations inconnues : {', '.join(unknown)}.", field="members")
    full_members = {m.organization for m in wanted if m.role == MemberRole.member}
    for member, org in members(session, committee):
        if member.role == MemberRole.member and org.slug not in full_members and (
                roles := roadmap_roles(session, org.id, committee.id)):
            raise Conflict(f"« {org.slug} » reste membre du comité tant qu'il est "
                           f"{' ; '.join(roles)} : confiez ces rôles à un autre membre "
                           "d'abord.")
    for member, _ in members(session, committee):
        session.delete(member)
    session.flush()
    for m in wanted:
        session.add(CommitteeMember(committee_id=committee.id,
                                    organization_id=orgs[m.organization].id, role=m.role))
    session.flush()
    recompute_territory(session, committee)


def create(session: Session, actor: Actor, data: CommitteeCreate) -> Committee:
    actor.require(actor.admin, "créer un comité")
    committee = Committee(name=data.name, description=data.description,
                          slug=slugs.claim(session, Committee, data.slug, data.name,
                                           "un autre comité"))
    session.add(committee)
    session.flush()
    _set_members(session, committee, data.members)
    return committee


def update(session: Session, actor: Actor, committee: Committee,
           data: CommitteeUpdate) -> Committee:
    actor.require(actor.coordinates(committee.id), f"modifier le comité « {committee.slug} »")
    changes = data.model_dump(exclude_unset=True, exclude={"members"})
    for name, value in changes.items():
        if value is None:
            raise Invalid(f"Le champ {name} ne peut pas être vide.", field=name)
        setattr(committee, name, value)
    committee.modified = utcnow()
    session.add(committee)
    if data.members is not None:
        _set_members(session, committee, data.members)
    session.flush()
    return committee


def set_member(session: Session, actor: Actor, committee: Committee, member: MemberIn) -> None:
    """Add an organization to the committee, or change its role."""
    current = [MemberIn(organization=o.slug, role=m.role) for m, o in members(session, committee)
               if o.slug != member.organization]
    update(session, actor, committee, CommitteeUpdate(members=[*current, member]))


def remove_member(session: Session, actor: Actor, committee: Committee, org_slug: str) -> None:
    current = [MemberIn(organization=o.slug, role=m.role) for m, o in members(session, committee)]
    if org_slug not in {m.organization for m in current}:
        raise NotFound(f"« {org_slug} » n'est pas membre du comité « {committee.slug} ».")
    update(session, actor, committee, CommitteeUpdate(
        members=[m for m in current if m.organization != org_slug]))


def delete(session: Session, actor: Actor, committee: Committee) -> None:
    actor.require(actor.admin, "supprimer un comité")
    session.delete(committee)
    session.flush()


def to_out(session: Session, committee: Committee, with_geometry: bool = False) -> CommitteeOut:
    return CommitteeOut(
        id=committee.id, slug=committee.slug, name=committee.name,
        description=committee.description, created=committee.created,
        modified=committee.modified,
        members=[MemberOut(organization=o.slug, name=o.name, kind=o.kind, role=m.role)
                 for m, o in members(session, committee)],
        bbox=([committee.minx, committee.miny, committee.maxx, committee.maxy]
              if committee.minx is not None else None),
        geometry=json.loads(committee.geometry) if with_geometry and committee.geometry
        else None,
    )
