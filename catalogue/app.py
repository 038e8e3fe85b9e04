"""The FastAPI application, composed from the packages' routers."""

from __future__ import annotations

from pathlib import Path

from fastapi import FastAPI
from fastapi.staticfiles import StaticFiles

from catalogue.api import (
    ckan,
    committees,
    datasets,
    dcat,
    organizations,
    problems,
    reference,
    resources,
    roadmap,
)
from catalogue.config import load_settings
from catalogue.web import pages
from connectors import api as harvest_api
from connectors import background as harvest_background
from connectors import pages as harvest_pages
from quality import api as quality_api
from quality import background as quality_background
from quality import pages as quality_pages
from sharing_agreements import api as agreements_api
from sharing_agreements import background as agreements_background
from sharing_agreements import pages as agreements_pages

DESCRIPTION = """Catalogue d'un Comité territorial de la donnée : organisations, comités,
jeux de données et ressources. Errors are RFC 9457 problem documents."""


def create_app() -> FastAPI:
    settings = load_settings()
    app = FastAPI(title="ctd", version="0.1.0", description=DESCRIPTION)
    problems.install(app)
    for module in (organizations, committees, roadmap, datasets, resources, reference, ckan, dcat,
                   harvest_api, quality_api, agreements_api):
        app.include_router(module.router)
    for module in (pages, harvest_pages, quality_pages, agreements_pages):
        app.include_router(module.router)
    quality_pages.install()
    app.mount("/static", StaticFiles(directory=Path(pages.__file__).parent / "static"),
              name="static")
    harvest_background.install()
    quality_background.install()
    agreements_background.install()

    @app.get("/healthz", tags=["meta"])
    def healthz() -> dict[str, str]:
        return {"status": "ok"}

    # Leave room for the multipart envelope around a file of the maximum size.
    app.add_middleware(problems.BodyLimit, limit=settings.max_upload_bytes + 64 * 1024)
    return app
