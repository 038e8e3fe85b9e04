"""The harvest's background jobs: running a job, and starting the scheduled sources."""

from __future__ import annotations

import logging

import huey

from catalogue import jobs
from catalogue.db import session_scope
from catalogue.errors import Conflict
from connectors import harvest, sources

log = logging.getLogger(__name__)


def run(job_id: int, accept_deletions: bool = False) -> None:
    harvest.run_job(job_id, accept_deletions=accept_deletions)


def start_due_sources() -> int:
    """Queue a job for every scheduled source that is due; return how many."""
    started = 0
    with session_scope() as session:
        for source in sources.due_sources(session):
            try:
                job = harvest.create_job(session, source)
            except Conflict:
                continue
            session.commit()
            jobs.enqueue("harvest", job_id=job.id)
            started += 1
    return started


def install() -> None:
    """Register the handlers (called where the app and the CLI are composed)."""
    jobs.register("harvest", run)
    jobs.register("harvest.schedule", start_due_sources)
    jobs.register_periodic("harvest.schedule", huey.crontab(minute="*/10"))
