"""The catalogue's pages: home, dataset search, a dataset, an organisation, a committee's
dashboard, sign-in.

They reuse the search and the catalogue's reading logic, so what a page shows is what the
API answers. Errors on these pages are French HTML pages, not problem documents.
"""

from __future__ import annotations

from typing import Annotated
from urllib.parse import urlencode

import sqlalchemy as sa
from fastapi import File, Form, Request, UploadFile
from fastapi.responses import RedirectResponse
from pydantic import ValidationError
from sqlmodel import Session, select

from catalogue import auth, committees, datasets, organizations, resources, roadmaps, search
from catalogue.api.deps import SessionDep
from catalogue.errors import CatalogueError, Unauthorized
from catalogue.models import (
    Committee,
    CommitteeMember,
    Dataset,
    Licence,
    Organization,
    Territory,
)
from catalogue.schemas import DatasetCreate
from catalogue.vocabularies import FREQUENCIES, THEMES, DatasetState
from catalogue.web import session as web_session
from catalogue.web.forms import errors_by_field
from catalogue.web.render import ACCESS_TYPES, error_page, render
from catalogue.web.routing import PageActor, Posted, page_router, refuse_forgery, sections

PAGE_SIZE = 20
EXCERPT = 220
# The filters of the search page, as the API's search takes them, with their French names.
FILTERS = {"publisher": "Producteur", "theme": "Thème", "keyword": "Mot-clé",
           "licence": "Licence", "format": "Format", "access_type": "Type d'accès"}
FACETS_SHOWN = ("publisher", "theme", "access_type", "licence", "format", "keyword")


router = page_router()


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

DONE = {"publie": "Le jeu de données est enregistré. Ajoutez-lui maintenant ses fichiers.",
        "fichier": "Le fichier est déposé. Son analyse de qualité démarre : le rapport "
                   "s'affiche plus bas dès qu'elle est finie."}


@router.get("/jeux-de-donnees/{slug}")
def dataset_page(slug: str, request: Request, session: SessionDep, actor: PageActor):
    return _dataset_view(request, session, actor, datasets.find(session, actor, slug))


def _dataset_view(request: Request, session: Session, actor: auth.Actor, dataset: Dataset,
                  upload_error: str | None = None):
    out = datasets.to_out(session, actor, [dataset])[0]
    zones = out.spatial.zones if out.spatial else []
    names = dict(session.exec(select(Territory.id, Territory.name).where(
        Territory.id.in_(zones))).all()) if zones else {}
    coverage = [f"{names[z]} ({out.spatial.insee_codes[i]})" if z in names
                else out.spatial.insee_codes[i] for i, z in enumerate(zones)]
    return render(
        request, "dataset.html", actor=actor, current="search", d=out,
        can_read_files=datasets.can_read_files(actor, dataset), coverage=coverage,
        can_publish=actor.publishes_for(dataset.publisher_id), upload_error=upload_error,
        done=DONE.get(request.query_params.get("fait", "")),
        status=422 if upload_error else 200,
        sections=sections("dataset", request, session, actor, dataset),
        themes=[(t, THEMES.get(t, t)) for t in out.themes],
        frequency=FREQUENCIES.get(out.frequency, out.frequency) if out.frequency else None)


# --- publishing a dataset and its files ----------------------------------------------------

PERSONAL_DATA = {"unknown": "je ne sais pas", "no": "non", "yes": "oui"}
STATES = {"draft": "brouillon (visible du producteur seulement)", "published": "publié"}
# The publishing form's fields (DatasetCreate's), in French.
PUBLISH_FIELDS = {"title": "Titre", "publisher": "Producteur", "description": "Description",
                  "licence": "Licence", "access_type": "Type d'accès",
                  "contains_personal_data": "Données personnelles", "themes": "Thèmes",
                  "keywords": "Mots-clés", "frequency": "Fréquence", "state": "État"}


def _publishable(session: Session, actor: auth.Actor) -> list[Organization]:
    """The organisations ``actor`` may publish for."""
    query = select(Organization).order_by(Organization.name)
    if not actor.admin:
        query = query.where(Organization.id.in_(actor.publisher_of))
    return list(session.exec(query).all())


def _publish_form(request: Request, session: Session, actor: auth.Actor, values: dict,
                  errors: dict[str, str] | None = None, status: int = 200):
    organizations_allowed = _publishable(session, actor)
    if not organizations_allowed:
        return error_page(request, 403, "Seuls les référents données d'une organisation "
                                        "peuvent y publier un jeu de données.")
    return render(request, "publish.html", status=status, actor=actor, current="publish",
                  values=values, errors=errors or {}, organizations=organizations_allowed,
                  licences=session.exec(select(Licence).order_by(Licence.title)).all(),
                  themes=THEMES, frequencies=FREQUENCIES, personal_data=PERSONAL_DATA,
                  states=STATES, fields=PUBLISH_FIELDS)


