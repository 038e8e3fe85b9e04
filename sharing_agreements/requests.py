"""Access requests: what a vendor asks for, the precheck, and the reviewers' decisions up to
approval (``sharing_agreements.agreements`` takes over from there).

A request is seen by its requester's vendors and its reviewers (and administrators); to
anyone else it does not exist. Its terms are written by the requester while it is a draft
or when information is asked for; the reviewers change them only by a counter-offer, which
the requester accepts or not.

The precheck reads the datasets' quality verdicts (``quality.reports``): the verdict decides
whether and how a dataset may be shared, so this package depends on the quality package.
"""

from __future__ import annotations

import os
from collections.abc import Iterable
from datetime import datetime
from typing import Any

from sqlmodel import Session, col, or_, select

from catalogue import datasets as catalogue_datasets
from catalogue import organizations
from catalogue.auth import Actor
from catalogue.errors import Conflict, Invalid, NotFound
from catalogue.models import (
    Committee,
    CommitteeMember,
    Dataset,
    Licence,
    Organization,
    utcnow,
)
from catalogue.vocabularies import DatasetState, MemberRole
from sharing_agreements import clauses as lib
from sharing_agreements import precheck, workflow
from sharing_agreements.models import AccessRequest, AccessRequestDataset
from sharing_agreements.schemas import CounterOffer, RequestCreate, RequestTerms

OPEN_LICENCES = ("fr-lo-2.0", "odbl-1.0", "cc-by-4.0", "cc0-1.0")
EDITABLE = ("draft", "info_requested")
REQUESTABLE = (DatasetState.published,)


def policy() -> precheck.Policy:
    """The committee's policy: ``CTD_ALLOW_NON_EU_HOSTING=1`` admits hosting outside the
    EU/EEA with a transfer basis (refused by default)."""
    return precheck.Policy(allow_transfers=os.environ.get("CTD_ALLOW_NON_EU_HOSTING", "")
                           .strip().lower() in ("1", "true", "oui", "yes"))


# --- reading -------------------------------------------------------------------------------

def can_see(actor: Actor, request: AccessRequest) -> bool:
    return bool(workflow.parties(actor, request))


def find(session: Session, actor: Actor, request_id: int) -> AccessRequest:
    request = session.get(AccessRequest, request_id)
    if request is None or not can_see(actor, request):
        raise NotFound(f"Demande d'accès inconnue : {request_id}.")
    return request


def list_for(session: Session, actor: Actor, *, role: str | None = None,
             state: str | None = None) -> list[AccessRequest]:
    """The requests ``actor`` sees: as requester, as reviewer (the review queue), or both."""
    query = select(AccessRequest)
    if not actor.admin:
        as_requester = col(AccessRequest.requester_id).in_(actor.vendor_of)
        as_reviewer = or_(col(AccessRequest.reviewer_org_id).in_(actor.publisher_of),
                          col(AccessRequest.committee_id).in_(actor.coordinator_of))
        query = query.where({"requester": as_requester, "reviewer": as_reviewer}.get(
            role, or_(as_requester, as_reviewer)))
    if state:
        if state not in workflow.STATES:
            raise Invalid(f"État inconnu : « {state} ».", field="state")
        query = query.where(AccessRequest.state == state)
    return list(session.exec(query.order_by(col(AccessRequest.id).desc()).limit(500)))


def datasets_of(session: Session, request: AccessRequest) -> list[Dataset]:
    return list(session.exec(
        select(Dataset).join(AccessRequestDataset,
                             col(AccessRequestDataset.dataset_id) == Dataset.id)
        .where(AccessRequestDataset.request_id == request.id).order_by(Dataset.id)))


# --- writing -------------------------------------------------------------------------------

def create(session: Session, actor: Actor, data: RequestCreate) -> AccessRequest:
    """A draft request of one of the actor's vendor organisations."""
    requester = _requester(session, actor, data.requester)
    chosen = _datasets(session, actor, data.datasets)
    request = AccessRequest(requester_id=requester.id, created_by=actor.user_id,
                            title=data.title, start=lib.start_instant(data.start),
                            end=lib.end_instant(data.end))
    _apply(request, data.model_dump(exclude={"requester", "datasets", "start", "end",
                                             "title"}, exclude_unset=True))
    _set_reviewer(session, request, chosen)
    session.add(request)
    session.flush()
    _link(session, request, chosen)
    request.clauses = proposed_clauses(session, request, chosen)
    session.add(request)
    session.flush()
    return request


