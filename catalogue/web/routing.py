"""What every package's pages share: a route class whose errors are French HTML pages, who the
page is for, the CSRF check of a posted form, and the sections other packages add to the
catalogue's pages.

A package's pages live in its own ``pages.py`` with ``router = page_router()``; its templates
are added to the layout with ``render.add_templates(package)``. The catalogue's dataset and
committee pages show sections that other packages register (``add_section``), so the catalogue
never imports them: quality adds its report to a dataset's page and the map and coverage matrix
to a committee's.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import Response
from fastapi.routing import APIRoute
from markupsafe import Markup
from sqlmodel import Session
from starlette.datastructures import FormData

from catalogue import auth
from catalogue.api.deps import SessionDep
from catalogue.errors import CatalogueError
from catalogue.web import session as web_session
from catalogue.web.render import error_page


class PageRoute(APIRoute):
    """A route whose errors are French HTML pages."""

    def get_route_handler(self) -> Callable:
        handler = super().get_route_handler()

        async def route(request: Request) -> Response:
            try:
                return await handler(request)
            except CatalogueError as error:
                return error_page(request, error.status, error.detail)
            except RequestValidationError:
                return error_page(request, 400, "Les paramètres de la requête ne sont pas "
                                                "valides.")
        return route


def page_router() -> APIRouter:
    return APIRouter(include_in_schema=False, route_class=PageRoute)


def page_actor(request: Request, session: SessionDep) -> auth.Actor:
    """Who the page is for: the signed-in user, else the public (kept for the layout)."""
    actor = web_session.actor(request, session)
    request.state.page_actor = actor
    return actor


PageActor = Annotated[auth.Actor, Depends(page_actor)]


async def posted_form(request: Request) -> FormData:
    """The posted form, multi-valued fields included, read in the event loop so that the
    route itself can stay synchronous (its database work then runs in a thread)."""
    return await request.form()


Posted = Annotated[FormData, Depends(posted_form)]


def refuse_forgery(request: Request, csrf: str) -> Response | None:
    """The French 403 page when a posted form's CSRF field is missing or wrong, else None."""
    if web_session.csrf_valid(request, csrf):
        return None
    return error_page(request, 403, "Le formulaire a expiré ou ne vient pas de ce site "
                                    "(jeton anti-falsification absent ou invalide). "
                                    "Rechargez la page et recommencez.")


# --- sections other packages add to the catalogue's pages ----------------------------------

# A section: (request, session, actor, the page's object) -> its HTML, or None to show nothing.
Section = Callable[[Request, Session, auth.Actor, Any], Markup | str | None]
_sections: dict[str, list[Section]] = {"dataset": [], "committee": []}


def add_section(page: str, section: Section) -> None:
    """Show ``section`` on every ``page`` ("dataset" or "committee"), after those added
    before it."""
    if section not in _sections[page]:
        _sections[page].append(section)


def sections(page: str, request: Request, session: Session, actor: auth.Actor,
             subject: Any) -> list[Markup]:
    shown = (section(request, session, actor, subject) for section in _sections[page])
    return [Markup(html) for html in shown if html]
