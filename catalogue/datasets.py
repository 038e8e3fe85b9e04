"""Datasets: creation, reading with visibility rules, update, deletion, and their output."""

from __future__ import annotations

import json

import shapely
from sqlmodel import Session, select

from catalogue import organizations, search, slugs, territories
from catalogue.auth import Actor
from catalogue.errors import Conflict, Invalid, NotFound
from catalogue.models import Dataset, Licence, Organization, Resource, utcnow
from catalogue.schemas import (
    ContactPoint,
    DatasetCreate,
    DatasetOut,
    DatasetUpdate,
    LicenceOut,
    OrganizationRef,
    Provenance,
    SpatialIn,
    SpatialOut,
    TableSchemaRef,
    TemporalCoverage,
)
from catalogue.vocabularies import AccessType, DatasetState

PUBLIC_STATES = (DatasetState.published, DatasetState.archived)


def can_see(actor: Actor, dataset: Dataset) -> bool:
    """Metadata of published (and archived) datasets is public; drafts are their publisher's."""
    if dataset.state == DatasetState.deleted:
        return actor.admin
    return dataset.state in PUBLIC_STATES or actor.publishes_for(dataset.publisher_id)


def can_read_files(actor: Actor, dataset: Dataset) -> bool:
    """Files of restricted or protected datasets are never served to the public; sharing
    agreements open them to others."""
    if dataset.access_type == AccessType.open:
        return can_see(actor, dataset)
    return actor.publishes_for(dataset.publisher_id)


def find(session: Session, actor: Actor, ref: str) -> Dataset:
    """By slug or numeric id; what the actor may not see does not exist for them."""
    dataset = session.exec(select(Dataset).where(slugs.matches(Dataset, ref))).first()
    if dataset is None or not can_see(actor, dataset):
        raise NotFound(f"Jeu de données inconnu : « {ref} ».")
    return dataset


def _publisher_coverage(session: Session,
                        publisher: Organization) -> tuple[list[str], shapely.Geometry | None]:
    """The zones and the area of the publisher's territory: a dataset's default coverage."""
    zones = [z for z in organizations.zones(publisher)
             if session.get(territories.Territory, z) is not None]
    shape = territories.zones_geometry(session, zones) if zones else (
        shapely.from_geojson(publisher.geometry) if publisher.geometry else None)
    return zones, shape


def _columns(shape: shapely.Geometry | None) -> tuple[str | None, dict]:
    return (territories.to_geojson(shape) if shape is not None else None,
            territories.bbox_of(shape))


def _apply_spatial(session: Session, dataset: Dataset, spatial: SpatialIn | None,
                   publisher: Organization, memo: dict | None = None) -> None:
    """Coverage from INSEE codes, from a drawn geometry, or by default the publisher's.
    ``memo`` keeps the unions of zones already computed, for callers writing many datasets
    (a union of communes costs milliseconds)."""
    memo = {} if memo is None else memo
    if spatial is None:
        key = ("publisher", publisher.id)
        if key not in memo:
            zones, shape = _publisher_coverage(session, publisher)
            memo[key] = (zones, *_columns(shape))
        zones, geojson, bbox = memo[key]
        granularity = None
    else:
        zones = []
        for ref in dict.fromkeys(spatial.insee_codes):
            zone = territories.zone_id(ref)
            if session.get(territories.Territory, zone) is None:
                raise Invalid(f"Territoire inconnu : « {ref} ».", field="spatial.insee_codes")
            zones.append(zone)
        if spatial.geometry is not None:
            geojson, bbox = _columns(
                territories.parse_geometry(spatial.geometry, "spatial.geometry"))
        else:
            key = ("zones", tuple(zones))
            if key not in memo:
                memo[key] = _columns(territories.zones_geometry(session, zones)
                                     if zones else None)
            geojson, bbox = memo[key]
        granularity = spatial.granularity
    dataset.spatial_zones = list(zones)
    dataset.spatial_geometry = geojson
    dataset.spatial_granularity = granularity
    for name, value in bbox.items():
        setattr(dataset, name, value)


def _apply_fields(session: Session, dataset: Dataset, data, fields: set[str]) -> None:
    """Copy the plain and nested fields of a create or update body onto the dataset."""
    values = data.model_dump(include=fields)
    for name in ("title", "description", "keywords", "themes", "access_type",
                 "contains_personal_data", "frequency", "state"):
        if name not in values:
            continue
        value = values[name]
        if value is None and name not in ("description", "frequency"):
            raise Invalid(f"Le champ {name} ne peut pas être vide.", field=name)
        setattr(dataset, name, "" if value is None and name == "description" else value)
    if "protected_fields" in values:
        dataset.protected_fields = list(dict.fromkeys(values["protected_fields"] or []))
    if "licence" in values:
        licence = values["licence"] or "notspecified"
        if session.get(Licence, licence) is None:
            known = ", ".join(session.exec(select(Licence.id)))
            raise Invalid(f"Licence inconnue : « {licence} » ; licences possibles : {known}.",
                          field="licence")
        dataset.licence_id = licence
    if "temporal" in values:
        temporal = data.temporal or TemporalCoverage()
        dataset.temporal_start, dataset.temporal_end = temporal.start, temporal.end
    if "table_schema" in values:
        schema = data.table_schema
        dataset.schema_name = schema.name if schema else None
        dataset.schema_version = schema.version if schema else None
    if "contact_point" in values:
        contact = data.contact_point or ContactPoint()
        dataset.contact_name, dataset.contact_email = contact.name, contact.email


def create(session: Session, actor: Actor, data: DatasetCreate, index: bool = True) -> Dataset:
    return create_many(session, actor, [data], index)[0]


