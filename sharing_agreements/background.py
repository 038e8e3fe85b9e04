"""The agreements' background job: ``ctd agreements check`` every hour."""

from __future__ import annotations

import huey

from catalogue import jobs
from catalogue.db import session_scope

JOB = "agreements.check"


def run_check() -> dict[str, list[int]]:
    from sharing_agreements import agreements

    with session_scope() as session:
        return agreements.check(session).to_dict()


def install() -> None:
    """Register the job and its schedule (called where the app and the CLI are composed)."""
    jobs.register(JOB, run_check)
    jobs.register_periodic(JOB, huey.crontab(minute="5"))
