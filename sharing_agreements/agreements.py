"""Agreements: from approval to closing. Plain logic, no HTTP.

**Approval** freezes the request's terms into an ``Agreement``: its ``content`` is the
canonical JSON of everything agreed — parties, datasets, purposes, legal bases, role,
hosting, sub-processors, dates and caps, the full text of every clause with its anchors,
the duties and their due dates, and the ODRL Agreement (JSON-LD) that access is evaluated
against — and its ``hash`` the SHA-256 of that JSON. Nothing changes it afterwards: the
requester signs the hash, the reviewer countersigns it, and an amendment is a new request
whose agreement (version n + 1) supersedes this one when it comes into force.

**Coming into force** (countersignature) creates the monitored duties — a usage report
every ``report_period_days`` and at the end (AUDIT), the deletion certificate
``delete_within_days`` after the end (DELETE-AT-END) — and the usage counters. The
requester then takes a grant token to reach the files (``sharing_agreements.access``).

**Monitoring.** ``check`` (``ctd agreements check``, also a scheduled job) suspends an
agreement with an overdue duty, and lets one whose time or caps are used up expire into
closing. A suspended agreement is resumed by its reviewer once nothing is overdue; a closing
one is closed when its deletion certificate has been received.

Identifiers in the policy are URNs built on database ids (``urn:ctd:dataset:12``), which no
renaming changes.
"""

from __future__ import annotations

import hashlib
import json
import secrets
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from functools import lru_cache
from typing import Any

import sqlalchemy as sa
from sqlmodel import Session, col, select

from catalogue.auth import Actor
from catalogue.errors import Conflict, Invalid, NotFound
from catalogue.models import Committee, Organization, utcnow
from sharing_agreements import clauses as lib
from sharing_agreements import log, policy, precheck, requests, workflow
from sharing_agreements import vocabularies as vocab
from sharing_agreements.models import (
    AccessRequest,
    Agreement,
    Duty,
    Grant,
    Signature,
    Usage,
)

GRANT_PREFIX = "ctdg_"
USAGE_REPORT, DELETION_CERTIFICATE = "usage_report", "deletion_certificate"
DUTY_LABELS = {USAGE_REPORT: "rapport d'utilisation", DELETION_CERTIFICATE:
               "certificat de suppression"}
ASSIGNEE, ASSIGNER = "assignee", "assigner"


def iri(kind: str, key: int | str) -> str:
    return f"urn:ctd:{kind}:{key}"


def of_request(session: Session, request: AccessRequest) -> Agreement | None:
    return session.exec(select(Agreement).where(Agreement.request_id == request.id)).first()


def content(agreement: Agreement) -> dict[str, Any]:
    """The agreement's terms (shared and cached: do not modify)."""
    return content_from_text(agreement.content)


@lru_cache(maxsize=256)
def content_from_text(text: str) -> dict[str, Any]:
    return json.loads(text)


def find(session: Session, actor: Actor, agreement_id: int) -> tuple[Agreement, AccessRequest]:
    agreement = session.get(Agreement, agreement_id)
    if agreement is not None:
        request = session.get(AccessRequest, agreement.request_id)
        if requests.can_see(actor, request):
            return agreement, request
    raise NotFound(f"Convention inconnue : {agreement_id}.")


# --- approval: the terms frozen ------------------------------------------------------------

def _party(org: Organization) -> dict[str, Any]:
    return {"iri": iri("organization", org.id), "slug": org.slug, "name": org.name,
            "kind": org.kind, "siren": org.siren}


