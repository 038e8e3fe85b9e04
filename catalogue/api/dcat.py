"""DCAT-AP 3.0.0 export: the catalogue, paged with Hydra, and each dataset, in Turtle,
JSON-LD and RDF/XML. Documents are streamed as they are built (see catalogue.dcat)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Request
from fastapi.responses import StreamingResponse

from catalogue import datasets, dcat
from catalogue.api.deps import ActorDep, SessionDep, base_url

router = APIRouter(tags=["dcat"])

# extension: (rdflib format, media type of the response)
FORMATS = {
    "ttl": ("turtle", "text/turtle; charset=utf-8"),
    "jsonld": ("json-ld", "application/ld+json"),
    "rdf": ("xml", "application/rdf+xml"),
}
ACCEPTED = {"text/turtle": "ttl", "application/ld+json": "jsonld", "application/rdf+xml": "rdf"}
# Far beyond any catalogue, and small enough that the offset stays a 64-bit integer.
MAX_PAGE = 1_000_000_000

Page = Annotated[int, Query(ge=1, le=MAX_PAGE)]
ItemsPerPage = Annotated[int, Query(ge=1, le=dcat.MAX_ITEMS_PER_PAGE)]
Since = Annotated[str | None, Query(description="ISO 8601 date or date-time: only datasets "
                                                "modified since then")]


def _base(request: Request) -> str:
    return dcat.safe_iri(base_url(request))


def negotiate(accept: str | None) -> str:
    """The extension of the format the client prefers by its Accept header; Turtle when it
    names none of ours."""
    chosen, best = "ttl", 0.0
    for item in (accept or "").split(","):
        media_type, *params = (part.strip() for part in item.split(";"))
        quality = 1.0
        for param in params:
            name, _, value = param.partition("=")
            if name.strip().lower() == "q":
                try:
                    quality = float(value)
                except ValueError:
                    quality = 0.0
        extension = ACCEPTED.get(media_type.lower())
        if extension and quality > best:
            chosen, best = extension, quality
    return chosen


def _stream(graphs, extension: str, headers: dict[str, str] | None = None):
    fmt, media_type = FORMATS[extension]
    return StreamingResponse(dcat.serialise(graphs, fmt), media_type=media_type,
                             headers=headers)


def _catalog_route(extension: str | None):
    def catalog(request: Request, session: SessionDep, page: Page = 1,
                items_per_page: ItemsPerPage = 100, modified_since: Since = None):
        query = dcat.CatalogPage(
            base=_base(request), path=request.url.path, page=page,
            items_per_page=items_per_page,
            modified_since=dcat.parse_since(modified_since) if modified_since else None)
        # Built as the response streams: the session, a request-scoped dependency, stays
        # open until the response is sent.
        graphs = dcat.catalog_graphs(session, query)
        if extension is None:
            return _stream(graphs, negotiate(request.headers.get("accept")), {"Vary": "Accept"})
        return _stream(graphs, extension)

    return catalog


def _dataset_route(extension: str):
    def dataset(slug: str, request: Request, session: SessionDep, actor: ActorDep):
        found = datasets.find(session, actor, slug)
        graph = dcat.datasets_graph(session, [found], _base(request), actor)
        return _stream([graph], extension)

    return dataset


router.add_api_route(
    "/catalog", _catalog_route(None), methods=["GET"], name="catalog",
    description="The published catalogue in DCAT-AP 3.0.0, paged with Hydra; the format "
                "follows the Accept header (text/turtle by default, application/ld+json, "
                "application/rdf+xml).")
for _extension in FORMATS:
    router.add_api_route(
        f"/catalog.{_extension}", _catalog_route(_extension), methods=["GET"],
        name=f"catalog_{_extension}",
        description=f"The published catalogue in DCAT-AP 3.0.0 ({FORMATS[_extension][1]}), "
                    "paged with Hydra.")
    router.add_api_route(
        f"/datasets/{{slug}}.{_extension}", _dataset_route(_extension), methods=["GET"],
        name=f"dataset_{_extension}",
        description=f"One dataset in DCAT-AP 3.0.0 ({FORMATS[_extension][1]}); drafts only "
                    "for their publisher.")
