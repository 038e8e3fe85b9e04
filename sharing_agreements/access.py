"""Enforcement: a vendor reaches the files of agreed datasets only here, with its grant token
and a declared purpose. Each request is evaluated against the agreement's ODRL policy —
closed world, time window, purpose, count and volume caps, hosting country, the agreement's
state and its overdue duties — and the decision, allow or deny, goes into the access log in
the same transaction as the usage counters it moves. Plain logic, no HTTP.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import datetime
from functools import lru_cache
from pathlib import Path

import sqlalchemy as sa
from sqlmodel import Session, col, select

from catalogue.config import load_settings
from catalogue.errors import NotFound, Unauthorized
from catalogue.models import Dataset, Resource, utcnow
from sharing_agreements import agreements, log, policy
from sharing_agreements.models import AccessRequest, Agreement, Duty, Grant, Usage

DEFAULT_ACTION = "read"


@dataclass
class Access:
    """An evaluated access: the decision, its log entry, and the file when allowed."""

    decision: policy.Decision
    log_index: int
    report_hash: str
    resource: Resource
    path: Path | None


@lru_cache(maxsize=256)
def _compiled(text: str) -> policy.CompiledPolicy:
    return policy.compile(agreements.content_from_text(text)["policy"])


def compiled_policy(agreement: Agreement) -> policy.CompiledPolicy:
    """The agreement's policy, compiled once per process (an agreement never changes)."""
    return _compiled(agreement.content)


def authenticate(session: Session, token: str) -> tuple[Grant, Agreement, AccessRequest]:
    found = session.exec(
        select(Grant, Agreement, AccessRequest)
        .join(Agreement, col(Agreement.id) == Grant.agreement_id)
        .join(AccessRequest, col(AccessRequest.id) == Agreement.request_id)
        .where(Grant.token_hash == agreements.hash_token(token))).first()
    if found is None or found[0].revoked is not None:
        raise Unauthorized("Jeton d'accès de convention inconnu ou révoqué.")
    return found


def _file(resource: Resource) -> Path | None:
    relative = resource.file_path or resource.local_copy
    if not relative:
        return None
    path = load_settings().files_dir / relative
    return path if path.is_file() else None


def _usage(session: Session, agreement_id: int) -> tuple[int, int]:
    """The requests and bytes served so far, with the row locked until the commit (an
    UPDATE takes the lock on SQLite and PostgreSQL alike), so that concurrent accesses to
    one agreement see each other's counts."""
    row = session.execute(sa.update(Usage).where(Usage.agreement_id == agreement_id)
                          .values(requests=Usage.requests)
                          .returning(Usage.requests, Usage.bytes)).first()
    return (row[0], row[1]) if row else (0, 0)


def _overdue(session: Session, agreement_id: int, now: datetime) -> frozenset[str]:
    return frozenset(session.exec(select(Duty.clause).where(
        Duty.agreement_id == agreement_id, col(Duty.fulfilled).is_(None), Duty.due <= now)))


def access_resource(session: Session, token: str, resource_id: int, purpose: str | None,
                    action: str = DEFAULT_ACTION, hosting_country: str | None = None
                    ) -> Access:
    """Evaluate and log a vendor's request for a resource's file. The caller commits, and
    serves the file only when ``decision.allowed``. A resource that does not exist is a 404
    (nothing to log); one outside the agreement is evaluated, denied and logged."""
    grant, agreement, request = authenticate(session, token)
    resource = session.get(Resource, resource_id)
    if resource is None:
        raise NotFound(f"Ressource inconnue : {resource_id}.")
    dataset_iri = agreements.iri("dataset", resource.dataset_id)
    path = _file(resource)
    size = path.stat().st_size if path else 0
    now = utcnow()
    count, volume = _usage(session, agreement.id)
    compiled = compiled_policy(agreement)
    decision = policy.evaluate(
        compiled,
        policy.Request(action=action, target=dataset_iri,
                       assignee=agreements.iri("organization", request.requester_id),
                       purpose=purpose, size=size,
                       hosting_country=hosting_country or request.hosting_country),
        policy.World(now=now, state=request.state, count=count, volume=volume,
                     overdue=_overdue(session, agreement.id, now)))
    allowed = decision.allowed and path is not None
    if decision.allowed and path is None:
        decision.allowed = False
        decision.reason = ("Accès refusé : cette ressource n'a pas de fichier sur le serveur ; "
                           "elle ne peut être servie sous convention.")
        decision.failures.insert(0, decision.reason)
    report_hash = hashlib.sha256(policy.canonical_json(decision.to_dict())).hexdigest()
    entry = log.append(session, {
        "time": now, "agreement_id": agreement.id,
        "person": log.person_hash(grant.user_id) if grant.user_id is not None else None,
        "action": action, "target": agreements.iri("resource", resource.id),
        "purpose": purpose, "volume": size if allowed else 0,
        "decision": "allow" if allowed else "deny", "policy_hash": agreement.policy_hash,
        "report_hash": report_hash})
    if allowed:
        session.execute(sa.update(Usage).where(Usage.agreement_id == agreement.id).values(
            requests=Usage.requests + 1, bytes=Usage.bytes + size, last_access=now))
    return Access(decision, entry.id, report_hash, resource, path if allowed else None)


def scope(session: Session, token: str) -> dict:
    """What a grant reaches: the agreement, its state, and the resources of its datasets
    (not an access to data: nothing is logged)."""
    grant, agreement, request = authenticate(session, token)
    data = agreements.content(agreement)
    ids = [int(d["iri"].rsplit(":", 1)[1]) for d in data["datasets"]]
    rows = session.exec(select(Resource, Dataset).join(Dataset, col(Dataset.id) ==
                                                       Resource.dataset_id)
                        .where(col(Resource.dataset_id).in_(ids)).order_by(Resource.id)).all()
    return {"agreement": agreement.id, "version": agreement.version, "state": request.state,
            "purposes": [p["id"] for p in data["purposes"]], "start": data["start"],
            "end": data["end"],
            "resources": [{"id": r.id, "dataset": d.slug, "title": r.title,
                           "format": r.format, "size": r.size,
                           "available": _file(r) is not None,
                           "url": f"/api/v1/access/resources/{r.id}"} for r, d in rows]}
