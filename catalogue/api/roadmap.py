"""A committee's roadmap: use cases, budget lines, priority datasets. Public to read."""

from __future__ import annotations

from typing import Annotated

import shapely
from fastapi import APIRouter, Query, Request, Response

from catalogue import committees, roadmaps, search
from catalogue.api.datasets import search_out
from catalogue.api.deps import ActorDep, SessionDep
from catalogue.schemas import (
    BudgetLineCreate,
    BudgetLineOut,
    RoadmapDatasetCreate,
    RoadmapDatasetOut,
    RoadmapDatasetUpdate,
    RoadmapOut,
    SearchOut,
    UseCaseCreate,
    UseCaseOut,
    UseCaseUpdate,
)

router = APIRouter(prefix="/api/v1/committees/{ref}/roadmap", tags=["roadmap"])


@router.get("", response_model=RoadmapOut)
def read_roadmap(ref: str, session: SessionDep):
    return roadmaps.to_out(session, committees.find(session, ref))


# --- use cases ------------------------------------------------------------------------------

@router.post("/use-cases", response_model=UseCaseOut, status_code=201)
def create_use_case(ref: str, data: UseCaseCreate, session: SessionDep, actor: ActorDep):
    committee = committees.find(session, ref)
    use_case = roadmaps.create_use_case(session, actor, committee, data)
    session.commit()
    return roadmaps.use_case_out(session, committee, use_case)


@router.get("/use-cases/{use_case}", response_model=UseCaseOut)
def read_use_case(ref: str, use_case: str, session: SessionDep):
    committee = committees.find(session, ref)
    return roadmaps.use_case_out(session, committee,
                                 roadmaps.find_use_case(session, committee, use_case))


@router.get("/use-cases/{use_case}/datasets", response_model=SearchOut)
def use_case_datasets(ref: str, use_case: str, request: Request, session: SessionDep,
                      actor: ActorDep, q: str | None = None,
                      limit: Annotated[int, Query(ge=1, le=100)] = 20,
                      cursor: str | None = None):
    """Published datasets of every member (and beyond) whose coverage meets the use case's
    relevant territory, with facets; ``q`` narrows them by full text."""
    committee = committees.find(session, ref)
    found = roadmaps.find_use_case(session, committee, use_case)
    page = search.search(session, search.SearchQuery(
        q=q, area=shapely.from_geojson(found.geometry), limit=limit, cursor=cursor))
    return search_out(session, actor, request, page)


@router.patch("/use-cases/{use_case}", response_model=UseCaseOut)
def update_use_case(ref: str, use_case: str, data: UseCaseUpdate, session: SessionDep,
                    actor: ActorDep):
    committee = committees.find(session, ref)
    found = roadmaps.update_use_case(session, actor, committee,
                                     roadmaps.find_use_case(session, committee, use_case), data)
    session.commit()
    return roadmaps.use_case_out(session, committee, found)


@router.delete("/use-cases/{use_case}", status_code=204)
def delete_use_case(ref: str, use_case: str, session: SessionDep, actor: ActorDep):
    committee = committees.find(session, ref)
    roadmaps.delete_use_case(session, actor, committee,
                             roadmaps.find_use_case(session, committee, use_case))
    session.commit()
    return Response(status_code=204)


# --- budget lines ---------------------------------------------------------------------------

@router.post("/use-cases/{use_case}/budget-lines", response_model=BudgetLineOut,
             status_code=201)
def add_budget_line(ref: str, use_case: str, data: BudgetLineCreate, session: SessionDep,
                    actor: ActorDep):
    committee = committees.find(session, ref)
    line = roadmaps.add_budget_line(session, actor, committee,
                                    roadmaps.find_use_case(session, committee, use_case), data)
    session.commit()
    return BudgetLineOut.model_validate(line, from_attributes=True)


@router.delete("/use-cases/{use_case}/budget-lines/{line_id}", status_code=204)
def delete_budget_line(ref: str, use_case: str, line_id: int, session: SessionDep,
                       actor: ActorDep):
    committee = committees.find(session, ref)
    roadmaps.delete_budget_line(session, actor, committee,
                                roadmaps.find_use_case(session, committee, use_case), line_id)
    session.commit()
    return Response(status_code=204)


# --- priority datasets ----------------------------------------------------------------------

@router.post("/datasets", response_model=RoadmapDatasetOut, status_code=201)
def create_dataset(ref: str, data: RoadmapDatasetCreate, session: SessionDep, actor: ActorDep):
    item = roadmaps.create_dataset(session, actor, committees.find(session, ref), data)
    session.commit()
    return roadmaps.dataset_out(session, item)


@router.patch("/datasets/{item_id}", response_model=RoadmapDatasetOut)
def update_dataset(ref: str, item_id: int, data: RoadmapDatasetUpdate, session: SessionDep,
                   actor: ActorDep):
    committee = committees.find(session, ref)
    item = roadmaps.update_dataset(session, actor, committee,
                                   roadmaps.find_dataset(session, committee, item_id), data)
    session.commit()
    return roadmaps.dataset_out(session, item)


@router.delete("/datasets/{item_id}", status_code=204)
def delete_dataset(ref: str, item_id: int, session: SessionDep, actor: ActorDep):
    committee = committees.find(session, ref)
    roadmaps.delete_dataset(session, actor, committee,
                            roadmaps.find_dataset(session, committee, item_id))
    session.commit()
    return Response(status_code=204)
