"""The harvest's pages: the sources a person manages, a source with its jobs and the buttons
their role allows, and a job with its live progress.

They call the logic the JSON API calls (``connectors.api``), so a page shows what the API
answers and refuses what it refuses; a refusal is a French message on the source page.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Annotated
from zoneinfo import ZoneInfo

from fastapi import Form, Path, Request
from fastapi.responses import RedirectResponse, Response
from sqlmodel import Session, select

from catalogue.api.deps import SessionDep
from catalogue.auth import Actor
from catalogue.errors import Conflict, Forbidden, Unavailable
from catalogue.models import Organization, utcnow
from catalogue.web.render import add_templates, french_date, render
from catalogue.web.routing import PageActor, page_router, refuse_forgery
from connectors import background, charts, harvest, sources
from connectors.models import FINISHED, HarvestSource, JobStatus
from connectors.schemas import JobOut

add_templates("connectors")

SOURCE_TYPES = {"ckan": "CKAN", "udata": "udata", "ods": "OpenDataSoft", "dcat": "DCAT",
                "scdl-catalogue": "SCDL CSV (catalogue)"}
SCHEDULES = {"manual": "à la demande", "daily": "quotidienne", "weekly": "hebdomadaire",
             "monthly": "mensuelle"}
JOB_STATUSES = {
    JobStatus.pending: "En attente", JobStatus.running: "En cours",
    JobStatus.done: "Terminée", JobStatus.done_with_errors: "Terminée avec des erreurs",
    JobStatus.failed: "Échouée", JobStatus.interrupted: "Interrompue",
}
# How many of a source's jobs its page lists.
RECENT_JOBS = 20
# How often (ms) the page of a job in progress refreshes its progress (see ctd.js).
REFRESH_MS = 1000
PARIS = ZoneInfo("Europe/Paris")
# The refusals of an action shown on the source page, with their status.
REFUSALS = (Forbidden, Conflict, Unavailable)


router = page_router()


# --- how things are said --------------------------------------------------------------------

def moment(value: datetime | None) -> str:
    """« 3 mars 2025 à 14 h 05 », in Europe/Paris."""
    if value is None:
        return ""
    local = value.astimezone(PARIS)
    return f"{french_date(local)} à {local:%H} h {local:%M}"


def duration(delta: timedelta) -> str:
    """« 1 h 02 min », « 3 min 05 s », « 12 s »."""
    seconds = max(int(delta.total_seconds()), 0)
    hours, rest = divmod(seconds, 3600)
    minutes, seconds = divmod(rest, 60)
    if hours:
        return f"{hours} h {minutes:02d} min"
    if minutes:
        return f"{minutes} min {seconds:02d} s"
    return f"{seconds} s"


def elapsed(job: JobOut) -> str:
    """How long the job waited or ran, up to now while it is not finished."""
    end = job.finished or utcnow()
    if job.started is None:
        waited = duration(end - job.created)
        return f"en attente depuis {waited}" if job.finished is None else f"après {waited}"
    return duration(end - job.started)


def in_progress(job: JobOut) -> bool:
    return job.status not in FINISHED


def _reaped(session: Session) -> None:
    """Jobs whose process died are shown interrupted, not running forever (as the API)."""
    harvest.reap(session)
    session.commit()


def _organization_names(session: Session, slugs: set[str]) -> dict[str, str]:
    return dict(session.exec(select(Organization.slug, Organization.name)
                             .where(Organization.slug.in_(slugs or {""}))).all())


def _render(request: Request, template: str, actor: Actor, status: int = 200, **context):
    """A harvest page, with the French labels and helpers its templates use."""
    return render(request, template, actor=actor, current="harvest", status=status,
                  source_types=SOURCE_TYPES, schedules=SCHEDULES, job_statuses=JOB_STATUSES,
                  moment=moment, elapsed=elapsed, in_progress=in_progress, **context)


# --- the sources ----------------------------------------------------------------------------

@router.get("/moissonnage")
def sources_page(request: Request, session: SessionDep, actor: PageActor):
    _reaped(session)
    listed = [sources.source_out(session, s) for s in sources.list_visible(session, actor)]
    names = _organization_names(session, {s.organization for s in listed})
    return _render(request, "harvest/sources.html", actor, listed=listed, names=names)


@router.get("/moissonnage/sante.svg")
def health_chart(session: SessionDep, actor: PageActor) -> Response:
    """The chart of ``/api/v1/harvest/health.svg`` for the signed-in person: an image of a
    page carries the session cookie, not the API's bearer token."""
    _reaped(session)
    return Response(charts.harvest_health(session, sources.list_visible(session, actor)),
                    media_type="image/svg+xml", headers={"Cache-Control": "no-store"})


def _source_page(request: Request, session: Session, actor: Actor, source: HarvestSource,
                 *, error: str | None = None, status: int = 200) -> Response:
    out = sources.source_out(session, source)
    recent = [sources.job_out(job, name) for job, name in
              sources.list_jobs(session, actor, source.name, limit=RECENT_JOBS)]
    # The button shows only to whom sources.validate would accept.
    can_validate = sources.can_validate(session, actor, source)
    names = _organization_names(session, {out.organization})
    return _render(request, "harvest/source.html", actor, status=status, s=out,
                   organization=names.get(out.organization, out.organization), jobs=recent,
                   current_job=next((j for j in recent if in_progress(j)), None),
                   can_validate=can_validate and (not out.validated or bool(out.needs_review)),
                   can_run=out.validated and out.enabled, error=error)


@router.get("/moissonnage/{name}")
def source_page(name: str, request: Request, session: SessionDep, actor: PageActor):
    _reaped(session)
    return _source_page(request, session, actor, sources.find(session, actor, name))


def _act(request: Request, session: Session, actor: Actor, name: str, action) -> Response:
    """Do ``action(source)`` and go to the page it names; a refusal is shown on the source
    page with its status (403, 409, 503)."""
    source = sources.find(session, actor, name)
    try:
        where = action(source)
    except REFUSALS as refusal:
        session.rollback()
        return _source_page(request, session, actor, source, error=refusal.detail,
                            status=refusal.status)
    session.commit()
    return RedirectResponse(where, status_code=303)


@router.post("/moissonnage/{name}/valider")
def validate_source(name: str, request: Request, session: SessionDep, actor: PageActor,
                    csrf: Annotated[str, Form()] = ""):
    if refused := refuse_forgery(request, csrf):
        return refused

    def validate(source: HarvestSource) -> str:
        sources.validate(session, actor, source)
        return f"/moissonnage/{source.name}"
    return _act(request, session, actor, name, validate)


@router.post("/moissonnage/{name}/lancer")
def start_job(name: str, request: Request, session: SessionDep, actor: PageActor,
              csrf: Annotated[str, Form()] = "",
              accept_deletions: Annotated[bool, Form()] = False):
    if refused := refuse_forgery(request, csrf):
        return refused

    def start(source: HarvestSource) -> str:
        return f"/moissonnage/taches/{background.queue(session, source, accept_deletions).id}"
    return _act(request, session, actor, name, start)


# --- a job ----------------------------------------------------------------------------------

@router.get("/moissonnage/taches/{job_id}")
def job_page(job_id: Annotated[int, Path(ge=1, le=2**31 - 1)], request: Request,
             session: SessionDep, actor: PageActor):
    _reaped(session)
    job, source = sources.find_job(session, actor, job_id)
    detail = sources.job_detail(session, job, source.name)
    return _render(request, "harvest/job.html", actor, job=detail, refresh=REFRESH_MS)
