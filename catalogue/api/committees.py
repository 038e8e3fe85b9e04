from __future__ import annotations

from fastapi import APIRouter, Response

from catalogue import committees
from catalogue.api.deps import ActorDep, SessionDep
from catalogue.schemas import CommitteeCreate, CommitteeOut, CommitteeUpdate, MemberIn
from catalogue.vocabularies import MemberRole

router = APIRouter(prefix="/api/v1/committees", tags=["committees"])


@router.get("", response_model=list[CommitteeOut])
def list_committees(session: SessionDep):
    return [committees.to_out(session, c) for c in committees.list_all(session)]


@router.post("", response_model=CommitteeOut, status_code=201)
def create_committee(data: CommitteeCreate, session: SessionDep, actor: ActorDep):
    committee = committees.create(session, actor, data)
    session.commit()
    return committees.to_out(session, committee, with_geometry=True)


@router.get("/{ref}", response_model=CommitteeOut)
def read_committee(ref: str, session: SessionDep):
    return committees.to_out(session, committees.find(session, ref), with_geometry=True)


@router.patch("/{ref}", response_model=CommitteeOut)
def update_committee(ref: str, data: CommitteeUpdate, session: SessionDep, actor: ActorDep):
    committee = committees.update(session, actor, committees.find(session, ref), data)
    session.commit()
    return committees.to_out(session, committee, with_geometry=True)


@router.delete("/{ref}", status_code=204)
def delete_committee(ref: str, session: SessionDep, actor: ActorDep):
    committees.delete(session, actor, committees.find(session, ref))
    session.commit()
    return Response(status_code=204)


@router.put("/{ref}/members/{organization}", response_model=CommitteeOut)
def set_member(ref: str, organization: str, session: SessionDep, actor: ActorDep,
               role: MemberRole = MemberRole.member):
    committee = committees.find(session, ref)
    committees.set_member(session, actor, committee,
                          MemberIn(organization=organization, role=role))
    session.commit()
    return committees.to_out(session, committee, with_geometry=True)


@router.delete("/{ref}/members/{organization}", response_model=CommitteeOut)
def remove_member(ref: str, organization: str, session: SessionDep, actor: ActorDep):
    committee = committees.find(session, ref)
    committees.remove_member(session, actor, committee, organization)
    session.commit()
    return committees.to_out(session, committee, with_geometry=True)