def duty_schedule(start: datetime, end: datetime, values: dict[str, Any],
                  clause_ids: list[str]) -> list[dict[str, Any]]:
    """The monitored duties and their due dates (UTC, ISO 8601)."""
    duties = []
    if "AUDIT" in clause_ids and values.get("report_period_days"):
        period = timedelta(days=int(values["report_period_days"]))
        due = start + period
        while due < end:
            duties.append({"kind": USAGE_REPORT, "clause": "AUDIT", "due": due})
            due += period
        duties.append({"kind": USAGE_REPORT, "clause": "AUDIT", "due": end})
    if "DELETE-AT-END" in clause_ids and values.get("delete_within_days") is not None:
        duties.append({"kind": DELETION_CERTIFICATE, "clause": "DELETE-AT-END",
                       "due": end + timedelta(days=int(values["delete_within_days"]))})
    return [{**d, "due": d["due"].isoformat()} for d in duties]


def build_content(session: Session, request: AccessRequest, version: int,
                  supersedes: Agreement | None) -> dict[str, Any]:
    """Everything the agreement says, as JSON-ready data."""
    requester = session.get(Organization, request.requester_id)
    chosen = requests.datasets_of(session, request)
    publishers = {d.publisher_id: session.get(Organization, d.publisher_id) for d in chosen}
    if request.reviewer_org_id is not None:
        assigner = _party(publishers[request.reviewer_org_id])
    else:
        committee = session.get(Committee, request.committee_id)
        assigner = {"iri": iri("committee", committee.id), "slug": committee.slug,
                    "name": committee.name, "kind": "committee", "siren": None}
    uid = iri("agreement", request.id)
    countries = ()
    if request.hosting_country and not vocab.country(request.hosting_country).eea:
        countries = (*vocab.eea_countries(), request.hosting_country)
    terms = lib.Terms(
        uid=uid, assigner=assigner["iri"], assignee=iri("organization", requester.id),
        targets=[iri("dataset", d.id) for d in chosen], purposes=request.purposes,
        start=request.start, end=request.end, clauses=request.clauses,
        max_requests=request.max_requests, max_bytes=request.max_bytes,
        allowed_countries=countries,
        subprocessors={iri("subprocessor", f"{request.id}-{i}"): s["name"]
                       for i, s in enumerate(request.subprocessors or [])},
        assigner_name=assigner["name"], assignee_name=requester.name,
        legal_bases=request.legal_bases)
    try:
        odrl = policy.build_agreement(terms)
    except lib.ClauseError as error:
        raise Invalid(f"La convention ne peut pas être établie : {error}.") from None
    values = lib.parameter_values(terms)
    return {
        "uid": uid,
        "version": version,
        "supersedes": None if supersedes is None else {
            "uid": content(supersedes)["uid"], "version": supersedes.version,
            "hash": supersedes.hash},
        "request": request.id,
        "title": request.title,
        "description": request.description,
        "assigner": assigner,
        "assignee": _party(requester),
        "publishers": [_party(p) for p in publishers.values()],
        "datasets": [{"iri": iri("dataset", d.id), "slug": d.slug, "title": d.title,
                      "publisher": publishers[d.publisher_id].slug} for d in chosen],
        "purposes": [{"id": p, "label": vocab.purpose(p).label} for p in request.purposes],
        "legal_bases": [{"id": b, "label": vocab.legal_basis(b).label,
                         "article": vocab.legal_basis(b).article} for b in request.legal_bases],
        "personal_data": request.personal_data,
        "role": {"id": request.role, "label": vocab.role(request.role).label},
        "hosting": {"country": request.hosting_country,
                    "country_label": vocab.country(request.hosting_country).label
                    if request.hosting_country else None,
                    "provider": request.hosting_provider,
                    "qualification": request.hosting_qualification},
        "subprocessors": request.subprocessors or [],
        "start": request.start.isoformat(),
        "end": request.end.isoformat(),
        "last_day": lib.last_day(request.end).isoformat(),
        "max_requests": request.max_requests,
        "max_bytes": request.max_bytes,
        "clauses": [{"id": c.id, "title": c.title, "text": text,
                     "protects_against": c.protects_against, "checks": list(c.checks),
                     "anchors": [{"id": a.id, "label": a.label, "url": a.url}
                                 for a in c.anchors]}
                    for c, text in lib.render_all(terms)],
        "clause_library_version": lib.version(),
        "duties": duty_schedule(request.start, request.end, values, list(request.clauses)),
        "policy": odrl,
        "policy_hash": policy.policy_hash(odrl),
    }