@router.get("/publier")
def publish_form(request: Request, session: SessionDep, actor: PageActor):
    if actor.anonymous:
        return error_page(request, 401, "Connectez-vous pour publier un jeu de données.")
    return _publish_form(request, session, actor, {"access_type": "open", "state": "draft",
                                                   "contains_personal_data": "unknown"})


@router.post("/publier")
def publish(request: Request, session: SessionDep, actor: PageActor, form: Posted):
    if refused := refuse_forgery(request, str(form.get("csrf", ""))):
        return refused
    values = {name: str(form.get(name, "")).strip() for name in (
        "title", "description", "publisher", "licence", "access_type", "frequency",
        "contains_personal_data", "state", "keywords")}
    values["themes"] = [str(t) for t in form.getlist("themes")]
    try:
        given = {name: value for name, value in values.items() if value}
        given["keywords"] = [k.strip() for k in values["keywords"].split(",") if k.strip()]
        data = DatasetCreate(**given)
        dataset = datasets.create(session, actor, data)
        session.commit()
    except (ValidationError, CatalogueError) as error:
        session.rollback()
        if isinstance(error, CatalogueError) and error.status in (401, 403):
            raise
        return _publish_form(request, session, actor, values,
                             errors_by_field(error, fields=PUBLISH_FIELDS), status=422)
    return RedirectResponse(f"/jeux-de-donnees/{dataset.slug}?fait=publie", status_code=303)


@router.post("/jeux-de-donnees/{slug}/fichiers")
def upload(slug: str, request: Request, session: SessionDep, actor: PageActor,
           file: Annotated[UploadFile | None, File()] = None,
           title: Annotated[str, Form()] = "", csrf: Annotated[str, Form()] = ""):
    """A file added to a dataset by its publisher; its quality scan starts once stored."""
    if refused := refuse_forgery(request, csrf):
        return refused
    dataset = datasets.find(session, actor, slug)
    try:
        if file is None or not file.filename:
            raise CatalogueError("Choisissez un fichier à déposer.")
        resources.create_upload(
            session, actor, dataset, file.file, file.filename, title=title.strip() or None,
            media_type=file.content_type if file.content_type != "application/octet-stream"
            else None)
        session.commit()
    except CatalogueError as error:
        session.rollback()
        if error.status in (401, 403, 404):
            raise
        return _dataset_view(request, session, actor, dataset, upload_error=error.detail)
    return RedirectResponse(f"/jeux-de-donnees/{slug}?fait=fichier#ressources", status_code=303)


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


# --- a committee's dashboard ----------------------------------------------------------------

USE_CASE_STATUSES = {"proposed": "proposé", "in_progress": "en cours", "done": "réalisé",
                     "abandoned": "abandonné"}
ROADMAP_DATASET_STATUSES = {"planned": "prévu", "in_progress": "en préparation",
                            "published": "publié"}


@router.get("/comites/{slug}")
def committee_page(slug: str, request: Request, session: SessionDep, actor: PageActor):
    """Members, the sections other packages add (map, reference-data coverage…), and the
    roadmap: use cases with their territory and budget, priority datasets."""
    committee = committees.find(session, slug)
    roadmap = roadmaps.to_out(session, committee)
    zones = {z for use_case in roadmap.use_cases for z in use_case.zones}
    zone_names = dict(session.exec(select(Territory.id, Territory.name).where(
        Territory.id.in_(zones))).all()) if zones else {}
    return render(
        request, "committee.html", actor=actor, committee=committee,
        members=committees.members(session, committee), roadmap=roadmap,
        zone_names=zone_names, use_case_statuses=USE_CASE_STATUSES,
        dataset_statuses=ROADMAP_DATASET_STATUSES,
        sections=sections("committee", request, session, actor, committee))


# --- sign-in and sign-out -------------------------------------------------------------------

@router.get("/connexion")
def sign_in_form(request: Request, actor: PageActor):
    return render(request, "signin.html", actor=actor, current="signin", error=None)


@router.post("/connexion")
def sign_in(request: Request, session: SessionDep,
            token: Annotated[str, Form()] = "", csrf: Annotated[str, Form()] = ""):
    request.state.page_actor = web_session.actor(request, session)
    if refused := refuse_forgery(request, csrf):
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
    if refused := refuse_forgery(request, csrf):
        return refused
    response = RedirectResponse("/", status_code=303)
    web_session.sign_out(request, response)
    return response
