"""The database: engine, sessions and migrations (Alembic)."""

from __future__ import annotations

import secrets
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from functools import cache
from pathlib import Path

import sqlalchemy as sa
from alembic import command
from alembic.config import Config
from sqlmodel import Session

from catalogue.config import load_settings

MIGRATIONS = Path(__file__).parent / "migrations"


def get_engine(url: str | None = None) -> sa.Engine:
    """One engine per database URL (the configured one by default)."""
    return _engine(url or load_settings().database_url)


@cache
def _engine(url: str) -> sa.Engine:
    if url.startswith("sqlite"):
        path = sa.engine.make_url(url).database
        if path and path != ":memory:":
            Path(path).parent.mkdir(parents=True, exist_ok=True)
        engine = sa.create_engine(url, connect_args={"check_same_thread": False, "timeout": 30})
        sa.event.listen(engine, "connect", _sqlite_pragmas)
    else:
        engine = sa.create_engine(url, pool_pre_ping=True, pool_size=10, max_overflow=10)
    return engine


def _sqlite_pragmas(dbapi_connection, _record) -> None:
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA foreign_keys = ON")
    cursor.execute("PRAGMA journal_mode = WAL")
    cursor.execute("PRAGMA synchronous = NORMAL")
    cursor.close()


def is_postgres(bind: sa.Engine | sa.Connection | Session) -> bool:
    return bind.get_bind().dialect.name == "postgresql" if isinstance(bind, Session) else (
        bind.dialect.name == "postgresql"
    )


@contextmanager
def session_scope(url: str | None = None) -> Iterator[Session]:
    """A session that commits on success and rolls back on any error."""
    with Session(get_engine(url), expire_on_commit=False) as session:
        try:
            yield session
            session.commit()
        except BaseException:
            session.rollback()
            raise


def upgrade(url: str | None = None) -> None:
    """Bring the schema to the newest migration, then load the reference data it needs."""
    engine = get_engine(url)
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    with engine.begin() as connection:
        config.attributes["connection"] = connection
        command.upgrade(config, "head")
    from catalogue import territories

    with session_scope(url) as session:
        territories.load_reference(session)


def scratch_database(server_url: str, prefix: str) -> tuple[str, Callable[[], None]]:
    """Create a PostgreSQL database of one's own on a server (for a test run or a benchmark);
    return its URL and the function that drops it."""
    name = f"{prefix}_{secrets.token_hex(4)}"
    admin = sa.create_engine(server_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(sa.text(f'CREATE DATABASE "{name}"'))
    url = sa.engine.make_url(server_url).set(database=name).render_as_string(
        hide_password=False)

    def drop() -> None:
        get_engine(url).dispose()
        with admin.connect() as connection:
            connection.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()

    return url, drop