def approve(session: Session, actor: Actor, request: AccessRequest, note: str = ""
            ) -> Agreement:
    """The reviewer approves: the precheck must still pass (a dataset's verdict may have
    changed since), then the terms are frozen."""
    if workflow.REVIEWER in workflow.parties(actor, request) and \
            request.state == "under_review":
        findings = requests.run_precheck(session, request)
        if precheck.outcome(findings) != precheck.PASS:
            raise Conflict("La vérification préalable ne passe plus : "
                           + precheck.reasons(findings))
    workflow.move(session, request, "approve", actor, note=note)
    previous = None
    if request.amends_id is not None:
        previous = of_request(session, session.get(AccessRequest, request.amends_id))
    data = build_content(session, request, 1 if previous is None else previous.version + 1,
                         previous)
    text = policy.canonical_json(data).decode()
    agreement = Agreement(request_id=request.id, version=data["version"], content=text,
                          hash=hashlib.sha256(text.encode()).hexdigest(),
                          policy_hash=data["policy_hash"])
    session.add(agreement)
    session.flush()
    return agreement


# --- signatures and coming into force ------------------------------------------------------

def _agreement(session: Session, request: AccessRequest) -> Agreement:
    agreement = of_request(session, request)
    if agreement is None:
        raise Conflict(f"La demande n° {request.id} n'a pas de convention approuvée.")
    return agreement


def _check_hash(agreement: Agreement, signed_hash: str | None) -> None:
    if signed_hash is not None and signed_hash != agreement.hash:
        raise Conflict("L'empreinte signée ne correspond pas à la convention : relisez la "
                       f"version en vigueur (empreinte {agreement.hash}).")


def sign(session: Session, actor: Actor, request: AccessRequest,
         signed_hash: str | None = None) -> Signature:
    """The requester signs the agreement's hash (``signed_hash``, when given, must be it)."""
    agreement = _agreement(session, request)
    _check_hash(agreement, signed_hash)
    workflow.move(session, request, "sign", actor)
    signature = Signature(agreement_id=agreement.id, party=ASSIGNEE, user_id=actor.user_id,
                          agreement_hash=agreement.hash)
    session.add(signature)
    session.flush()
    return signature


def countersign(session: Session, actor: Actor, request: AccessRequest,
                signed_hash: str | None = None) -> Agreement:
    """The reviewer countersigns: the agreement comes into force, with its duties; an
    agreement it amends is superseded."""
    agreement = _agreement(session, request)
    _check_hash(agreement, signed_hash)
    workflow.move(session, request, "countersign", actor)
    session.add(Signature(agreement_id=agreement.id, party=ASSIGNER, user_id=actor.user_id,
                          agreement_hash=agreement.hash))
    for duty in content(agreement)["duties"]:
        session.add(Duty(agreement_id=agreement.id, kind=duty["kind"], clause=duty["clause"],
                         due=datetime.fromisoformat(duty["due"])))
    session.add(Usage(agreement_id=agreement.id))
    if request.amends_id is not None:
        old = session.get(AccessRequest, request.amends_id)
        if old.state in workflow.TRANSITIONS["supersede"].sources:
            workflow.move(session, old, "supersede", None,
                          note=f"Remplacée par la version {agreement.version}.")
            _revoke_grants(session, _agreement(session, old))
    session.flush()
    return agreement


def signatures(session: Session, agreement: Agreement) -> list[Signature]:
    return list(session.exec(select(Signature).where(Signature.agreement_id == agreement.id)))


