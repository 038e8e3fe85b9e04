from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, File, Form, Query, Request, Response, UploadFile
from sqlmodel import Session

from catalogue import datasets, resources, search
from catalogue.api.deps import ActorDep, SessionDep
from catalogue.auth import Actor
from catalogue.schemas import (
    DatasetCreate,
    DatasetOut,
    DatasetUpdate,
    ResourceCreate,
    ResourceOut,
    SearchOut,
)
from catalogue.vocabularies import ResourceType

router = APIRouter(prefix="/api/v1/datasets", tags=["datasets"])
Many = Annotated[list[str], Query()]
PAGE_MAX = 100


@router.get("", response_model=SearchOut)
def search_datasets(
    request: Request, session: SessionDep, actor: ActorDep,
    q: str | None = None,
    publisher: Many = (), committee: Many = (), theme: Many = (), keyword: Many = (),
    licence: Many = (), format: Many = (), access_type: Many = (),
    territory: Annotated[str | None, Query(description="INSEE code or zone id")] = None,
    bbox: Annotated[str | None, Query(description="minx,miny,maxx,maxy (WGS84)")] = None,
    point: Annotated[str | None, Query(description="lon,lat (WGS84): the datasets whose "
                                                   "coverage contains this place")] = None,
    sort: Annotated[str | None, Query(description=", ".join(search.SORTS))] = None,
    cursor: str | None = None,
    limit: Annotated[int, Query(ge=1, le=PAGE_MAX)] = 20,
):
    """Published datasets matching a French full-text query and filters, with facet counts.
    Values of one filter are alternatives; different filters all apply."""
    page = search.search(session, search.SearchQuery(
        q=q, publisher=list(publisher), committee=list(committee), theme=list(theme),
        keyword=list(keyword), licence=list(licence), format=list(format),
        access_type=list(access_type), territory=territory, bbox=bbox, point=point, sort=sort,
        cursor=cursor, limit=limit))
    return search_out(session, actor, request, page)


def search_out(session: Session, actor: Actor, request: Request,
               page: search.SearchPage) -> SearchOut:
    """A page of search results, with the URL of the next page."""
    next_url = (str(request.url.include_query_params(cursor=page.next_cursor))
                if page.next_cursor else None)
    return SearchOut(total=page.total, datasets=datasets.to_out(session, actor, page.datasets),
                     facets={k: [vars(v) for v in values] for k, values in page.facets.items()},
                     next_cursor=page.next_cursor, next=next_url)


@router.post("", response_model=DatasetOut, status_code=201)
def create_dataset(data: DatasetCreate, session: SessionDep, actor: ActorDep):
    dataset = datasets.create(session, actor, data)
    session.commit()
    return datasets.to_out(session, actor, [dataset], with_geometry=True)[0]


@router.get("/{ref}", response_model=DatasetOut)
def read_dataset(ref: str, session: SessionDep, actor: ActorDep):
    dataset = datasets.find(session, actor, ref)
    return datasets.to_out(session, actor, [dataset], with_geometry=True)[0]


@router.patch("/{ref}", response_model=DatasetOut)
def update_dataset(ref: str, data: DatasetUpdate, session: SessionDep, actor: ActorDep):
    dataset = datasets.update(session, actor, datasets.find(session, actor, ref), data)
    session.commit()
    return datasets.to_out(session, actor, [dataset], with_geometry=True)[0]


@router.delete("/{ref}", status_code=204)
def delete_dataset(ref: str, session: SessionDep, actor: ActorDep):
    datasets.delete(session, actor, datasets.find(session, actor, ref))
    session.commit()
    return Response(status_code=204)


@router.get("/{ref}/resources", response_model=list[ResourceOut])
def list_resources(ref: str, session: SessionDep, actor: ActorDep):
    dataset = datasets.find(session, actor, ref)
    return [resources.to_out(r, dataset, actor) for r in resources.list_for(session, dataset)]


@router.post("/{ref}/resources", response_model=ResourceOut, status_code=201)
def create_resource_link(ref: str, data: ResourceCreate, session: SessionDep, actor: ActorDep):
    """A resource pointing to a remote file or API."""
    dataset = datasets.find(session, actor, ref)
    resource = resources.create_link(session, actor, dataset, data)
    session.commit()
    return resources.to_out(resource, dataset, actor)


@router.post("/{ref}/resources/upload", response_model=ResourceOut, status_code=201)
def upload_resource(
    ref: str, session: SessionDep, actor: ActorDep,
    file: Annotated[UploadFile, File(description="The file (size capped by "
                                                 "CTD_MAX_UPLOAD_BYTES)")],
    title: Annotated[str | None, Form(max_length=500)] = None,
    description: Annotated[str, Form()] = "",
    type: Annotated[ResourceType, Form()] = ResourceType.main,
):
    """A resource whose file is uploaded and kept by ctd."""
    dataset = datasets.find(session, actor, ref)
    resource = resources.create_upload(
        session, actor, dataset, file.file, file.filename or "", title=title,
        description=description, type=type,
        media_type=file.content_type if file.content_type != "application/octet-stream"
        else None)
    session.commit()
    return resources.to_out(resource, dataset, actor)
