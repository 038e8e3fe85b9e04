from __future__ import annotations

from fastapi import APIRouter, Response

from catalogue import organizations
from catalogue.api.deps import ActorDep, SessionDep
from catalogue.schemas import OrganizationCreate, OrganizationOut, OrganizationUpdate
from catalogue.vocabularies import OrganizationKind

router = APIRouter(prefix="/api/v1/organizations", tags=["organizations"])


@router.get("", response_model=list[OrganizationOut])
def list_organizations(session: SessionDep, kind: OrganizationKind | None = None):
    return [organizations.to_out(o) for o in organizations.list_all(session, kind)]


@router.post("", response_model=OrganizationOut, status_code=201)
def create_organization(data: OrganizationCreate, session: SessionDep, actor: ActorDep):
    org = organizations.create(session, actor, data)
    session.commit()
    return organizations.to_out(org, with_geometry=True)


@router.get("/{ref}", response_model=OrganizationOut)
def read_organization(ref: str, session: SessionDep):
    return organizations.to_out(organizations.find(session, ref), with_geometry=True)


@router.patch("/{ref}", response_model=OrganizationOut)
def update_organization(ref: str, data: OrganizationUpdate, session: SessionDep,
                        actor: ActorDep):
    org = organizations.update(session, actor, organizations.find(session, ref), data)
    session.commit()
    return organizations.to_out(org, with_geometry=True)


@router.delete("/{ref}", status_code=204)
def delete_organization(ref: str, session: SessionDep, actor: ActorDep):
    organizations.delete(session, actor, organizations.find(session, ref))
    session.commit()
    return Response(status_code=204)