def document_inputs(session: Session, actor: Actor, agreement_id: int,
                    base_url: str) -> dict[str, Any]:
    """What ``document.render_html`` and ``render_pdf`` take for the agreement
    ``agreement_id``, as ``actor`` may see it (its parties and reviewers)."""
    agreement, case = find(session, actor, agreement_id)
    return {"content": content(agreement), "agreement_hash": agreement.hash,
            "state_label": workflow.STATES[case.state],
            "signatures": [{"party": s.party, "signed": s.signed,
                            "agreement_hash": s.agreement_hash}
                           for s in signatures(session, agreement)],
            "odrl_url": f"{base_url}/api/v1/agreements/{agreement.id}/odrl"}


# --- grants --------------------------------------------------------------------------------

def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def _revoke_grants(session: Session, agreement: Agreement) -> None:
    session.execute(sa.update(Grant).where(Grant.agreement_id == agreement.id,
                                           col(Grant.revoked).is_(None))
                    .values(revoked=utcnow()))


def issue_grant(session: Session, actor: Actor, request: AccessRequest) -> tuple[Grant, str]:
    """A new grant token for the requester (shown once; earlier tokens are revoked). The
    agreement must be in force with nothing overdue."""
    actor.require(workflow.REQUESTER in workflow.parties(actor, request),
                  f"obtenir un jeton d'accès pour la demande n° {request.id}")
    agreement = _agreement(session, request)
    if request.state != "active":
        raise Conflict(f"La convention n'est pas en vigueur (« {workflow.STATES[request.state]} »)"
                       " : pas de jeton d'accès.")
    late = overdue(session, agreement, utcnow())
    if late:
        raise Conflict("Un devoir est en retard : " + ", ".join(
            DUTY_LABELS[d.kind] for d in late) + ".")
    _revoke_grants(session, agreement)
    token = GRANT_PREFIX + secrets.token_urlsafe(32)
    grant = Grant(agreement_id=agreement.id, user_id=actor.user_id,
                  token_hash=hash_token(token))
    if actor.user_id is not None:
        log.remember_person(session, actor.user_id, actor.name)
    session.add(grant)
    session.flush()
    return grant, token


# --- duties --------------------------------------------------------------------------------

def duties(session: Session, agreement: Agreement) -> list[Duty]:
    return list(session.exec(select(Duty).where(Duty.agreement_id == agreement.id)
                             .order_by(Duty.due, Duty.id)))


def overdue(session: Session, agreement: Agreement, now: datetime) -> list[Duty]:
    return list(session.exec(select(Duty).where(
        Duty.agreement_id == agreement.id, col(Duty.fulfilled).is_(None), Duty.due <= now)))


def fulfil(session: Session, actor: Actor, request: AccessRequest, duty_id: int,
           evidence: str) -> Duty:
    """The requester sends a usage report or the deletion certificate."""
    actor.require(workflow.REQUESTER in workflow.parties(actor, request),
                  f"remplir un devoir de la demande n° {request.id}")
    agreement = _agreement(session, request)
    duty = session.get(Duty, duty_id)
    if duty is None or duty.agreement_id != agreement.id:
        raise NotFound(f"Devoir inconnu : {duty_id}.")
    if duty.fulfilled is not None:
        raise Conflict("Ce devoir est déjà rempli.")
    duty.fulfilled, duty.evidence = utcnow(), evidence
    session.add(duty)
    session.flush()
    log.append(session, {"agreement_id": agreement.id,
                         "person": log.remember_person(session, actor.user_id, actor.name)
                         if actor.user_id is not None else None,
                         "action": f"duty:{duty.kind}", "target": iri("duty", duty.id),
                         "decision": "allow",
                         "report_hash": hashlib.sha256(evidence.encode()).hexdigest()})
    return duty


# --- the reviewers' acts on an agreement in force ------------------------------------------