def create_many(session: Session, actor: Actor, items: list[DatasetCreate],
                index: bool = True, spatial_memo: dict | None = None) -> list[Dataset]:
    """New datasets, with each lookup made once for all of them and their rows inserted
    together (a harvest writes hundreds at a time). ``index=False`` leaves the search index
    to the caller; ``spatial_memo``, kept by the caller between calls, spares recomputing
    the same coverage."""
    publishers: dict[str, Organization] = {}
    for data in items:
        if data.publisher not in publishers:
            try:
                publishers[data.publisher] = organizations.find(session, data.publisher)
            except NotFound as error:
                raise Invalid(error.detail, field="publisher") from None
            org = publishers[data.publisher]
            actor.require(actor.publishes_for(org.id),
                          f"publier au nom de l'organisation « {org.slug} »")
        if data.state == DatasetState.deleted:
            raise Invalid("Un jeu de données ne peut pas être créé supprimé.", field="state")
    explicit = [data.slug for data in items if data.slug]
    taken = set(session.exec(select(Dataset.slug).where(Dataset.slug.in_(explicit)))
                ) if explicit else set()
    memo = {} if spatial_memo is None else spatial_memo
    created: list[Dataset] = []
    for data in items:
        if data.slug in taken:
            raise Conflict(f"L'identifiant « {data.slug} » est déjà pris par un autre jeu de "
                           "données.")
        publisher = publishers[data.publisher]
        slug = data.slug or slugs.claim(session, Dataset, None, data.title,
                                        "un autre jeu de données", reserved=taken)
        taken.add(slug)
        dataset = Dataset(title=data.title, publisher_id=publisher.id, slug=slug)
        _apply_fields(session, dataset, data,
                      data.model_fields_set | {"licence", "title", "state"})
        _apply_spatial(session, dataset, data.spatial, publisher, memo)
        created.append(dataset)
    session.add_all(created)
    session.flush()
    if index:
        search.index_datasets(session, created)
    return created


def update(session: Session, actor: Actor, dataset: Dataset, data: DatasetUpdate,
           index: bool = True) -> Dataset:
    actor.require(actor.publishes_for(dataset.publisher_id),
                  f"modifier le jeu de données « {dataset.slug} »")
    if data.state == DatasetState.deleted:
        raise Invalid("Pour supprimer un jeu de données, utilisez DELETE.", field="state")
    _apply_fields(session, dataset, data, data.model_fields_set)
    if "spatial" in data.model_fields_set:
        _apply_spatial(session, dataset, data.spatial,
                       session.get(Organization, dataset.publisher_id))
    dataset.modified = utcnow()
    session.add(dataset)
    session.flush()
    if index:
        search.index_datasets(session, [dataset])
    return dataset


def delete(session: Session, actor: Actor, dataset: Dataset) -> None:
    """Mark deleted (its slug stays reserved, its history kept) and drop it from search."""
    actor.require(actor.publishes_for(dataset.publisher_id),
                  f"supprimer le jeu de données « {dataset.slug} »")
    dataset.state = DatasetState.deleted
    dataset.modified = utcnow()
    session.add(dataset)
    search.index_datasets(session, [dataset])


def to_out(session: Session, actor: Actor, datasets: list[Dataset],
           with_geometry: bool = False) -> list[DatasetOut]:
    """Output records, with what each needs loaded in a few queries for the whole list."""
    from catalogue import resources

    if not datasets:
        return []
    ids = [d.id for d in datasets]
    publishers = {o.id: o for o in session.exec(select(Organization).where(
        Organization.id.in_({d.publisher_id for d in datasets})))}
    licences = {lic.id: lic for lic in session.exec(select(Licence))}
    files: dict[int, list[Resource]] = {}
    for resource in session.exec(select(Resource).where(Resource.dataset_id.in_(ids))
                                 .order_by(Resource.id)):
        files.setdefault(resource.dataset_id, []).append(resource)
    out = []
    for d in datasets:
        publisher, licence = publishers[d.publisher_id], licences[d.licence_id]
        has_space = d.spatial_geometry is not None or d.spatial_zones
        out.append(DatasetOut(
            id=d.id, slug=d.slug, title=d.title, description=d.description,
            publisher=OrganizationRef(slug=publisher.slug, name=publisher.name),
            licence=LicenceOut(id=licence.id, title=licence.title, url=licence.url),
            keywords=d.keywords, themes=d.themes, access_type=d.access_type,
            contains_personal_data=d.contains_personal_data, frequency=d.frequency,
            temporal=(TemporalCoverage(start=d.temporal_start, end=d.temporal_end)
                      if d.temporal_start or d.temporal_end else None),
            spatial=SpatialOut(
                zones=d.spatial_zones,
                insee_codes=[territories.code_of(z) for z in d.spatial_zones],
                granularity=d.spatial_granularity,
                bbox=[d.minx, d.miny, d.maxx, d.maxy] if d.minx is not None else None,
                geometry=json.loads(d.spatial_geometry)
                if with_geometry and d.spatial_geometry else None,
            ) if has_space else None,
            table_schema=(TableSchemaRef(name=d.schema_name, version=d.schema_version)
                          if d.schema_name else None),
            contact_point=(ContactPoint(name=d.contact_name, email=d.contact_email)
                           if d.contact_name or d.contact_email else None),
            state=d.state, created=d.created, modified=d.modified,
            provenance=Provenance(harvest_source=d.harvest_source, remote_id=d.remote_id,
                                  remote_url=d.remote_url, remote_modified=d.remote_modified)
            if d.harvest_source else None,
            protected_fields=d.protected_fields,
            resources=[resources.to_out(r, d, actor) for r in files.get(d.id, [])],
        ))
    return out