def update(session: Session, actor: Actor, request: AccessRequest,
           data: RequestTerms) -> AccessRequest:
    """Change the terms of a draft, or of a request the reviewers asked information on."""
    actor.require(workflow.REQUESTER in workflow.parties(actor, request),
                  f"modifier la demande n° {request.id}")
    if request.state not in EDITABLE:
        raise Conflict(f"La demande n° {request.id} est « {workflow.STATES[request.state]} » : "
                       "elle ne se modifie plus.")
    values = data.model_dump(exclude_unset=True)
    if "datasets" in values:
        chosen = _datasets(session, actor, values.pop("datasets"))
        _set_reviewer(session, request, chosen)
        for link in session.exec(select(AccessRequestDataset).where(
                AccessRequestDataset.request_id == request.id)):
            session.delete(link)
        session.flush()
        _link(session, request, chosen)
    start = lib.start_instant(values.pop("start")) if "start" in values \
        else request.start
    end = lib.end_instant(values.pop("end")) if "end" in values else request.end
    if end <= start:
        raise Invalid("La fin de l'accès doit suivre son début.", field="end")
    request.start, request.end = start, end
    _apply(request, values)
    request.clauses = lib.ordered(set(request.clauses) | set(proposed_clauses(
        session, request, datasets_of(session, request))))
    request.modified = utcnow()
    session.add(request)
    session.flush()
    return request


# Terms that may be cleared (null): the others always have a value.
NULLABLE = frozenset({"hosting_country", "hosting_provider", "hosting_qualification",
                      "subprocessors", "dpia_reference", "committee_decision"})


def _apply(request: AccessRequest, values: dict[str, Any]) -> None:
    for name, value in values.items():
        if value is None and name not in NULLABLE:
            raise Invalid(f"{name} : une valeur est requise.", field=name)
        if name == "subprocessors" and value is not None:
            value = [dict(s) for s in value]
        setattr(request, name, value)


def _requester(session: Session, actor: Actor, ref: str | None) -> Organization:
    if ref is None:
        if len(actor.vendor_of) != 1:
            actor.require(bool(actor.vendor_of), "demander un accès (rôle vendor requis)")
            raise Invalid("Précisez l'organisation qui demande l'accès (requester).",
                          field="requester")
        return session.get(Organization, next(iter(actor.vendor_of)))
    org = organizations.find(session, ref)
    actor.require(actor.admin or org.id in actor.vendor_of,
                  f"demander un accès au nom de « {org.slug} »")
    return org


def _datasets(session: Session, actor: Actor, refs: Iterable[str]) -> list[Dataset]:
    chosen: dict[int, Dataset] = {}
    for ref in refs:
        try:
            dataset = catalogue_datasets.find(session, actor, ref)
        except NotFound:
            raise Invalid(f"Jeu de données inconnu : « {ref} ».", field="datasets") from None
        if dataset.state not in REQUESTABLE:
            raise Invalid(f"« {dataset.slug} » n'est pas publié : il ne se demande pas.",
                          field="datasets")
        chosen[dataset.id] = dataset
    return list(chosen.values())


def _set_reviewer(session: Session, request: AccessRequest, chosen: list[Dataset]) -> None:
    """The publisher when one organisation publishes every dataset, else the committee all
    the publishers are members of."""
    publishers = {d.publisher_id for d in chosen}
    if len(publishers) == 1:
        request.reviewer_org_id, request.committee_id = publishers.pop(), None
        return
    committees = None
    for publisher in publishers:
        theirs = set(session.exec(select(CommitteeMember.committee_id).where(
            CommitteeMember.organization_id == publisher,
            CommitteeMember.role == MemberRole.member)))
        committees = theirs if committees is None else committees & theirs
    if not committees:
        raise Invalid("Ces jeux de données viennent de plusieurs organisations qui ne sont pas "
                      "membres d'un même comité : faites une demande par organisation.",
                      field="datasets")
    request.reviewer_org_id, request.committee_id = None, min(committees)


