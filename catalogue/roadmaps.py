"""A committee's roadmap (feuille de route): its priority use cases, each on its own relevant
territory with a lead member, partners and budget lines, and the datasets members are to open
first for them.

Anyone reads a roadmap; its committee's coordinator (or an admin) writes it; the publisher of
a dataset's responsible member reports its progress (status, published dataset).
Totals and lateness are derived on reading, never stored.
"""

from __future__ import annotations

import json
from collections import defaultdict
from datetime import date
from decimal import Decimal
from pathlib import Path

import shapely
from sqlmodel import Session, select

from catalogue import slugs, territories
from catalogue.auth import Actor
from catalogue.datasets import PUBLIC_STATES
from catalogue.errors import Conflict, Invalid, NotFound
from catalogue.models import (
    Committee,
    CommitteeMember,
    Dataset,
    Organization,
    RoadmapBudgetLine,
    RoadmapDataset,
    RoadmapPartner,
    RoadmapUseCase,
    utcnow,
)
from catalogue.schemas import (
    BudgetLineCreate,
    BudgetLineOut,
    CommitteeRef,
    DatasetRef,
    OrganizationRef,
    RoadmapDatasetCreate,
    RoadmapDatasetOut,
    RoadmapDatasetUpdate,
    RoadmapOut,
    RoadmapTotals,
    UseCaseCreate,
    UseCaseOut,
    UseCaseUpdate,
)
from catalogue.text import slugify
from catalogue.vocabularies import DatasetState, MemberRole, RoadmapDatasetStatus

SCHEMAS_DIR = Path(__file__).parent / "data" / "schemas"
CENT = Decimal("0.01")
# What the responsible member's publisher may change on its own priority datasets.
PROGRESS_FIELDS = {"status", "dataset"}


def _require_coordinator(actor: Actor, committee: Committee) -> None:
    actor.require(actor.coordinates(committee.id),
                  f"modifier la feuille de route du comité « {committee.slug} »")


# --- references -----------------------------------------------------------------------------

def find_use_case(session: Session, committee: Committee, ref: str) -> RoadmapUseCase:
    """By slug or numeric id, within the committee."""
    use_case = session.exec(select(RoadmapUseCase).where(
        RoadmapUseCase.committee_id == committee.id, slugs.matches(RoadmapUseCase, ref))).first()
    if use_case is None:
        raise NotFound(f"Cas d'usage inconnu dans la feuille de route du comité "
                       f"« {committee.slug} » : « {ref} ».")
    return use_case


def find_dataset(session: Session, committee: Committee, item_id: int) -> RoadmapDataset:
    item = session.get(RoadmapDataset, item_id) if 0 < item_id <= slugs.MAX_ID else None
    if item is None or item.committee_id != committee.id:
        raise NotFound(f"Jeu de données prioritaire inconnu dans la feuille de route du comité "
                       f"« {committee.slug} » : n° {item_id}.")
    return item


def _member(session: Session, committee: Committee, slug: str, field: str) -> Organization:
    """An organization that is a member (role ``member``) of the committee."""
    org = session.exec(
        select(Organization).join(CommitteeMember,
                                  CommitteeMember.organization_id == Organization.id)
        .where(CommitteeMember.committee_id == committee.id, Organization.slug == slug,
               CommitteeMember.role == MemberRole.member)).first()
    if org is None:
        raise Invalid(f"« {slug} » n'est pas membre du comité « {committee.slug} ».",
                      field=field)
    return org


def _partners(session: Session, slugs_wanted: list[str]) -> list[Organization]:
    wanted = list(dict.fromkeys(slugs_wanted))
    orgs = {o.slug: o for o in session.exec(
        select(Organization).where(Organization.slug.in_(wanted)))}
    if unknown := [s for s in wanted if s not in orgs]:
        raise Invalid(f"Organisations partenaires inconnues : {', '.join(unknown)}.",
                      field="partners")
    return [orgs[s] for s in wanted]


