"""Harvest sources and jobs: who may add, validate, run and see them, and their output.

A publisher adds sources for their organization; a coordinator of a committee the
organization belongs to (or an admin) validates a source before its first run. Sources and
jobs are seen by the organization's publishers, its committees' coordinators and admins.
"""

from __future__ import annotations

from datetime import timedelta

import sqlalchemy as sa
from sqlmodel import Session, select

from catalogue import committees, organizations
from catalogue.auth import Actor
from catalogue.errors import Conflict, Invalid, NotFound
from catalogue.models import CommitteeMember, Dataset, Licence, Organization, utcnow
from connectors.models import (
    HarvestItem,
    HarvestJob,
    HarvestSource,
    ItemStatus,
    JobStatus,
    Schedule,
    SourceType,
)
from connectors.schemas import (
    ItemErrorOut,
    JobDetail,
    JobOut,
    SourceCreate,
    SourceOut,
    SourceUpdate,
)

# How long after the last run a scheduled source is due again.
PERIODS = {Schedule.daily: timedelta(days=1), Schedule.weekly: timedelta(weeks=1),
           Schedule.monthly: timedelta(days=30)}


def _coordinates_for(session: Session, actor: Actor, organization_id: int) -> bool:
    return actor.admin or any(actor.coordinates(c) for c in
                              committees.of_organization(session, organization_id))


def can_validate(session: Session, actor: Actor, source: HarvestSource) -> bool:
    """Coordinators of a committee of the source's organisation, and admins."""
    return _coordinates_for(session, actor, source.organization_id)


def can_manage(session: Session, actor: Actor, source: HarvestSource) -> bool:
    return (actor.publishes_for(source.organization_id)
            or _coordinates_for(session, actor, source.organization_id))


def visible_organizations(session: Session, actor: Actor) -> set[int] | None:
    """Organizations whose sources ``actor`` sees (None: all of them)."""
    if actor.admin:
        return None
    ids = set(actor.publisher_of)
    if actor.coordinator_of:
        ids |= set(session.exec(select(CommitteeMember.organization_id).where(
            CommitteeMember.committee_id.in_(actor.coordinator_of))))
    return ids


def find(session: Session, actor: Actor, name: str) -> HarvestSource:
    source = session.exec(select(HarvestSource).where(HarvestSource.name == name)).first()
    if source is None or not can_manage(session, actor, source):
        actor.require(not actor.anonymous, "consulter les sources de moissonnage")
        raise NotFound(f"Source de moissonnage inconnue : « {name} ».")
    return source


def list_visible(session: Session, actor: Actor) -> list[HarvestSource]:
    actor.require(not actor.anonymous, "consulter les sources de moissonnage")
    query = select(HarvestSource).order_by(HarvestSource.name)
    ids = visible_organizations(session, actor)
    if ids is not None:
        query = query.where(HarvestSource.organization_id.in_(ids or {-1}))
    return list(session.exec(query))


def _check_config(session: Session, source: HarvestSource) -> None:
    if source.type == SourceType.udata and not source.config.get("organization"):
        raise Invalid("Une source udata demande l'organisation à moissonner "
                      "(config.organization : identifiant ou slug).", field="config.organization")
    licence = source.config.get("licence")
    if licence and session.get(Licence, licence) is None:
        raise Invalid(f"Licence inconnue : « {licence} ».", field="config.licence")


def create(session: Session, actor: Actor, data: SourceCreate) -> HarvestSource:
    try:
        org = organizations.find(session, data.organization)
    except NotFound as error:
        raise Invalid(error.detail, field="organization") from None
    actor.require(actor.publishes_for(org.id) or _coordinates_for(session, actor, org.id),
                  f"ajouter une source de moissonnage pour « {org.slug} »")
    if session.exec(select(HarvestSource.id).where(HarvestSource.name == data.name)).first():
        raise Conflict(f"Le nom « {data.name} » est déjà pris par une autre source.")
    source = HarvestSource(name=data.name, type=data.type, url=data.url,
                           organization_id=org.id,
                           config=data.config.model_dump(exclude_defaults=True),
                           schedule=data.schedule, enabled=data.enabled)
    _check_config(session, source)
    session.add(source)
    session.flush()
    if _coordinates_for(session, actor, org.id):
        validate(session, actor, source)
    return source


