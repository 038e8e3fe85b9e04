"""Unique slugs for organizations, committees and datasets."""

from __future__ import annotations

from sqlmodel import Session, select

from catalogue.errors import Conflict, Invalid
from catalogue.text import slugify


def claim(session: Session, model, explicit: str | None, source: str, what: str) -> str:
    """``explicit`` if free (409 if taken), else a free slug made from ``source``."""
    def taken(slug: str) -> bool:
        return session.exec(select(model.id).where(model.slug == slug)).first() is not None

    if explicit:
        if taken(explicit):
            raise Conflict(f"L'identifiant « {explicit} » est déjà pris par {what}.")
        return explicit
    base = slugify(source, max_length=90)
    if not base:
        raise Invalid("Impossible de fabriquer un identifiant à partir de ce nom.", field="slug")
    slug, number = base, 1
    while taken(slug):
        number += 1
        slug = f"{base}-{number}"
    return slug
