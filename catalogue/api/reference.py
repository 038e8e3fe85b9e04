"""Read-only reference data: licences, vocabularies, territories."""

from __future__ import annotations

import json

from fastapi import APIRouter
from sqlmodel import select

from catalogue import territories
from catalogue.api.deps import SessionDep
from catalogue.models import Licence
from catalogue.schemas import LicenceOut
from catalogue.vocabularies import FREQUENCIES, THEMES

router = APIRouter(prefix="/api/v1", tags=["reference"])


@router.get("/licences", response_model=list[LicenceOut])
def list_licences(session: SessionDep):
    return list(session.exec(select(Licence).order_by(Licence.id)))


@router.get("/themes")
def list_themes() -> dict[str, str]:
    return THEMES


@router.get("/frequencies")
def list_frequencies() -> dict[str, str]:
    return FREQUENCIES


@router.get("/territories/{ref}")
def read_territory(ref: str, session: SessionDep):
    """An area by INSEE code (54395, 54), SIREN of an EPCI, or zone id (fr:region:44)."""
    territory = territories.get(session, ref)
    return {"id": territory.id, "level": territory.level, "code": territory.code,
            "name": territory.name,
            "bbox": [territory.minx, territory.miny, territory.maxx, territory.maxy],
            "geometry": json.loads(territory.geometry)}
