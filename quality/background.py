"""The quality's background jobs: a scan of each tabular file once it is stored."""

from __future__ import annotations

from catalogue import events, jobs
from quality import reports


def install() -> None:
    """Register the job and the subscription (called where the app and the CLI are
    composed)."""
    jobs.register(reports.JOB, reports.run_scan)
    events.subscribe(events.FILE_STORED, reports.scan_stored_file)