def _link(session: Session, request: AccessRequest, chosen: list[Dataset]) -> None:
    for dataset in chosen:
        session.add(AccessRequestDataset(request_id=request.id, dataset_id=dataset.id))
    session.flush()


def proposed_clauses(session: Session, request: AccessRequest,
                     chosen: list[Dataset]) -> list[str]:
    """The clauses the request gets: the library's proposal for its purposes and data."""
    facts = dataset_facts(session, chosen)
    personal, special = precheck.personal_involved(request_facts(session, request), facts)
    return lib.default_clauses(request.purposes, personal, special=bool(special))


# --- the precheck --------------------------------------------------------------------------

def dataset_facts(session: Session, chosen: Iterable[Dataset]) -> list[precheck.DatasetFacts]:
    """What the precheck knows of each dataset: metadata and its quality verdict."""
    from quality import reports

    facts = []
    for dataset in chosen:
        licence = session.get(Licence, dataset.licence_id)
        judged = reports.dataset_scores(session, dataset)["verdict"]
        facts.append(precheck.DatasetFacts(
            slug=dataset.slug, title=dataset.title, access_type=dataset.access_type,
            licence=dataset.licence_id, licence_title=licence.title if licence else
            dataset.licence_id, licence_url=licence.url if licence else None,
            licence_open=dataset.licence_id in OPEN_LICENCES,
            contains_personal_data=dataset.contains_personal_data,
            verdict=judged["verdict"], ai_training=judged["ai_training"],
            categories=frozenset(judged.get("categories", ()))))
    return facts


def request_facts(session: Session, request: AccessRequest) -> precheck.RequestFacts:
    requester = session.get(Organization, request.requester_id)
    return precheck.RequestFacts(
        purposes=request.purposes, legal_bases=request.legal_bases,
        personal_data=request.personal_data, requester_kind=requester.kind,
        hosting_country=request.hosting_country, subprocessors=request.subprocessors,
        dpia_reference=request.dpia_reference, committee_decision=request.committee_decision,
        minimised_version=request.minimised_version)


def run_precheck(session: Session, request: AccessRequest) -> list[precheck.Finding]:
    findings = precheck.run(request_facts(session, request),
                            dataset_facts(session, datasets_of(session, request)), policy())
    request.precheck = [f.to_dict() for f in findings]
    return findings


def _after_submission(session: Session, request: AccessRequest) -> None:
    """submitted → precheck → rejected | info_requested | under_review."""
    workflow.move(session, request, "precheck", None)
    findings = run_precheck(session, request)
    result = precheck.outcome(findings)
    if result == precheck.PASS:
        request.reasons = None
        workflow.move(session, request, "pass_precheck", None)
        return
    request.reasons = precheck.reasons(findings)
    action = {precheck.FAIL: "fail_precheck", precheck.NOT_NEEDED: "not_needed",
              precheck.INFO: "incomplete"}[result]
    workflow.move(session, request, action, None, note=request.reasons)


def submit(session: Session, actor: Actor, request: AccessRequest) -> AccessRequest:
    workflow.move(session, request, "submit", actor)
    _after_submission(session, request)
    return request


def answer(session: Session, actor: Actor, request: AccessRequest, note: str) -> AccessRequest:
    """The requester has supplied what was asked (with ``update``): the precheck runs
    again; the request returns to review, or is rejected if it is now unlawful. While
    something is still missing, it stays where it is (422 naming what)."""
    actor.require(workflow.REQUESTER in workflow.parties(actor, request),
                  f"répondre pour la demande n° {request.id}")
    if request.state != "info_requested":
        workflow.move(session, request, "answer", actor)  # raises the state conflict
    findings = run_precheck(session, request)
    result = precheck.outcome(findings)
    if result == precheck.INFO:
        raise Invalid("Il manque encore : " + precheck.reasons(findings))
    if result in (precheck.FAIL, precheck.NOT_NEEDED):
        request.reasons = precheck.reasons(findings)
        workflow.move(session, request, "fail_precheck", None, note=request.reasons)
        return request
    request.reasons = None
    workflow.move(session, request, "answer", actor, note=note)
    return request


