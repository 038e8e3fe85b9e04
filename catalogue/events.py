"""In-process events: the core says what happened, the packages composed into the app react
(``quality`` scans a file once it is stored).

An event is announced on a database session and delivered only once that session commits,
so a subscriber never sees a row that was rolled back, and a background job it queues finds
the row written. Subscribers' errors are logged, never raised to the code that committed.
"""

from __future__ import annotations

import logging
from collections import defaultdict
from collections.abc import Callable
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

log = logging.getLogger(__name__)

# A resource's file was stored (uploaded, or fetched by a harvest): payload ``resource_id``.
FILE_STORED = "resource_file_stored"

_subscribers: dict[str, list[Callable[..., Any]]] = defaultdict(list)
_KEY = "ctd_events"


def subscribe(event: str, handler: Callable[..., Any]) -> None:
    if handler not in _subscribers[event]:
        _subscribers[event].append(handler)


def announce(session: Session, event: str, **payload: Any) -> None:
    """Deliver ``event`` to its subscribers once ``session`` commits."""
    session.info.setdefault(_KEY, []).append((event, payload))


@sa.event.listens_for(Session, "after_commit")
def _deliver(session: Session) -> None:
    for event, payload in session.info.pop(_KEY, []):
        for handler in _subscribers.get(event, []):
            try:
                handler(**payload)
            except Exception:
                log.exception("subscriber of %s failed", event)


@sa.event.listens_for(Session, "after_rollback")
def _forget(session: Session) -> None:
    session.info.pop(_KEY, None)