def _zones(session: Session, refs: list[str]) -> list[str]:
    """Zone ids of known reference areas (``54395``, ``54``, an EPCI SIREN, a zone id)."""
    zones = []
    for ref in refs:
        try:
            zones.append(territories.get(session, ref).id)
        except (Invalid, NotFound) as error:
            raise Invalid(error.detail, field="zones") from None
    return list(dict.fromkeys(zones))


def _schema_name(value: str | None) -> str | None:
    """A schema bundled with ctd (``scdl-subventions``, ``irve-statique``…), or none."""
    if value is None:
        return None
    known = sorted(p.name.removesuffix(".schema.json") for p in SCHEMAS_DIR.glob("*.schema.json"))
    name = value.strip().lower()
    if name not in known:
        raise Invalid(f"Schéma inconnu : « {value} » ; schémas connus : {', '.join(known)}.",
                      field="table_schema")
    return name


def _published_dataset(session: Session, ref: str) -> Dataset:
    dataset = session.exec(select(Dataset).where(slugs.matches(Dataset, ref))).first()
    if dataset is None or dataset.state != DatasetState.published:
        raise Invalid(f"Jeu de données du catalogue inconnu ou non publié : « {ref} ».",
                      field="dataset")
    return dataset


# --- use cases ------------------------------------------------------------------------------

def _claim_slug(session: Session, committee: Committee, explicit: str | None, title: str,
                use_case_id: int | None = None) -> str:
    """``explicit`` if free in the committee (409 if taken), else one made from the title."""
    def taken(slug: str) -> bool:
        other = session.exec(select(RoadmapUseCase.id).where(
            RoadmapUseCase.committee_id == committee.id, RoadmapUseCase.slug == slug)).first()
        return other is not None and other != use_case_id

    if explicit:
        if taken(explicit):
            raise Conflict(f"Le cas d'usage « {explicit} » existe déjà dans la feuille de route "
                           f"du comité « {committee.slug} ».")
        return explicit
    base = slugify(title, max_length=90)
    if not base or base.isdigit():
        base = f"cas-{base}".strip("-")
    slug, number = base, 1
    while taken(slug):
        number += 1
        slug = f"{base}-{number}"
    return slug


def _drawn(geometry: dict | None) -> shapely.Geometry | None:
    return territories.parse_geometry(geometry) if geometry is not None else None


def _set_territory(session: Session, use_case: RoadmapUseCase, zones: list[str],
                   drawn: shapely.Geometry | None) -> None:
    """The use case's territory: the union of its zones and its drawn area."""
    if not zones and drawn is None:
        raise Invalid("Un cas d'usage a un territoire pertinent : donnez des zones (communes, "
                      "intercommunalités, départements) ou une zone dessinée.", field="zones")
    parts = [shape for shape in (territories.zones_geometry(session, zones), drawn)
             if shape is not None]
    shape = shapely.union_all(parts) if len(parts) > 1 else parts[0]
    use_case.zones = zones
    use_case.drawn_geometry = territories.to_geojson(drawn) if drawn is not None else None
    use_case.geometry = territories.to_geojson(shape)
    for name, value in territories.bbox_of(shape).items():
        setattr(use_case, name, value)


def _set_partners(session: Session, use_case: RoadmapUseCase, slugs_wanted: list[str]) -> None:
    orgs = _partners(session, slugs_wanted)
    for partner in session.exec(select(RoadmapPartner).where(
            RoadmapPartner.use_case_id == use_case.id)):
        session.delete(partner)
    session.flush()
    session.add_all(RoadmapPartner(use_case_id=use_case.id, organization_id=o.id) for o in orgs)
    session.flush()


def create_use_case(session: Session, actor: Actor, committee: Committee,
                    data: UseCaseCreate) -> RoadmapUseCase:
    _require_coordinator(actor, committee)
    use_case = RoadmapUseCase(
        committee_id=committee.id, title=data.title, description=data.description,
        status=data.status, lead_id=_member(session, committee, data.lead, "lead").id,
        slug=_claim_slug(session, committee, data.slug, data.title))
    _set_territory(session, use_case, _zones(session, data.zones), _drawn(data.geometry))
    session.add(use_case)
    session.flush()
    _set_partners(session, use_case, data.partners)
    return use_case