def decide(session: Session, actor: Actor, request: AccessRequest, action: str,
           reasons: str) -> AccessRequest:
    """A reviewer's reject or request_info, or the requester's withdraw, with reasons."""
    workflow.move(session, request, action, actor, note=reasons)
    request.reasons = reasons
    session.add(request)
    session.flush()
    return request


def counter_offer(session: Session, actor: Actor, request: AccessRequest,
                  offer: CounterOffer) -> AccessRequest:
    """The reviewers add clauses or tighten the end or the caps; the requester then accepts
    (the request is submitted again) or withdraws."""
    if offer.end is not None:
        end = lib.end_instant(offer.end)
        if end > request.end or end <= request.start:
            raise Invalid("Une contre-proposition avance la fin de l'accès sans la placer "
                          "avant son début.", field="end")
        request.end = end
    for name in ("max_requests", "max_bytes"):
        value = getattr(offer, name)
        if value is not None:
            current = getattr(request, name)
            if current is not None and value > current:
                raise Invalid("Une contre-proposition ne relève pas un plafond.", field=name)
            setattr(request, name, value)
    request.clauses = lib.ordered(set(request.clauses) | set(offer.add_clauses))
    request.reasons = offer.reasons
    workflow.move(session, request, "counter_offer", actor, note=offer.reasons)
    return request


def accept_counter_offer(session: Session, actor: Actor, request: AccessRequest
                         ) -> AccessRequest:
    workflow.move(session, request, "accept_counter_offer", actor)
    _after_submission(session, request)
    return request


def set_complex(session: Session, actor: Actor, request: AccessRequest,
                complex_case: bool) -> AccessRequest:
    """Flag the case as complex (the DGA deadline gets 30 more days), before the decision."""
    actor.require(workflow.REVIEWER in workflow.parties(actor, request),
                  f"qualifier la demande n° {request.id}")
    if request.state not in ("submitted", "precheck", "under_review", "info_requested",
                             "counter_offered"):
        raise Conflict("Le délai ne se prolonge plus : la demande est décidée.")
    request.complex = complex_case
    session.add(request)
    session.flush()
    return request


# --- output --------------------------------------------------------------------------------

def _iso(value: datetime | None) -> str | None:
    return value.isoformat() if value else None


def to_out(session: Session, actor: Actor, request: AccessRequest) -> dict[str, Any]:
    from sharing_agreements import agreements

    requester = session.get(Organization, request.requester_id)
    reviewer: dict[str, Any]
    if request.reviewer_org_id is not None:
        org = session.get(Organization, request.reviewer_org_id)
        reviewer = {"organization": org.slug, "name": org.name}
    else:
        committee = session.get(Committee, request.committee_id)
        reviewer = {"committee": committee.slug, "name": committee.name}
    deadline = workflow.deadline_status(session, request)
    agreement = agreements.of_request(session, request)
    return {
        "id": request.id, "state": request.state,
        "state_label": workflow.STATES[request.state],
        "title": request.title, "description": request.description,
        "requester": requester.slug, "reviewer": reviewer,
        "datasets": [d.slug for d in datasets_of(session, request)],
        "purposes": request.purposes, "legal_bases": request.legal_bases,
        "personal_data": request.personal_data, "role": request.role,
        "hosting": {"country": request.hosting_country, "provider": request.hosting_provider,
                    "qualification": request.hosting_qualification},
        "subprocessors": request.subprocessors, "dpia_reference": request.dpia_reference,
        "committee_decision": request.committee_decision,
        "minimised_version": request.minimised_version,
        "start": _iso(request.start), "end": _iso(request.end),
        "max_requests": request.max_requests, "max_bytes": request.max_bytes,
        "clauses": request.clauses, "complex": request.complex,
        "precheck": request.precheck, "reasons": request.reasons,
        "dga": None if deadline is None else {
            **deadline, "deadline": _iso(deadline["deadline"]),
            "decided": _iso(deadline["decided"])},
        "agreement": None if agreement is None else {
            "id": agreement.id, "version": agreement.version, "hash": agreement.hash},
        "amends": request.amends_id,
        "actions": workflow.allowed_actions(actor, request),
        "events": [{"time": _iso(e.time), "action": e.action, "from": e.from_state,
                    "to": e.to_state, "note": e.note}
                   for e in workflow.events(session, request)],
        "created": _iso(request.created), "modified": _iso(request.modified),
    }
