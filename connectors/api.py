"""HTTP routes of the harvest: ``/api/v1/harvest/sources`` and ``/api/v1/harvest/jobs``."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path, Query, Response

from catalogue.api.deps import ActorDep, SessionDep
from connectors import background, charts, harvest, sources
from connectors.models import JobStatus
from connectors.schemas import JobDetail, JobOut, SourceCreate, SourceOut, SourceUpdate

router = APIRouter(prefix="/api/v1/harvest", tags=["harvest"])


@router.get("/sources")
def list_sources(session: SessionDep, actor: ActorDep) -> list[SourceOut]:
    """The sources the caller manages (their organization's, their committees')."""
    harvest.reap(session)
    session.commit()
    return [sources.source_out(session, s) for s in sources.list_visible(session, actor)]


@router.post("/sources", status_code=201)
def create_source(data: SourceCreate, session: SessionDep, actor: ActorDep) -> SourceOut:
    """Add a source; it runs once a committee coordinator or an admin has validated it
    (at once when the caller is one)."""
    source = sources.create(session, actor, data)
    session.commit()
    return sources.source_out(session, source)


@router.get("/sources/{name}")
def show_source(name: str, session: SessionDep, actor: ActorDep) -> SourceOut:
    return sources.source_out(session, sources.find(session, actor, name))


@router.patch("/sources/{name}")
def update_source(name: str, data: SourceUpdate, session: SessionDep,
                  actor: ActorDep) -> SourceOut:
    source = sources.update(session, actor, sources.find(session, actor, name), data)
    session.commit()
    return sources.source_out(session, source)


@router.post("/sources/{name}/validate")
def validate_source(name: str, session: SessionDep, actor: ActorDep) -> SourceOut:
    source = sources.validate(session, actor, sources.find(session, actor, name))
    session.commit()
    return sources.source_out(session, source)


@router.post("/sources/{name}/jobs", status_code=202)
def start_job(name: str, session: SessionDep, actor: ActorDep,
              accept_deletions: bool = False) -> JobOut:
    """Queue a harvest of the source for the background workers; ``accept_deletions``
    archives what vanished even beyond the source's deletion threshold."""
    source = sources.find(session, actor, name)
    job = background.queue(session, source, accept_deletions)
    return sources.job_out(job, source.name)


@router.get("/jobs")
def list_jobs(session: SessionDep, actor: ActorDep,
              source: Annotated[str | None, Query(description="Source name.")] = None,
              status: JobStatus | None = None,
              limit: Annotated[int, Query(ge=1, le=500)] = 50) -> list[JobOut]:
    harvest.reap(session)
    session.commit()
    return [sources.job_out(job, name)
            for job, name in sources.list_jobs(session, actor, source, status, limit)]


@router.get("/jobs/{job_id}")
def show_job(job_id: Annotated[int, Path(ge=1, le=2**31 - 1)], session: SessionDep,
             actor: ActorDep) -> JobDetail:
    """A job, with the error of each remote dataset it could not take."""
    job, source = sources.find_job(session, actor, job_id)
    return sources.job_detail(session, job, source.name)


@router.get("/health.svg", response_class=Response,
            responses={200: {"content": {"image/svg+xml": {}}}})
def harvest_health(session: SessionDep, actor: ActorDep) -> Response:
    """Per source the caller manages (as ``/sources`` lists them), how its last finished
    jobs ended and what its last job did, as an SVG chart."""
    harvest.reap(session)
    session.commit()
    return Response(charts.harvest_health(session, sources.list_visible(session, actor)),
                    media_type="image/svg+xml")
