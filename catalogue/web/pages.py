"""The catalogue's pages: home, dataset search, a dataset, an organisation, sign-in.

They reuse the search and the catalogue's reading logic, so what a page shows is what the
API answers. Errors on these pages are French HTML pages, not problem documents.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated
from urllib.parse import urlencode

import sqlalchemy as sa
from fastapi import APIRouter, Depends, Form, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import RedirectResponse, Response
from fastapi.routing import APIRoute
from sqlmodel import select

from catalogue import auth, datasets, organizations, search
from catalogue.api.deps import SessionDep
from catalogue.errors import CatalogueError, Unauthorized
from catalogue.models import Committee, CommitteeMember, Dataset, Organization, Territory
from catalogue.vocabularies import FREQUENCIES, THEMES, DatasetState
from catalogue.web import session as web_session
from catalogue.web.render import ACCESS_TYPES, error_page, render

PAGE_SIZE = 20
EXCERPT = 220
# The filters of the search page, as the API's search takes them, with their French names.
FILTERS = {"publisher": "Producteur", "theme": "Thème", "keyword": "Mot-clé",
           "licence": "Licence", "format": "Format", "access_type": "Type d'accès"}
FACETS_SHOWN = ("publisher", "theme", "access_type", "licence", "format", "keyword")


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


router = APIRouter(include_in_schema=False, route_class=PageRoute)


def page_actor(request: Request, session: SessionDep) -> auth.Actor:
    actor = web_session.actor(request, session)
    request.state.page_actor = actor
    return actor


PageActor = Annotated[auth.Actor, Depends(page_actor)]


def _check_csrf(request: Request, csrf: str) -> Response | None:
    if web_session.csrf_valid(request, csrf):
        return None
    return error_page(request, 403, "Le formulaire a expiré ou ne vient pas de ce site "
                                    "(jeton anti-falsification absent ou invalide). "
                                    "Rechargez la page et recommencez.")


# --- home -----------------------------------------------------------------------------------

@router.get("/")
def home(request: Request, session: SessionDep, actor: PageActor):
    count = sa.func.count()
    counts = {
        "datasets": session.exec(select(count).select_from(Dataset).where(
            Dataset.state == DatasetState.published)).one(),
        "organizations": session.exec(select(count).select_from(Organization)).one(),
        "committees": session.exec(select(count).select_from(Committee)).one(),
    }
    committees = session.exec(select(Committee).order_by(Committee.name)).all()
    return render(request, "home.html", actor=actor, current="home", counts=counts,
                  committees=committees)


# --- search ---------------------------------------------------------------------------------

def _filters(request: Request) -> dict[str, list[str]]:
    params = request.query_params
    return {name: [v for v in params.getlist(name) if v] for name in FILTERS}


def _url(q: str | None, filters: dict[str, list[str]], territory: str | None,
         cursor: str | None = None) -> str:
    items: list[tuple[str, str]] = [("q", q)] if q else []
    for name, values in filters.items():
        items += [(name, v) for v in values]
    if territory:
        items.append(("territory", territory))
    if cursor:
        items.append(("cursor", cursor))
    return "/jeux-de-donnees" + (f"?{urlencode(items)}" if items else "")


def _toggled(filters: dict[str, list[str]], name: str, value: str) -> dict[str, list[str]]:
    """The filters with ``value`` of ``name`` added, or removed if it was there."""
    changed = {k: list(v) for k, v in filters.items()}
    if value in changed[name]:
        changed[name].remove(value)
    else:
        changed[name].append(value)
    return changed


def _excerpt(text: str) -> str:
    text = " ".join(text.split())
    if len(text) <= EXCERPT:
        return text
    return text[:EXCERPT].rsplit(" ", 1)[0] + " …"


@router.get("/jeux-de-donnees")
def search_page(request: Request, session: SessionDep, actor: PageActor,
                q: str | None = None, territory: str | None = None,
                cursor: str | None = None):
    filters = _filters(request)
    q = (q or "").strip() or None
    territory = (territory or "").strip() or None
    page = search.search(session, search.SearchQuery(
        q=q, territory=territory, cursor=cursor, limit=PAGE_SIZE, facets=FACETS_SHOWN,
        facet_limit=15, **filters))
    results = datasets.to_out(session, actor, page.datasets)
    labels = {name: {v.value: v.label for v in values} for name, values in page.facets.items()}
    labels["access_type"] = ACCESS_TYPES
    facets = []
    for name in FACETS_SHOWN:
        values = page.facets.get(name, [])
        facets.append({
            "name": name, "title": FILTERS[name],
            "values": [{"value": v.value, "label": labels[name].get(v.value, v.label),
                        "count": v.count, "active": v.value in filters[name],
                        "url": _url(q, _toggled(filters, name, v.value), territory)}
                       for v in values],
        })
    active = [{"title": FILTERS[name], "label": labels.get(name, {}).get(value, value),
               "url": _url(q, _toggled(filters, name, value), territory)}
              for name, values in filters.items() for value in values]
    if territory:
        active.append({"title": "Territoire", "label": territory,
                       "url": _url(q, filters, None)})
    if q:
        active.append({"title": "Recherche", "label": q, "url": _url(None, filters, territory)})
    hidden = [(name, value) for name, values in filters.items() for value in values]
    if territory:
        hidden.append(("territory", territory))
    return render(
        request, "search.html", actor=actor, current="search", q=q or "", total=page.total,
        results=[{"dataset": d, "excerpt": _excerpt(d.description)} for d in results],
        facets=facets, active=active, hidden=hidden,
        next_url=_url(q, filters, territory, page.next_cursor) if page.next_cursor else None,
        first_url=_url(q, filters, territory) if cursor else None)


# --- a dataset ------------------------------------------------------------------------------

@router.get("/jeux-de-donnees/{slug}")
def dataset_page(slug: str, request: Request, session: SessionDep, actor: PageActor):
    dataset = datasets.find(session, actor, slug)
    out = datasets.to_out(session, actor, [dataset])[0]
    zones = out.spatial.zones if out.spatial else []
    names = dict(session.exec(select(Territory.id, Territory.name).where(
        Territory.id.in_(zones))).all()) if zones else {}
    coverage = [f"{names[z]} ({out.spatial.insee_codes[i]})" if z in names
                else out.spatial.insee_codes[i] for i, z in enumerate(zones)]
    return render(
        request, "dataset.html", actor=actor, current="search", d=out,
        can_read_files=datasets.can_read_files(actor, dataset), coverage=coverage,
        themes=[(t, THEMES.get(t, t)) for t in out.themes],
        frequency=FREQUENCIES.get(out.frequency, out.frequency) if out.frequency else None)


# --- an organisation ------------------------------------------------------------------------

@router.get("/organisations/{slug}")
def organization_page(slug: str, request: Request, session: SessionDep, actor: PageActor):
    org = organizations.find(session, slug)
    published = session.exec(select(Dataset.slug, Dataset.title, Dataset.access_type).where(
        Dataset.publisher_id == org.id, Dataset.state == DatasetState.published)
        .order_by(Dataset.title)).all()
    committees = session.exec(
        select(Committee.slug, Committee.name, CommitteeMember.role)
        .join(CommitteeMember, CommitteeMember.committee_id == Committee.id)
        .where(CommitteeMember.organization_id == org.id).order_by(Committee.name)).all()
    return render(request, "organization.html", actor=actor, org=org, published=published,
                  committees=committees)


# --- sign-in and sign-out -------------------------------------------------------------------

@router.get("/connexion")
def sign_in_form(request: Request, actor: PageActor):
    return render(request, "signin.html", actor=actor, current="signin", error=None)


@router.post("/connexion")
def sign_in(request: Request, session: SessionDep,
            token: Annotated[str, Form()] = "", csrf: Annotated[str, Form()] = ""):
    request.state.page_actor = web_session.actor(request, session)
    if refused := _check_csrf(request, csrf):
        return refused
    token = token.strip()
    try:
        if not token:
            raise Unauthorized("Collez votre jeton d'accès dans le champ « Jeton d'accès ».")
        actor = auth.authenticate(session, token)
    except Unauthorized as error:
        message = ("Jeton d'accès inconnu ou révoqué : vérifiez que vous l'avez copié en "
                   "entier (il commence par « ctd_ »)." if token else error.detail)
        return render(request, "signin.html", status=401, current="signin", error=message)
    response = RedirectResponse("/", status_code=303)
    web_session.sign_in(request, response, token)
    request.state.page_actor = actor
    return response


@router.post("/deconnexion")
def sign_out(request: Request, session: SessionDep, csrf: Annotated[str, Form()] = ""):
    request.state.page_actor = web_session.actor(request, session)
    if refused := _check_csrf(request, csrf):
        return refused
    response = RedirectResponse("/", status_code=303)
    web_session.sign_out(request, response)
    return response
