"""The harvest's background jobs: running a job, and starting the scheduled sources."""

from __future__ import annotations

import logging

import huey
from sqlmodel import Session

from catalogue import jobs
from catalogue.db import session_scope
from catalogue.errors import Conflict, Unavailable
from catalogue.models import utcnow
from connectors import harvest, sources
from connectors.models import HarvestJob, HarvestSource, JobStatus

log = logging.getLogger(__name__)


def queue(session: Session, source: HarvestSource,
          accept_deletions: bool = False) -> HarvestJob:
    """A pending job for ``source``, handed to the background consumers."""
    job = harvest.create_job(session, source)
    session.commit()
    try:
        jobs.enqueue("harvest", job_id=job.id, accept_deletions=accept_deletions)
    except Exception as error:  # the queue's storage (Redis, SQLite file) is unreachable
        log.exception("cannot queue harvest job %s", job.id)
        job.status, job.finished = JobStatus.failed, utcnow()
        job.message = f"File d'attente des tâches injoignable : {error}"[:1000]
        session.add(job)
        session.commit()
        raise Unavailable("La file d'attente des tâches est injoignable ; réessayez plus "
                          "tard ou lancez la moisson au premier plan.") from None
    return job


def start_due_sources() -> int:
    """Queue a job for every scheduled source that is due; return how many."""
    started = 0
    with session_scope() as session:
        for source in sources.due_sources(session):
            try:
                queue(session, source)
            except Conflict:
                continue
            started += 1
    return started


def install() -> None:
    """Register the handlers (called where the app and the CLI are composed)."""
    jobs.register("harvest", harvest.run_job)
    jobs.register("harvest.schedule", start_due_sources)
    jobs.register_periodic("harvest.schedule", huey.crontab(minute="*/10"))