def update_use_case(session: Session, actor: Actor, committee: Committee,
                    use_case: RoadmapUseCase, data: UseCaseUpdate) -> RoadmapUseCase:
    _require_coordinator(actor, committee)
    changes = data.model_dump(exclude_unset=True)
    for name in ("slug", "title", "description", "zones", "lead", "partners", "status"):
        if name in changes and changes[name] is None:
            raise Invalid(f"Le champ {name} ne peut pas être vide.", field=name)
    if "slug" in changes:
        use_case.slug = _claim_slug(session, committee, data.slug, use_case.title, use_case.id)
    for name in ("title", "description", "status"):
        if name in changes:
            setattr(use_case, name, changes[name])
    if "lead" in changes:
        use_case.lead_id = _member(session, committee, data.lead, "lead").id
    if {"zones", "geometry"} & changes.keys():
        zones = _zones(session, data.zones) if "zones" in changes else use_case.zones
        drawn = _drawn(data.geometry) if "geometry" in changes else (
            shapely.from_geojson(use_case.drawn_geometry) if use_case.drawn_geometry else None)
        _set_territory(session, use_case, zones, drawn)
    if "partners" in changes:
        _set_partners(session, use_case, data.partners)
    use_case.modified = utcnow()
    session.add(use_case)
    session.flush()
    return use_case


def delete_use_case(session: Session, actor: Actor, committee: Committee,
                    use_case: RoadmapUseCase) -> None:
    """Its budget lines and priority datasets go with it."""
    _require_coordinator(actor, committee)
    session.delete(use_case)
    session.flush()


# --- budget lines ---------------------------------------------------------------------------

def add_budget_line(session: Session, actor: Actor, committee: Committee,
                    use_case: RoadmapUseCase, data: BudgetLineCreate) -> RoadmapBudgetLine:
    _require_coordinator(actor, committee)
    line = RoadmapBudgetLine(use_case_id=use_case.id, label=data.label,
                             amount=data.amount.quantize(CENT), funder=data.funder.strip(),
                             year=data.year)
    if not line.funder:
        raise Invalid("Le financeur ne peut pas être vide.", field="funder")
    session.add(line)
    session.flush()
    return line


def delete_budget_line(session: Session, actor: Actor, committee: Committee,
                       use_case: RoadmapUseCase, line_id: int) -> None:
    _require_coordinator(actor, committee)
    line = session.get(RoadmapBudgetLine, line_id) if 0 < line_id <= slugs.MAX_ID else None
    if line is None or line.use_case_id != use_case.id:
        raise NotFound(f"Ligne budgétaire inconnue pour le cas d'usage « {use_case.slug} » : "
                       f"n° {line_id}.")
    session.delete(line)
    session.flush()


# --- priority datasets ----------------------------------------------------------------------

def _use_case_field(session: Session, committee: Committee, ref: str) -> RoadmapUseCase:
    try:
        return find_use_case(session, committee, ref)
    except NotFound as error:
        raise Invalid(error.detail, field="use_case") from None


def _check_link(session: Session, item: RoadmapDataset) -> None:
    """A linked catalogue dataset is published by the responsible member, and the priority
    dataset is then published."""
    if item.dataset_id is None:
        return
    dataset = session.get(Dataset, item.dataset_id)
    if dataset.publisher_id != item.responsible_id:
        publisher = session.get(Organization, dataset.publisher_id)
        responsible = session.get(Organization, item.responsible_id)
        raise Invalid(f"Le jeu de données « {dataset.slug} » est publié par « {publisher.slug} »,"
                      f" pas par le membre responsable « {responsible.slug} ».", field="dataset")
    if item.status != RoadmapDatasetStatus.published:
        raise Invalid("Un jeu de données prioritaire lié à un jeu du catalogue est publié ; "
                      "retirez le lien pour changer son état.", field="status")


