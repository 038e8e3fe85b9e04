"""Unique slugs for organizations, committees and datasets."""

from __future__ import annotations

import sqlalchemy as sa
from sqlmodel import Session, select

from catalogue.errors import Conflict, Invalid
from catalogue.text import slugify

MAX_ID = 2**31 - 1


def matches(model, ref: str):
    """The condition finding a record by numeric id or by slug (slugs are never all digits)."""
    if ref.isdigit():
        return model.id == int(ref) if int(ref) <= MAX_ID else sa.false()
    return model.slug == ref


def claim(session: Session, model, explicit: str | None, source: str, what: str,
          reserved: set[str] | frozenset[str] = frozenset()) -> str:
    """``explicit`` if free (409 if taken), else a free slug made from ``source``; slugs in
    ``reserved`` (given to records not written yet) count as taken."""
    def taken(slug: str) -> bool:
        return slug in reserved or session.exec(
            select(model.id).where(model.slug == slug)).first() is not None

    if explicit:
        if taken(explicit):
            raise Conflict(f"L'identifiant « {explicit} » est déjà pris par {what}.")
        return explicit
    base = slugify(source, max_length=90)
    if not base:
        raise Invalid("Impossible de fabriquer un identifiant à partir de ce nom.", field="slug")
    if base.isdigit():
        base = f"n-{base}"
    slug, number = base, 1
    while taken(slug):
        number += 1
        slug = f"{base}-{number}"
    return slug