def update(session: Session, actor: Actor, source: HarvestSource,
           data: SourceUpdate) -> HarvestSource:
    actor.require(can_manage(session, actor, source),
                  f"modifier la source « {source.name} »")
    fields = data.model_fields_set
    if "url" in fields and data.url and data.url != source.url:
        # Another address is another source: it must be validated again.
        source.url, source.validated_at, source.validated_by = data.url, None, None
        source.cursor = None
    if "config" in fields and data.config is not None:
        source.config = data.config.model_dump(exclude_defaults=True)
        source.cursor = None  # filters changed: gather everything again
    if "schedule" in fields and data.schedule is not None:
        source.schedule = data.schedule
    if "enabled" in fields and data.enabled is not None:
        source.enabled = data.enabled
    _check_config(session, source)
    session.add(source)
    if _coordinates_for(session, actor, source.organization_id) and not source.validated_at:
        validate(session, actor, source)
    return source


def validate(session: Session, actor: Actor, source: HarvestSource) -> HarvestSource:
    """A coordinator or admin accepts the source (and clears a review flag they looked at)."""
    actor.require(can_validate(session, actor, source),
                  f"valider la source « {source.name} » (réservé aux coordinateurs du comité "
                  "et aux administrateurs)")
    source.validated_at, source.validated_by = utcnow(), actor.name
    source.needs_review = None
    session.add(source)
    return source


def jobs(session: Session, source: HarvestSource, limit: int = 50) -> list[HarvestJob]:
    return list(session.exec(select(HarvestJob).where(HarvestJob.source_id == source.id)
                             .order_by(HarvestJob.id.desc()).limit(limit)))


def find_job(session: Session, actor: Actor, job_id: int) -> tuple[HarvestJob, HarvestSource]:
    job = session.get(HarvestJob, job_id)
    source = session.get(HarvestSource, job.source_id) if job else None
    if source is None or not can_manage(session, actor, source):
        actor.require(not actor.anonymous, "consulter les moissons")
        raise NotFound(f"Moisson inconnue : n° {job_id}.")
    return job, source


def list_jobs(session: Session, actor: Actor, source_name: str | None = None,
              status: JobStatus | None = None, limit: int = 50) -> list[tuple[HarvestJob, str]]:
    actor.require(not actor.anonymous, "consulter les moissons")
    query = (select(HarvestJob, HarvestSource.name)
             .join(HarvestSource, HarvestSource.id == HarvestJob.source_id)
             .order_by(HarvestJob.id.desc()).limit(limit))
    ids = visible_organizations(session, actor)
    if ids is not None:
        query = query.where(HarvestSource.organization_id.in_(ids or {-1}))
    if source_name:
        query = query.where(HarvestSource.name == source_name)
    if status:
        query = query.where(HarvestJob.status == status)
    return list(session.exec(query))


def due_sources(session: Session) -> list[HarvestSource]:
    """Enabled, validated, scheduled sources whose last job is older than their period."""
    now = utcnow()
    due = []
    for source in session.exec(select(HarvestSource).where(
            HarvestSource.enabled, HarvestSource.validated_at.is_not(None),
            HarvestSource.schedule != Schedule.manual)):
        last = session.exec(select(sa.func.max(HarvestJob.created))
                            .where(HarvestJob.source_id == source.id)).one()
        if last is None or last.replace(tzinfo=now.tzinfo) <= now - PERIODS[source.schedule]:
            due.append(source)
    return due


# --- output -------------------------------------------------------------------------------

def job_out(job: HarvestJob, source_name: str) -> JobOut:
    return JobOut(source=source_name,
                  **job.model_dump(exclude={"source_id", "worker"}, warnings=False))


def job_detail(session: Session, job: HarvestJob, source_name: str,
               limit: int = 200) -> JobDetail:
    items = session.exec(select(HarvestItem).where(
        HarvestItem.job_id == job.id, HarvestItem.status == ItemStatus.errored)
        .order_by(HarvestItem.id).limit(limit))
    errors = [ItemErrorOut(remote_id=i.remote_id, remote_url=i.remote_url, status=i.status,
                           error=i.error) for i in items]
    return JobDetail(**job_out(job, source_name).model_dump(), errors=errors)


def source_out(session: Session, source: HarvestSource) -> SourceOut:
    org = session.get(Organization, source.organization_id)
    last = session.exec(select(HarvestJob).where(HarvestJob.source_id == source.id)
                        .order_by(HarvestJob.id.desc())).first()
    count = session.exec(select(sa.func.count()).select_from(Dataset)
                         .where(Dataset.harvest_source == source.name)).one()
    return SourceOut(
        name=source.name, type=source.type, url=source.url, organization=org.slug,
        config=source.config, schedule=source.schedule, enabled=source.enabled,
        validated=source.validated_at is not None, validated_by=source.validated_by,
        validated_at=source.validated_at, needs_review=source.needs_review, datasets=count,
        last_job=job_out(last, source.name) if last else None, created=source.created)