def create_dataset(session: Session, actor: Actor, committee: Committee,
                   data: RoadmapDatasetCreate) -> RoadmapDataset:
    _require_coordinator(actor, committee)
    item = RoadmapDataset(
        committee_id=committee.id, title=data.title, description=data.description,
        use_case_id=_use_case_field(session, committee, data.use_case).id,
        responsible_id=_member(session, committee, data.responsible, "responsible").id,
        due=data.due, status=data.status, schema_name=_schema_name(data.table_schema))
    if data.dataset is not None:
        item.dataset_id = _published_dataset(session, data.dataset).id
        if "status" not in data.model_fields_set:
            item.status = RoadmapDatasetStatus.published
    _check_link(session, item)
    session.add(item)
    session.flush()
    return item


def _require_update_right(actor: Actor, committee: Committee, item: RoadmapDataset,
                          fields: set[str]) -> None:
    """The coordinator changes anything; the responsible member's publisher its progress."""
    if actor.coordinates(committee.id):
        return
    if not actor.publishes_for(item.responsible_id):
        actor.require(False, f"modifier le jeu de données prioritaire n° {item.id}")
    actor.require(fields <= PROGRESS_FIELDS,
                  "modifier autre chose que l'état et le jeu publié d'un jeu de données "
                  "prioritaire (réservé à la coordination du comité)")


def update_dataset(session: Session, actor: Actor, committee: Committee, item: RoadmapDataset,
                   data: RoadmapDatasetUpdate) -> RoadmapDataset:
    changes = data.model_dump(exclude_unset=True)
    _require_update_right(actor, committee, item, set(changes))
    for name in ("use_case", "title", "description", "responsible", "due", "status"):
        if name in changes and changes[name] is None:
            raise Invalid(f"Le champ {name} ne peut pas être vide.", field=name)
    for name in ("title", "description", "due", "status"):
        if name in changes:
            setattr(item, name, changes[name])
    if "use_case" in changes:
        item.use_case_id = _use_case_field(session, committee, data.use_case).id
    if "responsible" in changes:
        item.responsible_id = _member(session, committee, data.responsible, "responsible").id
    if "table_schema" in changes:
        item.schema_name = _schema_name(data.table_schema)
    if "dataset" in changes:
        item.dataset_id = (_published_dataset(session, data.dataset).id
                           if data.dataset is not None else None)
        if item.dataset_id is not None and "status" not in changes:
            item.status = RoadmapDatasetStatus.published
    _check_link(session, item)
    item.modified = utcnow()
    session.add(item)
    session.flush()
    return item


def delete_dataset(session: Session, actor: Actor, committee: Committee,
                   item: RoadmapDataset) -> None:
    _require_coordinator(actor, committee)
    session.delete(item)
    session.flush()


# --- output ---------------------------------------------------------------------------------

def _geojson(text: str | None) -> dict | None:
    return json.loads(text) if text else None


def _datasets_out(session: Session, items: list[RoadmapDataset],
                  use_case_slugs: dict[int, str], orgs: dict[int, Organization],
                  today: date) -> list[RoadmapDatasetOut]:
    linked_ids = [i.dataset_id for i in items if i.dataset_id is not None]
    # A linked dataset taken back to draft or deleted since is not shown.
    linked = {d.id: d for d in session.exec(select(Dataset).where(
        Dataset.id.in_(linked_ids), Dataset.state.in_(PUBLIC_STATES)))} if linked_ids else {}
    return [RoadmapDatasetOut(
        id=i.id, use_case=use_case_slugs[i.use_case_id], title=i.title,
        description=i.description, due=i.due, status=i.status,
        responsible=OrganizationRef(slug=orgs[i.responsible_id].slug,
                                    name=orgs[i.responsible_id].name),
        late=i.due < today and i.status != RoadmapDatasetStatus.published,
        table_schema=i.schema_name,
        dataset=DatasetRef(slug=linked[i.dataset_id].slug, title=linked[i.dataset_id].title)
        if i.dataset_id in linked else None,
        created=i.created, modified=i.modified) for i in items]


