"""The public register of agreements: what citizens are owed — for every agreement approved
or beyond, its parties (organisations), datasets, purposes, legal bases, clause ids, dates
and state; and the requests refused, with their published reasons. No secret (no token, no
hosting provider or sub-processor, no evidence) and no personal data (organisations only,
never the people who signed)."""

from __future__ import annotations

import csv
import io
from datetime import datetime
from typing import Any

from sqlmodel import Session, col, select

from catalogue.models import Organization
from sharing_agreements import agreements, workflow
from sharing_agreements.clauses import PARIS
from sharing_agreements.models import AccessRequest, Agreement, Signature

CSV_COLUMNS = ("number", "version", "state", "state_label", "title", "assigner", "assignee",
               "datasets", "purposes", "legal_bases", "clauses", "first_day", "last_day",
               "approved", "signed", "in_force", "hash", "supersedes")


def entries(session: Session) -> list[dict[str, Any]]:
    """The register's agreements, newest first."""
    rows = session.exec(select(AccessRequest, Agreement)
                        .join(Agreement, col(Agreement.request_id) == AccessRequest.id)
                        .where(col(AccessRequest.state).in_(workflow.AGREED))
                        .order_by(col(Agreement.id).desc())).all()
    signed: dict[tuple[int, str], Any] = {
        (s.agreement_id, s.party): s.signed for s in session.exec(
            select(Signature).where(col(Signature.agreement_id).in_([a.id for _, a in rows])))}
    result = []
    for request, agreement in rows:
        data = agreements.content(agreement)
        result.append({
            "number": request.id, "version": agreement.version, "state": request.state,
            "state_label": workflow.STATES[request.state], "title": data["title"],
            "assigner": {"slug": data["assigner"]["slug"], "name": data["assigner"]["name"]},
            "assignee": {"slug": data["assignee"]["slug"], "name": data["assignee"]["name"]},
            "datasets": [{"slug": d["slug"], "title": d["title"]} for d in data["datasets"]],
            "purposes": data["purposes"],
            "legal_bases": [{"id": b["id"], "article": b["article"]}
                            for b in data["legal_bases"]],
            "clauses": [c["id"] for c in data["clauses"]],
            "start": data["start"], "end": data["end"],
            "first_day": datetime.fromisoformat(data["start"]).astimezone(PARIS).date(),
            "last_day": data["last_day"],
            "approved": agreement.created,
            "signed": signed.get((agreement.id, agreements.ASSIGNEE)),
            "in_force": signed.get((agreement.id, agreements.ASSIGNER)),
            "hash": agreement.hash,
            "supersedes": data["supersedes"]["version"] if data["supersedes"] else None,
        })
    return result


def refusals(session: Session) -> list[dict[str, Any]]:
    """Requests refused, with their published reasons."""
    rows = session.exec(select(AccessRequest, Organization)
                        .join(Organization, col(Organization.id) == AccessRequest.requester_id)
                        .where(AccessRequest.state == "rejected")
                        .order_by(col(AccessRequest.id).desc()).limit(500)).all()
    return [{"number": r.id, "title": r.title,
             "requester": {"slug": org.slug, "name": org.name}, "purposes": r.purposes,
             "refused": r.modified, "reasons": r.reasons} for r, org in rows]


def _cell(value: Any) -> str:
    if isinstance(value, list):
        return " ; ".join(_cell(v) for v in value)
    if isinstance(value, dict):
        # Parties by name, datasets by slug, legal bases by article, purposes by id.
        return (value.get("name") or value.get("slug") or value.get("article")
                or value.get("id") or "")
    if value is None:
        return ""
    return value.isoformat() if hasattr(value, "isoformat") else str(value)


def to_csv(rows: list[dict[str, Any]]) -> str:
    """One line per agreement; lists joined with « ; »."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(CSV_COLUMNS)
    for row in rows:
        writer.writerow([_cell(row[name]) for name in CSV_COLUMNS])
    return out.getvalue()
