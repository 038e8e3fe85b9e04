"""Enforcement: a vendor reaches the files of agreed datasets only here, with its grant token
and a declared purpose. Each request is evaluated against the agreement's ODRL policy —
closed world, time window, purpose, count and volume caps, hosting country, the agreement's
state and its overdue duties — and the decision, allow or deny, goes into the access log in
the same transaction as the usage counters it moves. Plain logic, no HTTP.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from pathlib import Path

from sqlmodel import Session, col, select

from catalogue.config import load_settings
from catalogue.errors import NotFound, Unauthorized
from catalogue.models import Dataset, Resource, utcnow
from sharing_agreements import agreements, log, policy
from sharing_agreements.models import AccessRequest, Agreement, Grant

DEFAULT_ACTION = "read"


@dataclass
class Access:
    """An evaluated access: the decision, its log entry, and the file when allowed."""

    decision: policy.Decision
    log_index: int
    report_hash: str
    media_type: str | None
    path: Path | None


def authenticate(session: Session, token: str) -> tuple[Grant, Agreement, AccessRequest]:
    found = session.exec(
        select(Grant, Agreement, AccessRequest)
        .join(Agreement, col(Agreement.id) == Grant.agreement_id)
        .join(AccessRequest, col(AccessRequest.id) == Agreement.request_id)
        .where(Grant.token_hash == agreements.hash_token(token))).first()
    if found is None or found[0].revoked is not None:
        raise Unauthorized("Jeton d'accès de convention inconnu ou révoqué.")
    return found


def _file(file_path: str | None, local_copy: str | None) -> Path | None:
    relative = file_path or local_copy
    if not relative:
        return None
    path = load_settings().files_dir / relative
    return path if path.is_file() else None


# The hot path runs on the driver's cursor (``log.driver``), in one statement before the
# log's append: the grant with its agreement, request, usage counters, overdue duties and the
# resource asked for. The usage row is locked by an UPDATE (on PostgreSQL inside the same
# statement, in a CTE; SQLite's write lock is the database's), so that concurrent accesses to
# one agreement see each other's counts.
_SELECT = (
    "SELECT g.user_id, g.revoked, a.id, a.policy_hash, r.state, r.requester_id, "
    "r.hosting_country, s.id, s.dataset_id, s.file_path, s.local_copy, s.media_type, "
    "u.requests, u.bytes, (SELECT {aggregate} FROM agreement_duty d "
    "WHERE d.agreement_id = a.id AND d.fulfilled IS NULL AND d.due <= ?) "
    "FROM access_grant g JOIN agreement a ON a.id = g.agreement_id "
    "JOIN access_request r ON r.id = a.request_id LEFT JOIN resource s ON s.id = ? "
    "LEFT JOIN {usage} u ON u.agreement_id = a.id WHERE g.token_hash = ?")
_FIND = {
    "postgresql": "WITH locked AS (UPDATE agreement_usage SET requests = requests "
                  "WHERE agreement_id = (SELECT agreement_id FROM access_grant "
                  "WHERE token_hash = ?) RETURNING agreement_id, requests, bytes) "
                  + _SELECT.format(aggregate="string_agg(DISTINCT d.clause, ',')",
                                   usage="locked"),
    "sqlite": _SELECT.format(aggregate="group_concat(DISTINCT d.clause)",
                             usage="agreement_usage"),
}
_LOCK_USAGE = ("UPDATE agreement_usage SET requests = requests WHERE agreement_id = "
               "(SELECT agreement_id FROM access_grant WHERE token_hash = ?)")
_COUNT = ("UPDATE agreement_usage SET requests = requests + 1, bytes = bytes + ?, "
          "last_access = ? WHERE agreement_id = ?")
_CONTENT = "SELECT content FROM agreement WHERE id = ?"


def access_resource(session: Session, token: str, resource_id: int, purpose: str | None,
                    action: str = DEFAULT_ACTION, hosting_country: str | None = None
                    ) -> Access:
    """Evaluate and log a vendor's request for a resource's file. The caller commits, and
    serves the file only when ``decision.allowed``. A resource that does not exist is a 404
    (nothing to log); one outside the agreement is evaluated, denied and logged."""
    connection = session.connection()
    run = log.driver(connection)
    now = utcnow()
    stored_now = log.time_processor(connection.dialect)(now)
    digest = agreements.hash_token(token)
    if connection.dialect.name == "postgresql":
        found = run(_FIND["postgresql"], (digest, stored_now, resource_id, digest))
    else:
        run(_LOCK_USAGE, (digest,))  # SQLite's write lock, taken before reading the counters
        found = run(_FIND["sqlite"], (stored_now, resource_id, digest))
    if found is None or found[1] is not None:
        raise Unauthorized("Jeton d'accès de convention inconnu ou révoqué.")
    (user_id, _, agreement_id, policy_hash, state, requester_id, declared_country,
     found_id, dataset_id, file_path, local_copy, media_type, count, volume,
     late) = found
    if found_id is None:
        raise NotFound(f"Ressource inconnue : {resource_id}.")
    path = _file(file_path, local_copy)
    size = path.stat().st_size if path else 0
    overdue = frozenset(late.split(",")) if late else frozenset()
    compiled = _policy(run, agreement_id, policy_hash)
    decision = policy.evaluate(
        compiled,
        policy.Request(action=action, target=agreements.iri("dataset", dataset_id),
                       assignee=agreements.iri("organization", requester_id),
                       purpose=purpose, size=size,
                       hosting_country=hosting_country or declared_country),
        policy.World(now=now, state=state, count=count or 0, volume=volume or 0,
                     overdue=overdue))
    allowed = decision.allowed and path is not None
    if decision.allowed and path is None:
        decision.allowed = False
        decision.reason = ("Accès refusé : cette ressource n'a pas de fichier sur le serveur ; "
                           "elle ne peut être servie sous convention.")
        decision.failures.insert(0, decision.reason)
    report_hash = hashlib.sha256(policy.canonical_json(decision.to_dict())).hexdigest()
    entry = log.append(session, {
        "time": now, "agreement_id": agreement_id,
        "person": log.person_hash(user_id) if user_id is not None else None,
        "action": action, "target": agreements.iri("resource", resource_id),
        "purpose": purpose, "volume": size if allowed else 0,
        "decision": "allow" if allowed else "deny", "policy_hash": policy_hash,
        "report_hash": report_hash})
    if allowed:
        run(_COUNT, (size, stored_now, agreement_id))
    return Access(decision, entry.id, report_hash, media_type, path if allowed else None)


_policies: dict[tuple[int, str], policy.CompiledPolicy] = {}
MAX_POLICIES = 256


def _policy(run, agreement_id: int, policy_hash: str) -> policy.CompiledPolicy:
    """The agreement's policy, compiled once per process: an agreement never changes, so its
    id and policy hash name its policy, and its content is read only the first time."""
    key = (agreement_id, policy_hash)
    compiled = _policies.get(key)
    if compiled is None:
        text = run(_CONTENT, (agreement_id,))[0]
        compiled = policy.compile(agreements.content_from_text(text)["policy"])
        if len(_policies) >= MAX_POLICIES:
            _policies.pop(next(iter(_policies)), None)
        _policies[key] = compiled
    return compiled


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
                           "available": _file(r.file_path, r.local_copy) is not None,
                           "url": f"/api/v1/access/resources/{r.id}"} for r, d in rows]}