def _use_cases_out(session: Session, use_cases: list[RoadmapUseCase],
                   items: list[RoadmapDataset]) -> tuple[list[UseCaseOut], list[RoadmapDatasetOut]]:
    """Output records of use cases and priority datasets, loaded in a few queries."""
    ids = [u.id for u in use_cases]
    lines, partners = defaultdict(list), defaultdict(list)
    for line in session.exec(select(RoadmapBudgetLine).where(
            RoadmapBudgetLine.use_case_id.in_(ids)).order_by(RoadmapBudgetLine.id)):
        lines[line.use_case_id].append(line)
    partner_rows = list(session.exec(select(RoadmapPartner).where(
        RoadmapPartner.use_case_id.in_(ids))))
    org_ids = ({u.lead_id for u in use_cases} | {i.responsible_id for i in items}
               | {p.organization_id for p in partner_rows})
    orgs = {o.id: o for o in session.exec(select(Organization).where(
        Organization.id.in_(org_ids)))}
    for row in partner_rows:
        partners[row.use_case_id].append(orgs[row.organization_id])
    datasets_out = _datasets_out(session, items, {u.id: u.slug for u in use_cases}, orgs,
                                 date.today())
    by_use_case = defaultdict(list)
    for item, out in zip(items, datasets_out, strict=True):
        by_use_case[item.use_case_id].append(out)

    def ref(org: Organization) -> OrganizationRef:
        return OrganizationRef(slug=org.slug, name=org.name)

    use_cases_out = [UseCaseOut(
        id=u.id, slug=u.slug, title=u.title, description=u.description, zones=u.zones,
        drawn_geometry=_geojson(u.drawn_geometry), geometry=_geojson(u.geometry),
        bbox=[u.minx, u.miny, u.maxx, u.maxy] if u.minx is not None else None,
        lead=ref(orgs[u.lead_id]),
        partners=[ref(o) for o in sorted(partners[u.id], key=lambda o: o.name)],
        status=u.status,
        budget_lines=[BudgetLineOut(id=b.id, label=b.label, amount=b.amount.quantize(CENT),
                                    funder=b.funder, year=b.year) for b in lines[u.id]],
        total=sum((b.amount for b in lines[u.id]), Decimal("0")).quantize(CENT),
        datasets=by_use_case[u.id], created=u.created, modified=u.modified)
        for u in use_cases]
    return use_cases_out, datasets_out


def _items(session: Session, committee: Committee,
           use_case: RoadmapUseCase | None = None) -> list[RoadmapDataset]:
    query = select(RoadmapDataset).where(RoadmapDataset.committee_id == committee.id)
    if use_case is not None:
        query = query.where(RoadmapDataset.use_case_id == use_case.id)
    return list(session.exec(query.order_by(RoadmapDataset.due, RoadmapDataset.id)))


def use_case_out(session: Session, committee: Committee, use_case: RoadmapUseCase) -> UseCaseOut:
    return _use_cases_out(session, [use_case], _items(session, committee, use_case))[0][0]


def dataset_out(session: Session, item: RoadmapDataset) -> RoadmapDatasetOut:
    use_case = session.get(RoadmapUseCase, item.use_case_id)
    responsible = session.get(Organization, item.responsible_id)
    return _datasets_out(session, [item], {use_case.id: use_case.slug},
                         {responsible.id: responsible}, date.today())[0]


def to_out(session: Session, committee: Committee) -> RoadmapOut:
    """The whole roadmap, with its totals: by use case, by funder, and overall."""
    use_cases = list(session.exec(select(RoadmapUseCase).where(
        RoadmapUseCase.committee_id == committee.id).order_by(RoadmapUseCase.id)))
    use_cases_out, datasets_out = _use_cases_out(session, use_cases, _items(session, committee))
    by_funder: dict[str, Decimal] = defaultdict(lambda: Decimal("0.00"))
    for line in (b for u in use_cases_out for b in u.budget_lines):
        by_funder[line.funder] += line.amount
    return RoadmapOut(
        committee=CommitteeRef(slug=committee.slug, name=committee.name),
        use_cases=use_cases_out, datasets=datasets_out,
        totals_by_funder=dict(sorted(by_funder.items())),
        totals=RoadmapTotals(
            budget=sum((u.total for u in use_cases_out), Decimal("0.00")),
            use_cases=len(use_cases_out), datasets=len(datasets_out),
            published=sum(d.status == RoadmapDatasetStatus.published for d in datasets_out),
            late=sum(d.late for d in datasets_out)))
