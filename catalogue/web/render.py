"""The Jinja environment of the pages and the response helpers every page uses."""

from __future__ import annotations

from datetime import date, datetime

from fastapi import Request
from fastapi.responses import HTMLResponse
from jinja2 import ChoiceLoader, Environment, PackageLoader, pass_context, select_autoescape
from markupsafe import Markup

from catalogue import auth
from catalogue.vocabularies import ACCESS_TYPE_LABELS
from catalogue.web import session as web_session

MONTHS = ("janvier", "février", "mars", "avril", "mai", "juin", "juillet", "août",
          "septembre", "octobre", "novembre", "décembre")
ACCESS_TYPES = ACCESS_TYPE_LABELS
ORGANIZATION_KINDS = {
    "commune": "commune", "epci": "intercommunalité (EPCI)", "departement": "département",
    "region": "région", "syndicat": "syndicat", "opsn": "opérateur public de services numériques",
    "state_service": "service de l'État", "committee": "comité", "company": "entreprise",
}
MEMBER_ROLES = {"member": "membre", "observer": "observateur", "partner": "partenaire"}


def french_date(value: date | datetime | None) -> str:
    if value is None:
        return ""
    day = "1er" if value.day == 1 else str(value.day)
    return f"{day} {MONTHS[value.month - 1]} {value.year}"


def french_number(value: int | float | None) -> str:
    if value is None:
        return ""
    text = f"{value:,.0f}" if isinstance(value, int) or float(value).is_integer() \
        else f"{value:,.1f}"
    return text.replace(",", "\u202f").replace(".", ",")


def file_size(size: int | None) -> str:
    if size is None:
        return "taille inconnue"
    for unit in ("octets", "Ko", "Mo", "Go"):
        if size < 1024 or unit == "Go":
            return f"{french_number(size if unit == 'octets' else round(size, 1))} {unit}"
        size /= 1024
    return ""


def label(value, labels: dict) -> str:
    return labels.get(str(value), str(value))


@pass_context
def csrf_field(context) -> Markup:
    """``{{ csrf_field() }}`` in a form: the hidden CSRF field the POST is checked against."""
    token = web_session.csrf_token(context["request"])
    return Markup('<input type="hidden" name="{}" value="{}">').format(
        web_session.CSRF_FIELD, token)


loader = ChoiceLoader([PackageLoader("catalogue.web", "templates")])
env = Environment(loader=loader, autoescape=select_autoescape(["html"]),
                  trim_blocks=True, lstrip_blocks=True)
env.filters.update(french_date=french_date, french_number=french_number, file_size=file_size,
                   label=label)
env.globals.update(csrf_field=csrf_field, access_types=ACCESS_TYPES, member_roles=MEMBER_ROLES,
                   organization_kinds=ORGANIZATION_KINDS, site_name="ctd")


def add_templates(package: str, directory: str = "templates") -> None:
    """Let ``package``'s templates (which may extend ``base.html``) be rendered here; the
    catalogue's own templates keep their names."""
    if not any(isinstance(known, PackageLoader) and known.package_name == package
               for known in loader.loaders):
        loader.loaders.append(PackageLoader(package, directory))


def render(request: Request, template: str, *, status: int = 200,
           actor: auth.Actor | None = None, **context) -> HTMLResponse:
    """The page ``template`` with the layout's context (who is signed in, the CSRF field)."""
    if actor is None:
        actor = getattr(request.state, "page_actor", auth.ANONYMOUS)
    html = env.get_template(template).render(request=request, actor=actor, **context)
    response = HTMLResponse(html, status_code=status)
    web_session.set_csrf_cookie(request, response)
    response.headers["Cache-Control"] = "no-store" if not actor.anonymous else "no-cache"
    return response


def error_page(request: Request, status: int, message: str) -> HTMLResponse:
    titles = {400: "Requête incorrecte", 401: "Connexion requise",
              403: "Accès refusé", 404: "Page introuvable", 409: "Conflit",
              413: "Fichier trop volumineux",
              422: "Requête incorrecte", 500: "Erreur interne"}
    return render(request, "error.html", status=status,
                  title=titles.get(status, "Erreur"), code=status, message=message)
