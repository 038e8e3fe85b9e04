"""Background jobs through Huey: SQLite storage in the data directory by default, Redis in
production (``CTD_JOBS_URL=redis://…``).

The packages register handlers by name (``register("harvest", run)``) where the app and the
CLI are composed; one Huey task dispatches to them, so the queue can be built lazily from the
settings of the moment (tests and the CLI change them). ``ctd serve`` runs consumers in
threads of its own process; ``ctd worker`` runs them alone.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from functools import cache
from pathlib import Path
from typing import Any

import huey
from huey.consumer import Consumer

from catalogue.config import load_settings

log = logging.getLogger(__name__)

_handlers: dict[str, Callable[..., Any]] = {}
_periodic: dict[str, huey.crontab] = {}


def register(name: str, handler: Callable[..., Any]) -> None:
    """Make ``handler(**payload)`` runnable in the background as job ``name``."""
    _handlers[name] = handler


def register_periodic(name: str, when: huey.crontab) -> None:
    """Run the registered handler ``name`` (with no payload) on the ``when`` schedule."""
    _periodic[name] = when


def queue(url: str | None = None) -> huey.Huey:
    return _queue(url or load_settings().jobs_url)[0]


@cache
def _queue(url: str) -> tuple[huey.Huey, Callable[..., Any]]:
    """The Huey instance for ``url`` and its dispatching task."""
    if url.startswith(("redis://", "rediss://", "unix://")):
        q = huey.RedisHuey("ctd", url=url)
    elif url.startswith("sqlite:///"):
        path = Path(url.removeprefix("sqlite:///"))
        path.parent.mkdir(parents=True, exist_ok=True)
        q = huey.SqliteHuey("ctd", filename=str(path))
    else:
        raise ValueError(f"CTD_JOBS_URL : adresse non prise en charge « {url} » "
                         "(sqlite:///chemin ou redis://hôte:port/base attendus).")

    @q.task(name="ctd.run")
    def run(name: str, payload: dict[str, Any]) -> None:
        _handlers[name](**payload)

    for name, when in _periodic.items():
        q.periodic_task(when, name=f"ctd.periodic.{name}")(
            lambda name=name: _handlers[name]())
    return q, run


def enqueue(name: str, **payload: Any) -> None:
    """Hand job ``name`` to the background consumers."""
    if name not in _handlers:
        raise KeyError(name)
    _queue(load_settings().jobs_url)[1](name, payload)


def consumer(workers: int = 2, url: str | None = None) -> Consumer:
    return queue(url).create_consumer(workers=workers, worker_type="thread",
                                      check_worker_health=True)


class InProcessWorkers:
    """Consumers in threads of the current process (``ctd serve``), stopped with it."""

    def __init__(self, workers: int = 2) -> None:
        self.consumer = consumer(workers)

    def start(self) -> None:
        self.consumer.start()
        log.info("in-process job consumers started")

    def stop(self) -> None:
        stopper = threading.Thread(target=self.consumer.stop, kwargs={"graceful": True})
        stopper.start()
        stopper.join(timeout=30)
