"""Dependencies shared by the routers: the database session and who is asking."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Annotated

from fastapi import Depends, Header, Request
from sqlmodel import Session

from catalogue import auth
from catalogue.config import load_settings
from catalogue.db import get_engine
from catalogue.errors import Unauthorized


def get_session() -> Iterator[Session]:
    """A session per request; routes commit what they change, anything else is rolled back."""
    with Session(get_engine(), expire_on_commit=False) as session:
        yield session


SessionDep = Annotated[Session, Depends(get_session)]


def get_actor(session: SessionDep,
              authorization: Annotated[str | None, Header()] = None) -> auth.Actor:
    """``Authorization: Bearer <token>``; no header means the anonymous public."""
    if not authorization:
        return auth.ANONYMOUS
    scheme, _, token = authorization.partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise Unauthorized("En-tête Authorization attendu : « Bearer <jeton> ».")
    return auth.authenticate(session, token.strip())


ActorDep = Annotated[auth.Actor, Depends(get_actor)]


def base_url(request: Request) -> str:
    """Where the service is reached, for absolute links: CTD_PUBLIC_URL when set (behind a
    proxy), else the base URL the request came to."""
    return load_settings().public_url or str(request.base_url).rstrip("/")
