from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path, Response
from fastapi.responses import FileResponse

from catalogue import resources
from catalogue.api.deps import ActorDep, SessionDep
from catalogue.schemas import ResourceOut, ResourceUpdate
from catalogue.slugs import MAX_ID

router = APIRouter(prefix="/api/v1/resources", tags=["resources"])
ResourceId = Annotated[int, Path(ge=1, le=MAX_ID)]


@router.get("/{resource_id}", response_model=ResourceOut)
def read_resource(resource_id: ResourceId, session: SessionDep, actor: ActorDep):
    resource, dataset = resources.find(session, actor, resource_id)
    return resources.to_out(resource, dataset, actor)


@router.patch("/{resource_id}", response_model=ResourceOut)
def update_resource(resource_id: ResourceId, data: ResourceUpdate, session: SessionDep,
                    actor: ActorDep):
    resource, dataset = resources.find(session, actor, resource_id)
    resources.update(session, actor, resource, dataset, data)
    session.commit()
    return resources.to_out(resource, dataset, actor)


@router.delete("/{resource_id}", status_code=204)
def delete_resource(resource_id: ResourceId, session: SessionDep, actor: ActorDep):
    resource, dataset = resources.find(session, actor, resource_id)
    resources.delete(session, actor, resource, dataset)
    session.commit()
    return Response(status_code=204)


@router.get("/{resource_id}/download")
def download_resource(resource_id: ResourceId, session: SessionDep, actor: ActorDep):
    resource, dataset = resources.find(session, actor, resource_id)
    path = resources.file_to_serve(actor, resource, dataset)
    return FileResponse(path, media_type=resource.media_type or "application/octet-stream",
                        filename=path.name)