def resume(session: Session, actor: Actor, request: AccessRequest, note: str = "") -> None:
    agreement = _agreement(session, request)
    if workflow.REVIEWER in workflow.parties(actor, request):
        late = overdue(session, agreement, utcnow())
        if late:
            raise Conflict("Un devoir est toujours en retard : " + ", ".join(
                DUTY_LABELS[d.kind] for d in late) + ".")
    workflow.move(session, request, "resume", actor, note=note)


def revoke(session: Session, actor: Actor, request: AccessRequest, reasons: str) -> None:
    """Revocation, then closing: the deletion certificate is still owed."""
    agreement = _agreement(session, request)
    workflow.move(session, request, "revoke", actor, note=reasons)
    request.reasons = reasons
    _revoke_grants(session, agreement)
    workflow.move(session, request, "start_closing", None)


def close(session: Session, actor: Actor, request: AccessRequest, note: str = "") -> None:
    """The reviewer closes the agreement once the deletion certificate is in."""
    agreement = _agreement(session, request)
    missing = [d for d in duties(session, agreement)
               if d.kind == DELETION_CERTIFICATE and d.fulfilled is None]
    if missing and request.state == "closing":
        raise Conflict("Le certificat de suppression n'a pas été reçu : la convention ne peut "
                       "pas être close.")
    workflow.move(session, request, "close", actor, note=note)


# --- monitoring ----------------------------------------------------------------------------

@dataclass
class CheckResult:
    suspended: list[int] = field(default_factory=list)
    expired: list[int] = field(default_factory=list)

    def to_dict(self) -> dict[str, list[int]]:
        return {"suspended": self.suspended, "expired": self.expired}


def check(session: Session, now: datetime | None = None) -> CheckResult:
    """Suspend agreements in force with an overdue duty; let those whose time, request cap
    or volume cap is used up expire, into closing."""
    now = now or utcnow()
    result = CheckResult()
    active = session.exec(select(AccessRequest, Agreement)
                          .join(Agreement, col(Agreement.request_id) == AccessRequest.id)
                          .where(AccessRequest.state == "active")
                          .order_by(AccessRequest.id)).all()
    for request, agreement in active:
        late = overdue(session, agreement, now)
        if late:
            workflow.move(session, request, "suspend", None, note="Devoir(s) en retard : "
                          + ", ".join(f"{DUTY_LABELS[d.kind]} dû le {d.due:%Y-%m-%d %H:%M} UTC"
                                      for d in late))
            request.reasons = "Suspendue automatiquement : devoir en retard."
            result.suspended.append(request.id)
            continue
        usage = session.get(Usage, agreement.id)
        exhausted = usage is not None and (
            (request.max_requests is not None and usage.requests >= request.max_requests)
            or (request.max_bytes is not None and usage.bytes >= request.max_bytes))
        if now >= request.end or exhausted:
            why = "Plafond atteint." if exhausted and now < request.end else "Terme atteint."
            workflow.move(session, request, "expire", None, note=why)
            _revoke_grants(session, agreement)
            workflow.move(session, request, "start_closing", None)
            result.expired.append(request.id)
    session.flush()
    return result


# --- amendments ----------------------------------------------------------------------------

def amend(session: Session, actor: Actor, request: AccessRequest) -> AccessRequest:
    """A new draft request copying an agreement in force: once approved, signed and
    countersigned, its agreement (the next version) supersedes this one."""
    actor.require(workflow.REQUESTER in workflow.parties(actor, request),
                  f"proposer un avenant à la demande n° {request.id}")
    if request.state not in ("active", "suspended"):
        raise Conflict("Seule une convention en vigueur ou suspendue se modifie par avenant.")
    copy = AccessRequest(**request.model_dump(exclude={
        "id", "state", "submitted", "precheck", "reasons", "created", "modified", "complex",
        "created_by", "amends_id"}), created_by=actor.user_id, amends_id=request.id)
    session.add(copy)
    session.flush()
    requests._link(session, copy, requests.datasets_of(session, request))
    return copy
